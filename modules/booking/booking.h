/*
 * booking.h - the booking module's internal contracts.
 *
 * The module is layered so that the rules of the domain can be tested
 * without a running host:
 *
 *   pure (no hub_api):  booking_days/grid/capacity/avail/holidays/customers,
 *                       booking_config (settings text -> booking_config),
 *                       booking_view (one slot listing from its inputs),
 *                       booking_buf (JSON and CSV text)
 *   host-facing:        booking_db (migrations, queries, transactions),
 *                       booking_http_* (routes), booking_import,
 *                       booking_outcome_sync, module.c
 *
 * Every pure function is thread-safe once hub_time_init has run. Names are
 * prefixed booking_; everything not listed here is static.
 */
#ifndef BOOKING_H
#define BOOKING_H

#include "hub/module.h"
#include "hub_time.h"

#include <stddef.h>
#include <stdint.h>

#define BOOKING_MAX_TIMES    48	 /* grid starts per weekday */
#define BOOKING_MAX_RULES    64	 /* capacity override entries */
#define BOOKING_MAX_TERMS    8	 /* marker pattern terms */
#define BOOKING_MAX_PLAN     16	 /* intervals of one weekly plan */
#define BOOKING_MAX_COLORMAP 32	 /* entries of a colour map */
#define BOOKING_NAME_MAX     128 /* bytes of a consultant name + NUL */
#define BOOKING_CALID_MAX    256 /* bytes of a calendar id + NUL */

/* ============================================================ weekdays */

/* A set of ISO weekdays as a bit mask: bit (1 << wd) for wd 1 (Monday)
 * to 7 (Sunday). */
#define BOOKING_ALL_DAYS 0xFEu

/* Parses a day spec at *p: "*", "mon", "mon-thu" (wrapping ranges such as
 * "fri-mon" allowed); English three-letter names, case-insensitive. On
 * success advances *p past it, stores the mask and returns 0; -1 when *p
 * does not start with a day spec. */
int booking_days_parse(const char **p, unsigned *mask);

/* Parses "HH:MM" (00:00..23:59; "24:00" too when allow_24) at *p into
 * minutes of the day, advancing *p. Returns 0 or -1. */
int booking_hhmm_parse(const char **p, int allow_24, int *minute);

/* ========================================================= fast clock */

/* A local day's wall clock (booking_clock.c): converts minutes of the day
 * to instants without the C library's zone lock, except on a day with a
 * DST change, where it falls back to hub_time_from_local. */
typedef struct booking_day_clock {
	hub_date date;
	int64_t base; /* the date's days since 1970 times 86400 */
	int off;      /* UTC offset in seconds all day (when !changes) */
	int changes;  /* the offset changes on or next to this day */
} booking_day_clock;

void booking_day_clock_init(booking_day_clock *c, hub_date d);

/* As hub_time_from_local for minute 0..1440 of the clock's day (1440 =
 * midnight after): 0 with *utc, 1 when the wall time was skipped, -1 on
 * bad input. */
int booking_day_instant(const booking_day_clock *c, int minute, int64_t *utc);

/* As hub_time_format (business zone, "YYYY-MM-DDTHH:MM:SS+HH:MM" into at
 * least 32 bytes), with offsets cached per thread. Returns 0 or -1. */
int booking_time_format(int64_t utc, char *out);

/* ================================================================ grid */

/* Slot start times per weekday, minutes of the local day, ascending and
 * unique. */
typedef struct booking_grid {
	int count[8]; /* [1..7] used */
	short minute[8][BOOKING_MAX_TIMES];
} booking_grid;

/* Parses "mon-thu 09:00 11:00; fri 09:00 14:00" (groups separated by ';',
 * each a day spec then start times). A day named again in a later group
 * takes that group's times. Empty text = no slots at all. Returns 0, or -1
 * with a reason in err. */
int booking_grid_parse(const char *text, booking_grid *g, char *err,
		       size_t errlen);

/* One slot start of a day. */
typedef struct booking_slot_time {
	int64_t start; /* UTC */
	int minute;    /* local minute of day of the grid entry */
} booking_slot_time;

/* The slot starts of local date `d` in the business zone, in order, at
 * most `max`. A grid time skipped by a DST change yields no slot; a time
 * that occurs twice yields one slot, at its first occurrence. Returns the
 * count. */
