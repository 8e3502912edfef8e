/*
 * booking_view.c - the slot listing of a date range, computed from its
 * inputs: configuration, consultants with their calendar events or plans,
 * booking counts, custom blocks and the clock. No I/O happens here; the
 * HTTP layer gathers the inputs and renders the result.
 *
 * Per day: a public holiday or a custom whole-day block blocks the day (no
 * slots). Otherwise every grid slot is listed, with capacity = sum of the
 * places of the consultants available for it, booked = active bookings
 * starting then, and why it is not bookable (past, notice, horizon,
 * blocked slot).
 */
#include "booking.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DAYS 400

/* Grows v->cons_idx to hold `need` entries. Returns 0 or -1. */
static int reserve_idx(booking_view *v, int need, int *cap)
{
	int *nv;
	int ncap;
	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(v->cons_idx, sizeof(int) * (size_t)ncap);
	if (!nv)
		return -1;
	v->cons_idx = nv;
	*cap = ncap;
	return 0;
}

/* The custom block of a whole day (minute -1) or slot, or NULL. */
static const booking_block *find_block(const booking_view_in *in, hub_date d,
				       int minute)
{
	for (int i = 0; i < in->nblocks; i++) {
		const booking_block *b = &in->blocks[i];
		if (b->date.y == d.y && b->date.m == d.m && b->date.d == d.d &&
		    b->minute == minute)
			return b;
	}
	return NULL;
}

/* Classifies every consultant's events once. kinds[off[i] + j] belongs to
 * in->cons[i].events[j]. Returns 0 or -1 (out of memory). */
static int classify(const booking_view_in *in, unsigned char **kinds, int **off)
{
	int total = 0;
	*kinds = NULL;
	*off = calloc((size_t)in->ncons + 1, sizeof(int));
	if (!*off)
		return -1;
	for (int i = 0; i < in->ncons; i++) {
		(*off)[i] = total;
		if (in->cons[i].use_events && !in->cons[i].plan)
			total += in->cons[i].nevents;
	}
	(*off)[in->ncons] = total;
	*kinds = malloc((size_t)total + 1);
	if (!*kinds)
		return -1;
	for (int i = 0; i < in->ncons; i++) {
		const booking_cons_rt *c = &in->cons[i];
		if (!c->use_events || c->plan)
			continue;
		for (int j = 0; j < c->nevents; j++)
			(*kinds)[(*off)[i] + j] =
			    (unsigned char)booking_event_kind(
				&c->events[j], &in->cfg->marker,
				&in->cfg->non_blocking);
	}
	return 0;
}

/* 1 when consultant i is available for [s, e) on date d. */
static int available(const booking_view_in *in, int i,
		     const unsigned char *kinds, const int *off,
		     const booking_day_clock *clock, int64_t s, int64_t e)
{
	const booking_cons_rt *c = &in->cons[i];
	if (c->plan)
		return booking_plan_available(c->plan, clock, s, e);
	if (!c->use_events)
		return 1;
	return booking_avail_kinds(c->events, kinds + off[i], c->nevents, s, e);
}

/* Fills the slots of one unblocked day. Returns 0 or -1. */
static int fill_day(const booking_view_in *in, booking_view *v, int *idx_cap,
		    int *slot_cap, const unsigned char *kinds, const int *off,
		    booking_day *day, int *cpos, hub_date today)
{
	const booking_config *cfg = in->cfg;
	booking_slot_time st[BOOKING_MAX_TIMES];
	int n = booking_grid_day(&cfg->grid, day->date, st, BOOKING_MAX_TIMES);
	int wd = hub_date_weekday(day->date);
	int64_t notice_until = in->now + (int64_t)cfg->min_notice_min * 60;
	int beyond = hub_date_diff(day->date, today) > cfg->horizon_days;
	booking_day_clock clock;

	booking_day_clock_init(&clock, day->date);
	day->first_slot = v->nslots;
	day->nslots = n;
	if (v->nslots + n > *slot_cap) {
		int ncap = (*slot_cap ? *slot_cap * 2 : 64) + n;
		booking_slot *ns =
		    realloc(v->slots, sizeof(*ns) * (size_t)ncap);
		if (!ns)
			return -1;
		v->slots = ns;
		*slot_cap = ncap;
	}
	for (int k = 0; k < n; k++) {
		booking_slot *s = &v->slots[v->nslots++];
		const booking_block *b =
		    find_block(in, day->date, st[k].minute);
		memset(s, 0, sizeof(*s));
		s->start = st[k].start;
		s->end = st[k].start + (int64_t)cfg->slot_minutes * 60;
		s->minute = st[k].minute;
		s->first_cons = v->ncons_idx;
		if (reserve_idx(v, v->ncons_idx + in->ncons, idx_cap) != 0)
			return -1;
		for (int i = 0; i < in->ncons; i++) {
			if (!available(in, i, kinds, off, &clock, s->start,
				       s->end))
				continue;
			s->capacity += booking_capacity_for(
			    &cfg->overrides, wd, s->minute,
			    in->cons[i].capacity, cfg->capacity_default);
			v->cons_idx[v->ncons_idx++] = i;
			s->ncons++;
		}
		/* counts are sorted by slot_start, like the slots */
		while (*cpos < in->ncounts &&
		       in->counts[*cpos].slot_start < s->start)
			(*cpos)++;
		for (int j = *cpos;
		     j < in->ncounts && in->counts[j].slot_start == s->start;
		     j++)
			s->booked += in->counts[j].n;
		if (b) {
			s->blocked = 1;
			s->reason = b->reason;
			s->why = BOOKING_BLOCKED;
		} else if (s->start <= in->now) {
			s->why = BOOKING_PAST;
		} else if (s->start < notice_until) {
			s->why = BOOKING_NOTICE;
		} else if (beyond) {
			s->why = BOOKING_HORIZON;
		}
	}
	return 0;
}

