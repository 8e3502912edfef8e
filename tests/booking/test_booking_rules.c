/*
 * test_booking_rules.c - the domain rules one by one: capacity overrides,
 * the availability marker rule and non-blocking colours, weekly plans,
 * consultants in the old format, public holidays (NW 2026 and 2027 listed
 * from the official calendars, a few other states), customers' names and
 * risk, colour maps, and loading the settings.
 */
#include "booking_fixtures.h"
#include "check.h"

#include <stdlib.h>

static void test_capacity(void)
{
	booking_capacity c;
	char err[200];

	CHECK_INT(booking_capacity_parse(BOOKING_DEFAULT_OVERRIDES, &c, err,
					 sizeof(err)),
		  0);
	CHECK_INT(c.n, 3);
	/* the field values: 09:00 Mon-Thu 1, Fri 09:00 2, 20:00 2 */
	for (int wd = 1; wd <= 4; wd++)
		CHECK_INT(booking_capacity_for(&c, wd, 540, 0, 3), 1);
	CHECK_INT(booking_capacity_for(&c, 5, 540, 0, 3), 2);
	for (int wd = 1; wd <= 7; wd++)
		CHECK_INT(booking_capacity_for(&c, wd, 1200, 0, 3), 2);
	/* other slots: the default, or the consultant's own capacity */
	CHECK_INT(booking_capacity_for(&c, 1, 660, 0, 3), 3);
	CHECK_INT(booking_capacity_for(&c, 5, 660, 0, 4), 4);
	CHECK_INT(booking_capacity_for(&c, 2, 840, 5, 3), 5);
	/* an override beats the consultant's own capacity */
	CHECK_INT(booking_capacity_for(&c, 2, 540, 5, 3), 1);

	/* overlapping entries: the last one wins */
	CHECK_INT(booking_capacity_parse("*09:00=4; tue 09:00 = 0", &c, err,
					 sizeof(err)),
		  0);
	CHECK_INT(booking_capacity_for(&c, 2, 540, 0, 3), 0);
	CHECK_INT(booking_capacity_for(&c, 3, 540, 0, 3), 4);
	/* the day may be left out: every day */
	CHECK_INT(booking_capacity_parse("14:00=7", &c, err, sizeof(err)), 0);
	CHECK_INT(booking_capacity_for(&c, 6, 840, 0, 3), 7);
	/* empty: no overrides */
	CHECK_INT(booking_capacity_parse("", &c, err, sizeof(err)), 0);
	CHECK_INT(c.n, 0);

	/* errors */
	CHECK_INT(booking_capacity_parse("mon 09:00", &c, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "=N") != NULL);
	CHECK_INT(booking_capacity_parse("mon 09:00=x", &c, err, sizeof(err)),
		  -1);
	CHECK_INT(
	    booking_capacity_parse("mon 09:00=2000", &c, err, sizeof(err)), -1);
	CHECK_INT(booking_capacity_parse("xyz 09:00=1", &c, err, sizeof(err)),
		  -1);
	CHECK_INT(booking_capacity_parse("mon 09:00=1 fri 09:00=2", &c, err,
					 sizeof(err)),
		  -1);
	CHECK(strstr(err, "entry 1") != NULL);
}

