/*
 * booking_grid.c - weekday specs, "HH:MM" times and the slot grid: which
 * local start times each weekday has, and the instants they fall on.
 *
 * Slot starts are wall-clock times in the business zone converted per date
 * with hub_time_from_local, so their UTC offset is the one of that date.
 * On the spring-forward Sunday a start inside the skipped hour does not
 * exist and yields no slot; on the fall-back Sunday a start inside the
 * repeated hour yields one slot, at its first occurrence.
 */
#include "booking.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ============================================================ day specs */

static const char *const day_names[8] = {"",	"mon", "tue", "wed",
					 "thu", "fri", "sat", "sun"};

/* Reads a three-letter day name at p. Returns 1..7 or 0. */
static int day_name(const char *p)
{
	for (int d = 1; d <= 7; d++)
		if (strncasecmp(p, day_names[d], 3) == 0 &&
		    !isalpha((unsigned char)p[3]))
			return d;
	return 0;
}

int booking_days_parse(const char **pp, unsigned *mask)
{
	const char *p = *pp;
	int a, b;

	if (*p == '*') {
		*mask = BOOKING_ALL_DAYS;
		*pp = p + 1;
		return 0;
	}
	a = day_name(p);
	if (!a)
		return -1;
	p += 3;
	b = a;
	if (*p == '-') {
		b = day_name(p + 1);
		if (!b)
			return -1;
		p += 4;
	}
	*mask = 0;
	for (int d = a;; d = d % 7 + 1) {
		*mask |= 1u << d;
		if (d == b)
			break;
	}
	*pp = p;
	return 0;
}

int booking_hhmm_parse(const char **pp, int allow_24, int *minute)
{
	const char *p = *pp;
	int hh, mm;

	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    p[2] != ':' || !isdigit((unsigned char)p[3]) ||
	    !isdigit((unsigned char)p[4]) || isdigit((unsigned char)p[5]))
		return -1;
	hh = (p[0] - '0') * 10 + (p[1] - '0');
	mm = (p[3] - '0') * 10 + (p[4] - '0');
	if (mm > 59 || hh > 24 || (hh == 24 && (!allow_24 || mm != 0)))
		return -1;
	*minute = hh * 60 + mm;
	*pp = p + 5;
	return 0;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* ================================================================ grid */

/* Sorts a day's times ascending and rejects duplicates. */
static int sort_unique(short *t, int n)
{
	for (int i = 1; i < n; i++) {
		short v = t[i];
		int j = i - 1;
		while (j >= 0 && t[j] > v) {
			t[j + 1] = t[j];
			j--;
		}
		t[j + 1] = v;
	}
	for (int i = 1; i < n; i++)
		if (t[i] == t[i - 1])
			return -1;
	return 0;
}

int booking_grid_parse(const char *text, booking_grid *g, char *err,
		       size_t errlen)
{
	const char *p = text ? text : "";
	int group = 0;

	memset(g, 0, sizeof(*g));
	for (;;) {
		unsigned mask;
		short times[BOOKING_MAX_TIMES];
		int n = 0;

		p = skip_ws(p);
		if (!*p)
			break;
		group++;
		if (*p == ';') {
			p++;
			continue;
		}
		if (booking_days_parse(&p, &mask) != 0) {
			snprintf(err, errlen,
				 "group %d: expected a day such as 'mon' or "
				 "'mon-thu' at '%.20s'",
				 group, p);
			return -1;
		}
		for (;;) {
			int m;
			p = skip_ws(p);
			if (!*p || *p == ';')
				break;
			if (booking_hhmm_parse(&p, 0, &m) != 0) {
				snprintf(err, errlen,
					 "group %d: expected a time HH:MM at "
					 "'%.20s'",
					 group, p);
				return -1;
			}
			if (n == BOOKING_MAX_TIMES) {
				snprintf(err, errlen,
					 "group %d: more than %d times", group,
					 BOOKING_MAX_TIMES);
				return -1;
			}
			times[n++] = (short)m;
			if (*p == ',')
				p++;
		}
		if (sort_unique(times, n) != 0) {
			snprintf(err, errlen, "group %d: a time is repeated",
				 group);
			return -1;
		}
		for (int d = 1; d <= 7; d++) {
			if (!(mask & (1u << d)))
				continue;
			memcpy(g->minute[d], times, sizeof(short) * (size_t)n);
			g->count[d] = n;
		}
		if (*p == ';')
			p++;
	}
	return 0;
}

int booking_grid_day(const booking_grid *g, hub_date d, booking_slot_time *out,
		     int max)
{
	int wd = hub_date_weekday(d), n = 0;
	int64_t prev = INT64_MIN;
	booking_day_clock c;

	if (g->count[wd] == 0)
		return 0;
	booking_day_clock_init(&c, d);
	for (int i = 0; i < g->count[wd] && n < max; i++) {
		int m = g->minute[wd][i];
		int64_t utc;
		if (booking_day_instant(&c, m, &utc) != 0)
			continue; /* skipped by a DST change */
		if (utc <= prev)
			continue; /* never two slots at one instant */
		out[n].start = utc;
		out[n].minute = m;
		prev = utc;
		n++;
	}
	return n;
}

int booking_grid_match(const booking_grid *g, int64_t utc, hub_date *d,
		       int *minute)
{
	hub_date ld;
	int hh, mm, ss, wd, m;
	int64_t first;

	if (hub_time_to_local(utc, &ld, &hh, &mm, &ss, NULL) != 0 || ss != 0)
		return 0;
	wd = hub_date_weekday(ld);
	m = hh * 60 + mm;
	for (int i = 0; i < g->count[wd]; i++) {
		if (g->minute[wd][i] != m)
			continue;
		/* the second occurrence of a repeated wall time is no start */
		if (hub_time_from_local(ld, hh, mm, &first) != 0 ||
		    first != utc)
			return 0;
		if (d)
			*d = ld;
		if (minute)
			*minute = m;
		return 1;
	}
	return 0;
}
