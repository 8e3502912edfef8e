/*
 * id_http.c - registration of the identity routes and the sign-in pages,
 * and the small helpers the handler files share.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"
#include "hub_time.h"

#include <stdio.h>
#include <string.h>

const hub_api *g_id_api;
static hub_ctx *g_id_ctx; /* the core context the routes belong to */

#ifndef HUB_SOURCE_DIR
#define HUB_SOURCE_DIR "."
#endif

hub_db *id_http_db(hub_req *req)
{
	hub_db *db = g_id_api->db();
	if (!db)
		id_http_db_error(req);
	return db;
}

int id_http_db_error(hub_req *req)
{
	g_id_api->log(g_id_ctx, HUB_LOG_ERROR,
		      "identity: storage error in %s %s",
		      g_id_api->req_method(req), g_id_api->req_path(req));
	g_id_api->reply_error(req, 503, "storage_unavailable",
			      "storage is unavailable; try again", NULL);
	return 0;
}

void id_http_add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[40];
	if (t > 0 && hub_time_format(t, buf) == 0)
		cJSON_AddStringToObject(o, name, buf);
	else
		cJSON_AddNullToObject(o, name);
}

cJSON *id_http_user_json(const id_user *u)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)u->id);
	cJSON_AddStringToObject(o, "username", u->username);
	cJSON_AddStringToObject(o, "role", id_role_name(u->role));
	cJSON_AddBoolToObject(o, "disabled", u->disabled);
	if (u->consultant_id > 0)
		cJSON_AddNumberToObject(o, "consultant_id",
					(double)u->consultant_id);
	else
		cJSON_AddNullToObject(o, "consultant_id");
	cJSON_AddBoolToObject(o, "totp_enabled", u->totp_enabled);
	cJSON_AddBoolToObject(o, "must_change_password", u->must_change);
	cJSON_AddBoolToObject(o, "must_setup_2fa", id_user_needs_2fa_setup(u));
	id_http_add_time(o, "created_at", u->created_at);
	id_http_add_time(o, "last_login_at", u->last_login_at);
	if (u->language[0])
		cJSON_AddStringToObject(o, "language", u->language);
	else
		cJSON_AddNullToObject(o, "language");
	return o;
}

void id_http_rate_headers(hub_req *req, const hub_rate_info *ri)
{
	char v[32];
	snprintf(v, sizeof(v), "%u", ri->limit);
	g_id_api->reply_header(req, "RateLimit-Limit", v);
	snprintf(v, sizeof(v), "%u", ri->remaining);
	g_id_api->reply_header(req, "RateLimit-Remaining", v);
	snprintf(v, sizeof(v), "%u", ri->reset_s);
	g_id_api->reply_header(req, "RateLimit-Reset", v);
	if (!ri->allowed) {
		snprintf(v, sizeof(v), "%u",
			 ri->retry_after ? ri->retry_after : 1);
		g_id_api->reply_header(req, "Retry-After", v);
	}
}

/* Registers /api/v1/auth/..., /api/v1/admin/{users,tokens,audit} and the
 * pages under /auth (served from the source tree, HUB_SOURCE_DIR, until
 * the install layout exists). Returns 0 or -1. */
int hub_id_register_routes(hub_ctx *core_ctx, const hub_api *api)
{
	if (!api)
		return -1;
	g_id_api = api;
	g_id_ctx = core_ctx;
	if (id_http_auth_register(core_ctx, api) != 0 ||
	    id_http_admin_register(core_ctx, api) != 0 ||
	    id_http_home_register(core_ctx, api) != 0)
		return -1;
	return api->static_dir(core_ctx, "/auth",
			       HUB_SOURCE_DIR "/core/web/auth");
}
