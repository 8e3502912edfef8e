/*
 * booking_http_admin.c - admin routes of the booking module:
 *   GET|POST /api/v1/admin/blocked-dates, DELETE .../blocked-dates/{date}
 *     custom blocked days and single slots (time "HH:MM"); the GET also
 *     lists public holidays (current and next year, or those in ?from=&to=)
 *     with "holiday": true, which cannot be deleted.
 *     A single slot is named by "time" ("HH:MM" on that date) or by
 *     "start" (its RFC 3339 start; the date then may be left out).
 * The consultants' admin routes are in booking_http_cons.c.
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ====================================================== blocked dates */

/* One entry of the blocked-dates list. */
typedef struct block_item {
	char date[11];
	char time[6]; /* "" = whole day */
	char reason[604];
	char added_by[64];
	int64_t added_at;
	int holiday;
} block_item;

static int item_cmp(const void *a, const void *b)
{
	const block_item *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	if (c == 0)
		c = y->holiday - x->holiday;
	return c ? c : strcmp(x->time, y->time);
}

static void item_json(booking_buf *b, const block_item *it)
{
	booking_buf_puts(b, "{\"date\":");
	booking_buf_json_str(b, it->date);
	booking_buf_puts(b, ",\"time\":");
	if (it->time[0])
		booking_buf_json_str(b, it->time);
	else
		booking_buf_puts(b, "null");
	booking_buf_puts(b, ",\"reason\":");
	booking_buf_json_str(b, it->reason);
	booking_buf_printf(b, ",\"holiday\":%s,\"deletable\":%s",
			   it->holiday ? "true" : "false",
			   it->holiday ? "false" : "true");
	if (!it->holiday) {
		booking_buf_puts(b, ",\"added_by\":");
		booking_buf_json_str(b, it->added_by);
		booking_buf_puts(b, ",\"added_at\":");
		booking_buf_json_time(b, it->added_at);
	}
	booking_buf_puts(b, "}");
}

/* A growing list of block_items. */
typedef struct block_list {
	block_item *items;
	int n, cap;
} block_list;

