/*
 * cal_mirror_many.c - hub_cal_events_many: the mirrored events of several
 * calendars in one query (the slot listing needs every consultant's week
 * at once; one statement instead of one per calendar). See calendar.h.
 */
#include "calendar/cal_internal.h"
#include "calendar/calendar.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
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
	snprintf(out + o, outlen - o,
		 ") ORDER BY calendar_id, start_utc, "
		 "event_id");
}

/* Index of `id` in ids[0..n), or -1. */
static int index_of(const char *const *ids, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (id && !strcmp(ids[i], id))
			return i;
	return -1;
}

/* Appends one row's event (tagged with its calendar's index) to *v. */
static int push_row(hub_stmt *st, int idx, hub_cal_event **v, int **tag,
		    size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		hub_cal_event *p = realloc(*v, nc * sizeof(*p));
		if (!p)
			return -1;
		*v = p;
		int *t = realloc(*tag, nc * sizeof(*t));
		if (!t)
			return -1;
		*tag = t;
		*cap = nc;
	}
	hub_cal_event *e = &(*v)[*n];
	memset(e, 0, sizeof(*e));
	hub_cal_copy_utf8(e->id, sizeof(e->id), hub_col_text(st, 1));
	hub_cal_copy_utf8(e->summary, sizeof(e->summary), hub_col_text(st, 2));
	hub_cal_copy_utf8(e->color_id, sizeof(e->color_id),
			  hub_col_text(st, 3));
	hub_cal_copy_utf8(e->hub_key, sizeof(e->hub_key), hub_col_text(st, 4));
	e->start_utc = hub_col_int(st, 5);
	e->end_utc = hub_col_int(st, 6);
	e->all_day = (int)hub_col_int(st, 7);
	(*tag)[*n] = idx;
	(*n)++;
	return 0;
}

/* Reads the events of ids[0..n) (n <= MANY_MAX) into v and tag. */
static int read_batch(hub_db *db, const char *const *ids, int n, int base,
		      int64_t from_utc, int64_t to_utc, hub_cal_event **v,
		      int **tag, size_t *cnt, size_t *cap)
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
		if (idx >= 0 && push_row(st, base + idx, v, tag, cnt, cap) != 0)
			rc = HUB_DB_ERROR;
	}
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? 0 : -1;
}

/* Orders v by tag (stable, so each group stays by start) into a new
 * array; counts[] gets the group sizes. Frees v. NULL on OOM. */
static hub_cal_event *group(hub_cal_event *v, const int *tag, size_t n,
			    int ncal, int *counts)
{
	hub_cal_event *out = n ? malloc(n * sizeof(*out)) : NULL;
	int *pos = calloc((size_t)ncal + 1, sizeof(int));
	if ((n && !out) || !pos) {
		free(out);
		free(pos);
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		counts[tag[i]]++;
	for (int i = 0; i < ncal; i++)
		pos[i + 1] = pos[i] + counts[i];
	for (size_t i = 0; i < n; i++)
		out[pos[tag[i]]++] = v[i];
	free(pos);
	free(v);
	return out;
}

int hub_cal_events_many(const char *const *calendar_ids, int n,
			int64_t from_utc, int64_t to_utc, hub_cal_event **out,
			int *counts)
{
	hub_cal_event *v = NULL;
	int *tag = NULL;
	size_t cnt = 0, cap = 0;
	hub_db *db;
	int rc = 0;

	if (!out || !counts || n < 0)
		return -1;
	*out = NULL;
	memset(counts, 0, sizeof(int) * (size_t)n);
	for (int i = 0; i < n; i++)
		if (!calendar_ids[i] || !*calendar_ids[i] ||
		    strlen(calendar_ids[i]) > 1024)
			return -1;
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
	for (int b = 0; rc == 0 && b < n; b += MANY_MAX) {
		int k = n - b < MANY_MAX ? n - b : MANY_MAX;
		rc = read_batch(db, calendar_ids + b, k, b, from_utc, to_utc,
				&v, &tag, &cnt, &cap);
	}
	if (rc != 0) {
		free(v);
		free(tag);
		return -1;
	}
	*out = group(v, tag, cnt, n, counts);
	free(tag);
	if (cnt && !*out)
		return -1;
	return (int)cnt;
}
