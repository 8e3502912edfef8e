/*
 * test_id_handlers.c - every identity endpoint fed bad input (no body,
 * not JSON, not an object, wrong types, empty, huge, non-UTF-8, NUL bytes,
 * control characters, unknown fields, bad query and path parameters) must
 * answer 4xx and never 500; then the admin routes' behaviour: creating
 * users (one-time password, must change it), the last-admin and self
 * rules, pagination, the audit log and its filters; and the first-start
 * admin printed once.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static idt_session g_adm, g_user;

typedef struct ep {
	const char *method, *pattern;
	int who;		   /* 0 none, 1 user session, 2 admin session */
	const char *const *fields; /* string fields it takes */
} ep;

static const char *const f_login[] = {"username", "password", "totp", NULL};
static const char *const f_pw[] = {"current", "new", NULL};
static const char *const f_setup[] = {"password", NULL};
static const char *const f_enable[] = {"code", NULL};
static const char *const f_disable[] = {"password", "code", NULL};
static const char *const f_ucreate[] = {"username", "role", "password", NULL};
static const char *const f_upatch[] = {"role", "password", NULL};
static const char *const f_unlock[] = {"address", NULL};
static const char *const f_token[] = {"name", "scope", NULL};
static const char *const f_none[] = {NULL};

static const ep g_eps[] = {
    {"POST", "/api/v1/auth/login", 0, f_login},
    {"POST", "/api/v1/auth/logout", 1, f_none},
    {"GET", "/api/v1/auth/me", 1, f_none},
    {"POST", "/api/v1/auth/password", 1, f_pw},
    {"POST", "/api/v1/auth/totp/setup", 1, f_setup},
    {"POST", "/api/v1/auth/totp/enable", 1, f_enable},
    {"POST", "/api/v1/auth/totp/disable", 1, f_disable},
    {"GET", "/api/v1/admin/users", 2, f_none},
    {"POST", "/api/v1/admin/users", 2, f_ucreate},
    {"PATCH", "/api/v1/admin/users/{name}", 2, f_upatch},
    {"DELETE", "/api/v1/admin/users/{name}", 2, f_none},
    {"POST", "/api/v1/admin/users/{name}/totp-reset", 2, f_none},
    {"POST", "/api/v1/admin/users/{name}/unlock", 2, f_unlock},
    {"GET", "/api/v1/admin/tokens", 2, f_none},
    {"POST", "/api/v1/admin/tokens", 2, f_token},
    {"DELETE", "/api/v1/admin/tokens/{id}", 2, f_none},
    {"GET", "/api/v1/admin/audit", 2, f_none},
};

static int g_calls, g_bad;

/* Calls and checks 400..499 (never 500); logs the offender. */
static void expect_4xx(const ep *e, const char *body, size_t len,
		       const char *const *params, const char *const *query)
{
	idt_res r;
	const char *const *hdrs = e->who == 2	? g_adm.hdrs
				  : e->who == 1 ? g_user.hdrs
						: NULL;
	int st =
	    idt_call(e->method, e->pattern, body, len, hdrs, params, query, &r);
	g_calls++;
	if (st < 400 || st > 499) {
		g_bad++;
		fprintf(stderr, "  %s %s -> %d for body [%.60s] %s\n",
			e->method, e->pattern, st, body ? body : "(none)",
			r.body);
	}
}

