/*
 * wh_http.c - the admin API of webhooks (role admin, API scope admin,
 * rate class "admin") and the service's registration:
 *   GET    /api/v1/admin/webhooks                  list (no secrets)
 *   POST   /api/v1/admin/webhooks {"url","events"} 201 with the secret,
 *                                                  shown this once
 *   DELETE /api/v1/admin/webhooks/{id}             204 (its log goes too)
 *   GET    /api/v1/admin/webhooks/{id}/deliveries  the delivery log
 */
#define _GNU_SOURCE
#include "hooks/wh_internal.h"

#include "base/log.h"
#include "hub_kit.h"
#include "hub_time.h"
#include "identity/identity.h"
#include "store/store.h"

#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOOKS 64

static const hub_api *g_api;

/* ============================================================ helpers */

static int db_error(hub_req *req)
{
	hub_logf(HUB_LOG_ERROR, "webhooks", "storage error in %s %s",
		 g_api->req_method(req), g_api->req_path(req));
	return g_api->reply_error(req, 503, "storage_unavailable",
				  "storage is unavailable; try again", NULL);
}

static void add_time(cJSON *o, const char *name, hub_stmt *st, int col)
{
	char buf[40];
	if (hub_col_type(st, col) != HUB_DB_NULL &&
	    hub_time_format(hub_col_int(st, col), buf) == 0)
		cJSON_AddStringToObject(o, name, buf);
	else
		cJSON_AddNullToObject(o, name);
}

/* ",a,b," -> ["a","b"] */
static cJSON *events_array(const char *stored)
{
	cJSON *a = cJSON_CreateArray();
	const char *p = stored;
	while (p && *p) {
		const char *e = strchr(p, ',');
		char buf[64];
		if (!e)
			e = p + strlen(p);
		if (e > p) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(e - p), p);
			cJSON_AddItemToArray(a, cJSON_CreateString(buf));
		}
		p = *e ? e + 1 : e;
	}
	return a;
}

/* The webhook id of the {id} parameter, or -1 (404 answered). */
static int64_t path_id(hub_req *req)
{
	long long id;
	if (hubkit_parse_int(g_api->req_param(req, "id"), 1, INT64_MAX, &id) !=
	    0) {
		g_api->reply_error(req, 404, "not_found", "no such webhook",
				   NULL);
		return -1;
	}
	return id;
}

/* limit 1..1000 (default 100) and cursor (an id); -1 after a 422. */
static int page_args(hub_req *req, long long *limit, long long *cursor)
{
	const char *l = g_api->req_query(req, "limit");
	const char *c = g_api->req_query(req, "cursor");
	*limit = 100;
	*cursor = 0;
	if (l && hubkit_parse_int(l, 1, 1000, limit) != 0)
		return hubkit_invalid(g_api, req, "limit", "must be 1 to 1000");
	if (c && hubkit_parse_int(c, 1, INT64_MAX, cursor) != 0)
		return hubkit_invalid(g_api, req, "cursor",
				      "is not a cursor of this list");
	return 0;
}

/* ================================================================ list */

static cJSON *hook_item(hub_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)hub_col_int(st, 0));
	cJSON_AddStringToObject(o, "url", hub_col_text(st, 1));
	cJSON_AddItemToObject(o, "events", events_array(hub_col_text(st, 2)));
	cJSON_AddStringToObject(o, "created_by", hub_col_text(st, 3));
	add_time(o, "created_at", st, 4);
	return o;
}

static int h_list(hub_req *req, void *ud)
{
	hub_db *db = g_api->db();
	hub_stmt *st = NULL;
	cJSON *o, *items;
	int rc;
	(void)ud;
	if (!db || hub_store_prepare(db,
				     "SELECT id, url, events, created_by, "
				     "created_at FROM webhooks ORDER BY id",
				     &st) != HUB_DB_OK)
		return db_error(req);
	o = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(o, "items");
	while ((rc = hub_stmt_step(st)) == HUB_DB_ROW)
		cJSON_AddItemToArray(items, hook_item(st));
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		cJSON_Delete(o);
		return db_error(req);
	}
	cJSON_AddNullToObject(o, "next_cursor");
	return hubkit_reply_cjson(g_api, req, 200, o);
}

