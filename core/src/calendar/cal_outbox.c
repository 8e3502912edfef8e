/*
 * cal_outbox.c - calendar writes as an outbox.
 *
 * hub_cal_outbox_put adds a row inside the caller's transaction, so a
 * booking and its calendar write commit (or roll back) together and a
 * calendar outage can neither lose nor block a booking. The delivery job
 * sends pending rows in id order, one key at a time in order (an upsert
 * and a later delete of the same key never overtake each other), with the
 * event id derived from the key (hub_cal_event_id_for): a retry after a
 * timeout meets 409 and becomes a patch instead of a second event.
 *
 * Row states: pending -> delivered, or failed when Google refuses the write
 * for good (a 4xx other than 404/409/410/429). Transient failures move
 * next_attempt_at out exponentially (10 s doubling up to
 * outbox_retry_max_s, with jitter) and are retried for ever. No network
 * call is made while a transaction is open.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "base/errsink.h"
#include "base/log.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH		 50	     /* rows read per query */
#define MAX_EVENT_JSON	 (64 * 1024) /* bytes */
#define BACKOFF_FIRST_S	 10
#define KEEP_DELIVERED_S (30 * 86400)
#define KEEP_FAILED_S	 (90 * 86400)
#define FAILED_COUNTS_S	 (7 * 86400) /* failed rows on /health this long */
#define OUTAGE_STREAK	 3	     /* transient failures in a row: stop */

/* ================================================================== put */

/* A key is 1..63 printable ASCII characters (it is stored in the 64-byte
 * hub_key of hub_cal_event and sent to Google as a private property). */
static int key_ok(const char *k)
{
	size_t n = 0;
	for (; k[n]; n++)
		if ((unsigned char)k[n] < 0x20 || (unsigned char)k[n] > 0x7E)
			return 0;
	return n >= 1 && n <= 63;
}

static int json_object_ok(const char *s)
{
	cJSON *v;
	int ok;
	if (!s || strlen(s) > MAX_EVENT_JSON)
		return 0;
	v = cJSON_Parse(s);
	ok = cJSON_IsObject(v);
	cJSON_Delete(v);
	return ok;
}

int hub_cal_outbox_put(hub_db *db, const char *op, const char *hub_key,
		       const char *event_json)
{
	int is_upsert = op && strcmp(op, "upsert") == 0;
	int is_delete = op && strcmp(op, "delete") == 0;
	int remote, rc;
	int64_t now = hub_cal_now();
	hub_stmt *st = NULL;

	if (!db || !hub_cal_ready() || (!is_upsert && !is_delete) || !hub_key ||
	    !key_ok(hub_key) || (is_upsert && !json_object_ok(event_json))) {
		hub_logf(HUB_LOG_WARN, "calendar", "outbox_put refused: %s",
			 !db			      ? "no database handle"
			 : !hub_cal_ready()	      ? "service not ready"
			 : (!is_upsert && !is_delete) ? "op must be upsert or "
							"delete"
			 : (!hub_key || !key_ok(hub_key))
			     ? "hub_key must be 1..63 printable ASCII "
			       "characters"
			     : "event_json must be a JSON object of at most "
			       "64 KiB");
		return HUB_DB_EMISUSE;
	}
	remote = hub_cal_be()->remote && hub_cal_cfg()->central_calendar_id[0];
	rc = hub_store_prepare(
	    db,
	    "INSERT INTO cal_outbox (hub_key, op, event_json, state, "
	    "attempts, next_attempt_at, last_error, created_at, "
	    "delivered_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, hub_key);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 2, op);
	if (rc == HUB_DB_OK)
		rc = is_upsert ? hub_stmt_bind_text(st, 3, event_json)
			       : hub_stmt_bind_null(st, 3);
	if (rc == HUB_DB_OK)
		rc =
		    hub_stmt_bind_text(st, 4, remote ? "pending" : "delivered");
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 5, now);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(
		    st, 6,
		    remote ? ""
			   : (hub_cal_be()->remote
				  ? "no central_calendar_id configured"
				  : "local backend"));
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 7, now);
	if (rc == HUB_DB_OK)
		rc = remote ? hub_stmt_bind_null(st, 8)
			    : hub_stmt_bind_int(st, 8, now);
	if (rc == HUB_DB_OK) {
		rc = hub_stmt_step(st);
		if (rc == HUB_DB_DONE)
			rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	if (rc == HUB_DB_OK)
		hub_cal_metric(
		    "hub_calendar_outbox_queued_total",
		    remote ? "delivery=\"google\"" : "delivery=\"local\"", 1);
	return rc;
}

/* ============================================================= delivery */

typedef struct orow {
	int64_t id;
	char hub_key[64];
	char op[8];
	char *event_json; /* owned, NULL for delete */
	int64_t attempts;
} orow;

/* 1 when `sql` (binding key, id) finds a row. */
static int exists(hub_db *db, const char *sql, const char *key, int64_t id)
{
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db, sql, &st), found = 0;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, key);
	if (rc == HUB_DB_OK && id)
		rc = hub_stmt_bind_int(st, 2, id);
	if (rc == HUB_DB_OK)
		found = hub_stmt_step(st) == HUB_DB_ROW;
	hub_stmt_finalize(st);
	return found;
}

