/*
 * test_cal_client.c - the Google client against the fake server: the
 * JWT token exchange and its cache, paging across pages, sync tokens and
 * 410, retries with backoff (429, 403 rate limits, 5xx, Retry-After), no
 * retry of other 4xx, timeouts on a hanging server, malformed, truncated,
 * HTML and wrongly typed answers, rejected credentials (health FAIL), a
 * revoked token (401), insert/patch/delete semantics, freeBusy, and the
 * metrics that count all of it.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"
#include "check.h"

#include "hub_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ALICE "alice@example.com"
#define BOB   "c_1+bob@group.calendar.google.com"

static char *g_dir;
static fake_gcal *g_f;
static char g_creds[512];

static int start_with(const char *creds, unsigned budget_ms,
		      unsigned timeout_ms)
{
	hub_cal_config c;
	char err[256];
	ctu_config(&c, g_f, creds);
	if (budget_ms)
		c.retry_budget_ms = budget_ms;
	if (timeout_ms)
		c.request_timeout_ms = timeout_ms;
	ctu_api_reset();
	if (hub_cal_init_with(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "init: %s\n", err);
		return -1;
	}
	return hub_cal_register(NULL, ctu_api());
}

static int list_full(const char *cal, hub_cal_page *pg, char *err, size_t n)
{
	hub_cal_list_opts o = {0};
	o.time_min = 1767225600; /* 2026-01-01 */
	o.time_max = 1798761600; /* 2027-01-01 */
	return hub_cal_g_list(cal, &o, pg, err, n);
}

/* ======================================================== token, paging */

static void test_token_and_paging(void)
{
	hub_cal_page pg = {0};
	hub_cal_list_opts o = {0};
	char err[256], id[16], start[40], end[40], *q, *token = NULL;

	for (int i = 1; i <= 7; i++) {
		snprintf(id, sizeof(id), "alice%02d", i);
		snprintf(start, sizeof(start), "2026-06-%02dT09:00:00+02:00",
			 10 - i);
		snprintf(end, sizeof(end), "2026-06-%02dT10:00:00+02:00",
			 10 - i);
		CHECK_INT(
		    fake_gcal_add(g_f, ALICE, id, "busy", start, end, NULL), 0);
	}
	fake_gcal_add(g_f, BOB, "bob01", "T1 bereit",
		      "2026-06-01T09:00:00+02:00", "2026-06-01T18:00:00+02:00",
		      "4");
	fake_gcal_set_page_cap(g_f, 2);
	fake_gcal_reset_counts(g_f);

	CHECK_INT(list_full(ALICE, &pg, err, sizeof(err)), HUB_CAL_OK);
	CHECK_INT(pg.n, 7);
	CHECK(pg.next_sync_token != NULL);
	CHECK(pg.next_page_token == NULL);
	CHECK_INT(fake_gcal_requests(g_f, "list"), 4); /* 2+2+2+1 */
	CHECK_INT(fake_gcal_requests(g_f, "token"), 1);
	CHECK_INT(fake_gcal_jwt_failures(g_f), 0);
	q = fake_gcal_last_list_query(g_f);
	CHECK(strstr(q, "singleEvents=true") && strstr(q, "timeMin=") &&
	      strstr(q, "timeMax=") && strstr(q, "pageToken=") &&
	      !strstr(q, "orderBy") && !strstr(q, "syncToken"));
	free(q);
	if (pg.next_sync_token)
		token = strdup(pg.next_sync_token);
	hub_cal_page_free(&pg);

	/* the token is cached: no second exchange */
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
	CHECK_INT(pg.n, 1);
	if (pg.n == 1) {
		CHECK_STR(pg.items[0].summary, "T1 bereit");
		CHECK_STR(pg.items[0].color_id, "4");
	}
	hub_cal_page_free(&pg);
	CHECK_INT(fake_gcal_requests(g_f, "token"), 1);

	/* orderBy=startTime: sorted, and (like Google) no sync token */
	o.order_by_start = 1;
	o.time_min = 1767225600;
	CHECK_INT(hub_cal_g_list(ALICE, &o, &pg, err, sizeof(err)), HUB_CAL_OK);
	CHECK_INT(pg.n, 7);
	CHECK(pg.next_sync_token == NULL);
	for (size_t i = 1; i < pg.n; i++)
		CHECK(pg.items[i - 1].start_utc <= pg.items[i].start_utc);
	hub_cal_page_free(&pg);

	/* incremental: only what changed, deletions included */
	fake_gcal_add(g_f, ALICE, "alice08", "new", "2026-06-20T09:00:00Z",
		      "2026-06-20T10:00:00Z", NULL);
	fake_gcal_cancel(g_f, ALICE, "alice01");
	memset(&o, 0, sizeof(o));
	o.sync_token = token;
	CHECK_INT(hub_cal_g_list(ALICE, &o, &pg, err, sizeof(err)), HUB_CAL_OK);
	CHECK_INT(pg.n, 2);
	{
		int saw_new = 0, saw_cancel = 0;
		for (size_t i = 0; i < pg.n; i++) {
			saw_new |= strcmp(pg.items[i].id, "alice08") == 0 &&
				   !pg.items[i].cancelled;
			saw_cancel |= strcmp(pg.items[i].id, "alice01") == 0 &&
				      pg.items[i].cancelled;
		}
		CHECK(saw_new && saw_cancel);
	}
	CHECK(pg.next_sync_token && token &&
	      strcmp(pg.next_sync_token, token) != 0);
	q = fake_gcal_last_list_query(g_f);
	CHECK(strstr(q, "syncToken=") && !strstr(q, "timeMin") &&
	      !strstr(q, "timeMax") && !strstr(q, "orderBy"));
	free(q);
	hub_cal_page_free(&pg);

	/* the server forgets its tokens: 410, not retried */
	fake_gcal_expire_sync_tokens(g_f);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(hub_cal_g_list(ALICE, &o, &pg, err, sizeof(err)),
		  HUB_CAL_EGONE);
	CHECK_INT(fake_gcal_requests(g_f, "list"), 1);
	CHECK(pg.n == 0 && pg.items == NULL);
	free(token);
	fake_gcal_set_page_cap(g_f, 250);

	/* the token is renewed 60 s before it expires */
	fake_gcal_set_token_lifetime(g_f, 61);
	hub_cal_token_invalidate();
	fake_gcal_reset_counts(g_f);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
	hub_cal_page_free(&pg);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
	hub_cal_page_free(&pg);
	CHECK_INT(fake_gcal_requests(g_f, "token"), 1);
	hub_cal_sleep_ms(1100);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
	hub_cal_page_free(&pg);
	CHECK_INT(fake_gcal_requests(g_f, "token"), 2);
	fake_gcal_set_token_lifetime(g_f, 3600);
}

