/*
 * test_webhooks_http.c - webhooks end to end against a real hubd with the
 * booking module and receivers written in this test:
 *   - the admin API (create shows the secret once, list never, 422s, 404s,
 *     audit entries for create and delete);
 *   - every booking change reaches the receiver signed per the Standard
 *     Webhooks convention (verified here), in order per booking;
 *   - a receiver that fails, then times out, then recovers gets every event
 *     once it is back, none twice among the successful deliveries, still in
 *     order per booking, and the delivery log shows the failed attempts;
 *   - redirects are not followed;
 *   - a second hubd without allow_private refuses loopback, private,
 *     link-local and odd-scheme targets with a 422 naming the url.
 */
#define _GNU_SOURCE
#include "booking_http_util.h"
#include "check.h"
#include "wh_receiver.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static hubproc H;
static bt_session staff, root;
static hub_date D1;

#define WH_CONF                                                                \
	"grid = mon-thu 09:00 11:00 14:00 16:00 18:00 20:00\n"                 \
	"[webhooks]\n"                                                         \
	"interval_s = 1\n"                                                     \
	"retry_first_s = 1\n"                                                  \
	"retry_max_s = 2\n"                                                    \
	"timeout_ms = 1500\n"

/* Creates a webhook for all four events; secret into sec (may be NULL).
 * Returns its id or -1. */
static long long add_hook(const char *url, char *sec, size_t seclen)
{
	char body[512];
	cJSON *j = NULL;
	long long id = -1;
	snprintf(body, sizeof(body),
		 "{\"url\":\"%s\",\"events\":[\"booking.created\","
		 "\"booking.cancelled\",\"booking.rescheduled\","
		 "\"booking.outcome\"]}",
		 url);
	if (bt_req(&H, &root, "POST", "/api/v1/admin/webhooks", body, NULL, &j,
		   NULL) == 201) {
		id = (long long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(j, "id"));
		if (sec)
			snprintf(sec, seclen, "%s",
				 cJSON_GetStringValue(
				     cJSON_GetObjectItem(j, "secret")));
	}
	cJSON_Delete(j);
	return id;
}

/* Books slot hh:00 of D1 for `last`; returns the booking id or -1. */
static long long book(int hh, const char *last)
{
	char start[40], body[256];
	cJSON *j = NULL;
	long long id = -1;
	bt_slot(D1, hh, 0, start);
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"first_name\":\"Eva\",\"last_name\":"
		 "\"%s\"}",
		 start, last);
	if (bt_req(&H, &staff, "POST", "/api/v1/bookings", body, NULL, &j,
		   NULL) == 201)
		id = (long long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(j, "id"));
	cJSON_Delete(j);
	return id;
}

static long change(long long id, const char *what, const char *body)
{
	char path[96];
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld/%s", id, what);
	return bt_req(&H, &staff, "POST", path, body, NULL, NULL, NULL);
}

/* Waits up to `secs` until the receiver has >= n requests answered `st`
 * (0 = any). */
static int wait_hits(receiver *r, int n, int st, int secs)
{
	for (int i = 0; i < secs * 10; i++) {
		int k = 0;
		pthread_mutex_lock(&r->mu);
		for (int h = 0; h < r->n; h++)
			k += !st || r->hits[h].answered == st;
		pthread_mutex_unlock(&r->mu);
		if (k >= n)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* type and data.id of a hit's body. */
static void hit_info(const rcv_hit *h, char *type, size_t tl, long long *bid)
{
	cJSON *j = cJSON_Parse(h->body);
	snprintf(type, tl, "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"))
		     ? cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"))
		     : "");
	*bid = (long long)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "id"));
	cJSON_Delete(j);
}

/* The event types received with a 2xx for booking `bid`, in arrival
 * order, joined by ' '. Also counts successful hits whose webhook-id was
 * seen before among successes (*dups). */
