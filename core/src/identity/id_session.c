/*
 * id_session.c - browser sessions, API tokens and hub_id_authenticate.
 *
 * A session token is 32 bytes from the DRBG (64 hex characters in the
 * `hub_session` cookie); the database holds only its SHA-256, so a copy of
 * the database opens no session. The CSRF token is HMAC-SHA256 of the
 * session token under a derived key: nothing to store, and it cannot be
 * computed from the database either. Sessions end at the absolute expiry
 * (created + session_absolute_s) or after session_idle_s without use;
 * last_seen is written at most every min(60 s, idle/4) to keep requests
 * from writing on every hit.
 *
 * API tokens are "hubt_" + 64 hex characters, stored as SHA-256 and
 * scoped: read < book < admin (each includes the ones before it).
 *
 * A password change ends every session of the user (here, so that the
 * users table's file needs nothing of this one).
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"

#include <mbedtls/platform_util.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_SESSIONS_PER_USER 20
#define TOKEN_PREFIX	      "hubt_"

/* ============================================================== cookies */

static int is_hex64(const char *s, size_t n)
{
	if (n != ID_TOKEN_HEX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int id_cookie_token(const char *cookie_header, char out[65])
{
	const char *p = cookie_header;
	if (!p)
		return 0;
	while (*p) {
		const char *name, *eq, *val, *end;
		while (*p == ' ' || *p == ';' || *p == '\t')
			p++;
		name = p;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq && (size_t)(eq - name) == 11 &&
		    memcmp(name, "hub_session", 11) == 0) {
			size_t n;
			val = eq + 1;
			n = (size_t)(end - val);
			while (n > 0 &&
			       (val[n - 1] == ' ' || val[n - 1] == '\t'))
				n--;
			if (n == 0)
				return 0; /* a cleared cookie */
			if (!is_hex64(val, n))
				return -1;
			memcpy(out, val, n);
			out[n] = 0;
			return 1;
		}
		p = end;
	}
	return 0;
}

void id_cookie_set(const char *token, char *out, size_t outlen)
{
	snprintf(out, outlen,
		 "hub_session=%s; Path=/; Max-Age=%lld; HttpOnly; "
		 "SameSite=Lax%s",
		 token, (long long)g_idc.session_absolute_s,
		 g_idc.cookie_secure ? "; Secure" : "");
}

void id_cookie_clear(char *out, size_t outlen)
{
	snprintf(out, outlen,
		 "hub_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
		 g_idc.cookie_secure ? "; Secure" : "");
}

void id_csrf_of(const char *token, char out[65])
{
	id_hmac_hex(g_idk.csrf, token, strlen(token), out);
}

/* ============================================================= sessions */

int id_session_create(hub_db *db, int64_t user_id, const char *client,
		      char token[65], char csrf[65])
{
	char hash[65];
	int64_t now = id_now();
	int rc;
	if (!g_idk.ready || id_random_hex(32, token) != 0)
		return HUB_DB_ERROR;
	id_sha256_hex(token, ID_TOKEN_HEX, hash);
	id_csrf_of(token, csrf);
	/* expired sessions of anyone go on every sign-in */
	rc = id_sql(db,
		    "DELETE FROM auth_sessions WHERE expires_at <= ? OR "
		    "last_seen <= ?",
		    HUBKIT_ARGS(HUBKIT_INT(now),
				HUBKIT_INT(now - g_idc.session_idle_s)));
	if (rc == HUB_DB_OK)
		rc = id_sql(
		    db,
		    "INSERT INTO auth_sessions (token_hash, user_id, "
		    "created_at, last_seen, expires_at, client) VALUES "
		    "(?, ?, ?, ?, ?, ?)",
		    HUBKIT_ARGS(HUBKIT_TEXT(hash), HUBKIT_INT(user_id),
				HUBKIT_INT(now), HUBKIT_INT(now),
				HUBKIT_INT(now + g_idc.session_absolute_s),
				HUBKIT_TEXT(client)));
	if (rc == HUB_DB_OK)
		rc = id_sql(
		    db,
		    "DELETE FROM auth_sessions WHERE user_id = ? AND "
		    "token_hash NOT IN (SELECT token_hash FROM "
		    "auth_sessions WHERE user_id = ? ORDER BY "
		    "created_at DESC, token_hash LIMIT ?)",
		    HUBKIT_ARGS(HUBKIT_INT(user_id), HUBKIT_INT(user_id),
				HUBKIT_INT((int64_t)MAX_SESSIONS_PER_USER)));
	return rc;
}

int id_sessions_end_user(hub_db *db, int64_t user_id)
{
	return id_sql(db, "DELETE FROM auth_sessions WHERE user_id = ?",
		      HUBKIT_ARGS(HUBKIT_INT(user_id)));
}

int id_session_end(hub_db *db, const char *token_hash)
{
	return id_sql(db, "DELETE FROM auth_sessions WHERE token_hash = ?",
		      HUBKIT_ARGS(HUBKIT_TEXT(token_hash)));
}

/* ============================================================ API tokens */

unsigned id_scope_mask(const char *scope)
{
	if (!scope)
		return 0;
	if (strcmp(scope, "read") == 0)
		return HUB_SCOPE_READ;
	if (strcmp(scope, "book") == 0)
		return HUB_SCOPE_READ | HUB_SCOPE_BOOK;
	if (strcmp(scope, "admin") == 0)
		return HUB_SCOPE_READ | HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN;
	return 0;
}

int id_token_create(hub_db *db, const char *name, const char *scope,
		    const char *created_by, int64_t *id_out, char token_out[80],
		    int64_t *created_at)
{
	char hex[65], hash[65];
	int64_t now = id_now();
	int rc;
	if (!id_scope_mask(scope) || id_random_hex(32, hex) != 0)
		return HUB_DB_EMISUSE;
	snprintf(token_out, 80, TOKEN_PREFIX "%s", hex);
	id_sha256_hex(token_out, strlen(token_out), hash);
	rc = id_sql(db,
		    "INSERT INTO auth_tokens (name, scope, token_hash, "
		    "created_by, created_at) VALUES (?, ?, ?, ?, ?)",
		    HUBKIT_ARGS(HUBKIT_TEXT(name), HUBKIT_TEXT(scope),
				HUBKIT_TEXT(hash), HUBKIT_TEXT(created_by),
				HUBKIT_INT(now)));
	if (rc == HUB_DB_OK) {
		*id_out = hub_store_last_id(db);
		*created_at = now;
	}
	return rc;
}

int id_token_delete(hub_db *db, int64_t id)
{
	int rc = id_sql(db, "DELETE FROM auth_tokens WHERE id = ?",
			HUBKIT_ARGS(HUBKIT_INT(id)));
	if (rc == HUB_DB_OK && hub_store_changes(db) == 0)
		rc = HUB_DB_ENOTFOUND;
	return rc;
}

/* Length of the UTF-8 character at s (1..4), or 0 when s does not start
 * a complete, well-formed one (a NUL or a stray byte). */
static size_t utf8_char_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80		   ? 1
		   : (s[0] & 0xE0) == 0xC0 ? 2
		   : (s[0] & 0xF0) == 0xE0 ? 3
		   : (s[0] & 0xF8) == 0xF0 ? 4
					   : 0;
	if (s[0] == 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* The principal name of API token `id` named `name`: "token:ID:NAME",
 * NAME cut at a character boundary to fit (names are up to 64 characters,
 * up to 256 bytes; hub_user.username holds 63). The id keeps two long
 * names with one beginning apart; control characters become spaces. */
static void token_username(int64_t id, const char *name, char *out,
			   size_t outlen)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t o = (size_t)snprintf(out, outlen, "token:%lld:", (long long)id);
	size_t n;
	if (o >= outlen)
		return; /* cannot happen with a 64-byte buffer */
	while ((n = utf8_char_len(p)) > 0 && o + n < outlen) {
		for (size_t i = 0; i < n; i++)
			out[o++] = (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
				       ? ' '
				       : (char)p[i];
		p += n;
	}
	out[o] = 0;
}

/* Runs sql with the token hash bound and steps it: the statement on its
 * row (the caller finalizes it), or NULL when there is none or it failed. */
static hub_stmt *row_by_hash(hub_db *db, const char *sql, const char *hash)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(&id_sql_ops, db, sql,
				HUBKIT_ARGS(HUBKIT_TEXT(hash)), &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	if (rc != HUB_DB_ROW) {
		hub_stmt_finalize(st);
		return NULL;
	}
	return st;
}

static int lookup_token(hub_db *db, const char *tok, id_auth *a)
{
	char hash[65];
	hub_stmt *st;
	int64_t now = id_now(), id, last;
	size_t n = strlen(tok);

	if (n != 5 + ID_TOKEN_HEX || strncmp(tok, TOKEN_PREFIX, 5) != 0 ||
	    !is_hex64(tok + 5, ID_TOKEN_HEX))
		return HUB_AUTH_INVALID;
	id_sha256_hex(tok, n, hash);
	st =
	    row_by_hash(db,
			"SELECT id, name, scope, last_used_at FROM auth_tokens "
			"WHERE token_hash = ?",
			hash);
	if (!st)
		return HUB_AUTH_INVALID;
	id = hub_col_int(st, 0);
	token_username(id, hub_col_text(st, 1), a->user.username,
		       sizeof(a->user.username));
	a->user.scopes = id_scope_mask(hub_col_text(st, 2));
	last = hub_col_int(st, 3);
	hub_stmt_finalize(st);
	/* negative ids keep tokens apart from users (e.g. rate-limit keys) */
	a->user.id = -id;
	a->user.via_token = 1;
	a->user.role = (a->user.scopes & HUB_SCOPE_ADMIN) ? HUB_ROLE_ADMIN
							  : HUB_ROLE_STAFF;
	a->kind = 2;
	snprintf(a->token_hash, sizeof(a->token_hash), "%s", hash);
	if (now - last >= 60)
		id_sql(db,
		       "UPDATE auth_tokens SET last_used_at = ? WHERE id = ?",
		       HUBKIT_ARGS(HUBKIT_INT(now), HUBKIT_INT(id)));
	return HUB_AUTH_OK;
}

/* ====================================================== authentication */

static int lookup_session(hub_db *db, const char *token, int want_csrf,
			  id_auth *a)
{
	char hash[65];
	hub_stmt *st;
	int64_t now = id_now(), last_seen, expires, touch;

	id_sha256_hex(token, ID_TOKEN_HEX, hash);
	st = row_by_hash(
	    db,
	    "SELECT s.last_seen, s.expires_at, u.id, u.username, u.role, "
	    "u.disabled, u.consultant_id, u.must_change, u.must_setup_2fa, "
	    "u.totp_enabled, u.created_at, u.last_login_at, u.language FROM "
	    "auth_sessions "
	    "s JOIN users u ON u.id = "
	    "s.user_id WHERE s.token_hash = ?",
	    hash);
	if (!st)
		return HUB_AUTH_INVALID;
	last_seen = hub_col_int(st, 0);
	expires = hub_col_int(st, 1);
	a->row.id = hub_col_int(st, 2);
	snprintf(a->row.username, sizeof(a->row.username), "%s",
		 hub_col_text(st, 3));
	a->row.role = id_role_parse(hub_col_text(st, 4));
	a->row.disabled = hub_col_int(st, 5) != 0;
	a->row.consultant_id = hub_col_int(st, 6);
	a->row.must_change = hub_col_int(st, 7) != 0;
	a->row.must_setup_2fa = hub_col_int(st, 8) != 0;
	a->row.totp_enabled = hub_col_int(st, 9) != 0;
	a->row.created_at = hub_col_int(st, 10);
	a->row.last_login_at = hub_col_int(st, 11);
	id_user_read_language(st, 12, &a->row);
	hub_stmt_finalize(st);

	if (now >= expires || now - last_seen >= g_idc.session_idle_s ||
	    a->row.disabled || a->row.role == HUB_ROLE_NONE) {
		id_session_end(db, hash);
		return HUB_AUTH_INVALID;
	}
	touch = g_idc.session_idle_s / 4;
	if (touch > 60)
		touch = 60;
	if (now - last_seen >= touch)
		id_sql(db,
		       "UPDATE auth_sessions SET last_seen = ? WHERE "
		       "token_hash = ?",
		       HUBKIT_ARGS(HUBKIT_INT(now), HUBKIT_TEXT(hash)));
	a->kind = 1;
	a->restricted = a->row.must_change || id_user_needs_2fa_setup(&a->row);
	a->user.id = a->row.id;
	snprintf(a->user.username, sizeof(a->user.username), "%s",
		 a->row.username);
	a->user.role = a->row.role;
	a->user.consultant_id = a->row.consultant_id;
	snprintf(a->token_hash, sizeof(a->token_hash), "%s", hash);
	if (want_csrf) /* an HMAC: only writes need it */
		id_csrf_of(token, a->csrf);
	return HUB_AUTH_OK;
}

int id_auth_lookup(const char *cookie_header, const char *authz_header,
		   id_auth *a)
{
	return id_auth_lookup_opts(cookie_header, authz_header, 1, a);
}

int id_auth_lookup_opts(const char *cookie_header, const char *authz_header,
			int want_csrf, id_auth *a)
{
	char token[65];
	hub_db *db;
	int rc;

	memset(a, 0, sizeof(*a));
	if (authz_header && strncasecmp(authz_header, "Bearer ", 7) == 0) {
		const char *t = authz_header + 7;
		while (*t == ' ')
			t++;
		db = hub_store_db();
		if (!db || !g_idk.ready)
			return HUB_AUTH_INVALID;
		return lookup_token(db, t, a);
	}
	rc = id_cookie_token(cookie_header, token);
	if (rc == 0)
		return HUB_AUTH_NONE;
	if (rc < 0)
		return HUB_AUTH_INVALID;
	db = hub_store_db();
	if (!db || !g_idk.ready)
		return HUB_AUTH_INVALID;
	return lookup_session(db, token, want_csrf, a);
}

/* Authenticates a request for the router: a session (cookie) or an API
 * token (Bearer). A session of a user who still has to change the
 * password or set up 2FA is not accepted here (only the /api/v1/auth
 * routes take it). Returns HUB_AUTH_*. */
int hub_id_authenticate(const char *cookie_header, const char *authz_header,
			hub_user *user, char csrf_out[65])
{
	return hub_id_authenticate_as(cookie_header, authz_header, 0, user,
				      csrf_out);
}

/* Same as hub_id_authenticate; with allow_restricted, also accepts the
 * session of a user who still has to change the password or set up 2FA
 * (routes flagged HUB_ROUTE_RESTRICTED_OK). Returns HUB_AUTH_*. */
int hub_id_authenticate_as(const char *cookie_header, const char *authz_header,
			   int allow_restricted, hub_user *user,
			   char csrf_out[65])
{
	id_auth a;
	int rc = id_auth_lookup_opts(cookie_header, authz_header,
				     csrf_out != NULL, &a);
	if (rc == HUB_AUTH_OK && a.restricted && !allow_restricted)
		rc = HUB_AUTH_INVALID;
	if (rc == HUB_AUTH_OK) {
		*user = a.user;
		if (csrf_out)
			memcpy(csrf_out, a.csrf, sizeof(a.csrf));
	} else if (csrf_out) {
		csrf_out[0] = 0;
	}
	return rc;
}

/* ================================================= password change */

/* A new password ends every session of the user, in one transaction. */
typedef struct pw_change {
	int64_t id;
	const char *hash;
	int must_change;
} pw_change;

static int pw_change_tx(hub_db *db, void *ud)
{
	pw_change *c = ud;
	int rc = id_user_set_hash(db, c->id, c->hash, c->must_change);
	if (rc == HUB_DB_OK)
		rc = id_sessions_end_user(db, c->id);
	return rc;
}

int id_user_change_password(hub_db *db, int64_t id, const char *pw,
			    int must_change)
{
	char hash[256];
	pw_change c = {id, hash, must_change};
	int rc;
	if (id_pw_hash(pw, hash, sizeof(hash)) != 0)
		return HUB_DB_ERROR;
	rc = hub_store_transaction(db, pw_change_tx, &c);
	mbedtls_platform_zeroize(hash, sizeof(hash));
	return rc;
}
