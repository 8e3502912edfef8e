/*
 * test_cal_outbox.c - calendar writes through the outbox against the fake
 * server and a real store: a row commits or rolls back with the caller's
 * transaction; delivery with a deterministic event id; an outage leaves
 * rows pending with backoff (backlog and its age on /health and in the
 * metrics) and they are delivered afterwards; a timeout after Google
 * already created the event does not create a second one; upsert and
 * delete of one key keep their order; a reschedule patches; Google's
 * permanent refusal marks the row failed without blocking others; bad
 * input is refused; the `local` backend never piles anything up.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"
#include "check.h"

#include "hub_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CENTRAL "central@group.calendar.google.com"

static char *g_dir;
static fake_gcal *g_f;
static char g_creds[512];
static int64_t g_clock;

/* budget_ms/timeout_ms 0: the test defaults */
static int start(const char *backend, unsigned budget_ms, unsigned timeout_ms)
{
	hub_cal_config c;
	char err[256];
	ctu_config(&c, g_f, g_creds);
	snprintf(c.backend, sizeof(c.backend), "%s", backend);
	if (budget_ms)
		c.retry_budget_ms = budget_ms;
	if (timeout_ms)
		c.request_timeout_ms = timeout_ms;
	ctu_api_reset();
	if (hub_cal_init_with(&c, err, sizeof(err)) != 0 ||
	    hub_cal_migrate(err, sizeof(err)) != 0) {
		fprintf(stderr, "start: %s\n", err);
		return -1;
	}
	return hub_cal_register(NULL, ctu_api());
}

static void advance(int64_t s)
{
	g_clock += s;
	hub_cal_test_set_clock_offset(g_clock);
}

static int run_outbox(char *err, size_t n)
{
	const hub_job *j = ctu_job("calendar_outbox");
	err[0] = '\0';
	return j ? j->fn(j->userdata, err, n) : -99;
}

static const char *event_json(const char *who, int day, int hour)
{
	static char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"summary\":\"%s\",\"description\":\"Beratung\\n\\n[Booked "
		 "by: anna]\",\"colorId\":\"2\",\"start\":{\"dateTime\":"
		 "\"2026-04-%02dT%02d:00:00+02:00\",\"timeZone\":\"Europe/"
		 "Berlin\"},\"end\":{\"dateTime\":\"2026-04-%02dT%02d:00:00+02:"
		 "00\",\"timeZone\":\"Europe/Berlin\"}}",
		 who, day, hour, day, hour + 2);
	return buf;
}

/* The stored Google resource of hub_key on the central calendar. */
static char *google_event(const char *hub_key)
{
	char id[HUB_CAL_EVENT_ID_LEN];
	hub_cal_event_id_for(hub_key, id);
	return fake_gcal_event_json(g_f, CENTRAL, id);
}

/* A field of the outbox row with the highest id for hub_key. */
static char *row_field(const char *hub_key, const char *col)
{
	char sql[256], *out = NULL;
	hub_stmt *st = NULL;
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM cal_outbox WHERE hub_key = ? ORDER BY id "
		 "DESC LIMIT 1",
		 col);
	if (hub_store_prepare(hub_store_db(), sql, &st) == HUB_DB_OK &&
	    hub_stmt_bind_text(st, 1, hub_key) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		out = strdup(hub_col_text(st, 0));
	hub_stmt_finalize(st);
	return out;
}

static int row_is(const char *hub_key, const char *state)
{
	char *s = row_field(hub_key, "state");
	int ok = s && strcmp(s, state) == 0;
	if (!ok)
		fprintf(stderr, "row %s is %s, wanted %s\n", hub_key,
			s ? s : "(none)", state);
	free(s);
	return ok;
}

/* ========================================================= transactions */

typedef struct booking {
	const char *key, *json;
	int fail; /* make the transaction roll back */
} booking;

static int book_txn(hub_db *db, void *ud)
{
	const booking *b = ud;
	int rc = hub_store_exec(db, "INSERT INTO t_bookings (name) VALUES "
				    "('x')");
	if (rc == HUB_DB_OK)
		rc = hub_cal_outbox_put(db, "upsert", b->key, b->json);
	return rc == HUB_DB_OK && b->fail ? HUB_DB_ERROR : rc;
}