/* Reads up to BATCH due rows after `after`. Returns the count or -1. */
static int load_due(hub_db *db, int64_t after, orow *rows)
{
	hub_stmt *st = NULL;
	int n = 0;
	int rc =
	    hub_store_prepare(db,
			      "SELECT id, hub_key, op, event_json, "
			      "attempts FROM cal_outbox WHERE state = "
			      "'pending' AND next_attempt_at <= ? AND id > "
			      "? ORDER BY id LIMIT 50",
			      &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, hub_cal_now());
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, after);
	while (rc == HUB_DB_OK && n < BATCH &&
	       (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		orow *r = &rows[n];
		memset(r, 0, sizeof(*r));
		r->id = hub_col_int(st, 0);
		snprintf(r->hub_key, sizeof(r->hub_key), "%s",
			 hub_col_text(st, 1));
		snprintf(r->op, sizeof(r->op), "%s", hub_col_text(st, 2));
		if (hub_col_type(st, 3) != HUB_DB_NULL &&
		    !(r->event_json = strdup(hub_col_text(st, 3)))) {
			rc = HUB_DB_ERROR;
			break;
		}
		r->attempts = hub_col_int(st, 4);
		n++;
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE && rc != HUB_DB_OK) {
		for (int i = 0; i < n; i++)
			free(rows[i].event_json);
		return -1;
	}
	return n;
}

