/*
 * booking_http_cons.c - the consultants' admin routes:
 *   GET /api/v1/admin/consultants        every consultant, inactive too
 *   POST /api/v1/admin/consultants       {"name","calendar_id"?,"email"?,
 *                                        "capacity"?,"active"?} -> 201
 *   PATCH /api/v1/admin/consultants/{id} any of those fields
 * Consultants live in the database (the configuration's list only seeds
 * an empty table). Each change bumps the stored generation in its
 * transaction, so GET /api/v1/slots on every server shows it at once, and
 * is audited with the fields it set.
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ======================================================== writing */

typedef struct cons_tx {
	hub_req *req;
	int64_t id; /* 0 = insert */
	const char *name, *email, *calendar_id;
	int capacity, active; /* -1 = unchanged */
	int insert;	      /* set by cons_fn */
} cons_tx;

/* "name X; capacity 2; inactive" - what a change set, for the audit log. */
static void cons_detail(const cons_tx *t, char *out, size_t n)
{
	char cap[24] = "";
	if (t->capacity >= 0)
		snprintf(cap, sizeof(cap), "; capacity %d", t->capacity);
	snprintf(out, n, "%s%.120s%s%.120s%s%s", t->name ? "name " : "",
		 t->name ? t->name : "", t->calendar_id ? "; calendar " : "",
		 t->calendar_id ? t->calendar_id : "", cap,
		 t->active == 1	  ? "; active"
		 : t->active == 0 ? "; inactive"
				  : "");
}

static int cons_fn(hub_db *db, void *ud)
{
	cons_tx *t = ud;
	hub_stmt *st = NULL;
	int64_t now = (int64_t)time(NULL);
	char target[40], detail[400];
	int rc;

	t->insert = t->id == 0;
	if (t->id == 0) {
		hubkit_arg args[] = {
		    HUBKIT_TEXT(t->name),
		    HUBKIT_TEXT(t->email ? t->email : ""),
		    HUBKIT_TEXT(t->calendar_id ? t->calendar_id : ""),
		    HUBKIT_INT(t->active < 0 ? 1 : t->active),
		    HUBKIT_INT(t->capacity < 0 ? 0 : t->capacity),
		    HUBKIT_INT(now),
		    HUBKIT_INT(now)};
		rc = hubkit_prepare(
		    BOOKING_SQL, db,
		    "INSERT INTO booking_consultants (name, email, "
		    "calendar_id, active, capacity, source, created_at, "
		    "updated_at) VALUES (?, ?, ?, ?, ?, 'admin', ?, ?) "
		    "RETURNING id",
		    args, 7, &st);
		if (rc == HUB_DB_OK)
			rc = BOOKING_API->stmt_step(st);
		if (rc == HUB_DB_ROW) {
			t->id = BOOKING_API->col_int(st, 0);
			rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE
				 ? HUB_DB_OK
				 : HUB_DB_ERROR;
		} else if (rc >= 0) {
			rc = HUB_DB_ERROR;
		}
		BOOKING_API->stmt_finalize(st);
	} else {
		hubkit_arg args[] = {
		    t->name ? HUBKIT_TEXT(t->name) : HUBKIT_NULL,
		    t->email ? HUBKIT_TEXT(t->email) : HUBKIT_NULL,
		    t->calendar_id ? HUBKIT_TEXT(t->calendar_id) : HUBKIT_NULL,
		    HUBKIT_INT(t->capacity),
		    HUBKIT_INT(t->capacity),
		    HUBKIT_INT(t->active),
		    HUBKIT_INT(t->active),
		    HUBKIT_INT(now),
		    HUBKIT_INT(t->id)};
		rc = hubkit_prepare(
		    BOOKING_SQL, db,
		    "UPDATE booking_consultants SET name = COALESCE(?, name), "
		    "email = COALESCE(?, email), calendar_id = COALESCE(?, "
		    "calendar_id), "
		    "capacity = CASE WHEN ? < 0 THEN capacity ELSE ? END, "
		    "active = CASE WHEN ? < 0 THEN active ELSE ? END, "
		    "updated_at = ? WHERE id = ?",
		    args, 9, &st);
		if (rc == HUB_DB_OK) {
			rc = BOOKING_API->stmt_step(st);
			/* keep a constraint error: a name taken is a 409 */
			rc = rc == HUB_DB_DONE ? HUB_DB_OK
			     : rc < 0	       ? rc
					       : HUB_DB_ERROR;
		}
		BOOKING_API->stmt_finalize(st);
		if (rc == HUB_DB_OK && BOOKING_API->db_changes(db) == 0)
			return BOOKING_TX_NOTFOUND;
	}
	if (rc == HUB_DB_OK)
		rc = booking_db_bump_gen(db);
	if (rc != HUB_DB_OK)
		return rc;
	snprintf(target, sizeof(target), "consultant:%lld", (long long)t->id);
	cons_detail(t, detail, sizeof(detail));
	return BOOKING_API->audit(t->req, db,
				  t->insert ? "booking.consultant.add"
					    : "booking.consultant.update",
				  target, detail) == 0
		   ? HUB_DB_OK
		   : HUB_DB_ERROR;
}

