/*
 * admin module - the admin console: the generic admin routes of
 * /api/v1/admin (server log, backups, jobs, calendar outbox, effective
 * configuration, run-time settings) on top of the host's admin functions
 * (hub_api v1.2), and the console's pages under /admin/. Users, tokens
 * and the audit log are served by the core's identity service, blocked
 * days, consultants and the CSV export by the booking module; the pages
 * use all of them.
 *
 * Every route is role admin (API scope admin), rate class "admin"; the
 * router checks CSRF on writes. Every change is audited.
 */
#include "admin_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const hub_api *admin_api;
hub_ctx *admin_ctx;

int admin_reply_text(hub_req *req, int status, char *text, int list,
		     const char *cursor, const char *what)
{
	const hub_api *A = admin_api;
	char msg[160];
	if (!text) {
		snprintf(msg, sizeof(msg), "%s unavailable", what);
		return A->reply_error(req, 503, "unavailable", msg, NULL);
	}
	if (list) {
		size_t n = strlen(text) + 64 + (cursor ? strlen(cursor) : 0);
		char *out = A->req_alloc(req, n);
		if (!out) {
			A->free_text(text);
			return A->reply_error(req, 500, "internal",
					      "out of memory", NULL);
		}
		snprintf(out, n, "{\"items\":%s,\"next_cursor\":%s%s%s}", text,
			 cursor ? "\"" : "", cursor ? cursor : "null",
			 cursor ? "\"" : "");
		A->free_text(text);
		return A->reply_json(req, status, out);
	}
	A->reply_json(req, status, text);
	A->free_text(text);
	return 0;
}

int admin_limit(hub_req *req, long long *limit)
{
	const char *l = admin_api->req_query(req, "limit");
	*limit = 100;
	if (l && hubkit_parse_int(l, 1, 1000, limit) != 0)
		return hubkit_invalid(admin_api, req, "limit",
				      "must be 1 to 1000");
	return 0;
}

#define ADMIN_ROUTE(m, p, h)                                                   \
	{                                                                      \
		m, p, h, NULL, HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0     \
	}

static const hub_route routes[] = {
    ADMIN_ROUTE("GET", "/api/v1/admin/logs", admin_h_logs),
    ADMIN_ROUTE("GET", "/api/v1/admin/config", admin_h_config),
    ADMIN_ROUTE("GET", "/api/v1/admin/settings", admin_h_settings_get),
    ADMIN_ROUTE("PATCH", "/api/v1/admin/settings", admin_h_settings_patch),
    ADMIN_ROUTE("GET", "/api/v1/admin/backups", admin_h_backups),
    ADMIN_ROUTE("POST", "/api/v1/admin/backups", admin_h_backup_create),
    ADMIN_ROUTE("GET", "/api/v1/admin/backups/{name}", admin_h_backup_get),
    ADMIN_ROUTE("POST", "/api/v1/admin/backups/{name}/verify",
		admin_h_backup_verify),
    ADMIN_ROUTE("GET", "/api/v1/admin/jobs", admin_h_jobs),
    ADMIN_ROUTE("POST", "/api/v1/admin/jobs/{name}/run", admin_h_job_run),
    ADMIN_ROUTE("GET", "/api/v1/admin/outbox", admin_h_outbox),
    ADMIN_ROUTE("POST", "/api/v1/admin/outbox/{id}/retry",
		admin_h_outbox_retry),
    ADMIN_ROUTE("GET", "/api/v1/admin/calendar-sync", admin_h_calendar_sync),
};

static int admin_init(hub_ctx *ctx, const hub_api *a)
{
	const char *tz;
	admin_api = a;
	admin_ctx = ctx;
	if (!HUB_API_HAS(a, calendar_sync)) {
		a->log(ctx, HUB_LOG_ERROR,
		       "host too old: the admin functions (API 1.2) are "
		       "missing");
		return -1;
	}
	tz = a->server_setting("timezone");
	if (hub_time_init(tz && *tz ? tz : "Europe/Berlin") != 0) {
		a->log(ctx, HUB_LOG_ERROR, "unknown time zone '%s'",
		       tz ? tz : "");
		return -1;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (a->route(ctx, &routes[i]) != 0)
			return -1;
	return a->static_dir(ctx, "/admin", "web");
}

HUB_MODULE_DEFINE("admin", "1.0.0",
		  "admin console: logs, backups, jobs, outbox, configuration",
		  admin_init, NULL);
