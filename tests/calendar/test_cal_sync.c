/*
 * test_cal_sync.c - the mirror and the sync job against the fake server
 * and a real store: two consultants' calendars stay apart (the old cache
 * gave everyone the first one's events), DST-day events keep their
 * offsets, incremental sync with the stored token, 410 -> full resync, a
 * failed or untrustworthy sync keeps the previous mirror and degrades
 * /health, idle calendars are dropped, the `local` backend, hub_cal_init
 * from a configuration text, and the figure: Google requests per 1,000
 * slot-page views with a warm mirror.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"
#include "check.h"

#include "host/host.h"
#include "hub_time.h"
#include "sched/sched.h"
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALICE	"alice@example.com"
#define BOB	"bob@example.com"
#define CENTRAL "central@group.calendar.google.com"

static char *g_dir;
static fake_gcal *g_f;
static char g_creds[512];

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	hub_time_parse(rfc3339, &t);
	return t;
}

static int start(const char *backend)
{
	hub_cal_config c;
	char err[256];
	ctu_config(&c, g_f, g_creds);
	snprintf(c.backend, sizeof(c.backend), "%s", backend);
	c.sync_past_days = 400; /* the DST days of 2026 stay in the window */
	c.sync_future_days = 400;
	ctu_api_reset();
	if (hub_cal_init_with(&c, err, sizeof(err)) != 0 ||
	    hub_cal_migrate(err, sizeof(err)) != 0) {
		fprintf(stderr, "start: %s\n", err);
		return -1;
	}
	return hub_cal_register(NULL, ctu_api());
}

static int run_sync(char *err, size_t n)
{
	const hub_job *j = ctu_job("calendar_sync");
	err[0] = '\0';
	return j ? j->fn(j->userdata, err, n) : -99;
}

/* Events of cal on the local day `date` (YYYY-MM-DD). */
static int day_events(const char *cal, const char *date, hub_cal_event **ev)
{
	hub_date d;
	int64_t a, b;
	hub_date_parse(date, &d);
	hub_time_from_local(d, 0, 0, &a);
	hub_time_from_local(hub_date_add(d, 1), 0, 0, &b);
	return hub_cal_events(cal, a, b, ev);
}

static int has_event(const hub_cal_event *ev, int n, const char *summary)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ev[i].summary, summary) == 0)
			return 1;
	return 0;
}

/* ==================================================== two consultants */

static void test_registration(void)
{
	const hub_job *j = ctu_job("calendar_sync");
	CHECK(j && j->interval_s == 120 && j->cluster_once == 1);
	j = ctu_job("calendar_outbox");
	CHECK(j && j->interval_s > 0 && j->cluster_once == 1);
	j = ctu_job("calendar_ids");
	CHECK(j && j->cluster_once == 0);
}

static void test_two_consultants(void)
{
	hub_cal_event *ev = NULL;
	char err[512];
	int n;

	fake_gcal_add(g_f, ALICE, "a1", "T1 bereit",
		      "2026-04-14T09:00:00+02:00", "2026-04-14T18:00:00+02:00",
		      "4");
	fake_gcal_add(g_f, ALICE, "a2", "Zahnarzt", "2026-04-14T11:00:00+02:00",
		      "2026-04-14T12:00:00+02:00", NULL);
	fake_gcal_add(g_f, BOB, "b1", "T1 bereit", "2026-04-14T14:00:00+02:00",
		      "2026-04-14T20:00:00+02:00", "4");
	fake_gcal_add_calendar(g_f, CENTRAL);

	/* before any sync: nothing, and no request to Google */
	fake_gcal_reset_counts(g_f);
	CHECK_INT(day_events(ALICE, "2026-04-14", &ev), 0);
	CHECK(ev == NULL);
	CHECK_INT(day_events(BOB, "2026-04-14", &ev), 0);
	CHECK_INT(fake_gcal_requests(g_f, NULL), 0);

	CHECK_INT(run_sync(err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "sync: %s\n", err);
	/* central + the two ids asked for */
	CHECK_INT(fake_gcal_requests(g_f, "list"), 3);

	n = day_events(ALICE, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(ev[0].summary, "T1 bereit");
		CHECK_STR(ev[0].color_id, "4");
		CHECK_INT(ev[0].start_utc, at("2026-04-14T07:00:00Z"));
		CHECK_INT(ev[0].end_utc, at("2026-04-14T16:00:00Z"));
		CHECK_STR(ev[1].summary, "Zahnarzt");
		CHECK_STR(ev[1].id, "a2");
	}
	hub_cal_free(ev);
	n = day_events(BOB, "2026-04-14", &ev);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(ev[0].id, "b1");
		CHECK_INT(ev[0].start_utc, at("2026-04-14T12:00:00Z"));
		CHECK(!has_event(ev, n, "Zahnarzt"));
	}
	hub_cal_free(ev);
	/* a range query clips: only what overlaps [11:30, 11:45) */
	n = hub_cal_events(ALICE, at("2026-04-14T11:30:00+02:00"),
			   at("2026-04-14T11:45:00+02:00"), &ev);
	CHECK_INT(n, 2);
	hub_cal_free(ev);
	n = hub_cal_events(ALICE, at("2026-04-14T18:00:00+02:00"),
			   at("2026-04-14T19:00:00+02:00"), &ev);
	CHECK_INT(n, 0);
	hub_cal_free(ev);
	/* bad arguments */
	CHECK_INT(hub_cal_events(NULL, 0, 10, &ev), -1);
	CHECK_INT(hub_cal_events("", 0, 10, &ev), -1);
	CHECK_INT(hub_cal_events(ALICE, 10, 0, &ev), 0);
	CHECK_INT(hub_cal_events(ALICE, 0, 10, NULL), -1);
}

