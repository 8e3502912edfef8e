/*
 * booking_assign.c - what a new booking is checked and completed with
 * inside its slot's transaction, besides capacity:
 *
 *   - assignment: a booking for "any available" consultant gets one who
 *     is available for the slot and still has room there, the one with
 *     the fewest bookings in that slot first, then the fewest that day
 *     (then the order of the listing), so each consultant's own capacity
 *     holds and every consultant sees their appointments;
 *   - duplicates: the same customer (names folded as for the history)
 *     with an active booking in the slot;
 *   - name search: the LIKE patterns of a customer query (?q=), folded as
 *     GET /customers folds them.
 *
 * The candidates (who is available, with how many places) come from the
 * listing before the transaction; the counts are read inside it, after
 * the slot's lock, so concurrent bookings of one slot see each other.
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ========================================================= assignment */

int booking_assign_candidates(hub_db *db, const booking_slot_ref *s,
			      int64_t now, booking_cands *out)
{
	booking_inputs x;
	booking_view v;
	const booking_slot *sl;
	int rc = booking_inputs_load(db, s->date, s->date, now, &x);

	memset(out, 0, sizeof(*out));
	if (rc != HUB_DB_OK)
		return rc;
	if (booking_view_build(&x.in, &v) != 0) {
		booking_inputs_free(&x);
		return HUB_DB_ERROR;
	}
	sl = booking_view_find(&v, s->start);
	for (int k = 0; sl && k < sl->ncons && out->n < BOOKING_MAX_CANDS;
	     k++) {
		int i = v.cons_idx[sl->first_cons + k];
		booking_cand *c = &out->c[out->n];
		c->cap = booking_capacity_for(&booking_m.cfg.overrides,
					      hub_date_weekday(s->date),
					      s->minute, x.cons[i].capacity,
					      booking_m.cfg.capacity_default);
		if (c->cap <= 0)
			continue;
		c->id = x.cons[i].id;
		snprintf(c->name, sizeof(c->name), "%s", x.cons[i].name);
		out->n++;
	}
	booking_view_free(&v);
	booking_inputs_free(&x);
	return HUB_DB_OK;
}

/* Active bookings of consultant `id` in the slot and on its day. */
static int cons_counts(hub_db *db, int64_t id, int64_t slot, int64_t day0,
		       int64_t day1, int *in_slot, int *in_day)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT COALESCE(SUM(CASE WHEN slot_start = ? THEN 1 ELSE 0 "
	    "END), 0), COUNT(*) FROM booking_bookings WHERE consultant_id = "
	    "? AND status = 'booked' AND slot_start >= ? AND slot_start < ?",
	    HUBKIT_ARGS(HUBKIT_INT(slot), HUBKIT_INT(id), HUBKIT_INT(day0),
			HUBKIT_INT(day1)),
	    &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		*in_slot = (int)BOOKING_API->col_int(st, 0);
		*in_day = (int)BOOKING_API->col_int(st, 1);
		rc = HUB_DB_OK;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	BOOKING_API->stmt_finalize(st);
	return rc;
}

int booking_assign_pick(hub_db *db, const booking_cands *c,
			const booking_slot_ref *s, booking_row *r)
{
	int64_t day0, day1;
	int best = -1, best_slot = 0, best_day = 0, rc = HUB_DB_OK;

	if (r->consultant_id > 0 || c->n == 0)
		return HUB_DB_OK;
	if (hub_time_from_local(s->date, 0, 0, &day0) != 0 ||
	    hub_time_from_local(hub_date_add(s->date, 1), 0, 0, &day1) != 0)
		return HUB_DB_ERROR;
	for (int i = 0; i < c->n && rc == HUB_DB_OK; i++) {
		int in_slot = 0, in_day = 0;
		rc = cons_counts(db, c->c[i].id, s->start, day0, day1, &in_slot,
				 &in_day);
		if (rc != HUB_DB_OK || in_slot >= c->c[i].cap)
			continue;
		if (best < 0 || in_slot < best_slot ||
		    (in_slot == best_slot && in_day < best_day)) {
			best = i;
			best_slot = in_slot;
			best_day = in_day;
		}
	}
	if (rc == HUB_DB_OK && best >= 0) {
		r->consultant_id = c->c[best].id;
		snprintf(r->consultant, sizeof(r->consultant), "%s",
			 c->c[best].name);
	}
	return rc;
}

/* ========================================================= duplicates */

int booking_find_duplicate(hub_db *db, const booking_row *r, booking_row *dup)
{
	char *key = booking_customer_key(r->last_name, r->first_name);
	int rc;
	if (!key)
		return HUB_DB_ERROR;
	rc = booking_db_find(db,
			     "SELECT " BOOKING_DB_COLS
			     "WHERE b.slot_start = ? AND b.customer_key = ? "
			     "AND b.status = 'booked' AND b.id <> ? ORDER BY "
			     "b.id LIMIT 1",
			     HUBKIT_ARGS(HUBKIT_INT(r->slot_start),
					 HUBKIT_TEXT(key), HUBKIT_INT(r->id)),
			     dup);
	free(key);
	return rc;
}

void booking_reply_duplicate(hub_req *req, const booking_row *dup)
{
	booking_buf b;
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"existing\":");
	booking_row_json(&b, dup);
	booking_buf_puts(&b, "}");
	BOOKING_API->reply_error(
	    req, 409, "duplicate",
	    "this customer already has a booking in this slot; send "
	    "\"allow_duplicate\": true to book again",
	    b.oom ? NULL : b.p);
	booking_buf_free(&b);
}

/* ======================================================== name search */

int booking_name_terms(const char *q, char pat[][BOOKING_TERM_MAX], int max)
{
	char *folded = hubkit_fold(q);
	const char *p;
	int n = 0;
	if (!folded)
		return -1;
	/* every word must occur in the folded name; commas separate like
	 * spaces ("Müller, Ha" finds "müller, hans") */
	for (p = folded; *p && n < max;) {
		size_t len, o = 0;
		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, " ,");
		if (len == 0)
			break;
		pat[n][o++] = '%';
		for (size_t i = 0; i < len && o + 3 < BOOKING_TERM_MAX; i++) {
			if (p[i] == '%' || p[i] == '_' || p[i] == '\\')
				pat[n][o++] = '\\';
			pat[n][o++] = p[i];
		}
		pat[n][o++] = '%';
		pat[n][o] = 0;
		n++;
		p += len;
	}
	free(folded);
	return n;
}
