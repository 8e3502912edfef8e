/*
 * id_http.h - shared by the HTTP handler files of core/src/identity
 * (helpers in id_http_util.c). Handlers reach the host only through the
 * hub_api table, as a module would: each handler file is given the table
 * and the core context when its routes are registered, and hands them to
 * these helpers.
 */
#ifndef HUB_ID_HTTP_H
#define HUB_ID_HTTP_H

#include "identity/id_internal.h"
#include "hub_kit.h"

/* What a handler file was given at registration. */
typedef struct id_http_host {
	const hub_api *api;
	hub_ctx *ctx; /* the core context the routes belong to */
} id_http_host;

/* The thread's connection; answers 503 and returns NULL when storage is
 * unavailable. */
hub_db *id_http_db(const id_http_host *h, hub_req *req);
/* Answers 503 storage_unavailable (after logging). Returns 0. */
int id_http_db_error(const id_http_host *h, hub_req *req);
/* {"id","username","role","disabled","consultant_id","totp_enabled",
 *  "must_change_password","must_setup_2fa","created_at","last_login_at"}.
 * Owned by the caller (or the object it is added to). */
cJSON *id_http_user_json(const id_user *u);
/* Appends an audit entry for request req: the actor is `actor`, else the
 * signed-in principal ("anonymous" when none); address and request id
 * are the request's. Returns 0 or -1 (hub_id_audit). */
int id_http_audit(const id_http_host *h, hub_req *req, hub_db *db,
		  const char *actor, const char *action, const char *target,
		  const char *detail);
/* Adds "name": RFC 3339 time (business zone) or null when t == 0. */
void id_http_add_time(cJSON *o, const char *name, int64_t t);

/* Registers GET / (the start page by role). Returns 0 or -1. */
int id_http_home_register(hub_ctx *ctx, const hub_api *api);

#endif
