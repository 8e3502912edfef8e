/*
 * module.c - the booking module's descriptor and init: settings (with the
 * defaults of docs/DOMAIN.md), migrations, routes, the pages under /booking/,
 * the outcome sync and idempotency purge jobs, the health check and the
 * import hook for the old system's data.
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

booking_mod booking_m = {.sync_lock = PTHREAD_MUTEX_INITIALIZER,
			 .lock = PTHREAD_MUTEX_INITIALIZER};

/* ============================================================ settings */

static const hub_setting settings[] = {
    {"consultants", HUB_SETTING_STRING, "", 0,
     "consultants as Name:calendar_id,Name:calendar_id (HUB_CONSULTANTS "
     "overrides)"},
    {"state", HUB_SETTING_STRING, "NW", 0,
     "German state whose public holidays block days"},
    {"horizon_days", HUB_SETTING_INT, "56", 0, "bookable days ahead"},
    {"min_notice_min", HUB_SETTING_INT, "0", 0,
     "minimum minutes between booking and slot start"},
    {"capacity_per_consultant", HUB_SETTING_INT, "3", 0,
     "bookings per consultant and slot"},
    {"capacity_overrides", HUB_SETTING_STRING, BOOKING_DEFAULT_OVERRIDES, 0,
     "per weekday and start: 'mon-thu 09:00=1, fri 09:00=2, *20:00=2'"},
    {"grid", HUB_SETTING_STRING, BOOKING_DEFAULT_GRID, 0,
     "slot starts per weekday: 'mon-thu 09:00 11:00; fri 09:00'"},
    {"slot_minutes", HUB_SETTING_INT, "120", 0, "length of a slot"},
    {"marker_pattern", HUB_SETTING_STRING, BOOKING_DEFAULT_MARKER, 0,
     "words an availability marker's title contains (case-insensitive)"},
    {"non_blocking_colors", HUB_SETTING_STRING, BOOKING_DEFAULT_NON_BLOCKING, 0,
     "Google colorIds of events that never block"},
    {"category_colors", HUB_SETTING_STRING, BOOKING_DEFAULT_CATEGORIES, 0,
     "booking categories and their event colorIds"},
    {"outcome_colors", HUB_SETTING_STRING, BOOKING_DEFAULT_OUTCOMES, 0,
     "what an event colour means once the appointment is over"},
    {"central_calendar_id", HUB_SETTING_STRING, NULL, 0,
     "calendar read by the outcome sync (default: [calendar] "
     "central_calendar_id)"},
    {"feed_key", HUB_SETTING_STRING, NULL, HUB_SETTING_SECRET,
     "secret of the calendar feed URLs, at least 32 characters (default: "
     "a random key in DATA_DIR/booking-feed.key; set it on every server "
     "of a cluster)"},
    {"consultant.*", HUB_SETTING_STRING, NULL, 0,
     "consultant.NAME = calendar_id: one key per consultant (adds to "
     "'consultants')"},
    {"plans", HUB_SETTING_STRING, "", 0,
     "weekly plans 'Name: mon-thu 09:00-22:00; Name2: ...' (or plan.NAME)"},
    {"plan.*", HUB_SETTING_STRING, NULL, 0,
     "plan.NAME = mon-thu 09:00-22:00, fri 09:00-16:00"},
    {"outcome_sync_days", HUB_SETTING_INT, "14", 0,
     "days back the outcome sync reads calendar colours"},
    {"outcome_sync_interval_s", HUB_SETTING_INT, "300", 0,
     "seconds between outcome sync runs"},
    {"slots_cache_s", HUB_SETTING_INT, "5", 0,
     "seconds a slot listing may be served from the cache (0 = off)"},
    {"idempotency_ttl_h", HUB_SETTING_INT, "24", 0,
     "hours an Idempotency-Key is remembered"},
};

static const char *get_setting(void *ud, const char *key)
{
	const char *v = BOOKING_API->setting_str((hub_ctx *)ud, key);
	if (strcmp(key, "central_calendar_id") == 0 && (!v || !*v))
		v = BOOKING_API->server_setting("calendar.central_calendar_id");
	return v;
}

/* Collects consultant.NAME and plan.NAME keys. */
typedef struct plan_ctx {
	int rc;
	char err[256];
} plan_ctx;

static void each_plan(void *ud, const char *key, const char *value)
{
	plan_ctx *p = ud;
	char why[200];
	if (p->rc != 0)
		return;
	if (booking_config_add_plan(&booking_m.cfg, key + 5, value, why,
				    sizeof(why)) != 0) {
		snprintf(p->err, sizeof(p->err), "setting '%s': %s", key, why);
		p->rc = -1;
	}
}