/* ============================================================= DST days */

static void test_dst(void)
{
	hub_cal_event *ev = NULL;
	char err[512];
	int n;

	fake_gcal_add(g_f, CENTRAL, "d1", "spring", "2026-03-29T03:30:00+02:00",
		      "2026-03-29T05:30:00+02:00", "2");
	fake_gcal_add(g_f, CENTRAL, "d2", "autumn-first",
		      "2026-10-25T02:30:00+02:00", "2026-10-25T03:30:00+01:00",
		      NULL);
	fake_gcal_add(g_f, CENTRAL, "d3", "autumn-second",
		      "2026-10-25T02:30:00+01:00", "2026-10-25T04:30:00+01:00",
		      NULL);
	fake_gcal_put_event(g_f, CENTRAL,
			    "{\"id\":\"d4\",\"summary\":\"Feiertag\",\"start\":"
			    "{\"date\":\"2026-03-29\"},\"end\":{\"date\":"
			    "\"2026-03-30\"}}");
	fake_gcal_put_event(g_f, CENTRAL,
			    "{\"id\":\"d5\",\"summary\":\"lang\",\"start\":"
			    "{\"date\":\"2026-10-25\"},\"end\":{\"date\":"
			    "\"2026-10-26\"}}");
	CHECK_INT(run_sync(err, sizeof(err)), 0);

	n = day_events(CENTRAL, "2026-03-29", &ev);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(ev[0].summary, "Feiertag");
		CHECK_INT(ev[0].all_day, 1);
		CHECK_INT(ev[0].start_utc, at("2026-03-28T23:00:00Z"));
		CHECK_INT(ev[0].end_utc - ev[0].start_utc, 23 * 3600);
		CHECK_STR(ev[1].summary, "spring");
		CHECK_INT(ev[1].start_utc, at("2026-03-29T01:30:00Z"));
		CHECK_INT(ev[1].end_utc - ev[1].start_utc, 2 * 3600);
	}
	hub_cal_free(ev);
	n = day_events(CENTRAL, "2026-10-25", &ev);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(ev[0].summary, "lang");
		CHECK_INT(ev[0].end_utc - ev[0].start_utc, 25 * 3600);
		CHECK_STR(ev[1].summary, "autumn-first");
		CHECK_INT(ev[1].start_utc, at("2026-10-25T00:30:00Z"));
		CHECK_INT(ev[1].end_utc, at("2026-10-25T02:30:00Z"));
		CHECK_STR(ev[2].summary, "autumn-second");
		CHECK_INT(ev[2].start_utc, at("2026-10-25T01:30:00Z"));
	}
	hub_cal_free(ev);
}

/* ====================================================== sync and 410 */

