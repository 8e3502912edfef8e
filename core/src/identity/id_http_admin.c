/*
 * id_http_admin.c - the admin routes of the identity subsystem (role
 * admin, API scope admin, rate class "admin"): users, API tokens, the
 * audit log (docs/API.md "Administration"). The router has authenticated the
 * caller and checked role, scope and CSRF before a handler runs.
 *
 * Every change is audited. Changing a role, disabling, resetting 2FA or
 * setting a password ends the user's sessions; the last enabled admin can
 * be neither demoted, disabled nor deleted (checked inside the write
 * transaction that makes the change, id_admin_guard, so two admins
 * removing each other at once cannot both succeed), and nobody deletes or
 * disables their own account.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"
#include "hub_time.h"

#include <mbedtls/platform_util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The API table and core context, given at registration. */
static id_http_host g_host;

/* ============================================================ helpers */

/* limit (1..1000, default 100) and cursor (a positive id). */
static int page_args(hub_req *req, long long *limit, long long *cursor)
{
	const hub_api *A = g_host.api;
	const char *l = A->req_query(req, "limit");
	const char *c = A->req_query(req, "cursor");
	*limit = 100;
	*cursor = 0;
	if (l && hubkit_parse_int(l, 1, 1000, limit) != 0)
		return hubkit_invalid(A, req, "limit", "must be 1 to 1000");
	if (c && hubkit_parse_int(c, 1, INT64_MAX, cursor) != 0)
		return hubkit_invalid(A, req, "cursor",
				      "is not a cursor of this list");
	return 0;
}

static void add_cursor(cJSON *o, int more, int64_t last)
{
	char buf[32];
	if (more) {
		snprintf(buf, sizeof(buf), "%lld", (long long)last);
		cJSON_AddStringToObject(o, "next_cursor", buf);
	} else {
		cJSON_AddNullToObject(o, "next_cursor");
	}
}

/* Answers one page of a list: steps st (which selected up to limit + 1
 * rows), turns each of the first `limit` rows into an item with `row`
 * (which also gives the row's id for the cursor), finalizes st and replies
 * 200 {items, next_cursor}, or 500 when a step fails. */
static int reply_page(hub_req *req, hub_stmt *st, long long limit,
		      cJSON *(*row)(hub_stmt *st, int64_t *id))
{
	cJSON *o = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(o, "items");
	int64_t last = 0;
	int rc, n = 0, more = 0;
	while ((rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		cJSON_AddItemToArray(items, row(st, &last));
		n++;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_ROW && rc != HUB_DB_DONE) {
		cJSON_Delete(o);
		return id_http_db_error(&g_host, req);
	}
	add_cursor(o, more, last);
	return hubkit_reply_cjson(g_host.api, req, 200, o);
}

/* Answers GET of a list paged by id: sql selects the rows with id > ?
 * (the cursor) up to LIMIT ? (limit + 1); see reply_page. */
static int list_after_cursor(hub_req *req, const char *sql,
			     cJSON *(*row)(hub_stmt *st, int64_t *id))
{
	long long limit, cursor;
	hub_stmt *st = NULL;
	hub_db *db;
	if (page_args(req, &limit, &cursor) != 0 ||
	    !(db = id_http_db(&g_host, req)))
		return 0;
	if (hubkit_prepare(&id_sql_ops, db, sql,
			   HUBKIT_ARGS(HUBKIT_INT((int64_t)cursor),
				       HUBKIT_INT((int64_t)limit + 1)),
			   &st) != HUB_DB_OK)
		return id_http_db_error(&g_host, req);
	return reply_page(req, st, limit, row);
}

/* The user named by the {name} path parameter; answers 404 and returns -1
 * when there is none. */
static int path_user(hub_req *req, hub_db *db, id_user *u)
{
	const hub_api *A = g_host.api;
	int rc = id_user_by_name(db, A->req_param(req, "name"), u);
	if (rc == HUB_DB_ENOTFOUND) {
		A->reply_error(req, 404, "not_found", "no such user", NULL);
		return -1;
	}
	if (rc != HUB_DB_OK) {
		id_http_db_error(&g_host, req);
		return -1;
	}
	return 0;
}

/* Optional boolean member: -1 absent, 0/1, or answers 422 and returns -2. */
static int bool_field(hub_req *req, const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!v || cJSON_IsNull(v))
		return -1;
	if (!cJSON_IsBool(v)) {
		hubkit_invalid(g_host.api, req, name, "must be true or false");
		return -2;
	}
	return cJSON_IsTrue(v) ? 1 : 0;
}

