/*
 * booking_http_list.c - reading bookings: GET /api/v1/bookings (a list
 * with limit/cursor and the filters from, to, mine, consultant, outcome,
 * status), GET /api/v1/bookings/{id} (with its history) and the admin CSV
 * export GET /api/v1/admin/export/bookings.csv.
 *
 * Who sees what: admins and staff everything ("mine=1" narrows it to the
 * caller's own bookings: a filter, not a wall); consultants the bookings
 * assigned to them (and any they booked). "q" matches customer names as
 * GET /customers does (case and umlauts folded, every word).
 * Imported history is listed like any other booking.
 */
#include "booking_mod.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 100
#define LIST_MAX     1000
#define EXPORT_MAX   200000

/* ====================================================== query builder */

/* A WHERE clause under construction with its parameters. */
typedef struct query {
	char sql[2048];
	int n;
	struct {
		int is_text;
		int64_t i;
		char t[BOOKING_NAME_MAX];
	} p[16];
} query;

static void q_add(query *q, const char *clause)
{
	strncat(q->sql, clause, sizeof(q->sql) - strlen(q->sql) - 1);
}

static void q_int(query *q, int64_t v)
{
	if (q->n < 16) {
		q->p[q->n].is_text = 0;
		q->p[q->n++].i = v;
	}
}

static void q_text(query *q, const char *v)
{
	if (q->n < 16) {
		q->p[q->n].is_text = 1;
		snprintf(q->p[q->n++].t, sizeof(q->p[0].t), "%s", v);
	}
}

static int q_prepare(hub_db *db, const query *q, hub_stmt **st)
{
	int rc = BOOKING_API->db_prepare(db, q->sql, st);
	for (int i = 0; rc == HUB_DB_OK && i < q->n; i++)
		rc = q->p[i].is_text
			 ? BOOKING_API->stmt_bind_text(*st, i + 1, q->p[i].t)
			 : BOOKING_API->stmt_bind_int(*st, i + 1, q->p[i].i);
	return rc;
}

/* "q": every word of it in the customer's folded name. Answers 422 and
 * returns -1 on a bad value. */
static int add_name_filter(hub_req *req, query *q)
{
	char pat[5][BOOKING_TERM_MAX];
	const char *text = BOOKING_API->req_query(req, "q");
	int n;
	if (!text)
		return 0;
	if (!hubkit_utf8_valid(text, strlen(text)) ||
	    hubkit_utf8_count(text) < 1 || hubkit_utf8_count(text) > 100)
		return hubkit_invalid(BOOKING_API, req, "q",
				      "must be 1 to 100 characters");
	n = booking_name_terms(text, pat, 5);
	if (n < 0) {
		BOOKING_API->reply_error(req, 500, "internal", "out of memory",
					 NULL);
		return -1;
	}
	if (n == 0)
		return hubkit_invalid(BOOKING_API, req, "q",
				      "must contain a name");
	for (int i = 0; i < n; i++) {
		q_add(q, " AND b.customer_key LIKE ? ESCAPE '\\'");
		q_text(q, pat[i]);
	}
	return 0;
}

/* Adds the filters every listing shares (range, visibility, consultant,
 * outcome, status, mine). Answers 422 and returns -1 on a bad value. */