int booking_grid_day(const booking_grid *g, hub_date d, booking_slot_time *out,
		     int max);

/* 1 when `utc` is the start of a slot of `g` (fills *d and *minute when
 * not NULL), else 0. */
int booking_grid_match(const booking_grid *g, int64_t utc, hub_date *d,
		       int *minute);

/* ============================================================ capacity */

typedef struct booking_cap_rule {
	unsigned days; /* weekday mask */
	int minute;    /* start time */
	int cap;       /* places per consultant */
} booking_cap_rule;

typedef struct booking_capacity {
	int n;
	booking_cap_rule rule[BOOKING_MAX_RULES];
} booking_capacity;

/* Parses "mon-thu 09:00=1, fri 09:00=2, *20:00=2" (entries separated by
 * ',' or ';'; the day spec may be omitted, meaning every day). Returns 0,
 * or -1 with a reason in err. */
int booking_capacity_parse(const char *text, booking_capacity *c, char *err,
			   size_t errlen);

/* Places one consultant offers in the slot at `weekday` and `minute`: the
 * last matching override, else the consultant's own capacity when > 0,
 * else `def`. */
int booking_capacity_for(const booking_capacity *c, int weekday, int minute,
			 int own_cap, int def);

/* ======================================================== availability */

/* An availability marker pattern: every term must occur in the title,
 * compared case- and umlaut-folded. */
typedef struct booking_marker {
	int nterms;
	char term[BOOKING_MAX_TERMS][64];
} booking_marker;

/* Parses space-separated terms ("T1 bereit"). Returns 0, or -1 with a
 * reason in err (empty pattern, too many or too long terms). */
int booking_marker_parse(const char *pattern, booking_marker *m, char *err,
			 size_t errlen);

/* 1 when `title` matches the pattern. */
int booking_marker_match(const booking_marker *m, const char *title);

/* A set of Google colorIds 1..63. */
typedef struct booking_colors {
	uint64_t bits;
} booking_colors;

/* Parses "1,4,6,8,11" (empty = no colour). Returns 0 or -1 with err. */
int booking_colors_parse(const char *text, booking_colors *c, char *err,
			 size_t errlen);
/* 1 when `color_id` (decimal text) is in the set. */
int booking_colors_has(const booking_colors *c, const char *color_id);

/* The marker rule: 1 when some marker event overlaps [s, e) and no other
 * overlapping event blocks it. Events with a non-blocking colour and
 * events written by the hub itself (hub_key set) never block. */
int booking_avail_events(const hub_cal_event *ev, int n, int64_t s, int64_t e,
			 const booking_marker *m, const booking_colors *nb);

/* How one event takes part in the marker rule. */
enum booking_ev_kind {
	BOOKING_EV_NEUTRAL = 0, /* overlapping it changes nothing */
	BOOKING_EV_MARKER = 1,	/* an availability marker */
	BOOKING_EV_BLOCK = 2	/* blocks the consultant */
};

/* Classifies one event (see booking_avail_events). */
int booking_event_kind(const hub_cal_event *x, const booking_marker *m,
		       const booking_colors *nb);

/* The marker rule over events already classified by booking_event_kind
 * (kinds[i] for ev[i]): the fast path of the slot listing. */
int booking_avail_kinds(const hub_cal_event *ev, const unsigned char *kinds,
			int n, int64_t s, int64_t e);

/* A fixed weekly plan: wall-clock intervals per weekday. */
typedef struct booking_plan {
	int n;
	struct {
		unsigned days;
		short from, to; /* minutes; to may be 1440 */
	} iv[BOOKING_MAX_PLAN];
} booking_plan;

/* Parses "mon-thu 09:00-22:00, fri 09:00-16:00". Returns 0 or -1 with
 * err. */
int booking_plan_parse(const char *text, booking_plan *p, char *err,
		       size_t errlen);

/* 1 when an interval of the plan for the weekday of the clock's date
 * overlaps [s, e) (wall-clock interval converted on that date in the
 * business zone). */
int booking_plan_available(const booking_plan *p, const booking_day_clock *c,
			   int64_t s, int64_t e);

/* ============================================================ holidays */

typedef struct booking_holiday {
	hub_date date;
	const char *name; /* static German name */
} booking_holiday;

/* 1 when `state` is a German state code (BW BY BE BB HB HH HE MV NI NW RP
 * SL SN ST SH TH), case-sensitive. */