/* Optional consultant id: -1 absent, 0 null (unlink), > 0 the id; -2 after
 * answering 422. */
static int64_t consultant_field(hub_req *req, const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "consultant_id");
	if (!v)
		return -1;
	if (cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
	    v->valuedouble > 9007199254740991.0 ||
	    v->valuedouble != floor(v->valuedouble)) {
		hubkit_invalid(g_host.api, req, "consultant_id",
			       "must be a positive integer or null");
		return -2;
	}
	return (int64_t)v->valuedouble;
}

/* ================================================================ users */

/* A user row (ID_USER_COLS, then locked_until) as a list item. */
static cJSON *user_item(hub_stmt *st, int64_t *id)
{
	id_user u;
	int64_t until;
	cJSON *j;
	id_user_read_row(st, &u);
	until = hub_col_int(st, 11);
	j = id_http_user_json(&u);
	id_http_add_time(j, "locked_until", until > id_now() ? until : 0);
	*id = u.id;
	return j;
}

static int h_users_list(hub_req *req, void *ud)
{
	(void)ud;
	return list_after_cursor(
	    req,
	    "SELECT " ID_USER_COLS ", f.locked_until FROM users LEFT JOIN "
	    "auth_failures f ON f.kind = 'acct' AND f.key = "
	    "users.username_key WHERE users.id > ? ORDER BY users.id LIMIT ?",
	    user_item);
}

/* Readable one-time passwords for accounts an admin creates. */
static const char otp_alphabet[] =
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

static const char *const create_fields[] = {
    "username", "role", "password", "consultant_id", "must_setup_2fa", NULL};

static int h_users_create(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *name, *role_s, *pw, *why;
	char key[64], gen[21], hash[256], det[64];
	cJSON *body = NULL, *o;
	int64_t cons, id = 0;
	int role, m2fa, rc;
	hub_db *db;
	id_user u;
	(void)ud;

	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	gen[0] = 0;
	if (hubkit_only_fields(A, req, body, create_fields) ||
	    hubkit_str_field(A, req, body, "username", 1, 1, 63, &name) ||
	    hubkit_str_field(A, req, body, "role", 1, 1, 16, &role_s) ||
	    hubkit_str_field(A, req, body, "password", 0, 1, 256, &pw))
		goto out;
	if (id_username_key(name, key, sizeof(key)) != 0) {
		hubkit_invalid(A, req, "username",
			       "must be 1 to 63 bytes without control "
			       "characters, ':' or '/' and without outer "
			       "spaces");
		goto out;
	}
	if ((role = id_role_parse(role_s)) == HUB_ROLE_NONE) {
		hubkit_invalid(A, req, "role",
			       "must be admin, staff or consultant");
		goto out;
	}
	if (pw && (why = id_pw_policy(pw)) != NULL) {
		hubkit_invalid(A, req, "password", why);
		goto out;
	}
	if ((cons = consultant_field(req, body)) == -2 ||
	    (m2fa = bool_field(req, body, "must_setup_2fa")) == -2)
		goto out;
	if (!(db = id_http_db(&g_host, req)))
		goto out;
	if (!pw) {
		if (id_random_chars(otp_alphabet, 20, gen) != 0) {
			id_http_db_error(&g_host, req);
			goto out;
		}
		pw = gen;
	}
	if (id_pw_hash(pw, hash, sizeof(hash)) != 0) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	rc = id_user_insert(db, name, role, hash, gen[0] != 0,
			    cons > 0 ? cons : 0, &id);
	if (rc == HUB_DB_OK && m2fa == 1)
		rc = id_sql(db,
			    "UPDATE users SET must_setup_2fa = 1 WHERE id = ?",
			    HUBKIT_ARGS(HUBKIT_INT(id)));
	if (rc == HUB_DB_ECONSTRAINT) {
		A->reply_error(req, 409, "exists", "that user name is taken",
			       NULL);
		goto out;
	}
	if (rc != HUB_DB_OK || id_user_by_id(db, id, &u) != HUB_DB_OK) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	snprintf(det, sizeof(det), "role %s%s", id_role_name(role),
		 gen[0] ? ", one-time password" : "");
	id_http_audit(&g_host, req, db, NULL, "user.create", u.username, det);
	o = id_http_user_json(&u);
	if (gen[0])
		cJSON_AddStringToObject(o, "password", gen);
	hubkit_reply_cjson(A, req, 201, o);
out:
	mbedtls_platform_zeroize(gen, sizeof(gen));
	mbedtls_platform_zeroize(hash, sizeof(hash));
	cJSON_Delete(body);
	return 0;
}

