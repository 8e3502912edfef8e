/*
 * cal_sync.c - the sync job (scheduler thread, every sync_interval_s and
 * on hub_cal_sync_soon). For each calendar (the central one and every id
 * asked for through hub_cal_events lately) it runs an incremental list
 * with the stored sync token, or a full list of the window [now -
 * sync_past_days, now + sync_future_days) when there is no token, the
 * token expired (410 Gone) or the last full sync is older than
 * full_sync_every_s (the window moves). The mirror of a calendar changes
 * only after every page arrived, in one transaction: a failed sync leaves
 * the previous mirror in place and records the error for /health.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "base/log.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Drops the mirror of calendars nobody asked for within
 * calendar_idle_days (a consultant who left); the central one stays. */
static void forget_idle(hub_db *db)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	int64_t since =
	    hub_cal_now() - (int64_t)cfg->calendar_idle_days * 86400;
	static const char *const sql[] = {
	    "DELETE FROM cal_events WHERE calendar_id <> ? AND calendar_id "
	    "IN (SELECT calendar_id FROM cal_calendars WHERE last_seen < ?)",
	    "DELETE FROM cal_sync_state WHERE calendar_id <> ? AND "
	    "calendar_id IN (SELECT calendar_id FROM cal_calendars WHERE "
	    "last_seen < ?)",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		hub_stmt *st = NULL;
		int rc = hub_store_prepare(db, sql[i], &st);
		if (rc == HUB_DB_OK)
			rc =
			    hub_stmt_bind_text(st, 1, cfg->central_calendar_id);
		if (rc == HUB_DB_OK)
			rc = hub_stmt_bind_int(st, 2, since);
		if (rc == HUB_DB_OK && hub_stmt_step(st) == HUB_DB_DONE &&
		    i == 0 && hub_store_changes(db) > 0)
			hub_cal_mirror_changed();
		hub_stmt_finalize(st);
	}
}

/* Syncs one calendar. Returns a hub_cal_rc (HUB_CAL_EPERM also for a
 * storage failure) with err set on failure. */
static int sync_one(hub_db *db, const char *cal, char *err, size_t errlen)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	const hub_cal_backend_ops *be = hub_cal_be();
	char token[HUB_CAL_MAX_TOKEN];
	char labels[64];
	hub_cal_page page = {0};
	int64_t last_full = 0, now = hub_cal_now();
	int full, rc, dbrc;

	dbrc = hub_cal_mirror_state(db, cal, token, sizeof(token), &last_full);
	if (dbrc != HUB_DB_OK && dbrc != HUB_DB_ENOTFOUND) {
		snprintf(err, errlen, "reading sync state: %s",
			 hub_store_errmsg(db));
		return HUB_CAL_EPERM;
	}
	full = !token[0] || now - last_full >= (int64_t)cfg->full_sync_every_s;
	rc = HUB_CAL_OK;
	if (!full) {
		rc = be->list(cal, token, 0, 0, &page, err, errlen);
		if (rc == HUB_CAL_EGONE) {
			hub_logf(HUB_LOG_INFO, "calendar",
				 "sync token of %s expired: full resync", cal);
			hub_cal_metric("hub_calendar_full_resyncs_total",
				       "reason=\"gone\"", 1);
			full = 1;
		}
	}
	if (full)
		rc = be->list(cal, NULL,
			      now - (int64_t)cfg->sync_past_days * 86400,
			      now + (int64_t)cfg->sync_future_days * 86400,
			      &page, err, errlen);
	/* Without orderBy Google ends every complete listing with a
	 * nextSyncToken; an answer without one, or one whose events were
	 * all unreadable, is not trusted to replace the mirror. */
	if (rc == HUB_CAL_OK && !page.next_sync_token) {
		snprintf(err, errlen,
			 "events.list: answer without "
			 "nextSyncToken");
		rc = HUB_CAL_EPARSE;
	} else if (rc == HUB_CAL_OK && page.skipped && !page.n) {
		snprintf(err, errlen,
			 "events.list: all %zu event(s) unreadable",
			 page.skipped);
		rc = HUB_CAL_EPARSE;
	}
	if (rc == HUB_CAL_OK) {
		dbrc = hub_cal_mirror_apply(db, cal, &page, full);
		if (dbrc != HUB_DB_OK) {
			snprintf(err, errlen, "storing the mirror: %s",
				 hub_store_errmsg(db));
			rc = HUB_CAL_EPERM;
		}
	}
	snprintf(labels, sizeof(labels), "kind=\"%s\",result=\"%s\"",
		 full ? "full" : "incremental",
		 rc == HUB_CAL_OK ? "ok" : "error");
	hub_cal_metric("hub_calendar_syncs_total", labels, 1);
	if (rc == HUB_CAL_OK)
		hub_cal_metric("hub_calendar_synced_events_total", NULL,
			       (double)page.n);
	hub_cal_page_free(&page);
	return rc;
}

int hub_cal_sync_run(void *ud, char *err, size_t errlen)
{
	char why[256], first[300] = "";
	char **ids = NULL;
	int n, failed = 0;
	hub_db *db;

	(void)ud;
	if (!hub_cal_ready() || !hub_cal_be()->remote)
		return 0;
	db = hub_store_db();
	if (!db) {
		snprintf(err, errlen, "calendar sync: storage unavailable");
		return -1;
	}
	if (hub_cal_mirror_flush_ids(db) != HUB_DB_OK)
		hub_logf(HUB_LOG_WARN, "calendar",
			 "cannot record calendar ids: %s",
			 hub_store_errmsg(db));
	n = hub_cal_mirror_ids(db, &ids);
	if (n < 0) {
		snprintf(err, errlen,
			 "calendar sync: cannot list calendars: %s",
			 hub_store_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int rc;
		why[0] = '\0';
		rc = sync_one(db, ids[i], why, sizeof(why));
		if (rc == HUB_CAL_OK)
			continue;
		failed++;
		if (hub_cal_mirror_fail(db, ids[i], why) != HUB_DB_OK)
			hub_logf(HUB_LOG_WARN, "calendar",
				 "cannot record sync failure: %s",
				 hub_store_errmsg(db));
		hub_logf(HUB_LOG_WARN, "calendar", "sync of %s failed: %s",
			 ids[i], why);
		if (!first[0])
			snprintf(first, sizeof(first), "%s: %s", ids[i], why);
		if (rc == HUB_CAL_EAUTH) {
			/* nothing else can work until the key is fixed */
			for (int j = i + 1; j < n; j++)
				hub_cal_mirror_fail(db, ids[j], why);
			failed += n - i - 1;
			break;
		}
	}
	forget_idle(db);
	hub_cal_gauge("hub_calendar_mirrored_calendars", n);
	hub_cal_ids_free(ids, n);
	if (failed) {
		snprintf(err, errlen, "%d of %d calendar(s) failed; first %s",
			 failed, n, first);
		return -1;
	}
	return 0;
}
