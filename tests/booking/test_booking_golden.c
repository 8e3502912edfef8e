/*
 * test_booking_golden.c - the exact bytes of the slot listing's JSON.
 *
 * The listing is the module's hottest response and is tuned for speed;
 * this test pins its output byte for byte, so a faster writer cannot
 * change a character. Three ranges with the default configuration:
 * a week with calendars, a plan, counts (one slot overbooked), a blocked
 * day, blocked slots whose reasons need escaping (quote, backslash, tab,
 * a control character, UTF-8), past, notice (min_notice_min 180) and
 * horizon slots; the weeks
 * of both DST changes of 2026; and the Christmas holidays.
 *
 * Usage: test_booking_golden GOLDEN_FILE [--write]
 * (--write regenerates the file; only for a deliberate format change).
 */
#include "booking_fixtures.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static booking_config cfg;

/* Appends the listing of [from, to] at `now` to out. */
static void listing(booking_buf *out, hub_date from, hub_date to,
		    const char *now, const booking_cons_rt *cons, int ncons,
		    const booking_count *counts, int ncounts,
		    const booking_block *blocks, int nblocks)
{
	booking_view_in in = {&cfg,  from,   to,      at(now), cons,
			      ncons, counts, ncounts, blocks,  nblocks};
	booking_view v;
	booking_buf b;

	CHECK_INT(booking_view_build(&in, &v), 0);
	booking_buf_init(&b);
	booking_view_json(&v, &in, &b);
	CHECK_INT(b.oom, 0);
	if (b.p) {
		booking_buf_put(out, b.p, b.len);
		booking_buf_put(out, "\n", 1);
	}
	booking_buf_free(&b);
	booking_view_free(&v);
}

