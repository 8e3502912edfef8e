/*
 * test_id_last_admin.c - the last enabled admin survives concurrent
 * changes: two admins disabling, demoting or deleting each other at the
 * same moment (admin HTTP routes and `hubctl user`) leave exactly one
 * enabled admin, the other change refused with 409 `last_admin` (or exit
 * 1 "last enabled admin").
 *
 * To make the race certain rather than likely, a trigger on the users
 * table calls idt_stall(), an SQL function this test registers on every
 * SQLite connection (sqlite3_auto_extension): the first write of each
 * thread to users.role, users.disabled or a users row deleted sleeps
 * STALL_MS inside its transaction, holding the write lock. The other
 * thread meanwhile runs everything it does before its own transaction. A
 * check made before the transaction passes in both threads and both
 * changes land; a check inside it sees the first change and refuses.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STALL_MS 300

static _Atomic int g_stall;	  /* stall the next first write per thread */
static __thread int t_stalled;	  /* this thread has stalled once */
static pthread_barrier_t g_start; /* both threads begin together */

static void f_stall(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	if (g_stall && !t_stalled) {
		t_stalled = 1;
		usleep(STALL_MS * 1000);
	}
	sqlite3_result_int(ctx, 0);
}

static int register_stall(sqlite3 *db, const char **err,
			  const sqlite3_api_routines *api)
{
	(void)err;
	(void)api;
	return sqlite3_create_function(db, "idt_stall", 0, SQLITE_UTF8, NULL,
				       f_stall, NULL, NULL);
}

static void exec_sql(const char *sql)
{
	if (hub_store_exec(hub_store_db(), sql) != HUB_DB_OK) {
		fprintf(stderr, "sql failed: %s: %s\n", sql,
			hub_store_errmsg(hub_store_db()));
		exit(2);
	}
}

/* ------------------------------------------------------------- workers */

typedef struct job {
	const char *method, *pattern, *body, *param;
	const idt_session *as; /* HTTP: the caller's session */
	char **argv;	       /* hubctl: the command instead */
	int argc;
	int result; /* HTTP status, or the command's exit code */
	char body_out[512];
} job;

static void *worker(void *ud)
{
	job *j = ud;
	idt_res *r = malloc(sizeof(*r));
	pthread_barrier_wait(&g_start);
	if (j->argv) {
		j->result = hub_id_user_cmd(j->argc, j->argv);
	} else {
		const char *p[] = {j->param, NULL};
		j->result =
		    idt_call(j->method, j->pattern, j->body,
			     j->body ? (size_t)-1 : 0, j->as->hdrs, p, NULL, r);
		snprintf(j->body_out, sizeof(j->body_out), "%s", r->body);
	}
	free(r);
	return NULL;
}

