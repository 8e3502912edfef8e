/*
 * cal_dav_ical.c - iCalendar for the caldav backend, through libical:
 * calendar object resources to mirror events (times resolved with the
 * object's VTIMEZONE or libical's built-in zones, all-day events at local
 * midnight, recurring events expanded within the window), and outbox event
 * resources to VCALENDAR text.
 *
 * Colours: the Google colorId of an event we wrote travels as
 * X-HUB-COLOR-ID; events made by people carry COLOR (RFC 7986, a CSS
 * colour name), mapped to the nearest Google colour so the booking
 * module's colour rules read them alike.
 */
#define _GNU_SOURCE
#include "calendar/cal_caldav.h"

#include "hub_time.h"

#include <cjson/cJSON.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Google's event colours and CSS names people's apps use for them. */
static const struct {
	const char *id;
	const char *css[4];
} g_colors[] = {
    {"1", {"lavender", "lightsteelblue", NULL}},
    {"2", {"sage", "mediumseagreen", "darkseagreen", NULL}},
    {"3", {"grape", "purple", "mediumpurple", NULL}},
    {"4", {"flamingo", "lightcoral", "salmon", NULL}},
    {"5", {"banana", "yellow", "gold", NULL}},
    {"6", {"tangerine", "orange", "darkorange", NULL}},
    {"7", {"peacock", "deepskyblue", "turquoise", NULL}},
    {"8", {"graphite", "gray", "grey", NULL}},
    {"9", {"blueberry", "blue", "royalblue", NULL}},
    {"10", {"basil", "green", "darkgreen", NULL}},
    {"11", {"tomato", "red", "tomato", NULL}},
};

static const char *color_id_of_css(const char *css)
{
	for (size_t i = 0; css && i < sizeof(g_colors) / sizeof(g_colors[0]);
	     i++)
		for (int k = 0; k < 4 && g_colors[i].css[k]; k++)
			if (strcasecmp(css, g_colors[i].css[k]) == 0)
				return g_colors[i].id;
	return "";
}

static const char *css_of_color_id(const char *id)
{
	for (size_t i = 0; id && i < sizeof(g_colors) / sizeof(g_colors[0]);
	     i++)
		if (strcmp(id, g_colors[i].id) == 0)
			return g_colors[i].css[1];
	return NULL;
}

/* Value of the first X-property `name` of comp, or NULL. */
static const char *x_prop(icalcomponent *comp, const char *name)
{
	icalproperty *p;
	for (p = icalcomponent_get_first_property(comp, ICAL_X_PROPERTY); p;
	     p = icalcomponent_get_next_property(comp, ICAL_X_PROPERTY))
		if (strcasecmp(icalproperty_get_x_name(p), name) == 0)
			return icalproperty_get_x(p);
	return NULL;
}

/* UTC seconds of t: dates at local midnight in the business zone, zoned
 * times through their zone, floating times in the business zone. */
static int64_t to_utc(struct icaltimetype t)
{
	if (t.is_date) {
		int64_t u = 0;
		hub_time_from_local((hub_date){t.year, t.month, t.day}, 0, 0,
				    &u);
		return u;
	}
	if (!t.zone && !icaltime_is_utc(t)) {
		icaltimezone *z =
		    icaltimezone_get_builtin_timezone(hub_time_zone());
		return (int64_t)icaltime_as_timet_with_zone(t, z);
	}
	return (int64_t)icaltime_as_timet_with_zone(
	    t, t.zone ? t.zone : icaltimezone_get_utc_timezone());
}

/* Appends one item. */
static int add_item(hub_cal_page *page, const char *id, icalcomponent *ev,
		    int64_t s, int64_t e, int all_day)
{
	hub_cal_gevent *g;
	const char *sum = icalcomponent_get_summary(ev);
	const char *cid = x_prop(ev, "X-HUB-COLOR-ID");
	const char *key = x_prop(ev, "X-HUB-KEY");
	icalproperty *col =
	    icalcomponent_get_first_property(ev, ICAL_COLOR_PROPERTY);
	if (page->n == page->cap) {
		size_t cap = page->cap ? page->cap * 2 : 16;
		hub_cal_gevent *p = realloc(page->items, cap * sizeof(*p));
		if (!p)
			return -1;
		page->items = p;
		page->cap = cap;
	}
	g = &page->items[page->n];
	memset(g, 0, sizeof(*g));
	g->id = strdup(id);
	g->summary = strdup(sum ? sum : "");
	if (!g->id || !g->summary) {
		free(g->id);
		free(g->summary);
		return -1;
	}
	snprintf(g->color_id, sizeof(g->color_id), "%s",
		 cid   ? cid
		 : col ? color_id_of_css(icalproperty_get_color(col))
		       : "");
	snprintf(g->hub_key, sizeof(g->hub_key), "%s", key ? key : "");
	g->start_utc = s;
	g->end_utc = e > s ? e : s + (all_day ? 86400 : 0);
	g->all_day = all_day;
	page->n++;
	return 0;
}

typedef struct rec_ctx {
	hub_cal_page *page;
	const char *id;
	icalcomponent *ev;
	int all_day, rc, added;
} rec_ctx;