/* ============================================================== create */

/* Reads "events" into ",a,b," form (known names, no duplicates, 1..4).
 * Returns 0, or -1 after answering 422. */
static int events_field(hub_req *req, const cJSON *body, char *out,
			size_t outlen)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(body, "events");
	const cJSON *e;
	size_t n;
	if (!cJSON_IsArray(ev) || cJSON_GetArraySize(ev) < 1)
		return hubkit_invalid(g_api, req, "events",
				      "must be a non-empty list of event "
				      "names");
	snprintf(out, outlen, ",");
	cJSON_ArrayForEach(e, ev)
	{
		char probe[80];
		int known = 0;
		if (!cJSON_IsString(e))
			return hubkit_invalid(g_api, req, "events",
					      "must hold strings");
		for (size_t i = 0; wh_event_names[i]; i++)
			known |= strcmp(e->valuestring, wh_event_names[i]) == 0;
		if (!known)
			return hubkit_invalid(
			    g_api, req, "events",
			    "must be booking.created, booking.cancelled, "
			    "booking.rescheduled or booking.outcome");
		snprintf(probe, sizeof(probe), ",%s,", e->valuestring);
		if (strstr(out, probe))
			return hubkit_invalid(g_api, req, "events",
					      "lists an event twice");
		n = strlen(out);
		snprintf(out + n, outlen - n, "%s,", e->valuestring);
	}
	return 0;
}

