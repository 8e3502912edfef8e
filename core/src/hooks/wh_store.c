/*
 * wh_store.c - the webhook service's configuration, tables and events:
 * hub_wh_init ([webhooks] keys), hub_wh_migrate (module core_webhooks),
 * hub_wh_event_put (delivery rows written inside the caller's
 * transaction), secrets sealed with the server key, hub_wh_register (job,
 * health check, admin routes).
 */
#define _GNU_SOURCE
#include "hooks/wh_internal.h"

#include "base/conf.h"
#include "base/log.h"
#include "hub_time.h"
#include "identity/id_internal.h"
#include "identity/identity.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DATA_JSON (64 * 1024)
#define SECRET_AAD    "webhook-secret"

const char *const wh_event_names[] = {"booking.created", "booking.cancelled",
				      "booking.rescheduled", "booking.outcome",
				      NULL};

static wh_config g_cfg = {0, 10000, 5, 10, 3600, 86400};

const wh_config *wh_cfg(void)
{
	return &g_cfg;
}

void wh_cfg_set(const wh_config *c)
{
	g_cfg = *c;
}

int64_t wh_now(void)
{
	return (int64_t)time(NULL);
}

/* ======================================================= configuration */

int hub_wh_init(char *err, size_t errlen)
{
	wh_config c = g_cfg;
	(void)err;
	(void)errlen;
	/* ranges are checked by the configuration loader */
	c.allow_private = hub_conf_bool("webhooks", "allow_private", 0);
	c.timeout_ms = (unsigned)hub_conf_int("webhooks", "timeout_ms", 10000);
	c.interval_s = (unsigned)hub_conf_int("webhooks", "interval_s", 5);
	c.retry_first_s =
	    (unsigned)hub_conf_int("webhooks", "retry_first_s", 10);
	c.retry_max_s = (unsigned)hub_conf_int("webhooks", "retry_max_s", 3600);
	c.retry_for_s =
	    (unsigned)hub_conf_int("webhooks", "retry_for_s", 86400);
	if (c.retry_max_s < c.retry_first_s)
		c.retry_max_s = c.retry_first_s;
	g_cfg = c;
	return 0;
}

/* ========================================================== migrations */

#define HOOK_COLUMNS                                                           \
	" url TEXT NOT NULL,"                                                  \
	" events TEXT NOT NULL,"                                               \
	" created_by TEXT NOT NULL DEFAULT '',"                                \
	" created_at BIGINT NOT NULL,"
#define DELIVERY_COLUMNS                                                       \
	" webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE "      \
	"CASCADE,"                                                             \
	" msg_id TEXT NOT NULL,"                                               \
	" event TEXT NOT NULL,"                                                \
	" subject TEXT NOT NULL,"                                              \
	" body TEXT NOT NULL,"                                                 \
	" state TEXT NOT NULL DEFAULT 'pending'"                               \
	"  CHECK (state IN ('pending', 'delivered', 'failed')),"               \
	" attempts INTEGER NOT NULL DEFAULT 0,"                                \
	" status_code INTEGER,"                                                \
	" last_error TEXT NOT NULL DEFAULT '',"                                \
	" next_attempt_at BIGINT NOT NULL,"                                    \
	" last_attempt_at BIGINT,"                                             \
	" created_at BIGINT NOT NULL,"                                         \
	" delivered_at BIGINT);"                                               \
	"CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, "   \
	"id);"                                                                 \
	"CREATE INDEX webhook_deliveries_hook ON webhook_deliveries "          \
	"(webhook_id, id);"                                                    \
	"CREATE INDEX webhook_deliveries_queue ON webhook_deliveries "         \
	"(webhook_id, subject, state, id);"

/* AUTOINCREMENT: ids never reused, so id order is event order. */
static const char mig1[] =
    "CREATE TABLE webhooks (id INTEGER PRIMARY KEY AUTOINCREMENT," HOOK_COLUMNS
    " secret BLOB NOT NULL);"
    "CREATE TABLE webhook_deliveries (id INTEGER PRIMARY KEY "
    "AUTOINCREMENT," DELIVERY_COLUMNS;
static const char mig1_pg[] =
    "CREATE TABLE webhooks (id BIGSERIAL PRIMARY KEY," HOOK_COLUMNS
    " secret BYTEA NOT NULL);"
    "CREATE TABLE webhook_deliveries (id BIGSERIAL PRIMARY "
    "KEY," DELIVERY_COLUMNS;

