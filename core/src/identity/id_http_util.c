/*
 * id_http_util.c - the small helpers the identity handler files share:
 * storage errors, users as JSON, times.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"
#include "hub_time.h"

#include <stdio.h>
#include <string.h>

hub_db *id_http_db(const id_http_host *h, hub_req *req)
{
	hub_db *db = h->api->db();
	if (!db)
		id_http_db_error(h, req);
	return db;
}

int id_http_db_error(const id_http_host *h, hub_req *req)
{
	h->api->log(h->ctx, HUB_LOG_ERROR, "identity: storage error in %s %s",
		    h->api->req_method(req), h->api->req_path(req));
	h->api->reply_error(req, 503, "storage_unavailable",
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

int id_http_audit(const id_http_host *h, hub_req *req, hub_db *db,
		  const char *actor, const char *action, const char *target,
		  const char *detail)
{
	hub_user u;
	if (!actor)
		actor =
		    h->api->req_user(req, &u) == 0 ? u.username : "anonymous";
	return hub_id_audit(db, actor, h->api->req_client(req),
			    h->api->req_id(req), action, target, detail);
}
