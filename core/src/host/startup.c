/*
 * startup.c - the order in which the process comes up and goes down:
 *
 *   configuration -> logging -> time zone -> data directory -> storage
 *   -> identity, calendar (their migrations) -> core routes and checks
 *   -> modules (init, settings, migrations) -> [server mode] first admin,
 *   error reporter, jobs.
 *
 * hubd adds the HTTP server on top; hubctl uses the same path so both
 * always see the same schema.
 */
#define _GNU_SOURCE
#include "host/startup.h"
#include "cache/cache.h"
#include "calendar/calendar.h"
#include "hooks/hooks.h"
#include "host/host.h"
#include "http/http.h"
#include "hub_time.h"
#include "identity/identity.h"
#include "ops/ops.h"
#include "ops/sentry.h"
#include "ops/upkeep.h"
#include "sched/sched.h"
#include "redis/redis.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	int level; /* how far start-up got, for hub_shutdown */
	int mode;
	int keep_store; /* a late health check may still use it */
	int redis;	/* the Redis service was started */
	char data_dir[PATH_MAX];
} g_up;

enum { UP_CONF = 1, UP_STORE, UP_ID, UP_CAL, UP_MODULES, UP_JOBS };

const char *hub_data_dir(void)
{
	return g_up.data_dir;
}

/* mkdir -p with mode 0700 for directories we create. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int level_of(const char *s)
{
	if (!s)
		return HUB_LOG_INFO;
	if (!strcmp(s, "debug"))
		return HUB_LOG_DEBUG;
	if (!strcmp(s, "warn"))
		return HUB_LOG_WARN;
	if (!strcmp(s, "error"))
		return HUB_LOG_ERROR;
	return HUB_LOG_INFO;
}

/* The rate-limit backend on Redis: -2 (unavailable) makes the limiter
 * count in process instead. */
static int redis_rate_hit(void *self, const char *rate_class, const char *key,
			  unsigned count, unsigned window_s, int64_t now_ms,
			  hub_rate_info *info)
{
	(void)self;
	(void)now_ms;
	return hub_redis_rate_hit(rate_class, key, count, window_s, info);
}

/* Connects the cluster's Redis when [redis] url is set: rate limits and
 * cache invalidations go through it from now on. Without Redis on
 * SQLite, this process is the only server of its database (the data
 * directory's lock), so every invalidation there is is its own: the
 * cache's epochs are complete, and in-process copies keyed by them
 * (booking_copies.c) may be kept. */
static int start_redis(char *err, size_t errlen)
{
	static const hub_rate_backend be = {"redis", redis_rate_hit, NULL,
					    NULL};
	if (hub_redis_start(err, errlen) != 0)
		return -1;
	if (hub_redis_enabled()) {
		hub_rate_set_backend(&be);
		g_up.redis = 1;
	} else if (!hub_store_engine_is_pg()) {
		hub_cache_set_listening(1);
	}
	return 0;
}

/* The core's own routes, checks and jobs (registered, not started). */
static int register_core(char *err, size_t errlen)
{
	const hub_api *api = hub_host_api();
	const char *web = hub_conf_get("server", "web_dir");
	char ui_dir[PATH_MAX];
	/* the core's pages: the source tree, or the installed copy */
	snprintf(ui_dir, sizeof(ui_dir), "%s/ui",
		 web && *web ? web : HUB_SOURCE_DIR "/core/web");
	if (hub_id_register_routes(hub_core_ctx(), api) != 0 ||
	    hub_cal_register(hub_core_ctx(), api) != 0 ||
	    hub_wh_register(hub_core_ctx(), api) != 0 ||
	    hub_health_register_core(api) != 0 ||
	    hub_ops_register_jobs() != 0 || hub_upkeep_register() != 0 ||
	    hub_openapi_register(hub_core_ctx(), api) != 0 ||
	    api->static_dir(hub_core_ctx(), "/ui", ui_dir) != 0 ||
	    (hub_redis_enabled() &&
	     api->health_check(hub_core_ctx(), "redis", hub_redis_check, NULL,
			       1500) != 0)) {
		snprintf(
		    err, errlen,
		    "cannot register core routes, checks or jobs (see log)");
		return -1;
	}
	return 0;
}