/* Seconds until the next try after `attempts` failures. */
static int64_t backoff_s(int64_t attempts)
{
	int64_t cap = hub_cal_cfg()->outbox_retry_max_s, d = BACKOFF_FIRST_S;
	for (int64_t i = 1; i < attempts && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return d * 3 / 4 + (int64_t)(hub_cal_random() % (uint64_t)(d / 2 + 1));
}

/* Writes the outcome of one delivery. */
static int record(hub_db *db, const orow *r, int rc, const char *event_id,
		  const char *why)
{
	int64_t now = hub_cal_now();
	hub_stmt *st = NULL;
	int dbrc;
	char msg[240];

	hub_cal_copy_utf8(msg, sizeof(msg), why);
	if (rc == HUB_CAL_OK) {
		dbrc = hub_store_prepare(
		    db,
		    "UPDATE cal_outbox SET state = 'delivered', attempts = "
		    "attempts + 1, google_event_id = ?, delivered_at = ?, "
		    "last_error = '' WHERE id = ?",
		    &st);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_text(st, 1, event_id);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_int(st, 2, now);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_int(st, 3, r->id);
	} else if (hub_cal_rc_transient(rc)) {
		dbrc = hub_store_prepare(
		    db,
		    "UPDATE cal_outbox SET attempts = attempts + 1, "
		    "next_attempt_at = ?, last_error = ? WHERE id = ?",
		    &st);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_int(
			    st, 1, now + backoff_s(r->attempts + 1));
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_text(st, 2, msg);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_int(st, 3, r->id);
	} else {
		dbrc = hub_store_prepare(
		    db,
		    "UPDATE cal_outbox SET state = 'failed', attempts = "
		    "attempts + 1, last_error = ? WHERE id = ?",
		    &st);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_text(st, 1, msg);
		if (dbrc == HUB_DB_OK)
			dbrc = hub_stmt_bind_int(st, 2, r->id);
	}
	if (dbrc == HUB_DB_OK) {
		dbrc = hub_stmt_step(st);
		if (dbrc == HUB_DB_DONE)
			dbrc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	return dbrc;
}

/* Sends one row. Returns a hub_cal_rc with why set on failure. */
static int deliver(hub_db *db, const orow *r, char *event_id, char *why,
		   size_t whylen)
{
	const hub_cal_backend_ops *be = hub_cal_be();
	const char *cal = hub_cal_cfg()->central_calendar_id;
	int known;

	hub_cal_event_id_for(r->hub_key, event_id);
	if (strcmp(r->op, "delete") == 0)
		return be->remove(cal, event_id, why, whylen);
	known = exists(db,
		       "SELECT 1 FROM cal_outbox WHERE hub_key = ? AND state = "
		       "'delivered' AND google_event_id IS NOT NULL LIMIT 1",
		       r->hub_key, 0);
	return be->upsert(cal, event_id, r->hub_key, r->event_json, known, why,
			  whylen);
}

/* Hands a calendar write given up to the error reports. */
static void report_given_up(const orow *r, const char *why)
{
	char msg[400];
	hub_err_event ev = {
	    .kind = "calendar", .logger = "calendar", .message = msg};
	snprintf(msg, sizeof(msg),
		 "calendar write %lld (%s) given up: Google refused it: %s",
		 (long long)r->id, r->hub_key, why);
	hub_err_report(&ev);
}

int hub_cal_outbox_run(void *ud, char *err, size_t errlen)
{
	orow rows[BATCH];
	hub_cal_backlog bl;
	int64_t after = 0;
	int delivered = 0, failed = 0, streak = 0, stop = 0, n;
	char first[256] = "";
	hub_db *db;

	(void)ud;
	if (!hub_cal_ready() || !hub_cal_be()->remote ||
	    !hub_cal_cfg()->central_calendar_id[0])
		return 0;
	db = hub_store_db();
	if (!db) {
		snprintf(err, errlen, "calendar outbox: storage unavailable");
		return -1;
	}
	while (!stop && (n = load_due(db, after, rows)) > 0) {
		for (int i = 0; i < n; i++) {
			const orow *r = &rows[i];
			char event_id[HUB_CAL_EVENT_ID_LEN], why[256] = "";
			char labels[48];
			int rc;

			after = r->id;
			if (stop ||
			    exists(db,
				   "SELECT 1 FROM cal_outbox WHERE hub_key = ? "
				   "AND id < ? AND state = 'pending' LIMIT 1",
				   r->hub_key, r->id))
				continue; /* an older write of this key first */
			rc = deliver(db, r, event_id, why, sizeof(why));
			if (record(db, r, rc, event_id, why) != HUB_DB_OK)
				hub_logf(HUB_LOG_ERROR, "calendar",
					 "outbox row %lld: cannot record "
					 "result: %s",
					 (long long)r->id,
					 hub_store_errmsg(db));
			snprintf(labels, sizeof(labels), "result=\"%s\"",
				 rc == HUB_CAL_OK	    ? "delivered"
				 : hub_cal_rc_transient(rc) ? "retry"
							    : "failed");
			hub_cal_metric("hub_calendar_outbox_attempts_total",
				       labels, 1);
			if (rc == HUB_CAL_OK) {
				delivered++;
				streak = 0;
				continue;
			}
			failed++;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", why);
			if (!hub_cal_rc_transient(rc)) {
				hub_logf(HUB_LOG_ERROR, "calendar",
					 "outbox row %lld (%s) refused for "
					 "good: %s",
					 (long long)r->id, r->hub_key, why);
				report_given_up(r, why);
				streak = 0;
				continue;
			}
			/* an outage, our quota or the key: stop this run */
			if (rc == HUB_CAL_EQUOTA || rc == HUB_CAL_EAUTH ||
			    ++streak >= OUTAGE_STREAK)
				stop = 1;
		}
		for (int i = 0; i < n; i++)
			free(rows[i].event_json);
		if (n < BATCH)
			break;
	}
	/* housekeeping: old delivered and failed rows */
	{
		hub_stmt *st = NULL;
		int64_t now = hub_cal_now();
		if (hub_store_prepare(db,
				      "DELETE FROM cal_outbox WHERE (state = "
				      "'delivered' AND delivered_at < ?) OR "
				      "(state = 'failed' AND created_at < ?)",
				      &st) == HUB_DB_OK &&
		    hub_stmt_bind_int(st, 1, now - KEEP_DELIVERED_S) ==
			HUB_DB_OK &&
		    hub_stmt_bind_int(st, 2, now - KEEP_FAILED_S) == HUB_DB_OK)
			hub_stmt_step(st);
		hub_stmt_finalize(st);
	}
	hub_cal_outbox_backlog(db, &bl);
	if (delivered || failed)
		hub_logf(HUB_LOG_INFO, "calendar",
			 "outbox: %d delivered, %d not, backlog %lld",
			 delivered, failed, (long long)bl.pending);
	if (failed) {
		snprintf(err, errlen, "%d calendar write(s) not delivered: %s",
			 failed, first);
		return -1;
	}
	return 0;
}

/* ============================================================== backlog */

int hub_cal_outbox_backlog(hub_db *db, hub_cal_backlog *out)
{
	hub_stmt *st = NULL;
	int64_t now = hub_cal_now();
	int rc;

	memset(out, 0, sizeof(*out));
	rc = hub_store_prepare(
	    db,
	    "SELECT COUNT(*), MIN(created_at) FROM cal_outbox "
	    "WHERE state = 'pending'",
	    &st);
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		out->pending = hub_col_int(st, 0);
		if (out->pending && hub_col_type(st, 1) != HUB_DB_NULL)
			out->oldest_age = now - hub_col_int(st, 1);
		if (out->oldest_age < 0)
			out->oldest_age = 0;
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	st = NULL;
	if (rc == HUB_DB_OK)
		rc = hub_store_prepare(db,
				       "SELECT COUNT(*) FROM cal_outbox WHERE "
				       "state = 'failed' AND created_at >= ?",
				       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, now - FAILED_COUNTS_S);
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		out->failed = hub_col_int(st, 0);
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_OK)
		return rc;
	hub_cal_gauge("hub_calendar_outbox_backlog", (double)out->pending);
	hub_cal_gauge("hub_calendar_outbox_oldest_age_seconds",
		      (double)out->oldest_age);
	hub_cal_gauge("hub_calendar_outbox_failed", (double)out->failed);
	return HUB_DB_OK;
}
