/*
 * booking_holidays.c - German public holidays per state.
 *
 * Fixed-date holidays are listed by rule; the Easter-dependent ones are
 * computed from Easter Sunday (hub_date_easter). Only holidays that apply
 * to a whole state are included: Corpus Christi in parts of Saxony and
 * Thuringia, the Assumption in Bavarian communities and Augsburg's peace
 * festival are not (they would block the day for everyone in the state).
 *
 * Sources of the rules: the holiday laws of the states (Feiertagsgesetze);
 * International Women's Day in Berlin since 2019 and in Mecklenburg-
 * Western Pomerania since 2023, World Children's Day in Thuringia since
 * 2019, Reformation Day in the northern states since 2018 and nationwide
 * in 2017.
 */
#include "booking.h"

#include <string.h>

/* State bits. */
enum {
	S_BW = 1 << 0,
	S_BY = 1 << 1,
	S_BE = 1 << 2,
	S_BB = 1 << 3,
	S_HB = 1 << 4,
	S_HH = 1 << 5,
	S_HE = 1 << 6,
	S_MV = 1 << 7,
	S_NI = 1 << 8,
	S_NW = 1 << 9,
	S_RP = 1 << 10,
	S_SL = 1 << 11,
	S_SN = 1 << 12,
	S_ST = 1 << 13,
	S_SH = 1 << 14,
	S_TH = 1 << 15,
	S_ALL = 0xFFFF
};

static const char *const state_codes[16] = {"BW", "BY", "BE", "BB", "HB", "HH",
					    "HE", "MV", "NI", "NW", "RP", "SL",
					    "SN", "ST", "SH", "TH"};

/* How a rule finds its date in a year. */
enum { FIXED, EASTER, BUSS_UND_BETTAG };

typedef struct rule {
	int kind;
	int m, d; /* FIXED: month/day; EASTER: d = offset in days */
	unsigned states;
	int since, until; /* years, inclusive; 0 = open */
	const char *name;
} rule;

static const rule rules[] = {
    {FIXED, 1, 1, S_ALL, 0, 0, "Neujahr"},
    {FIXED, 1, 6, S_BW | S_BY | S_ST, 0, 0, "Heilige Drei Könige"},
    {FIXED, 3, 8, S_BE, 2019, 0, "Internationaler Frauentag"},
    {FIXED, 3, 8, S_MV, 2023, 0, "Internationaler Frauentag"},
    {EASTER, 0, -2, S_ALL, 0, 0, "Karfreitag"},
    {EASTER, 0, 0, S_BB, 0, 0, "Ostersonntag"},
    {EASTER, 0, 1, S_ALL, 0, 0, "Ostermontag"},
    {FIXED, 5, 1, S_ALL, 0, 0, "Tag der Arbeit"},
    {EASTER, 0, 39, S_ALL, 0, 0, "Christi Himmelfahrt"},
    {EASTER, 0, 49, S_BB, 0, 0, "Pfingstsonntag"},
    {EASTER, 0, 50, S_ALL, 0, 0, "Pfingstmontag"},
    {EASTER, 0, 60, S_BW | S_BY | S_HE | S_NW | S_RP | S_SL, 0, 0,
     "Fronleichnam"},
    {FIXED, 8, 15, S_SL, 0, 0, "Mariä Himmelfahrt"},
    {FIXED, 9, 20, S_TH, 2019, 0, "Weltkindertag"},
    {FIXED, 10, 3, S_ALL, 1990, 0, "Tag der Deutschen Einheit"},
    {FIXED, 10, 31, S_BB | S_MV | S_SN | S_ST | S_TH, 0, 0, "Reformationstag"},
    {FIXED, 10, 31, S_HB | S_HH | S_NI | S_SH, 2018, 0, "Reformationstag"},
    /* 2017 (500 years of the Reformation): every other state, once */
    {FIXED, 10, 31,
     S_BW | S_BY | S_BE | S_HE | S_NW | S_RP | S_SL | S_HB | S_HH | S_NI | S_SH,
     2017, 2017, "Reformationstag"},
    {FIXED, 11, 1, S_BW | S_BY | S_NW | S_RP | S_SL, 0, 0, "Allerheiligen"},
    {BUSS_UND_BETTAG, 0, 0, S_SN, 0, 0, "Buß- und Bettag"},
    {FIXED, 12, 25, S_ALL, 0, 0, "1. Weihnachtstag"},
    {FIXED, 12, 26, S_ALL, 0, 0, "2. Weihnachtstag"},
};

/* The bit of `state`, or 0. */
static unsigned state_bit(const char *state)
{
	if (!state)
		return 0;
	for (int i = 0; i < 16; i++)
		if (strcmp(state, state_codes[i]) == 0)
			return 1u << i;
	return 0;
}

int booking_state_valid(const char *state)
{
	return state_bit(state) != 0;
}

/* The date of rule r in `year`; `easter` is that year's Easter Sunday. */
static hub_date rule_date(const rule *r, int year, hub_date easter)
{
	hub_date d = {year, r->m, r->d};
	if (r->kind == EASTER)
		return hub_date_add(easter, r->d);
	if (r->kind == BUSS_UND_BETTAG) {
		/* the Wednesday before 23 November: 16..22 November */
		hub_date nov22 = {year, 11, 22};
		int wd = hub_date_weekday(nov22); /* 3 = Wednesday */
		return hub_date_add(nov22, -((wd - 3 + 7) % 7));
	}
	return d;
}

int booking_holidays(const char *state, int year, booking_holiday *out, int max)
{
	unsigned bit = state_bit(state);
	hub_date easter;
	int n = 0;

	if (!bit)
		return -1;
	easter = hub_date_easter(year);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const rule *r = &rules[i];
		booking_holiday h;
		int j;
		if (!(r->states & bit) || (r->since && year < r->since) ||
		    (r->until && year > r->until))
			continue;
		h.date = rule_date(r, year, easter);
		h.name = r->name;
		/* insert sorted (the Easter block moves around) */
		if (n == max)
			break;
		j = n;
		while (j > 0 && hub_date_diff(out[j - 1].date, h.date) > 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = h;
		n++;
	}
	return n;
}

const char *booking_holiday_name(const char *state, hub_date d)
{
	unsigned bit = state_bit(state);
	hub_date easter = d;
	int have_easter = 0;

	if (!bit)
		return NULL;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const rule *r = &rules[i];
		hub_date h;
		if (!(r->states & bit) || (r->since && d.y < r->since) ||
		    (r->until && d.y > r->until))
			continue;
		if (r->kind == FIXED && (r->m != d.m || r->d != d.d))
			continue; /* cheap reject, no Easter needed */
		if (r->kind == EASTER && !have_easter) {
			easter = hub_date_easter(d.y);
			have_easter = 1;
		}
		h = rule_date(r, d.y, easter);
		if (h.y == d.y && h.m == d.m && h.d == d.d)
			return r->name;
	}
	return NULL;
}