int hub_startup(const char *conf_path, int mode, char *err, size_t errlen)
{
	const char *v;
	g_up.mode = mode;
	if (hub_conf_load(conf_path, err, errlen) != 0)
		return 2;
	g_up.level = UP_CONF;
	v = hub_conf_get("server", "log_level");
	/* hubctl and --check print one result line; their info chatter would
	 * drown it, so they log warnings and errors only unless asked */
	hub_log_set_level(v			     ? level_of(v)
			  : mode == HUB_START_SERVER ? HUB_LOG_INFO
						     : HUB_LOG_WARN);
	v = hub_conf_get("server", "log_file");
	if (mode == HUB_START_SERVER && v && hub_log_open(v) != 0) {
		snprintf(err, errlen,
			 "%s:%d: [server] key 'log_file': cannot "
			 "open '%s': %s",
			 hub_conf_path(), hub_conf_line("server", "log_file"),
			 v, strerror(errno));
		return 2;
	}
	v = hub_conf_get("server", "timezone");
	if (hub_time_init(v ? v : "Europe/Berlin") != 0) {
		snprintf(err, errlen, "%s:%d: [server] key 'timezone': unknown",
			 hub_conf_path(), hub_conf_line("server", "timezone"));
		return 2;
	}
	hub_cache_configure(
	    (size_t)hub_conf_int("cache", "max_bytes", 16 * 1024 * 1024));
	v = hub_conf_get("server", "data_dir");
	if (!realpath(v ? v : "data", g_up.data_dir))
		snprintf(g_up.data_dir, sizeof(g_up.data_dir), "%s",
			 v ? v : "data");
	char resolved[PATH_MAX];
	if (mode == HUB_START_CHECK) {
		/* validate calendar settings, modules and their settings;
		 * write nothing (the data directory may not exist yet);
		 * a PostgreSQL server must answer */
		if (hub_store_probe(err, errlen) != 0 ||
		    hub_redis_url_check(err, errlen) != 0)
			return 2;
		if (hub_cal_init(err, errlen) != 0 ||
		    hub_wh_init(err, errlen) != 0)
			return 2;
		g_up.level = UP_CAL;
		if (register_core(err, errlen) != 0)
			return 1;
		int crc = hub_modules_load(hub_host_api(), 0, err, errlen);
		if (crc != 0)
			return crc;
		if (hub_sentry_configure(err, errlen) < 0)
			return 2;
		g_up.level = UP_MODULES;
		return 0;
	}
	if (make_dirs(g_up.data_dir) != 0 ||
	    !realpath(g_up.data_dir, resolved)) {
		snprintf(err, errlen, "data directory %s: %s", g_up.data_dir,
			 strerror(errno));
		return 1;
	}
	snprintf(g_up.data_dir, sizeof(g_up.data_dir), "%s", resolved);
	if (mode == HUB_START_SERVER &&
	    hub_ops_server_lock(g_up.data_dir, err, errlen) != 0)
		return 1;
	if (hub_store_open(g_up.data_dir, err, errlen) != 0)
		return 1;
	g_up.level = UP_STORE;
	if (hub_id_init(err, errlen) != 0)
		return 2;
	g_up.level = UP_ID;
	if (hub_id_migrate(err, errlen) != 0)
		return 1;
	if (hub_cal_init(err, errlen) != 0)
		return 2;
	g_up.level = UP_CAL;
	if (hub_cal_migrate(err, errlen) != 0)
		return 1;
	if (hub_wh_init(err, errlen) != 0)
		return 2;
	if (hub_wh_migrate(err, errlen) != 0)
		return 1;
	if (mode == HUB_START_SERVER && start_redis(err, errlen) != 0)
		return 2;
	if (mode == HUB_START_SERVER && register_core(err, errlen) != 0)
		return 1;
	int mrc = hub_modules_load(hub_host_api(), 1, err, errlen);
	if (mrc != 0)
		return mrc;
	g_up.level = UP_MODULES;
	if (mode != HUB_START_SERVER)
		return 0;
	if (hub_conf_bool("server", "bootstrap_admin", 1) &&
	    hub_id_bootstrap_admin() != 0) {
		snprintf(err, errlen, "cannot create the first admin");
		return 1;
	}
	if (hub_sentry_configure(err, errlen) < 0)
		return 2;
	if (hub_sentry_start(err, errlen) != 0)
		return 1;
	hub_sentry_send_crashes(g_up.data_dir);
	if (hub_sched_start() != 0) {
		snprintf(err, errlen, "cannot start the scheduler");
		return 1;
	}
	g_up.level = UP_JOBS;
	return 0;
}

void hub_shutdown(void)
{
	if (g_up.level >= UP_JOBS)
		hub_sched_stop();
	hub_sentry_stop(2000);
	if (hub_health_wait_idle(5000) != 0) {
		/* a check that overran its budget still runs: leave its
		 * module, its registration and the store in place rather
		 * than pull them from under it; the process is exiting */
		hub_logf(HUB_LOG_WARN, "host",
			 "a health check is still running; exiting without "
			 "unloading modules");
		g_up.keep_store = 1;
	}
	if (g_up.level >= UP_MODULES && !g_up.keep_store)
		hub_modules_unload();
	if (g_up.level >= UP_CAL)
		hub_cal_shutdown();
	if (g_up.redis) {
		hub_rate_set_backend(NULL);
		hub_redis_stop();
		g_up.redis = 0;
	}
	if (g_up.level >= UP_ID && g_up.mode != HUB_START_CHECK)
		hub_id_shutdown();
	if (g_up.level >= UP_STORE && !g_up.keep_store)
		hub_store_close();
	if (g_up.mode == HUB_START_SERVER)
		hub_ops_server_unlock();
	hub_router_clear();
	hub_cache_clear();
	hub_conf_free();
	g_up.level = 0;
}