static void test_incremental_and_gone(void)
{
	hub_cal_event *ev = NULL;
	hub_health_result h;
	char err[512], *q;
	int n;
	double resync0 = ctu_metric("hub_calendar_full_resyncs_total", NULL);

	fake_gcal_cancel(g_f, ALICE, "a2");
	fake_gcal_add(g_f, ALICE, "a3", "Mittag", "2026-04-14T13:00:00+02:00",
		      "2026-04-14T14:00:00+02:00", NULL);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_sync(err, sizeof(err)), 0);
	q = fake_gcal_last_list_query(g_f);
	CHECK(strstr(q, "syncToken=") != NULL); /* incremental */
	free(q);
	n = day_events(ALICE, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	CHECK(has_event(ev, n, "Mittag") && !has_event(ev, n, "Zahnarzt"));
	hub_cal_free(ev);

	/* 410 Gone: the token is dropped and the calendar listed in full */
	fake_gcal_expire_sync_tokens(g_f);
	fake_gcal_add(g_f, BOB, "b2", "Urlaub", "2026-04-14T08:00:00+02:00",
		      "2026-04-14T09:00:00+02:00", NULL);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_sync(err, sizeof(err)), 0);
	CHECK_INT(fake_gcal_requests(g_f, "list"), 6); /* 3 x (410 + full) */
	CHECK_INT(ctu_metric("hub_calendar_full_resyncs_total", NULL) - resync0,
		  3);
	n = day_events(BOB, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	CHECK(has_event(ev, n, "Urlaub"));
	hub_cal_free(ev);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);
}