/* Number of webhooks, or -1. */
static int hook_count(hub_db *db)
{
	hub_stmt *st = NULL;
	int n = -1;
	if (hub_store_prepare(db, "SELECT COUNT(*) FROM webhooks", &st) ==
		HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		n = (int)hub_col_int(st, 0);
	hub_stmt_finalize(st);
	return n;
}

/* Inserts the webhook; *id gets its id. */
static int insert_hook(hub_db *db, const char *url, const char *events,
		       const unsigned char *sealed, size_t slen, const char *by,
		       int64_t now, int64_t *id)
{
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(
	    db,
	    "INSERT INTO webhooks (url, events, secret, created_by, "
	    "created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, url);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 2, events);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_blob(st, 3, sealed, slen);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 4, by);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 5, now);
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		*id = hub_col_int(st, 0);
		rc =
		    hub_stmt_step(st) == HUB_DB_DONE ? HUB_DB_OK : HUB_DB_ERROR;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	hub_stmt_finalize(st);
	return rc;
}

/* Validates the body into url and events; -1 after answering. */
static int create_args(hub_req *req, const cJSON *body, const char **url,
		       char *events, size_t evlen)
{
	static const char *const fields[] = {"url", "events", NULL};
	char why[200];
	wh_target t;
	if (hubkit_only_fields(g_api, req, body, fields) ||
	    hubkit_str_field(g_api, req, body, "url", 1, 1, 2000, url) ||
	    events_field(req, body, events, evlen))
		return -1;
	if (wh_target_check(*url, wh_cfg()->allow_private, &t, why,
			    sizeof(why)) != 0)
		return hubkit_invalid(g_api, req, "url", why);
	return 0;
}

static int h_create(hub_req *req, void *ud)
{
	const char *url = NULL;
	char events[128], secret[64], det[64];
	unsigned char *sealed = NULL;
	size_t slen = 0;
	int64_t id = 0, now = wh_now();
	cJSON *body = NULL, *o;
	hub_user me;
	hub_db *db;
	(void)ud;
	secret[0] = 0;
	if (hubkit_read_json(g_api, req, &body) != 0)
		return 0;
	if (create_args(req, body, &url, events, sizeof(events)) != 0)
		goto out;
	if (!(db = g_api->db())) {
		db_error(req);
		goto out;
	}
	if (hook_count(db) >= MAX_HOOKS) {
		g_api->reply_error(req, 409, "too_many",
				   "at most 64 webhooks; delete one first",
				   NULL);
		goto out;
	}
	if (g_api->req_user(req, &me) != 0)
		snprintf(me.username, sizeof(me.username), "unknown");
	if (wh_secret_new(secret) != 0 ||
	    wh_secret_seal(secret, &sealed, &slen) != 0) {
		g_api->reply_error(req, 503, "secret_key_unavailable",
				   "cannot protect the secret", NULL);
		goto out;
	}
	if (insert_hook(db, url, events, sealed, slen, me.username, now, &id) !=
	    HUB_DB_OK) {
		db_error(req);
		goto out;
	}
	snprintf(det, sizeof(det), "webhook %lld", (long long)id);
	g_api->audit(req, db, "webhook.create", det, url);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "url", url);
	cJSON_AddItemToObject(o, "events", events_array(events));
	cJSON_AddStringToObject(o, "secret", secret);
	cJSON_AddStringToObject(o, "created_by", me.username);
	{
		char ts[40];
		hub_time_format(now, ts);
		cJSON_AddStringToObject(o, "created_at", ts);
	}
	hubkit_reply_cjson(g_api, req, 201, o);
out:
	mbedtls_platform_zeroize(secret, sizeof(secret));
	free(sealed);
	cJSON_Delete(body);
	return 0;
}

/* ============================================================== delete */

static int h_delete(hub_req *req, void *ud)
{
	int64_t id = path_id(req);
	hub_stmt *st = NULL;
	char target[40];
	hub_db *db;
	int rc;
	(void)ud;
	if (id < 0)
		return 0;
	if (!(db = g_api->db()))
		return db_error(req);
	rc = hub_store_prepare(db, "DELETE FROM webhooks WHERE id = ?", &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE)
		return db_error(req);
	if (hub_store_changes(db) == 0)
		return g_api->reply_error(req, 404, "not_found",
					  "no such webhook", NULL);
	snprintf(target, sizeof(target), "webhook %lld", (long long)id);
	g_api->audit(req, db, "webhook.delete", target, NULL);
	return g_api->reply(req, 204, NULL, NULL, 0);
}

/* ========================================================== deliveries */

static cJSON *delivery_item(hub_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)hub_col_int(st, 0));
	cJSON_AddStringToObject(o, "event", hub_col_text(st, 1));
	cJSON_AddStringToObject(o, "subject", hub_col_text(st, 2));
	cJSON_AddStringToObject(o, "webhook_id_header", hub_col_text(st, 3));
	cJSON_AddStringToObject(o, "state", hub_col_text(st, 4));
	if (hub_col_type(st, 5) == HUB_DB_NULL)
		cJSON_AddNullToObject(o, "status_code");
	else
		cJSON_AddNumberToObject(o, "status_code",
					(double)hub_col_int(st, 5));
	cJSON_AddNumberToObject(o, "attempts", (double)hub_col_int(st, 6));
	cJSON_AddStringToObject(o, "last_error", hub_col_text(st, 7));
	add_time(o, "created_at", st, 8);
	add_time(o, "last_attempt_at", st, 9);
	add_time(o, "next_attempt_at", st, 10);
	add_time(o, "delivered_at", st, 11);
	return o;
}