int booking_state_valid(const char *state);

/* The public holidays of `state` in `year`, ascending, at most max.
 * Returns the count, or -1 for an unknown state. */
int booking_holidays(const char *state, int year, booking_holiday *out,
		     int max);

/* The holiday's name when `d` is a public holiday of `state`, else NULL. */
const char *booking_holiday_name(const char *state, hub_date d);

/* =========================================================== customers */

/* Splits an old-system customer text "Last, First ( Verschoben )": drops
 * trailing parenthesised suffixes, splits at the first comma, trims.
 * Without a comma the whole text is the last name. Outputs are
 * NUL-terminated and truncated to their sizes. Returns 0 or -1 when the
 * name is empty after stripping. */
int booking_customer_split(const char *customer, char *last, size_t lastlen,
			   char *first, size_t firstlen);

/* The matching key of a customer: folded "last, first". Owned: free().
 * NULL on out of memory. */
char *booking_customer_key(const char *last, const char *first);

/* Risk level from the number of no-shows: "none", "medium" (1-2), "high"
 * (3 or more). Static string. */
const char *booking_risk(int no_shows);

/* ======================================================== colour maps */

/* name <-> colorId pairs: categories ("normal=2, top=7") or outcomes by
 * colour ("2=appeared, 11=no_show"). */
typedef struct booking_colormap {
	int n;
	struct {
		char name[32];
		char color[8];
	} e[BOOKING_MAX_COLORMAP];
} booking_colormap;

/* Parses category colours "normal=2, top=7, closer_needed=5,
 * callback=3". Names [a-z_]+, colours 1..63. Returns 0 or -1 with err. */
int booking_categories_parse(const char *text, booking_colormap *m, char *err,
			     size_t errlen);

/* Parses the outcome mapping "2=appeared, 7=appeared, 11=no_show,
 * 6=cancelled"; outcomes must be appeared, no_show, cancelled or pending.
 * Returns 0 or -1 with err. */
int booking_outcomes_parse(const char *text, booking_colormap *m, char *err,
			   size_t errlen);

/* Colour of category `name`, or NULL when it is not a category. */
const char *booking_category_color(const booking_colormap *m, const char *name);

/* The outcome a colour means ("pending" when unmapped or NULL). */
const char *booking_outcome_of_color(const booking_colormap *m,
				     const char *color);

/* The colour to give an event with category colour `cat_color` so that
 * it reads back as `outcome`: the category colour when it already maps to
 * that outcome (always for pending), else the first colour mapped to it. */
const char *booking_color_for_outcome(const booking_colormap *m,
				      const char *outcome,
				      const char *cat_color);

/* 1 when s is one of pending, appeared, no_show, cancelled. */
int booking_outcome_valid(const char *s);

/* ================================================== configuration */

/* A consultant named in the configuration. */
typedef struct booking_consultant_cfg {
	char name[BOOKING_NAME_MAX];
	char calendar_id[BOOKING_CALID_MAX]; /* "" when none */
} booking_consultant_cfg;

/* A weekly plan named in the configuration. */
typedef struct booking_plan_cfg {
	char name[BOOKING_NAME_MAX];
	booking_plan plan;
} booking_plan_cfg;

/* The module's parsed settings. Immutable after booking_config_load. */
typedef struct booking_config {
	booking_grid grid;
	int slot_minutes;
	int horizon_days;
	int min_notice_min;
	int capacity_default;
	booking_capacity overrides;
	booking_marker marker;
	booking_colors non_blocking;
	booking_colormap categories;
	booking_colormap outcomes;
	char state[4];
	char central_calendar[BOOKING_CALID_MAX];
	booking_consultant_cfg *consultants; /* owned */
	int nconsultants;
	booking_plan_cfg *plans; /* owned */
	int nplans;
	int sync_days;	   /* outcome sync looks back this many days */
	int slots_cache_s; /* 0 disables the slot listing cache */
	int idem_ttl_h;	   /* hours an Idempotency-Key is remembered */
} booking_config;

/* Reads one setting value; NULL = unset. */
typedef const char *(*booking_setting_fn)(void *ud, const char *key);

/* Parses every setting (read through `get`) into *cfg, defaults applied
 * for unset keys. Returns 0, or -1 with "setting 'KEY': reason" in err;
 * *cfg is then freed. */
int booking_config_load(booking_config *cfg, booking_setting_fn get, void *ud,
			char *err, size_t errlen);

