/*
 * hub_time.h - dates and instants in the business time zone (kit).
 *
 * Instants are int64 UTC seconds. The business zone is the process zone
 * (TZ), set once by hub_time_init before threads start; after that every
 * function here is thread-safe. Offsets come from the system's tz database,
 * never from a constant.
 */
#ifndef HUB_TIME_H
#define HUB_TIME_H

#include <stdint.h>

/* A civil date. */
typedef struct hub_date {
	int y, m, d;
} hub_date;

/* Sets the process time zone to `tz` (e.g. "Europe/Berlin"). Returns 0, or
 * -1 when the zone is unknown. Call before starting threads. */
int hub_time_init(const char *tz);

/* The zone name given to hub_time_init (borrowed, static). */
const char *hub_time_zone(void);

/* Strict RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (the 'T'
 * may be 't' or ' '; seconds may be omitted). Returns 0 and *utc, or -1
 * when malformed or out of range (Feb 30, 25:00, ...). */
int hub_time_parse(const char *s, int64_t *utc);

/* Formats `utc` in the business zone as "YYYY-MM-DDTHH:MM:SS+HH:MM" into
 * out (at least 32 bytes). Returns 0 or -1. */
int hub_time_format(int64_t utc, char *out);

/* Formats `utc` as "YYYY-MM-DDTHH:MM:SSZ" (at least 24 bytes). */
int hub_time_format_utc(int64_t utc, char *out);

/* The instant of local wall time date+hh:mm. Returns 0; 1 when that wall
 * time does not exist (skipped by a DST change; *utc unset); for a wall
 * time that occurs twice the first occurrence is given. -1 on bad input. */
int hub_time_from_local(hub_date date, int hh, int mm, int64_t *utc);

/* Splits `utc` into local date, hour, minute, second and UTC offset in
 * seconds. Returns 0 or -1. */
int hub_time_to_local(int64_t utc, hub_date *date, int *hh, int *mm, int *ss,
		      int *offset_s);

/* Strict "YYYY-MM-DD". Returns 0 or -1 (also for invalid dates). */
int hub_date_parse(const char *s, hub_date *out);
/* Formats as "YYYY-MM-DD" (at least 11 bytes). */
void hub_date_format(hub_date d, char *out);
int hub_date_valid(hub_date d);
/* Days since 1970-01-01 and back. */
int64_t hub_date_to_days(hub_date d);
hub_date hub_date_from_days(int64_t days);
hub_date hub_date_add(hub_date d, int days);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int hub_date_weekday(hub_date d);
/* a - b in days. */
int64_t hub_date_diff(hub_date a, hub_date b);
/* Easter Sunday (Gregorian) of `year`. */
hub_date hub_date_easter(int year);
/* Today in the business zone. */
hub_date hub_date_today(void);
/* ISO 8601 week number. */
int hub_date_iso_week(hub_date d);

#endif
