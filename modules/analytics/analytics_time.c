/*
 * analytics_time.c - figures by local time: GET /heatmap (weekday x slot
 * start time) and GET /trend (ISO weeks). Slot starts come from storage
 * as UTC seconds and are turned into local dates and times here, with
 * the system's time zone data, so DST weeks and the year's end need no
 * special cases in SQL.
 */
#include "analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ISO week of d: *year is the ISO year (the year of the week's
 * Thursday), *week 1..53. */
static void iso_week(hub_date d, int *year, int *week)
{
	hub_date thu = hub_date_add(d, 4 - hub_date_weekday(d));
	hub_date jan1 = {thu.y, 1, 1};
	*year = thu.y;
	*week = (int)(hub_date_diff(thu, jan1) / 7) + 1;
}

static void put_counts(cJSON *o, const an_counts *c)
{
	int64_t dec = c->appeared + c->no_show;
	cJSON_AddNumberToObject(o, "bookings", (double)c->bookings);
	cJSON_AddNumberToObject(o, "appeared", (double)c->appeared);
	cJSON_AddNumberToObject(o, "no_show", (double)c->no_show);
	cJSON_AddNumberToObject(o, "cancelled", (double)c->cancelled);
	if (dec > 0) {
		cJSON_AddNumberToObject(o, "appearance_rate",
					(double)c->appeared / (double)dec);
		cJSON_AddNumberToObject(o, "no_show_rate",
					(double)c->no_show / (double)dec);
	} else {
		cJSON_AddNullToObject(o, "appearance_rate");
		cJSON_AddNullToObject(o, "no_show_rate");
	}
}

/* ============================================================== heatmap */

#define CELLS (7 * 1440) /* weekday x minute of the day */

static void heat_row(void *ud, int64_t slot, const char *key,
		     const an_counts *c)
{
	an_counts *cells = ud;
	hub_date d;
	int hh, mm;
	(void)key;
	if (hub_time_to_local(slot, &d, &hh, &mm, NULL, NULL) != 0)
		return;
	an_counts_add(&cells[(hub_date_weekday(d) - 1) * 1440 + hh * 60 + mm],
		      c);
}

int an_h_heatmap(hub_req *req, void *ud)
{
	an_query q;
	an_counts *cells;
	cJSON *o, *arr;
	int rc;
	(void)ud;

	if (an_begin(req, &q) != 0)
		return 0;
	cells = calloc(CELLS, sizeof(*cells));
	if (!cells)
		return an_api->reply_error(req, 503, "unavailable",
					   "out of memory", NULL);
	rc = an_scan(q.db, q.cur.a, q.cur.b, &q.f, AN_GROUP_NONE, heat_row,
		     cells);
	if (rc != HUB_DB_OK) {
		free(cells);
		return an_storage_failed(req);
	}
	o = cJSON_CreateObject();
	an_put_dates(o, &q.cur);
	arr = cJSON_AddArrayToObject(o, "cells");
	for (int i = 0; i < CELLS; i++) {
		cJSON *it;
		char tm[8];
		if (cells[i].bookings == 0)
			continue;
		it = cJSON_CreateObject();
		snprintf(tm, sizeof(tm), "%02d:%02d", (i % 1440) / 60, i % 60);
		cJSON_AddNumberToObject(it, "weekday", i / 1440 + 1);
		cJSON_AddStringToObject(it, "time", tm);
		put_counts(it, &cells[i]);
		cJSON_AddItemToArray(arr, it);
	}
	free(cells);
	return hubkit_reply_cjson(an_api, req, 200, o);
}

/* ================================================================ trend */

/* The weeks of a period: one entry per ISO week from the week of `from`
 * to the week of `to`, indexed by Mondays. */
typedef struct an_weeks {
	int64_t first_monday; /* days since the epoch */
	int n;
	an_counts *c;
} an_weeks;

static int64_t monday_of(hub_date d)
{
	return hub_date_to_days(d) - (hub_date_weekday(d) - 1);
}

static void week_row(void *ud, int64_t slot, const char *key,
		     const an_counts *c)
{
	an_weeks *w = ud;
	hub_date d;
	int64_t i;
	(void)key;
	if (hub_time_to_local(slot, &d, NULL, NULL, NULL, NULL) != 0)
		return;
	i = (monday_of(d) - w->first_monday) / 7;
	if (i >= 0 && i < w->n)
		an_counts_add(&w->c[i], c);
}

int an_h_trend(hub_req *req, void *ud)
{
	an_query q;
	an_weeks w;
	cJSON *o, *arr;
	int rc;
	(void)ud;

	if (an_begin(req, &q) != 0)
		return 0;
	w.first_monday = monday_of(q.cur.from);
	w.n = (int)((monday_of(q.cur.to) - w.first_monday) / 7) + 1;
	w.c = calloc((size_t)w.n, sizeof(*w.c));
	if (!w.c)
		return an_api->reply_error(req, 503, "unavailable",
					   "out of memory", NULL);
	rc = an_scan(q.db, q.cur.a, q.cur.b, &q.f, AN_GROUP_NONE, week_row, &w);
	if (rc != HUB_DB_OK) {
		free(w.c);
		return an_storage_failed(req);
	}
	o = cJSON_CreateObject();
	an_put_dates(o, &q.cur);
	arr = cJSON_AddArrayToObject(o, "items");
	for (int i = 0; i < w.n; i++) {
		hub_date mon = hub_date_from_days(w.first_monday + 7 * i);
		cJSON *it = cJSON_CreateObject();
		char name[16], start[16];
		int y, wk;
		iso_week(mon, &y, &wk);
		snprintf(name, sizeof(name), "%04d-W%02d", y, wk);
		hub_date_format(mon, start);
		cJSON_AddStringToObject(it, "week", name);
		cJSON_AddStringToObject(it, "start", start);
		put_counts(it, &w.c[i]);
		cJSON_AddItemToArray(arr, it);
	}
	cJSON_AddNullToObject(o, "next_cursor");
	free(w.c);
	return hubkit_reply_cjson(an_api, req, 200, o);
}