static void each_consultant(void *ud, const char *key, const char *value)
{
	plan_ctx *p = ud;
	char why[200];
	if (p->rc != 0)
		return;
	if (booking_config_add_consultant(&booking_m.cfg, key + 11, value, why,
					  sizeof(why)) != 0) {
		snprintf(p->err, sizeof(p->err), "setting '%s': %s", key, why);
		p->rc = -1;
	}
}

/* Warns about plans for names that are no configured consultant. */
static void check_plan_names(void)
{
	const booking_config *c = &booking_m.cfg;
	for (int i = 0; i < c->nplans; i++) {
		int found = 0;
		for (int k = 0; k < c->nconsultants && !found; k++)
			found = strcmp(c->plans[i].name,
				       c->consultants[k].name) == 0;
		if (!found)
			BOOKING_API->log(
			    booking_m.ctx, HUB_LOG_WARN,
			    "plan for '%s', who is not in 'consultants' "
			    "(applies once an admin adds them)",
			    c->plans[i].name);
	}
}

/* ============================================================== routes */

#define READ_SCOPES (HUB_SCOPE_READ | HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN)
#define BOOK_SCOPES (HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN)

static const hub_route routes[] = {
    {"GET", "/api/v1/consultants", booking_h_consultants, NULL, 0, READ_SCOPES,
     "api", 0},
    {"GET", "/api/v1/slots", booking_h_slots, NULL, 0, READ_SCOPES, "api", 0},
    {"GET", "/api/v1/customers", booking_h_customers, NULL, 0, READ_SCOPES,
     "api", 0},
    {"POST", "/api/v1/bookings", booking_h_create, NULL, 0, BOOK_SCOPES,
     "booking", 0},
    {"GET", "/api/v1/bookings", booking_h_list, NULL, 0, READ_SCOPES, "api", 0},
    {"GET", "/api/v1/bookings/{id}", booking_h_get, NULL, 0, READ_SCOPES, "api",
     0},
    {"POST", "/api/v1/bookings/{id}/cancel", booking_h_cancel, NULL, 0,
     BOOK_SCOPES, "booking", 0},
    {"POST", "/api/v1/bookings/{id}/reschedule", booking_h_reschedule, NULL, 0,
     BOOK_SCOPES, "booking", 0},
    {"POST", "/api/v1/bookings/{id}/outcome", booking_h_outcome, NULL, 0,
     BOOK_SCOPES, "booking", 0},
    {"GET", "/api/v1/admin/blocked-dates", booking_h_blocks_list, NULL,
     HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"POST", "/api/v1/admin/blocked-dates", booking_h_blocks_add, NULL,
     HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"DELETE", "/api/v1/admin/blocked-dates/{date}", booking_h_blocks_delete,
     NULL, HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"GET", "/api/v1/admin/export/bookings.csv", booking_h_export_csv, NULL,
     HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"GET", "/api/v1/admin/consultants", booking_h_consultants_admin, NULL,
     HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"POST", "/api/v1/admin/consultants", booking_h_consultant_add, NULL,
     HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"PATCH", "/api/v1/admin/consultants/{id}", booking_h_consultant_patch,
     NULL, HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0},
    {"GET", "/api/v1/auth/me/feed", booking_h_feed_get, NULL, 0, 0, "api", 0},
    {"POST", "/api/v1/auth/me/feed/rotate", booking_h_feed_rotate, NULL, 0, 0,
     "api", 0},
    {"GET", "/feeds/{file}", booking_h_feed_ics, NULL, 0, 0, "api",
     HUB_ROUTE_PUBLIC},
};

/* ======================================================= check and jobs */

static void health(void *ud, hub_health_result *out)
{
	int64_t at;
	int ok;
	char msg[160];
	(void)ud;
	pthread_mutex_lock(&booking_m.lock);
	at = booking_m.sync_at;
	ok = booking_m.sync_ok;
	snprintf(msg, sizeof(msg), "%s", booking_m.sync_msg);
	pthread_mutex_unlock(&booking_m.lock);
	out->status = HUB_HEALTH_OK;
	if (!booking_m.cfg.central_calendar[0])
		snprintf(out->detail, sizeof(out->detail),
			 "%d consultants configured; no central calendar, "
			 "outcome sync off",
			 booking_m.cfg.nconsultants);
	else if (at == 0)
		snprintf(out->detail, sizeof(out->detail),
			 "%d consultants configured; outcome sync not run yet",
			 booking_m.cfg.nconsultants);
	else if (!ok) {
		out->status = HUB_HEALTH_DEGRADED;
		snprintf(out->detail, sizeof(out->detail),
			 "outcome sync failing: %.200s", msg);
	} else
		snprintf(out->detail, sizeof(out->detail),
			 "%d consultants configured; outcome sync ok %lld s "
			 "ago (%.100s)",
			 booking_m.cfg.nconsultants,
			 (long long)((int64_t)time(NULL) - at), msg);
}