static void types_of(receiver *r, long long bid, char *out, size_t outlen,
		     int *dups)
{
	out[0] = 0;
	*dups = 0;
	for (int i = 0; i < r->n; i++) {
		char t[40];
		long long b;
		if (r->hits[i].answered != 200)
			continue;
		for (int k = 0; k < i; k++)
			*dups += r->hits[k].answered == 200 &&
				 strcmp(r->hits[k].id, r->hits[i].id) == 0;
		hit_info(&r->hits[i], t, sizeof(t), &b);
		if (b != bid)
			continue;
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s",
			 out[0] ? " " : "", t);
	}
}

static int audit_has(const char *action)
{
	char path[128];
	cJSON *j = NULL;
	int n = 0;
	snprintf(path, sizeof(path), "/api/v1/admin/audit?action=%s", action);
	if (bt_req(&H, &root, "GET", path, NULL, NULL, &j, NULL) == 200)
		n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "items"));
	cJSON_Delete(j);
	return n;
}

static void test_admin_api(const receiver *r1, long long *hook, char *sec)
{
	char url[96], body[256];
	cJSON *j = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", r1->port);
	*hook = add_hook(url, sec, 64);
	CHECK(*hook > 0);
	CHECK(strncmp(sec, "whsec_", 6) == 0 && strlen(sec) > 30);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/webhooks", NULL, NULL,
			 &j, NULL),
		  200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	{
		char *text = cJSON_PrintUnformatted(j);
		CHECK(text && !strstr(text, "whsec_"));
		free(text);
	}
	CHECK(cJSON_GetObjectItem(
		  cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0),
		  "secret") == NULL);
	cJSON_Delete(j);
	CHECK(audit_has("webhook.create") >= 1);
	/* staff may not */
	CHECK_INT(bt_req(&H, &staff, "GET", "/api/v1/admin/webhooks", NULL,
			 NULL, NULL, NULL),
		  403);
	/* bad input: 422 naming the field */
	snprintf(body, sizeof(body),
		 "{\"url\":\"%s\",\"events\":[\"booking.nope\"]}", url);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/webhooks", body,
			 NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "events") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/webhooks",
			 "{\"events\":[\"booking.created\"]}", NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "url") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/webhooks",
			 "{\"url\":\"http://127.0.0.1:1/\",\"events\":[]}",
			 NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET",
			 "/api/v1/admin/webhooks/999/deliveries", NULL, NULL,
			 NULL, NULL),
		  404);
	CHECK_INT(bt_req(&H, &root, "DELETE", "/api/v1/admin/webhooks/999",
			 NULL, NULL, NULL, NULL),
		  404);
}

/* Signed deliveries in order per booking. */
static void test_delivery(receiver *r1, const char *sec)
{
	long long a = book(9, "Alpha"), b = book(11, "Beta");
	char start[40], body[96], types[256];
	int dups, ok = 1;
	CHECK(a > 0 && b > 0);
	bt_slot(D1, 14, 0, start);
	snprintf(body, sizeof(body), "{\"start\":\"%s\"}", start);
	CHECK_INT(change(a, "reschedule", body), 200);
	CHECK_INT(change(a, "cancel", "{\"reason\":\"ill\"}"), 200);
	CHECK_INT(change(b, "outcome", "{\"outcome\":\"cancelled\"}"), 200);
	CHECK(wait_hits(r1, 5, 200, 20));
	pthread_mutex_lock(&r1->mu);
	for (int i = 0; i < r1->n; i++) {
		ok &= rcv_verify(&r1->hits[i], sec);
		ok &= strncmp(r1->hits[i].id, "msg_", 4) == 0;
		ok &= labs(atol(r1->hits[i].ts) - (long)time(NULL)) < 60;
	}
	CHECK(ok);
	CHECK(
	    !rcv_verify(&r1->hits[0],
			"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	types_of(r1, a, types, sizeof(types), &dups);
	CHECK_STR(types,
		  "booking.created booking.rescheduled booking.cancelled");
	types_of(r1, b, types, sizeof(types), &dups);
	CHECK_STR(types, "booking.created booking.outcome");
	CHECK_INT(dups, 0);
	{
		cJSON *j = cJSON_Parse(r1->hits[0].body);
		cJSON *d = cJSON_GetObjectItem(j, "data");
		CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "timestamp")));
		CHECK(cJSON_IsString(cJSON_GetObjectItem(d, "start")));
		CHECK(cJSON_IsString(cJSON_GetObjectItem(d, "status")));
		cJSON_Delete(j);
	}
	pthread_mutex_unlock(&r1->mu);
}