static void test_bad_bodies(void)
{
	static const char *const bodies[] = {
	    "",	    " ", "null", "[]",	    "[1,2]", "\"text\"", "123",
	    "true", "{", "{}x",	 "{\"a\":", "{}{}",  "{'a':1}",	 "nul",
	};
	char *huge = malloc(300000), *deep = malloc(20001), nul[32];
	const char *params[] = {"name=nobody-such", "id=999999", NULL};
	size_t i, j;

	memset(huge, 0, 300000);
	strcpy(huge, "{\"x\":\"");
	memset(huge + 6, 'A', 299000);
	strcpy(huge + 299006, "\"}");
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = 0;
	memcpy(nul, "{\"username\":\"a\0b\"}", 19);

	for (i = 0; i < sizeof(g_eps) / sizeof(g_eps[0]); i++) {
		const ep *e = &g_eps[i];
		char body[512];
		if (!strcmp(e->method, "GET") || !strcmp(e->method, "DELETE") ||
		    strstr(e->pattern, "totp-reset"))
			continue; /* take no body */
		for (j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++)
			if (bodies[j][0] || !strstr(e->pattern, "logout"))
				expect_4xx(e, bodies[j], (size_t)-1, params,
					   NULL);
		if (!strstr(e->pattern, "logout")) /* would sign out */
			expect_4xx(e, NULL, 0, params, NULL);
		expect_4xx(e, huge, (size_t)-1, params, NULL);
		expect_4xx(e, deep, (size_t)-1, params, NULL);
		expect_4xx(e, nul, 18, params, NULL);
		expect_4xx(e, "{\"u\xff\":\"\xfe\"}", (size_t)-1, params, NULL);
		expect_4xx(e, "{\"unknown_field\":1}", (size_t)-1, params,
			   NULL);
		for (j = 0; e->fields[j]; j++) {
			static const char *const vals[] = {"1",
							   "true",
							   "[]",
							   "{}",
							   "\"\"",
							   "\"\\u0000x\"",
							   "\"\\u0007bell\"",
							   "1e999",
							   "\"\\ud800\"",
							   "-1"};
			for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]);
			     k++) {
				snprintf(body, sizeof(body), "{\"%s\":%s}",
					 e->fields[j], vals[k]);
				expect_4xx(e, body, (size_t)-1, params, NULL);
			}
			snprintf(body, sizeof(body), "{\"%s\":\"\xc3\x28\"}",
				 e->fields[j]);
			expect_4xx(e, body, (size_t)-1, params, NULL);
			/* a huge string value */
			size_t n = (size_t)snprintf(huge, 300000, "{\"%s\":\"",
						    e->fields[j]);
			memset(huge + n, 'b', 200000);
			strcpy(huge + n + 200000, "\"}");
			expect_4xx(e, huge, (size_t)-1, params, NULL);
		}
	}
	free(huge);
	free(deep);
}

static void test_bad_queries_and_params(void)
{
	static const char *const queries[][2] = {
	    {"limit=abc", NULL},
	    {"limit=0", NULL},
	    {"limit=1001", NULL},
	    {"limit=-5", NULL},
	    {"limit=", NULL},
	    {"cursor=abc", NULL},
	    {"cursor=-1", NULL},
	    {"cursor=0", NULL},
	    {"cursor=99999999999999999999999", NULL},
	    {"limit=1e3", NULL},
	};
	static const char *const audit_q[][2] = {
	    {"since=yesterday", NULL},
	    {"since=2024-13-01", NULL},
	    {"since=2024-02-30T10:00:00Z", NULL},
	    {"actor=\xff\xfe", NULL},
	    {"action=\xc3", NULL},
	};
	static const char *const names[] = {
	    "name=", "name=\xff\xfe", "name=nobody", "name=a/b", "name=ab:cd"};
	static const char *const ids[] = {
	    "id=",	   "id=abc", "id=-1", "id=0", "id=99999999999999999999",
	    "id=123456789"};
	for (size_t i = 0; i < sizeof(g_eps) / sizeof(g_eps[0]); i++) {
		const ep *e = &g_eps[i];
		if (!strcmp(e->method, "GET") && e->who == 2)
			for (size_t j = 0;
			     j < sizeof(queries) / sizeof(queries[0]); j++)
				expect_4xx(e, NULL, 0, NULL, queries[j]);
	}
	for (size_t j = 0; j < sizeof(audit_q) / sizeof(audit_q[0]); j++)
		expect_4xx(&g_eps[16], NULL, 0, NULL, audit_q[j]);
	for (size_t i = 9; i <= 12; i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			const char *p[] = {names[j], NULL};
			expect_4xx(&g_eps[i],
				   i == 9    ? "{\"role\":\"staff\"}"
				   : i == 12 ? "{}"
					     : NULL,
				   (size_t)-1, p, NULL);
		}
	for (size_t j = 0; j < sizeof(ids) / sizeof(ids[0]); j++) {
		const char *p[] = {ids[j], NULL};
		expect_4xx(&g_eps[15], NULL, 0, p, NULL);
	}
}

