/*
 * booking_fixtures.h - what the booking module's pure unit tests (rules,
 * view, golden listing) build their inputs with: a time from RFC 3339
 * text, a settings lookup that finds nothing, and a calendar event.
 */
#ifndef BOOKING_FIXTURES_H
#define BOOKING_FIXTURES_H

#include "booking.h"

#include <stdio.h>
#include <string.h>

/* The UTC seconds of `rfc3339`; 0 (and a line on stderr) when it does
 * not parse. */
static inline int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	if (hub_time_parse(rfc3339, &t) != 0)
		fprintf(stderr, "bad test time %s\n", rfc3339);
	return t;
}

/* A settings lookup that has no setting. */
static inline const char *no_settings(void *ud, const char *key)
{
	(void)ud;
	(void)key;
	return NULL;
}

/* A mirrored event with `summary` and `color` from `from` to `to`. */
static inline hub_cal_event ev(const char *summary, const char *color,
			       const char *from, const char *to)
{
	hub_cal_event e;
	memset(&e, 0, sizeof(e));
	snprintf(e.summary, sizeof(e.summary), "%s", summary);
	snprintf(e.color_id, sizeof(e.color_id), "%s", color);
	e.start_utc = at(from);
	e.end_utc = at(to);
	return e;
}

#endif
