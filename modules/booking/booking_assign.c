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
 * listing before the transaction (the one that checks the slot); the
 * counts are read inside it, with one query, after the slot's lock, so
 * concurrent bookings of one slot see each other.
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ========================================================= assignment */

void booking_assign_from_view(const booking_inputs *x, const booking_view *v,
			      const booking_slot_ref *s, booking_cands *out)
{
	const booking_slot *sl = booking_view_find(v, s->start);

	memset(out, 0, sizeof(*out));
	for (int k = 0; sl && k < sl->ncons && out->n < BOOKING_MAX_CANDS;
	     k++) {
		int i = v->cons_idx[sl->first_cons + k];
		booking_cand *c = &out->c[out->n];
		c->cap = booking_capacity_for(&booking_m.cfg.overrides,
					      hub_date_weekday(s->date),
					      s->minute, x->cons[i].capacity,
					      booking_m.cfg.capacity_default);
		if (c->cap <= 0)
			continue;
		c->id = x->cons[i].id;
		snprintf(c->name, sizeof(c->name), "%s", x->cons[i].name);
		out->n++;
	}
}

/* Active bookings of every consultant of c in the slot and on its day,
 * with one query (in_slot[i], in_day[i] for c->c[i]; zero when none). */
static int cons_counts(hub_db *db, const booking_cands *c, int64_t slot,
		       int64_t day0, int64_t day1, int *in_slot, int *in_day)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT consultant_id, COALESCE(SUM(CASE WHEN slot_start = ? "
	    "THEN 1 ELSE 0 END), 0), COUNT(*) FROM booking_bookings WHERE "
	    "consultant_id IS NOT NULL AND status = 'booked' AND "
	    "slot_start >= ? AND slot_start < ? GROUP BY consultant_id",
	    HUBKIT_ARGS(HUBKIT_INT(slot), HUBKIT_INT(day0), HUBKIT_INT(day1)),
	    &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		int64_t id = BOOKING_API->col_int(st, 0);
		rc = HUB_DB_OK;
		for (int i = 0; i < c->n; i++) {
			if (c->c[i].id != id)
				continue;
			in_slot[i] = (int)BOOKING_API->col_int(st, 1);
			in_day[i] = (int)BOOKING_API->col_int(st, 2);
		}
	}
	BOOKING_API->stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : (rc < 0 ? rc : HUB_DB_ERROR);
}

int booking_assign_pick(hub_db *db, const booking_cands *c,
			const booking_slot_ref *s, booking_row *r)
{
	int64_t day0, day1;
	int in_slot[BOOKING_MAX_CANDS] = {0}, in_day[BOOKING_MAX_CANDS] = {0};
	int best = -1, rc;

	if (r->consultant_id > 0 || c->n == 0)
		return HUB_DB_OK;
	if (hub_time_from_local(s->date, 0, 0, &day0) != 0 ||
	    hub_time_from_local(hub_date_add(s->date, 1), 0, 0, &day1) != 0)
		return HUB_DB_ERROR;
	rc = cons_counts(db, c, s->start, day0, day1, in_slot, in_day);
	if (rc != HUB_DB_OK)
		return rc;
	for (int i = 0; i < c->n; i++) {
		if (in_slot[i] >= c->c[i].cap)
			continue;
		if (best < 0 || in_slot[i] < in_slot[best] ||
		    (in_slot[i] == in_slot[best] && in_day[i] < in_day[best]))
			best = i;
	}
	if (best >= 0) {
		r->consultant_id = c->c[best].id;
		snprintf(r->consultant, sizeof(r->consultant), "%s",
			 c->c[best].name);
	}
	return HUB_DB_OK;
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
