/*
 * test_id_session.c - sessions and API tokens: the cookie's attributes,
 * tokens stored only as SHA-256, hub_id_authenticate (none / ok / invalid,
 * the CSRF token it hands the router, malformed cookies), idle and
 * absolute expiry, the events that end a user's sessions (logout,
 * password change, role change, disable, 2FA reset), CSRF on the auth
 * routes, and API tokens (shown once, hashed, scopes, last use, revoke;
 * the principal name "token:ID:NAME" valid UTF-8 and unique however long
 * the name).
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"
#include "hub_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int session_ok(const idt_session *s, hub_user *u, char csrf[65])
{
	return hub_id_authenticate(s->cookie + 8, NULL, u, csrf);
}

static void test_cookie_and_hash(void)
{
	idt_session s;
	idt_res r;
	hub_user u;
	char csrf[65], tok[80], hash[65], body_csrf[80], sql[256];

	idt_user("carl", HUB_ROLE_STAFF, "carl-password-1");
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &s, &r), 200);
	CHECK(strstr(r.cookie, "HttpOnly") != NULL);
	CHECK(strstr(r.cookie, "SameSite=Lax") != NULL);
	CHECK(strstr(r.cookie, "Path=/") != NULL);
	CHECK(strstr(r.cookie, "Max-Age=28800") != NULL);
	CHECK(strstr(r.cookie, "Secure") == NULL); /* no TLS, not configured */
	CHECK(sscanf(r.cookie, "hub_session=%64[0-9a-f]", tok) == 1);
	CHECK_INT(strlen(tok), 64);
	/* stored as SHA-256 only */
	id_sha256_hex(tok, 64, hash);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM auth_sessions WHERE token_hash = '%s'",
		 hash);
	CHECK_INT(idt_int(sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM auth_sessions WHERE token_hash = '%s'",
		 tok);
	CHECK_INT(idt_int(sql), 0);
	/* authenticate: user and the same CSRF token as the login reply */
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_OK);
	CHECK_STR(u.username, "carl");
	CHECK_INT(u.role, HUB_ROLE_STAFF);
	CHECK_INT(u.via_token, 0);
	CHECK(idt_json_str(r.body, "csrf_token", body_csrf, sizeof(body_csrf)));
	CHECK_STR(csrf, body_csrf);
	CHECK_INT(strlen(csrf), 64);
	/* /me gives the same CSRF token */
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    200);
	CHECK(idt_json_str(r.body, "csrf_token", body_csrf, sizeof(body_csrf)));
	CHECK_STR(csrf, body_csrf);
	/* signing in again from the same browser replaces its session */
	idt_session s2;
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &s2, &r), 200);
	const char *with_cookie[] = {s2.cookie, NULL};
	CHECK_INT(idt_call("POST", "/api/v1/auth/login",
			   "{\"username\":\"carl\",\"password\":"
			   "\"carl-password-1\"}",
			   (size_t)-1, with_cookie, NULL, NULL, &r),
		  200);
	CHECK_INT(session_ok(&s2, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_OK);
	/* Secure when configured */
	g_idc.cookie_secure = 1;
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &s, &r), 200);
	CHECK(strstr(r.cookie, "; Secure") != NULL);
	g_idc.cookie_secure = 0;
}

