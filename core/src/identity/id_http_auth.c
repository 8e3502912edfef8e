/*
 * id_http_auth.c - the /api/v1/auth routes: login, logout, me, password,
 * totp/setup, totp/enable, totp/disable (docs/API.md "Signing in").
 *
 * Only login is public. The others are ordinary signed-in routes flagged
 * HUB_ROUTE_RESTRICTED_OK, so the router authenticates them (401), checks
 * scope and CSRF (403), then the rate limit (429), then body and content
 * type (413/415) in docs/API.md's order, and also admits a session that is not
 * yet complete (a user who has to change the one-time password or set up
 * 2FA first; every other route refuses it). API tokens may only read /me
 * (scopes: any for /me, none for the rest). The handlers look the session
 * up again for the user row and the CSRF token; they count nothing the
 * router counted.
 *
 * Every check that takes a secret (login, password, setup, disable) is
 * also rate-limited per account ("login_account" class, key "acct:NAME") and
 * subject to lockout. When that per-account limit refuses, its RateLimit-*
 * and Retry-After headers replace the router's per-address ones, so a 429
 * carries one consistent set: the one of the limit that refused.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"

#include <mbedtls/platform_util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The API table and core context, given at registration. */
static id_http_host g_host;

/* ============================================================== guards */

/* Requires a browser session (restricted ones included). For writes the
 * CSRF header must match. The router has checked all that already; this
 * repeats it for the row and as a second line. Answers and returns -1
 * when refused. */
static int need_session(hub_req *req, id_auth *a, int write)
{
	const hub_api *A = g_host.api;
	int rc = id_auth_lookup(A->req_header(req, "Cookie"),
				A->req_header(req, "Authorization"), a);
	if (rc != HUB_AUTH_OK) {
		A->reply_error(req, 401, "unauthenticated",
			       rc == HUB_AUTH_INVALID
				   ? "session expired or credentials invalid"
				   : "sign in first",
			       NULL);
		return -1;
	}
	if (a->kind != 1) {
		A->reply_error(req, 403, "forbidden",
			       "API tokens cannot do this", NULL);
		return -1;
	}
	if (write &&
	    !hub_ct_streq(A->req_header(req, "X-CSRF-Token"), a->csrf)) {
		A->reply_error(req, 403, "csrf",
			       "missing or wrong X-CSRF-Token", NULL);
		return -1;
	}
	return 0;
}

/* Per-account rate limit, then the account's and the client address's
 * lockout, before a secret is checked. `key` NULL (a user name no account
 * can have): the address lockout only. */
static int guard_account(hub_req *req, hub_db *db, const char *key)
{
	const hub_api *A = g_host.api;
	hub_rate_info ri;
	char rk[96];
	int64_t rem;
	snprintf(rk, sizeof(rk), "acct:%s", key ? key : "");
	if (key && hub_rate_hit("login_account", rk, &ri) == 0) {
		hubkit_rate_headers(g_host.api->reply_header, req, &ri);
		A->reply_error(req, 429, "rate_limited",
			       "too many attempts; retry later", NULL);
		return -1;
	}
	rem = id_lock_remaining(db, key, A->req_client(req));
	if (rem > 0) {
		char v[32];
		snprintf(v, sizeof(v), "%lld", (long long)rem);
		A->reply_header(req, "Retry-After", v);
		A->reply_error(req, 423, "locked",
			       "too many failed sign-ins; try again later",
			       NULL);
		return -1;
	}
	return 0;
}

/* Counts a failure, audits it (and a lockout it causes). */
static void count_failure(hub_req *req, hub_db *db, const char *key,
			  const char *who, const char *action, const char *why)
{
	const char *client = g_host.api->req_client(req);
	int64_t lock = id_lock_fail(db, key, client);
	id_http_audit(&g_host, req, db, who, action, who, why);
	if (lock > 0) {
		char d[96];
		snprintf(d, sizeof(d), "locked for %lld s", (long long)lock);
		id_http_audit(&g_host, req, db, who, "login.lockout", who, d);
	}
}

/* Issues a fresh session: Set-Cookie, and the reply {"user","csrf_token"}
 * with `status`. */
static int reply_session(hub_req *req, hub_db *db, const id_user *u, int status)
{
	const hub_api *A = g_host.api;
	char token[65], csrf[65], cookie[256];
	cJSON *o;
	if (id_session_create(db, u->id, A->req_client(req), token, csrf) !=
	    HUB_DB_OK)
		return id_http_db_error(&g_host, req);
	id_cookie_set(token, cookie, sizeof(cookie));
	mbedtls_platform_zeroize(token, sizeof(token));
	A->reply_header(req, "Set-Cookie", cookie);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "user", id_http_user_json(u));
	cJSON_AddStringToObject(o, "csrf_token", csrf);
	return hubkit_reply_cjson(A, req, status, o);
}