static void test_marker(void)
{
	booking_marker m;
	booking_colors nb;
	char err[200];

	CHECK_INT(
	    booking_marker_parse(BOOKING_DEFAULT_MARKER, &m, err, sizeof(err)),
	    0);
	CHECK_INT(m.nterms, 2);
	/* contains "T1" and "bereit", case-insensitive, in any order */
	CHECK_INT(booking_marker_match(&m, "T1 bereit"), 1);
	CHECK_INT(booking_marker_match(&m, "t1-BEREIT (Büro)"), 1);
	CHECK_INT(booking_marker_match(&m, "Bereit für T1"), 1);
	CHECK_INT(booking_marker_match(&m, "T1"), 0);
	CHECK_INT(booking_marker_match(&m, "bereit"), 0);
	CHECK_INT(booking_marker_match(&m, "T2 bereit"), 0);
	CHECK_INT(booking_marker_match(&m, ""), 0);
	/* a configured pattern, umlauts folded */
	CHECK_INT(booking_marker_parse("Verfügbar", &m, err, sizeof(err)), 0);
	CHECK_INT(booking_marker_match(&m, "heute VERFÜGBAR"), 1);
	CHECK_INT(booking_marker_match(&m, "verfugbar"), 1);
	CHECK_INT(booking_marker_parse("   ", &m, err, sizeof(err)), -1);

	CHECK_INT(booking_colors_parse(BOOKING_DEFAULT_NON_BLOCKING, &nb, err,
				       sizeof(err)),
		  0);
	const char *nonblocking[] = {"1", "4", "6", "8", "11"};
	const char *blocking[] = {"2", "3", "5", "7", "9", "10", "", "x"};
	for (size_t i = 0; i < 5; i++)
		CHECK_INT(booking_colors_has(&nb, nonblocking[i]), 1);
	for (size_t i = 0; i < 8; i++)
		CHECK_INT(booking_colors_has(&nb, blocking[i]), 0);
	CHECK_INT(booking_colors_parse("1,64", &nb, err, sizeof(err)), -1);
	CHECK_INT(booking_colors_parse("1,a", &nb, err, sizeof(err)), -1);

	/* the rule, for the slot 09:00-11:00 on 2026-06-01 */
	booking_marker_parse(BOOKING_DEFAULT_MARKER, &m, err, sizeof(err));
	booking_colors_parse(BOOKING_DEFAULT_NON_BLOCKING, &nb, err,
			     sizeof(err));
	int64_t s = at("2026-06-01T09:00:00+02:00");
	int64_t e = at("2026-06-01T11:00:00+02:00");
	hub_cal_event evs[4];
	evs[0] = ev("T1 bereit", "", "2026-06-01T08:00:00+02:00",
		    "2026-06-01T18:00:00+02:00");
	CHECK_INT(booking_avail_events(evs, 1, s, e, &m, &nb), 1);
	/* no marker: not available, whatever else is there */
	CHECK_INT(booking_avail_events(evs, 0, s, e, &m, &nb), 0);
	/* a marker that only touches the slot's end does not overlap */
	evs[1] = ev("T1 bereit", "", "2026-06-01T11:00:00+02:00",
		    "2026-06-01T12:00:00+02:00");
	CHECK_INT(booking_avail_events(evs + 1, 1, s, e, &m, &nb), 0);
	/* a marker overlapping part of the slot is enough */
	evs[1] = ev("T1 bereit", "", "2026-06-01T10:30:00+02:00",
		    "2026-06-01T12:00:00+02:00");
	CHECK_INT(booking_avail_events(evs + 1, 1, s, e, &m, &nb), 1);
	/* an overlapping appointment blocks ... */
	evs[1] = ev("Zahnarzt", "2", "2026-06-01T10:00:00+02:00",
		    "2026-06-01T10:30:00+02:00");
	CHECK_INT(booking_avail_events(evs, 2, s, e, &m, &nb), 0);
	/* ... unless its colour is non-blocking (each of 1,4,6,8,11) */
	for (size_t i = 0; i < 5; i++) {
		snprintf(evs[1].color_id, sizeof(evs[1].color_id), "%s",
			 nonblocking[i]);
		CHECK_INT(booking_avail_events(evs, 2, s, e, &m, &nb), 1);
	}
	/* events without a colour block */
	evs[1].color_id[0] = 0;
	CHECK_INT(booking_avail_events(evs, 2, s, e, &m, &nb), 0);
	/* an appointment outside the slot does not block */
	evs[1] = ev("Mittag", "5", "2026-06-01T12:00:00+02:00",
		    "2026-06-01T13:00:00+02:00");
	CHECK_INT(booking_avail_events(evs, 2, s, e, &m, &nb), 1);
	/* events the hub wrote itself never block */
	evs[2] = ev("Müller, Hans", "2", "2026-06-01T09:00:00+02:00",
		    "2026-06-01T11:00:00+02:00");
	snprintf(evs[2].hub_key, sizeof(evs[2].hub_key), "booking-1");
	CHECK_INT(booking_avail_events(evs, 3, s, e, &m, &nb), 1);
	/* an all-day blocking event ("Urlaub") blocks */
	evs[3] =
	    ev("Urlaub", "9", "2026-05-31T22:00:00Z", "2026-06-01T22:00:00Z");
	evs[3].all_day = 1;
	CHECK_INT(booking_avail_events(evs, 4, s, e, &m, &nb), 0);

	/* the classified fast path agrees */
	unsigned char kinds[4];
	for (int i = 0; i < 4; i++)
		kinds[i] = (unsigned char)booking_event_kind(&evs[i], &m, &nb);
	CHECK_INT(kinds[0], BOOKING_EV_MARKER);
	CHECK_INT(kinds[2], BOOKING_EV_NEUTRAL);
	CHECK_INT(kinds[3], BOOKING_EV_BLOCK);
	CHECK_INT(booking_avail_kinds(evs, kinds, 4, s, e), 0);
	CHECK_INT(booking_avail_kinds(evs, kinds, 3, s, e), 1);
}

