/*
 * cal_mirror.c - the local mirror of calendars: the core_calendar
 * migrations, hub_cal_events (the only thing requests call: a read of the
 * mirror, never a request to Google) and the writes of the sync job.
 *
 * Everything is keyed by calendar id. (The old system keyed its cache by
 * function name, so every consultant saw the first one's events.)
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "calendar/cal_internal.h"

#include "store/store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================ migrations */

static const char mig1[] =
    "CREATE TABLE cal_calendars ("
    " calendar_id TEXT PRIMARY KEY,"
    " first_seen BIGINT NOT NULL,"
    " last_seen BIGINT NOT NULL);"
    "CREATE TABLE cal_events ("
    " calendar_id TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " summary TEXT NOT NULL DEFAULT '',"
    " color_id TEXT NOT NULL DEFAULT '',"
    " hub_key TEXT NOT NULL DEFAULT '',"
    " start_utc BIGINT NOT NULL,"
    " end_utc BIGINT NOT NULL,"
    " all_day INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL DEFAULT 'confirmed',"
    " updated TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (calendar_id, event_id));"
    "CREATE INDEX cal_events_by_time ON cal_events (calendar_id, start_utc);"
    "CREATE TABLE cal_sync_state ("
    " calendar_id TEXT PRIMARY KEY,"
    " sync_token TEXT NOT NULL DEFAULT '',"
    " last_full_sync BIGINT NOT NULL DEFAULT 0,"
    " last_ok BIGINT NOT NULL DEFAULT 0,"
    " last_attempt BIGINT NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '');";

#define OUTBOX_COLUMNS                                                         \
	" hub_key TEXT NOT NULL,"                                              \
	" op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),"                \
	" event_json TEXT,"                                                    \
	" state TEXT NOT NULL DEFAULT 'pending'"                               \
	"  CHECK (state IN ('pending', 'delivered', 'failed')),"               \
	" attempts INTEGER NOT NULL DEFAULT 0,"                                \
	" next_attempt_at BIGINT NOT NULL,"                                    \
	" last_error TEXT NOT NULL DEFAULT '',"                                \
	" google_event_id TEXT,"                                               \
	" created_at BIGINT NOT NULL,"                                         \
	" delivered_at BIGINT);"                                               \
	"CREATE INDEX cal_outbox_due ON cal_outbox (state, next_attempt_at);"  \
	"CREATE INDEX cal_outbox_key ON cal_outbox (hub_key, id);"

/* AUTOINCREMENT: ids are never reused, so id order is queue order. */
static const char mig2[] = "CREATE TABLE cal_outbox (id INTEGER PRIMARY KEY "
			   "AUTOINCREMENT," OUTBOX_COLUMNS;
static const char mig2_pg[] =
    "CREATE TABLE cal_outbox (id BIGSERIAL PRIMARY KEY," OUTBOX_COLUMNS;

int hub_cal_migrate(char *err, size_t errlen)
{
	static const hub_migration_def defs[] = {
	    {1, mig1, NULL},
	    {2, mig2, mig2_pg},
	};
	return hub_store_migrate("core_calendar", defs,
				 sizeof(defs) / sizeof(defs[0]), err, errlen);
}

/* ============================================================== helpers */

/* Prepares, binds text/int arguments by a format ("t" text, "i" int64)
 * and runs a statement that returns no rows. Returns HUB_DB_OK or an
 * error. */
