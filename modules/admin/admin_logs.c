/*
 * admin_logs.c - GET /api/v1/admin/logs (this server's latest log records
 * from the host's in-memory ring), GET /api/v1/admin/config (the
 * effective configuration, secrets as "***"), GET|PATCH
 * /api/v1/admin/settings (run-time settings kept in the database:
 * require_2fa, overriding [auth] require_2fa on every server).
 */
#include "admin_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "debug" < "info" < "warn" < "error"; -1 for anything else. */
static int level_parse(const char *s)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* since: RFC 3339 or a date (midnight in the business zone), as UTC ms. */
static int since_parse(const char *s, int64_t *ms)
{
	hub_date d;
	int64_t t;
	if (hub_time_parse(s, &t) != 0 &&
	    (hub_date_parse(s, &d) != 0 || hub_time_from_local(d, 0, 0, &t)))
		return -1;
	*ms = t * 1000;
	return 0;
}

int admin_h_logs(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	const char *lv = A->req_query(req, "level");
	const char *since = A->req_query(req, "since");
	const char *q = A->req_query(req, "q");
	const char *cur = A->req_query(req, "cursor");
	long long limit, before = 0;
	int64_t since_ms = 0;
	uint64_t next = 0;
	int level = HUB_LOG_DEBUG;
	char cbuf[32];
	char *text;
	(void)ud;
	if (lv && *lv && (level = level_parse(lv)) < 0)
		return hubkit_invalid(A, req, "level",
				      "must be debug, info, warn or error");
	if (since && *since && since_parse(since, &since_ms) != 0)
		return hubkit_invalid(A, req, "since",
				      "must be RFC 3339 or YYYY-MM-DD");
	if (q && (strlen(q) > 200 || !hubkit_utf8_valid(q, strlen(q))))
		return hubkit_invalid(A, req, "q",
				      "must be UTF-8 of at most 200 bytes");
	if (cur && hubkit_parse_int(cur, 1, INT64_MAX, &before) != 0)
		return hubkit_invalid(A, req, "cursor",
				      "is not a cursor of this list");
	if (admin_limit(req, &limit) != 0)
		return 0;
	text = A->log_query(level, since_ms, q, (uint64_t)before, (size_t)limit,
			    &next);
	snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)next);
	return admin_reply_text(req, 200, text, 1, next ? cbuf : NULL,
				"the log");
}

int admin_h_config(hub_req *req, void *ud)
{
	(void)ud;
	return admin_reply_text(req, 200, admin_api->config_dump(), 0, NULL,
				"the configuration");
}

/* {"require_2fa": bool, "require_2fa_source": "database"|"config"} */
static int reply_settings(hub_req *req, int status)
{
	char v[16], out[128];
	int src = admin_api->runtime_get("auth.require_2fa", v, sizeof(v));
	snprintf(out, sizeof(out),
		 "{\"require_2fa\":%s,\"require_2fa_source\":\"%s\"}",
		 !strcmp(v, "true") ? "true" : "false",
		 src == 1 ? "database" : "config");
	return admin_api->reply_json(req, status, out);
}

int admin_h_settings_get(hub_req *req, void *ud)
{
	(void)ud;
	return reply_settings(req, 200);
}

int admin_h_settings_patch(hub_req *req, void *ud)
{
	static const char *const fields[] = {"require_2fa", NULL};
	const hub_api *A = admin_api;
	cJSON *body = NULL;
	const cJSON *v;
	hub_db *db;
	int rc;
	(void)ud;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, fields) != 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(body, "require_2fa");
	if (!cJSON_IsBool(v)) {
		hubkit_invalid(A, req, "require_2fa", "must be true or false");
		goto out;
	}
	if (!(db = A->db())) {
		A->reply_error(req, 503, "storage", "storage unavailable",
			       NULL);
		goto out;
	}
	rc = A->runtime_set(db, "auth.require_2fa",
			    cJSON_IsTrue(v) ? "true" : "false");
	if (rc != HUB_DB_OK) {
		A->reply_error(req, 503, "storage", "storage unavailable",
			       NULL);
		goto out;
	}
	A->audit(req, db, "settings.update", "require_2fa",
		 cJSON_IsTrue(v) ? "on" : "off");
	reply_settings(req, 200);
out:
	cJSON_Delete(body);
	return 0;
}
