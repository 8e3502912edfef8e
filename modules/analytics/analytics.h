/*
 * analytics.h - the analytics module: figures on how appointments turned
 * out, read from the booking module's table through rollups.
 *
 *   analytics.c          descriptor, init, routes, pages, the alert gauge
 *   analytics_schema.c   rollup tables kept by triggers on booking_bookings
 *   analytics_query.c    reading the rollups (or the bookings) into counts
 *   analytics_http.c     query parameters, access, the JSON answers
 *
 * Figures of a booking: it belongs to the local day of its slot; it is
 * cancelled when its status or outcome says so, else appeared, no_show or
 * pending by its outcome. Rates are null when their denominator is 0.
 */
#ifndef ANALYTICS_H
#define ANALYTICS_H

#include "hub/module.h"
#include "hub_kit.h"
#include "hub_time.h"

#include <stdint.h>

/* The host API table given at init (read-only afterwards). */
extern const hub_api *an_api;
extern hub_ctx *an_ctx;

/* The counts every figure is made of. */
typedef struct an_counts {
	int64_t bookings;  /* every booking, cancelled ones included */
	int64_t appeared;  /* not cancelled, outcome appeared */
	int64_t no_show;   /* not cancelled, outcome no_show */
	int64_t cancelled; /* status or outcome cancelled */
	int64_t lead_s;	   /* sum of (slot start - booked at), seconds */
} an_counts;

/* Adds b to a. */
void an_counts_add(an_counts *a, const an_counts *b);

/* Which bookings count. consultant: 0 = any, > 0 = that consultant's,
 * < 0 = none at all (a consultant user linked to no record). booker and
 * category: NULL = any. */
typedef struct an_filter {
	int64_t consultant;
	const char *booker;
	const char *category;
} an_filter;

/* Rows to group by besides the slot. */
enum an_group { AN_GROUP_NONE = 0, AN_GROUP_BOOKER, AN_GROUP_CONSULTANT };

/* Called for every (slot start, key) row; key is "" for AN_GROUP_NONE,
 * the booker's name or the consultant id as text (borrowed until the
 * callback returns). */
typedef void (*an_row_fn)(void *ud, int64_t slot_start, const char *key,
			  const an_counts *c);

/* Reads the counts of the bookings with slot start in [from, to) (UTC
 * seconds) matching f, grouped by slot start and `group`, from the
 * cheapest source (a rollup when one fits the filter, else the bookings).
 * Returns HUB_DB_OK or a storage error. */
int an_scan(hub_db *db, int64_t from, int64_t to, const an_filter *f, int group,
	    an_row_fn fn, void *ud);

/* Registers the rollup tables and their triggers (migrations). 0 / -1. */
int an_schema_register(hub_ctx *ctx);

/* The 7-day alert for filter f: no-show rate of the last 7 local days up
 * to today. *rate is -1 when undefined. Returns HUB_DB_OK or an error. */
int an_alert(hub_db *db, const an_filter *f, double *rate);

/* The alert threshold (no-show rate above it is an alert). */
#define AN_ALERT_THRESHOLD 0.2

/* Sets the Prometheus gauges from a team-wide 7-day rate (-1 = none). */
void an_gauge_set(double rate);

/* A period of local dates and its UTC bounds [a, b). */
typedef struct an_period {
	hub_date from, to;
	int64_t a, b;
} an_period;

/* What a request asks for: who, the period, the one before, the filter,
 * and whether CSV was asked for (format=csv). */
typedef struct an_query {
	hub_user user;
	hub_db *db;
	an_period cur, prev;
	an_filter f;
	int csv;
} an_query;

/* Reads the user, storage, format, period and filter of a request into
 * *q (consultants narrowed to themselves). Returns 0, or -1 after
 * answering (401, 403, 422, 503). */
int an_begin(hub_req *req, an_query *q);

/* Logs and answers 503 after a storage error. Returns 0. */
int an_storage_failed(hub_req *req);

/* Adds the figures of c (counts, rates, lead time) to object o. */
void an_put_figures(cJSON *o, const an_counts *c);
/* Adds "from" and "to" of p to o. */
void an_put_dates(cJSON *o, const an_period *p);

/* Handlers (analytics_http.c, analytics_lists.c). */
int an_h_summary(hub_req *req, void *ud);
int an_h_consultant(hub_req *req, void *ud);
int an_h_consultants(hub_req *req, void *ud);
int an_h_bookers(hub_req *req, void *ud);
int an_h_heatmap(hub_req *req, void *ud);
int an_h_trend(hub_req *req, void *ud);

#endif