/* A new zeroed item at the end of l; NULL when out of memory. */
static block_item *block_list_push(block_list *l)
{
	block_item *it;
	if (l->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 64;
		block_item *ni =
		    realloc(l->items, sizeof(*l->items) * (size_t)ncap);
		if (!ni)
			return NULL;
		l->items = ni;
		l->cap = ncap;
	}
	it = &l->items[l->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* Appends the stored blocked days and slots of [f, t] (dates as text) to
 * l. Returns HUB_DB_DONE or an error. */
static int blocks_read(hub_db *db, const char *f, const char *t, block_list *l)
{
	hub_stmt *st = NULL;
	int rc =
	    hubkit_prepare(BOOKING_SQL, db,
			   "SELECT date, time, reason, added_by, "
			   "added_at FROM booking_blocks WHERE date >= "
			   "? AND date <= ? ORDER BY date, time",
			   HUBKIT_ARGS(HUBKIT_TEXT(f), HUBKIT_TEXT(t)), &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		block_item *it = block_list_push(l);
		if (!it) {
			rc = HUB_DB_ERROR;
			break;
		}
		rc = HUB_DB_OK;
		snprintf(it->date, sizeof(it->date), "%s",
			 BOOKING_API->col_text(st, 0));
		snprintf(it->time, sizeof(it->time), "%s",
			 BOOKING_API->col_text(st, 1));
		snprintf(it->reason, sizeof(it->reason), "%s",
			 BOOKING_API->col_text(st, 2));
		snprintf(it->added_by, sizeof(it->added_by), "%s",
			 BOOKING_API->col_text(st, 3));
		it->added_at = BOOKING_API->col_int(st, 4);
	}
	BOOKING_API->stmt_finalize(st);
	return rc;
}

/* Appends the public holidays of years y0..y1 that fall into the range
 * (from when has_from, to when has_to) to l; stops when out of memory. */
static void blocks_add_holidays(block_list *l, int y0, int y1, hub_date from,
				int has_from, hub_date to, int has_to)
{
	for (int y = y0; y <= y1; y++) {
		booking_holiday h[32];
		int k = booking_holidays(booking_m.cfg.state, y, h, 32);
		for (int i = 0; i < k; i++) {
			block_item *it;
			if ((has_from && hub_date_diff(h[i].date, from) < 0) ||
			    (has_to && hub_date_diff(h[i].date, to) > 0))
				continue;
			it = block_list_push(l);
			if (!it)
				return;
			hub_date_format(h[i].date, it->date);
			snprintf(it->reason, sizeof(it->reason), "%s",
				 h[i].name);
			it->holiday = 1;
		}
	}
}

/* Sorts the list and answers it as one page. */
static int blocks_reply(hub_req *req, block_list *l)
{
	booking_buf b;
	if (l->n > 1)
		qsort(l->items, (size_t)l->n, sizeof(*l->items), item_cmp);
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < l->n; i++) {
		if (i)
			booking_buf_puts(&b, ",");
		item_json(&b, &l->items[i]);
	}
	booking_buf_puts(&b, "],\"next_cursor\":null}");
	return booking_reply_buf(req, 200, &b);
}

int booking_h_blocks_list(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	hub_date from, to, today = hub_date_today();
	char f[11] = "0000-00-00", t[11] = "9999-99-99";
	int has_from, has_to, rc, y0, y1;
	block_list l = {NULL, 0, 0};
	(void)ud;

	if (booking_query_date(req, "from", &from, &has_from) != 0 ||
	    booking_query_date(req, "to", &to, &has_to) != 0)
		return 0;
	if (has_from && has_to && hub_date_diff(to, from) < 0)
		return hubkit_invalid(BOOKING_API, req, "to",
				      "must not be before 'from'");
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	if (has_from)
		hub_date_format(from, f);
	if (has_to)
		hub_date_format(to, t);
	rc = blocks_read(db, f, t, &l);
	if (rc != HUB_DB_DONE) {
		free(l.items);
		return booking_reply_db_error(req, db,
					      rc < 0 ? rc : HUB_DB_ERROR);
	}
	/* holidays: the current and next year, or the years of the range */
	y0 = has_from ? from.y : today.y;
	y1 = has_to ? to.y : (has_from ? from.y + 1 : today.y + 1);
	if (y1 - y0 > 10)
		y1 = y0 + 10;
	blocks_add_holidays(&l, y0, y1, from, has_from, to, has_to);
	rc = blocks_reply(req, &l);
	free(l.items);
	return rc;
}

/* Checks a "time" value for date d: a start of the grid that day.
 * Returns the minute, or -1 after answering 422. */
static int check_block_time(hub_req *req, hub_date d, const char *t)
{
	const booking_grid *g = &booking_m.cfg.grid;
	const char *p = t;
	int m, wd = hub_date_weekday(d);
	if (booking_hhmm_parse(&p, 0, &m) != 0 || *p)
		return hubkit_invalid(BOOKING_API, req, "time",
				      "must be HH:MM");
	for (int i = 0; i < g->count[wd]; i++)
		if (g->minute[wd][i] == m)
			return m;
	return hubkit_invalid(BOOKING_API, req, "time",
			      "is not a slot start on that day");
}

typedef struct block_tx {
	hub_req *req;
	const char *date, *time, *reason, *user;
	int64_t from, to; /* bookings affected: slot_start range */
	int affected;
	int deleted;
} block_tx;

static int block_add_fn(hub_db *db, void *ud)
{
	block_tx *t = ud;
	hub_stmt *st = NULL;
	char target[24];
	hubkit_arg args[] = {HUBKIT_TEXT(t->date), HUBKIT_TEXT(t->time),
			     HUBKIT_TEXT(t->reason), HUBKIT_TEXT(t->user),
			     HUBKIT_INT(time(NULL))};
	int rc = hubkit_prepare(BOOKING_SQL, db,
				"INSERT INTO booking_blocks (date, time, "
				"reason, added_by, added_at) VALUES (?, "
				"?, ?, ?, ?)",
				args, 5, &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	BOOKING_API->stmt_finalize(st);
	st = NULL;
	if (rc != HUB_DB_DONE)
		return rc < 0 ? rc : HUB_DB_ERROR;
	rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT COUNT(*) FROM booking_bookings WHERE "
	    "slot_start >= ? AND slot_start < ? AND status = "
	    "'booked'",
	    (hubkit_arg[]){HUBKIT_INT(t->from), HUBKIT_INT(t->to)}, 2, &st);
	if (rc == HUB_DB_OK && BOOKING_API->stmt_step(st) == HUB_DB_ROW)
		t->affected = (int)BOOKING_API->col_int(st, 0);
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_OK)
		return rc;
	if ((rc = booking_db_bump_gen(db)) != HUB_DB_OK)
		return rc;
	snprintf(target, sizeof(target), "%s%s%s", t->date,
		 t->time[0] ? " " : "", t->time);
	return BOOKING_API->audit(t->req, db, "booking.block.add", target,
				  t->reason) == 0
		   ? HUB_DB_OK
		   : HUB_DB_ERROR;
}