/* Reads the optional members capacity (0..1000) and active (bool). */
static int cons_numbers(hub_req *req, const cJSON *body, cons_tx *t)
{
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(body, "capacity");
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(body, "active");
	t->capacity = t->active = -1;
	if (cap && !cJSON_IsNull(cap)) {
		if (!cJSON_IsNumber(cap) || cap->valuedouble < 0 ||
		    cap->valuedouble > 1000 ||
		    cap->valuedouble != (double)(int)cap->valuedouble)
			return hubkit_invalid(BOOKING_API, req, "capacity",
					      "must be an integer 0..1000 (0 "
					      "= the default)");
		t->capacity = (int)cap->valuedouble;
	}
	if (act && !cJSON_IsNull(act)) {
		if (!cJSON_IsBool(act))
			return hubkit_invalid(BOOKING_API, req, "active",
					      "must be true or false");
		t->active = cJSON_IsTrue(act) ? 1 : 0;
	}
	return 0;
}

/* Appends consultant c as a JSON object. */
static void cons_json(booking_buf *b, const booking_consultant *c)
{
	booking_buf_printf(b, "{\"id\":%lld,\"name\":", (long long)c->id);
	booking_buf_json_str(b, c->name);
	booking_buf_puts(b, ",\"email\":");
	booking_buf_json_str(b, c->email);
	booking_buf_puts(b, ",\"calendar_id\":");
	booking_buf_json_str(b, c->calendar_id);
	booking_buf_printf(b, ",\"active\":%s,\"capacity\":%d,\"source\":",
			   c->active ? "true" : "false", c->capacity);
	booking_buf_json_str(b, c->source);
	booking_buf_puts(b, "}");
}

/* Answers the consultant `id` as JSON with `status`. */
static int reply_consultant(hub_req *req, hub_db *db, int64_t id, int status)
{
	booking_consultant *c = NULL;
	booking_buf b;
	int n = 0, rc = booking_db_consultants(db, 0, &c, &n);
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	booking_buf_init(&b);
	for (int i = 0; i < n; i++) {
		if (c[i].id == id)
			cons_json(&b, &c[i]);
	}
	free(c);
	if (b.len == 0) {
		booking_buf_free(&b);
		return BOOKING_API->reply_error(req, 404, "not_found",
						"no such consultant", NULL);
	}
	return booking_reply_buf(req, status, &b);
}

/* Checks a consultant body (only `fields`; name 1..100 characters,
 * required when with_name;
 * email, calendar_id, capacity, active) into *t and that the database is
 * there. Answers and returns -1 when refused. */
