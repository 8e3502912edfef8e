/*
 * host_api.c - the hub_api table handed to every module's init, and the
 * registration functions behind it. Registration is refused outside init
 * (the core's own context may register during start-up).
 */
#define _GNU_SOURCE
#include "cache/cache.h"
#include "calendar/calendar.h"
#include "hooks/hooks.h"
#include "host/host.h"
#include "host/host_admin.h"
#include "http/http.h"
#include "identity/identity.h"
#include "ops/sentry.h"
#include "sched/sched.h"
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ helpers */

static int may_register(hub_ctx *ctx, const char *what)
{
	if (!ctx)
		return 0;
	if (ctx == hub_core_ctx() || ctx->in_init)
		return 1;
	hub_logf(HUB_LOG_ERROR, ctx->name,
		 "%s: registration is only allowed during init", what);
	return 0;
}

static void api_log(hub_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ctx && ctx->in_init && level >= HUB_LOG_ERROR) {
		/* the loader quotes it if init then fails */
		va_list cp;
		va_copy(cp, ap);
		vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, cp);
		va_end(cp);
	}
	hub_logv(level, ctx ? ctx->name : "core", fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------- registration */

static int api_route(hub_ctx *ctx, const hub_route *r)
{
	if (!may_register(ctx, "route"))
		return -1;
	return hub_router_add(ctx, ctx->name, r);
}

static int api_static_dir(hub_ctx *ctx, const char *prefix, const char *dir)
{
	char path[8192];
	if (!may_register(ctx, "static_dir") || !dir)
		return -1;
	if (dir[0] == '/')
		snprintf(path, sizeof(path), "%s", dir);
	else
		snprintf(path, sizeof(path), "%s/%s", ctx->dir, dir);
	return hub_router_add_static(ctx, ctx->name, prefix, path);
}

static int value_ok(int type, const char *v)
{
	long long x;
	if (type == HUB_SETTING_INT)
		return hub_parse_ll(v, &x) == 0;
	if (type == HUB_SETTING_BOOL)
		return hub_parse_bool(v) >= 0;
	return 1;
}

static int api_setting(hub_ctx *ctx, const hub_setting *def)
{
	hub_reg_setting *v, *s;
	const char *value;
	size_t klen;
	if (!may_register(ctx, "setting") || !def || !def->key || !*def->key)
		return -1;
	for (size_t i = 0; i < ctx->nsettings; i++)
		if (!strcmp(ctx->settings[i].def.key, def->key)) {
			hub_logf(HUB_LOG_ERROR, ctx->name,
				 "setting %s declared twice", def->key);
			return -1;
		}
	klen = strlen(def->key);
	if (def->key[klen - 1] == '*') {
		/* a prefix: its keys are read with setting_each */
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(klen - 1),
			 def->key);
		hub_conf_each(ctx->section, prefix, NULL, NULL);
		value = NULL;
	} else {
		value = hub_conf_get(ctx->section, def->key);
		hub_conf_mark_used(ctx->section, def->key);
		if (value && !value_ok(def->type, value)) {
			snprintf(
			    ctx->error, sizeof(ctx->error),
			    "%s:%d: [%s] key '%s': must be %s", hub_conf_path(),
			    hub_conf_line(ctx->section, def->key), ctx->section,
			    def->key,
			    def->type == HUB_SETTING_INT ? "an integer"
							 : "true or false");
			return -1;
		}
		if (!value)
			value = def->default_value;
	}
	v = realloc(ctx->settings, (ctx->nsettings + 1) * sizeof(*v));
	if (!v)
		return -1;
	ctx->settings = v;
	s = &v[ctx->nsettings];
	memset(s, 0, sizeof(*s));
	s->def = *def;
	s->def.key = strdup(def->key);
	s->def.default_value =
	    def->default_value ? strdup(def->default_value) : NULL;
	s->def.help = def->help ? strdup(def->help) : NULL;
	/* value points into the configuration or our default copy */
	s->value = value == def->default_value ? s->def.default_value : value;
	if (!s->def.key)
		return -1;
	ctx->nsettings++;
	return 0;
}