/* Reads what a block names: "date" and optional "time", or "start" (a
 * slot's RFC 3339 start; "date" and "time", when also given, must agree).
 * Fills d, date (11 bytes), tm (6 bytes, "" = whole day) and *minute (-1
 * = whole day). Answers 422 naming the field and returns -1 when bad. */
static int block_target(hub_req *req, const cJSON *body, hub_date *d,
			char *date, char *tm, int *minute)
{
	const char *ds, *ts, *ss;
	int64_t start;
	*minute = -1;
	tm[0] = 0;
	if (hubkit_str_field(BOOKING_API, req, body, "start", 0, 1, 40, &ss) ||
	    hubkit_str_field(BOOKING_API, req, body, "date", !ss, 10, 10,
			     &ds) ||
	    hubkit_str_field(BOOKING_API, req, body, "time", 0, 5, 5, &ts))
		return -1;
	if (ds && hub_date_parse(ds, d) != 0)
		return hubkit_invalid(BOOKING_API, req, "date",
				      "must be a date YYYY-MM-DD");
	if (ss) {
		hub_date sd;
		int m;
		if (hub_time_parse(ss, &start) != 0)
			return hubkit_invalid(BOOKING_API, req, "start",
					      "must be an RFC 3339 date-time");
		if (!booking_grid_match(&booking_m.cfg.grid, start, &sd, &m))
			return hubkit_invalid(BOOKING_API, req, "start",
					      "is not a slot start");
		if (ds && hub_date_diff(sd, *d) != 0)
			return hubkit_invalid(BOOKING_API, req, "date",
					      "does not match 'start'");
		*d = sd;
		snprintf(tm, 6, "%02d:%02d", m / 60, m % 60);
		if (ts && strcmp(ts, tm) != 0)
			return hubkit_invalid(BOOKING_API, req, "time",
					      "does not match 'start'");
		*minute = m;
	} else if (ts) {
		if ((*minute = check_block_time(req, *d, ts)) < 0)
			return -1;
		snprintf(tm, 6, "%s", ts);
	}
	hub_date_format(*d, date);
	return 0;
}