/* Runs the two jobs at once with the stall armed. */
static void race(job *a, job *b)
{
	pthread_t ta, tb;
	pthread_barrier_init(&g_start, NULL, 2);
	g_stall = 1;
	pthread_create(&ta, NULL, worker, a);
	pthread_create(&tb, NULL, worker, b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	g_stall = 0;
	pthread_barrier_destroy(&g_start);
}

/* ------------------------------------------------------------- set-up */

static int g_round;

/* Two fresh enabled admins (every earlier one disabled), signed in. */
static void two_admins(char n1[32], char n2[32], idt_session *s1,
		       idt_session *s2)
{
	idt_res r;
	g_round++;
	exec_sql("UPDATE users SET disabled = 1 WHERE role = 'admin'");
	snprintf(n1, 32, "adm%da", g_round);
	snprintf(n2, 32, "adm%db", g_round);
	idt_user(n1, HUB_ROLE_ADMIN, "admin-password-1");
	idt_user(n2, HUB_ROLE_ADMIN, "admin-password-1");
	CHECK_INT(idt_login(n1, "admin-password-1", NULL, s1, &r), 200);
	CHECK_INT(idt_login(n2, "admin-password-1", NULL, s2, &r), 200);
}

static long long enabled_admins(void)
{
	return idt_int("SELECT COUNT(*) FROM users WHERE role = 'admin' AND "
		       "disabled = 0");
}

/* One of a pair of HTTP changes went through, the other got 409. */
static void one_won(const job *a, const job *b)
{
	int wins = (a->result == 200 || a->result == 204) +
		   (b->result == 200 || b->result == 204);
	const job *loser = (a->result == 409) ? a : b;
	CHECK_INT(wins, 1);
	CHECK_INT(loser->result, 409);
	CHECK(strstr(loser->body_out, "\"last_admin\"") != NULL);
	CHECK_INT(enabled_admins(), 1);
}

/* ---------------------------------------------------------------- tests */

static void test_http_disable_each_other(void)
{
	char n1[32], n2[32], p1[48], p2[48];
	idt_session s1, s2;
	two_admins(n1, n2, &s1, &s2);
	snprintf(p1, sizeof(p1), "name=%s", n1);
	snprintf(p2, sizeof(p2), "name=%s", n2);
	job a = {"PATCH",
		 "/api/v1/admin/users/{name}",
		 "{\"disabled\":true}",
		 p2,
		 &s1,
		 NULL,
		 0,
		 0,
		 ""};
	job b = {"PATCH",
		 "/api/v1/admin/users/{name}",
		 "{\"disabled\":true}",
		 p1,
		 &s2,
		 NULL,
		 0,
		 0,
		 ""};
	race(&a, &b);
	one_won(&a, &b);
}

static void test_http_demote_and_delete(void)
{
	char n1[32], n2[32], p1[48], p2[48];
	idt_session s1, s2;
	two_admins(n1, n2, &s1, &s2);
	snprintf(p1, sizeof(p1), "name=%s", n1);
	snprintf(p2, sizeof(p2), "name=%s", n2);
	job a = {"PATCH",
		 "/api/v1/admin/users/{name}",
		 "{\"role\":\"staff\"}",
		 p2,
		 &s1,
		 NULL,
		 0,
		 0,
		 ""};
	job b = {
	    "DELETE", "/api/v1/admin/users/{name}", NULL, p1, &s2, NULL, 0, 0,
	    ""};
	race(&a, &b);
	one_won(&a, &b);
}

static void test_cli_disable_and_demote(void)
{
	char n1[32], n2[32];
	idt_session s1, s2;
	two_admins(n1, n2, &s1, &s2);
	char *argv_a[] = {"user", "disable", n2};
	char *argv_b[] = {"user", "role", n1, "staff"};
	job a = {NULL, NULL, NULL, NULL, NULL, argv_a, 3, -1, ""};
	job b = {NULL, NULL, NULL, NULL, NULL, argv_b, 4, -1, ""};
	fprintf(stderr, "(one 'last enabled admin' line expected next)\n");
	race(&a, &b);
	CHECK_INT(a.result + b.result, 1); /* one 0, one 1 */
	CHECK_INT(enabled_admins(), 1);
}

/* Without a race the rule and its answers are unchanged. */
static void test_sequential(void)
{
	char n1[32], n2[32], p1[48], p2[48];
	idt_session s1, s2;
	idt_res r;
	two_admins(n1, n2, &s1, &s2);
	snprintf(p1, sizeof(p1), "name=%s", n1);
	snprintf(p2, sizeof(p2), "name=%s", n2);
	const char *q1[] = {p1, NULL}, *q2[] = {p2, NULL};
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"disabled\":true}", (size_t)-1, s1.hdrs, q2, NULL,
			   &r),
		  200);
	/* n2 is disabled now and may be changed freely */
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"role\":\"staff\"}", (size_t)-1, s1.hdrs, q2,
			   NULL, &r),
		  200);
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/users/{name}", NULL, 0,
			   s1.hdrs, q2, NULL, &r),
		  204);
	CHECK_INT(enabled_admins(), 1);
	/* n1 is the last: a token with admin scope cannot remove it */
	char tok[100], auth[160];
	CHECK_INT(idt_call("POST", "/api/v1/admin/tokens",
			   "{\"name\":\"ops\",\"scope\":\"admin\"}", (size_t)-1,
			   s1.hdrs, NULL, NULL, &r),
		  201);
	CHECK(idt_json_str(r.body, "token", tok, sizeof(tok)));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	const char *bearer[] = {auth, NULL};
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"disabled\":true}", (size_t)-1, bearer, q1, NULL,
			   &r),
		  409);
	CHECK(strstr(r.body, "\"last_admin\"") != NULL);
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/users/{name}", NULL, 0,
			   bearer, q1, NULL, &r),
		  409);
	CHECK_INT(enabled_admins(), 1);
}

int main(void)
{
	sqlite3_auto_extension((void (*)(void))register_stall);
	idt_setup("lastadm", "[ratelimit]\nlogin = 100000/min\nlogin_account = "
			     "100000/min\nadmin = "
			     "100000/min\n");
	exec_sql("CREATE TRIGGER idt_stall_upd BEFORE UPDATE OF role, "
		 "disabled ON users BEGIN SELECT idt_stall(); END");
	exec_sql("CREATE TRIGGER idt_stall_del BEFORE DELETE ON users BEGIN "
		 "SELECT idt_stall(); END");
	test_http_disable_each_other();
	test_http_demote_and_delete();
	test_cli_disable_and_demote();
	test_sequential();
	idt_teardown();
	return check_report("identity.last_admin");
}