static void test_no_auth(void)
{
	/* every non-login endpoint refuses an anonymous caller with 401 (the
	 * router's answer: only login is a public route) */
	for (size_t i = 1; i < sizeof(g_eps) / sizeof(g_eps[0]); i++) {
		idt_res r;
		const char *p[] = {"name=admin", "id=1", NULL};
		int st = idt_call(g_eps[i].method, g_eps[i].pattern, "{}", 2,
				  NULL, p, NULL, &r);
		CHECK_INT(st, 401);
	}
	/* staff may not use admin routes */
	idt_res r;
	CHECK_INT(idt_call("GET", "/api/v1/admin/users", NULL, 0, g_user.hdrs,
			   NULL, NULL, &r),
		  403);
}

/* --------------------------------------------------------- admin flows */

static void test_users_admin(void)
{
	idt_res r;
	idt_session s;
	char pw[64], flag[8], cursor[32];
	const char *p_mia[] = {"name=mia", NULL};
	const char *p_root[] = {"name=root", NULL};
	hub_user u;
	char csrf[65];

	/* created without a password: one-time password, must change */
	CHECK_INT(idt_call("POST", "/api/v1/admin/users",
			   "{\"username\":\"mia\",\"role\":\"consultant\","
			   "\"consultant_id\":3}",
			   (size_t)-1, g_adm.hdrs, NULL, NULL, &r),
		  201);
	CHECK(idt_json_str(r.body, "password", pw, sizeof(pw)));
	CHECK_INT(strlen(pw), 20);
	CHECK(strstr(r.body, "\"must_change_password\":true") != NULL);
	CHECK(strstr(r.body, "\"consultant_id\":3") != NULL);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users",
			   "{\"username\":\"MIA\",\"role\":\"staff\","
			   "\"password\":\"long-enough-pw\"}",
			   (size_t)-1, g_adm.hdrs, NULL, NULL, &r),
		  409);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users",
			   "{\"username\":\"x\",\"role\":\"king\"}", (size_t)-1,
			   g_adm.hdrs, NULL, NULL, &r),
		  422);
	CHECK(strstr(r.body, "role") != NULL);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users",
			   "{\"username\":\"x\",\"role\":\"staff\","
			   "\"password\":\"short\"}",
			   (size_t)-1, g_adm.hdrs, NULL, NULL, &r),
		  422);
	CHECK(strstr(r.body, "password") != NULL);

	CHECK_INT(idt_login("mia", pw, NULL, &s, &r), 200);
	CHECK(idt_json_str(r.body, "user.must_change_password", flag,
			   sizeof(flag)));
	CHECK_STR(flag, "true");
	CHECK_INT(hub_id_authenticate(s.cookie + 8, NULL, &u, csrf),
		  HUB_AUTH_INVALID);
	char body[200];
	snprintf(body, sizeof(body), "{\"current\":\"%s\",\"new\":\"%s\"}", pw,
		 pw);
	CHECK_INT(idt_call("POST", "/api/v1/auth/password", body, (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  422);
	snprintf(body, sizeof(body),
		 "{\"current\":\"%s\",\"new\":\"mias-new-password\"}", pw);
	CHECK_INT(idt_call("POST", "/api/v1/auth/password", body, (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	CHECK(strstr(r.body, "\"must_change_password\":false") != NULL);
	char tok[80];
	CHECK(sscanf(r.cookie, "hub_session=%64[0-9a-f]", tok) == 1);
	snprintf(body, sizeof(body), "hub_session=%s", tok);
	CHECK_INT(hub_id_authenticate(body, NULL, &u, csrf), HUB_AUTH_OK);
	CHECK_INT(u.role, HUB_ROLE_CONSULTANT);
	CHECK_INT(u.consultant_id, 3);

	/* the last admin cannot be demoted, disabled or deleted; nobody
	 * disables or deletes themselves */
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"role\":\"staff\"}", (size_t)-1, g_adm.hdrs,
			   p_root, NULL, &r),
		  409);
	CHECK(strstr(r.body, "last_admin") != NULL);
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"disabled\":true}", (size_t)-1, g_adm.hdrs,
			   p_root, NULL, &r),
		  409);
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/users/{name}", NULL, 0,
			   g_adm.hdrs, p_root, NULL, &r),
		  409);
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"role\":\"admin\"}", (size_t)-1, g_adm.hdrs,
			   p_mia, NULL, &r),
		  200);
	/* with two admins: root may still not delete itself */
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/users/{name}", NULL, 0,
			   g_adm.hdrs, p_root, NULL, &r),
		  409);
	CHECK(strstr(r.body, "\"self\"") != NULL);
	/* an admin password reset: must change again, sessions end */
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"password\":\"temporary-pass-1\"}", (size_t)-1,
			   g_adm.hdrs, p_mia, NULL, &r),
		  200);
	CHECK(strstr(r.body, "\"must_change_password\":true") != NULL);
	snprintf(body, sizeof(body), "hub_session=%s", tok);
	CHECK_INT(hub_id_authenticate(body, NULL, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/users/{name}", NULL, 0,
			   g_adm.hdrs, p_mia, NULL, &r),
		  204);
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/users/{name}", NULL, 0,
			   g_adm.hdrs, p_mia, NULL, &r),
		  404);

	/* pagination */
	for (int i = 0; i < 3; i++) {
		snprintf(body, sizeof(body),
			 "{\"username\":\"page%d\",\"role\":\"staff\","
			 "\"password\":\"paging-password\"}",
			 i);
		CHECK_INT(idt_call("POST", "/api/v1/admin/users", body,
				   (size_t)-1, g_adm.hdrs, NULL, NULL, &r),
			  201);
	}
	const char *q1[] = {"limit=2", NULL};
	CHECK_INT(idt_call("GET", "/api/v1/admin/users", NULL, 0, g_adm.hdrs,
			   NULL, q1, &r),
		  200);
	CHECK(idt_json_str(r.body, "next_cursor", cursor, sizeof(cursor)));
	int seen = 0;
	char qc[64];
	for (int guard = 0; guard < 10; guard++) {
		const char *p = r.body;
		while ((p = strstr(p, "\"username\":")) != NULL) {
			seen++;
			p++;
		}
		if (!idt_json_str(r.body, "next_cursor", cursor,
				  sizeof(cursor)))
			break;
		snprintf(qc, sizeof(qc), "cursor=%s", cursor);
		const char *q2[] = {"limit=2", qc, NULL};
		CHECK_INT(idt_call("GET", "/api/v1/admin/users", NULL, 0,
				   g_adm.hdrs, NULL, q2, &r),
			  200);
	}
	/* root, staff "sam", page0..2 */
	CHECK_INT(seen, 5);
	CHECK(strstr(r.body, "\"next_cursor\":null") != NULL);

	/* an admin requires 2FA of one user: sent to setup after sign-in */
	const char *p_page0[] = {"name=page0", NULL};
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"must_setup_2fa\":true}", (size_t)-1, g_adm.hdrs,
			   p_page0, NULL, &r),
		  200);
	CHECK(strstr(r.body, "\"must_setup_2fa\":true") != NULL);
	CHECK_INT(idt_login("page0", "paging-password", NULL, &s, &r), 200);
	CHECK(strstr(r.body, "\"must_setup_2fa\":true") != NULL);
	CHECK_INT(hub_id_authenticate(s.cookie + 8, NULL, &u, csrf),
		  HUB_AUTH_INVALID);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/setup",
			   "{\"password\":\"paging-password\"}", (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
}

