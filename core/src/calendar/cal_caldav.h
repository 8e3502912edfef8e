/*
 * cal_caldav.h - the `caldav` backend (cal_caldav.c: HTTP and WebDAV XML;
 * cal_dav_ical.c: iCalendar through libical). Included by calendar.c and
 * the tests only.
 */
#ifndef HUB_CAL_CALDAV_H
#define HUB_CAL_CALDAV_H

#include "calendar/cal_internal.h"

/* Reads the password file, keeps base URL and user. Returns 0, or -1 with
 * a reason in err (never the password). */
int hub_cal_dav_setup(const char *base_url, const char *user,
		      const char *password_file, char *err, size_t errlen);
void hub_cal_dav_teardown(void);

extern const hub_cal_backend_ops hub_cal_ops_caldav;

/* Appends the events of iCalendar text `ics` (one calendar object
 * resource) to page as items with id `id` (recurring events: one item per
 * instance overlapping [tmin, tmax), ids "ID#START"). Returns the number
 * added, or -1 when the text is no iCalendar object. */
int hub_cal_dav_ics_events(const char *ics, const char *id, int64_t tmin,
			   int64_t tmax, hub_cal_page *page);

/* The iCalendar object (owned, free()) for an outbox event resource
 * (summary, description, start/end dateTime or date, colorId) with UID
 * `uid` and X-HUB-KEY `hub_key`. NULL when event_json is not usable. */
char *hub_cal_dav_ics_from_json(const char *event_json, const char *uid,
				const char *hub_key);

#endif