static void test_failures_keep_mirror(void)
{
	hub_cal_event *ev = NULL;
	hub_health_result h;
	char err[512];
	int n;

	/* Google refuses one calendar: the others sync, the mirror of the
	 * refused one stays, /health says which */
	fake_gcal_fault(g_f, "list", FAKE_403_FORBID, 1);
	CHECK(run_sync(err, sizeof(err)) != 0);
	CHECK(strstr(err, "1 of 3") != NULL);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_DEGRADED);
	CHECK(strstr(h.detail, "sync failing") != NULL);
	n = day_events(ALICE, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	hub_cal_free(ev);

	/* answers that are not trustworthy: wrong types (no sync token),
	 * malformed JSON, a truncated body (retried, then fine) */
	fake_gcal_fault(g_f, "list", FAKE_WRONG_TYPES, 3);
	CHECK(run_sync(err, sizeof(err)) != 0);
	CHECK(strstr(err, "nextSyncToken") != NULL);
	n = day_events(ALICE, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	hub_cal_free(ev);
	n = day_events(BOB, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	hub_cal_free(ev);
	fake_gcal_fault(g_f, "list", FAKE_MALFORMED, 3);
	CHECK(run_sync(err, sizeof(err)) != 0);
	n = day_events(ALICE, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	hub_cal_free(ev);
	fake_gcal_fault(g_f, "list", FAKE_TRUNCATED, 1);
	CHECK_INT(run_sync(err, sizeof(err)), 0);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);
	CHECK(ctu_metric("hub_calendar_syncs_total", "result=\"error\"") >= 7);
}

/* ============================================ copies of the many-query */

/* hub_cal_events_many of ALICE and BOB on 2026-04-14 into ev[8]. */
static int many_day(hub_cal_event *ev, int cap, int *first, int *counts)
{
	static const char *const ids[] = {ALICE, BOB};
	hub_date d;
	int64_t a, b;
	hub_date_parse("2026-04-14", &d);
	hub_time_from_local(d, 0, 0, &a);
	hub_time_from_local(hub_date_add(d, 1), 0, 0, &b);
	return hub_cal_events_many(ids, 2, a, b, ev, cap, first, counts);
}

static void test_many_copy(void)
{
	hub_cal_event e1[8], e2[8], small[1];
	int f1[2], c1[2], f2[2], c2[2], n1, n2;
	char err[512];

	/* the same answer twice, byte for byte (the second from the copy) */
	memset(e1, 0, sizeof(e1));
	memset(e2, 0, sizeof(e2));
	n1 = many_day(e1, 8, f1, c1);
	CHECK(n1 >= 3);
	n2 = many_day(e2, 8, f2, c2);
	CHECK_INT(n2, n1);
	CHECK(memcmp(e1, e2, sizeof(e1)) == 0);
	CHECK(memcmp(f1, f2, sizeof(f1)) == 0 &&
	      memcmp(c1, c2, sizeof(c1)) == 0);

	/* it is a copy: a change behind the mirror's back (no sync) is not
	 * seen until the mirror says it changed */
	CHECK_INT(hub_store_exec(hub_store_db(),
				 "UPDATE cal_events SET summary = 'Behind' "
				 "WHERE event_id = 'a3'"),
		  HUB_DB_OK);
	n2 = many_day(e2, 8, f2, c2);
	CHECK(n2 == n1 && has_event(e2, n2, "Mittag"));
	hub_cal_mirror_changed();
	n2 = many_day(e2, 8, f2, c2);
	CHECK(n2 == n1 && has_event(e2, n2, "Behind"));

	/* a sync that brings an event is seen at once */
	fake_gcal_add(g_f, ALICE, "a9", "Neukunde", "2026-04-14T15:00:00+02:00",
		      "2026-04-14T16:00:00+02:00", NULL);
	CHECK_INT(run_sync(err, sizeof(err)), 0);
	n2 = many_day(e2, 8, f2, c2);
	CHECK_INT(n2, n1 + 1);
	CHECK(has_event(e2, n2, "Neukunde") && c2[0] == c1[0] + 1);

	/* a buffer too small gets the total and what fits, never a copy
	 * of a part: the whole answer afterwards is still whole */
	CHECK_INT(many_day(small, 1, f2, c2), n1 + 1);
	CHECK_INT(many_day(e2, 8, f2, c2), n1 + 1);
	CHECK(has_event(e2, n1 + 1, "Neukunde"));
}

/* ============================================== idle calendars, ids job */

static void test_idle(void)
{
	hub_cal_event *ev = NULL;
	hub_db *db = hub_store_db();
	char err[512];
	int n;

	/* bob not asked for in 14 days: not synced, mirror dropped */
	CHECK_INT(hub_store_exec(db, "UPDATE cal_calendars SET last_seen = 0 "
				     "WHERE calendar_id = 'bob@example.com'"),
		  HUB_DB_OK);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_sync(err, sizeof(err)), 0);
	CHECK_INT(fake_gcal_requests(g_f, "list"), 2);
	/* asked again an hour later: recorded by the ids job, synced */
	hub_cal_test_set_clock_offset(3700);
	n = day_events(BOB, "2026-04-14", &ev);
	CHECK_INT(n, 0);
	hub_cal_free(ev);
	{
		const hub_job *j = ctu_job("calendar_ids");
		CHECK(j && j->fn(j->userdata, err, sizeof(err)) == 0);
	}
	CHECK_INT(run_sync(err, sizeof(err)), 0);
	n = day_events(BOB, "2026-04-14", &ev);
	CHECK_INT(n, 2);
	hub_cal_free(ev);
	hub_cal_test_set_clock_offset(0);
}

/* ============================================ the figure: warm mirror */

static _Atomic long g_views_ok;

/* One slot-page view: a week of both consultants and the central one. */
static int page_view(int64_t from)
{
	static const char *const cals[] = {ALICE, BOB, CENTRAL};
	int ok = 1;
	for (int c = 0; c < 3; c++) {
		hub_cal_event *ev = NULL;
		int n = hub_cal_events(cals[c], from, from + 7 * 86400, &ev);
		ok &= n >= 0;
		hub_cal_free(ev);
	}
	return ok;
}

static void *viewer(void *arg)
{
	int64_t from = at("2026-04-13T00:00:00+02:00");
	for (int i = 0; i < 250; i++)
		if (page_view(from + (int64_t)((long)arg + i) % 3 * 86400))
			atomic_fetch_add(&g_views_ok, 1);
	return NULL;
}

static void test_warm_mirror(void)
{
	pthread_t t[4];
	unsigned before;
	int64_t t0, ms;

	before = fake_gcal_requests(g_f, NULL);
	t0 = hub_cal_mono_ms();
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, viewer, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ms = hub_cal_mono_ms() - t0;
	CHECK_INT(atomic_load(&g_views_ok), 1000);
	CHECK_INT(fake_gcal_requests(g_f, NULL) - before, 0);
	printf("FIGURE: %u Google requests per 1000 slot-page views with a "
	       "warm mirror (3 calendars a view, 4 threads, %lld ms, %.3f ms "
	       "a view)\n",
	       fake_gcal_requests(g_f, NULL) - before, (long long)ms,
	       (double)ms / 1000.0);
}

/* ============================================ with the real scheduler */

/* The registered jobs on the real scheduler: a calendar asked for for the
 * first time is recorded and mirrored without anyone calling a job. */
static void test_scheduler(void)
{
	hub_cal_event *ev = NULL;
	int n = 0;
	int64_t t0;

	fake_gcal_add(g_f, "carol@example.com", "c1", "T1 bereit",
		      "2026-04-15T09:00:00+02:00", "2026-04-15T18:00:00+02:00",
		      "4");
	CHECK_INT(hub_sched_start(), 0);
	CHECK_INT(day_events("carol@example.com", "2026-04-15", &ev), 0);
	t0 = hub_cal_mono_ms();
	while (n < 1 && hub_cal_mono_ms() - t0 < 15000) {
		hub_cal_sleep_ms(100);
		n = day_events("carol@example.com", "2026-04-15", &ev);
		hub_cal_free(ev);
		ev = NULL;
	}
	CHECK_INT(n, 1);
	hub_sched_stop();
}

/* ==================================================== local and config */

static void test_local(void)
{
	hub_cal_event *ev = (hub_cal_event *)1;
	hub_health_result h;
	CHECK_INT(start("local"), 0);
	CHECK_STR(hub_cal_backend(), "local");
	CHECK(ctu_job("calendar_sync") == NULL);
	CHECK(ctu_job("calendar_outbox") == NULL);
	CHECK_INT(day_events(ALICE, "2026-04-14", &ev), 0);
	CHECK(ev == NULL);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);
	CHECK(strstr(h.detail, "local") != NULL);
	hub_cal_shutdown();
}