static void test_authenticate_inputs(void)
{
	hub_user u;
	char csrf[65];
	char bad[200];
	CHECK_INT(hub_id_authenticate(NULL, NULL, &u, csrf), HUB_AUTH_NONE);
	CHECK_INT(hub_id_authenticate("other=1; x=2", NULL, &u, csrf),
		  HUB_AUTH_NONE);
	CHECK_INT(hub_id_authenticate("hub_session=", NULL, &u, csrf),
		  HUB_AUTH_NONE);
	CHECK_INT(hub_id_authenticate("hub_session=abc", NULL, &u, csrf),
		  HUB_AUTH_INVALID);
	CHECK_STR(csrf, "");
	memset(bad, 'a', 64);
	snprintf(bad, sizeof(bad), "hub_session=%.64s",
		 "00000000000000000000000000000000000000000000000000000000000"
		 "00000");
	CHECK_INT(hub_id_authenticate(bad, NULL, &u, csrf), HUB_AUTH_INVALID);
	snprintf(bad, sizeof(bad), "hub_session=%.64s",
		 "0000000000000000000000000000000000000000000000000000000000"
		 "0000G0");
	CHECK_INT(hub_id_authenticate(bad, NULL, &u, csrf), HUB_AUTH_INVALID);
	/* "xhub_session" is another cookie */
	CHECK_INT(hub_id_authenticate("xhub_session=abc", NULL, &u, csrf),
		  HUB_AUTH_NONE);
	CHECK_INT(hub_id_authenticate(NULL, "Bearer nonsense", &u, csrf),
		  HUB_AUTH_INVALID);
	CHECK_INT(hub_id_authenticate(NULL, "Bearer ", &u, csrf),
		  HUB_AUTH_INVALID);
	CHECK_INT(hub_id_authenticate(NULL, "Basic Zm9vOmJhcg==", &u, csrf),
		  HUB_AUTH_NONE);
}

static void test_expiry(void)
{
	idt_session s;
	idt_res r;
	hub_user u;
	char csrf[65];
	int64_t t0;
	/* idle: 1 h without use ends it */
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &s, &r), 200);
	t0 = idt_now_s;
	idt_now_s = t0 + 3599;
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_OK);
	idt_now_s = t0 + 3599 + 3599; /* used at +3599, so still fresh */
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_OK);
	idt_now_s += 3600;
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_INVALID);
	/* and it is gone for good */
	idt_now_s = t0;
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_INVALID);

	/* absolute: 8 h even when used every 30 minutes */
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &s, &r), 200);
	t0 = idt_now_s;
	for (int i = 1; i < 16; i++) {
		idt_now_s = t0 + i * 1800;
		CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_OK);
	}
	idt_now_s = t0 + 8 * 3600 - 1;
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_OK);
	idt_now_s = t0 + 8 * 3600;
	CHECK_INT(session_ok(&s, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    401);
}

static void test_csrf_on_auth_routes(void)
{
	idt_session s;
	idt_res r;
	const char *nocsrf[2], *wrong[3];
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &s, &r), 200);
	nocsrf[0] = s.cookie;
	nocsrf[1] = NULL;
	wrong[0] = s.cookie;
	wrong[1] = "X-CSRF-Token: "
		   "0000000000000000000000000000000000000000000000000000000000"
		   "000000";
	wrong[2] = NULL;
	CHECK_INT(idt_call("POST", "/api/v1/auth/logout", NULL, 0, nocsrf, NULL,
			   NULL, &r),
		  403);
	CHECK(strstr(r.body, "\"csrf\"") != NULL);
	CHECK_INT(idt_call("POST", "/api/v1/auth/logout", NULL, 0, wrong, NULL,
			   NULL, &r),
		  403);
	CHECK_INT(idt_call("POST", "/api/v1/auth/password",
			   "{\"current\":\"carl-password-1\",\"new\":"
			   "\"carl-password-2\"}",
			   (size_t)-1, nocsrf, NULL, NULL, &r),
		  403);
	/* GET needs none */
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, nocsrf, NULL, NULL, &r),
	    200);
	/* the session still works: nothing changed */
	CHECK_INT(idt_call("POST", "/api/v1/auth/logout", NULL, 0, s.hdrs, NULL,
			   NULL, &r),
		  200);
	CHECK(strstr(r.cookie, "Max-Age=0") != NULL);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    401);
}

