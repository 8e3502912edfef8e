/*
 * cal_mirror_many.c - hub_cal_events_many: the mirrored events of several
 * calendars in one query (the slot listing needs every consultant's week
 * at once: one statement instead of one per calendar), written into the
 * caller's buffer so that a request allocates nothing for them, or from
 * the in-process copy of the same answer while the mirror is unchanged
 * (cal_mirror_copy.c). See cal_events_many in hub/module.h.
 */
#include "calendar/cal_internal.h"
#include "calendar/calendar.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#define MANY_MAX 64 /* calendars per query; more are read in batches */

/* "... calendar_id IN (?, ?, ...)" for n placeholders into out. */
static void many_sql(char *out, size_t outlen, int n)
{
	size_t o = (size_t)snprintf(
	    out, outlen,
	    "SELECT calendar_id, event_id, summary, color_id, hub_key, "
	    "start_utc, end_utc, all_day FROM cal_events WHERE start_utc < ? "
	    "AND end_utc > ? AND status <> 'cancelled' AND calendar_id IN (");
	for (int i = 0; i < n && o + 4 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, i ? ", ?" : "?");
	/* the order the index cal_events_by_time gives without sorting;
	 * ties of start_utc are put in event_id order by ties_by_id (an
	 * event_id term here made SQLite sort every (calendar, start)
	 * group in a temporary b-tree: 40% of the query's work) */
	snprintf(out + o, outlen - o, ") ORDER BY calendar_id, start_utc");
}

/* Puts events of equal start_utc in ev[0..n) (sorted by start_utc) in
 * event_id order: an insertion sort that only moves ties, so O(n) when
 * starts are distinct. */
static void ties_by_id(hub_cal_event *ev, int n)
{
	for (int i = 1; i < n; i++) {
		int j = i;
		if (ev[i].start_utc != ev[i - 1].start_utc ||
		    strcmp(ev[i - 1].id, ev[i].id) <= 0)
			continue;
		hub_cal_event t = ev[i];
		while (j > 0 && ev[j - 1].start_utc == t.start_utc &&
		       strcmp(ev[j - 1].id, t.id) > 0) {
			ev[j] = ev[j - 1];
			j--;
		}
		ev[j] = t;
	}
}

/* Index of `id` in ids[0..n), or -1. */
static int index_of(const char *const *ids, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (id && !strcmp(ids[i], id))
			return i;
	return -1;
}

/* Every field is written (the strings NUL-terminated), so no memset. */
static void row_to_event(hub_stmt *st, hub_cal_event *e)
{
	hub_cal_copy_utf8(e->id, sizeof(e->id), hub_col_text(st, 1));
	hub_cal_copy_utf8(e->summary, sizeof(e->summary), hub_col_text(st, 2));
	hub_cal_copy_utf8(e->color_id, sizeof(e->color_id),
			  hub_col_text(st, 3));
	hub_cal_copy_utf8(e->hub_key, sizeof(e->hub_key), hub_col_text(st, 4));
	e->start_utc = hub_col_int(st, 5);
	e->end_utc = hub_col_int(st, 6);
	e->all_day = (int)hub_col_int(st, 7);
}

/* Reads the events of ids[0..n) (n <= MANY_MAX) into buf from *total
 * on. The rows come grouped by calendar (ORDER BY calendar_id). Returns
 * 0 or -1. */
static int read_batch(hub_db *db, const char *const *ids, int n,
		      int64_t from_utc, int64_t to_utc, hub_cal_event *buf,
		      int cap, int *first, int *counts, int *total)
{
	char sql[900];
	hub_stmt *st = NULL;
	int rc;
	many_sql(sql, sizeof(sql), n);
	rc = hub_store_prepare(db, sql, &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, to_utc);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, from_utc);
	for (int i = 0; rc == HUB_DB_OK && i < n; i++)
		rc = hub_stmt_bind_text(st, 3 + i, ids[i]);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		int idx = index_of(ids, n, hub_col_text(st, 0));
		rc = HUB_DB_OK;
		if (idx < 0)
			continue;
		if (counts[idx]++ == 0)
			first[idx] = *total;
		if (*total < cap)
			row_to_event(st, &buf[*total]);
		(*total)++;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE)
		return -1;
	for (int i = 0; i < n; i++)
		if (counts[i] > 0 && first[i] < cap)
			ties_by_id(buf + first[i], first[i] + counts[i] <= cap
						       ? counts[i]
						       : cap - first[i]);
	return 0;
}

int hub_cal_events_many(const char *const *calendar_ids, int n,
			int64_t from_utc, int64_t to_utc, hub_cal_event *buf,
			int cap, int *first, int *counts)
{
	hub_cal_copy_keybuf key;
	hub_db *db;
	int total = 0;

	if (!first || !counts || n < 0 || (cap > 0 && !buf))
		return -1;
	for (int i = 0; i < n; i++) {
		first[i] = 0;
		counts[i] = 0;
		if (!calendar_ids[i] || !*calendar_ids[i] ||
		    strlen(calendar_ids[i]) > 1024)
			return -1;
	}
	if (!hub_cal_ready())
		return -1;
	if (n == 0 || !hub_cal_be()->remote || to_utc <= from_utc)
		return 0;
	if (!(db = hub_store_db()))
		return -1;
	/* a new id makes the sync job run now (as hub_cal_events does) */
	for (int i = 0; i < n; i++)
		if (hub_cal_seen(calendar_ids[i], hub_cal_now()) == 2)
			hub_cal_sync_soon();
	/* the key before the read: a change committed meanwhile makes this
	 * copy one nobody asks for again (cal_mirror_copy.c) */
	hub_cal_copy_key(calendar_ids, n, from_utc, to_utc, &key);
	if ((total = hub_cal_copy_get(&key, n, buf, cap, first, counts)) >= 0)
		return total;
	total = 0;
	for (int b = 0; b < n; b += MANY_MAX) {
		int k = n - b < MANY_MAX ? n - b : MANY_MAX;
		if (read_batch(db, calendar_ids + b, k, from_utc, to_utc, buf,
			       cap, first + b, counts + b, &total) != 0)
			return -1;
	}
	hub_cal_copy_put(&key, n, total, buf, cap, first, counts);
	return total;
}