/* ================================================================ login */

/* A sign-in replaces the session the browser still presents (no orphans,
 * and no way to keep a planted session alive across a sign-in). */
static void end_presented_session(hub_req *req, hub_db *db)
{
	char token[65], hash[65];
	if (id_cookie_token(g_host.api->req_header(req, "Cookie"), token) ==
	    1) {
		id_sha256_hex(token, ID_TOKEN_HEX, hash);
		id_session_end(db, hash);
		mbedtls_platform_zeroize(token, sizeof(token));
	}
}

static const char *const login_fields[] = {"username", "password", "totp",
					   NULL};

static int login_fail(hub_req *req, hub_db *db, const char *key,
		      const char *name, const char *why)
{
	count_failure(req, db, key, name, "login.failure", why);
	return g_host.api->reply_error(req, 401, "invalid_credentials",
				       "wrong user name, password or code",
				       NULL);
}

static int h_login(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *name, *pw, *totp;
	char key[64];
	cJSON *body = NULL;
	id_user u;
	hub_db *db;
	int found, ok, rc;
	(void)ud;

	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, login_fields) ||
	    hubkit_str_field(A, req, body, "username", 1, 1, 64, &name) ||
	    hubkit_str_field(A, req, body, "password", 1, 1, 256, &pw) ||
	    hubkit_str_field(A, req, body, "totp", 0, 1, 64, &totp))
		goto out;
	if (strlen(pw) > ID_PW_MAX_BYTES) {
		hubkit_invalid(A, req, "password", "must be at most 256 bytes");
		goto out;
	}
	if (!(db = id_http_db(&g_host, req)))
		goto out;
	if (id_username_key(name, key, sizeof(key)) != 0) {
		/* no such account can exist; answer like a wrong password,
		 * and like any name from a locked address: 423 */
		if (guard_account(req, db, NULL) != 0)
			goto out;
		id_pw_dummy_verify(pw);
		id_lock_fail(db, NULL, A->req_client(req));
		A->reply_error(req, 401, "invalid_credentials",
			       "wrong user name, password or code", NULL);
		goto out;
	}
	if (guard_account(req, db, key) != 0)
		goto out;
	rc = id_user_by_name(db, name, &u);
	if (rc != HUB_DB_OK && rc != HUB_DB_ENOTFOUND) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	found = rc == HUB_DB_OK && !u.disabled;
	if (found) {
		ok = id_pw_verify(pw, u.pw_hash);
	} else {
		id_pw_dummy_verify(pw);
		ok = 0;
	}
	if (!ok) {
		login_fail(req, db, key, name,
			   rc != HUB_DB_OK ? "unknown user"
			   : u.disabled	   ? "account disabled"
					   : "wrong password");
		goto out;
	}
	if (u.totp_enabled) {
		if (!totp) {
			id_http_audit(&g_host, req, db, u.username,
				      "login.totp_required", u.username, NULL);
			A->reply_error(req, 401, "totp_required",
				       "enter the code of your authenticator "
				       "app or a backup code",
				       NULL);
			goto out;
		}
		rc = id_2fa_check(db, u.id, totp);
		if (rc < 0) {
			id_http_db_error(&g_host, req);
			goto out;
		}
		if (rc != 1) {
			login_fail(req, db, key, u.username,
				   "wrong or reused 2FA code");
			goto out;
		}
	}
	id_lock_clear(db, "acct", key);
	end_presented_session(req, db);
	if (id_pw_needs_rehash(u.pw_hash)) {
		char h[256];
		if (id_pw_hash(pw, h, sizeof(h)) == 0 &&
		    id_user_set_hash(db, u.id, h, u.must_change) == HUB_DB_OK)
			id_http_audit(&g_host, req, db, u.username,
				      "password.rehash", u.username,
				      "upgraded to yescrypt");
		mbedtls_platform_zeroize(h, sizeof(h));
	}
	u.last_login_at = id_now();
	id_sql(db, "UPDATE users SET last_login_at = ? WHERE id = ?",
	       HUBKIT_ARGS(HUBKIT_INT(u.last_login_at), HUBKIT_INT(u.id)));
	id_http_audit(&g_host, req, db, u.username, "login.success", u.username,
		      u.totp_enabled ? "with 2FA" : NULL);
	reply_session(req, db, &u, 200);
