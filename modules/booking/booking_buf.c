/*
 * booking_buf.c - a growable text buffer with JSON and CSV writers, and
 * the JSON rendering of a slot listing (hand-written: the listing is the
 * hottest response of the module, and a builder without a tree keeps it
 * to one allocation pattern).
 */
#include "booking.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void booking_buf_init(booking_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void booking_buf_free(booking_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Makes room for n more bytes plus a NUL. Returns 0 or -1 (sets oom). */
static int reserve(booking_buf *b, size_t n)
{
	size_t need, ncap;
	char *np;
	if (b->oom)
		return -1;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 1024;
	while (ncap < need)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (!np) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void booking_buf_put(booking_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void booking_buf_puts(booking_buf *b, const char *s)
{
	booking_buf_put(b, s, strlen(s));
}

void booking_buf_printf(booking_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		booking_buf_put(b, small, (size_t)n);
		return;
	}
	if (reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void booking_buf_int(booking_buf *b, long long v)
{
	char t[24];
	int i = (int)sizeof(t);
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	booking_buf_put(b, t + i, sizeof(t) - (size_t)i);
}

/* Writes s as a JSON string (quotes included) at p, which has room for
 * 6 * strlen(s) + 2 bytes. Returns the end. */
static char *json_str_at(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *q = (const unsigned char *)(s ? s : "");
	*p++ = '"';
	for (; *q; q++) {
		if (*q >= 0x20 && *q != '"' && *q != '\\') {
			*p++ = (char)*q;
			continue;
		}
		*p++ = '\\';
		switch (*q) {
		case '"':
			*p++ = '"';
			break;
		case '\\':
			*p++ = '\\';
			break;
		case '\n':
			*p++ = 'n';
			break;
		case '\t':
			*p++ = 't';
			break;
		case '\r':
			*p++ = 'r';
			break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[*q >> 4];
			*p++ = hex[*q & 15];
		}
	}
	*p++ = '"';
	return p;
}

void booking_buf_json_str(booking_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (reserve(b, 6 * n + 2) != 0)
		return;
	b->len = (size_t)(json_str_at(b->p + b->len, s) - b->p);
	b->p[b->len] = 0;
}

void booking_buf_json_time(booking_buf *b, int64_t utc)
{
	char t[40];
	if (booking_time_format(utc, t) != 0)
		snprintf(t, sizeof(t), "1970-01-01T00:00:00+00:00");
	booking_buf_put(b, "\"", 1);
	booking_buf_puts(b, t);
	booking_buf_put(b, "\"", 1);
}

void booking_buf_csv_field(booking_buf *b, const char *s)
{
	const char *p = s ? s : "";
	int formula = *p == '=' || *p == '+' || *p == '-' || *p == '@' ||
		      *p == '\t' || *p == '\r';
	int quote = formula || strpbrk(p, ",\"\r\n;") != NULL;

	if (quote)
		booking_buf_put(b, "\"", 1);
	if (formula)
		booking_buf_put(b, "'", 1);
	for (; *p; p++) {
		if (*p == '"')
			booking_buf_put(b, "\"\"", 2);
		else
			booking_buf_put(b, p, 1);
	}
	if (quote)
		booking_buf_put(b, "\"", 1);
}

char *booking_buf_take(booking_buf *b)
{
	char *p;
	if (b->oom) {
		booking_buf_free(b);
		return NULL;
	}
	if (reserve(b, 0) != 0)
		return NULL;
	b->p[b->len] = 0;
	p = b->p;
	memset(b, 0, sizeof(*b));
	return p;
}

/* ====================================================== slot listing */

/* Appends text t at p. Returns the end. */
static char *put_at(char *p, const char *t)
{
	size_t n = strlen(t);
	memcpy(p, t, n);
	return p + n;
}

/* Appends a non-negative or negative int at p. Returns the end. */
static char *int_at(char *p, long long v)
{
	char t[24];
	int i = (int)sizeof(t);
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	memcpy(p, t + i, sizeof(t) - (size_t)i);
	return p + (sizeof(t) - (size_t)i);
}

/* Appends an instant as a quoted local time at p. Returns the end. */
static char *time_at(char *p, int64_t utc)
{
	char t[40];
	if (booking_time_format(utc, t) != 0)
		snprintf(t, sizeof(t), "1970-01-01T00:00:00+00:00");
	*p++ = '"';
	p = put_at(p, t);
	*p++ = '"';
	return p;
}

/* One slot, written in place after reserving its largest size (the
 * hottest loop of the listing: no per-piece capacity checks). */
static void slot_json(booking_buf *b, const booking_view *v,
		      const booking_view_in *in, const booking_slot *s)
{
	static const char *const why[] = {NULL, "past", "notice", "horizon",
					  "blocked"};
	size_t need = 512; /* the fixed text, numbers and times */
	char *p;

	if (s->blocked)
		need += 6 * strlen(s->reason ? s->reason : "") + 2;
	for (int k = 0; k < s->ncons; k++)
		need +=
		    6 * strlen(in->cons[v->cons_idx[s->first_cons + k]].name) +
		    3;
	if (reserve(b, need) != 0)
		return;
	p = b->p + b->len;
	p = put_at(p, "{\"start\":");
	p = time_at(p, s->start);
	p = put_at(p, ",\"end\":");
	p = time_at(p, s->end);
	p = put_at(p, ",\"capacity\":");
	p = int_at(p, s->capacity);
	p = put_at(p, ",\"booked\":");
	p = int_at(p, s->booked);
	p = put_at(p, ",\"free\":");
	p = int_at(p, booking_slot_free(s));
	p = put_at(p, s->booked > s->capacity ? ",\"overbooked\":true"
					      : ",\"overbooked\":false");
	p = put_at(p, s->why == BOOKING_OK ? ",\"bookable\":true"
					   : ",\"bookable\":false");
	if (s->why != BOOKING_OK) {
		p = put_at(p, ",\"not_bookable\":");
		p = json_str_at(p, why[s->why]);
	}
	p = put_at(p, s->blocked ? ",\"blocked\":true" : ",\"blocked\":false");
	if (s->blocked) {
		p = put_at(p, ",\"reason\":");
		p = json_str_at(p, s->reason);
	}
	p = put_at(p, ",\"consultants\":[");
	for (int k = 0; k < s->ncons; k++) {
		if (k)
			*p++ = ',';
		p = json_str_at(p,
				in->cons[v->cons_idx[s->first_cons + k]].name);
	}
	p = put_at(p, "]}");
	*p = 0;
	b->len = (size_t)(p - b->p);
}

void booking_view_json(const booking_view *v, const booking_view_in *in,
		       booking_buf *b)
{
	booking_buf_puts(b, "{\"timezone\":");
	booking_buf_json_str(b, hub_time_zone());
	booking_buf_puts(b, ",\"days\":[");
	for (int i = 0; i < v->ndays; i++) {
		const booking_day *d = &v->days[i];
		char date[11];
		hub_date_format(d->date, date);
		booking_buf_puts(b, i ? ",{\"date\":\"" : "{\"date\":\"");
		booking_buf_puts(b, date);
		booking_buf_puts(b, "\",\"weekday\":");
		booking_buf_int(b, hub_date_weekday(d->date));
		booking_buf_puts(b, d->blocked ? ",\"blocked\":true"
					       : ",\"blocked\":false");
		if (d->blocked) {
			booking_buf_puts(b, ",\"reason\":");
			booking_buf_json_str(b, d->reason);
			booking_buf_puts(b, d->holiday ? ",\"holiday\":true"
						       : ",\"holiday\":false");
		}
		booking_buf_puts(b, ",\"slots\":[");
		for (int k = 0; k < d->nslots; k++) {
			if (k)
				booking_buf_put(b, ",", 1);
			slot_json(b, v, in, &v->slots[d->first_slot + k]);
		}
		booking_buf_puts(b, "]}");
	}
	booking_buf_puts(b, "]}");
}
