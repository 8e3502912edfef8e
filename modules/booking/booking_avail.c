/*
 * booking_avail.c - when a consultant is available for a slot.
 *
 * From the calendar (the marker rule of docs/DOMAIN.md): some event whose title
 * matches the marker pattern overlaps the slot, and no other overlapping
 * event blocks it. An event never blocks when its colorId is in the
 * non-blocking set, or when the hub wrote it itself (hub_key set).
 *
 * From a fixed weekly plan: an interval of the slot's weekday overlaps the
 * slot. Plan times are wall-clock times of that date in the business zone.
 */
#include "booking.h"
#include "hub_kit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================== marker */

int booking_marker_parse(const char *pattern, booking_marker *m, char *err,
			 size_t errlen)
{
	char *folded = hubkit_fold(pattern ? pattern : "");
	const char *p;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (!folded) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p = folded;
	while (*p && rc == 0) {
		size_t n = strcspn(p, " ");
		if (m->nterms == BOOKING_MAX_TERMS) {
			snprintf(err, errlen, "more than %d terms",
				 BOOKING_MAX_TERMS);
			rc = -1;
		} else if (n >= sizeof(m->term[0])) {
			snprintf(err, errlen, "a term is longer than %zu bytes",
				 sizeof(m->term[0]) - 1);
			rc = -1;
		} else {
			memcpy(m->term[m->nterms], p, n);
			m->term[m->nterms][n] = 0;
			m->nterms++;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	if (rc == 0 && m->nterms == 0) {
		snprintf(err, errlen, "the pattern is empty");
		rc = -1;
	}
	free(folded);
	return rc;
}

int booking_marker_match(const booking_marker *m, const char *title)
{
	char *folded;
	int ok = m->nterms > 0;

	if (!title || !ok)
		return 0;
	folded = hubkit_fold(title);
	if (!folded)
		return 0;
	for (int i = 0; i < m->nterms && ok; i++)
		ok = strstr(folded, m->term[i]) != NULL;
	free(folded);
	return ok;
}

/* ============================================================== colours */

/* Parses a colorId 1..63 from text with no trailing characters. */
static int color_num(const char *s)
{
	long long v;
	if (hubkit_parse_int(s, 1, 63, &v) != 0)
		return -1;
	return (int)v;
}

int booking_colors_parse(const char *text, booking_colors *c, char *err,
			 size_t errlen)
{
	const char *p = text ? text : "";

	c->bits = 0;
	while (*p) {
		char tok[16];
		size_t n;
		int v;
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " ,");
		if (n >= sizeof(tok)) {
			snprintf(err, errlen, "'%.20s' is not a colorId 1..63",
				 p);
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = 0;
		v = color_num(tok);
		if (v < 0) {
			snprintf(err, errlen, "'%s' is not a colorId 1..63",
				 tok);
			return -1;
		}
		c->bits |= (uint64_t)1 << v;
		p += n;
	}
	return 0;
}

int booking_colors_has(const booking_colors *c, const char *color_id)
{
	int v = color_id ? color_num(color_id) : -1;
	return v > 0 && (c->bits & ((uint64_t)1 << v)) != 0;
}

/* ========================================================== marker rule */

int booking_event_kind(const hub_cal_event *x, const booking_marker *m,
		       const booking_colors *nb)
{
	if (booking_marker_match(m, x->summary))
		return BOOKING_EV_MARKER;
	if (x->hub_key[0] || booking_colors_has(nb, x->color_id))
		return BOOKING_EV_NEUTRAL;
	return BOOKING_EV_BLOCK;
}

int booking_avail_kinds(const hub_cal_event *ev, const unsigned char *kinds,
			int n, int64_t s, int64_t e)
{
	int marker = 0;

	for (int i = 0; i < n; i++) {
		if (ev[i].start_utc >= e || ev[i].end_utc <= s)
			continue; /* no overlap */
		if (kinds[i] == BOOKING_EV_BLOCK)
			return 0;
		if (kinds[i] == BOOKING_EV_MARKER)
			marker = 1;
	}
	return marker;
}

int booking_avail_events(const hub_cal_event *ev, int n, int64_t s, int64_t e,
			 const booking_marker *m, const booking_colors *nb)
{
	int marker = 0;

	for (int i = 0; i < n; i++) {
		int kind;
		if (ev[i].start_utc >= e || ev[i].end_utc <= s)
			continue; /* no overlap */
		kind = booking_event_kind(&ev[i], m, nb);
		if (kind == BOOKING_EV_BLOCK)
			return 0;
		if (kind == BOOKING_EV_MARKER)
			marker = 1;
	}
	return marker;
}

/* ================================================================ plans */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int booking_plan_parse(const char *text, booking_plan *pl, char *err,
		       size_t errlen)
{
	const char *p = text ? text : "";
	int idx = 0;

	memset(pl, 0, sizeof(*pl));
	for (;;) {
		unsigned days;
		int from, to;
		p = skip_ws(p);
		if (!*p)
			break;
		if (*p == ',') {
			p++;
			continue;
		}
		idx++;
		if (pl->n == BOOKING_MAX_PLAN) {
			snprintf(err, errlen, "more than %d intervals",
				 BOOKING_MAX_PLAN);
			return -1;
		}
		if (booking_days_parse(&p, &days) != 0) {
			snprintf(
			    err, errlen,
			    "entry %d: expected a day such as 'mon-thu' at "
			    "'%.20s'",
			    idx, p);
			return -1;
		}
		p = skip_ws(p);
		if (booking_hhmm_parse(&p, 0, &from) != 0 || *p != '-') {
			snprintf(err, errlen,
				 "entry %d: expected HH:MM-HH:MM at '%.20s'",
				 idx, p);
			return -1;
		}
		p++;
		if (booking_hhmm_parse(&p, 1, &to) != 0) {
			snprintf(err, errlen,
				 "entry %d: expected HH:MM-HH:MM at '%.20s'",
				 idx, p);
			return -1;
		}
		if (to <= from) {
			snprintf(err, errlen,
				 "entry %d: the end must be after the start",
				 idx);
			return -1;
		}
		p = skip_ws(p);
		if (*p && *p != ',') {
			snprintf(err, errlen,
				 "entry %d: unexpected text '%.20s' (separate "
				 "entries with ',')",
				 idx, p);
			return -1;
		}
		pl->iv[pl->n].days = days;
		pl->iv[pl->n].from = (short)from;
		pl->iv[pl->n].to = (short)to;
		pl->n++;
	}
	return 0;
}

/* The instant of wall time `minute` on the clock's day; a skipped wall
 * time is moved forward to the next minute that exists. */
static int64_t wall_instant(const booking_day_clock *c, int minute)
{
	int64_t utc = c->base;
	for (int i = 0; i < 180 && minute <= 1440; i++, minute++)
		if (booking_day_instant(c, minute, &utc) == 0)
			return utc;
	return utc;
}

int booking_plan_available(const booking_plan *pl, const booking_day_clock *c,
			   int64_t s, int64_t e)
{
	unsigned bit = 1u << hub_date_weekday(c->date);

	for (int i = 0; i < pl->n; i++) {
		int64_t a, b;
		if (!(pl->iv[i].days & bit))
			continue;
		a = wall_instant(c, pl->iv[i].from);
		b = wall_instant(c, pl->iv[i].to);
		if (a < e && b > s)
			return 1;
	}
	return 0;
}