static int exec_args(hub_db *db, const char *sql, const char *fmt, ...)
{
	hub_stmt *st = NULL;
	va_list ap;
	int rc = hub_store_prepare(db, sql, &st);
	va_start(ap, fmt);
	for (int i = 0; rc == HUB_DB_OK && fmt[i]; i++) {
		if (fmt[i] == 't')
			rc = hub_stmt_bind_text(st, i + 1,
						va_arg(ap, const char *));
		else
			rc = hub_stmt_bind_int(st, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	if (rc == HUB_DB_OK) {
		rc = hub_stmt_step(st);
		if (rc == HUB_DB_DONE || rc == HUB_DB_ROW)
			rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	return rc;
}

/* Records that `id` is asked for (first_seen kept, last_seen moved). */
static int remember_id(hub_db *db, const char *id, int64_t now)
{
	return exec_args(
	    db,
	    "INSERT INTO cal_calendars (calendar_id, first_seen, "
	    "last_seen) VALUES (?, ?, ?) ON CONFLICT (calendar_id) "
	    "DO UPDATE SET last_seen = excluded.last_seen",
	    "tii", id, now, now);
}

/* Held across taking the marked ids and writing them, so a sync that
 * flushes after another thread took the ids still finds them in the table
 * (it waits for that write instead of racing past it). */
static pthread_mutex_t g_flush_lock = PTHREAD_MUTEX_INITIALIZER;

int hub_cal_mirror_flush_ids(hub_db *db)
{
	char **ids = NULL;
	int n, rc = HUB_DB_OK;
	pthread_mutex_lock(&g_flush_lock);
	n = hub_cal_seen_take(&ids);
	for (int i = 0; i < n; i++) {
		int r = remember_id(db, ids[i], hub_cal_now());
		if (r != HUB_DB_OK) {
			hub_cal_seen_dirty(ids[i]);
			if (rc == HUB_DB_OK)
				rc = r;
		}
	}
	pthread_mutex_unlock(&g_flush_lock);
	hub_cal_ids_free(ids, n);
	return rc;
}

int hub_cal_ids_run(void *ud, char *err, size_t errlen)
{
	hub_db *db = hub_store_db();
	(void)ud;
	if (!hub_cal_ready() || !hub_cal_be()->remote)
		return 0;
	if (!db || hub_cal_mirror_flush_ids(db) != HUB_DB_OK) {
		snprintf(err, errlen, "cannot record calendar ids: %s",
			 db ? hub_store_errmsg(db) : "storage unavailable");
		return -1;
	}
	return 0;
}

/* =========================================================== read path */

/* Fills one event from a row of the SELECT in hub_cal_events. */
static void row_to_event(hub_stmt *st, hub_cal_event *e)
{
	memset(e, 0, sizeof(*e));
	hub_cal_copy_utf8(e->id, sizeof(e->id), hub_col_text(st, 0));
	hub_cal_copy_utf8(e->summary, sizeof(e->summary), hub_col_text(st, 1));
	hub_cal_copy_utf8(e->color_id, sizeof(e->color_id),
			  hub_col_text(st, 2));
	hub_cal_copy_utf8(e->hub_key, sizeof(e->hub_key), hub_col_text(st, 3));
	e->start_utc = hub_col_int(st, 4);
	e->end_utc = hub_col_int(st, 5);
	e->all_day = (int)hub_col_int(st, 6);
}

int hub_cal_events(const char *calendar_id, int64_t from_utc, int64_t to_utc,
		   hub_cal_event **out)
{
	hub_cal_event *v = NULL;
	hub_stmt *st = NULL;
	size_t n = 0, cap = 0;
	hub_db *db;
	int rc;

	if (!out)
		return -1;
	*out = NULL;
	if (!calendar_id || !*calendar_id || strlen(calendar_id) > 1024 ||
	    !hub_cal_ready())
		return -1;
	if (!hub_cal_be()->remote || to_utc <= from_utc)
		return 0;
	db = hub_store_db();
	if (!db)
		return -1;
	/* remembered in memory only (a job writes it down): a new id
	 * makes the sync job run now so its mirror fills quickly */
	if (hub_cal_seen(calendar_id, hub_cal_now()) == 2)
		hub_cal_sync_soon();
	rc = hub_store_prepare(db,
			       "SELECT event_id, summary, color_id, hub_key, "
			       "start_utc, end_utc, all_day FROM cal_events "
			       "WHERE calendar_id = ? AND start_utc < ? AND "
			       "end_utc > ? AND status <> 'cancelled' "
			       "ORDER BY start_utc, event_id",
			       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, calendar_id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, to_utc);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 3, from_utc);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			hub_cal_event *p = realloc(v, nc * sizeof(*p));
			if (!p) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = p;
			cap = nc;
		}
		row_to_event(st, &v[n++]);
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		free(v);
		return -1;
	}
	*out = v;
	return (int)n;
}

void hub_cal_free(hub_cal_event *events)
{
	free(events);
}

/* =========================================================== sync side */

typedef struct apply_args {
	const char *cal;
	const hub_cal_page *page;
	int full;
	int64_t now;
} apply_args;

