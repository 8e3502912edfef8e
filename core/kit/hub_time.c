/*
 * hub_time.c - civil dates and zone conversions; see hub_time.h.
 */
#define _GNU_SOURCE
#include "hub_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char g_zone[64] = "UTC";

/* ============================================================ civil dates */

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

int hub_date_valid(hub_date d)
{
	return d.y >= 1900 && d.y <= 9999 && d.m >= 1 && d.m <= 12 &&
	       d.d >= 1 && d.d <= days_in_month(d.y, d.m);
}

/* Howard Hinnant's days_from_civil algorithm (public domain description). */
int64_t hub_date_to_days(hub_date d)
{
	int64_t y = d.y - (d.m <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d.m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d.d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

hub_date hub_date_from_days(int64_t z)
{
	hub_date r;
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.y = (int)(yoe + era * 400 + (r.m <= 2));
	return r;
}

hub_date hub_date_add(hub_date d, int days)
{
	return hub_date_from_days(hub_date_to_days(d) + days);
}

int64_t hub_date_diff(hub_date a, hub_date b)
{
	return hub_date_to_days(a) - hub_date_to_days(b);
}

int hub_date_weekday(hub_date d)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t days = hub_date_to_days(d);
	int64_t w = ((days % 7) + 7 + 3) % 7; /* 0 = Monday */
	return (int)w + 1;
}

hub_date hub_date_easter(int year)
{
	/* Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	hub_date r;
	r.y = year;
	r.m = (h + l - 7 * m + 114) / 31;
	r.d = ((h + l - 7 * m + 114) % 31) + 1;
	return r;
}

int hub_date_iso_week(hub_date d)
{
	int wd = hub_date_weekday(d);
	hub_date thursday = hub_date_add(d, 4 - wd);
	hub_date jan1 = {thursday.y, 1, 1};
	return (int)(hub_date_diff(thursday, jan1) / 7) + 1;
}

/* Reads exactly n digits. Returns the value or -1. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int hub_date_parse(const char *s, hub_date *out)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	hub_date d = {digits(s, 4), digits(s + 5, 2), digits(s + 8, 2)};
	if (d.y < 0 || d.m < 0 || d.d < 0 || !hub_date_valid(d))
		return -1;
	*out = d;
	return 0;
}

/* Copies a formatted local buffer into a caller buffer of n bytes. */
static void put_text(char *out, size_t n, const char *text)
{
	size_t len = strlen(text);
	if (len >= n)
		len = n - 1;
	memcpy(out, text, len);
	out[len] = 0;
}

void hub_date_format(hub_date d, char *out)
{
	char buf[64];
	if (d.y >= 0 && d.y <= 9999 && d.m >= 0 && d.m <= 99 && d.d >= 0 &&
	    d.d <= 99) {
		/* the common case by hand: listings format many dates */
		int v[3] = {d.y, d.m, d.d}, w[3] = {4, 2, 2}, o = 0;
		for (int k = 0; k < 3; k++) {
			for (int i = w[k] - 1; i >= 0; i--) {
				out[o + i] = (char)('0' + v[k] % 10);
				v[k] /= 10;
			}
			o += w[k];
			if (k < 2)
				out[o++] = '-';
		}
		out[o] = 0;
		return;
	}
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.y, d.m, d.d);
	put_text(out, 11, buf);
}

/* ================================================================ zones */

int hub_time_init(const char *tz)
{
	char path[256];
	if (!tz || !*tz || strlen(tz) >= sizeof(g_zone) || strstr(tz, ".."))
		return -1;
	if (strcmp(tz, "UTC") != 0) {
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
		if (access(path, R_OK) != 0)
			return -1;
	}
	snprintf(g_zone, sizeof(g_zone), "%s", tz);
	setenv("TZ", tz, 1);
	tzset();
	return 0;
}

const char *hub_time_zone(void)
{
	return g_zone;
}

int hub_time_to_local(int64_t utc, hub_date *date, int *hh, int *mm, int *ss,
		      int *offset_s)
{
	time_t t = (time_t)utc;
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return -1;
	if (date) {
		date->y = tm.tm_year + 1900;
		date->m = tm.tm_mon + 1;
		date->d = tm.tm_mday;
	}
	if (hh)
		*hh = tm.tm_hour;
	if (mm)
		*mm = tm.tm_min;
	if (ss)
		*ss = tm.tm_sec;
	if (offset_s)
		*offset_s = (int)tm.tm_gmtoff;
	return 0;
}

/* Tries mktime with a given isdst hint and checks that the wall time
 * round-trips. Returns 0 with *utc on success, -1 otherwise. */
static int try_local(hub_date d, int hh, int mm, int isdst, int64_t *utc)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d.y - 1900;
	tm.tm_mon = d.m - 1;
	tm.tm_mday = d.d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_isdst = isdst;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	hub_date back;
	int bh, bm;
	if (hub_time_to_local((int64_t)t, &back, &bh, &bm, NULL, NULL) != 0)
		return -1;
	if (back.y != d.y || back.m != d.m || back.d != d.d || bh != hh ||
	    bm != mm)
		return -1;
	*utc = (int64_t)t;
	return 0;
}