static int cons_body(hub_req *req, const cJSON *body, const char *const *fields,
		     int with_name, hub_db *db, cons_tx *t)
{
	if (hubkit_only_fields(BOOKING_API, req, body, fields) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "name", with_name, 1, 100,
			     &t->name) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "email", 0, 0, 200,
			     &t->email) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "calendar_id", 0, 0, 250,
			     &t->calendar_id) != 0 ||
	    cons_numbers(req, body, t) != 0)
		return -1;
	if (t->email && *t->email && !strchr(t->email, '@')) {
		hubkit_invalid(BOOKING_API, req, "email",
			       "must be an email address");
		return -1;
	}
	if (!db) {
		booking_reply_db_error(req, db, HUB_DB_ERROR);
		return -1;
	}
	t->req = req;
	return 0;
}

int booking_h_consultant_add(hub_req *req, void *ud)
{
	static const char *const fields[] = {
	    "name", "email", "calendar_id", "capacity", "active", NULL};
	hub_db *db = BOOKING_API->db();
	cJSON *body = NULL;
	cons_tx t;
	int rc;
	(void)ud;

	memset(&t, 0, sizeof(t));
	if (hubkit_read_json(BOOKING_API, req, &body) != 0)
		return 0;
	if (cons_body(req, body, fields, 1, db, &t) != 0)
		goto out;
	rc = booking_db_ensure_consultants(db);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->db_transaction(db, cons_fn, &t);
	if (rc == HUB_DB_ECONSTRAINT)
		BOOKING_API->reply_error(req, 409, "exists",
					 "a consultant of that name exists",
					 NULL);
	else if (rc != HUB_DB_OK)
		booking_reply_db_error(req, db, rc);
	else {
		booking_admin_changed();
		reply_consultant(req, db, t.id, 201);
	}
out:
	cJSON_Delete(body);
	return 0;
}

int booking_h_consultant_patch(hub_req *req, void *ud)
{
	static const char *const fields[] = {
	    "name", "email", "calendar_id", "capacity", "active", NULL};
	hub_db *db = BOOKING_API->db();
	cJSON *body = NULL;
	long long id;
	cons_tx t;
	int rc;
	(void)ud;

	memset(&t, 0, sizeof(t));
	if (hubkit_parse_int(BOOKING_API->req_param(req, "id"), 1, INT64_MAX,
			     &id) != 0)
		return BOOKING_API->reply_error(req, 404, "not_found",
						"no such consultant", NULL);
	if (hubkit_read_json(BOOKING_API, req, &body) != 0)
		return 0;
	if (cons_body(req, body, fields, 0, db, &t) != 0)
		goto out;
	t.id = id;
	rc = BOOKING_API->db_transaction(db, cons_fn, &t);
	if (rc == BOOKING_TX_NOTFOUND)
		BOOKING_API->reply_error(req, 404, "not_found",
					 "no such consultant", NULL);
	else if (rc == HUB_DB_ECONSTRAINT)
		BOOKING_API->reply_error(req, 409, "exists",
					 "a consultant of that name exists",
					 NULL);
	else if (rc != HUB_DB_OK)
		booking_reply_db_error(req, db, rc);
	else {
		booking_admin_changed();
		reply_consultant(req, db, id, 200);
	}
out:
	cJSON_Delete(body);
	return 0;
}

/* ============================================================ listing */

int booking_h_consultants_admin(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	booking_consultant *c = NULL;
	booking_buf b;
	int n = 0, rc;
	(void)ud;
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	rc = booking_db_ensure_consultants(db);
	if (rc == HUB_DB_OK)
		rc = booking_db_consultants(db, 0, &c, &n);
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			booking_buf_puts(&b, ",");
		cons_json(&b, &c[i]);
	}
	booking_buf_puts(&b, "],\"next_cursor\":null}");
	free(c);
	return booking_reply_buf(req, 200, &b);
}
