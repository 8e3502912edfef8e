/*
 * test_booking_grid.c - the slot grid: parsing, the default grid of
 * docs/DOMAIN.md, and the DST changes of 2026 in Europe/Berlin (29 March and
 * 25 October): offsets of the days around them, and a grid with Sunday
 * slots on the transition days (none in the skipped hour, none doubled in
 * the repeated one).
 */
#include "booking.h"
#include "check.h"

#include <stdlib.h>

static booking_grid grid;

/* Formats the slot starts of date y-m-d as "HH:MM+hh:mm ..." into out. */
static int day_text(const booking_grid *g, int y, int m, int d, char *out,
		    size_t outlen)
{
	booking_slot_time st[BOOKING_MAX_TIMES];
	hub_date date = {y, m, d};
	int n = booking_grid_day(g, date, st, BOOKING_MAX_TIMES);
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		char t[40];
		hub_time_format(st[i].start, t);
		/* keep "HH:MM" and the offset */
		o += (size_t)snprintf(out + o, outlen - o, "%s%.5s%s",
				      i ? " " : "", t + 11, t + 19);
	}
	return n;
}

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	if (hub_time_parse(rfc3339, &t) != 0)
		fprintf(stderr, "bad test time %s\n", rfc3339);
	return t;
}

static void test_parse(void)
{
	char err[200];
	booking_grid g;

	CHECK_INT(
	    booking_grid_parse(BOOKING_DEFAULT_GRID, &g, err, sizeof(err)), 0);
	CHECK_INT(g.count[1], 6);
	CHECK_INT(g.count[4], 6);
	CHECK_INT(g.count[5], 3);
	CHECK_INT(g.count[6], 0);
	CHECK_INT(g.count[7], 0);
	CHECK_INT(g.minute[1][0], 9 * 60);
	CHECK_INT(g.minute[1][5], 20 * 60);
	CHECK_INT(g.minute[5][2], 14 * 60);

	/* unordered input is sorted; a later group replaces a day */
	CHECK_INT(booking_grid_parse("Mon-Fri 14:00 09:00; fri 10:00", &g, err,
				     sizeof(err)),
		  0);
	CHECK_INT(g.count[1], 2);
	CHECK_INT(g.minute[1][0], 540);
	CHECK_INT(g.minute[1][1], 840);
	CHECK_INT(g.count[5], 1);
	CHECK_INT(g.minute[5][0], 600);
	/* wrapping range and commas between times */
	CHECK_INT(
	    booking_grid_parse("sat-mon 10:00, 12:00", &g, err, sizeof(err)),
	    0);
	CHECK_INT(g.count[6] + g.count[7] + g.count[1], 6);
	CHECK_INT(g.count[2], 0);
	/* empty text: no slots */
	CHECK_INT(booking_grid_parse("", &g, err, sizeof(err)), 0);
	for (int d = 1; d <= 7; d++)
		CHECK_INT(g.count[d], 0);

	/* errors name the problem */
	CHECK_INT(booking_grid_parse("mon 25:00", &g, err, sizeof(err)), -1);
	CHECK(strstr(err, "HH:MM") != NULL);
	CHECK_INT(booking_grid_parse("monday 09:00", &g, err, sizeof(err)), -1);
	CHECK(strstr(err, "day") != NULL);
	CHECK_INT(booking_grid_parse("mon 09:00 09:00", &g, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "repeated") != NULL);
	CHECK_INT(booking_grid_parse("mon 9:00", &g, err, sizeof(err)), -1);
	CHECK_INT(booking_grid_parse("mon 09:60", &g, err, sizeof(err)), -1);
	CHECK_INT(booking_grid_parse("mon 24:00", &g, err, sizeof(err)), -1);
	CHECK_INT(booking_grid_parse("mon 09:00x", &g, err, sizeof(err)), -1);
}

static void test_default_week(void)
{
	char txt[512];
	/* Mon 2026-06-01 (summer): six slots at +02:00 */
	CHECK_INT(day_text(&grid, 2026, 6, 1, txt, sizeof(txt)), 6);
	CHECK_STR(txt, "09:00+02:00 11:00+02:00 14:00+02:00 16:00+02:00 "
		       "18:00+02:00 20:00+02:00");
	/* Fri: three slots; Sat and Sun: none */
	CHECK_INT(day_text(&grid, 2026, 6, 5, txt, sizeof(txt)), 3);
	CHECK_STR(txt, "09:00+02:00 11:00+02:00 14:00+02:00");
	CHECK_INT(day_text(&grid, 2026, 6, 6, txt, sizeof(txt)), 0);
	CHECK_INT(day_text(&grid, 2026, 6, 7, txt, sizeof(txt)), 0);
	/* winter: +01:00 */
	CHECK_INT(day_text(&grid, 2026, 1, 15, txt, sizeof(txt)), 6);
	CHECK_STR(txt, "09:00+01:00 11:00+01:00 14:00+01:00 16:00+01:00 "
		       "18:00+01:00 20:00+01:00");
}