static void test_put_and_deliver(void)
{
	hub_db *db = hub_store_db();
	booking ok = {"booking:1", NULL, 0}, bad = {"booking:0", NULL, 1};
	char err[512], *ev, *gid;
	char id[HUB_CAL_EVENT_ID_LEN];

	CHECK_INT(hub_store_exec(db, "CREATE TABLE t_bookings (id INTEGER "
				     "PRIMARY KEY, name TEXT)"),
		  HUB_DB_OK);
	ok.json = event_json("Muster, Max", 14, 9);
	bad.json = ok.json;
	CHECK_INT(hub_store_transaction(db, book_txn, &ok), HUB_DB_OK);
	CHECK(hub_store_transaction(db, book_txn, &bad) != HUB_DB_OK);
	CHECK(row_is("booking:1", "pending"));
	CHECK(row_field("booking:0", "state") == NULL); /* rolled back */

	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK(row_is("booking:1", "delivered"));
	hub_cal_event_id_for("booking:1", id);
	gid = row_field("booking:1", "google_event_id");
	CHECK(gid && strcmp(gid, id) == 0);
	free(gid);
	ev = google_event("booking:1");
	CHECK(ev && strstr(ev, "\"summary\":\"Muster, Max\"") &&
	      strstr(ev, "\"hub_key\":\"booking:1\"") &&
	      strstr(ev, "[Booked by: anna]"));
	free(ev);
	CHECK_INT(fake_gcal_requests(g_f, "insert"), 1);
	/* nothing left: a second run sends nothing */
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK_INT(fake_gcal_requests(g_f, NULL), 0);
}

/* ========================================================== outage */

static void test_outage(void)
{
	hub_db *db = hub_store_db();
	hub_health_result h;
	char err[512], *att;
	double delivered0 = ctu_metric("hub_calendar_outbox_attempts_total",
				       "result=\"delivered\"");

	/* Google answers 503 to everything; a short retry budget keeps
	 * the dead-Google calls quick */
	CHECK_INT(start("google", 300, 0), 0);
	fake_gcal_fault(g_f, NULL, FAKE_503, 100000);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:2",
				     event_json("Eins, A", 15, 9)),
		  HUB_DB_OK);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:3",
				     event_json("Zwei, B", 15, 11)),
		  HUB_DB_OK);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:4",
				     event_json("Drei, C", 15, 14)),
		  HUB_DB_OK);
	CHECK(run_outbox(err, sizeof(err)) != 0);
	CHECK(strstr(err, "503") != NULL);
	CHECK(row_is("booking:2", "pending"));
	CHECK(row_is("booking:4", "pending"));
	att = row_field("booking:2", "attempts");
	CHECK(att && strcmp(att, "1") == 0);
	free(att);
	att = row_field("booking:2", "last_error");
	CHECK(att && strstr(att, "503"));
	free(att);
	/* three transient failures in a row end the run: the third row is
	 * tried (streak), nothing beyond */
	CHECK_INT(ctu_metric("hub_calendar_outbox_backlog", NULL), 3);

	/* not due yet: a second run sends nothing */
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK_INT(fake_gcal_requests(g_f, NULL), 0);

	/* an old backlog degrades /health */
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);
	advance(700);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_DEGRADED);
	CHECK(strstr(h.detail, "outbox backlog 3") != NULL);
	CHECK(ctu_metric("hub_calendar_outbox_oldest_age_seconds", NULL) >=
	      700);

	/* Google is back: everything is delivered, once */
	CHECK_INT(start("google", 0, 0), 0);
	fake_gcal_clear_faults(g_f);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK(row_is("booking:2", "delivered"));
	CHECK(row_is("booking:3", "delivered"));
	CHECK(row_is("booking:4", "delivered"));
	CHECK_INT(fake_gcal_requests(g_f, "insert"), 3);
	CHECK_INT(ctu_metric("hub_calendar_outbox_attempts_total",
			     "result=\"delivered\"") -
		      delivered0,
		  3);
	CHECK_INT(ctu_metric("hub_calendar_outbox_backlog", NULL), 0);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);
}

/* ====================================================== timeout, retry */

static void test_timeout_then_retry(void)
{
	hub_db *db = hub_store_db();
	char err[512], *ev;
	int before = fake_gcal_count(g_f, CENTRAL, 1);

	/* Google creates the event but answers after our timeout (500 ms;
	 * the budget leaves no second try inside the call) */
	CHECK_INT(start("google", 700, 500), 0);
	fake_gcal_set_hang_ms(g_f, 1500);
	fake_gcal_fault(g_f, "insert", FAKE_HANG_AFTER, 1);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:5",
				     event_json("Spaet, S", 16, 9)),
		  HUB_DB_OK);
	CHECK(run_outbox(err, sizeof(err)) != 0);
	CHECK(strstr(err, "imed out") != NULL);
	CHECK(row_is("booking:5", "pending"));
	CHECK_INT(fake_gcal_count(g_f, CENTRAL, 1), before + 1);

	/* the retry meets 409 and patches: still one event */
	CHECK_INT(start("google", 0, 0), 0);
	advance(3600);
	fake_gcal_reset_counts(g_f);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK(row_is("booking:5", "delivered"));
	CHECK_INT(fake_gcal_requests(g_f, "insert"), 1);
	CHECK_INT(fake_gcal_requests(g_f, "patch"), 1);
	CHECK_INT(fake_gcal_count(g_f, CENTRAL, 1), before + 1);
	ev = google_event("booking:5");
	CHECK(ev && strstr(ev, "Spaet, S"));
	free(ev);
}

