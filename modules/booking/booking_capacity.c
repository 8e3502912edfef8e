/*
 * booking_capacity.c - places per consultant and slot: the default, a
 * consultant's own capacity, and overrides per weekday and start time
 * ("mon-thu 09:00=1, fri 09:00=2, *20:00=2").
 *
 * Precedence: an override matching the slot's weekday and start wins (the
 * last one listed when several match); otherwise the consultant's own
 * capacity when set; otherwise the default. Overrides describe the slot
 * (how many customers one consultant can take at 09:00 on a Monday), so
 * they apply to everyone.
 */
#include "booking.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parses one entry "[DAYS] HH:MM=N" at *pp. Returns 0 or -1 with err. */
static int parse_rule(const char **pp, booking_cap_rule *r, int idx, char *err,
		      size_t errlen)
{
	const char *p = skip_ws(*pp);
	char *end = NULL;
	long v;

	r->days = BOOKING_ALL_DAYS;
	if (!isdigit((unsigned char)*p)) {
		if (booking_days_parse(&p, &r->days) != 0) {
			snprintf(err, errlen,
				 "entry %d: expected a day such as 'mon-thu' "
				 "or '*' at '%.20s'",
				 idx, p);
			return -1;
		}
		p = skip_ws(p);
	}
	if (booking_hhmm_parse(&p, 0, &r->minute) != 0) {
		snprintf(err, errlen,
			 "entry %d: expected a time HH:MM at '%.20s'", idx, p);
		return -1;
	}
	p = skip_ws(p);
	if (*p != '=') {
		snprintf(err, errlen, "entry %d: expected '=N' after the time",
			 idx);
		return -1;
	}
	p = skip_ws(p + 1);
	if (!isdigit((unsigned char)*p)) {
		snprintf(err, errlen, "entry %d: expected a number after '='",
			 idx);
		return -1;
	}
	v = strtol(p, &end, 10);
	if (v < 0 || v > 1000) {
		snprintf(err, errlen, "entry %d: capacity must be 0..1000",
			 idx);
		return -1;
	}
	r->cap = (int)v;
	*pp = skip_ws(end);
	return 0;
}

int booking_capacity_parse(const char *text, booking_capacity *c, char *err,
			   size_t errlen)
{
	const char *p = text ? text : "";

	memset(c, 0, sizeof(*c));
	for (;;) {
		p = skip_ws(p);
		if (!*p)
			break;
		if (*p == ',' || *p == ';') {
			p++;
			continue;
		}
		if (c->n == BOOKING_MAX_RULES) {
			snprintf(err, errlen, "more than %d entries",
				 BOOKING_MAX_RULES);
			return -1;
		}
		if (parse_rule(&p, &c->rule[c->n], c->n + 1, err, errlen) != 0)
			return -1;
		c->n++;
		if (*p && *p != ',' && *p != ';') {
			snprintf(err, errlen,
				 "entry %d: unexpected text '%.20s' (separate "
				 "entries with ',')",
				 c->n, p);
			return -1;
		}
	}
	return 0;
}

int booking_capacity_for(const booking_capacity *c, int weekday, int minute,
			 int own_cap, int def)
{
	for (int i = c->n - 1; i >= 0; i--) {
		const booking_cap_rule *r = &c->rule[i];
		if (r->minute == minute && (r->days & (1u << weekday)))
			return r->cap;
	}
	return own_cap > 0 ? own_cap : def;
}