static void test_dst_weekdays(void)
{
	char txt[512];
	/* Friday before the spring change: +01:00 */
	CHECK_INT(day_text(&grid, 2026, 3, 27, txt, sizeof(txt)), 3);
	CHECK_STR(txt, "09:00+01:00 11:00+01:00 14:00+01:00");
	/* Monday after: +02:00 */
	CHECK_INT(day_text(&grid, 2026, 3, 30, txt, sizeof(txt)), 6);
	CHECK_STR(txt, "09:00+02:00 11:00+02:00 14:00+02:00 16:00+02:00 "
		       "18:00+02:00 20:00+02:00");
	/* Friday before the autumn change: +02:00 */
	CHECK_INT(day_text(&grid, 2026, 10, 23, txt, sizeof(txt)), 3);
	CHECK_STR(txt, "09:00+02:00 11:00+02:00 14:00+02:00");
	/* Monday after: +01:00 */
	CHECK_INT(day_text(&grid, 2026, 10, 26, txt, sizeof(txt)), 6);
	CHECK_STR(txt, "09:00+01:00 11:00+01:00 14:00+01:00 16:00+01:00 "
		       "18:00+01:00 20:00+01:00");

	/* the instants themselves (UTC) */
	booking_slot_time st[8];
	hub_date fri = {2026, 3, 27}, mon = {2026, 3, 30};
	booking_grid_day(&grid, fri, st, 8);
	CHECK_INT(st[0].start, at("2026-03-27T08:00:00Z"));
	booking_grid_day(&grid, mon, st, 8);
	CHECK_INT(st[0].start, at("2026-03-30T07:00:00Z"));
}

static void test_dst_sundays(void)
{
	char err[200], txt[512];
	booking_grid g;
	booking_slot_time st[16];
	hub_date spring = {2026, 3, 29}, autumn = {2026, 10, 25};
	int n;

	CHECK_INT(booking_grid_parse("sun 01:00 01:30 02:00 02:30 03:00 03:30",
				     &g, err, sizeof(err)),
		  0);
	/* 29 March: 02:00-02:59 does not exist: no 02:00 and no 02:30 */
	CHECK_INT(day_text(&g, 2026, 3, 29, txt, sizeof(txt)), 4);
	CHECK_STR(txt, "01:00+01:00 01:30+01:00 03:00+02:00 03:30+02:00");
	n = booking_grid_day(&g, spring, st, 16);
	CHECK_INT(n, 4);
	CHECK_INT(st[1].start, at("2026-03-29T00:30:00Z"));
	CHECK_INT(st[2].start, at("2026-03-29T01:00:00Z"));
	CHECK_INT(st[2].start - st[1].start, 1800); /* 01:30 -> 03:00 */

	/* 25 October: 02:00-02:59 happens twice: each start once, first */
	CHECK_INT(day_text(&g, 2026, 10, 25, txt, sizeof(txt)), 6);
	CHECK_STR(txt, "01:00+02:00 01:30+02:00 02:00+02:00 02:30+02:00 "
		       "03:00+01:00 03:30+01:00");
	n = booking_grid_day(&g, autumn, st, 16);
	CHECK_INT(n, 6);
	for (int i = 1; i < n; i++)
		CHECK(st[i].start > st[i - 1].start); /* strictly increasing */
	CHECK_INT(st[3].start, at("2026-10-25T00:30:00Z"));
	CHECK_INT(st[4].start, at("2026-10-25T02:00:00Z"));

	/* matching instants against the grid */
	hub_date d;
	int minute;
	CHECK_INT(booking_grid_match(&g, at("2026-10-25T02:30:00+02:00"), &d,
				     &minute),
		  1);
	CHECK_INT(minute, 150);
	CHECK_INT(d.d, 25);
	/* the second 02:30 (+01:00) is not a slot start */
	CHECK_INT(
	    booking_grid_match(&g, at("2026-10-25T02:30:00+01:00"), NULL, NULL),
	    0);
	/* a wall time in the skipped hour can't be written with a valid
	 * offset; 01:30Z on 29 March is 03:30+02:00, which is a start */
	CHECK_INT(
	    booking_grid_match(&g, at("2026-03-29T01:30:00Z"), NULL, &minute),
	    1);
	CHECK_INT(minute, 210);
	/* seconds or a time off the grid: no */
	CHECK_INT(
	    booking_grid_match(&g, at("2026-10-25T01:00:01+02:00"), NULL, NULL),
	    0);
	CHECK_INT(
	    booking_grid_match(&g, at("2026-10-25T01:15:00+02:00"), NULL, NULL),
	    0);

	/* a slot's end is start + its length in real time: the 01:00 slot
	 * on 29 March lasts 120 minutes and ends at 04:00+02:00 */
	char end[40];
	hub_time_format(st[0].start, end); /* 25 Oct 01:00+02:00 */
	CHECK_STR(end, "2026-10-25T01:00:00+02:00");
	n = booking_grid_day(&g, spring, st, 16);
	hub_time_format(st[0].start + 120 * 60, end);
	CHECK_STR(end, "2026-03-29T04:00:00+02:00");
}