static const char *const patch_fields[] = {
    "role", "disabled", "consultant_id", "password", "must_setup_2fa", NULL};

typedef struct patch_ctx {
	int64_t id;
	int role;	  /* HUB_ROLE_NONE = unchanged */
	int disabled;	  /* -1 unchanged */
	int64_t cons;	  /* -1 unchanged, 0 unlink */
	int m2fa;	  /* -1 unchanged */
	const char *hash; /* NULL unchanged */
	int end_sessions;
	int guard; /* demotes or disables: the last-admin rule applies */
} patch_ctx;

static int patch_tx(hub_db *db, void *ud)
{
	patch_ctx *c = ud;
	int64_t now = id_now();
	/* checked here, inside the write transaction: a check before it
	 * would let two admins disabling each other both pass */
	int rc = c->guard ? id_admin_guard(db, c->id) : HUB_DB_OK;
	if (rc == HUB_DB_OK && c->role != HUB_ROLE_NONE)
		rc = id_sql(db,
			    "UPDATE users SET role = ?, updated_at = ? "
			    "WHERE id = ?",
			    HUBKIT_ARGS(HUBKIT_TEXT(id_role_name(c->role)),
					HUBKIT_INT(now), HUBKIT_INT(c->id)));
	if (rc == HUB_DB_OK && c->disabled >= 0)
		rc = id_sql(db,
			    "UPDATE users SET disabled = ?, updated_at = ? "
			    "WHERE id = ?",
			    HUBKIT_ARGS(HUBKIT_INT((int64_t)c->disabled),
					HUBKIT_INT(now), HUBKIT_INT(c->id)));
	if (rc == HUB_DB_OK && c->cons == 0)
		rc = id_sql(db,
			    "UPDATE users SET consultant_id = NULL WHERE "
			    "id = ?",
			    HUBKIT_ARGS(HUBKIT_INT(c->id)));
	if (rc == HUB_DB_OK && c->cons > 0)
		rc =
		    id_sql(db,
			   "UPDATE users SET consultant_id = ? WHERE "
			   "id = ?",
			   HUBKIT_ARGS(HUBKIT_INT(c->cons), HUBKIT_INT(c->id)));
	if (rc == HUB_DB_OK && c->m2fa >= 0)
		rc = id_sql(db,
			    "UPDATE users SET must_setup_2fa = ? WHERE "
			    "id = ?",
			    HUBKIT_ARGS(HUBKIT_INT((int64_t)c->m2fa),
					HUBKIT_INT(c->id)));
	if (rc == HUB_DB_OK && c->hash)
		rc = id_user_set_hash(db, c->id, c->hash, 1);
	if (rc == HUB_DB_OK && c->end_sessions)
		rc = id_sessions_end_user(db, c->id);
	return rc;
}