static void test_events_end_sessions(void)
{
	idt_session a, b, adm;
	idt_res r;
	hub_user u;
	char csrf[65];
	const char *p[] = {"name=carl", NULL};

	idt_user("root2", HUB_ROLE_ADMIN, "root2-password");
	CHECK_INT(idt_login("root2", "root2-password", NULL, &adm, &r), 200);

	/* password change: every session of the user ends, a new one is
	 * issued to the client that changed it */
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &a, &r), 200);
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &b, &r), 200);
	CHECK_INT(idt_call("POST", "/api/v1/auth/password",
			   "{\"current\":\"carl-password-1\",\"new\":"
			   "\"carl-password-2\"}",
			   (size_t)-1, a.hdrs, NULL, NULL, &r),
		  200);
	CHECK(strstr(r.cookie, "hub_session=") != NULL);
	CHECK_INT(session_ok(&a, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(session_ok(&b, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(idt_login("carl", "carl-password-1", NULL, &a, &r), 401);
	CHECK_INT(idt_login("carl", "carl-password-2", NULL, &a, &r), 200);

	/* role change */
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"role\":\"consultant\"}", (size_t)-1, adm.hdrs, p,
			   NULL, &r),
		  200);
	CHECK_INT(session_ok(&a, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(idt_login("carl", "carl-password-2", NULL, &a, &r), 200);
	CHECK_INT(session_ok(&a, &u, csrf), HUB_AUTH_OK);
	CHECK_INT(u.role, HUB_ROLE_CONSULTANT);
	/* a change that is no role change keeps the session */
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"consultant_id\":7}", (size_t)-1, adm.hdrs, p,
			   NULL, &r),
		  200);
	CHECK_INT(session_ok(&a, &u, csrf), HUB_AUTH_OK);
	CHECK_INT(u.consultant_id, 7);

	/* disable: sessions end and sign-in fails like a wrong password */
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"disabled\":true}", (size_t)-1, adm.hdrs, p, NULL,
			   &r),
		  200);
	CHECK_INT(session_ok(&a, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(idt_login("carl", "carl-password-2", NULL, &a, &r), 401);
	CHECK(strstr(r.body, "invalid_credentials") != NULL);
	CHECK_INT(idt_call("PATCH", "/api/v1/admin/users/{name}",
			   "{\"disabled\":false}", (size_t)-1, adm.hdrs, p,
			   NULL, &r),
		  200);
	CHECK_INT(idt_login("carl", "carl-password-2", NULL, &a, &r), 200);

	/* 2FA reset (also without 2FA on) ends sessions */
	CHECK_INT(idt_call("POST", "/api/v1/admin/users/{name}/totp-reset",
			   NULL, 0, adm.hdrs, p, NULL, &r),
		  200);
	CHECK_INT(session_ok(&a, &u, csrf), HUB_AUTH_INVALID);
	id_lock_clear(hub_store_db(), "acct", "carl");
	id_lock_clear(hub_store_db(), "addr", "192.0.2.1");
}

static void test_tokens(void)
{
	idt_session adm;
	idt_res r;
	hub_user u;
	char csrf[65], tok[100], tok1[100], auth[160], id[16], sql[256];
	char hash[65];
	const char *bearer[2];
	const char *p[2];
	char pid[32];

	CHECK_INT(idt_login("root2", "root2-password", NULL, &adm, &r), 200);
	CHECK_INT(idt_call("POST", "/api/v1/admin/tokens",
			   "{\"name\":\"crm\",\"scope\":\"book\"}", (size_t)-1,
			   adm.hdrs, NULL, NULL, &r),
		  201);
	CHECK(idt_json_str(r.body, "token", tok, sizeof(tok)));
	CHECK(idt_json_str(r.body, "id", id, sizeof(id)));
	CHECK(strstr(r.body, "\"created_at\":\"") != NULL);
	CHECK(strncmp(tok, "hubt_", 5) == 0 && strlen(tok) == 69);
	snprintf(tok1, sizeof(tok1), "%s", tok);
	/* stored hashed only */
	id_sha256_hex(tok, strlen(tok), hash);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM auth_tokens WHERE token_hash = '%s'",
		 hash);
	CHECK_INT(idt_int(sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM auth_tokens WHERE token_hash = '%s'",
		 tok + 5);
	CHECK_INT(idt_int(sql), 0);
	/* the list never shows it again */
	CHECK_INT(idt_call("GET", "/api/v1/admin/tokens", NULL, 0, adm.hdrs,
			   NULL, NULL, &r),
		  200);
	CHECK(strstr(r.body, tok) == NULL && strstr(r.body, "\"crm\""));
	CHECK(strstr(r.body, "\"last_used_at\":null") != NULL);
	CHECK(strstr(r.body, "\"next_cursor\":null") != NULL);

	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	CHECK_INT(hub_id_authenticate(NULL, auth, &u, csrf), HUB_AUTH_OK);
	CHECK_INT(u.via_token, 1);
	CHECK_INT(u.scopes, HUB_SCOPE_READ | HUB_SCOPE_BOOK);
	snprintf(sql, sizeof(sql), "token:%s:crm", id);
	CHECK_STR(u.username, sql);
	CHECK(u.id < 0);
	CHECK_STR(csrf, "");
	/* a bearer wins over a cookie; last use recorded */
	CHECK_INT(hub_id_authenticate(adm.cookie + 8, auth, &u, csrf),
		  HUB_AUTH_OK);
	CHECK_INT(u.via_token, 1);
	CHECK_INT(idt_int("SELECT last_used_at FROM auth_tokens WHERE name = "
			  "'crm'"),
		  idt_now_s);

	/* scopes: any token may read /me; book is not admin */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	bearer[0] = auth;
	bearer[1] = NULL;
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, bearer, NULL, NULL, &r),
	    200);
	CHECK(strstr(r.body, "\"scope\":\"book\"") != NULL);
	CHECK_INT(idt_call("GET", "/api/v1/admin/users", NULL, 0, bearer, NULL,
			   NULL, &r),
		  403);
	CHECK_INT(idt_call("POST", "/api/v1/auth/password",
			   "{\"current\":\"a\",\"new\":\"b\"}", (size_t)-1,
			   bearer, NULL, NULL, &r),
		  403);
	CHECK_INT(id_scope_mask("read"), HUB_SCOPE_READ);
	CHECK_INT(id_scope_mask("admin"),
		  HUB_SCOPE_READ | HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN);
	CHECK_INT(id_scope_mask("root"), 0);

	/* an admin token may use admin routes, without CSRF */
	CHECK_INT(idt_call("POST", "/api/v1/admin/tokens",
			   "{\"name\":\"ops\",\"scope\":\"admin\"}", (size_t)-1,
			   adm.hdrs, NULL, NULL, &r),
		  201);
	CHECK(idt_json_str(r.body, "token", tok, sizeof(tok)));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	CHECK_INT(idt_call("GET", "/api/v1/admin/users", NULL, 0, bearer, NULL,
			   NULL, &r),
		  200);
	CHECK_INT(idt_call("POST", "/api/v1/admin/tokens",
			   "{\"name\":\"ops\",\"scope\":\"read\"}", (size_t)-1,
			   bearer, NULL, NULL, &r),
		  409);
	CHECK_INT(idt_call("POST", "/api/v1/admin/tokens",
			   "{\"name\":\"x\",\"scope\":\"root\"}", (size_t)-1,
			   bearer, NULL, NULL, &r),
		  422);

	/* revoke the first one */
	snprintf(pid, sizeof(pid), "id=%s", id);
	p[0] = pid;
	p[1] = NULL;
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/tokens/{id}", NULL, 0,
			   adm.hdrs, p, NULL, &r),
		  204);
	CHECK_INT(idt_call("DELETE", "/api/v1/admin/tokens/{id}", NULL, 0,
			   adm.hdrs, p, NULL, &r),
		  404);
	snprintf(sql, sizeof(sql), "Bearer %s", tok1);
	CHECK_INT(hub_id_authenticate(NULL, sql, &u, csrf), HUB_AUTH_INVALID);
	snprintf(sql, sizeof(sql), "Bearer hubt_%s", hash); /* never issued */
	CHECK_INT(hub_id_authenticate(NULL, sql, &u, csrf), HUB_AUTH_INVALID);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM auth_tokens WHERE name = "
			  "'crm'"),
		  0);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE action IN "
			  "('token.create', 'token.revoke')"),
		  3);
}

