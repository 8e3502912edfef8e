/*
 * cal_outbox_admin.c - the outbox as the admin console sees it: calendar
 * writes not yet delivered (pending, or failed for good) listed page by
 * page, and a retry that puts a row back in line for the delivery job at
 * once (also a write the calendar refused for good).
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "hub_time.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds an RFC 3339 time or null. */
static void add_time(cJSON *o, const char *key, int64_t t)
{
	char buf[40];
	if (t > 0 && hub_time_format(t, buf) == 0)
		cJSON_AddStringToObject(o, key, buf);
	else
		cJSON_AddNullToObject(o, key);
}

/* One row (id, op, hub_key, state, attempts, last_error, created_at,
 * next_attempt_at) as an item. */
static cJSON *row_item(hub_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)hub_col_int(st, 0));
	cJSON_AddStringToObject(o, "op", hub_col_text(st, 1));
	cJSON_AddStringToObject(o, "hub_key", hub_col_text(st, 2));
	cJSON_AddStringToObject(o, "state", hub_col_text(st, 3));
	cJSON_AddNumberToObject(o, "attempts", (double)hub_col_int(st, 4));
	if (*hub_col_text(st, 5))
		cJSON_AddStringToObject(o, "last_error", hub_col_text(st, 5));
	else
		cJSON_AddNullToObject(o, "last_error");
	add_time(o, "created_at", hub_col_int(st, 6));
	add_time(o, "next_attempt_at",
		 strcmp(hub_col_text(st, 3), "pending") == 0
		     ? hub_col_int(st, 7)
		     : 0);
	return o;
}

char *hub_cal_outbox_list(hub_db *db, const char *state, int64_t after_id,
			  int limit, int64_t *next)
{
	hub_stmt *st = NULL;
	cJSON *arr = cJSON_CreateArray();
	char *out = NULL;
	int64_t last = 0;
	int rc, n = 0, more = 0;
	*next = 0;
	if (!arr || !db || limit < 1)
		goto done;
	rc = hub_store_prepare(
	    db,
	    "SELECT id, op, hub_key, state, attempts, last_error, "
	    "created_at, next_attempt_at FROM cal_outbox WHERE id > ? AND "
	    "(state = ? OR (? = '' AND state IN ('pending', 'failed'))) "
	    "ORDER BY id LIMIT ?",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, after_id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 2, state ? state : "");
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 3, state ? state : "");
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 4, (int64_t)limit + 1);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		rc = HUB_DB_OK;
		if (n == limit) { /* one more exists: a next page */
			more = 1;
			rc = HUB_DB_DONE;
			break;
		}
		last = hub_col_int(st, 0);
		cJSON_AddItemToArray(arr, row_item(st));
		n++;
	}
	if (rc == HUB_DB_DONE) {
		*next = more ? last : 0;
		out = cJSON_PrintUnformatted(arr);
	}
done:
	hub_stmt_finalize(st);
	cJSON_Delete(arr);
	return out;
}

int hub_cal_outbox_retry(hub_db *db, int64_t id)
{
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db,
				   "UPDATE cal_outbox SET state = 'pending', "
				   "next_attempt_at = ? WHERE id = ? AND "
				   "state IN ('pending', 'failed')",
				   &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, hub_cal_now());
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, id);
	if (rc == HUB_DB_OK) {
		rc = hub_stmt_step(st);
		rc = rc == HUB_DB_DONE ? HUB_DB_OK
				       : (rc < 0 ? rc : HUB_DB_ERROR);
	}
	hub_stmt_finalize(st);
	if (rc == HUB_DB_OK && hub_store_changes(db) == 0)
		rc = HUB_DB_ENOTFOUND;
	if (rc == HUB_DB_OK)
		hub_cal_sync_soon();
	return rc;
}

/* ========================================================= sync state */

char *hub_cal_sync_status(hub_db *db)
{
	hub_stmt *st = NULL;
	cJSON *arr = cJSON_CreateArray();
	char *out = NULL;
	int rc;
	if (!arr || !db)
		goto done;
	rc = hub_store_prepare(db,
			       "SELECT calendar_id, last_ok, last_attempt, "
			       "last_error FROM cal_sync_state ORDER BY "
			       "calendar_id",
			       &st);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		rc = HUB_DB_OK;
		if (!o)
			break;
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "calendar_id", hub_col_text(st, 0));
		add_time(o, "last_ok", hub_col_int(st, 1));
		add_time(o, "last_attempt", hub_col_int(st, 2));
		if (*hub_col_text(st, 3))
			cJSON_AddStringToObject(o, "last_error",
						hub_col_text(st, 3));
		else
			cJSON_AddNullToObject(o, "last_error");
	}
	if (rc == HUB_DB_DONE)
		out = cJSON_PrintUnformatted(arr);
done:
	hub_stmt_finalize(st);
	cJSON_Delete(arr);
	return out;
}