/* Adds or replaces the plan of consultant `name` (for plan.NAME keys).
 * Returns 0 or -1 with err. */
int booking_config_add_plan(booking_config *cfg, const char *name,
			    const char *text, char *err, size_t errlen);

/* Adds consultant `name` with calendar `calendar_id` (for consultant.NAME
 * keys). Returns 0, or -1 with err (bad or duplicate name, overlong id). */
int booking_config_add_consultant(booking_config *cfg, const char *name,
				  const char *calendar_id, char *err,
				  size_t errlen);

/* The plan of `name`, or NULL. Borrowed from cfg. */
const booking_plan *booking_config_plan(const booking_config *cfg,
					const char *name);

/* Releases what booking_config_load allocated. */
void booking_config_free(booking_config *cfg);

/* Parses "Name:calendar_id,Name:calendar_id" (the old system's format;
 * a name without ':' has no calendar). *out is owned: free(). Returns 0
 * or -1 with err (empty or duplicate names, overlong parts). */
int booking_consultants_parse(const char *text, booking_consultant_cfg **out,
			      int *n, char *err, size_t errlen);

/* Parses "Name: mon-thu 09:00-22:00, fri 09:00-16:00; Name2: ...". *out is
 * owned: free(). Returns 0 or -1 with err. */
int booking_plans_parse(const char *text, booking_plan_cfg **out, int *n,
			char *err, size_t errlen);

/* Setting defaults (docs/DOMAIN.md). */
#define BOOKING_DEFAULT_GRID                                                   \
	"mon-thu 09:00 11:00 14:00 16:00 18:00 20:00; fri 09:00 11:00 14:00"
#define BOOKING_DEFAULT_OVERRIDES    "mon-thu 09:00=1, fri 09:00=2, *20:00=2"
#define BOOKING_DEFAULT_MARKER	     "T1 bereit"
#define BOOKING_DEFAULT_NON_BLOCKING "1,4,6,8,11"
#define BOOKING_DEFAULT_CATEGORIES                                             \
	"normal=2, top=7, closer_needed=5, callback=3"
#define BOOKING_DEFAULT_OUTCOMES                                               \
	"2=appeared, 7=appeared, 11=no_show, 6=cancelled"

/* ============================================================ the view */

/* A consultant as the view sees it at request time. */
typedef struct booking_cons_rt {
	int64_t id;
	const char *name;
	int capacity;		     /* own capacity, 0 = default */
	const booking_plan *plan;    /* NULL when none */
	const hub_cal_event *events; /* mirror events (when use_events) */
	int nevents;
	int use_events; /* 1: marker rule; 0 without plan: always available */
} booking_cons_rt;

/* Active bookings of one slot and consultant (0 = unassigned, or all of
 * the slot's: booking_db_counts gives one total per slot). */
typedef struct booking_count {
	int64_t slot_start;
	int64_t consultant_id;
	int n;
} booking_count;

/* A custom block: a whole day (minute -1) or one slot start. */
typedef struct booking_block {
	hub_date date;
	int minute;
	const char *reason;
} booking_block;

/* Why a slot is not bookable. */
enum booking_why {
	BOOKING_OK = 0,
	BOOKING_PAST = 1,    /* started already */
	BOOKING_NOTICE = 2,  /* within the minimum notice */
	BOOKING_HORIZON = 3, /* beyond the horizon */
	BOOKING_BLOCKED = 4  /* blocked day or slot */
};

typedef struct booking_slot {
	int64_t start, end;
	int minute;
	int capacity, booked;
	int blocked;
	const char *reason;    /* of a blocked slot, borrowed from the input */
	int why;	       /* enum booking_why */
	int first_cons, ncons; /* into booking_view.cons_idx */
} booking_slot;

typedef struct booking_day {
	hub_date date;
	int blocked;
	int holiday;
	const char *reason; /* borrowed from the input or static */
	int first_slot, nslots;
} booking_day;

/* A computed listing. All arrays owned: booking_view_free. */
typedef struct booking_view {
	booking_day *days;
	int ndays;
	booking_slot *slots;
	int nslots;
	int *cons_idx; /* available consultants per slot, as input indexes */
	int ncons_idx;
} booking_view;