static int purge_job(void *ud, char *err, size_t errlen)
{
	hub_db *db = BOOKING_API->db();
	int64_t before =
	    (int64_t)time(NULL) - (int64_t)booking_m.cfg.idem_ttl_h * 3600;
	int n;
	(void)ud;
	if (!db) {
		snprintf(err, errlen, "storage unavailable");
		return -1;
	}
	n = booking_db_idem_purge(db, before);
	if (n < 0) {
		snprintf(err, errlen, "purge failed: %s",
			 BOOKING_API->db_errmsg(db));
		return -1;
	}
	if (n > 0)
		BOOKING_API->log(booking_m.ctx, HUB_LOG_INFO,
				 "removed %d expired idempotency keys", n);
	return 0;
}

/* ================================================================ init */

static int booking_init(hub_ctx *ctx, const hub_api *api)
{
	const char *tz;
	char err[300];
	plan_ctx pc;
	int rc = 0;

	booking_m.api = api;
	booking_m.sql = hubkit_sql_ops_of(api);
	booking_m.ctx = ctx;
	booking_m.synced = 0;
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		booking_m.instance = ((unsigned long long)getpid() << 40) ^
				     ((unsigned long long)ts.tv_sec << 20) ^
				     (unsigned long long)ts.tv_nsec;
	}
	if (!HUB_API_HAS(api, setting_each)) {
		api->log(ctx, HUB_LOG_ERROR,
			 "host too old: setting_each (plan.NAME) missing");
		return -1;
	}
	/* the kit in this module keeps its own zone name: set it to the
	 * host's zone (same TZ, set before any thread starts) */
	tz = api->server_setting("timezone");
	if (hub_time_init(tz && *tz ? tz : "Europe/Berlin") != 0) {
		api->log(ctx, HUB_LOG_ERROR, "unknown time zone '%s'",
			 tz ? tz : "");
		return -1;
	}
	for (size_t i = 0;
	     rc == 0 && i < sizeof(settings) / sizeof(settings[0]); i++)
		rc = api->setting(ctx, &settings[i]);
	if (rc != 0)
		return -1;
	if (booking_config_load(&booking_m.cfg, get_setting, ctx, err,
				sizeof(err)) != 0) {
		api->log(ctx, HUB_LOG_ERROR, "%s", err);
		return -1;
	}
	memset(&pc, 0, sizeof(pc));
	api->setting_each(ctx, "consultant.", each_consultant, &pc);
	if (pc.rc == 0)
		api->setting_each(ctx, "plan.", each_plan, &pc);
	if (pc.rc != 0) {
		api->log(ctx, HUB_LOG_ERROR, "%s", pc.err);
		goto fail;
	}
	check_plan_names();
	if (booking_db_register(api, ctx) != 0 ||
	    booking_feed_init(ctx, api) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(ctx, &routes[i]) != 0)
			goto fail;
	if (api->static_dir(ctx, "/booking", "web") != 0)
		goto fail;
	{
		hub_job sync = {"outcome_sync",	      300, NULL, 30, 1,
				booking_outcome_sync, NULL};
		hub_job purge = {"idempotency_purge", 0,   "03:40", 300, 1,
				 purge_job,	      NULL};
		long long iv =
		    api->setting_int(ctx, "outcome_sync_interval_s", 300);
		sync.interval_s = (unsigned)(iv < 1	  ? 1
					     : iv > 86400 ? 86400
							  : iv);
		sync.jitter_s =
		    sync.interval_s >= 120 ? 30 : sync.interval_s / 4;
		if (api->job(ctx, &sync) != 0 || api->job(ctx, &purge) != 0)
			goto fail;
	}
	if (api->health_check(ctx, "booking", health, NULL, 500) != 0 ||
	    api->import_hook(ctx, booking_import, NULL) != 0)
		goto fail;
	api->log(ctx, HUB_LOG_INFO,
		 "booking: %d consultants, %d plans, state %s, horizon %d days",
		 booking_m.cfg.nconsultants, booking_m.cfg.nplans,
		 booking_m.cfg.state, booking_m.cfg.horizon_days);
	return 0;
fail:
	booking_config_free(&booking_m.cfg);
	return -1;
}

static void booking_shutdown(hub_ctx *ctx)
{
	(void)ctx;
	booking_slots_shutdown();
	booking_feed_shutdown();
	booking_copies_free();
	booking_config_free(&booking_m.cfg);
}

HUB_MODULE_DEFINE("booking", "1.0.0",
		  "slots, availability, blocked days, bookings and outcomes",
		  booking_init, booking_shutdown);
