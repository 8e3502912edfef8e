/*
 * test_booking_hardening.c - what an outside attack campaign broke, over
 * real HTTP against hubd with the booking module:
 *
 *  - a body of 1,000 '[' (anonymous on /auth/login, sixty times; signed
 *    in on /bookings) gets 400 and every route, database ones included,
 *    keeps answering; 32 levels parse, 33 do not;
 *  - a \u0000 inside a JSON string is refused with 422 naming the field,
 *    and nothing is done: no sign-in as "alice" for "alice\u0000x", no
 *    user "ab" for "ab\u0000cd", no booking for first name "a\u0000b".
 */
#define _GNU_SOURCE
#include "booking_http_util.h"
#include "check.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hubproc H;
static bt_session alice, root;

/* The status of a request; *code gets the error code ("" when none) and
 * *msg its message. */
static long call(const bt_session *s, const char *method, const char *path,
		 const char *body, char code[64], char msg[256])
{
	cJSON *j = NULL;
	long st = bt_req(&H, s, method, path, body, NULL, &j, NULL);
	snprintf(code, 64, "%s", j ? bt_err_code(j) : "");
	snprintf(msg, 256, "%s", j ? bt_err_msg(j) : "");
	cJSON_Delete(j);
	return st;
}

/* `{"start":` then depth-1 '[' : an object nested `depth` levels. */
static char *nested(int depth)
{
	char *b = malloc((size_t)depth + 64);
	int n = sprintf(b, "{\"start\":");
	for (int i = 1; i < depth; i++)
		b[n++] = '[';
	for (int i = 1; i < depth; i++)
		b[n++] = ']';
	b[n++] = '}';
	b[n] = 0;
	return b;
}

static void test_deep_nesting(void)
{
	char code[64], msg[256], *deep = malloc(1001);
	int ok = 1;
	memset(deep, '[', 1000);
	deep[1000] = 0;
	for (int i = 0; i < 60; i++)
		ok &= call(NULL, "POST", "/api/v1/auth/login", deep, code,
			   msg) == 400 &&
		      !strcmp(code, "malformed_json");
	CHECK(ok);
	CHECK_INT(call(&alice, "POST", "/api/v1/bookings", deep, code, msg),
		  400);
	CHECK_STR(code, "malformed_json");
	CHECK(strstr(msg, "32 levels") != NULL);
	free(deep);

	/* the limit: 32 levels reach the handler, 33 do not */
	char *b32 = nested(32), *b33 = nested(33);
	CHECK_INT(call(&alice, "POST", "/api/v1/bookings", b32, code, msg),
		  422);
	CHECK_INT(call(&alice, "POST", "/api/v1/bookings", b33, code, msg),
		  400);
	free(b32);
	free(b33);

	/* everything still answers, the database routes too */
	CHECK_INT(call(NULL, "GET", "/health/live", NULL, code, msg), 200);
	CHECK_INT(call(&alice, "GET", "/api/v1/bookings", NULL, code, msg),
		  200);
	bt_session again;
	CHECK_INT(bt_login(&H, "alice", &again), 0);
}

static void test_nul(void)
{
	char code[64], msg[256], body[512], start[40];
	http_res r;

	/* sign-in: "alice\u0000anything" is not alice */
	CHECK_INT(call(NULL, "POST", "/api/v1/auth/login",
		       "{\"username\":\"alice\\u0000anything\",\"password\":"
		       "\"pw-alice-Secret1\"}",
		       code, msg),
		  422);
	CHECK_STR(code, "invalid_field");
	CHECK(strstr(msg, "'username'") != NULL);
	CHECK_INT(bt_req(&H, NULL, "POST", "/api/v1/auth/login",
			 "{\"username\":\"alice\\u0000x\",\"password\":"
			 "\"pw-alice-Secret1\"}",
			 NULL, NULL, &r),
		  422);
	CHECK(!r.headers || !strcasestr(r.headers, "Set-Cookie"));
	http_free(&r);

	/* an admin creating "ab\u0000cd" creates nothing */
	CHECK_INT(call(&root, "POST", "/api/v1/admin/users",
		       "{\"username\":\"ab\\u0000cd\",\"role\":\"staff\","
		       "\"password\":\"ab-password-123\"}",
		       code, msg),
		  422);
	CHECK(strstr(msg, "'username'") != NULL);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/users", NULL, NULL,
			 NULL, &r),
		  200);
	CHECK(r.body && !strstr(r.body, "\"username\":\"ab\""));
	http_free(&r);

	/* a first name "a\u0000b" is refused, no booking made */
	bt_slot(bt_workday(hub_date_add(hub_date_today(), 7), BT_MON_THU), 11,
		0, start);
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"first_name\":\"a\\u0000b\","
		 "\"last_name\":\"Nul\"}",
		 start);
	CHECK_INT(call(&alice, "POST", "/api/v1/bookings", body, code, msg),
		  422);
	CHECK(strstr(msg, "'first_name'") != NULL);
	/* also when the NUL hides deeper, or in a member name */
	CHECK_INT(call(&alice, "POST", "/api/v1/bookings", "{\"x\\u0000y\":1}",
		       code, msg),
		  422);
	CHECK_INT(
	    bt_req(&H, &alice, "GET", "/api/v1/bookings", NULL, NULL, NULL, &r),
	    200);
	CHECK(r.body && !strstr(r.body, "\"Nul\""));
	http_free(&r);
	/* the same booking without the NUL is fine */
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"first_name\":\"ab\",\"last_name\":"
		 "\"Nul\"}",
		 start);
	CHECK_INT(call(&alice, "POST", "/api/v1/bookings", body, code, msg),
		  201);
}

int main(void)
{
	int rc;
	if (hub_time_init("Europe/Berlin") != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (bt_start(&H, "Anna:anna@example.com", "") != 0)
		return 1;
	rc = bt_user_add(&H, "alice", "staff") |
	     bt_user_add(&H, "root", "admin");
	if (rc == 0)
		rc =
		    bt_login(&H, "alice", &alice) | bt_login(&H, "root", &root);
	CHECK_INT(rc, 0);
	if (rc == 0) {
		test_deep_nesting();
		test_nul();
	}
	hubproc_stop(&H, SIGTERM);
	hubproc_cleanup(&H);
	curl_global_cleanup();
	return check_report("booking.hardening");
}
