/*
 * id_http.h - shared by the HTTP handler files of core/src/identity.
 * Handlers reach the host only through the hub_api table (g_id_api), as a
 * module would.
 */
#ifndef HUB_ID_HTTP_H
#define HUB_ID_HTTP_H

#include "identity/id_internal.h"
#include "hub_kit.h"

/* The thread's connection; answers 503 and returns NULL when storage is
 * unavailable. */
hub_db *id_http_db(hub_req *req);
/* Answers 503 storage_unavailable (after logging). Returns 0. */
int id_http_db_error(hub_req *req);
/* {"id","username","role","disabled","consultant_id","totp_enabled",
 *  "must_change_password","must_setup_2fa","created_at","last_login_at"}.
 * Owned by the caller (or the object it is added to). */
cJSON *id_http_user_json(const id_user *u);
/* Adds RateLimit-* and Retry-After headers for *ri. */
void id_http_rate_headers(hub_req *req, const hub_rate_info *ri);
/* Adds "name": RFC 3339 time (business zone) or null when t == 0. */
void id_http_add_time(cJSON *o, const char *name, int64_t t);

/* Registers GET / (the start page by role). Returns 0 or -1. */
int id_http_home_register(hub_ctx *ctx, const hub_api *api);

#endif