int booking_view_build(const booking_view_in *in, booking_view *out)
{
	int64_t ndays = hub_date_diff(in->to, in->from) + 1;
	int idx_cap = 0, slot_cap = 0, cpos = 0, rc = 0;
	unsigned char *kinds = NULL;
	int *off = NULL;
	hub_date today;

	memset(out, 0, sizeof(*out));
	if (ndays < 1 || ndays > MAX_DAYS)
		return -1;
	hub_time_to_local(in->now, &today, NULL, NULL, NULL, NULL);
	out->days = calloc((size_t)ndays, sizeof(booking_day));
	if (!out->days || classify(in, &kinds, &off) != 0)
		rc = -1;
	for (int64_t i = 0; rc == 0 && i < ndays; i++) {
		booking_day *day = &out->days[out->ndays++];
		const booking_block *b;
		const char *hol;
		day->date = hub_date_add(in->from, (int)i);
		day->first_slot = out->nslots;
		hol = booking_holiday_name(in->cfg->state, day->date);
		b = hol ? NULL : find_block(in, day->date, -1);
		if (hol || b) {
			day->blocked = 1;
			day->holiday = hol != NULL;
			day->reason = hol ? hol : b->reason;
			continue;
		}
		rc = fill_day(in, out, &idx_cap, &slot_cap, kinds, off, day,
			      &cpos, today);
	}
	free(kinds);
	free(off);
	if (rc != 0)
		booking_view_free(out);
	return rc;
}

void booking_view_free(booking_view *v)
{
	free(v->days);
	free(v->slots);
	free(v->cons_idx);
	memset(v, 0, sizeof(*v));
}

const booking_slot *booking_view_find(const booking_view *v, int64_t start)
{
	int lo = 0, hi = v->nslots - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (v->slots[mid].start == start)
			return &v->slots[mid];
		if (v->slots[mid].start < start)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int booking_slot_free(const booking_slot *s)
{
	return s->capacity > s->booked ? s->capacity - s->booked : 0;
}

/* 1 when slot s can take one more booking (for consultant ci when >= 0). */
static int candidate(const booking_view *v, const booking_slot *s, int ci)
{
	if (s->why != BOOKING_OK || booking_slot_free(s) <= 0)
		return 0;
	if (ci < 0)
		return 1;
	for (int k = 0; k < s->ncons; k++)
		if (v->cons_idx[s->first_cons + k] == ci)
			return 1;
	return 0;
}

int booking_view_alternatives(const booking_view *v, int64_t start,
			      int cons_index, int64_t *out, int max)
{
	hub_date d;
	int n = 0, di = -1;

	if (max <= 0 ||
	    hub_time_to_local(start, &d, NULL, NULL, NULL, NULL) != 0)
		return 0;
	for (int i = 0; i < v->ndays; i++)
		if (hub_date_diff(v->days[i].date, d) == 0)
			di = i;
	if (di >= 0) {
		/* the same day, nearest first (earlier on a tie) */
		const booking_day *day = &v->days[di];
		int used[BOOKING_MAX_TIMES] = {0};
		while (n < max) {
			int best = -1;
			int64_t bestd = 0;
			for (int k = 0;
			     k < day->nslots && k < BOOKING_MAX_TIMES; k++) {
				const booking_slot *s =
				    &v->slots[day->first_slot + k];
				int64_t dist = s->start > start
						   ? s->start - start
						   : start - s->start;
				if (used[k] || s->start == start ||
				    !candidate(v, s, cons_index))
					continue;
				if (best < 0 || dist < bestd) {
					best = k;
					bestd = dist;
				}
			}
			if (best < 0)
				break;
			used[best] = 1;
			out[n++] = v->slots[day->first_slot + best].start;
		}
	}
	for (int i = 0; i < v->ndays && n < max; i++) {
		const booking_day *day = &v->days[i];
		if (hub_date_diff(day->date, d) <= 0)
			continue;
		for (int k = 0; k < day->nslots && n < max; k++) {
			const booking_slot *s = &v->slots[day->first_slot + k];
			if (candidate(v, s, cons_index))
				out[n++] = s->start;
		}
	}
	return n;
}
