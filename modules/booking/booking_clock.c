/*
 * booking_clock.c - fast wall-clock conversions for the slot listing.
 *
 * The C library's zone functions (mktime, localtime_r) take a process-wide
 * lock and are slow; a week's listing needs hundreds of conversions, and
 * every worker thread computes listings at once. Two shortcuts, both exact:
 *
 *  - A day clock samples the zone's UTC offset just before and just after
 *    a local day. When both agree, no offset change happens that day (zone
 *    changes are months apart), so a wall time of the day is simply
 *    base + minutes - offset. Days with a change (two a year) fall back to
 *    hub_time_from_local.
 *  - Formatting an instant looks up its offset in a small per-thread cache
 *    of UTC days: when the offsets at a day's first and last second agree,
 *    it holds all day (again: changes are months apart). A day with a
 *    change uses a cache keyed by 15-minute buckets (zone changes happen
 *    on such boundaries, so one offset holds for a whole bucket).
 *
 * Day clocks are cached per thread as well, by date: a listing asks for
 * the same few days several times (grid, plans, its own range), and each
 * fresh clock costs two zone lookups.
 */
#include "booking.h"

#include <stdio.h>

/* The UTC offset (seconds) in effect at `utc`; 0 when unknown. */
static int offset_at(int64_t utc)
{
	int off = 0;
	if (hub_time_to_local(utc, NULL, NULL, NULL, NULL, &off) != 0)
		return 0;
	return off;
}

/* Per-thread day clocks by date; key 0 = empty (keys are days+1). */
#define CLOCK_SLOTS 16
static __thread struct {
	int64_t key;
	booking_day_clock c;
} t_clocks[CLOCK_SLOTS];

/* Floor division of v by d (d > 0). */
static int64_t floor_div(int64_t v, int64_t d)
{
	return v >= 0 ? v / d : -((-v + d - 1) / d);
}

void booking_day_clock_init(booking_day_clock *c, hub_date d)
{
	int64_t days = hub_date_to_days(d);
	unsigned i = (unsigned)((uint64_t)days % CLOCK_SLOTS);
	int a, b;

	if (t_clocks[i].key == days + 1 && days != -1) {
		*c = t_clocks[i].c;
		return;
	}
	c->date = d;
	c->base = hub_date_to_days(d) * 86400;
	/* every zone's offset lies within -12 h .. +14 h */
	a = offset_at(c->base - 14 * 3600);
	b = offset_at(c->base + 86400 + 12 * 3600);
	c->off = a;
	c->changes = a != b;
	t_clocks[i].key = days + 1;
	t_clocks[i].c = *c;
}

int booking_day_instant(const booking_day_clock *c, int minute, int64_t *utc)
{
	if (minute < 0 || minute > 1440)
		return -1;
	if (!c->changes) {
		*utc = c->base + (int64_t)minute * 60 - c->off;
		return 0;
	}
	if (minute == 1440)
		return hub_time_from_local(hub_date_add(c->date, 1), 0, 0, utc);
	return hub_time_from_local(c->date, minute / 60, minute % 60, utc);
}

/* Per-thread offsets by 15-minute bucket; key 0 = empty (keys are k+1). */
#define CACHE_SLOTS 64
static __thread struct {
	int64_t key;
	int off;
} t_cache[CACHE_SLOTS];

/* Per-thread offsets by UTC day: `same` when one offset holds all day. */
#define DAY_SLOTS 16
static __thread struct {
	int64_t key; /* day + 1; 0 = empty */
	int off;
	int same;
} t_days[DAY_SLOTS];

/* The offset in effect at `utc`, from the caches. */
static int cached_offset(int64_t utc)
{
	int64_t day = floor_div(utc, 86400), k;
	unsigned i = (unsigned)((uint64_t)day % DAY_SLOTS);

	if (t_days[i].key != day + 1) {
		int a = offset_at(day * 86400);
		t_days[i].key = day + 1;
		t_days[i].off = a;
		t_days[i].same = a == offset_at(day * 86400 + 86399);
	}
	if (t_days[i].same)
		return t_days[i].off;
	k = floor_div(utc, 900);
	i = (unsigned)((uint64_t)k % CACHE_SLOTS);
	if (t_cache[i].key != k + 1) {
		t_cache[i].off = offset_at(k * 900);
		t_cache[i].key = k + 1;
	}
	return t_cache[i].off;
}

/* Writes v as exactly n decimal digits (zero-padded). */
static void put_digits(char *out, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

int booking_time_format(int64_t utc, char *out)
{
	int off = cached_offset(utc), aoff;
	int64_t local = utc + off, days, secs;
	hub_date d;

	days = floor_div(local, 86400);
	secs = local - days * 86400;
	d = hub_date_from_days(days);
	if (d.y < 0 || d.y > 9999)
		return -1;
	aoff = off < 0 ? -off : off;
	put_digits(out, d.y, 4);
	out[4] = '-';
	put_digits(out + 5, d.m, 2);
	out[7] = '-';
	put_digits(out + 8, d.d, 2);
	out[10] = 'T';
	put_digits(out + 11, (int)(secs / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (int)(secs % 3600 / 60), 2);
	out[16] = ':';
	put_digits(out + 17, (int)(secs % 60), 2);
	out[19] = off < 0 ? '-' : '+';
	put_digits(out + 20, (aoff / 3600) % 100, 2);
	out[22] = ':';
	put_digits(out + 23, (aoff % 3600) / 60, 2);
	out[25] = 0;
	return 0;
}