static int add_filters(hub_req *req, hub_db *db, const hub_user *u, query *q)
{
	hub_date from, to;
	int has_from, has_to;
	const char *mine = BOOKING_API->req_query(req, "mine");
	const char *cons = BOOKING_API->req_query(req, "consultant");
	const char *outcome = BOOKING_API->req_query(req, "outcome");
	const char *status = BOOKING_API->req_query(req, "status");
	int64_t t;

	if (booking_query_date(req, "from", &from, &has_from) != 0 ||
	    booking_query_date(req, "to", &to, &has_to) != 0)
		return -1;
	if (has_from && has_to && hub_date_diff(to, from) < 0)
		return hubkit_invalid(BOOKING_API, req, "to",
				      "must not be before 'from'");
	if (has_from) {
		hub_time_from_local(from, 0, 0, &t);
		q_add(q, " AND b.slot_start >= ?");
		q_int(q, t);
	}
	if (has_to) {
		hub_time_from_local(hub_date_add(to, 1), 0, 0, &t);
		q_add(q, " AND b.slot_start < ?");
		q_int(q, t);
	}
	if (mine && strcmp(mine, "1") && strcmp(mine, "0") &&
	    strcmp(mine, "true") && strcmp(mine, "false"))
		return hubkit_invalid(BOOKING_API, req, "mine",
				      "must be 1 or 0");
	if (mine && (!strcmp(mine, "1") || !strcmp(mine, "true"))) {
		q_add(q, " AND b.booked_by = ?");
		q_text(q, u->username);
	} else if (u->role == HUB_ROLE_CONSULTANT) {
		q_add(q, " AND (b.consultant_id = ? OR b.booked_by = ?)");
		q_int(q, u->consultant_id > 0 ? u->consultant_id : -1);
		q_text(q, u->username);
	}
	if (cons && *cons) {
		long long id;
		if (hubkit_parse_int(cons, 1, INT64_MAX, &id) == 0) {
			q_add(q, " AND b.consultant_id = ?");
			q_int(q, id);
		} else {
			booking_consultant *c = NULL;
			int n = 0, found = 0;
			if (booking_db_consultants(db, 0, &c, &n) == HUB_DB_OK)
				for (int i = 0; i < n && !found; i++)
					if (strcmp(c[i].name, cons) == 0) {
						q_add(
						    q,
						    " AND b.consultant_id = ?");
						q_int(q, c[i].id);
						found = 1;
					}
			free(c);
			if (!found)
				return hubkit_invalid(BOOKING_API, req,
						      "consultant",
						      "names no consultant");
		}
	}
	if (outcome && *outcome) {
		if (!booking_outcome_valid(outcome))
			return hubkit_invalid(BOOKING_API, req, "outcome",
					      "must be pending, appeared, "
					      "no_show or cancelled");
		q_add(q, " AND b.outcome = ?");
		q_text(q, outcome);
	}
	if (status && *status) {
		if (strcmp(status, "booked") && strcmp(status, "cancelled"))
			return hubkit_invalid(BOOKING_API, req, "status",
					      "must be booked or cancelled");
		q_add(q, " AND b.status = ?");
		q_text(q, status);
	}
	return add_name_filter(req, q);
}

/* ============================================================== list */

int booking_h_list(hub_req *req, void *ud)
{
	const char *lim = BOOKING_API->req_query(req, "limit");
	const char *cur = BOOKING_API->req_query(req, "cursor");
	hub_db *db = BOOKING_API->db();
	long long limit = LIST_DEFAULT;
	long long cstart = 0, cid = 0;
	hub_stmt *st = NULL;
	booking_buf b;
	booking_row r;
	hub_user u;
	query q;
	int rc, n = 0, more = 0;
	int64_t last_start = 0, last_id = 0;
	(void)ud;

	if (booking_req_user(req, &u) != 0)
		return 0;
	if (lim && hubkit_parse_int(lim, 1, LIST_MAX, &limit) != 0)
		return hubkit_invalid(BOOKING_API, req, "limit",
				      "must be 1 to 1000");
	if (cur && *cur) {
		char tail;
		if (sscanf(cur, "s%lldi%lld%c", &cstart, &cid, &tail) != 2 ||
		    cid < 1)
			return hubkit_invalid(BOOKING_API, req, "cursor",
					      "is not a cursor of this list");
	}
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	memset(&q, 0, sizeof(q));
	q_add(&q, "SELECT " BOOKING_DB_COLS "WHERE 1 = 1");
	if (add_filters(req, db, &u, &q) != 0)
		return 0;
	if (cur && *cur) {
		q_add(&q, " AND (b.slot_start > ? OR (b.slot_start = ? AND "
			  "b.id > ?))");
		q_int(&q, cstart);
		q_int(&q, cstart);
		q_int(&q, cid);
	}
	q_add(&q, " ORDER BY b.slot_start, b.id LIMIT ?");
	q_int(&q, limit + 1);

	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"items\":[");
	rc = q_prepare(db, &q, &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		rc = HUB_DB_OK;
		if (n == limit) {
			more = 1;
			break;
		}
		booking_db_read(st, &r);
		if (n)
			booking_buf_puts(&b, ",");
		booking_row_json(&b, &r);
		last_start = r.slot_start;
		last_id = r.id;
		n++;
	}
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_OK && rc != HUB_DB_DONE) {
		booking_buf_free(&b);
		return booking_reply_db_error(req, db, rc);
	}
	if (more)
		booking_buf_printf(&b, "],\"next_cursor\":\"s%lldi%lld\"}",
				   (long long)last_start, (long long)last_id);
	else
		booking_buf_puts(&b, "],\"next_cursor\":null}");
	return booking_reply_buf(req, 200, &b);
}

/* =============================================================== get */

