/*
 * booking_ics.c - see booking_ics.h.
 */
#define _GNU_SOURCE
#include "booking_ics.h"

#include "hub_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The fixed rules of Europe/Berlin since 1996 (EU summer time: last
 * Sunday of March 02:00 -> 03:00, last Sunday of October 03:00 ->
 * 02:00). */
static const char berlin_tz[] = "BEGIN:VTIMEZONE\r\n"
				"TZID:Europe/Berlin\r\n"
				"BEGIN:DAYLIGHT\r\n"
				"TZOFFSETFROM:+0100\r\n"
				"TZOFFSETTO:+0200\r\n"
				"TZNAME:CEST\r\n"
				"DTSTART:19700329T020000\r\n"
				"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
				"END:DAYLIGHT\r\n"
				"BEGIN:STANDARD\r\n"
				"TZOFFSETFROM:+0200\r\n"
				"TZOFFSETTO:+0100\r\n"
				"TZNAME:CET\r\n"
				"DTSTART:19701025T030000\r\n"
				"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
				"END:STANDARD\r\n"
				"END:VTIMEZONE\r\n";

/* Escapes TEXT (RFC 5545 3.3.11): backslash, semicolon, comma, newline;
 * other control characters are dropped. */
static void escape_text(booking_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == ';' || c == ',') {
			char e[2] = {'\\', (char)c};
			booking_buf_put(b, e, 2);
		} else if (c == '\n') {
			booking_buf_puts(b, "\\n");
		} else if (c >= 0x20 && c != 0x7f) {
			booking_buf_put(b, s, 1);
		}
	}
}

void booking_ics_line(booking_buf *b, const char *name, const char *value,
		      int text)
{
	booking_buf raw;
	size_t col = 0;
	booking_buf_init(&raw);
	booking_buf_puts(&raw, name);
	booking_buf_puts(&raw, ":");
	if (text)
		escape_text(&raw, value);
	else
		booking_buf_puts(&raw, value);
	for (size_t i = 0; i < raw.len && raw.p; i++) {
		unsigned char c = (unsigned char)raw.p[i];
		/* fold before a character that starts past octet 75, never
		 * inside a UTF-8 sequence (continuation bytes 10xxxxxx) */
		if (col >= 75 && (c & 0xC0) != 0x80) {
			booking_buf_puts(b, "\r\n ");
			col = 1;
		}
		booking_buf_put(b, &raw.p[i], 1);
		col++;
	}
	booking_buf_puts(b, "\r\n");
	if (raw.oom)
		b->oom = 1;
	booking_buf_free(&raw);
}

/* "YYYYMMDDTHHMMSSZ" of utc into out[17]. */
static void utc_stamp(int64_t utc, char out[17])
{
	time_t t = (time_t)utc;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* DTSTART/DTEND of utc: local with TZID when berlin, else UTC. */
static void time_line(booking_buf *b, const char *name, int64_t utc, int berlin)
{
	char v[40], n[48];
	if (berlin) {
		hub_date d;
		int hh, mm, ss;
		hub_time_to_local(utc, &d, &hh, &mm, &ss, NULL);
		snprintf(v, sizeof(v), "%04d%02d%02dT%02d%02d%02d", d.y, d.m,
			 d.d, hh, mm, ss);
		snprintf(n, sizeof(n), "%s;TZID=Europe/Berlin", name);
		booking_ics_line(b, n, v, 0);
	} else {
		utc_stamp(utc, v);
		booking_ics_line(b, name, v, 0);
	}
}

void booking_ics_begin(booking_buf *b, const char *name, int berlin)
{
	booking_buf_puts(b, "BEGIN:VCALENDAR\r\n"
			    "VERSION:2.0\r\n"
			    "PRODID:-//Business Hub//Bookings//EN\r\n"
			    "CALSCALE:GREGORIAN\r\n"
			    "METHOD:PUBLISH\r\n");
	booking_ics_line(b, "X-WR-CALNAME", name, 1);
	if (berlin) {
		booking_buf_puts(b, "X-WR-TIMEZONE:Europe/Berlin\r\n");
		booking_buf_puts(b, berlin_tz);
	}
}

void booking_ics_event(booking_buf *b, const booking_row *r,
		       const char *uid_domain, int berlin, int64_t stamp)
{
	char v[600], who[2 * BOOKING_NAME_BYTES + 4];
	int cancelled = strcmp(r->status, "cancelled") == 0;

	booking_buf_puts(b, "BEGIN:VEVENT\r\n");
	snprintf(v, sizeof(v), "booking-%lld@%s", (long long)r->id, uid_domain);
	booking_ics_line(b, "UID", v, 0);
	utc_stamp(stamp, v);
	booking_ics_line(b, "DTSTAMP", v, 0);
	utc_stamp(r->updated_at > 0 ? r->updated_at : r->created_at, v);
	booking_ics_line(b, "LAST-MODIFIED", v, 0);
	utc_stamp(r->created_at, v);
	booking_ics_line(b, "CREATED", v, 0);
	time_line(b, "DTSTART", r->slot_start, berlin);
	time_line(b, "DTEND", r->slot_end, berlin);
	booking_customer_text(r, who, sizeof(who));
	booking_ics_line(b, "SUMMARY", who, 1);
	snprintf(v, sizeof(v), "%s%s%s%s%s", r->description,
		 r->description[0] ? "\n" : "",
		 r->consultant[0] ? "Consultant: " : "", r->consultant,
		 r->consultant[0] ? "\n" : "");
	snprintf(v + strlen(v), sizeof(v) - strlen(v), "Booked by: %s",
		 r->booked_by);
	if (cancelled && r->cancel_reason[0])
		snprintf(v + strlen(v), sizeof(v) - strlen(v),
			 "\nCancelled: %s", r->cancel_reason);
	booking_ics_line(b, "DESCRIPTION", v, 1);
	if (r->category[0])
		booking_ics_line(b, "CATEGORIES", r->category, 1);
	booking_ics_line(b, "STATUS", cancelled ? "CANCELLED" : "CONFIRMED", 0);
	booking_ics_line(b, "TRANSP", cancelled ? "TRANSPARENT" : "OPAQUE", 0);
	booking_buf_puts(b, "END:VEVENT\r\n");
}

void booking_ics_end(booking_buf *b)
{
	booking_buf_puts(b, "END:VCALENDAR\r\n");
}
