/*
 * booking_ics.h - iCalendar (RFC 5545) text of bookings for the calendar
 * feeds: one VCALENDAR with a VTIMEZONE for Europe/Berlin (when that is
 * the business zone; UTC times otherwise), one VEVENT per booking with a
 * stable UID, STATUS:CONFIRMED or CANCELLED, escaped text and lines folded
 * at 75 octets. Pure functions over booking_buf (no host calls).
 */
#ifndef BOOKING_ICS_H
#define BOOKING_ICS_H

#include "booking.h"

/* Appends BEGIN:VCALENDAR, the calendar's properties (X-WR-CALNAME
 * `name`) and, when `berlin`, the VTIMEZONE of Europe/Berlin. */
void booking_ics_begin(booking_buf *b, const char *name, int berlin);

/* Appends the VEVENT of booking r. `uid_domain` follows the "@" of the
 * UID "booking-ID@DOMAIN"; `stamp` is DTSTAMP (UTC seconds). */
void booking_ics_event(booking_buf *b, const booking_row *r,
		       const char *uid_domain, int berlin, int64_t stamp);

/* Appends END:VCALENDAR. */
void booking_ics_end(booking_buf *b);

/* Appends one content line "NAME:VALUE" (value escaped as TEXT when
 * `text`), folded at 75 octets without splitting a UTF-8 character. */
void booking_ics_line(booking_buf *b, const char *name, const char *value,
		      int text);

#endif