typedef struct booking_view_in {
	const booking_config *cfg;
	hub_date from, to; /* inclusive */
	int64_t now;
	const booking_cons_rt *cons;
	int ncons;
	const booking_count *counts; /* sorted by slot_start */
	int ncounts;
	const booking_block *blocks;
	int nblocks;
} booking_view_in;

/* Builds the listing of [from, to]. Returns 0 or -1 (out of memory, or a
 * range over 400 days); *out is empty on failure. */
int booking_view_build(const booking_view_in *in, booking_view *out);
void booking_view_free(booking_view *v);

/* The slot starting at `start`, or NULL. */
const booking_slot *booking_view_find(const booking_view *v, int64_t start);

/* Places still free in a slot (never negative). */
int booking_slot_free(const booking_slot *s);

/* Up to `max` bookable slots with free places nearest to `start`: the same
 * local day first (by distance), then later days in order. When
 * `cons_index` >= 0 only slots where that consultant is available count.
 * The slot `start` itself is skipped. Returns the count. */
int booking_view_alternatives(const booking_view *v, int64_t start,
			      int cons_index, int64_t *out, int max);

/* ======================================================= text buffers */

/* A growable text buffer. After an allocation failure every append is a
 * no-op and `oom` is set. */
typedef struct booking_buf {
	char *p;
	size_t len, cap;
	int oom;
} booking_buf;

void booking_buf_init(booking_buf *b);
void booking_buf_free(booking_buf *b);
void booking_buf_put(booking_buf *b, const char *s, size_t n);
void booking_buf_puts(booking_buf *b, const char *s);
void booking_buf_printf(booking_buf *b, const char *fmt, ...) HUB_PRINTF(2, 3);
/* Appends a decimal integer. */
void booking_buf_int(booking_buf *b, long long v);
/* Appends s as a JSON string literal (quotes included). */
void booking_buf_json_str(booking_buf *b, const char *s);
/* Appends an RFC 3339 instant with offset, quoted. */
void booking_buf_json_time(booking_buf *b, int64_t utc);
/* Appends one CSV field (RFC 4180 quoting). Text that a spreadsheet would
 * run as a formula (leading = + - @ tab CR) is prefixed with '. */
void booking_buf_csv_field(booking_buf *b, const char *s);
/* Detaches the text (NUL-terminated); caller frees. NULL after oom. */
char *booking_buf_take(booking_buf *b);

/* Appends the listing as the /api/v1/slots JSON document. */
void booking_view_json(const booking_view *v, const booking_view_in *in,
		       booking_buf *b);

/* ============================================================ bookings */

/* Field sizes: names and texts are limited in characters by the API
 * (100 / 500); the byte sizes leave room for 4-byte UTF-8. */
#define BOOKING_NAME_BYTES 404
#define BOOKING_TEXT_BYTES 2004

/* One booking as stored. */
typedef struct booking_row {
	int64_t id;
	int64_t slot_start, slot_end; /* UTC */
	char first_name[BOOKING_NAME_BYTES];
	char last_name[BOOKING_NAME_BYTES];
	char description[BOOKING_TEXT_BYTES];
	char category[32];
	char color_id[8];      /* the category's colour when booked */
	int64_t consultant_id; /* 0 = none */
	char consultant[BOOKING_NAME_MAX];
	char booked_by[64];
	int64_t created_at;
	char status[16];	 /* booked | cancelled */
	char outcome[16];	 /* pending | appeared | no_show | cancelled */
	char outcome_source[16]; /* none | app | calendar | import */
	int64_t outcome_at;	 /* 0 = never set */
	char cancel_reason[BOOKING_TEXT_BYTES];
	int64_t updated_at;
	char legacy_id[256]; /* the old system's id of imported bookings */
} booking_row;

/* "Last, First" (or "Last" without a first name) into out. */
void booking_customer_text(const booking_row *r, char *out, size_t outlen);

/* Appends the booking as its API JSON object. */
void booking_row_json(booking_buf *b, const booking_row *r);

/* Appends the central calendar event of the booking: summary "Last,
 * First", description + blank line + "[Booked by: USER]", start and end
 * with offsets and the zone, colorId from the category (or the outcome's
 * colour once decided, so the event reads back as the same outcome). */
void booking_event_json(booking_buf *b, const booking_row *r,
			const booking_config *cfg);

/* The event key the outbox uses for booking `id` ("booking-ID") into out
 * (at least 32 bytes). */
void booking_event_key(int64_t id, char *out);

#endif