/* booking_plan_available on date d. */
static int plan_av(const booking_plan *p, hub_date d, int64_t s, int64_t e)
{
	booking_day_clock c;
	booking_day_clock_init(&c, d);
	return booking_plan_available(p, &c, s, e);
}

static void test_plans(void)
{
	booking_plan p;
	char err[200];
	hub_date mon = {2026, 6, 1}, fri = {2026, 6, 5}, sat = {2026, 6, 6};

	CHECK_INT(booking_plan_parse("mon-thu 09:00-22:00, fri 09:00-16:00", &p,
				     err, sizeof(err)),
		  0);
	CHECK_INT(p.n, 2);
	CHECK_INT(plan_av(&p, mon, at("2026-06-01T20:00:00+02:00"),
			  at("2026-06-01T22:00:00+02:00")),
		  1);
	CHECK_INT(plan_av(&p, fri, at("2026-06-05T14:00:00+02:00"),
			  at("2026-06-05T16:00:00+02:00")),
		  1);
	/* Friday from 16:00: outside the plan */
	CHECK_INT(plan_av(&p, fri, at("2026-06-05T16:00:00+02:00"),
			  at("2026-06-05T18:00:00+02:00")),
		  0);
	CHECK_INT(plan_av(&p, sat, at("2026-06-06T09:00:00+02:00"),
			  at("2026-06-06T11:00:00+02:00")),
		  0);
	/* before 09:00 on Monday: no */
	CHECK_INT(plan_av(&p, mon, at("2026-06-01T07:00:00+02:00"),
			  at("2026-06-01T09:00:00+02:00")),
		  0);
	/* wall-clock hours hold in winter too */
	hub_date jan = {2026, 1, 9};
	CHECK_INT(plan_av(&p, jan, at("2026-01-09T15:00:00+01:00"),
			  at("2026-01-09T17:00:00+01:00")),
		  1);
	CHECK_INT(plan_av(&p, jan, at("2026-01-09T16:00:00+01:00"),
			  at("2026-01-09T18:00:00+01:00")),
		  0);
	CHECK_INT(booking_plan_parse("sun 00:00-24:00", &p, err, sizeof(err)),
		  0);
	CHECK_INT(p.iv[0].to, 1440);

	CHECK_INT(booking_plan_parse("mon 10:00-09:00", &p, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "after") != NULL);
	CHECK_INT(booking_plan_parse("mon 10:00", &p, err, sizeof(err)), -1);
	CHECK_INT(booking_plan_parse("mon 10:00-12:00 tue 10:00-12:00", &p, err,
				     sizeof(err)),
		  -1);
}