static void test_default_match(void)
{
	CHECK_INT(booking_grid_match(&grid, at("2026-03-30T09:00:00+02:00"),
				     NULL, NULL),
		  1);
	CHECK_INT(
	    booking_grid_match(&grid, at("2026-03-30T07:00:00Z"), NULL, NULL),
	    1);
	/* right wall time with the wrong offset is another instant */
	CHECK_INT(booking_grid_match(&grid, at("2026-03-30T09:00:00+01:00"),
				     NULL, NULL),
		  0);
	/* Friday 16:00 is not on the default grid; Saturday has nothing */
	CHECK_INT(booking_grid_match(&grid, at("2026-03-27T16:00:00+01:00"),
				     NULL, NULL),
		  0);
	CHECK_INT(booking_grid_match(&grid, at("2026-03-28T09:00:00+01:00"),
				     NULL, NULL),
		  0);
}

/* The fast clock agrees with the C library's conversions: every 15
 * minutes of every day of 2026 and 2027 (DST days included), and
 * formatting every 5 minutes around both changes of 2026. */
static void test_fast_clock(void)
{
	hub_date d = {2026, 1, 1};
	int mismatches = 0, changing_days = 0, fmt_bad = 0;
	char a[40], b[40];

	for (int i = 0; i < 730; i++, d = hub_date_add(d, 1)) {
		booking_day_clock c;
		booking_day_clock_init(&c, d);
		changing_days += c.changes;
		for (int m = 0; m < 1440; m += 15) {
			int64_t x = 0, y = 0;
			int rx = booking_day_instant(&c, m, &x);
			int ry = hub_time_from_local(d, m / 60, m % 60, &y);
			if (rx != ry || (rx == 0 && x != y))
				mismatches++;
		}
	}
	CHECK_INT(mismatches, 0);
	/* only the days at the four changes use the slow path */
	CHECK(changing_days >= 4 && changing_days <= 12);
	{
		int64_t starts[] = {at("2026-03-28T12:00:00Z"),
				    at("2026-10-24T12:00:00Z"),
				    at("1999-12-31T20:00:00Z")};
		for (int k = 0; k < 3; k++)
			for (int64_t t = starts[k]; t < starts[k] + 2 * 86400;
			     t += 300 + k) {
				booking_time_format(t, a);
				hub_time_format(t, b);
				if (strcmp(a, b) != 0) {
					if (!fmt_bad)
						fprintf(stderr, "%s != %s\n", a,
							b);
					fmt_bad++;
				}
			}
	}
	CHECK_INT(fmt_bad, 0);
	booking_time_format(at("2026-03-29T01:00:00Z"), a);
	CHECK_STR(a, "2026-03-29T03:00:00+02:00");
	booking_time_format(at("2026-10-25T00:59:59Z"), a);
	CHECK_STR(a, "2026-10-25T02:59:59+02:00");
	booking_time_format(at("2026-10-25T01:00:00Z"), a);
	CHECK_STR(a, "2026-10-25T02:00:00+01:00");
}

int main(void)
{
	char err[200];
	if (hub_time_init("Europe/Berlin") != 0) {
		fprintf(stderr, "no Europe/Berlin zone\n");
		return 1;
	}
	CHECK_INT(
	    booking_grid_parse(BOOKING_DEFAULT_GRID, &grid, err, sizeof(err)),
	    0);
	test_parse();
	test_default_week();
	test_dst_weekdays();
	test_dst_sundays();
	test_default_match();
	test_fast_clock();
	return check_report("booking_grid");
}