/* Answers a failed change transaction: 409 when it would have left no
 * enabled admin, 404 when the user went away meanwhile, else 503.
 * Returns 0. */
static int tx_error(hub_req *req, int rc)
{
	const hub_api *A = g_host.api;
	if (rc == ID_RC_LAST_ADMIN)
		return A->reply_error(req, 409, "last_admin",
				      "this is the last enabled admin", NULL);
	if (rc == HUB_DB_ENOTFOUND)
		return A->reply_error(req, 404, "not_found", "no such user",
				      NULL);
	return id_http_db_error(&g_host, req);
}

static int is_self(hub_req *req, const id_user *u)
{
	hub_user me;
	return g_host.api->req_user(req, &me) == 0 && !me.via_token &&
	       me.id == u->id;
}

static int h_users_patch(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *role_s, *pw, *why;
	char hash[256], det[256];
	patch_ctx c;
	cJSON *body = NULL;
	hub_db *db;
	id_user u;
	int rc;
	(void)ud;

	memset(&c, 0, sizeof(c));
	hash[0] = 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, patch_fields) ||
	    hubkit_str_field(A, req, body, "role", 0, 1, 16, &role_s) ||
	    hubkit_str_field(A, req, body, "password", 0, 1, 256, &pw))
		goto out;
	if (role_s && (c.role = id_role_parse(role_s)) == HUB_ROLE_NONE) {
		hubkit_invalid(A, req, "role",
			       "must be admin, staff or consultant");
		goto out;
	}
	if (pw && (why = id_pw_policy(pw)) != NULL) {
		hubkit_invalid(A, req, "password", why);
		goto out;
	}
	if ((c.disabled = bool_field(req, body, "disabled")) == -2 ||
	    (c.cons = consultant_field(req, body)) == -2 ||
	    (c.m2fa = bool_field(req, body, "must_setup_2fa")) == -2)
		goto out;
	if (!(db = id_http_db(&g_host, req)) || path_user(req, db, &u) != 0)
		goto out;
	if (c.role == u.role)
		c.role = HUB_ROLE_NONE;
	if (c.disabled == 1 && is_self(req, &u)) {
		A->reply_error(req, 409, "self", "you cannot disable yourself",
			       NULL);
		goto out;
	}
	if (pw && id_pw_hash(pw, hash, sizeof(hash)) != 0) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	c.id = u.id;
	c.hash = pw ? hash : NULL;
	c.end_sessions = c.role != HUB_ROLE_NONE || c.disabled == 1 || pw;
	c.guard = (c.role != HUB_ROLE_NONE && c.role != HUB_ROLE_ADMIN) ||
		  c.disabled == 1;
	rc = hub_store_transaction(db, patch_tx, &c);
	if (rc == HUB_DB_OK)
		rc = id_user_by_id(db, u.id, &u);
	if (rc != HUB_DB_OK) {
		tx_error(req, rc);
		goto out;
	}
	snprintf(det, sizeof(det), "%s%s%s%s%s%s%s", c.role ? "role " : "",
		 c.role ? id_role_name(c.role) : "",
		 c.disabled == 1   ? "; disabled"
		 : c.disabled == 0 ? "; enabled"
				   : "",
		 c.cons >= 0 ? "; consultant link changed" : "",
		 c.m2fa == 1 ? "; must set up 2FA" : "",
		 pw ? "; password set (must change)" : "",
		 c.end_sessions ? "; sessions ended" : "");
	id_http_audit(&g_host, req, db, NULL, "user.update", u.username, det);
	hubkit_reply_cjson(A, req, 200, id_http_user_json(&u));
out:
	mbedtls_platform_zeroize(hash, sizeof(hash));
	cJSON_Delete(body);
	return 0;
}

