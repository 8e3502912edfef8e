/*
 * test_kit_time.c - civil dates, Easter, ISO weeks, RFC 3339 parsing and
 * Europe/Berlin offsets around the 2026 DST changes (29 March, 25 October).
 */
#include "check.h"
#include "hub_time.h"

static void test_dates(void)
{
	hub_date d;
	char buf[32];
	CHECK_INT(hub_date_parse("2026-02-28", &d), 0);
	CHECK_INT(hub_date_parse("2026-02-29", &d), -1);
	CHECK_INT(hub_date_parse("2028-02-29", &d), 0);
	CHECK_INT(hub_date_parse("2026-13-01", &d), -1);
	CHECK_INT(hub_date_parse("2026-04-31", &d), -1);
	CHECK_INT(hub_date_parse("2026-4-01", &d), -1);
	CHECK_INT(hub_date_parse("2026-04-01x", &d), -1);
	CHECK_INT(hub_date_parse("", &d), -1);
	CHECK_INT(hub_date_parse("2026-12-31", &d), 0);
	hub_date_format(hub_date_add(d, 1), buf);
	CHECK_STR(buf, "2027-01-01");
	hub_date_format(hub_date_add(d, -365), buf);
	CHECK_STR(buf, "2025-12-31");
	hub_date a = {2026, 3, 29}, b = {2026, 3, 27};
	CHECK_INT(hub_date_diff(a, b), 2);
	CHECK_INT(hub_date_weekday(a), 7); /* Sunday */
	CHECK_INT(hub_date_weekday(b), 5); /* Friday */
	hub_date nov = {2026, 11, 28};
	CHECK_INT(hub_date_weekday(nov), 6); /* Saturday */
	CHECK_INT(hub_date_iso_week(nov), 48);
	hub_date jan1 = {2027, 1, 1};
	CHECK_INT(hub_date_iso_week(jan1), 53); /* 2026 has 53 ISO weeks */
	hub_date e = hub_date_easter(2026);
	CHECK_INT(e.m, 4);
	CHECK_INT(e.d, 5);
	e = hub_date_easter(2027);
	CHECK_INT(e.m, 3);
	CHECK_INT(e.d, 28);
	e = hub_date_easter(2024);
	CHECK_INT(e.m, 3);
	CHECK_INT(e.d, 31);
	hub_date epoch = {1970, 1, 1};
	CHECK_INT(hub_date_to_days(epoch), 0);
	d = hub_date_from_days(20000);
	hub_date_format(d, buf);
	CHECK_STR(buf, "2024-10-04");
}

static void test_parse(void)
{
	int64_t t;
	CHECK_INT(hub_time_parse("1970-01-01T00:00:00Z", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(hub_time_parse("2026-03-27T09:00:00+01:00", &t), 0);
	CHECK_INT(t, 1774598400);
	CHECK_INT(hub_time_parse("2026-03-27T08:00Z", &t), 0);
	CHECK_INT(t, 1774598400);
	CHECK_INT(hub_time_parse("2026-03-27T09:00:00.123+01:00", &t), 0);
	CHECK_INT(t, 1774598400);
	CHECK_INT(hub_time_parse("2026-03-27 09:00:00+01:00", &t), 0);
	CHECK_INT(hub_time_parse("2026-03-27T09:00:00", &t), -1);
	CHECK_INT(hub_time_parse("2026-03-27T24:00:00Z", &t), -1);
	CHECK_INT(hub_time_parse("2026-02-30T09:00:00Z", &t), -1);
	CHECK_INT(hub_time_parse("2026-03-27T09:00:00+1:00", &t), -1);
	CHECK_INT(hub_time_parse("2026-03-27T09:00:00+01:00x", &t), -1);
	CHECK_INT(hub_time_parse("tomorrow", &t), -1);
	CHECK_INT(hub_time_parse(NULL, &t), -1);
}

static void test_berlin(void)
{
	char buf[40];
	int64_t t;
	hub_date fri = {2026, 3, 27}, sun = {2026, 3, 29}, mon = {2026, 3, 30};
	hub_date octsun = {2026, 10, 25}, octmon = {2026, 10, 26};
	CHECK_INT(hub_time_init("Europe/Berlin"), 0);
	CHECK_INT(hub_time_init("Nowhere/Atlantis"), -1);
	CHECK_STR(hub_time_zone(), "Europe/Berlin");

	CHECK_INT(hub_time_from_local(fri, 9, 0, &t), 0);
	hub_time_format(t, buf);
	CHECK_STR(buf, "2026-03-27T09:00:00+01:00");
	CHECK_INT(hub_time_from_local(mon, 9, 0, &t), 0);
	hub_time_format(t, buf);
	CHECK_STR(buf, "2026-03-30T09:00:00+02:00");
	/* 02:30 on 29 March does not exist */
	CHECK_INT(hub_time_from_local(sun, 2, 30, &t), 1);
	CHECK_INT(hub_time_from_local(sun, 3, 0, &t), 0);
	hub_time_format(t, buf);
	CHECK_STR(buf, "2026-03-29T03:00:00+02:00");
	CHECK_INT(hub_time_from_local(sun, 1, 59, &t), 0);
	hub_time_format(t, buf);
	CHECK_STR(buf, "2026-03-29T01:59:00+01:00");
	/* 02:30 on 25 October happens twice: the first one (+02:00) */
	CHECK_INT(hub_time_from_local(octsun, 2, 30, &t), 0);
	hub_time_format(t, buf);
	CHECK_STR(buf, "2026-10-25T02:30:00+02:00");
	hub_time_format(t + 3600, buf);
	CHECK_STR(buf, "2026-10-25T02:30:00+01:00");
	CHECK_INT(hub_time_from_local(octmon, 9, 0, &t), 0);
	hub_time_format(t, buf);
	CHECK_STR(buf, "2026-10-26T09:00:00+01:00");
	hub_time_format_utc(t, buf);
	CHECK_STR(buf, "2026-10-26T08:00:00Z");
	CHECK_INT(hub_time_from_local(octmon, 24, 0, &t), -1);

	hub_date back;
	int hh, mm, off;
	CHECK_INT(hub_time_to_local(1774598400, &back, &hh, &mm, NULL, &off),
		  0);
	CHECK_INT(back.d, 27);
	CHECK_INT(hh, 9);
	CHECK_INT(off, 3600);
}

int main(void)
{
	test_dates();
	test_parse();
	test_berlin();
	return check_report("kit_time");
}