int booking_h_blocks_add(hub_req *req, void *ud)
{
	static const char *const fields[] = {"date", "reason", "time", "start",
					     NULL};
	hub_db *db = BOOKING_API->db();
	cJSON *body = NULL;
	const char *reason;
	char date[11], tmbuf[6];
	const char *tm = NULL;
	const char *hol;
	hub_date d;
	hub_user u;
	block_tx t;
	int minute = -1, rc;
	(void)ud;

	memset(&t, 0, sizeof(t));
	if (booking_req_user(req, &u) != 0 ||
	    hubkit_read_json(BOOKING_API, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(BOOKING_API, req, body, fields) != 0 ||
	    block_target(req, body, &d, date, tmbuf, &minute) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "reason", 1, 1, 150,
			     &reason) != 0)
		goto out;
	if (tmbuf[0])
		tm = tmbuf;
	hol = booking_holiday_name(booking_m.cfg.state, d);
	if (hol) {
		char msg[200];
		snprintf(msg, sizeof(msg), "%s is a public holiday (%s)", date,
			 hol);
		BOOKING_API->reply_error(req, 409, "holiday", msg, NULL);
		goto out;
	}
	if (!db) {
		booking_reply_db_error(req, db, HUB_DB_ERROR);
		goto out;
	}
	t.req = req;
	t.date = date;
	t.time = tm ? tm : "";
	t.reason = reason;
	t.user = u.username;
	if (minute >= 0) {
		hub_time_from_local(d, minute / 60, minute % 60, &t.from);
		t.to = t.from + 1;
	} else {
		hub_time_from_local(d, 0, 0, &t.from);
		hub_time_from_local(hub_date_add(d, 1), 0, 0, &t.to);
	}
	rc = BOOKING_API->db_transaction(db, block_add_fn, &t);
	if (rc == HUB_DB_ECONSTRAINT) {
		BOOKING_API->reply_error(req, 409, "exists",
					 "this day or slot is blocked already",
					 NULL);
	} else if (rc != HUB_DB_OK) {
		booking_reply_db_error(req, db, rc);
	} else {
		block_item it;
		booking_buf b;
		memset(&it, 0, sizeof(it));
		snprintf(it.date, sizeof(it.date), "%s", date);
		snprintf(it.time, sizeof(it.time), "%s", t.time);
		snprintf(it.reason, sizeof(it.reason), "%s", reason);
		snprintf(it.added_by, sizeof(it.added_by), "%s", u.username);
		it.added_at = (int64_t)time(NULL);
		booking_admin_changed();
		booking_buf_init(&b);
		item_json(&b, &it);
		if (!b.oom && b.len)
			b.len--;
		booking_buf_printf(&b, ",\"bookings_affected\":%d}",
				   t.affected);
		booking_reply_buf(req, 201, &b);
	}
out:
	cJSON_Delete(body);
	return 0;
}

static int block_del_fn(hub_db *db, void *ud)
{
	block_tx *t = ud;
	hub_stmt *st = NULL;
	char target[24];
	int rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "DELETE FROM booking_blocks WHERE date = ? AND time = ?",
	    (hubkit_arg[]){HUBKIT_TEXT(t->date), HUBKIT_TEXT(t->time)}, 2, &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE ? HUB_DB_OK
							       : HUB_DB_ERROR;
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_OK)
		return rc;
	t->deleted = BOOKING_API->db_changes(db);
	if (!t->deleted)
		return BOOKING_TX_NOTFOUND;
	if ((rc = booking_db_bump_gen(db)) != HUB_DB_OK)
		return rc;
	snprintf(target, sizeof(target), "%s%s%s", t->date,
		 t->time[0] ? " " : "", t->time);
	return BOOKING_API->audit(t->req, db, "booking.block.delete", target,
				  "unblocked") == 0
		   ? HUB_DB_OK
		   : HUB_DB_ERROR;
}

int booking_h_blocks_delete(hub_req *req, void *ud)
{
	const char *date = BOOKING_API->req_param(req, "date");
	const char *tm = BOOKING_API->req_query(req, "time");
	hub_db *db = BOOKING_API->db();
	hub_date d;
	block_tx t;
	int rc;
	(void)ud;

	memset(&t, 0, sizeof(t));
	if (!date || hub_date_parse(date, &d) != 0)
		return hubkit_invalid(BOOKING_API, req, "date",
				      "must be a date YYYY-MM-DD");
	if (tm && *tm) {
		/* any HH:MM: a block stays removable when the grid changed */
		const char *p = tm;
		int m;
		if (booking_hhmm_parse(&p, 0, &m) != 0 || *p)
			return hubkit_invalid(BOOKING_API, req, "time",
					      "must be HH:MM");
	}
	if (booking_holiday_name(booking_m.cfg.state, d) && !(tm && *tm))
		return BOOKING_API->reply_error(
		    req, 409, "holiday", "public holidays cannot be removed",
		    NULL);
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	t.req = req;
	t.date = date;
	t.time = tm ? tm : "";
	rc = BOOKING_API->db_transaction(db, block_del_fn, &t);
	if (rc == BOOKING_TX_NOTFOUND)
		return BOOKING_API->reply_error(
		    req, 404, "not_found",
		    "no custom block on that day or slot", NULL);
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	booking_admin_changed();
	return BOOKING_API->reply(req, 204, NULL, "", 0);
}