static int delete_tx(hub_db *db, void *ud)
{
	int64_t id = *(int64_t *)ud;
	int rc = id_admin_guard(db, id);
	if (rc == HUB_DB_OK)
		rc = id_sql(db, "DELETE FROM users WHERE id = ?",
			    HUBKIT_ARGS(HUBKIT_INT(id)));
	return rc;
}

static int h_users_delete(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	hub_db *db;
	id_user u;
	int rc;
	(void)ud;
	if (!(db = id_http_db(&g_host, req)) || path_user(req, db, &u) != 0)
		return 0;
	if (is_self(req, &u))
		return A->reply_error(req, 409, "self",
				      "you cannot delete yourself", NULL);
	rc = hub_store_transaction(db, delete_tx, &u.id);
	if (rc != HUB_DB_OK)
		return tx_error(req, rc);
	id_http_audit(&g_host, req, db, NULL, "user.delete", u.username, NULL);
	return A->reply(req, 204, NULL, NULL, 0);
}

static int reset_tx(hub_db *db, void *ud)
{
	int64_t id = *(int64_t *)ud;
	int rc = id_2fa_clear(db, id);
	if (rc == HUB_DB_OK)
		rc = id_sessions_end_user(db, id);
	return rc;
}

static int h_users_totp_reset(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	hub_db *db;
	id_user u;
	(void)ud;
	if (!(db = id_http_db(&g_host, req)) || path_user(req, db, &u) != 0)
		return 0;
	if (hub_store_transaction(db, reset_tx, &u.id) != HUB_DB_OK ||
	    id_user_by_id(db, u.id, &u) != HUB_DB_OK)
		return id_http_db_error(&g_host, req);
	id_http_audit(&g_host, req, db, NULL, "totp.reset", u.username,
		      "2FA and backup codes removed; sessions ended");
	return hubkit_reply_cjson(A, req, 200, id_http_user_json(&u));
}

static const char *const unlock_fields[] = {"address", NULL};

static int h_users_unlock(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *addr = NULL;
	char key[64];
	cJSON *body = NULL;
	size_t len = 0;
	hub_db *db;
	id_user u;
	(void)ud;
	A->req_body(req, &len);
	if (len > 0) {
		if (hubkit_read_json(A, req, &body) != 0)
			return 0;
		if (hubkit_only_fields(A, req, body, unlock_fields) ||
		    hubkit_str_field(A, req, body, "address", 0, 1, 63, &addr))
			goto out;
	}
	if (!(db = id_http_db(&g_host, req)) || path_user(req, db, &u) != 0)
		goto out;
	id_username_key(u.username, key, sizeof(key));
	if (id_lock_clear(db, "acct", key) != HUB_DB_OK ||
	    (addr && id_lock_clear(db, "addr", addr) != HUB_DB_OK)) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	id_http_audit(&g_host, req, db, NULL, "user.unlock", u.username,
		      addr ? "account and address unlocked"
			   : "account unlocked");
	A->reply_json(req, 200, "{\"unlocked\":true}");
out:
	cJSON_Delete(body);
	return 0;
}

/* =============================================================== tokens */

/* A token row (id, name, scope, created_by, created_at, last_used_at). */
static cJSON *token_item(hub_stmt *st, int64_t *id)
{
	cJSON *j = cJSON_CreateObject();
	*id = hub_col_int(st, 0);
	cJSON_AddNumberToObject(j, "id", (double)*id);
	cJSON_AddStringToObject(j, "name", hub_col_text(st, 1));
	cJSON_AddStringToObject(j, "scope", hub_col_text(st, 2));
	cJSON_AddStringToObject(j, "created_by", hub_col_text(st, 3));
	id_http_add_time(j, "created_at", hub_col_int(st, 4));
	id_http_add_time(j, "last_used_at", hub_col_int(st, 5));
	return j;
}