/* Counts deliveries of hook in the log with state st and attempts >= min. */
static int log_count(long long hook, const char *st, int min_attempts,
		     int *max_attempts)
{
	char path[96];
	cJSON *j = NULL, *it;
	int n = 0;
	*max_attempts = 0;
	snprintf(path, sizeof(path), "/api/v1/admin/webhooks/%lld/deliveries",
		 hook);
	if (bt_req(&H, &root, "GET", path, NULL, NULL, &j, NULL) != 200)
		return -1;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		int att = (int)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "attempts"));
		if (att > *max_attempts)
			*max_attempts = att;
		if (strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "state")),
			st) == 0 &&
		    att >= min_attempts)
			n++;
	}
	cJSON_Delete(j);
	return n;
}

/* Fails, times out, then recovers: everything arrives once, in order. */
static void test_recovery(receiver *r1, long long hook)
{
	int before = rcv_count(r1), dups, maxa, i;
	long long c, d;
	char start[40], body[96], types[256];
	r1->mode = RCV_FAIL;
	c = book(16, "Gamma");
	d = book(18, "Delta");
	CHECK(c > 0 && d > 0);
	bt_slot(D1, 20, 0, start);
	snprintf(body, sizeof(body), "{\"start\":\"%s\"}", start);
	CHECK_INT(change(c, "reschedule", body), 200);
	CHECK_INT(change(d, "cancel", "{\"reason\":\"x\"}"), 200);
	/* a few failed attempts; nothing after the first of each booking
	 * may overtake it */
	CHECK(wait_hits(r1, before + 4, 500, 30));
	CHECK(log_count(hook, "pending", 1, &maxa) >= 2);
	r1->mode = RCV_SLOW; /* longer than timeout_ms */
	sleep(5);
	r1->mode = RCV_OK;
	for (i = 0; i < 300 && log_count(hook, "pending", 0, &maxa) != 0; i++)
		usleep(100000);
	CHECK_INT(log_count(hook, "pending", 0, &maxa), 0);
	CHECK(maxa >= 3);
	CHECK_INT(log_count(hook, "failed", 0, &maxa), 0);
	CHECK(wait_hits(r1, 9, 200, 5)); /* 5 before, 4 now */
	pthread_mutex_lock(&r1->mu);
	types_of(r1, c, types, sizeof(types), &dups);
	CHECK_STR(types, "booking.created booking.rescheduled");
	types_of(r1, d, types, sizeof(types), &dups);
	CHECK_STR(types, "booking.created booking.cancelled");
	CHECK_INT(dups, 0);
	pthread_mutex_unlock(&r1->mu);
}

/* A 302 is a failed attempt; the redirect target hears nothing. */
static void test_redirect(void)
{
	receiver r2, r3;
	char url[96], path[96];
	long long hook, e;
	int maxa;
	CHECK_INT(rcv_start(&r2), 0);
	CHECK_INT(rcv_start(&r3), 0);
	r2.mode = RCV_REDIRECT;
	snprintf(r2.redirect_to, sizeof(r2.redirect_to),
		 "http://127.0.0.1:%d/elsewhere", r3.port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", r2.port);
	hook = add_hook(url, NULL, 0);
	CHECK(hook > 0);
	e = book(9, "Epsilon");
	CHECK(e > 0);
	CHECK(wait_hits(&r2, 2, 302, 20));
	CHECK_INT(rcv_count(&r3), 0);
	CHECK(log_count(hook, "pending", 1, &maxa) >= 1);
	{
		char p2[96];
		cJSON *j = NULL, *it;
		snprintf(p2, sizeof(p2),
			 "/api/v1/admin/webhooks/%lld/deliveries", hook);
		CHECK_INT(bt_req(&H, &root, "GET", p2, NULL, NULL, &j, NULL),
			  200);
		it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
		CHECK_INT((long)cJSON_GetNumberValue(
			      cJSON_GetObjectItem(it, "status_code")),
			  302);
		CHECK(cJSON_IsNull(cJSON_GetObjectItem(it, "delivered_at")));
		CHECK_STR(
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "event")),
		    "booking.created");
		cJSON_Delete(j);
	}
	snprintf(path, sizeof(path), "/api/v1/admin/webhooks/%lld", hook);
	CHECK_INT(bt_req(&H, &root, "DELETE", path, NULL, NULL, NULL, NULL),
		  204);
	CHECK(audit_has("webhook.delete") >= 1);
	snprintf(path, sizeof(path), "/api/v1/admin/webhooks/%lld/deliveries",
		 hook);
	CHECK_INT(bt_req(&H, &root, "GET", path, NULL, NULL, NULL, NULL), 404);
	rcv_stop(&r2);
	rcv_stop(&r3);
}

