/*
 * test_id_lockout.c - failed sign-ins and lockout with an injected clock:
 * 5 failures -> 15 min, 10 -> 60 min, 15 -> 24 h (423 `locked` with
 * Retry-After, even for the right password), unknown accounts locked the
 * same way, per client address counting, success resetting the account,
 * admin unlock, the audit trail, and "invalid_credentials" for an unknown
 * user being the same answer, taking the same time, as a wrong password;
 * IPv6 addresses counted per /64 (the router's hub_client_key rule), and
 * a locked address answering 423 also for a user name no account can
 * have.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int login(const char *u, const char *pw, idt_res *r)
{
	idt_session s;
	return idt_login(u, pw, NULL, &s, r);
}

/* n failed sign-ins, each must answer 401 */
static int fail_n(const char *u, int n)
{
	idt_res r;
	int ok = 1;
	for (int i = 0; i < n; i++)
		ok &= login(u, "wrong-password!", &r) == 401;
	return ok;
}

static void test_schedule(void)
{
	idt_res r;
	int64_t t0;
	idt_user("dora", HUB_ROLE_STAFF, "dora-password-1");

	CHECK(fail_n("dora", 5));
	t0 = idt_now_s;
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	CHECK(strstr(r.body, "\"locked\"") != NULL);
	CHECK_STR(r.retry_after, "900");
	idt_now_s = t0 + 899;
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	CHECK_STR(r.retry_after, "1");
	idt_now_s = t0 + 900;
	/* failures 6..9 are answered, not locked */
	CHECK(fail_n("dora", 4));
	/* the 10th locks for an hour */
	CHECK(fail_n("dora", 1));
	t0 = idt_now_s;
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	CHECK_STR(r.retry_after, "3600");
	idt_now_s = t0 + 3599;
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	idt_now_s = t0 + 3600;
	CHECK(fail_n("dora", 4)); /* 11..14 */
	CHECK(fail_n("dora", 1)); /* 15: a day */
	t0 = idt_now_s;
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	CHECK_STR(r.retry_after, "86400");
	idt_now_s = t0 + 86399;
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	idt_now_s = t0 + 86400;
	/* past the last step every failure locks for a day again */
	CHECK(fail_n("dora", 1));
	CHECK_INT(login("dora", "dora-password-1", &r), 423);
	CHECK_STR(r.retry_after, "86400");
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE action = "
			  "'login.lockout' AND target = 'dora'"),
		  4);

	/* admin unlock: the right password works at once */
	idt_user("root", HUB_ROLE_ADMIN, "root-password-1");
	idt_session adm;
	const char *p[] = {"name=dora", NULL};
	CHECK_INT(idt_login("root", "root-password-1", NULL, &adm, &r), 200);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users/{name}/unlock", NULL, 0,
			   adm.hdrs, p, NULL, &r),
		  200);
	CHECK_INT(login("dora", "dora-password-1", &r), 200);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE action = "
			  "'user.unlock' AND actor = 'root'"),
		  1);
	id_lock_clear(hub_store_db(), "addr", "192.0.2.1");
}

static void test_success_resets(void)
{
	idt_res r;
	CHECK(fail_n("dora", 4));
	CHECK_INT(login("dora", "dora-password-1", &r), 200);
	CHECK(fail_n("dora", 4));
	CHECK_INT(login("dora", "dora-password-1", &r), 200);
	/* a day without failures also forgets them */
	CHECK(fail_n("dora", 4));
	idt_now_s += 86400;
	CHECK(fail_n("dora", 4));
	CHECK_INT(login("dora", "dora-password-1", &r), 200);
	id_lock_clear(hub_store_db(), "addr", "192.0.2.1");
}

static void test_unknown_user(void)
{
	idt_res r1, r2;
	/* locked the same way: a 423 reveals nothing */
	CHECK(fail_n("nobody-here", 5));
	CHECK_INT(login("nobody-here", "whatever-pw", &r1), 423);
	/* same answer for unknown user and wrong password */
	idt_set_client("192.0.2.50");
	CHECK_INT(login("ghost", "some-password", &r1), 401);
	CHECK_INT(login("dora", "some-password", &r2), 401);
	char *a = strstr(r1.body, "\"request_id\""),
	     *b = strstr(r2.body, "\"request_id\"");
	CHECK(a && b && (a - r1.body) == (b - r2.body) &&
	      strncmp(r1.body, r2.body, (size_t)(a - r1.body)) == 0);
	CHECK_STR(r1.cookie, "");
	CHECK_STR(r2.cookie, "");
	id_lock_clear(hub_store_db(), "addr", "192.0.2.50");
	id_lock_clear(hub_store_db(), "acct", "dora");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_timing(void)
{
	idt_res r;
	double t_unknown = 0, t_wrong = 0, t0;
	idt_set_client("192.0.2.60");
	for (int i = 0; i < 4; i++) {
		t0 = now_ms();
		login("ghost-user", "some-password", &r);
		t_unknown += now_ms() - t0;
		t0 = now_ms();
		login("dora", "some-password", &r);
		t_wrong += now_ms() - t0;
		id_lock_clear(hub_store_db(), "acct", "dora");
		id_lock_clear(hub_store_db(), "acct", "ghost-user");
		id_lock_clear(hub_store_db(), "addr", "192.0.2.60");
	}
	printf("timing: unknown user %.1f ms, wrong password %.1f ms\n",
	       t_unknown / 4, t_wrong / 4);
	/* both spend one yescrypt verification (tens of ms) */
	CHECK(t_unknown > 0.5 * t_wrong && t_unknown < 2.0 * t_wrong);
}

static void test_address(void)
{
	idt_res r;
	char name[32];
	idt_user("emil", HUB_ROLE_STAFF, "emil-password-1");
	idt_set_client("198.51.100.7");
	/* 20 failures spread over many names (none reaches 5) */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "guess%d", i % 5);
		CHECK_INT(login(name, "wrong-password!", &r), 401);
	}
	/* now this address is locked, also for a right password */
	CHECK_INT(login("emil", "emil-password-1", &r), 423);
	/* another address is not */
	idt_set_client("198.51.100.8");
	CHECK_INT(login("emil", "emil-password-1", &r), 200);
	/* the admin can clear the address too */
	idt_session adm;
	const char *p[] = {"name=emil", NULL};
	idt_set_client("192.0.2.1");
	CHECK_INT(idt_login("root", "root-password-1", NULL, &adm, &r), 200);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users/{name}/unlock",
			   "{\"address\":\"198.51.100.7\"}", (size_t)-1,
			   adm.hdrs, p, NULL, &r),
		  200);
	idt_set_client("198.51.100.7");
	CHECK_INT(login("emil", "emil-password-1", &r), 200);
}