static int api_migration(hub_ctx *ctx, int version, const char *sql,
			 const char *sql_pg)
{
	hub_migration_def *v;
	if (!may_register(ctx, "migration") || !sql || version < 1)
		return -1;
	if (ctx->nmigrations &&
	    ctx->migrations[ctx->nmigrations - 1].version >= version) {
		snprintf(ctx->error, sizeof(ctx->error),
			 "migration %d registered after %d: versions must "
			 "increase",
			 version,
			 ctx->migrations[ctx->nmigrations - 1].version);
		return -1;
	}
	v = realloc(ctx->migrations, (ctx->nmigrations + 1) * sizeof(*v));
	if (!v)
		return -1;
	ctx->migrations = v;
	v[ctx->nmigrations].version = version;
	v[ctx->nmigrations].sql = sql;
	v[ctx->nmigrations].sql_pg = sql_pg;
	ctx->nmigrations++;
	return 0;
}

static int api_health_check(hub_ctx *ctx, const char *name, hub_check_fn fn,
			    void *ud, unsigned budget_ms)
{
	hub_reg_check *v;
	if (!may_register(ctx, "health_check") || !name || !*name || !fn ||
	    strlen(name) >= sizeof(v->name))
		return -1;
	v = realloc(ctx->checks, (ctx->nchecks + 1) * sizeof(*v));
	if (!v)
		return -1;
	ctx->checks = v;
	snprintf(v[ctx->nchecks].name, sizeof(v->name), "%s", name);
	v[ctx->nchecks].fn = fn;
	v[ctx->nchecks].userdata = ud;
	v[ctx->nchecks].budget_ms = budget_ms ? budget_ms : 1000;
	v[ctx->nchecks].running = 0;
	ctx->nchecks++;
	return 0;
}

static int api_job(hub_ctx *ctx, const hub_job *job)
{
	if (!may_register(ctx, "job"))
		return -1;
	return hub_sched_add(ctx->name, job);
}

static int api_import_hook(hub_ctx *ctx, hub_import_fn fn, void *ud)
{
	hub_reg_import *v;
	if (!may_register(ctx, "import_hook") || !fn)
		return -1;
	v = realloc(ctx->imports, (ctx->nimports + 1) * sizeof(*v));
	if (!v)
		return -1;
	ctx->imports = v;
	v[ctx->nimports].fn = fn;
	v[ctx->nimports].userdata = ud;
	ctx->nimports++;
	return 0;
}

/* ----------------------------------------------------------- settings */

static const hub_reg_setting *find_setting(hub_ctx *ctx, const char *key)
{
	for (size_t i = 0; ctx && i < ctx->nsettings; i++)
		if (!strcmp(ctx->settings[i].def.key, key))
			return &ctx->settings[i];
	return NULL;
}

static const char *api_setting_str(hub_ctx *ctx, const char *key)
{
	const hub_reg_setting *s = find_setting(ctx, key);
	return s ? s->value : NULL;
}

static long long api_setting_int(hub_ctx *ctx, const char *key, long long def)
{
	long long x;
	return hub_parse_ll(api_setting_str(ctx, key), &x) == 0 ? x : def;
}

static int api_setting_bool(hub_ctx *ctx, const char *key, int def)
{
	int b = hub_parse_bool(api_setting_str(ctx, key));
	return b < 0 ? def : b;
}

static int api_setting_each(hub_ctx *ctx, const char *prefix,
			    void (*fn)(void *, const char *, const char *),
			    void *ud)
{
	if (!ctx || !prefix || !*prefix)
		return 0;
	return hub_conf_each(ctx->section, prefix, fn, ud);
}

static const char *api_server_setting(const char *key)
{
	static const char *const secret[] = {"secret_key",	 "sentry_dsn",
					     "postgres_url",	 "redis_url",
					     "credentials_file", NULL};
	char section[32];
	const char *dot = key ? strchr(key, '.') : NULL;
	const char *k = key;
	if (!key)
		return NULL;
	if (dot) {
		if ((size_t)(dot - key) >= sizeof(section) ||
		    !strncmp(key, "module.", 7))
			return NULL;
		snprintf(section, sizeof(section), "%.*s", (int)(dot - key),
			 key);
		k = dot + 1;
	} else {
		snprintf(section, sizeof(section), "server");
	}
	for (size_t i = 0; secret[i]; i++)
		if (!strcmp(k, secret[i]))
			return NULL;
	return hub_conf_get(section, k);
}

static const char *api_module_dir(hub_ctx *ctx)
{
	return ctx ? ctx->dir : NULL;
}

/* ------------------------------------------------------------- status */

static char *api_health_report(int *http_status)
{
	return hub_health_report(http_status);
}