int booking_h_get(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	long long id;
	booking_buf b;
	booking_row r;
	hub_user u;
	int rc;
	(void)ud;

	if (booking_req_user(req, &u) != 0)
		return 0;
	if (hubkit_parse_int(BOOKING_API->req_param(req, "id"), 1, INT64_MAX,
			     &id) != 0)
		return BOOKING_API->reply_error(req, 404, "not_found",
						"no such booking", NULL);
	rc = db ? booking_db_get(db, id, &r) : HUB_DB_ERROR;
	if (rc == HUB_DB_ENOTFOUND)
		return BOOKING_API->reply_error(req, 404, "not_found",
						"no such booking", NULL);
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	if (!booking_may_touch(&u, &r))
		return BOOKING_API->reply_error(
		    req, 403, "forbidden", "this booking is not yours", NULL);
	booking_buf_init(&b);
	booking_row_json(&b, &r);
	if (b.len > 0 && !b.oom)
		b.len--; /* reopen the object for its history */
	booking_buf_puts(&b, ",\"history\":");
	rc = booking_db_history_json(db, r.id, &b);
	booking_buf_puts(&b, "}");
	if (rc != HUB_DB_OK) {
		booking_buf_free(&b);
		return booking_reply_db_error(req, db, rc);
	}
	return booking_reply_buf(req, 200, &b);
}

/* ============================================================ export */

int booking_h_export_csv(hub_req *req, void *ud)
{
	static const char header[] =
	    "id,start,end,date,time,weekday,last_name,first_name,category,"
	    "consultant,booked_by,created_at,status,outcome,"
	    "outcome_source,cancel_reason,description,legacy_id\r\n";
	hub_db *db = BOOKING_API->db();
	hub_stmt *st = NULL;
	booking_buf b;
	booking_row r;
	hub_user u;
	query q;
	int rc, n = 0;
	(void)ud;

	if (booking_req_user(req, &u) != 0)
		return 0;
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	memset(&q, 0, sizeof(q));
	q_add(&q, "SELECT " BOOKING_DB_COLS "WHERE 1 = 1");
	if (add_filters(req, db, &u, &q) != 0)
		return 0;
	q_add(&q, " ORDER BY b.slot_start, b.id LIMIT ?");
	q_int(&q, EXPORT_MAX);
	booking_buf_init(&b);
	booking_buf_puts(&b, header);
	rc = q_prepare(db, &q, &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		char t0[40], t1[40], created[40], date[11], hhmm[6], num[24];
		hub_date d;
		int hh, mm;
		rc = HUB_DB_OK;
		booking_db_read(st, &r);
		hub_time_format(r.slot_start, t0);
		hub_time_format(r.slot_end, t1);
		hub_time_format(r.created_at, created);
		hub_time_to_local(r.slot_start, &d, &hh, &mm, NULL, NULL);
		hub_date_format(d, date);
		snprintf(hhmm, sizeof(hhmm), "%02d:%02d", hh % 100, mm % 100);
		snprintf(num, sizeof(num), "%lld", (long long)r.id);
		const char *cols[] = {num,
				      t0,
				      t1,
				      date,
				      hhmm,
				      NULL,
				      r.last_name,
				      r.first_name,
				      r.category,
				      r.consultant,
				      r.booked_by,
				      created,
				      r.status,
				      r.outcome,
				      r.outcome_source,
				      r.cancel_reason,
				      r.description,
				      r.legacy_id};
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			if (i)
				booking_buf_puts(&b, ",");
			if (i == 5)
				booking_buf_printf(&b, "%d",
						   hub_date_weekday(d));
			else
				booking_buf_csv_field(&b, cols[i]);
		}
		booking_buf_puts(&b, "\r\n");
		n++;
	}
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		booking_buf_free(&b);
		return booking_reply_db_error(req, db,
					      rc < 0 ? rc : HUB_DB_ERROR);
	}
	if (b.oom) {
		booking_buf_free(&b);
		return BOOKING_API->reply_error(req, 500, "internal",
						"out of memory", NULL);
	}
	{
		char detail[48];
		snprintf(detail, sizeof(detail), "%d bookings exported", n);
		BOOKING_API->audit(req, db, "booking.export", "bookings.csv",
				   detail);
	}
	BOOKING_API->reply_header(req, "Content-Disposition",
				  "attachment; filename=\"bookings.csv\"");
	BOOKING_API->reply_header(req, "Cache-Control", "no-store");
	BOOKING_API->reply(req, 200, "text/csv; charset=utf-8", b.p, b.len);
	booking_buf_free(&b);
	return 0;
}