static int h_tokens_list(hub_req *req, void *ud)
{
	(void)ud;
	return list_after_cursor(req,
				 "SELECT id, name, scope, created_by, "
				 "created_at, last_used_at FROM auth_tokens "
				 "WHERE id > ? ORDER BY id LIMIT ?",
				 token_item);
}

static const char *const token_fields[] = {"name", "scope", NULL};

static int h_tokens_create(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *name, *scope;
	char tok[80], det[32];
	cJSON *body = NULL, *o;
	int64_t id = 0, at = 0;
	hub_user me;
	hub_db *db;
	int rc;
	(void)ud;
	tok[0] = 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, token_fields) ||
	    hubkit_str_field(A, req, body, "name", 1, 1, 64, &name) ||
	    hubkit_str_field(A, req, body, "scope", 1, 1, 16, &scope))
		goto out;
	if (!id_scope_mask(scope)) {
		hubkit_invalid(A, req, "scope", "must be read, book or admin");
		goto out;
	}
	if (!(db = id_http_db(&g_host, req)))
		goto out;
	if (A->req_user(req, &me) != 0)
		snprintf(me.username, sizeof(me.username), "unknown");
	rc = id_token_create(db, name, scope, me.username, &id, tok, &at);
	if (rc == HUB_DB_ECONSTRAINT) {
		A->reply_error(req, 409, "exists", "that token name is taken",
			       NULL);
		goto out;
	}
	if (rc != HUB_DB_OK) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	snprintf(det, sizeof(det), "scope %s", scope);
	id_http_audit(&g_host, req, db, NULL, "token.create", name, det);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "scope", scope);
	cJSON_AddStringToObject(o, "token", tok);
	id_http_add_time(o, "created_at", at);
	hubkit_reply_cjson(A, req, 201, o);
out:
	mbedtls_platform_zeroize(tok, sizeof(tok));
	cJSON_Delete(body);
	return 0;
}

static int h_tokens_delete(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	long long id;
	char target[32];
	hub_db *db;
	int rc;
	(void)ud;
	if (hubkit_parse_int(A->req_param(req, "id"), 1, INT64_MAX, &id) != 0)
		return A->reply_error(req, 404, "not_found", "no such token",
				      NULL);
	if (!(db = id_http_db(&g_host, req)))
		return 0;
	rc = id_token_delete(db, id);
	if (rc == HUB_DB_ENOTFOUND)
		return A->reply_error(req, 404, "not_found", "no such token",
				      NULL);
	if (rc != HUB_DB_OK)
		return id_http_db_error(&g_host, req);
	snprintf(target, sizeof(target), "token %lld", id);
	id_http_audit(&g_host, req, db, NULL, "token.revoke", target, NULL);
	return A->reply(req, 204, NULL, NULL, 0);
}

/* ================================================================ audit */

/* since: RFC 3339, or a date (midnight in the business zone). */
static int parse_since(const char *s, int64_t *out)
{
	hub_date d;
	if (hub_time_parse(s, out) == 0)
		return 0;
	if (hub_date_parse(s, &d) == 0 &&
	    hub_time_from_local(d, 0, 0, out) == 0)
		return 0;
	return -1;
}

/* An audit_log row (id, at, actor, action, then the nullable target,
 * detail, client, request_id). */
static cJSON *audit_item(hub_stmt *st, int64_t *id)
{
	static const char *const names[] = {"target", "detail", "client",
					    "request_id"};
	cJSON *j = cJSON_CreateObject();
	*id = hub_col_int(st, 0);
	cJSON_AddNumberToObject(j, "id", (double)*id);
	id_http_add_time(j, "at", hub_col_int(st, 1));
	cJSON_AddStringToObject(j, "actor", hub_col_text(st, 2));
	cJSON_AddStringToObject(j, "action", hub_col_text(st, 3));
	for (int c = 4; c < 8; c++) {
		if (hub_col_type(st, c) == HUB_DB_NULL)
			cJSON_AddNullToObject(j, names[c - 4]);
		else
			cJSON_AddStringToObject(j, names[c - 4],
						hub_col_text(st, c));
	}
	return j;
}