/* Creates token `name` (JSON-ready text) and authenticates with it;
 * fills *u and the token's id. Returns 1 on success. */
static int token_user(const idt_session *adm, const char *name, hub_user *u,
		      char id[16])
{
	char body[600], tok[100], auth[160], csrf[65];
	idt_res r;
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"scope\":\"read\"}",
		 name);
	if (idt_call("POST", "/api/v1/admin/tokens", body, (size_t)-1,
		     adm->hdrs, NULL, NULL, &r) != 201 ||
	    !idt_json_str(r.body, "token", tok, sizeof(tok)) ||
	    !idt_json_str(r.body, "id", id, 16))
		return 0;
	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	return hub_id_authenticate(NULL, auth, u, csrf) == HUB_AUTH_OK;
}

/* `u` is "token:ID:" followed by a prefix of `name` of whole characters,
 * valid UTF-8, fitting hub_user.username. */
static int token_name_ok(const hub_user *u, const char *id, const char *name)
{
	char pre[40];
	size_t n = (size_t)snprintf(pre, sizeof(pre), "token:%s:", id);
	size_t len = strlen(u->username);
	return len < sizeof(u->username) && strncmp(u->username, pre, n) == 0 &&
	       hubkit_utf8_valid(u->username, len) &&
	       strncmp(u->username + n, name, len - n) == 0;
}