static void test_audit(void)
{
	idt_res r;
	const char *q1[] = {"actor=root", "action=user.create", NULL};
	const char *q2[] = {"since=2999-01-01T00:00:00Z", NULL};
	const char *q3[] = {"action=login.success", "limit=1", NULL};
	CHECK_INT(idt_call("GET", "/api/v1/admin/audit", NULL, 0, g_adm.hdrs,
			   NULL, q1, &r),
		  200);
	CHECK(strstr(r.body, "\"target\":\"page2\"") != NULL);
	CHECK(strstr(r.body, "\"action\":\"user.update\"") == NULL);
	CHECK(strstr(r.body, "\"client\":\"192.0.2.1\"") != NULL);
	CHECK(strstr(r.body, "\"request_id\":\"t") != NULL);
	CHECK(strstr(r.body, "\"at\":\"20") != NULL);
	/* no secrets: the one-time and set passwords never appear */
	CHECK_INT(idt_call("GET", "/api/v1/admin/audit", NULL, 0, g_adm.hdrs,
			   NULL, NULL, &r),
		  200);
	CHECK(strstr(r.body, "temporary-pass-1") == NULL);
	CHECK(strstr(r.body, "paging-password") == NULL);
	CHECK(strstr(r.body, "mias-new-password") == NULL);
	CHECK(strstr(r.body, "\"action\":\"login.success\"") != NULL);
	CHECK(strstr(r.body, "\"action\":\"password.change\"") != NULL);
	CHECK_INT(idt_call("GET", "/api/v1/admin/audit", NULL, 0, g_adm.hdrs,
			   NULL, q2, &r),
		  200);
	CHECK(strstr(r.body, "\"items\":[]") != NULL);
	CHECK_INT(idt_call("GET", "/api/v1/admin/audit", NULL, 0, g_adm.hdrs,
			   NULL, q3, &r),
		  200);
	CHECK(strstr(r.body, "\"next_cursor\":\"") != NULL);
	/* a bad filter is named as itself, also when the other one is set */
	char longq[120];
	snprintf(longq, sizeof(longq), "action=%065d", 7);
	const char *q4[] = {"actor=root", longq, NULL};
	CHECK_INT(idt_call("GET", "/api/v1/admin/audit", NULL, 0, g_adm.hdrs,
			   NULL, q4, &r),
		  422);
	CHECK(strstr(r.body, "'action'") != NULL);
	CHECK(strstr(r.body, "'actor'") == NULL);
	const char *q5[] = {"actor=\xff", "action=login.success", NULL};
	CHECK_INT(idt_call("GET", "/api/v1/admin/audit", NULL, 0, g_adm.hdrs,
			   NULL, q5, &r),
		  422);
	CHECK(strstr(r.body, "'actor'") != NULL);
	/* an audit entry without a request (hubctl, jobs): actor "system" */
	CHECK_INT(hub_id_audit(NULL, NULL, NULL, NULL, "job.test", "x",
			       "detail\nwith\tctl"),
		  0);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE actor = "
			  "'system' AND action = 'job.test' AND detail = "
			  "'detail with ctl' AND client IS NULL"),
		  1);
}