static char *api_jobs_status(void)
{
	return hub_sched_status_json();
}

static void api_free_text(char *p)
{
	free(p);
}

/* -------------------------------------------------------------- table */

/* The host's error report (API table and server): names the module from
 * its context and hands the text to the Sentry client below. */
void hub_report_error(hub_ctx *ctx, const char *message)
{
	hub_sentry_report_module(ctx ? ctx->name : "core", message);
}

static const hub_api g_api = {
    .abi_version = HUB_ABI_VERSION,
    .size = sizeof(hub_api),
    .log = api_log,
    .route = api_route,
    .static_dir = api_static_dir,
    .setting = api_setting,
    .migration = api_migration,
    .health_check = api_health_check,
    .job = api_job,
    .import_hook = api_import_hook,
    .setting_str = api_setting_str,
    .setting_int = api_setting_int,
    .setting_bool = api_setting_bool,
    .server_setting = api_server_setting,
    .module_dir = api_module_dir,
    .req_method = hub_req_method,
    .req_path = hub_req_path,
    .req_param = hub_req_param,
    .req_query = hub_req_query,
    .req_header = hub_req_header,
    .req_body = hub_req_body,
    .req_client = hub_req_client,
    .req_id = hub_req_id,
    .req_user = hub_req_user,
    .req_alloc = hub_req_alloc,
    .reply_header = hub_reply_header,
    .reply = hub_reply,
    .reply_json = hub_reply_json,
    .reply_error = hub_reply_error,
    .db = hub_store_db,
    .db_prepare = hub_store_prepare,
    .db_exec = hub_store_exec,
    .db_begin = hub_store_begin,
    .db_commit = hub_store_commit,
    .db_rollback = hub_store_rollback,
    .db_transaction = hub_store_transaction,
    .db_last_id = hub_store_last_id,
    .db_changes = hub_store_changes,
    .db_errmsg = hub_store_errmsg,
    .db_dialect = hub_store_dialect,
    .stmt_bind_text = hub_stmt_bind_text,
    .stmt_bind_int = hub_stmt_bind_int,
    .stmt_bind_double = hub_stmt_bind_double,
    .stmt_bind_null = hub_stmt_bind_null,
    .stmt_bind_blob = hub_stmt_bind_blob,
    .stmt_step = hub_stmt_step,
    .stmt_reset = hub_stmt_reset,
    .stmt_finalize = hub_stmt_finalize,
    .col_count = hub_col_count,
    .col_type = hub_col_type,
    .col_int = hub_col_int,
    .col_double = hub_col_double,
    .col_text = hub_col_text,
    .col_blob = hub_col_blob,
    .rate_hit = hub_rate_hit,
    .audit = hub_audit,
    .cache_get = hub_cache_get,
    .cache_put = hub_cache_put,
    .cache_del = hub_cache_del,
    .cache_free = hub_cache_free,
    .cal_backend = hub_cal_backend,
    .cal_events = hub_cal_events,
    .cal_events_many = hub_cal_events_many,
    .cal_free = hub_cal_free,
    .cal_outbox_put = hub_cal_outbox_put,
    .cal_sync_soon = hub_cal_sync_soon,
    .report_error = hub_report_error,
    .metric_add = hub_metric_add,
    .health_report = api_health_report,
    .storage_ready = hub_health_storage_ready,
    .metrics_text = hub_metrics_render,
    .jobs_status = api_jobs_status,
    .free_text = api_free_text,
    .setting_each = api_setting_each,
    .abi_minor = HUB_ABI_MINOR,
    .event_put = hub_wh_event_put,
    .user_get = hub_id_user_get,
    .cache_invalidate = hub_cache_invalidate,
    .log_query = hub_admin_log_query,
    .backup_list = hub_admin_backups,
    .backup_create = hub_admin_backup_create,
    .backup_verify = hub_admin_backup_verify,
    .backup_read = hub_admin_backup_read,
    .job_run = hub_admin_job_run,
    .outbox_list = hub_admin_outbox,
    .outbox_retry = hub_admin_outbox_retry,
    .config_dump = hub_admin_config,
    .runtime_get = hub_admin_runtime_get,
    .runtime_set = hub_admin_runtime_set,
    .calendar_sync = hub_admin_calendar_sync,
    .db_transaction_rowlocked = hub_store_transaction_rowlocked,
    .cache_epoch = hub_cache_epoch,
};

const hub_api *hub_host_api(void)
{
	return &g_api;
}