out:
	cJSON_Delete(body);
	return 0;
}

/* ======================================================= logout and me */

static int h_logout(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	static const char *const no_fields[] = {NULL};
	char cookie[160];
	cJSON *body = NULL;
	size_t len = 0;
	id_auth a;
	hub_db *db;
	int rc;
	(void)ud;
	/* no body, or an empty JSON object */
	A->req_body(req, &len);
	if (len > 0) {
		if (hubkit_read_json(A, req, &body) != 0)
			return 0;
		rc = hubkit_only_fields(A, req, body, no_fields);
		cJSON_Delete(body);
		if (rc != 0)
			return 0;
	}
	rc = id_auth_lookup(A->req_header(req, "Cookie"),
			    A->req_header(req, "Authorization"), &a);
	if (rc == HUB_AUTH_OK && a.kind == 2)
		return A->reply_error(req, 403, "forbidden",
				      "API tokens cannot sign out", NULL);
	if (rc == HUB_AUTH_OK) {
		if (!hub_ct_streq(A->req_header(req, "X-CSRF-Token"), a.csrf))
			return A->reply_error(req, 403, "csrf",
					      "missing or wrong X-CSRF-Token",
					      NULL);
		if (!(db = id_http_db(&g_host, req)))
			return 0;
		if (id_session_end(db, a.token_hash) != HUB_DB_OK)
			return id_http_db_error(&g_host, req);
		id_http_audit(&g_host, req, db, a.row.username, "logout",
			      a.row.username, NULL);
	}
	id_cookie_clear(cookie, sizeof(cookie));
	A->reply_header(req, "Set-Cookie", cookie);
	return A->reply_json(req, 200, "{\"signed_out\":true}");
}

static int h_me(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	cJSON *o;
	id_auth a;
	int rc;
	(void)ud;
	rc = id_auth_lookup(A->req_header(req, "Cookie"),
			    A->req_header(req, "Authorization"), &a);
	if (rc != HUB_AUTH_OK)
		return A->reply_error(req, 401, "unauthenticated",
				      rc == HUB_AUTH_INVALID
					  ? "session expired or credentials "
					    "invalid"
					  : "sign in first",
				      NULL);
	o = cJSON_CreateObject();
	if (a.kind == 1) {
		cJSON_AddItemToObject(o, "user", id_http_user_json(&a.row));
		cJSON_AddStringToObject(o, "csrf_token", a.csrf);
	} else {
		cJSON *u = cJSON_AddObjectToObject(o, "user");
		unsigned s = a.user.scopes;
		cJSON_AddStringToObject(u, "username", a.user.username);
		cJSON_AddStringToObject(u, "role", id_role_name(a.user.role));
		cJSON_AddStringToObject(u, "scope",
					(s & HUB_SCOPE_ADMIN)  ? "admin"
					: (s & HUB_SCOPE_BOOK) ? "book"
							       : "read");
		cJSON_AddBoolToObject(u, "via_token", 1);
		cJSON_AddNullToObject(o, "csrf_token");
	}
	return hubkit_reply_cjson(A, req, 200, o);
}

/* PATCH /me {"language": "de"|"en"}: the user's own settings (only the
 * language so far), stored with the user. Answers the /me object. */
static int h_me_patch(hub_req *req, void *ud)
{
	static const char *const fields[] = {"language", NULL};
	const hub_api *A = g_host.api;
	cJSON *body = NULL, *o;
	const char *lang = NULL;
	hub_db *db;
	id_auth a;
	(void)ud;
	if (need_session(req, &a, 1) != 0)
		return 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, fields) != 0 ||
	    hubkit_str_field(A, req, body, "language", 1, 2, 2, &lang) != 0)
		goto out;
	if (!id_language_ok(lang)) {
		hubkit_invalid(A, req, "language", "must be \"de\" or \"en\"");
		goto out;
	}
	if (!(db = id_http_db(&g_host, req)))
		goto out;
	if (id_user_set_language(db, a.row.id, lang) != HUB_DB_OK) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	snprintf(a.row.language, sizeof(a.row.language), "%s", lang);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "user", id_http_user_json(&a.row));
	cJSON_AddStringToObject(o, "csrf_token", a.csrf);
	hubkit_reply_cjson(A, req, 200, o);
out:
	cJSON_Delete(body);
	return 0;
}

/* ============================================================= password */

/* Loads the session user's row and checks `pw` under rate limit and
 * lockout. When it is wrong, counts a failure audited as `action` with
 * `detail` and answers 403 with `msg`. Answers and returns -1 when
 * refused. */
