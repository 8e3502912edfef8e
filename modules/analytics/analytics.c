/*
 * analytics.c - the analytics module's descriptor and init: the rollup
 * migration, the routes under /api/v1/analytics, the pages at
 * /analytics/ with Chart.js served from Debian's libjs-chart.js, and the
 * job that keeps the team's 7-day no-show gauges fresh for Prometheus.
 */
#include "analytics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const hub_api *an_api;
hub_ctx *an_ctx;

/* Where Debian's libjs-chart.js puts Chart.js (chart.min.js: UMD). */
#define CHARTJS_DIR "/usr/share/javascript/chart.js"

/* ============================================================== gauges */

/* The values last given to the two gauges. metric_add adds: the gauge is
 * moved by taking the old value away and adding the new one, under the
 * lock so updates from requests and the job stay ordered. */
static struct {
	pthread_mutex_t lock;
	double rate, active;
} g_gauge = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

void an_gauge_set(double rate)
{
	double r = rate >= 0 ? rate : 0;
	double a = rate > AN_ALERT_THRESHOLD ? 1 : 0;
	pthread_mutex_lock(&g_gauge.lock);
	if (r != g_gauge.rate) {
		an_api->metric_add("hub_noshow_rate_7d", NULL, -g_gauge.rate);
		an_api->metric_add("hub_noshow_rate_7d", NULL, r);
		g_gauge.rate = r;
	}
	if (a != g_gauge.active) {
		an_api->metric_add("hub_noshow_alert_active", NULL,
				   a - g_gauge.active);
		g_gauge.active = a;
	}
	pthread_mutex_unlock(&g_gauge.lock);
}

/* Recomputes the team's 7-day no-show rate (every minute). */
static int gauge_job(void *ud, char *err, size_t errlen)
{
	hub_db *db = an_api->db();
	an_filter f = {0, NULL, NULL};
	double rate;
	(void)ud;
	if (!db || an_alert(db, &f, &rate) != HUB_DB_OK) {
		snprintf(err, errlen, "storage: %s",
			 db ? an_api->db_errmsg(db) : "unavailable");
		return -1;
	}
	an_gauge_set(rate);
	return 0;
}

/* ============================================================== routes */

#define ROLES  (HUB_ROLE_ADMIN | HUB_ROLE_CONSULTANT)
#define SCOPES (HUB_SCOPE_READ | HUB_SCOPE_ADMIN)

static const hub_route routes[] = {
    {"GET", "/api/v1/analytics/summary", an_h_summary, NULL, ROLES, SCOPES,
     "api", 0},
    {"GET", "/api/v1/analytics/consultants", an_h_consultants, NULL, ROLES,
     SCOPES, "api", 0},
    {"GET", "/api/v1/analytics/consultants/{id}", an_h_consultant, NULL, ROLES,
     SCOPES, "api", 0},
    {"GET", "/api/v1/analytics/bookers", an_h_bookers, NULL, ROLES, SCOPES,
     "api", 0},
    {"GET", "/api/v1/analytics/heatmap", an_h_heatmap, NULL, ROLES, SCOPES,
     "api", 0},
    {"GET", "/api/v1/analytics/trend", an_h_trend, NULL, ROLES, SCOPES, "api",
     0},
};

static int analytics_init(hub_ctx *ctx, const hub_api *api)
{
	const char *tz;
	hub_job job = {"noshow_gauge", 60, NULL, 5, 0, gauge_job, NULL};

	an_api = api;
	an_ctx = ctx;
	/* the kit in this module keeps its own zone: the host's */
	tz = api->server_setting("timezone");
	if (hub_time_init(tz && *tz ? tz : "Europe/Berlin") != 0) {
		api->log(ctx, HUB_LOG_ERROR, "unknown time zone '%s'",
			 tz ? tz : "");
		return -1;
	}
	if (an_schema_register(ctx) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(ctx, &routes[i]) != 0)
			return -1;
	if (api->static_dir(ctx, "/analytics", "web") != 0 ||
	    api->job(ctx, &job) != 0)
		return -1;
	/* Chart.js from the Debian package (scripts/deps.sh installs it);
	 * without it the pages show tables and say the charts are missing */
	if (access(CHARTJS_DIR "/chart.min.js", R_OK) == 0) {
		if (api->static_dir(ctx, "/analytics/vendor/chart.js",
				    CHARTJS_DIR) != 0)
			return -1;
	} else {
		api->log(ctx, HUB_LOG_WARN,
			 "%s missing (install libjs-chart.js): the analytics "
			 "pages will show no charts",
			 CHARTJS_DIR);
	}
	return 0;
}

HUB_MODULE_DEFINE("analytics", "1.0.0",
		  "figures on bookings, appearances and no-shows",
		  analytics_init, NULL);