static void on_instance(icalcomponent *ev, struct icaltime_span *span, void *ud)
{
	rec_ctx *c = ud;
	char id[HUB_CAL_MAX_EVENT_ID];
	(void)ev;
	if (c->rc != 0)
		return;
	snprintf(id, sizeof(id), "%s#%lld", c->id, (long long)span->start);
	if (add_item(c->page, id, c->ev, (int64_t)span->start,
		     (int64_t)span->end, c->all_day) != 0)
		c->rc = -1;
	else
		c->added++;
}

/* Adds one VEVENT (expanding a recurring one). Returns items added or -1. */
static int add_vevent(icalcomponent *ev, const char *id, int64_t tmin,
		      int64_t tmax, hub_cal_page *page)
{
	struct icaltimetype s = icalcomponent_get_dtstart(ev);
	struct icaltimetype e = icalcomponent_get_dtend(ev);
	if (icaltime_is_null_time(s) ||
	    icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED)
		return 0;
	if (icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) &&
	    tmax > tmin) {
		rec_ctx c = {page, id, ev, s.is_date, 0, 0};
		icalcomponent_foreach_recurrence(
		    ev, icaltime_from_timet_with_zone((time_t)tmin, 0, NULL),
		    icaltime_from_timet_with_zone((time_t)tmax, 0, NULL),
		    on_instance, &c);
		return c.rc ? -1 : c.added;
	}
	return add_item(page, id, ev, to_utc(s),
			icaltime_is_null_time(e) ? to_utc(s) : to_utc(e),
			s.is_date) == 0
		   ? 1
		   : -1;
}

int hub_cal_dav_ics_events(const char *ics, const char *id, int64_t tmin,
			   int64_t tmax, hub_cal_page *page)
{
	icalcomponent *cal = icalparser_parse_string(ics), *ev;
	int n = 0, k;
	if (!cal)
		return -1;
	if (icalcomponent_isa(cal) == ICAL_VEVENT_COMPONENT) {
		n = add_vevent(cal, id, tmin, tmax, page);
		icalcomponent_free(cal);
		return n;
	}
	for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	     ev && n >= 0; ev = icalcomponent_get_next_component(
			       cal, ICAL_VEVENT_COMPONENT)) {
		/* overridden instances (RECURRENCE-ID) of a series are left
		 * to the series' expansion */
		if (icalcomponent_get_first_property(
			ev, ICAL_RECURRENCEID_PROPERTY))
			continue;
		k = add_vevent(ev, id, tmin, tmax, page);
		n = k < 0 ? -1 : n + k;
	}
	icalcomponent_free(cal);
	return n;
}

/* Reads a start/end member {"dateTime"} or {"date"} into *t. */
static int when(const cJSON *o, struct icaltimetype *t)
{
	const char *dt =
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "dateTime"));
	const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(o, "date"));
	int64_t u;
	hub_date day;
	if (dt && hub_time_parse(dt, &u) == 0) {
		*t = icaltime_from_timet_with_zone(
		    (time_t)u, 0, icaltimezone_get_utc_timezone());
		return 0;
	}
	if (d && hub_date_parse(d, &day) == 0) {
		*t = icaltime_null_time();
		t->year = day.y;
		t->month = day.m;
		t->day = day.d;
		t->is_date = 1;
		return 0;
	}
	return -1;
}

static void add_x(icalcomponent *ev, const char *name, const char *value)
{
	icalproperty *p = icalproperty_new_x(value);
	icalproperty_set_x_name(p, name);
	icalcomponent_add_property(ev, p);
}

char *hub_cal_dav_ics_from_json(const char *event_json, const char *uid,
				const char *hub_key)
{
	cJSON *j = cJSON_Parse(event_json);
	struct icaltimetype s, e;
	icalcomponent *cal = NULL, *ev;
	const char *sum, *desc, *cid;
	char *out = NULL;
	if (!cJSON_IsObject(j) || when(cJSON_GetObjectItem(j, "start"), &s) ||
	    when(cJSON_GetObjectItem(j, "end"), &e))
		goto done;
	sum = cJSON_GetStringValue(cJSON_GetObjectItem(j, "summary"));
	desc = cJSON_GetStringValue(cJSON_GetObjectItem(j, "description"));
	cid = cJSON_GetStringValue(cJSON_GetObjectItem(j, "colorId"));
	cal = icalcomponent_vanew(
	    ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
	    icalproperty_new_prodid("-//Business Hub//Calendar//EN"),
	    (void *)0);
	ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_set_uid(ev, uid);
	icalcomponent_set_dtstamp(
	    ev, icaltime_from_timet_with_zone((time_t)hub_cal_now(), 0,
					      icaltimezone_get_utc_timezone()));
	icalcomponent_set_dtstart(ev, s);
	icalcomponent_set_dtend(ev, e);
	icalcomponent_set_summary(ev, sum ? sum : "");
	if (desc && *desc)
		icalcomponent_set_description(ev, desc);
	if (cid && *cid) {
		add_x(ev, "X-HUB-COLOR-ID", cid);
		if (css_of_color_id(cid))
			icalcomponent_add_property(
			    ev, icalproperty_new_color(css_of_color_id(cid)));
	}
	add_x(ev, "X-HUB-KEY", hub_key);
	icalcomponent_add_component(cal, ev);
	out = icalcomponent_as_ical_string_r(cal);
done:
	if (cal)
		icalcomponent_free(cal);
	cJSON_Delete(j);
	return out;
}