/* identity's address key is the router's (hub_client_key). */
static void test_addr_key(void)
{
	static const char *const addrs[] = {"203.0.113.9",
					    "::ffff:203.0.113.9",
					    "2001:db8:1:2::1",
					    "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
					    "2001:DB8:1:2::",
					    "::1",
					    "fe80::1",
					    "not an address",
					    ""};
	char a[96], b[96];
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		id_addr_key(addrs[i], a, sizeof(a));
		hub_client_key(addrs[i], b, sizeof(b));
		CHECK_STR(a, b);
	}
	id_addr_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", a, sizeof(a));
	CHECK_STR(a, "ip6:2001:db8:1:2::/64");
}

/* The addresses of one IPv6 /64 share one counter and one lock. */
static void test_ipv6_prefix(void)
{
	idt_res r;
	char name[32];
	idt_user("fritz", HUB_ROLE_STAFF, "fritz-password-1");
	/* 20 failures, half from each of two addresses of one /64 */
	for (int i = 0; i < 20; i++) {
		idt_set_client(i % 2 ? "2001:db8:1:2::1"
				     : "2001:db8:1:2:ffff:0:0:2");
		snprintf(name, sizeof(name), "v6guess%d", i % 5);
		CHECK_INT(login(name, "wrong-password!", &r), 401);
	}
	/* a third address of that /64 is locked, for the right password */
	idt_set_client("2001:db8:1:2::3");
	CHECK_INT(login("fritz", "fritz-password-1", &r), 423);
	CHECK(strstr(r.body, "\"locked\"") != NULL);
	/* the neighbouring /64 is not */
	idt_set_client("2001:db8:1:3::1");
	CHECK_INT(login("fritz", "fritz-password-1", &r), 200);
	/* an admin unlock names any address of the /64 */
	idt_session adm;
	const char *p[] = {"name=fritz", NULL};
	idt_set_client("192.0.2.1");
	CHECK_INT(idt_login("root", "root-password-1", NULL, &adm, &r), 200);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users/{name}/unlock",
			   "{\"address\":\"2001:db8:1:2::abcd\"}", (size_t)-1,
			   adm.hdrs, p, NULL, &r),
		  200);
	idt_set_client("2001:db8:1:2::1");
	CHECK_INT(login("fritz", "fritz-password-1", &r), 200);
	idt_set_client("192.0.2.1");
}

/* A user name no account can have, from a locked address: 423 like any
 * other name, not 401. */
static void test_invalid_name_locked(void)
{
	idt_res r;
	char name[32];
	idt_set_client("203.0.113.77");
	CHECK_INT(login("bad/name", "some-password!", &r), 401);
	for (int i = 0; i < 19; i++) {
		snprintf(name, sizeof(name), "inv%d", i % 5);
		CHECK_INT(login(name, "wrong-password!", &r), 401);
	}
	CHECK_INT(login("fritz", "fritz-password-1", &r), 423);
	CHECK_INT(login("bad/name", "some-password!", &r), 423);
	CHECK(strstr(r.body, "\"locked\"") != NULL);
	CHECK_STR(r.retry_after, "900");
	CHECK_INT(login(" lead-space", "some-password!", &r), 423);
	/* from elsewhere it is still the plain 401 */
	idt_set_client("203.0.113.78");
	CHECK_INT(login("bad/name", "some-password!", &r), 401);
	CHECK(strstr(r.body, "\"invalid_credentials\"") != NULL);
	idt_set_client("192.0.2.1");
}

static void test_schedule_parse(void)
{
	id_lock_schedule s;
	CHECK_INT(id_parse_lock_schedule("5:900,10:3600,15:86400", &s), 0);
	CHECK_INT(s.n, 3);
	CHECK_INT(s.fails[2], 15);
	CHECK_INT(s.secs[1], 3600);
	CHECK_INT(id_parse_lock_schedule("3:60", &s), 0);
	CHECK_INT(id_parse_lock_schedule("", &s), -1);
	CHECK_INT(id_parse_lock_schedule("10:60,5:60", &s), -1);
	CHECK_INT(id_parse_lock_schedule("5:x", &s), -1);
	CHECK_INT(id_parse_lock_schedule("5:60;", &s), -1);
	CHECK_INT(id_parse_lock_schedule("1:1,2:2,3:3,4:4,5:5", &s), -1);
}

int main(void)
{
	idt_setup("lock", "[ratelimit]\nlogin = 1000/min\nlogin_account = "
			  "1000/min\nadmin = 1000/min\n");
	test_schedule();
	test_success_resets();
	test_unknown_user();
	test_timing();
	test_address();
	test_addr_key();
	test_ipv6_prefix();
	test_invalid_name_locked();
	test_schedule_parse();
	idt_teardown();
	return check_report("identity.lockout");
}