/* The first start prints a one-time admin password once. */
static void test_bootstrap(void)
{
	char path[512], line[512], pw[64] = "";
	FILE *fp;
	int saved;
	idt_res r;
	idt_session s;

	idt_teardown();
	idt_setup("boot",
		  "[ratelimit]\nlogin = 1000/min\nlogin_account = 1000/min\n");
	snprintf(path, sizeof(path), "%s/stdout.txt", idt_dir());
	fflush(stdout);
	saved = dup(1);
	fp = freopen(path, "w", stdout);
	CHECK(fp != NULL);
	CHECK_INT(hub_id_bootstrap_admin(), 0);
	CHECK_INT(hub_id_bootstrap_admin(), 0); /* users exist: nothing */
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	fp = fopen(path, "r");
	int lines = 0;
	while (fp && fgets(line, sizeof(line), fp)) {
		char *at = strstr(line, "one-time password ");
		lines++;
		if (at)
			sscanf(at + 18, "%63s", pw);
	}
	if (fp)
		fclose(fp);
	CHECK_INT(lines, 1);
	CHECK_INT(strlen(pw), 20);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username = "
			  "'admin' AND role = 'admin' AND must_change = 1"),
		  1);
	CHECK_INT(idt_login("admin", pw, NULL, &s, &r), 200);
	CHECK(strstr(r.body, "\"must_change_password\":true") != NULL);
}

int main(void)
{
	idt_res r;
	idt_setup("handlers", "[ratelimit]\nlogin = 100000/min\nlogin_account "
			      "= 100000/min\nadmin = "
			      "100000/min\napi = 100000/min\n");
	idt_user("root", HUB_ROLE_ADMIN, "root-password-1");
	idt_user("sam", HUB_ROLE_STAFF, "sam-password-1");
	CHECK_INT(idt_login("root", "root-password-1", NULL, &g_adm, &r), 200);
	CHECK_INT(idt_login("sam", "sam-password-1", NULL, &g_user, &r), 200);

	test_bad_bodies();
	test_bad_queries_and_params();
	printf("bad input: %d calls, %d not 4xx\n", g_calls, g_bad);
	CHECK(g_calls > 400);
	CHECK_INT(g_bad, 0);
	/* the sessions survived all that */
	CHECK_INT(idt_call("GET", "/api/v1/auth/me", NULL, 0, g_adm.hdrs, NULL,
			   NULL, &r),
		  200);
	test_no_auth();
	test_users_admin();
	test_audit();
	test_bootstrap();
	idt_teardown();
	return check_report("identity.handlers");
}