static int apply_txn(hub_db *db, void *ud)
{
	const apply_args *a = ud;
	int rc = HUB_DB_OK;

	if (a->full)
		rc = exec_args(db,
			       "DELETE FROM cal_events WHERE calendar_id = ?",
			       "t", a->cal);
	for (size_t i = 0; rc == HUB_DB_OK && i < a->page->n; i++) {
		const hub_cal_gevent *e = &a->page->items[i];
		if (e->cancelled) {
			rc = exec_args(db,
				       "DELETE FROM cal_events WHERE "
				       "calendar_id = ? AND event_id = ?",
				       "tt", a->cal, e->id);
			continue;
		}
		rc = exec_args(
		    db,
		    "INSERT INTO cal_events (calendar_id, event_id, "
		    "summary, color_id, hub_key, start_utc, end_utc, "
		    "all_day, status, updated) VALUES (?, ?, ?, ?, ?, ?, "
		    "?, ?, 'confirmed', ?) ON CONFLICT (calendar_id, "
		    "event_id) DO UPDATE SET summary = excluded.summary, "
		    "color_id = excluded.color_id, hub_key = "
		    "excluded.hub_key, start_utc = excluded.start_utc, "
		    "end_utc = excluded.end_utc, all_day = "
		    "excluded.all_day, status = excluded.status, updated "
		    "= excluded.updated",
		    "tttttiiit", a->cal, e->id, e->summary, e->color_id,
		    e->hub_key, e->start_utc, e->end_utc, (int64_t)e->all_day,
		    e->updated);
	}
	if (rc == HUB_DB_OK)
		rc = exec_args(
		    db,
		    "INSERT INTO cal_sync_state (calendar_id, sync_token, "
		    "last_full_sync, last_ok, last_attempt, last_error) "
		    "VALUES (?, ?, ?, ?, ?, '') ON CONFLICT (calendar_id) "
		    "DO UPDATE SET sync_token = excluded.sync_token, "
		    "last_full_sync = CASE WHEN ? = 1 THEN "
		    "excluded.last_full_sync ELSE "
		    "cal_sync_state.last_full_sync END, last_ok = "
		    "excluded.last_ok, last_attempt = "
		    "excluded.last_attempt, last_error = ''",
		    "ttiiii", a->cal,
		    a->page->next_sync_token ? a->page->next_sync_token : "",
		    a->full ? a->now : (int64_t)0, a->now, a->now,
		    (int64_t)a->full);
	return rc;
}

int hub_cal_mirror_apply(hub_db *db, const char *calendar_id,
			 const hub_cal_page *page, int full)
{
	apply_args a = {calendar_id, page, full, hub_cal_now()};
	int rc = hub_store_transaction(db, apply_txn, &a);
	/* an incremental page without events changed nothing */
	if (rc == HUB_DB_OK && (full || page->n > 0))
		hub_cal_mirror_changed();
	return rc;
}

int hub_cal_mirror_fail(hub_db *db, const char *calendar_id, const char *msg)
{
	char m[240];
	int64_t now = hub_cal_now();
	hub_cal_copy_utf8(m, sizeof(m), msg && *msg ? msg : "sync failed");
	return exec_args(db,
			 "INSERT INTO cal_sync_state (calendar_id, "
			 "last_attempt, last_error) VALUES (?, ?, ?) ON "
			 "CONFLICT (calendar_id) DO UPDATE SET last_attempt = "
			 "excluded.last_attempt, last_error = "
			 "excluded.last_error",
			 "tit", calendar_id, now, m);
}

int hub_cal_mirror_state(hub_db *db, const char *calendar_id, char *token,
			 size_t tokenlen, int64_t *last_full_sync)
{
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db,
				   "SELECT sync_token, last_full_sync FROM "
				   "cal_sync_state WHERE calendar_id = ?",
				   &st);
	token[0] = '\0';
	*last_full_sync = 0;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, calendar_id);
	if (rc == HUB_DB_OK) {
		rc = hub_stmt_step(st);
		if (rc == HUB_DB_ROW) {
			snprintf(token, tokenlen, "%s", hub_col_text(st, 0));
			*last_full_sync = hub_col_int(st, 1);
			rc = HUB_DB_OK;
		} else if (rc == HUB_DB_DONE) {
			rc = HUB_DB_ENOTFOUND;
		}
	}
	hub_stmt_finalize(st);
	return rc;
}

void hub_cal_ids_free(char **ids, int n)
{
	for (int i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Appends a copy of id unless present. Returns 0 or -1. */
static int ids_add(char ***ids, int *n, const char *id)
{
	char **p;
	for (int i = 0; i < *n; i++)
		if (strcmp((*ids)[i], id) == 0)
			return 0;
	p = realloc(*ids, (size_t)(*n + 1) * sizeof(*p));
	if (!p)
		return -1;
	*ids = p;
	if (!(p[*n] = strdup(id)))
		return -1;
	(*n)++;
	return 0;
}

int hub_cal_mirror_ids(hub_db *db, char ***ids)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	int64_t since =
	    hub_cal_now() - (int64_t)cfg->calendar_idle_days * 86400;
	hub_stmt *st = NULL;
	int n = 0, rc;

	*ids = NULL;
	if (cfg->central_calendar_id[0] &&
	    ids_add(ids, &n, cfg->central_calendar_id) != 0)
		goto fail;
	rc = hub_store_prepare(db,
			       "SELECT calendar_id FROM cal_calendars WHERE "
			       "last_seen >= ? ORDER BY calendar_id",
			       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, since);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		if (ids_add(ids, &n, hub_col_text(st, 0)) != 0)
			goto fail;
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	st = NULL;
	if (rc != HUB_DB_DONE)
		goto fail;
	return n;
fail:
	hub_stmt_finalize(st);
	hub_cal_ids_free(*ids, n);
	*ids = NULL;
	return -1;
}