int hub_time_from_local(hub_date d, int hh, int mm, int64_t *utc)
{
	int64_t a, b;
	if (!hub_date_valid(d) || hh < 0 || hh > 23 || mm < 0 || mm > 59)
		return -1;
	int ra = try_local(d, hh, mm, 1, &a);
	int rb = try_local(d, hh, mm, 0, &b);
	if (ra != 0 && rb != 0)
		return 1; /* skipped wall time */
	if (ra == 0 && rb == 0)
		*utc = a < b ? a : b; /* repeated: the first occurrence */
	else
		*utc = ra == 0 ? a : b;
	return 0;
}

int hub_time_format(int64_t utc, char *out)
{
	hub_date d;
	int hh, mm, ss, off;
	if (hub_time_to_local(utc, &d, &hh, &mm, &ss, &off) != 0)
		return -1;
	int aoff = off < 0 ? -off : off;
	char buf[96];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		 d.y, d.m, d.d, hh, mm, ss, off < 0 ? '-' : '+', aoff / 3600,
		 (aoff % 3600) / 60);
	put_text(out, 32, buf);
	return 0;
}

int hub_time_format_utc(int64_t utc, char *out)
{
	time_t t = (time_t)utc;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return -1;
	char buf[96];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	put_text(out, 24, buf);
	return 0;
}

int hub_time_parse(const char *s, int64_t *utc)
{
	if (!s || strlen(s) < 16 || strlen(s) > 40)
		return -1;
	hub_date d;
	char date[11];
	memcpy(date, s, 10);
	date[10] = 0;
	if (hub_date_parse(date, &d) != 0)
		return -1;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -1;
	const char *p = s + 11;
	int hh = digits(p, 2), mm = -1, ss = 0;
	if (hh < 0 || p[2] != ':')
		return -1;
	mm = digits(p + 3, 2);
	if (mm < 0)
		return -1;
	p += 5;
	if (*p == ':') {
		ss = digits(p + 1, 2);
		if (ss < 0)
			return -1;
		p += 3;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	int off;
	if (*p == 'Z' || *p == 'z') {
		off = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh = digits(p + 1, 2), om;
		if (oh < 0 || p[3] != ':')
			return -1;
		om = digits(p + 4, 2);
		if (om < 0 || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (ss == 60)
		ss = 59; /* leap second: clamp */
	*utc = hub_date_to_days(d) * 86400 + hh * 3600 + mm * 60 + ss - off;
	return 0;
}

hub_date hub_date_today(void)
{
	hub_date d = {1970, 1, 1};
	hub_time_to_local((int64_t)time(NULL), &d, NULL, NULL, NULL, NULL);
	return d;
}