int main(int argc, char **argv)
{
	char err[200];
	static hub_cal_event anna[6], dora[4];
	static booking_plan ben_plan, eva_plan;
	booking_cons_rt cons[5];
	booking_buf out;
	FILE *f;
	long n;
	char *want;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GOLDEN_FILE [--write]\n", argv[0]);
		return 2;
	}
	if (hub_time_init("Europe/Berlin") != 0 ||
	    booking_config_load(&cfg, no_settings, NULL, err, sizeof(err)) !=
		0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	anna[0] = ev("T1 bereit", "", "2026-06-01T08:00:00+02:00",
		     "2026-06-01T13:00:00+02:00");
	anna[1] = ev("T1 BEREIT heute", "", "2026-06-02T00:00:00+02:00",
		     "2026-06-03T00:00:00+02:00");
	anna[2] = ev("Zahnarzt", "9", "2026-06-02T14:30:00+02:00",
		     "2026-06-02T15:30:00+02:00");
	anna[3] = ev("t1 bereit", "", "2026-03-27T08:00:00+01:00",
		     "2026-04-01T20:00:00+02:00");
	anna[4] = ev("Mittag", "4", "2026-03-30T12:00:00+02:00",
		     "2026-03-30T13:00:00+02:00");
	anna[5] = ev("T1 bereit", "", "2026-10-23T08:00:00+02:00",
		     "2026-10-28T20:00:00+01:00");
	dora[0] = ev("T1   bereit", "", "2026-06-03T09:00:00+02:00",
		     "2026-06-05T22:00:00+02:00");
	dora[1] = ev("Termin", "", "2026-06-04T11:00:00+02:00",
		     "2026-06-04T11:30:00+02:00");
	dora[2] = ev("T1 bereit", "", "2026-10-26T08:00:00+01:00",
		     "2026-10-26T22:00:00+01:00");
	dora[3] = ev("T1 bereit", "", "2026-12-22T08:00:00+01:00",
		     "2026-12-31T22:00:00+01:00");
	booking_plan_parse("mon-fri 09:00-16:00", &ben_plan, err, sizeof(err));
	booking_plan_parse("mon-thu 11:00-22:00, sun 10:00-14:00", &eva_plan,
			   err, sizeof(err));
	cons[0] = (booking_cons_rt){1, "Anna", 0, NULL, anna, 6, 1};
	cons[1] = (booking_cons_rt){
	    2, "Ben \"B\" M\xc3\xbcller", 2, &ben_plan, NULL, 0, 1};
	cons[2] = (booking_cons_rt){3, "Cora\\Tab\t", 0, NULL, NULL, 0, 0};
	cons[3] = (booking_cons_rt){4, "Dora", 5, NULL, dora, 4, 1};
	cons[4] = (booking_cons_rt){5, "Eva", 0, &eva_plan, NULL, 0, 1};

	booking_buf_init(&out);
	{
		booking_count counts[] = {
		    {at("2026-06-01T09:00:00+02:00"), 0, 2},
		    {at("2026-06-01T09:00:00+02:00"), 1, 9},
		    {at("2026-06-02T11:00:00+02:00"), 2, 3},
		    {at("2026-06-04T16:00:00+02:00"), 0, 1}};
		booking_block blocks[] = {
		    {{2026, 6, 3}, 14 * 60, "Schulung \"intern\" \\ a\tb\x01"},
		    {{2026, 6, 5}, -1, "Betriebsausflug \xc3\xa4"},
		    {{2026, 6, 2}, 9 * 60, ""}};
		listing(&out, (hub_date){2026, 5, 31}, (hub_date){2026, 6, 7},
			"2026-06-01T10:30:00+02:00", cons, 5, counts, 4, blocks,
			3);
		/* with three hours' notice: 11:00 and 14:00 too soon */
		cfg.min_notice_min = 180;
		listing(&out, (hub_date){2026, 6, 1}, (hub_date){2026, 6, 1},
			"2026-06-01T10:30:00+02:00", cons, 5, counts, 4, blocks,
			3);
		cfg.min_notice_min = 0;
		/* the same week seen long before: horizon */
		listing(&out, (hub_date){2026, 6, 1}, (hub_date){2026, 6, 7},
			"2026-01-05T10:00:00+01:00", cons, 5, counts, 4, blocks,
			3);
	}
	/* both DST changes, and the Christmas holidays */
	listing(&out, (hub_date){2026, 3, 26}, (hub_date){2026, 4, 1},
		"2026-03-20T10:00:00+01:00", cons, 5, NULL, 0, NULL, 0);
	listing(&out, (hub_date){2026, 10, 22}, (hub_date){2026, 10, 28},
		"2026-10-20T10:00:00+02:00", cons, 5, NULL, 0, NULL, 0);
	listing(&out, (hub_date){2026, 12, 21}, (hub_date){2027, 1, 2},
		"2026-12-01T10:00:00+01:00", cons, 5, NULL, 0, NULL, 0);
	CHECK_INT(out.oom, 0);

	if (argc > 2 && strcmp(argv[2], "--write") == 0) {
		f = fopen(argv[1], "wb");
		CHECK(f != NULL);
		if (f) {
			CHECK_INT((long)fwrite(out.p, 1, out.len, f),
				  (long)out.len);
			fclose(f);
		}
	} else {
		f = fopen(argv[1], "rb");
		CHECK(f != NULL);
		want = NULL;
		n = 0;
		if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
		    fseek(f, 0, SEEK_SET) == 0 &&
		    (want = malloc((size_t)n)) != NULL &&
		    fread(want, 1, (size_t)n, f) != (size_t)n)
			n = -1;
		if (f)
			fclose(f);
		CHECK_INT(n, (long)out.len);
		if (want && n == (long)out.len &&
		    memcmp(want, out.p, out.len) != 0) {
			size_t i = 0;
			while (want[i] == out.p[i])
				i++;
			fprintf(stderr, "first difference at byte %zu: %.60s\n",
				i, out.p + i);
			CHECK(0);
		}
		free(want);
	}
	booking_buf_free(&out);
	booking_config_free(&cfg);
	return check_report("booking_golden");
}