static int check_password(hub_req *req, hub_db *db, const id_auth *a,
			  const char *pw, id_user *u, const char *action,
			  const char *detail, const char *msg)
{
	char key[64];
	if (id_user_by_id(db, a->row.id, u) != HUB_DB_OK)
		return id_http_db_error(&g_host, req), -1;
	id_username_key(u->username, key, sizeof(key));
	if (guard_account(req, db, key) != 0)
		return -1;
	if (!id_pw_verify(pw, u->pw_hash)) {
		count_failure(req, db, key, u->username, action, detail);
		g_host.api->reply_error(req, 403, "invalid_credentials", msg,
					NULL);
		return -1;
	}
	return 0;
}

static const char *const pw_fields[] = {"current", "new", NULL};

static int h_password(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *cur, *nw, *why;
	cJSON *body = NULL;
	id_auth a;
	id_user u;
	hub_db *db;
	(void)ud;

	if (need_session(req, &a, 1) != 0)
		return 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, pw_fields) ||
	    hubkit_str_field(A, req, body, "current", 1, 1, 256, &cur) ||
	    hubkit_str_field(A, req, body, "new", 1, 1, 256, &nw))
		goto out;
	if ((why = id_pw_policy(nw)) != NULL) {
		hubkit_invalid(A, req, "new", why);
		goto out;
	}
	if (!(db = id_http_db(&g_host, req)) ||
	    check_password(req, db, &a, cur, &u, "password.change_failed",
			   "wrong current password",
			   "the current password is wrong") != 0)
		goto out;
	if (strcmp(cur, nw) == 0) {
		hubkit_invalid(A, req, "new",
			       "must differ from the current password");
		goto out;
	}
	if (id_user_change_password(db, u.id, nw, 0) != HUB_DB_OK) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	id_http_audit(&g_host, req, db, u.username, "password.change",
		      u.username, "all sessions ended");
	u.must_change = 0;
	reply_session(req, db, &u, 200);
out:
	cJSON_Delete(body);
	return 0;
}

/* ================================================================= TOTP */

static const char *const setup_fields[] = {"password", NULL};
static const char *const enable_fields[] = {"code", NULL};
static const char *const disable_fields[] = {"password", "code", NULL};

static int h_totp_setup(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *pw;
	char b32[64], uri[512];
	cJSON *body = NULL, *o;
	char *svg;
	id_auth a;
	id_user u;
	hub_db *db;
	(void)ud;

	if (need_session(req, &a, 1) != 0)
		return 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, setup_fields) ||
	    hubkit_str_field(A, req, body, "password", 1, 1, 256, &pw) ||
	    !(db = id_http_db(&g_host, req)) ||
	    check_password(req, db, &a, pw, &u, "totp.setup_failed",
			   "wrong password", "the password is wrong") != 0)
		goto out;
	if (u.totp_enabled) {
		A->reply_error(req, 409, "totp_enabled",
			       "2FA is already on; turn it off first", NULL);
		goto out;
	}
	if (id_2fa_setup(db, &u, b32) != HUB_DB_OK ||
	    id_totp_uri(u.username, b32, uri, sizeof(uri)) != 0) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	id_http_audit(&g_host, req, db, u.username, "totp.setup", u.username,
		      NULL);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "secret", b32);
	cJSON_AddStringToObject(o, "otpauth_uri", uri);
	svg = id_qr_svg(uri);
	if (svg)
		cJSON_AddStringToObject(o, "qr_svg", svg);
	free(svg);
	mbedtls_platform_zeroize(b32, sizeof(b32));
	hubkit_reply_cjson(A, req, 200, o);
out:
	cJSON_Delete(body);
	return 0;
}

static int h_totp_enable(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *code;
	char codes[ID_BACKUP_CODES][12];
	cJSON *body = NULL, *o, *arr;
	id_auth a;
	hub_db *db;
	int rc;
	(void)ud;

	if (need_session(req, &a, 1) != 0)
		return 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, enable_fields) ||
	    hubkit_str_field(A, req, body, "code", 1, 1, 16, &code) ||
	    !(db = id_http_db(&g_host, req)))
		goto out;
	if (a.row.totp_enabled) {
		A->reply_error(req, 409, "totp_enabled", "2FA is already on",
			       NULL);
		goto out;
	}
	rc = id_2fa_enable(db, &a.row, code, codes);
	if (rc < 0) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	if (rc == 0) {
		id_http_audit(&g_host, req, db, a.row.username,
			      "totp.enable_failed", a.row.username,
			      "wrong code");
		hubkit_invalid(A, req, "code",
			       "is not the current code of the new secret "
			       "(run setup first)");
		goto out;
	}
	id_http_audit(&g_host, req, db, a.row.username, "totp.enable",
		      a.row.username, "10 new backup codes");
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "backup_codes");
	for (int i = 0; i < ID_BACKUP_CODES; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(codes[i]));
	mbedtls_platform_zeroize(codes, sizeof(codes));
	hubkit_reply_cjson(A, req, 200, o);
