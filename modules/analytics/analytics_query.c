/*
 * analytics_query.c - counts per slot from the rollups, or from the
 * bookings themselves when no rollup fits the filter (two filters at
 * once, say, which narrow the bookings enough to read them directly).
 */
#include "analytics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void an_counts_add(an_counts *a, const an_counts *b)
{
	a->bookings += b->bookings;
	a->appeared += b->appeared;
	a->no_show += b->no_show;
	a->cancelled += b->cancelled;
	a->lead_s += b->lead_s;
}

/* The counts as sums over rollup rows, or computed from bookings. */
#define ROLL_SUMS                                                              \
	"SUM(bookings), SUM(appeared), SUM(no_show), SUM(cancelled), "         \
	"SUM(lead_s)"
#define RAW_SUMS                                                               \
	"COUNT(*), SUM(CASE WHEN status <> 'cancelled' AND outcome <> "        \
	"'cancelled' AND outcome = 'appeared' THEN 1 ELSE 0 END), "            \
	"SUM(CASE WHEN status <> 'cancelled' AND outcome <> 'cancelled' AND "  \
	"outcome = 'no_show' THEN 1 ELSE 0 END), SUM(CASE WHEN status = "      \
	"'cancelled' OR outcome = 'cancelled' THEN 1 ELSE 0 END), "            \
	"SUM(slot_start - created_at)"

/* A query under construction: constant pieces and bound values. */
typedef struct an_sql {
	char text[1024];
	int nargs;
	int is_int[4];
	int64_t ints[4];
	const char *texts[4];
} an_sql;

static void sql_add(an_sql *q, const char *s)
{
	size_t n = strlen(q->text);
	snprintf(q->text + n, sizeof(q->text) - n, "%s", s);
}

static void arg_int(an_sql *q, int64_t v)
{
	q->is_int[q->nargs] = 1;
	q->ints[q->nargs++] = v;
}

static void arg_text(an_sql *q, const char *v)
{
	q->is_int[q->nargs] = 0;
	q->texts[q->nargs++] = v;
}

#define ROLL_COLS "bookings, appeared, no_show, cancelled, lead_s"

/* Builds the query for filter f and group g into q. A rollup row is
 * already one (slot, key): read as it is, in primary-key order, it needs
 * no grouping or sorting; only the per-slot table is summed over its
 * categories when no category is asked for. */
static void build(an_sql *q, const an_filter *f, int g)
{
	int cons = f->consultant != 0, book = f->booker != NULL;
	int cat = f->category != NULL;
	const char *group = NULL;

	q->text[0] = 0;
	q->nargs = 0;
	if (g == AN_GROUP_BOOKER && !cons && !cat)
		sql_add(q, "SELECT slot_start, booked_by, " ROLL_COLS
			   " FROM analytics_booker");
	else if (g == AN_GROUP_CONSULTANT && !book && !cat)
		sql_add(q, "SELECT slot_start, consultant_id, " ROLL_COLS
			   " FROM analytics_consultant");
	else if (g == AN_GROUP_NONE && !cons && !book && cat)
		sql_add(q, "SELECT slot_start, '', " ROLL_COLS
			   " FROM analytics_slot");
	else if (g == AN_GROUP_NONE && !cons && !book) {
		sql_add(q, "SELECT slot_start, '', " ROLL_SUMS
			   " FROM analytics_slot");
		group = " GROUP BY slot_start";
	} else if (g == AN_GROUP_NONE && !book && !cat)
		sql_add(q, "SELECT slot_start, '', " ROLL_COLS
			   " FROM analytics_consultant");
	else if (g == AN_GROUP_NONE && !cons && !cat)
		sql_add(q, "SELECT slot_start, '', " ROLL_COLS
			   " FROM analytics_booker");
	else {
		const char *key = g == AN_GROUP_BOOKER ? "booked_by"
				  : g == AN_GROUP_CONSULTANT
				      ? "COALESCE(consultant_id, 0)"
				      : "''";
		sql_add(q, "SELECT slot_start, ");
		sql_add(q, key);
		sql_add(q, ", " RAW_SUMS " FROM booking_bookings");
		group =
		    g == AN_GROUP_NONE ? " GROUP BY slot_start"
		    : g == AN_GROUP_BOOKER
			? " GROUP BY slot_start, booked_by"
			: " GROUP BY slot_start, COALESCE(consultant_id, 0)";
	}
	sql_add(q, " WHERE slot_start >= ? AND slot_start < ?");
	if (cons) {
		/* the rollup keeps "none assigned" as 0; no record has id 0,
		 * and a negative id matches nothing */
		sql_add(q, " AND consultant_id = ?");
		arg_int(q, f->consultant);
	}
	if (book) {
		sql_add(q, " AND booked_by = ?");
		arg_text(q, f->booker);
	}
	if (cat) {
		sql_add(q, " AND category = ?");
		arg_text(q, f->category);
	}
	if (group)
		sql_add(q, group);
}

int an_scan(hub_db *db, int64_t from, int64_t to, const an_filter *f, int group,
	    an_row_fn fn, void *ud)
{
	an_sql q;
	hub_stmt *st = NULL;
	int rc;

	build(&q, f, group);
	rc = an_api->db_prepare(db, q.text, &st);
	if (rc == HUB_DB_OK)
		rc = an_api->stmt_bind_int(st, 1, from);
	if (rc == HUB_DB_OK)
		rc = an_api->stmt_bind_int(st, 2, to);
	for (int i = 0; rc == HUB_DB_OK && i < q.nargs; i++)
		rc = q.is_int[i]
			 ? an_api->stmt_bind_int(st, i + 3, q.ints[i])
			 : an_api->stmt_bind_text(st, i + 3, q.texts[i]);
	while (rc == HUB_DB_OK) {
		an_counts c;
		int s = an_api->stmt_step(st);
		if (s == HUB_DB_DONE)
			break;
		if (s != HUB_DB_ROW) {
			rc = s < 0 ? s : HUB_DB_ERROR;
			break;
		}
		c.bookings = an_api->col_int(st, 2);
		c.appeared = an_api->col_int(st, 3);
		c.no_show = an_api->col_int(st, 4);
		c.cancelled = an_api->col_int(st, 5);
		c.lead_s = an_api->col_int(st, 6);
		if (c.bookings != 0)
			fn(ud, an_api->col_int(st, 0), an_api->col_text(st, 1),
			   &c);
	}
	an_api->stmt_finalize(st);
	return rc;
}

/* ================================================================ alert */

static void add_row(void *ud, int64_t slot, const char *key, const an_counts *c)
{
	(void)slot;
	(void)key;
	an_counts_add(ud, c);
}

int an_alert(hub_db *db, const an_filter *f, double *rate)
{
	hub_date today = hub_date_today();
	int64_t from, to;
	an_counts c;
	int rc;

	memset(&c, 0, sizeof(c));
	*rate = -1;
	if (hub_time_from_local(hub_date_add(today, -6), 0, 0, &from) != 0 ||
	    hub_time_from_local(hub_date_add(today, 1), 0, 0, &to) != 0)
		return HUB_DB_ERROR;
	rc = an_scan(db, from, to, f, AN_GROUP_NONE, add_row, &c);
	if (rc == HUB_DB_OK && c.appeared + c.no_show > 0)
		*rate = (double)c.no_show / (double)(c.appeared + c.no_show);
	return rc;
}