/* 1 when webhook id exists, 0 when not, -1 on error. */
static int hook_exists(hub_db *db, int64_t id)
{
	hub_stmt *st = NULL;
	int rc =
	    hub_store_prepare(db, "SELECT 1 FROM webhooks WHERE id = ?", &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_ROW ? 1 : rc == HUB_DB_DONE ? 0 : -1;
}

static int h_deliveries(hub_req *req, void *ud)
{
	int64_t id = path_id(req), last = 0;
	long long limit, cursor;
	hub_stmt *st = NULL;
	cJSON *o, *items;
	int rc, n = 0, more = 0, ex;
	hub_db *db;
	(void)ud;
	if (id < 0 || page_args(req, &limit, &cursor) != 0)
		return 0;
	if (!(db = g_api->db()) || (ex = hook_exists(db, id)) < 0)
		return db_error(req);
	if (!ex)
		return g_api->reply_error(req, 404, "not_found",
					  "no such webhook", NULL);
	rc = hub_store_prepare(
	    db,
	    "SELECT id, event, subject, msg_id, state, status_code, "
	    "attempts, last_error, created_at, last_attempt_at, "
	    "CASE WHEN state = 'pending' THEN next_attempt_at END, "
	    "delivered_at FROM webhook_deliveries WHERE webhook_id = ? AND "
	    "id > ? ORDER BY id LIMIT ?",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, cursor);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 3, limit + 1);
	if (rc != HUB_DB_OK) {
		hub_stmt_finalize(st);
		return db_error(req);
	}
	o = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(o, "items");
	while ((rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		last = hub_col_int(st, 0);
		cJSON_AddItemToArray(items, delivery_item(st));
		n++;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_ROW && rc != HUB_DB_DONE) {
		cJSON_Delete(o);
		return db_error(req);
	}
	if (more) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)last);
		cJSON_AddStringToObject(o, "next_cursor", buf);
	} else {
		cJSON_AddNullToObject(o, "next_cursor");
	}
	return hubkit_reply_cjson(g_api, req, 200, o);
}

/* ======================================================== registration */

/* Health: degraded when deliveries were given up in the last day or the
 * oldest pending one waits longer than an hour. */
static void wh_health(void *ud, hub_health_result *out)
{
	hub_db *db = hub_store_db();
	hub_stmt *st = NULL;
	int64_t now = wh_now(), pending = 0, oldest = 0, failed = 0;
	(void)ud;
	out->status = HUB_HEALTH_OK;
	if (db &&
	    hub_store_prepare(
		db,
		"SELECT COUNT(CASE WHEN state = 'pending' THEN 1 END), "
		"MIN(CASE WHEN state = 'pending' THEN created_at END), "
		"COUNT(CASE WHEN state = 'failed' AND last_attempt_at > ? "
		"THEN 1 END) FROM webhook_deliveries",
		&st) == HUB_DB_OK &&
	    hub_stmt_bind_int(st, 1, now - 86400) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW) {
		pending = hub_col_int(st, 0);
		oldest = hub_col_type(st, 1) == HUB_DB_NULL
			     ? 0
			     : now - hub_col_int(st, 1);
		failed = hub_col_int(st, 2);
	} else {
		out->status = HUB_HEALTH_DEGRADED;
	}
	hub_stmt_finalize(st);
	if (out->status == HUB_HEALTH_OK && (failed || oldest > 3600))
		out->status = HUB_HEALTH_DEGRADED;
	snprintf(out->detail, sizeof(out->detail),
		 out->status == HUB_HEALTH_OK || pending || failed
		     ? "pending %lld, oldest %lld s, given up (24 h) %lld"
		     : "webhook state unreadable (storage)",
		 (long long)pending, (long long)oldest, (long long)failed);
}

int hub_wh_register(hub_ctx *core_ctx, const hub_api *api)
{
#define ADMIN_ROUTE(m, p, h)                                                   \
	{                                                                      \
		m, p, h, NULL, HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0     \
	}
	static const hub_route routes[] = {
	    ADMIN_ROUTE("GET", "/api/v1/admin/webhooks", h_list),
	    ADMIN_ROUTE("POST", "/api/v1/admin/webhooks", h_create),
	    ADMIN_ROUTE("DELETE", "/api/v1/admin/webhooks/{id}", h_delete),
	    ADMIN_ROUTE("GET", "/api/v1/admin/webhooks/{id}/deliveries",
			h_deliveries),
	};
#undef ADMIN_ROUTE
	hub_job job = {0};
	g_api = api;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(core_ctx, &routes[i]) != 0)
			return -1;
	job.name = "webhook_deliveries";
	job.interval_s = wh_cfg()->interval_s;
	job.cluster_once = 1;
	job.fn = wh_job_run;
	if (api->job(core_ctx, &job) != 0)
		return -1;
	return api->health_check(core_ctx, "webhooks", wh_health, NULL, 1000);
}
