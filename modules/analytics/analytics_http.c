/*
 * analytics_http.c - GET /api/v1/analytics/{summary, consultants,
 * consultants/{id}, bookers, heatmap, trend}: the period and filters of
 * the query string, who may see what, and the JSON (or CSV) answers.
 *
 * Periods are local dates from..to inclusive (default: the 30 days up to
 * today); the previous period is the one of equal length just before.
 * Consultants see their own figures only (narrowed, or 403 when they ask
 * for someone else's); admins see everything; the router keeps staff out.
 */
#include "analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DAYS 3660 /* ten years: a period longer than that is refused */
/* ========================================================== parameters */

static int period_bounds(an_period *p)
{
	return hub_time_from_local(p->from, 0, 0, &p->a) == 0 &&
		       hub_time_from_local(hub_date_add(p->to, 1), 0, 0,
					   &p->b) == 0
		   ? 0
		   : -1;
}

/* Reads from/to. Returns 0, or -1 after answering 422. */
static int parse_period(hub_req *req, an_query *q)
{
	const char *from = an_api->req_query(req, "from");
	const char *to = an_api->req_query(req, "to");
	int64_t len;

	q->cur.to = hub_date_today();
	if (to && hub_date_parse(to, &q->cur.to) != 0)
		return hubkit_invalid(an_api, req, "to",
				      "must be a date YYYY-MM-DD");
	q->cur.from = hub_date_add(q->cur.to, -29);
	if (from && hub_date_parse(from, &q->cur.from) != 0)
		return hubkit_invalid(an_api, req, "from",
				      "must be a date YYYY-MM-DD");
	len = hub_date_diff(q->cur.to, q->cur.from) + 1;
	if (len < 1)
		return hubkit_invalid(an_api, req, "from", "is after 'to'");
	if (len > MAX_DAYS)
		return hubkit_invalid(an_api, req, "to",
				      "period longer than 3660 days");
	q->prev.to = hub_date_add(q->cur.from, -1);
	q->prev.from = hub_date_add(q->cur.from, -(int)len);
	if (period_bounds(&q->cur) != 0 || period_bounds(&q->prev) != 0)
		return hubkit_invalid(an_api, req, "from", "out of range");
	return 0;
}

/* 1 when consultant record `id` exists, 0 when not, < 0 on error. */
static int consultant_exists(hub_db *db, int64_t id, char *name, size_t n)
{
	hub_stmt *st = NULL;
	int rc = an_api->db_prepare(
	    db, "SELECT name FROM booking_consultants WHERE id = ?", &st);
	if (rc == HUB_DB_OK)
		rc = an_api->stmt_bind_int(st, 1, id);
	if (rc == HUB_DB_OK) {
		rc = an_api->stmt_step(st);
		if (rc == HUB_DB_ROW && name)
			snprintf(name, n, "%s", an_api->col_text(st, 0));
		rc = rc == HUB_DB_ROW ? 1 : rc == HUB_DB_DONE ? 0 : rc;
	}
	an_api->stmt_finalize(st);
	return rc;
}

/* A text filter of at most 100 bytes without control characters. */
static int text_ok(const char *s, int ident)
{
	size_t n = strlen(s);
	if (n == 0 || n > 100 || !hubkit_utf8_valid(s, n))
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 ||
		    (ident && !((*p >= 'a' && *p <= 'z') ||
				(*p >= '0' && *p <= '9') || *p == '_')))
			return 0;
	return 1;
}

/* Reads consultant/booker/category and narrows a consultant's view.
 * Returns 0, or -1 after answering (403, 422, 503). */
static int parse_filter(hub_req *req, an_query *q)
{
	const char *c = an_api->req_query(req, "consultant");
	const char *b = an_api->req_query(req, "booker");
	const char *k = an_api->req_query(req, "category");
	long long id = 0;
	int own = q->user.role == HUB_ROLE_CONSULTANT;

	if (c && hubkit_parse_int(c, 1, INT64_MAX, &id) != 0)
		return hubkit_invalid(an_api, req, "consultant",
				      "must be a consultant id");
	if (c) {
		int rc = consultant_exists(q->db, id, NULL, 0);
		if (rc < 0)
			return an_api->reply_error(req, 503, "unavailable",
						   "storage failed", NULL),
			       -1;
		if (rc == 0)
			return hubkit_invalid(an_api, req, "consultant",
					      "no such consultant");
		if (own && id != q->user.consultant_id)
			return an_api->reply_error(
				   req, 403, "forbidden",
				   "consultants see their own figures only",
				   NULL),
			       -1;
	}
	if (b && !text_ok(b, 0))
		return hubkit_invalid(an_api, req, "booker",
				      "must be a user name");
	if (k && !text_ok(k, 1))
		return hubkit_invalid(an_api, req, "category",
				      "must be a category name");
	q->f.consultant = id;
	if (own)
		q->f.consultant =
		    q->user.consultant_id > 0 ? q->user.consultant_id : -1;
	q->f.booker = b;
	q->f.category = k;
	return 0;
}

int an_begin(hub_req *req, an_query *q)
{
	const char *fmt = an_api->req_query(req, "format");
	memset(q, 0, sizeof(*q));
	if (an_api->req_user(req, &q->user) != 0)
		return an_api->reply_error(req, 401, "unauthenticated",
					   "sign in first", NULL),
		       -1;
	q->db = an_api->db();
	if (!q->db)
		return an_api->reply_error(req, 503, "unavailable",
					   "storage unavailable", NULL),
		       -1;
	if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0)
		return hubkit_invalid(an_api, req, "format",
				      "must be json or csv");
	q->csv = fmt && strcmp(fmt, "csv") == 0;
	if (parse_period(req, q) != 0)
		return -1;
	return parse_filter(req, q);
}