int hub_wh_migrate(char *err, size_t errlen)
{
	static const hub_migration_def defs[] = {{1, mig1, mig1_pg}};
	return hub_store_migrate("core_webhooks", defs,
				 sizeof(defs) / sizeof(defs[0]), err, errlen);
}

/* ============================================================= secrets */

int wh_secret_seal(const char *secret, unsigned char **out, size_t *outlen)
{
	return id_seal(secret, strlen(secret), SECRET_AAD, out, outlen);
}

char *wh_secret_open(const void *blob, size_t len)
{
	unsigned char *pt = NULL;
	size_t n = 0;
	if (id_open(blob, len, SECRET_AAD, &pt, &n) != 0)
		return NULL;
	return (char *)pt;
}

/* ============================================================== events */

/* 1 when `type` is a known event name. */
static int known_event(const char *type)
{
	for (size_t i = 0; wh_event_names[i]; i++)
		if (strcmp(type, wh_event_names[i]) == 0)
			return 1;
	return 0;
}

/* The delivery body {"type","timestamp","data"}; owned, free(). */
static char *event_body(const char *type, const char *data_json, int64_t now)
{
	char ts[40], *out = NULL;
	cJSON *o = cJSON_CreateObject(), *data = cJSON_Parse(data_json);
	if (o && cJSON_IsObject(data) && hub_time_format_utc(now, ts) == 0) {
		cJSON_AddStringToObject(o, "type", type);
		cJSON_AddStringToObject(o, "timestamp", ts);
		cJSON_AddItemToObject(o, "data", data);
		data = NULL;
		out = cJSON_PrintUnformatted(o);
	}
	cJSON_Delete(data);
	cJSON_Delete(o);
	return out;
}

/* Inserts one delivery row. */
static int insert_delivery(hub_db *db, int64_t hook, const char *msg_id,
			   const char *type, const char *subject,
			   const char *body, int64_t now)
{
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(
	    db,
	    "INSERT INTO webhook_deliveries (webhook_id, msg_id, event, "
	    "subject, body, state, attempts, next_attempt_at, created_at) "
	    "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, hook);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 2, msg_id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 3, type);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 4, subject);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 5, body);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 6, now);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 7, now);
	if (rc == HUB_DB_OK) {
		rc = hub_stmt_step(st);
		rc = rc == HUB_DB_DONE ? HUB_DB_OK : rc;
	}
	hub_stmt_finalize(st);
	return rc;
}

/* Subscribed webhook ids of `type` into ids (at most cap). Returns the
 * count or a negative HUB_DB_* error. */
static int subscribers(hub_db *db, const char *type, int64_t *ids, int cap)
{
	char pat[64];
	hub_stmt *st = NULL;
	int n = 0, rc;
	snprintf(pat, sizeof(pat), "%%,%s,%%", type);
	rc = hub_store_prepare(db,
			       "SELECT id FROM webhooks WHERE events LIKE ? "
			       "ORDER BY id",
			       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, pat);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		if (n < cap)
			ids[n++] = hub_col_int(st, 0);
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE || rc == HUB_DB_OK ? n : rc;
}

int hub_wh_event_put(hub_db *db, const char *type, const char *subject,
		     const char *data_json)
{
	int64_t ids[64], now = wh_now();
	unsigned char rnd[16];
	char msg_id[40], *body = NULL;
	int n, rc = HUB_DB_OK;

	if (!db || !type || !known_event(type) || !subject || !subject[0] ||
	    strlen(subject) > 128 || !data_json ||
	    strlen(data_json) > MAX_DATA_JSON) {
		hub_logf(HUB_LOG_WARN, "webhooks",
			 "event_put refused: needs a known type, a subject "
			 "of 1..128 bytes and a JSON object of at most 64 KiB");
		return HUB_DB_EMISUSE;
	}
	n = subscribers(db, type, ids, 64);
	if (n <= 0)
		return n;
	body = event_body(type, data_json, now);
	if (!body) {
		hub_logf(HUB_LOG_WARN, "webhooks",
			 "event_put refused: data is not a JSON object");
		return HUB_DB_EMISUSE;
	}
	if (hub_random(rnd, sizeof(rnd)) != 0) {
		free(body);
		return HUB_DB_ERROR;
	}
	memcpy(msg_id, "msg_", 4);
	id_hex(rnd, sizeof(rnd), msg_id + 4);
	for (int i = 0; i < n && rc == HUB_DB_OK; i++)
		rc = insert_delivery(db, ids[i], msg_id, type, subject, body,
				     now);
	free(body);
	return rc;
}