static int h_audit(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *since = A->req_query(req, "since");
	const char *actor = A->req_query(req, "actor");
	const char *action = A->req_query(req, "action");
	long long limit, cursor;
	char sql[512];
	hub_stmt *st = NULL;
	int64_t t0 = 0;
	hub_db *db;
	int rc, idx = 1;
	(void)ud;

	if (page_args(req, &limit, &cursor) != 0)
		return 0;
	if (since && parse_since(since, &t0) != 0)
		return hubkit_invalid(A, req, "since",
				      "must be RFC 3339 or YYYY-MM-DD");
	/* each checked on its own, so the message names the bad one */
	if (actor &&
	    (strlen(actor) > 100 || !hubkit_utf8_valid(actor, strlen(actor))))
		return hubkit_invalid(A, req, "actor",
				      "is too long or not UTF-8");
	if (action &&
	    (strlen(action) > 64 || !hubkit_utf8_valid(action, strlen(action))))
		return hubkit_invalid(A, req, "action",
				      "is too long or not UTF-8");
	if (!(db = id_http_db(&g_host, req)))
		return 0;
	snprintf(sql, sizeof(sql),
		 "SELECT id, at, actor, action, target, detail, client, "
		 "request_id FROM audit_log WHERE 1 = 1%s%s%s%s ORDER BY id "
		 "DESC LIMIT ?",
		 cursor ? " AND id < ?" : "", since ? " AND at >= ?" : "",
		 actor ? " AND actor = ?" : "",
		 action ? " AND action = ?" : "");
	rc = hub_store_prepare(db, sql, &st);
	if (rc == HUB_DB_OK && cursor)
		rc = hub_stmt_bind_int(st, idx++, cursor);
	if (rc == HUB_DB_OK && since)
		rc = hub_stmt_bind_int(st, idx++, t0);
	if (rc == HUB_DB_OK && actor)
		rc = hub_stmt_bind_text(st, idx++, actor);
	if (rc == HUB_DB_OK && action)
		rc = hub_stmt_bind_text(st, idx++, action);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, idx++, limit + 1);
	if (rc != HUB_DB_OK) {
		hub_stmt_finalize(st);
		return id_http_db_error(&g_host, req);
	}
	return reply_page(req, st, limit, audit_item);
}

/* ========================================================= registration */

int id_http_admin_register(hub_ctx *ctx, const hub_api *api)
{
	g_host.api = api;
	g_host.ctx = ctx;
#define ADMIN_ROUTE(m, p, h)                                                   \
	{                                                                      \
		m, p, h, NULL, HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin", 0     \
	}
	static const hub_route routes[] = {
	    ADMIN_ROUTE("GET", "/api/v1/admin/users", h_users_list),
	    ADMIN_ROUTE("POST", "/api/v1/admin/users", h_users_create),
	    ADMIN_ROUTE("PATCH", "/api/v1/admin/users/{name}", h_users_patch),
	    ADMIN_ROUTE("DELETE", "/api/v1/admin/users/{name}", h_users_delete),
	    ADMIN_ROUTE("POST", "/api/v1/admin/users/{name}/totp-reset",
			h_users_totp_reset),
	    ADMIN_ROUTE("POST", "/api/v1/admin/users/{name}/unlock",
			h_users_unlock),
	    ADMIN_ROUTE("GET", "/api/v1/admin/tokens", h_tokens_list),
	    ADMIN_ROUTE("POST", "/api/v1/admin/tokens", h_tokens_create),
	    ADMIN_ROUTE("DELETE", "/api/v1/admin/tokens/{id}", h_tokens_delete),
	    ADMIN_ROUTE("GET", "/api/v1/admin/audit", h_audit),
	};
#undef ADMIN_ROUTE
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(ctx, &routes[i]) != 0)
			return -1;
	return 0;
}