/* ============================================================= retries */

/* Runs one full list of BOB with fault `ft` queued `count` times; returns
 * the result, the list requests seen and the elapsed ms. */
static int with_fault(enum fake_fault ft, int count, unsigned *reqs,
		      int64_t *ms)
{
	hub_cal_page pg = {0};
	char err[256];
	int64_t t0;
	int rc;
	fake_gcal_clear_faults(g_f);
	fake_gcal_fault(g_f, "list", ft, count);
	fake_gcal_reset_counts(g_f);
	t0 = hub_cal_mono_ms();
	rc = list_full(BOB, &pg, err, sizeof(err));
	*ms = hub_cal_mono_ms() - t0;
	*reqs = fake_gcal_requests(g_f, "list");
	hub_cal_page_free(&pg);
	fake_gcal_clear_faults(g_f);
	return rc;
}

static void test_retries(void)
{
	unsigned n;
	int64_t ms;
	double retries0 = ctu_metric("hub_calendar_retries_total", NULL);

	/* 429 twice: backoff 25..50 then 50..100 ms, third try succeeds */
	CHECK_INT(with_fault(FAKE_429, 2, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 3);
	CHECK(ms >= 75);
	CHECK(ctu_metric("hub_calendar_retries_total", NULL) - retries0 >= 2);
	CHECK(ctu_metric("hub_calendar_requests_total",
			 "endpoint=\"events.list\",status=\"429\"") >= 2);
	/* Retry-After is honoured (capped by backoff_max_ms = 400) */
	fake_gcal_set_retry_after(g_f, 1);
	CHECK_INT(with_fault(FAKE_429, 1, &n, &ms), HUB_CAL_OK);
	CHECK(ms >= 390);
	fake_gcal_set_retry_after(g_f, 0);
	CHECK_INT(with_fault(FAKE_403_RATE, 2, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 3);
	CHECK_INT(with_fault(FAKE_403_USER, 1, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 2);
	CHECK_INT(with_fault(FAKE_500, 2, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 3);
	CHECK_INT(with_fault(FAKE_503, 1, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 2);
	/* other 4xx are final */
	CHECK_INT(with_fault(FAKE_403_FORBID, 3, &n, &ms), HUB_CAL_EPERM);
	CHECK_INT(n, 1);
	CHECK_INT(with_fault(FAKE_400, 3, &n, &ms), HUB_CAL_EPERM);
	CHECK_INT(n, 1);
	/* a server that hangs: the timeout (1 s) fires, the retry works */
	CHECK_INT(start_with(g_creds, 0, 1000), 0);
	fake_gcal_set_hang_ms(g_f, 3000);
	CHECK_INT(with_fault(FAKE_HANG, 1, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 2);
	CHECK(ms >= 950 && ms < 2900);
	CHECK(ctu_metric("hub_calendar_requests_total", "status=\"timeout\"") >=
	      1);
	CHECK_INT(start_with(g_creds, 0, 0), 0);
	/* broken answers: never a crash; truncation is a transport error
	 * (retried), bad JSON with a 200 is not retried */
	CHECK_INT(with_fault(FAKE_TRUNCATED, 2, &n, &ms), HUB_CAL_OK);
	CHECK_INT(n, 3);
	CHECK_INT(with_fault(FAKE_MALFORMED, 1, &n, &ms), HUB_CAL_EPARSE);
	CHECK_INT(n, 1);
	CHECK_INT(with_fault(FAKE_HTML, 1, &n, &ms), HUB_CAL_EPARSE);
	{
		hub_cal_page pg = {0};
		char err[256];
		fake_gcal_fault(g_f, "list", FAKE_WRONG_TYPES, 1);
		CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
		CHECK_INT(pg.n, 0);
		CHECK_INT(pg.skipped, 6);
		CHECK(pg.next_sync_token == NULL);
		hub_cal_page_free(&pg);
	}
}

/* The retry budget bounds a call against a server that keeps failing. */
static void test_budget(void)
{
	unsigned n;
	int64_t ms;
	double giveups = ctu_metric("hub_calendar_giveups_total", NULL);
	CHECK_INT(start_with(g_creds, 1500, 0), 0);
	CHECK_INT(with_fault(FAKE_500, 1000, &n, &ms), HUB_CAL_ERETRY);
	CHECK(n >= 3);
	/* bounded by the 1.5 s budget (the default budget here is 15 s) */
	CHECK(ms < 4000);
	CHECK(ctu_metric("hub_calendar_giveups_total", NULL) - giveups >= 1);
	CHECK_INT(start_with(g_creds, 0, 0), 0);
}

/* ======================================================= writes, freeBusy */

static void test_writes(void)
{
	const hub_cal_backend_ops *be = hub_cal_be();
	const char *body = "{\"id\":\"hubabc123\",\"summary\":\"Muster, Max\","
			   "\"start\":{\"dateTime\":\"2026-06-01T09:00:00+02:00"
			   "\"},\"end\":{\"dateTime\":\"2026-06-01T11:00:00+02:"
			   "00\"},\"colorId\":\"2\"}";
	const char *ev =
	    "{\"summary\":\"Muster, Max\",\"colorId\":\"7\","
	    "\"start\":{\"dateTime\":\"2026-06-01T09:00:00+02:00\"},"
	    "\"end\":{\"dateTime\":\"2026-06-01T11:00:00+02:00\"}}";
	char err[256], *got;
	double conflicts0 =
	    ctu_metric("hub_calendar_insert_conflicts_total", NULL);

	CHECK_INT(hub_cal_g_insert(ALICE, body, err, sizeof(err)), HUB_CAL_OK);
	CHECK_INT(hub_cal_g_insert(ALICE, body, err, sizeof(err)),
		  HUB_CAL_ECONFLICT);
	CHECK_INT(hub_cal_g_patch(ALICE, "hubabc123", "{\"colorId\":\"11\"}",
				  err, sizeof(err)),
		  HUB_CAL_OK);
	got = fake_gcal_event_json(g_f, ALICE, "hubabc123");
	CHECK(got && strstr(got, "\"colorId\":\"11\""));
	free(got);
	CHECK_INT(hub_cal_g_patch(ALICE, "hubnothere", "{}", err, sizeof(err)),
		  HUB_CAL_ENOTFOUND);
	CHECK_INT(hub_cal_g_delete(ALICE, "hubabc123", err, sizeof(err)),
		  HUB_CAL_OK);
	/* already deleted (410) and never existing (404) count as done */
	CHECK_INT(hub_cal_g_delete(ALICE, "hubabc123", err, sizeof(err)),
		  HUB_CAL_OK);
	CHECK_INT(hub_cal_g_delete(ALICE, "hubnothere", err, sizeof(err)),
		  HUB_CAL_OK);
	/* an id outside base32hex is refused by the server, not retried */
	CHECK_INT(hub_cal_g_insert(ALICE,
				   "{\"id\":\"HUB-X\",\"start\":{},"
				   "\"end\":{}}",
				   err, sizeof(err)),
		  HUB_CAL_EPERM);

	/* the backend's upsert: insert, then 409 -> patch, no duplicate */
	CHECK_INT(be->upsert(ALICE, "hubup00001", "booking:1", ev, 0, err,
			     sizeof(err)),
		  HUB_CAL_OK);
	CHECK_INT(be->upsert(ALICE, "hubup00001", "booking:1",
			     "{\"summary\":\"Muster, Max\",\"colorId\":\"11\","
			     "\"start\":{\"dateTime\":\"2026-06-01T09:00:00+02:"
			     "00\"},\"end\":{\"dateTime\":\"2026-06-01T11:00:"
			     "00+02:00\"}}",
			     0, err, sizeof(err)),
		  HUB_CAL_OK);
	CHECK_INT(ctu_metric("hub_calendar_insert_conflicts_total", NULL) -
		      conflicts0,
		  1);
	got = fake_gcal_event_json(g_f, ALICE, "hubup00001");
	CHECK(got && strstr(got, "\"colorId\":\"11\"") &&
	      strstr(got, "\"hub_key\":\"booking:1\""));
	free(got);
	/* a deleted event comes back through the patch (status confirmed) */
	CHECK_INT(be->remove(ALICE, "hubup00001", err, sizeof(err)),
		  HUB_CAL_OK);
	CHECK_INT(fake_gcal_count(g_f, ALICE, 0), 7); /* alice02..08 */
	CHECK_INT(be->upsert(ALICE, "hubup00001", "booking:1", ev, 1, err,
			     sizeof(err)),
		  HUB_CAL_OK);
	got = fake_gcal_event_json(g_f, ALICE, "hubup00001");
	CHECK(got && strstr(got, "\"status\":\"confirmed\""));
	free(got);
	CHECK_INT(fake_gcal_count(g_f, ALICE, 1), 10);
	CHECK_INT(
	    be->upsert(ALICE, "hubup00002", "k", "[1]", 0, err, sizeof(err)),
	    HUB_CAL_EPERM);
}

static void test_freebusy(void)
{
	hub_cal_busy *b = NULL;
	size_t n = 0;
	char err[256];
	CHECK_INT(hub_cal_g_freebusy(BOB, 1780000000, 1781000000, &b, &n, err,
				     sizeof(err)),
		  HUB_CAL_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(b[0].end_utc - b[0].start_utc, 9 * 3600);
	free(b);
	CHECK_INT(hub_cal_g_freebusy("nobody@example.com", 1780000000,
				     1781000000, &b, &n, err, sizeof(err)),
		  HUB_CAL_EPARSE);
	CHECK(strstr(err, "notFound") != NULL);
}

/* ================================================ token trouble, health */

static void test_token_trouble(void)
{
	hub_cal_page pg = {0};
	hub_health_result h;
	char err[256], path[600];
	unsigned tokens;

	/* a revoked access token: 401, one refresh, success */
	fake_gcal_revoke_tokens(g_f);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
	hub_cal_page_free(&pg);
	CHECK_INT(fake_gcal_requests(g_f, "token"), 1);
	CHECK_INT(fake_gcal_requests(g_f, "list"), 2);

	/* unreadable token answers: the call fails, nothing is cached */
	hub_cal_token_invalidate();
	fake_gcal_fault(g_f, "token", FAKE_WRONG_TYPES, 1);
	CHECK(list_full(BOB, &pg, err, sizeof(err)) != HUB_CAL_OK);
	CHECK(strstr(err, "no access token") != NULL);
	fake_gcal_fault(g_f, "token", FAKE_MALFORMED, 1);
	CHECK(list_full(BOB, &pg, err, sizeof(err)) != HUB_CAL_OK);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_OK);
	hub_cal_page_free(&pg);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);

	/* a key Google does not know: invalid_grant, credentials broken,
	 * health FAIL, and no more token requests are sent */
	snprintf(path, sizeof(path), "%s/other", g_dir);
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(ctu_make_key(path, 2048), 0);
	snprintf(path, sizeof(path), "%s/other/key.pem", g_dir);
	{
		char creds2[600];
		snprintf(creds2, sizeof(creds2), "%s/other/creds.json", g_dir);
		CHECK_INT(
		    ctu_write_creds(creds2, path, fake_gcal_token_uri(g_f)), 0);
		CHECK_INT(start_with(creds2, 0, 0), 0);
	}
	fake_gcal_reset_counts(g_f);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_EAUTH);
	CHECK_INT(fake_gcal_jwt_failures(g_f), 1);
	tokens = fake_gcal_requests(g_f, "token");
	CHECK_INT(tokens, 1);
	CHECK(hub_cal_token_broken(err, sizeof(err)) == 1);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_FAIL);
	CHECK(strstr(h.detail, "invalid_grant") != NULL);
	CHECK(strstr(h.detail, "signature") != NULL);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_EAUTH);
	CHECK_INT(fake_gcal_requests(g_f, "token"), tokens);
	CHECK_INT(fake_gcal_requests(g_f, "list"), 0);

	/* the same through an explicit invalid_grant answer */
	CHECK_INT(start_with(g_creds, 0, 0), 0);
	fake_gcal_fault(g_f, "token", FAKE_INVALID_GRANT, 1);
	CHECK_INT(list_full(BOB, &pg, err, sizeof(err)), HUB_CAL_EAUTH);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_FAIL);
	CHECK_INT(start_with(g_creds, 0, 0), 0);
}

static void test_metrics(void)
{
	/* every request the server saw went through the governor */
	CHECK(ctu_metric("hub_calendar_requests_total",
			 "endpoint=\"events.list\",status=\"200\"") > 0);
	CHECK(ctu_metric("hub_calendar_requests_total",
			 "endpoint=\"token\",status=\"200\"") > 0);
	CHECK(ctu_metric("hub_calendar_requests_total",
			 "endpoint=\"events.insert\",status=\"409\"") >= 1);
	CHECK(ctu_metric("hub_calendar_quota_limit", NULL) == 180);
}

int main(void)
{
	hub_time_init("Europe/Berlin");
	g_dir = ctu_tmpdir();
	if (!g_dir || ctu_make_key(g_dir, 2048) != 0)
		return 1;
	{
		char pub[512];
		snprintf(pub, sizeof(pub), "%s/pub.pem", g_dir);
		g_f = fake_gcal_start(pub, CTU_EMAIL);
	}
	snprintf(g_creds, sizeof(g_creds), "%s/creds.json", g_dir);
	{
		char key[512];
		snprintf(key, sizeof(key), "%s/key.pem", g_dir);
		if (!g_f || ctu_write_creds(g_creds, key,
					    fake_gcal_token_uri(g_f)) != 0)
			return 1;
	}
	{
		char err[256];
		CHECK_INT(hub_store_open(g_dir, err, sizeof(err)), 0);
		CHECK_INT(start_with(g_creds, 0, 0), 0);
		CHECK_INT(hub_cal_migrate(err, sizeof(err)), 0);
	}
	fake_gcal_add_calendar(g_f, BOB);
	test_token_and_paging();
	test_retries();
	test_budget();
	test_writes();
	test_freebusy();
	test_token_trouble();
	test_metrics();
	hub_cal_shutdown();
	ctu_api_reset();
	hub_store_close();
	fake_gcal_stop(g_f);
	ctu_rmrf(g_dir);
	free(g_dir);
	return check_report("calendar.client");
}