static void test_consultants(void)
{
	booking_consultant_cfg *c = NULL;
	booking_plan_cfg *pl = NULL;
	int n = 0;
	char err[200];

	CHECK_INT(booking_consultants_parse(
		      "Anna Schmidt:anna@group.calendar.google.com, Jörg "
		      "Weiß:c_123@group.calendar.google.com,Olaf",
		      &c, &n, err, sizeof(err)),
		  0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(c[0].name, "Anna Schmidt");
		CHECK_STR(c[0].calendar_id, "anna@group.calendar.google.com");
		CHECK_STR(c[1].name, "Jörg Weiß");
		CHECK_STR(c[1].calendar_id, "c_123@group.calendar.google.com");
		CHECK_STR(c[2].name, "Olaf");
		CHECK_STR(c[2].calendar_id, "");
	}
	free(c);
	CHECK_INT(booking_consultants_parse("", &c, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 0);
	free(c);
	CHECK_INT(
	    booking_consultants_parse("A:x,A:y", &c, &n, err, sizeof(err)), -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK_INT(booking_consultants_parse(":x", &c, &n, err, sizeof(err)),
		  -1);

	CHECK_INT(booking_plans_parse("Anna: mon-thu 09:00-22:00, fri "
				      "09:00-16:00; Olaf: sat 10:00-14:00",
				      &pl, &n, err, sizeof(err)),
		  0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(pl[0].name, "Anna");
		CHECK_INT(pl[0].plan.n, 2);
		CHECK_STR(pl[1].name, "Olaf");
		CHECK_INT(pl[1].plan.iv[0].from, 600);
	}
	free(pl);
	CHECK_INT(booking_plans_parse("Anna mon 09:00-10:00", &pl, &n, err,
				      sizeof(err)),
		  -1);
	CHECK_INT(
	    booking_plans_parse("Anna: mon 09:00", &pl, &n, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "Anna") != NULL);
}

/* Checks that `state` has exactly the holidays `expect` (YYYY-MM-DD name)
 * in `year`. */
static void expect_holidays(const char *state, int year,
			    const char *const *expect, int n)
{
	booking_holiday h[32];
	int got = booking_holidays(state, year, h, 32);
	CHECK_INT(got, n);
	for (int i = 0; i < n && i < got; i++) {
		char d[11], line[128];
		hub_date_format(h[i].date, d);
		snprintf(line, sizeof(line), "%s %s", d, h[i].name);
		CHECK_STR(line, expect[i]);
		/* and the per-day lookup agrees */
		CHECK_STR(booking_holiday_name(state, h[i].date), h[i].name);
	}
}

static void test_holidays(void)
{
	static const char *const nw2026[] = {
	    "2026-01-01 Neujahr",
	    "2026-04-03 Karfreitag",
	    "2026-04-06 Ostermontag",
	    "2026-05-01 Tag der Arbeit",
	    "2026-05-14 Christi Himmelfahrt",
	    "2026-05-25 Pfingstmontag",
	    "2026-06-04 Fronleichnam",
	    "2026-10-03 Tag der Deutschen Einheit",
	    "2026-11-01 Allerheiligen",
	    "2026-12-25 1. Weihnachtstag",
	    "2026-12-26 2. Weihnachtstag"};
	static const char *const nw2027[] = {
	    "2027-01-01 Neujahr",
	    "2027-03-26 Karfreitag",
	    "2027-03-29 Ostermontag",
	    "2027-05-01 Tag der Arbeit",
	    "2027-05-06 Christi Himmelfahrt",
	    "2027-05-17 Pfingstmontag",
	    "2027-05-27 Fronleichnam",
	    "2027-10-03 Tag der Deutschen Einheit",
	    "2027-11-01 Allerheiligen",
	    "2027-12-25 1. Weihnachtstag",
	    "2027-12-26 2. Weihnachtstag"};
	expect_holidays("NW", 2026, nw2026, 11);
	expect_holidays("NW", 2027, nw2027, 11);

	/* ordinary days and other states' holidays are not NW holidays */
	hub_date d = {2026, 4, 5}; /* Easter Sunday: not listed in NW */
	CHECK(booking_holiday_name("NW", d) == NULL);
	d = (hub_date){2026, 10, 31}; /* Reformation Day: not NW */
	CHECK(booking_holiday_name("NW", d) == NULL);
	CHECK_STR(booking_holiday_name("NI", d), "Reformationstag");
	d = (hub_date){2026, 1, 6};
	CHECK(booking_holiday_name("NW", d) == NULL);
	CHECK_STR(booking_holiday_name("BY", d), "Heilige Drei Könige");
	d = (hub_date){2026, 6, 4}; /* Corpus Christi: not in Berlin */
	CHECK(booking_holiday_name("BE", d) == NULL);
	d = (hub_date){2026, 3, 8};
	CHECK_STR(booking_holiday_name("BE", d), "Internationaler Frauentag");
	d = (hub_date){2018, 3, 8};
	CHECK(booking_holiday_name("BE", d) == NULL);
	/* Buß- und Bettag in Saxony: 18 Nov 2026, 17 Nov 2027 */
	d = (hub_date){2026, 11, 18};
	CHECK_STR(booking_holiday_name("SN", d), "Buß- und Bettag");
	d = (hub_date){2027, 11, 17};
	CHECK_STR(booking_holiday_name("SN", d), "Buß- und Bettag");
	/* 2017: Reformation Day everywhere */
	d = (hub_date){2017, 10, 31};
	CHECK_STR(booking_holiday_name("NW", d), "Reformationstag");
	d = (hub_date){2026, 6, 2};
	CHECK(booking_holiday_name("NW", d) == NULL);

	CHECK_INT(booking_state_valid("NW"), 1);
	CHECK_INT(booking_state_valid("nw"), 0);
	CHECK_INT(booking_state_valid("XX"), 0);
	booking_holiday h[4];
	CHECK_INT(booking_holidays("XX", 2026, h, 4), -1);
	/* Berlin 2026: 10 (nationwide 9 + Women's Day) */
	booking_holiday all[32];
	CHECK_INT(booking_holidays("BE", 2026, all, 32), 10);
	/* Brandenburg lists Easter and Whit Sunday too */
	CHECK_INT(booking_holidays("BB", 2026, all, 32), 12);
}

static void test_customers(void)
{
	char last[64], first[64];
	char *k1, *k2, *k3;

	CHECK_INT(booking_customer_split("Müller, Hans", last, sizeof(last),
					 first, sizeof(first)),
		  0);
	CHECK_STR(last, "Müller");
	CHECK_STR(first, "Hans");
	CHECK_INT(booking_customer_split("  Müller ,  Hans ( Verschoben ) ",
					 last, sizeof(last), first,
					 sizeof(first)),
		  0);
	CHECK_STR(last, "Müller");
	CHECK_STR(first, "Hans");
	CHECK_INT(booking_customer_split("Weiß, Eva-Maria (neu) ( Verschoben )",
					 last, sizeof(last), first,
					 sizeof(first)),
		  0);
	CHECK_STR(first, "Eva-Maria");
	CHECK_INT(booking_customer_split("Nachname", last, sizeof(last), first,
					 sizeof(first)),
		  0);
	CHECK_STR(last, "Nachname");
	CHECK_STR(first, "");
	CHECK_INT(booking_customer_split("( Verschoben )", last, sizeof(last),
					 first, sizeof(first)),
		  -1);
	/* truncation never splits a UTF-8 character */
	char small[6];
	booking_customer_split("Müüüü, X", small, sizeof(small), first,
			       sizeof(first));
	CHECK_STR(small, "Mü\xc3\xbc"); /* 5 bytes: M, ü, ü */

	k1 = booking_customer_key("Müller", "Hans");
	k2 = booking_customer_key("MÜLLER ", "  hans");
	k3 = booking_customer_key("Mueller", "Hans");
	CHECK_STR(k1, "muller, hans");
	CHECK_STR(k2, k1);
	CHECK(k3 && strcmp(k3, k1) != 0);
	free(k1);
	free(k2);
	free(k3);
	k1 = booking_customer_key("Straße", "");
	CHECK_STR(k1, "strasse,");
	free(k1);

	CHECK_STR(booking_risk(0), "none");
	CHECK_STR(booking_risk(1), "medium");
	CHECK_STR(booking_risk(2), "medium");
	CHECK_STR(booking_risk(3), "high");
	CHECK_STR(booking_risk(7), "high");
}

static void test_colormaps(void)
{
	booking_colormap cat, out;
	char err[200];

	CHECK_INT(booking_categories_parse(BOOKING_DEFAULT_CATEGORIES, &cat,
					   err, sizeof(err)),
		  0);
	CHECK_STR(booking_category_color(&cat, "normal"), "2");
	CHECK_STR(booking_category_color(&cat, "top"), "7");
	CHECK_STR(booking_category_color(&cat, "closer_needed"), "5");
	CHECK_STR(booking_category_color(&cat, "callback"), "3");
	CHECK(booking_category_color(&cat, "recall") == NULL);

	CHECK_INT(booking_outcomes_parse(BOOKING_DEFAULT_OUTCOMES, &out, err,
					 sizeof(err)),
		  0);
	CHECK_STR(booking_outcome_of_color(&out, "2"), "appeared");
	CHECK_STR(booking_outcome_of_color(&out, "7"), "appeared");
	CHECK_STR(booking_outcome_of_color(&out, "11"), "no_show");
	CHECK_STR(booking_outcome_of_color(&out, "6"), "cancelled");
	const char *pend[] = {"1", "3", "4", "5", "8", "9", "10", ""};
	for (size_t i = 0; i < 8; i++)
		CHECK_STR(booking_outcome_of_color(&out, pend[i]), "pending");
	CHECK_STR(booking_outcome_of_color(&out, NULL), "pending");

	/* the colour written for an outcome reads back as that outcome */
	const char *outcomes[] = {"pending", "appeared", "no_show",
				  "cancelled"};
	for (int c = 0; c < cat.n; c++)
		for (int o = 1; o < 4; o++)
			CHECK_STR(
			    booking_outcome_of_color(
				&out, booking_color_for_outcome(
					  &out, outcomes[o], cat.e[c].color)),
			    outcomes[o]);
	CHECK_STR(booking_color_for_outcome(&out, "appeared", "7"), "7");
	CHECK_STR(booking_color_for_outcome(&out, "appeared", "5"), "2");
	CHECK_STR(booking_color_for_outcome(&out, "pending", "5"), "5");

	CHECK_INT(booking_outcomes_parse("2=appeared, 3=maybe", &out, err,
					 sizeof(err)),
		  -1);
	CHECK(strstr(err, "maybe") != NULL);
	CHECK_INT(booking_outcomes_parse("2=appeared, 2=no_show", &out, err,
					 sizeof(err)),
		  -1);
	CHECK_INT(booking_categories_parse("normal=2, normal=3", &cat, err,
					   sizeof(err)),
		  -1);
	CHECK_INT(booking_categories_parse("Normal=2", &cat, err, sizeof(err)),
		  -1);
	CHECK_INT(booking_categories_parse("normal=0", &cat, err, sizeof(err)),
		  -1);
	CHECK_INT(booking_categories_parse("normal", &cat, err, sizeof(err)),
		  -1);
}

/* A settings table for booking_config_load. */
typedef struct kv {
	const char *k, *v;
} kv;

static const char *lookup(void *ud, const char *key)
{
	for (const kv *p = ud; p->k; p++)
		if (strcmp(p->k, key) == 0)
			return p->v;
	return NULL;
}

static void test_config(void)
{
	booking_config cfg;
	char err[256];
	kv none[] = {{NULL, NULL}};
	kv some[] = {{"consultants", "Anna:a@x,Ben:b@x"},
		     {"horizon_days", "30"},
		     {"state", "BY"},
		     {"plans", "Ben: fri 09:00-12:00"},
		     {NULL, NULL}};

	/* defaults of docs/DOMAIN.md */
	CHECK_INT(booking_config_load(&cfg, lookup, none, err, sizeof(err)), 0);
	CHECK_INT(cfg.slot_minutes, 120);
	CHECK_INT(cfg.horizon_days, 56);
	CHECK_INT(cfg.min_notice_min, 0);
	CHECK_INT(cfg.capacity_default, 3);
	CHECK_STR(cfg.state, "NW");
	CHECK_INT(cfg.grid.count[1], 6);
	CHECK_INT(cfg.overrides.n, 3);
	CHECK_INT(cfg.nconsultants, 0);
	booking_config_free(&cfg);

	CHECK_INT(booking_config_load(&cfg, lookup, some, err, sizeof(err)), 0);
	CHECK_INT(cfg.nconsultants, 2);
	CHECK_INT(cfg.horizon_days, 30);
	CHECK_STR(cfg.state, "BY");
	CHECK(booking_config_plan(&cfg, "Ben") != NULL);
	CHECK(booking_config_plan(&cfg, "Anna") == NULL);
	CHECK_INT(booking_config_add_plan(&cfg, "Anna", "mon 09:00-12:00", err,
					  sizeof(err)),
		  0);
	CHECK(booking_config_plan(&cfg, "Anna") != NULL);
	CHECK_INT(booking_config_add_plan(&cfg, "Anna", "mon 09:00", err,
					  sizeof(err)),
		  -1);
	/* consultant.NAME keys add to the list */
	CHECK_INT(booking_config_add_consultant(&cfg, "Cora Groß",
						"  c@group.calendar.google.com",
						err, sizeof(err)),
		  0);
	CHECK_INT(cfg.nconsultants, 3);
	CHECK_STR(cfg.consultants[2].name, "Cora Groß");
	CHECK_STR(cfg.consultants[2].calendar_id,
		  "c@group.calendar.google.com");
	CHECK_INT(
	    booking_config_add_consultant(&cfg, "Anna", "x", err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK_INT(
	    booking_config_add_consultant(&cfg, "A:B", "x", err, sizeof(err)),
	    -1);
	booking_config_free(&cfg);

	/* each bad value is named */
	kv bad1[] = {{"horizon_days", "abc"}, {NULL, NULL}};
	CHECK_INT(booking_config_load(&cfg, lookup, bad1, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "horizon_days") != NULL);
	kv bad2[] = {{"state", "XX"}, {NULL, NULL}};
	CHECK_INT(booking_config_load(&cfg, lookup, bad2, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "'state'") != NULL);
	kv bad3[] = {{"grid", "mon 9"}, {NULL, NULL}};
	CHECK_INT(booking_config_load(&cfg, lookup, bad3, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "'grid'") != NULL);
	kv bad4[] = {{"capacity_per_consultant", "-1"}, {NULL, NULL}};
	CHECK_INT(booking_config_load(&cfg, lookup, bad4, err, sizeof(err)),
		  -1);
	kv bad5[] = {{"consultants", "A:x,A:y"}, {NULL, NULL}};
	CHECK_INT(booking_config_load(&cfg, lookup, bad5, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "'consultants'") != NULL);
	CHECK(cfg.consultants == NULL);
}

int main(void)
{
	if (hub_time_init("Europe/Berlin") != 0) {
		fprintf(stderr, "no Europe/Berlin zone\n");
		return 1;
	}
	test_capacity();
	test_marker();
	test_plans();
	test_consultants();
	test_holidays();
	test_customers();
	test_colormaps();
	test_config();
	return check_report("booking_rules");
}