static void test_config_text(void)
{
	char text[2048], err[512];
	snprintf(text, sizeof(text),
		 "[server]\ndata_dir = %s\n[calendar]\nbackend = google\n"
		 "credentials_file = %s\napi_base = %s/\n"
		 "central_calendar_id = %s\nquota_per_minute = 42\n"
		 "sync_interval_s = 60\nrequest_timeout_ms = 2500\n",
		 g_dir, g_creds, fake_gcal_api_base(g_f), CENTRAL);
	CHECK_INT(hub_conf_load_string("test.conf", text, err, sizeof(err)), 0);
	CHECK_INT(hub_cal_init(err, sizeof(err)), 0);
	CHECK_STR(hub_cal_backend(), "google");
	CHECK_INT(hub_cal_quota_limit(), 42);
	CHECK_INT(hub_cal_cfg()->sync_interval_s, 60);
	CHECK_INT(hub_cal_cfg()->request_timeout_ms, 2500);
	CHECK_STR(hub_cal_cfg()->api_base, fake_gcal_api_base(g_f));
	CHECK_STR(hub_cal_cfg()->central_calendar_id, CENTRAL);
	hub_cal_shutdown();
	hub_conf_free();
	snprintf(text, sizeof(text),
		 "[calendar]\nbackend = google\ncredentials_file = %s/pub.pem"
		 "\n",
		 g_dir);
	CHECK_INT(hub_conf_load_string("test.conf", text, err, sizeof(err)), 0);
	CHECK_INT(hub_cal_init(err, sizeof(err)), -1);
	CHECK(strstr(err, "pub.pem") && strstr(err, "not a JSON object"));
	hub_conf_free();
}

int main(void)
{
	char path[512], err[512];

	hub_time_init("Europe/Berlin");
	g_dir = ctu_tmpdir();
	if (!g_dir || ctu_make_key(g_dir, 2048) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/pub.pem", g_dir);
	g_f = fake_gcal_start(path, CTU_EMAIL);
	snprintf(path, sizeof(path), "%s/key.pem", g_dir);
	snprintf(g_creds, sizeof(g_creds), "%s/creds.json", g_dir);
	if (!g_f || ctu_write_creds(g_creds, path, fake_gcal_token_uri(g_f)) ||
	    hub_store_open(g_dir, err, sizeof(err)) != 0)
		return 1;
	CHECK_INT(start("google"), 0);
	test_registration();
	test_two_consultants();
	test_dst();
	test_incremental_and_gone();
	test_failures_keep_mirror();
	test_many_copy();
	test_idle();
	test_warm_mirror();
	test_scheduler();
	hub_cal_shutdown();
	test_local();
	test_config_text();
	ctu_api_reset();
	hub_store_close();
	fake_gcal_stop(g_f);
	ctu_rmrf(g_dir);
	free(g_dir);
	return check_report("calendar.sync");
}