/* ============================================= order, reschedule, refuse */

static void test_order_and_patch(void)
{
	hub_db *db = hub_store_db();
	char err[512], *ev;

	/* reschedule of booking:1: known, so a patch and no insert */
	fake_gcal_reset_counts(g_f);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:1",
				     event_json("Muster, Max", 20, 14)),
		  HUB_DB_OK);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK_INT(fake_gcal_requests(g_f, "insert"), 0);
	CHECK_INT(fake_gcal_requests(g_f, "patch"), 1);
	ev = google_event("booking:1");
	CHECK(ev && strstr(ev, "2026-04-20T14:00:00+02:00"));
	free(ev);

	/* upsert then delete of one key while inserts fail: the delete
	 * waits for the upsert and never overtakes it */
	CHECK_INT(start("google", 300, 0), 0);
	fake_gcal_fault(g_f, "insert", FAKE_503, 100000);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:6",
				     event_json("Weg, W", 21, 9)),
		  HUB_DB_OK);
	CHECK_INT(hub_cal_outbox_put(db, "delete", "booking:6", NULL),
		  HUB_DB_OK);
	fake_gcal_reset_counts(g_f);
	CHECK(run_outbox(err, sizeof(err)) != 0);
	CHECK_INT(fake_gcal_requests(g_f, "delete"), 0);
	CHECK(row_is("booking:6", "pending"));
	CHECK_INT(start("google", 0, 0), 0);
	fake_gcal_clear_faults(g_f);
	advance(3600);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK(row_is("booking:6", "delivered"));
	ev = google_event("booking:6");
	CHECK(ev && strstr(ev, "\"status\":\"cancelled\""));
	free(ev);
	/* deleting again is harmless (410 from Google counts as done) */
	CHECK_INT(hub_cal_outbox_put(db, "delete", "booking:6", NULL),
		  HUB_DB_OK);
	CHECK_INT(run_outbox(err, sizeof(err)), 0);
	CHECK(row_is("booking:6", "delivered"));

	/* Google refuses an event for good (no times): failed, reported,
	 * and the next booking still goes through */
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:7",
				     "{\"summary\":\"ohne Zeit\"}"),
		  HUB_DB_OK);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:8",
				     event_json("Danach, D", 22, 9)),
		  HUB_DB_OK);
	CHECK(run_outbox(err, sizeof(err)) != 0);
	CHECK(row_is("booking:7", "failed"));
	CHECK(row_is("booking:8", "delivered"));
	{
		hub_health_result h;
		ctu_health(&h);
		CHECK_INT(h.status, HUB_HEALTH_DEGRADED);
		CHECK(strstr(h.detail, "refused") != NULL);
		CHECK_INT(ctu_metric("hub_calendar_outbox_failed", NULL), 1);
	}
}

static void test_bad_input(void)
{
	hub_db *db = hub_store_db();
	char longkey[80];
	memset(longkey, 'k', 70);
	longkey[70] = '\0';
	CHECK_INT(hub_cal_outbox_put(db, "create", "booking:9", "{}"),
		  HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", longkey, "{}"),
		  HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "", "{}"), HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "bad\nkey", "{}"),
		  HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:9", "[1,2]"),
		  HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:9", "{\"a\":"),
		  HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:9", NULL),
		  HUB_DB_EMISUSE);
	CHECK_INT(hub_cal_outbox_put(NULL, "delete", "booking:9", NULL),
		  HUB_DB_EMISUSE);
	CHECK(row_field("booking:9", "state") == NULL);
}

static void test_local(void)
{
	hub_db *db = hub_store_db();
	hub_cal_backlog bl;
	hub_cal_shutdown();
	CHECK_INT(start("local", 0, 0), 0);
	CHECK(ctu_job("calendar_outbox") == NULL);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking:10",
				     event_json("Lokal, L", 23, 9)),
		  HUB_DB_OK);
	CHECK(row_is("booking:10", "delivered"));
	CHECK_INT(hub_cal_outbox_backlog(db, &bl), HUB_DB_OK);
	CHECK_INT(bl.pending, 0);
	hub_cal_shutdown();
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
	fake_gcal_add_calendar(g_f, CENTRAL);
	CHECK_INT(start("google", 0, 0), 0);
	test_put_and_deliver();
	test_outage();
	test_timeout_then_retry();
	test_order_and_patch();
	test_bad_input();
	test_local();
	hub_cal_test_set_clock_offset(0);
	ctu_api_reset();
	hub_store_close();
	fake_gcal_stop(g_f);
	ctu_rmrf(g_dir);
	free(g_dir);
	return check_report("calendar.outbox");
}