int an_storage_failed(hub_req *req)
{
	an_api->log(an_ctx, HUB_LOG_ERROR, "analytics query failed: %s",
		    an_api->db_errmsg(an_api->db()));
	return an_api->reply_error(req, 503, "unavailable",
				   "storage failed, try again", NULL);
}

/* ============================================================= figures */

static void put_rate(cJSON *o, const char *name, int64_t num, int64_t den)
{
	if (den > 0)
		cJSON_AddNumberToObject(o, name, (double)num / (double)den);
	else
		cJSON_AddNullToObject(o, name);
}

void an_put_figures(cJSON *o, const an_counts *c)
{
	int64_t decided = c->appeared + c->no_show;
	cJSON_AddNumberToObject(o, "bookings", (double)c->bookings);
	cJSON_AddNumberToObject(o, "appeared", (double)c->appeared);
	cJSON_AddNumberToObject(o, "no_show", (double)c->no_show);
	cJSON_AddNumberToObject(o, "cancelled", (double)c->cancelled);
	cJSON_AddNumberToObject(
	    o, "pending",
	    (double)(c->bookings - c->appeared - c->no_show - c->cancelled));
	put_rate(o, "appearance_rate", c->appeared, decided);
	put_rate(o, "no_show_rate", c->no_show, decided);
	if (c->bookings > 0)
		cJSON_AddNumberToObject(o, "lead_time_days_avg",
					(double)c->lead_s /
					    (double)c->bookings / 86400.0);
	else
		cJSON_AddNullToObject(o, "lead_time_days_avg");
}

void an_put_dates(cJSON *o, const an_period *p)
{
	char a[16], b[16];
	hub_date_format(p->from, a);
	hub_date_format(p->to, b);
	cJSON_AddStringToObject(o, "from", a);
	cJSON_AddStringToObject(o, "to", b);
}

static void put_filter(cJSON *o, const an_filter *f)
{
	if (f->consultant > 0)
		cJSON_AddNumberToObject(o, "consultant", (double)f->consultant);
	else
		cJSON_AddNullToObject(o, "consultant");
	if (f->booker)
		cJSON_AddStringToObject(o, "booker", f->booker);
	else
		cJSON_AddNullToObject(o, "booker");
	if (f->category)
		cJSON_AddStringToObject(o, "category", f->category);
	else
		cJSON_AddNullToObject(o, "category");
}

/* ============================================================= summary */

typedef struct two_periods {
	int64_t split; /* first instant of the current period */
	an_counts cur, prev;
} two_periods;

static void split_row(void *ud, int64_t slot, const char *key,
		      const an_counts *c)
{
	two_periods *t = ud;
	(void)key;
	an_counts_add(slot >= t->split ? &t->cur : &t->prev, c);
}

/* Answers the summary of q (with the consultant's name when not NULL). */
static int reply_summary(hub_req *req, an_query *q, const char *name)
{
	two_periods t;
	double rate;
	cJSON *o, *prev, *alert;
	int rc;

	memset(&t, 0, sizeof(t));
	t.split = q->cur.a;
	rc = an_scan(q->db, q->prev.a, q->cur.b, &q->f, AN_GROUP_NONE,
		     split_row, &t);
	if (rc == HUB_DB_OK)
		rc = an_alert(q->db, &q->f, &rate);
	if (rc != HUB_DB_OK)
		return an_storage_failed(req);
	if (q->f.consultant == 0 && !q->f.booker && !q->f.category)
		an_gauge_set(rate);
	o = cJSON_CreateObject();
	an_put_dates(o, &q->cur);
	an_put_figures(o, &t.cur);
	prev = cJSON_AddObjectToObject(o, "previous");
	an_put_dates(prev, &q->prev);
	an_put_figures(prev, &t.prev);
	alert = cJSON_AddObjectToObject(o, "alert");
	if (rate >= 0)
		cJSON_AddNumberToObject(alert, "no_show_rate_7d", rate);
	else
		cJSON_AddNullToObject(alert, "no_show_rate_7d");
	cJSON_AddNumberToObject(alert, "threshold", AN_ALERT_THRESHOLD);
	cJSON_AddBoolToObject(alert, "active", rate > AN_ALERT_THRESHOLD);
	put_filter(o, &q->f);
	if (name)
		cJSON_AddStringToObject(o, "consultant_name", name);
	return hubkit_reply_cjson(an_api, req, 200, o);
}

int an_h_summary(hub_req *req, void *ud)
{
	an_query q;
	(void)ud;
	if (an_begin(req, &q) != 0)
		return 0;
	return reply_summary(req, &q, NULL);
}

int an_h_consultant(hub_req *req, void *ud)
{
	an_query q;
	long long id;
	char name[256] = "";
	int rc;
	(void)ud;

	if (an_begin(req, &q) != 0)
		return 0;
	if (hubkit_parse_int(an_api->req_param(req, "id"), 1, INT64_MAX, &id) !=
	    0)
		return an_api->reply_error(req, 404, "not_found",
					   "no such consultant", NULL);
	if (q.user.role == HUB_ROLE_CONSULTANT && id != q.user.consultant_id)
		return an_api->reply_error(
		    req, 403, "forbidden",
		    "consultants see their own figures only", NULL);
	rc = consultant_exists(q.db, id, name, sizeof(name));
	if (rc < 0)
		return an_storage_failed(req);
	if (rc == 0)
		return an_api->reply_error(req, 404, "not_found",
					   "no such consultant", NULL);
	q.f.consultant = id;
	return reply_summary(req, &q, name);
}