static void test_token_names(void)
{
	char a64[200], a63x1[200], a63x2[200], id1[16], id2[16], id3[16];
	idt_session adm;
	idt_res r;
	hub_user u1, u2, u3;
	a64[0] = 0;
	for (int i = 0; i < 64; i++)
		strcat(a64, "\xc3\xa4"); /* 64 x 'ä', 128 bytes */
	snprintf(a63x1, sizeof(a63x1), "%.126s1", a64);
	snprintf(a63x2, sizeof(a63x2), "%.126s2", a64);
	CHECK_INT(idt_login("root2", "root2-password", NULL, &adm, &r), 200);
	CHECK(token_user(&adm, a64, &u1, id1));
	CHECK(token_name_ok(&u1, id1, a64));
	/* two names alike in their first 63 characters stay apart */
	CHECK(token_user(&adm, a63x1, &u2, id2));
	CHECK(token_user(&adm, a63x2, &u3, id3));
	CHECK(token_name_ok(&u2, id2, a63x1));
	CHECK(token_name_ok(&u3, id3, a63x2));
	CHECK(strcmp(u2.username, u3.username) != 0);
	/* a short name whole; a tab in it is no control character here */
	CHECK(token_user(&adm, "crm\\tsync", &u1, id1));
	char want[64];
	snprintf(want, sizeof(want), "token:%s:crm sync", id1);
	CHECK_STR(u1.username, want);
}

int main(void)
{
	idt_setup("sess", "[ratelimit]\nlogin = 1000/min\nlogin_account = "
			  "1000/min\nadmin = 1000/min\n");
	test_cookie_and_hash();
	test_authenticate_inputs();
	test_expiry();
	test_csrf_on_auth_routes();
	test_events_end_sessions();
	test_tokens();
	test_token_names();
	idt_teardown();
	return check_report("identity.session");
}