/* Without allow_private: every non-public target is refused. */
static void test_refusals(void)
{
	static const char *const bad[] = {
	    "http://127.0.0.1:9/h",
	    "http://localhost:9/h",
	    "http://[::1]:9/h",
	    "http://10.1.2.3/h",
	    "http://172.16.5.4/h",
	    "http://192.168.0.10/h",
	    "http://169.254.169.254/latest",
	    "http://[fe80::1]/h",
	    "http://[fd00::1]/h",
	    "http://[::ffff:127.0.0.1]/h",
	    "http://0.0.0.0/h",
	    "http://100.64.0.1/h",
	    "ftp://example.com/h",
	    "file:///etc/passwd",
	    "gopher://example.com/h",
	    "http://user:pw@example.com/h",
	    "not a url",
	    "http:///nohost",
	};
	hubproc h2 = H;
	int ok = 0;
	if (bt_start(&H, "Anna:anna@example.com",
		     "grid = mon-thu 09:00 11:00\n") != 0) {
		CHECK(0);
		H = h2;
		return;
	}
	if (bt_user_add(&H, "root", "admin") != 0 ||
	    bt_login(&H, "root", &root) != 0)
		CHECK(0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[256];
		cJSON *j = NULL;
		long st;
		snprintf(body, sizeof(body),
			 "{\"url\":\"%s\",\"events\":[\"booking.created\"]}",
			 bad[i]);
		st = bt_req(&H, &root, "POST", "/api/v1/admin/webhooks", body,
			    NULL, &j, NULL);
		if (st == 422 && strstr(bt_err_msg(j), "url"))
			ok++;
		else
			fprintf(stderr, "FAIL not refused: %s (%ld)\n", bad[i],
				st);
		cJSON_Delete(j);
	}
	CHECK_INT(ok, (int)(sizeof(bad) / sizeof(bad[0])));
	CHECK_INT(hubproc_stop(&H, 15), 0);
	hubproc_cleanup(&H);
	H = h2;
}

int main(void)
{
	receiver r1;
	char sec[64] = "";
	long long hook = 0;
	int rc;

	if (hub_time_init("Europe/Berlin") != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	D1 = bt_workday(hub_date_add(hub_date_today(), 3), BT_MON_THU);
	if (rcv_start(&r1) != 0 ||
	    bt_start(&H, "Anna:anna@example.com,Ben:ben@example.com",
		     WH_CONF "allow_private = true\n") != 0) {
		fprintf(stderr, "receiver or hubd did not start\n");
		return 1;
	}
	rc = bt_user_add(&H, "alice", "staff") |
	     bt_user_add(&H, "root", "admin");
	if (rc == 0)
		rc =
		    bt_login(&H, "alice", &staff) | bt_login(&H, "root", &root);
	CHECK_INT(rc, 0);
	if (rc == 0) {
		test_admin_api(&r1, &hook, sec);
		test_delivery(&r1, sec);
		test_recovery(&r1, hook);
		test_redirect();
	}
	CHECK_INT(hubproc_stop(&H, 15), 0);
	hubproc_cleanup(&H);
	rcv_stop(&r1);
	test_refusals();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