out:
	cJSON_Delete(body);
	return 0;
}

typedef struct off_ctx {
	int64_t id;
} off_ctx;

static int off_tx(hub_db *db, void *ud)
{
	off_ctx *c = ud;
	int rc = id_2fa_clear(db, c->id);
	if (rc == HUB_DB_OK)
		rc = id_sessions_end_user(db, c->id);
	return rc;
}

static int h_totp_disable(hub_req *req, void *ud)
{
	const hub_api *A = g_host.api;
	const char *pw, *code;
	char key[64];
	cJSON *body = NULL;
	id_auth a;
	id_user u;
	hub_db *db;
	off_ctx c;
	int rc;
	(void)ud;

	if (need_session(req, &a, 1) != 0)
		return 0;
	if (hubkit_read_json(A, req, &body) != 0)
		return 0;
	if (hubkit_only_fields(A, req, body, disable_fields) ||
	    hubkit_str_field(A, req, body, "password", 1, 1, 256, &pw) ||
	    hubkit_str_field(A, req, body, "code", 1, 1, 64, &code) ||
	    !(db = id_http_db(&g_host, req)) ||
	    check_password(req, db, &a, pw, &u, "totp.disable_failed",
			   "wrong password", "the password is wrong") != 0)
		goto out;
	if (!u.totp_enabled) {
		A->reply_error(req, 409, "totp_disabled", "2FA is not on",
			       NULL);
		goto out;
	}
	if (g_idc.require_2fa || u.must_setup_2fa) {
		A->reply_error(req, 409, "totp_mandatory",
			       "2FA is required for your account", NULL);
		goto out;
	}
	rc = id_2fa_check(db, u.id, code);
	if (rc != 1) {
		if (rc < 0) {
			id_http_db_error(&g_host, req);
			goto out;
		}
		id_username_key(u.username, key, sizeof(key));
		count_failure(req, db, key, u.username, "totp.disable_failed",
			      "wrong 2FA code");
		A->reply_error(req, 403, "invalid_credentials",
			       "the code is wrong or was used already", NULL);
		goto out;
	}
	c.id = u.id;
	if (hub_store_transaction(db, off_tx, &c) != HUB_DB_OK) {
		id_http_db_error(&g_host, req);
		goto out;
	}
	id_http_audit(&g_host, req, db, u.username, "totp.disable", u.username,
		      "all sessions ended");
	u.totp_enabled = 0;
	reply_session(req, db, &u, 200);
out:
	cJSON_Delete(body);
	return 0;
}

/* ========================================================= registration */

int id_http_auth_register(hub_ctx *ctx, const hub_api *api)
{
	g_host.api = api;
	g_host.ctx = ctx;
	/* roles 0: any signed-in user; scopes 0: no API token */
	const unsigned any_token =
	    HUB_SCOPE_READ | HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN;
	const unsigned self = HUB_ROUTE_RESTRICTED_OK;
	const hub_route routes[] = {
	    {"POST", "/api/v1/auth/login", h_login, NULL, 0, 0, "login",
	     HUB_ROUTE_PUBLIC},
	    {"POST", "/api/v1/auth/logout", h_logout, NULL, 0, 0, "api", self},
	    {"GET", "/api/v1/auth/me", h_me, NULL, 0, any_token, "api", self},
	    {"PATCH", "/api/v1/auth/me", h_me_patch, NULL, 0, 0, "api", self},
	    {"POST", "/api/v1/auth/password", h_password, NULL, 0, 0, "login",
	     self},
	    {"POST", "/api/v1/auth/totp/setup", h_totp_setup, NULL, 0, 0,
	     "login", self},
	    {"POST", "/api/v1/auth/totp/enable", h_totp_enable, NULL, 0, 0,
	     "api", self},
	    {"POST", "/api/v1/auth/totp/disable", h_totp_disable, NULL, 0, 0,
	     "login", self},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(ctx, &routes[i]) != 0)
			return -1;
	return 0;
}
