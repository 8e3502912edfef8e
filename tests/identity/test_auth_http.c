/*
 * test_auth_http.c - identity end to end through a real hubd (router,
 * server, civetweb) on loopback:
 *
 *  - first start: the admin's one-time password printed once, the session
 *    of that login good only for changing it; secret.key made 0600;
 *  - the whole sign-in flow with codes from the `oathtool` command:
 *    setup, enable, totp_required, a drifted (next-step) code accepted, a
 *    replayed one refused, backup codes single-use;
 *  - the cookie's attributes, CSRF missing -> 403, API tokens and scopes,
 *    the audit log over HTTP, the pages served under /auth;
 *  - rate limiting: the 6th login of 5/min gets 429 with Retry-After and
 *    RateLimit headers, X-Forwarded-For from an untrusted peer ignored
 *    (rotating it does not help), honoured from a trusted proxy, and the
 *    per-account limit holding across addresses with one consistent set
 *    of RateLimit headers on its 429;
 *  - docs/API.md's error precedence on the self-service routes (/me, /logout,
 *    /password, /totp/...): 401 before 429 and 415 for anonymous callers,
 *    who spend no rate budget; a restricted session admitted there (and
 *    only there); /me and /logout in the "api" rate class; API tokens
 *    only on /me;
 *  - bad input on every endpoint -> 4xx, never 500.
 */
#define _GNU_SOURCE
#include "check.h"
#include "hubproc.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct sess {
	char cookie[160]; /* "Cookie: hub_session=..." */
	char csrf[120];	  /* "X-CSRF-Token: ..." */
} sess;

static hubproc g_h;

static long req(const hubproc *h, const char *method, const char *path,
		const char *const *extra, const char *body, http_res *r)
{
	const char *hdrs[12];
	char url[512];
	int n = 0;
	if (body)
		hdrs[n++] = "Content-Type: application/json";
	for (int i = 0; extra && extra[i] && n < 11; i++)
		hdrs[n++] = extra[i];
	hdrs[n] = NULL;
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	memset(r, 0, sizeof(*r));
	if (http_do(method, url, hdrs, body, body ? strlen(body) : 0, r) != 0)
		return -1;
	return r->status;
}

/* A request with exactly the headers given (no Content-Type added). */
static long raw(const hubproc *h, const char *method, const char *path,
		const char *const *hdrs, const char *body, http_res *r)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	memset(r, 0, sizeof(*r));
	if (http_do(method, url, hdrs, body, body ? strlen(body) : 0, r) != 0)
		return -1;
	return r->status;
}

/* How many times response header `name` occurs. */
static int hdr_count(const http_res *r, const char *name)
{
	size_t nl = strlen(name);
	int n = 0;
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl))
			n++;
		p += len + (eol ? 2 : 0);
	}
	return n;
}

/* Integer value of response header `name`, -1 when absent. */
static long hdr_int(const http_res *r, const char *name)
{
	char v[64];
	return http_header(r, name, v, sizeof(v)) ? atol(v) : -1;
}

static int jstr(const char *body, const char *path, char *out, size_t n)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *it = root;
	char buf[128], *save = NULL;
	int ok = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && it;
	     t = strtok_r(NULL, ".", &save))
		it = cJSON_GetObjectItemCaseSensitive(it, t);
	if (it && cJSON_IsString(it)) {
		snprintf(out, n, "%s", it->valuestring);
		ok = 1;
	} else if (it && cJSON_IsBool(it)) {
		snprintf(out, n, "%s", cJSON_IsTrue(it) ? "true" : "false");
		ok = 1;
	}
	cJSON_Delete(root);
	return ok;
}

/* Signs in; fills *s from Set-Cookie and csrf_token. */
static long login(const hubproc *h, const char *user, const char *pw,
		  const char *totp, const char *const *extra, sess *s,
		  http_res *r)
{
	char body[512], cookie[256], csrf[100], tok[80];
	long st;
	if (totp)
		snprintf(body, sizeof(body),
			 "{\"username\":\"%s\",\"password\":\"%s\","
			 "\"totp\":\"%s\"}",
			 user, pw, totp);
	else
		snprintf(body, sizeof(body),
			 "{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
	st = req(h, "POST", "/api/v1/auth/login", extra, body, r);
	if (s)
		memset(s, 0, sizeof(*s));
	if (s && st == 200 &&
	    http_header(r, "Set-Cookie", cookie, sizeof(cookie)) &&
	    sscanf(cookie, "hub_session=%70[0-9a-f]", tok) == 1 &&
	    jstr(r->body, "csrf_token", csrf, sizeof(csrf))) {
		snprintf(s->cookie, sizeof(s->cookie), "Cookie: hub_session=%s",
			 tok);
		snprintf(s->csrf, sizeof(s->csrf), "X-CSRF-Token: %s", csrf);
	}
	return st;
}

static long call(const hubproc *h, const char *method, const char *path,
		 const sess *s, const char *body, http_res *r)
{
	const char *hdrs[] = {s->cookie, s->csrf, NULL};
	return req(h, method, path, hdrs, body, r);
}

static int oathtool(const char *b32, long long when, char *out, size_t n)
{
	char cmd[256];
	FILE *p;
	int ok;
	snprintf(cmd, sizeof(cmd), "oathtool --totp -b -N @%lld %s", when, b32);
	if (!(p = popen(cmd, "r")))
		return -1;
	ok = fgets(out, (int)n, p) != NULL;
	pclose(p);
	out[strcspn(out, "\r\n")] = 0;
	return ok ? 0 : -1;
}

/* ================================================== first start, flow */

static char g_admin_pw[64] = "admin-password-2";

static void test_bootstrap(const hubproc *h, sess *adm)
{
	char line[512], pw[64] = "", path[400];
	FILE *fp = fopen(h->log, "r");
	int printed = 0;
	struct stat st;
	http_res r;
	while (fp && fgets(line, sizeof(line), fp)) {
		char *at = strstr(line, "one-time password ");
		if (at) {
			sscanf(at + 18, "%63s", pw);
			printed++;
		}
	}
	if (fp)
		fclose(fp);
	CHECK_INT(printed, 1);
	CHECK_INT(strlen(pw), 20);
	snprintf(path, sizeof(path), "%s/data/secret.key", h->dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	CHECK_INT(login(h, "admin", "wrong-password", NULL, NULL, adm, &r),
		  401);
	http_free(&r);
	CHECK_INT(login(h, "admin", pw, NULL, NULL, adm, &r), 200);
	CHECK(strstr(r.body, "\"must_change_password\":true") != NULL);
	char cookie[256];
	CHECK(http_header(&r, "Set-Cookie", cookie, sizeof(cookie)));
	CHECK(strstr(cookie, "HttpOnly") && strstr(cookie, "SameSite=Lax") &&
	      strstr(cookie, "Path=/") && !strstr(cookie, "Secure"));
	http_free(&r);
	/* good only for the password change */
	CHECK_INT(call(h, "GET", "/api/v1/admin/users", adm, NULL, &r), 401);
	http_free(&r);
	CHECK_INT(call(h, "GET", "/api/v1/auth/me", adm, NULL, &r), 200);
	http_free(&r);
	char body[256];
	snprintf(body, sizeof(body), "{\"current\":\"%s\",\"new\":\"%s\"}", pw,
		 g_admin_pw);
	const char *nocsrf[] = {adm->cookie, NULL};
	CHECK_INT(req(h, "POST", "/api/v1/auth/password", nocsrf, body, &r),
		  403);
	http_free(&r);
	CHECK_INT(call(h, "POST", "/api/v1/auth/password", adm, body, &r), 200);
	http_free(&r);
	CHECK_INT(login(h, "admin", g_admin_pw, NULL, NULL, adm, &r), 200);
	http_free(&r);
	CHECK_INT(call(h, "GET", "/api/v1/admin/users", adm, NULL, &r), 200);
	http_free(&r);
}

static void test_flow(const hubproc *h, const sess *adm)
{
	http_res r;
	sess s;
	char b32[64], code[16], body[256], codes[10][16];
	const char *nocsrf[] = {adm->cookie, NULL};
	long long now;

	/* CSRF missing on an admin write -> 403 from the router */
	CHECK_INT(req(h, "POST", "/api/v1/admin/users", nocsrf,
		      "{\"username\":\"otto\",\"role\":\"staff\","
		      "\"password\":\"otto-password-1\"}",
		      &r),
		  403);
	CHECK(strstr(r.body, "\"csrf\"") != NULL);
	http_free(&r);
	CHECK_INT(call(h, "POST", "/api/v1/admin/users", adm,
		       "{\"username\":\"otto\",\"role\":\"staff\","
		       "\"password\":\"otto-password-1\"}",
		       &r),
		  201);
	http_free(&r);

	CHECK_INT(login(h, "otto", "otto-password-1", NULL, NULL, &s, &r), 200);
	http_free(&r);
	CHECK_INT(call(h, "POST", "/api/v1/auth/totp/setup", &s,
		       "{\"password\":\"otto-password-1\"}", &r),
		  200);
	CHECK(jstr(r.body, "secret", b32, sizeof(b32)));
	CHECK(strstr(r.body, "\"otpauth_uri\":\"otpauth://totp/") != NULL);
	CHECK(strstr(r.body, "\"qr_svg\":\"<svg") != NULL);
	http_free(&r);
	now = time(NULL);
	CHECK_INT(oathtool(b32, now, code, sizeof(code)), 0);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	CHECK_INT(call(h, "POST", "/api/v1/auth/totp/enable", &s, body, &r),
		  200);
	cJSON *root = cJSON_Parse(r.body);
	cJSON *arr = cJSON_GetObjectItem(root, "backup_codes");
	CHECK_INT(cJSON_GetArraySize(arr), 10);
	for (int i = 0; i < 10 && i < cJSON_GetArraySize(arr); i++)
		snprintf(codes[i], sizeof(codes[i]), "%s",
			 cJSON_GetArrayItem(arr, i)->valuestring);
	cJSON_Delete(root);
	http_free(&r);
	CHECK_INT(call(h, "POST", "/api/v1/auth/logout", &s, NULL, &r), 200);
	http_free(&r);
	CHECK_INT(call(h, "GET", "/api/v1/auth/me", &s, NULL, &r), 401);
	http_free(&r);

	CHECK_INT(login(h, "otto", "otto-password-1", NULL, NULL, &s, &r), 401);
	CHECK(strstr(r.body, "\"totp_required\"") != NULL);
	http_free(&r);
	/* the enable code again: replay, refused */
	CHECK_INT(login(h, "otto", "otto-password-1", code, NULL, &s, &r), 401);
	CHECK(strstr(r.body, "\"invalid_credentials\"") != NULL);
	http_free(&r);
	/* the authenticator's next code (clock drift of one step) works */
	CHECK_INT(oathtool(b32, now + 30, code, sizeof(code)), 0);
	CHECK_INT(login(h, "otto", "otto-password-1", code, NULL, &s, &r), 200);
	http_free(&r);
	CHECK_INT(login(h, "otto", "otto-password-1", code, NULL, &s, &r), 401);
	http_free(&r);
	/* a backup code, once */
	CHECK_INT(login(h, "otto", "otto-password-1", codes[3], NULL, &s, &r),
		  200);
	http_free(&r);
	CHECK_INT(login(h, "otto", "otto-password-1", codes[3], NULL, &s, &r),
		  401);
	http_free(&r);
	CHECK_INT(call(h, "GET", "/api/v1/auth/me", &s, NULL, &r), 401);
	http_free(&r);

	/* the admin sees it in the audit log, with the real address */
	CHECK_INT(call(h, "GET",
		       "/api/v1/admin/audit?actor=otto&action=login.failure",
		       adm, NULL, &r),
		  200);
	CHECK(strstr(r.body, "\"client\":\"127.0.0.1\"") != NULL);
	CHECK(strstr(r.body, "wrong or reused 2FA code") != NULL);
	CHECK(strstr(r.body, "otto-password-1") == NULL);
	http_free(&r);
}

static void test_tokens(const hubproc *h, const sess *adm)
{
	http_res r;
	char tok[100], id[32], auth[160], path[64];
	CHECK_INT(call(h, "POST", "/api/v1/admin/tokens", adm,
		       "{\"name\":\"reader\",\"scope\":\"read\"}", &r),
		  201);
	CHECK(jstr(r.body, "token", tok, sizeof(tok)));
	cJSON *root = cJSON_Parse(r.body);
	snprintf(id, sizeof(id), "%d",
		 cJSON_GetObjectItem(root, "id")->valueint);
	cJSON_Delete(root);
	http_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	const char *b[] = {auth, NULL};
	char want[64];
	CHECK_INT(req(h, "GET", "/api/v1/auth/me", b, NULL, &r), 200);
	snprintf(want, sizeof(want), "\"username\":\"token:%s:reader\"", id);
	CHECK(strstr(r.body, want) != NULL);
	http_free(&r);
	CHECK_INT(req(h, "GET", "/api/v1/admin/users", b, NULL, &r), 403);
	http_free(&r);
	/* the self-service writes are for people: the router's scope check */
	static const char *const self[] = {
	    "/api/v1/auth/password", "/api/v1/auth/totp/setup",
	    "/api/v1/auth/totp/enable", "/api/v1/auth/totp/disable",
	    "/api/v1/auth/logout"};
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++) {
		CHECK_INT(req(h, "POST", self[i], b, "{}", &r), 403);
		CHECK(r.body && strstr(r.body, "scope") != NULL);
		http_free(&r);
	}
	snprintf(path, sizeof(path), "/api/v1/admin/tokens/%s", id);
	CHECK_INT(call(h, "DELETE", path, adm, NULL, &r), 204);
	http_free(&r);
	CHECK_INT(req(h, "GET", "/api/v1/auth/me", b, NULL, &r), 401);
	http_free(&r);
	/* any scope may read /me */
	CHECK_INT(call(h, "POST", "/api/v1/admin/tokens", adm,
		       "{\"name\":\"robot\",\"scope\":\"admin\"}", &r),
		  201);
	CHECK(jstr(r.body, "token", tok, sizeof(tok)));
	http_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	CHECK_INT(req(h, "GET", "/api/v1/auth/me", b, NULL, &r), 200);
	CHECK(strstr(r.body, "\"scope\":\"admin\"") != NULL);
	http_free(&r);
}

static void test_pages(const hubproc *h)
{
	static const char *const pages[] = {
	    "/auth/index.html", "/auth/totp.html", "/auth/password.html"};
	http_res r;
	char v[512];
	for (size_t i = 0; i < 3; i++) {
		CHECK_INT(req(h, "GET", pages[i], NULL, NULL, &r), 200);
		CHECK(http_header(&r, "Content-Type", v, sizeof(v)) &&
		      strstr(v, "text/html"));
		CHECK(
		    http_header(&r, "Content-Security-Policy", v, sizeof(v)) &&
		    strstr(v, "default-src 'self'"));
		/* no inline script or style */
		CHECK(r.body && !strstr(r.body, "<script>") &&
		      !strstr(r.body, "style=") && !strstr(r.body, "<style") &&
		      !strstr(r.body, "onclick") &&
		      strstr(r.body, "name=\"viewport\""));
		http_free(&r);
	}
	CHECK_INT(req(h, "GET", "/auth/auth.js", NULL, NULL, &r), 200);
	http_free(&r);
	CHECK_INT(req(h, "GET", "/auth/auth.css", NULL, NULL, &r), 200);
	http_free(&r);
}

/* ============================================================ bad input */

static void test_bad_input(const hubproc *h, const sess *adm)
{
	static const char *const eps[][2] = {
	    {"POST", "/api/v1/auth/login"},
	    {"POST", "/api/v1/auth/logout"},
	    {"POST", "/api/v1/auth/password"},
	    {"POST", "/api/v1/auth/totp/setup"},
	    {"POST", "/api/v1/auth/totp/enable"},
	    {"POST", "/api/v1/auth/totp/disable"},
	    {"GET", "/api/v1/admin/users?limit=abc"},
	    {"POST", "/api/v1/admin/users"},
	    {"PATCH", "/api/v1/admin/users/nobody"},
	    {"PATCH", "/api/v1/admin/users/%ff%fe"},
	    {"DELETE", "/api/v1/admin/users/nobody"},
	    {"POST", "/api/v1/admin/users/nobody/totp-reset"},
	    {"POST", "/api/v1/admin/users/nobody/unlock"},
	    {"GET", "/api/v1/admin/tokens?cursor=-1"},
	    {"POST", "/api/v1/admin/tokens"},
	    {"DELETE", "/api/v1/admin/tokens/abc"},
	    {"GET", "/api/v1/admin/audit?since=garbage"},
	    {"GET", "/api/v1/admin/audit?actor=%ff"},
	};
	static const char *const bodies[] = {
	    "not json",
	    "[]",
	    "{\"username\":1,\"password\":[]}",
	    "{\"x\":\"\xff\xfe\"}",
	    "{\"password\":\"\"}",
	    "{\"role\":{},\"name\":true,\"scope\":null,\"code\":1.5}",
	    NULL};
	char *huge = malloc(3 * 1024 * 1024);
	http_res r;
	int calls = 0, bad = 0;
	memset(huge, 'a', 3 * 1024 * 1024 - 1);
	huge[3 * 1024 * 1024 - 1] = 0;
	memcpy(huge, "{\"a\":\"", 6);
	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		for (size_t j = 0; j < sizeof(bodies) / sizeof(bodies[0]);
		     j++) {
			const char *body = bodies[j];
			long st;
			if ((!strcmp(eps[i][0], "GET") && body) ||
			    (strstr(eps[i][1], "logout") && !body))
				continue; /* (that would really sign out) */
			st = call(h, eps[i][0], eps[i][1], adm, body, &r);
			calls++;
			if (st < 400 || st > 499) {
				bad++;
				fprintf(stderr, "%s %s [%s] -> %ld %s\n",
					eps[i][0], eps[i][1], body ? body : "",
					st, r.body ? r.body : "");
			}
			http_free(&r);
		}
		/* huge body: 413 (or 4xx from the handler) */
		if (strcmp(eps[i][0], "GET") != 0) {
			long st = call(h, eps[i][0], eps[i][1], adm, huge, &r);
			calls++;
			if (st < 400 || st > 499) {
				bad++;
				fprintf(stderr, "%s %s [huge] -> %ld\n",
					eps[i][0], eps[i][1], st);
			}
			http_free(&r);
		}
	}
	/* wrong content type */
	const char *form[] = {adm->cookie, adm->csrf,
			      "Content-Type: application/x-www-form-urlencoded",
			      NULL};
	char url[256];
	snprintf(url, sizeof(url), "%s/api/v1/auth/login", h->base);
	CHECK_INT(http_do("POST", url, form, "username=a&password=b", 21, &r),
		  0);
	CHECK_INT(r.status, 415);
	http_free(&r);
	free(huge);
	printf("bad input over HTTP: %d requests, %d not 4xx\n", calls, bad);
	CHECK(calls > 100);
	CHECK_INT(bad, 0);
	/* still alive and well */
	CHECK_INT(call(h, "GET", "/api/v1/auth/me", adm, NULL, &r), 200);
	http_free(&r);
}

/* ===================================================== hubctl (binary) */

/* `hubctl user ...` on the same data directory after hubd stopped. */
static void test_hubctl(const hubproc *h)
{
	char out[4096];
	const char *add[] = {HUBCTL_PATH, "-c",	    h->conf, "user", "add",
			     "zoe",	  "--role", "staff", NULL};
	const char *list[] = {HUBCTL_PATH, "-c", h->conf, "user", "list", NULL};
	const char *role[] = {HUBCTL_PATH, "-c",  h->conf,  "user",
			      "role",	   "zoe", "wizard", NULL};
	CHECK_INT(hubproc_run(add, "zoe-password-1\n", out, sizeof(out)), 0);
	CHECK_INT(hubproc_run(list, NULL, out, sizeof(out)), 0);
	CHECK(strstr(out, "zoe\tstaff\tactive\n") != NULL);
	CHECK(strstr(out, "otto\tstaff\tactive,2fa\n") != NULL);
	CHECK(strstr(out, "admin\tadmin\tactive\n") != NULL);
	CHECK_INT(hubproc_run(add, "zoe-password-1\n", out, sizeof(out)), 1);
	CHECK(strstr(out, "exists") != NULL && strchr(out, '\n') &&
	      strchr(out, '\n')[1] == 0); /* one line */
	CHECK_INT(hubproc_run(role, NULL, out, sizeof(out)), 1);
}

/* ========================================================= rate limits */

static void test_rate_untrusted(void)
{
	hubproc p;
	http_res r;
	char v[64], xff[80];
	const char *conf =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\ntrusted_proxies = 10.0.0.0/8\n"
	    "\n[ratelimit]\nlogin = 5/min\n"
	    "\n[module.health]\npath = health.so\n";
	if (hubproc_start(&p, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	/* 5 attempts from "different" addresses, all really 127.0.0.1 */
	for (int i = 0; i < 5; i++) {
		snprintf(xff, sizeof(xff), "X-Forwarded-For: 203.0.113.%d",
			 i + 1);
		const char *h[] = {xff, NULL};
		CHECK_INT(
		    login(&p, "nobody", "some-password", NULL, h, NULL, &r),
		    401);
		CHECK(http_header(&r, "RateLimit-Limit", v, sizeof(v)) &&
		      !strcmp(v, "5"));
		CHECK(http_header(&r, "RateLimit-Remaining", v, sizeof(v)) &&
		      atoi(v) == 4 - i);
		http_free(&r);
	}
	snprintf(xff, sizeof(xff), "X-Forwarded-For: 198.51.100.77");
	const char *h6[] = {xff, NULL};
	CHECK_INT(login(&p, "nobody", "some-password", NULL, h6, NULL, &r),
		  429);
	CHECK(strstr(r.body, "\"rate_limited\"") != NULL);
	CHECK(http_header(&r, "Retry-After", v, sizeof(v)) && atoi(v) >= 1 &&
	      atoi(v) <= 60);
	CHECK(http_header(&r, "RateLimit-Remaining", v, sizeof(v)) &&
	      !strcmp(v, "0"));
	http_free(&r);
	/* the audit log recorded the real peer, not the forged header */
	CHECK_INT(hubproc_stop(&p, 15), 0);
	hubproc_cleanup(&p);
}

static void test_rate_trusted(void)
{
	hubproc p;
	http_res r;
	char xff[80];
	const char *conf =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\ntrusted_proxies = 127.0.0.1\n"
	    "\n[ratelimit]\nlogin = 5/min\n"
	    "\n[module.health]\npath = health.so\n";
	if (hubproc_start(&p, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	/* behind a trusted proxy each client has its own budget ... */
	for (int i = 0; i < 8; i++) {
		snprintf(xff, sizeof(xff), "X-Forwarded-For: 203.0.113.%d",
			 i + 1);
		const char *h[] = {xff, NULL};
		char name[32];
		snprintf(name, sizeof(name), "user%d", i);
		CHECK_INT(login(&p, name, "some-password", NULL, h, NULL, &r),
			  401);
		http_free(&r);
	}
	/* ... but one account is limited across addresses */
	for (int i = 0; i < 5; i++) {
		snprintf(xff, sizeof(xff), "X-Forwarded-For: 198.51.100.%d",
			 i + 1);
		const char *h[] = {xff, NULL};
		CHECK_INT(
		    login(&p, "victim", "some-password", NULL, h, NULL, &r),
		    401);
		http_free(&r);
	}
	/* a fresh address (its own budget untouched), but the account's
	 * limit refuses: one set of RateLimit headers, the account's */
	snprintf(xff, sizeof(xff), "X-Forwarded-For: 198.51.100.99");
	const char *h6[] = {xff, NULL};
	CHECK_INT(login(&p, "victim", "some-password", NULL, h6, NULL, &r),
		  429);
	CHECK_INT(hdr_count(&r, "RateLimit-Limit"), 1);
	CHECK_INT(hdr_count(&r, "RateLimit-Remaining"), 1);
	CHECK_INT(hdr_count(&r, "RateLimit-Reset"), 1);
	CHECK_INT(hdr_count(&r, "Retry-After"), 1);
	CHECK_INT(hdr_int(&r, "RateLimit-Limit"), 5);
	CHECK_INT(hdr_int(&r, "RateLimit-Remaining"), 0);
	CHECK(hdr_int(&r, "Retry-After") >= 1 &&
	      hdr_int(&r, "Retry-After") <= 60);
	CHECK_INT(hdr_int(&r, "RateLimit-Reset"), hdr_int(&r, "Retry-After"));
	http_free(&r);
	CHECK_INT(hubproc_stop(&p, 15), 0);
	hubproc_cleanup(&p);
}

/* Signed-in requests count per user, never per address: a phone team
 * behind one office address does not share one budget. Anonymous
 * requests and sign-ins count per address, sign-ins also per account.
 * Also: the user's language (PATCH /me) and the start page by role. */
static void test_rate_per_user(void)
{
	const char *conf =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\nbootstrap_admin = false\n"
	    "\n[ratelimit]\nlogin = 100/min\nlogin_account = 3/min\n"
	    "api = 10/min\n"
	    "\n[module.health]\npath = health.so\n";
	static const char *const names[] = {"amy", "ben", "cleo"};
	char out[1024], v[64];
	hubproc p;
	http_res r;
	sess s[3];
	if (hubproc_start(&p, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < 3; i++) {
		const char *add[] = {
		    HUBCTL_PATH, "-c",	   p.conf,   "user",
		    "add",	 names[i], "--role", i == 2 ? "admin" : "staff",
		    NULL};
		CHECK_INT(
		    hubproc_run(add, "office-password-1\n", out, sizeof(out)),
		    0);
		CHECK_INT(login(&p, names[i], "office-password-1", NULL, NULL,
				&s[i], &r),
			  200);
		http_free(&r);
	}
	/* amy (same address as ben) uses up her 10 calls ... */
	for (int i = 0; i < 10; i++) {
		CHECK_INT(call(&p, "GET", "/api/v1/auth/me", &s[0], NULL, &r),
			  200);
		CHECK_INT(hdr_int(&r, "RateLimit-Remaining"), 9 - i);
		http_free(&r);
	}
	CHECK_INT(call(&p, "GET", "/api/v1/auth/me", &s[0], NULL, &r), 429);
	CHECK(http_header(&r, "Retry-After", v, sizeof(v)) && atoi(v) >= 1);
	http_free(&r);
	/* ... ben from the same address still has all of his */
	CHECK_INT(call(&p, "GET", "/api/v1/auth/me", &s[1], NULL, &r), 200);
	CHECK_INT(hdr_int(&r, "RateLimit-Remaining"), 9);
	http_free(&r);
	/* sign-ins: per account (3/min), the address (100/min) has room */
	for (int i = 0; i < 2; i++) {
		CHECK_INT(
		    login(&p, "ben", "wrong-password-x", NULL, NULL, NULL, &r),
		    401);
		http_free(&r);
	}
	CHECK_INT(login(&p, "ben", "wrong-password-x", NULL, NULL, NULL, &r),
		  429);
	CHECK_INT(hdr_int(&r, "RateLimit-Limit"), 3);
	http_free(&r);
	CHECK_INT(login(&p, "cleo", "office-password-1", NULL, NULL, &s[2], &r),
		  200);
	http_free(&r);

	/* the language: stored with the user, returned by /me */
	CHECK_INT(call(&p, "GET", "/api/v1/auth/me", &s[2], NULL, &r), 200);
	CHECK(strstr(r.body, "\"language\":null") != NULL);
	http_free(&r);
	CHECK_INT(call(&p, "PATCH", "/api/v1/auth/me", &s[2],
		       "{\"language\":\"de\"}", &r),
		  200);
	CHECK(strstr(r.body, "\"language\":\"de\"") != NULL);
	http_free(&r);
	CHECK_INT(call(&p, "PATCH", "/api/v1/auth/me", &s[2],
		       "{\"language\":\"fr\"}", &r),
		  422);
	CHECK(strstr(r.body, "language") != NULL);
	http_free(&r);
	CHECK_INT(call(&p, "PATCH", "/api/v1/auth/me", &s[2],
		       "{\"colour\":\"red\"}", &r),
		  422);
	http_free(&r);
	const char *nocsrf[] = {s[2].cookie, NULL};
	CHECK_INT(req(&p, "PATCH", "/api/v1/auth/me", nocsrf,
		      "{\"language\":\"en\"}", &r),
		  403);
	http_free(&r);
	CHECK_INT(login(&p, "cleo", "office-password-1", NULL, NULL, &s[2], &r),
		  200);
	CHECK(strstr(r.body, "\"language\":\"de\"") != NULL); /* kept */
	http_free(&r);
	CHECK_INT(call(&p, "GET", "/api/v1/auth/me", &s[2], NULL, &r), 200);
	CHECK(strstr(r.body, "\"language\":\"de\"") != NULL);
	http_free(&r);

	/* the start page leads each role home; anonymous to sign-in */
	CHECK_INT(raw(&p, "GET", "/", NULL, NULL, &r), 302);
	CHECK(http_header(&r, "Location", v, sizeof(v)) &&
	      !strcmp(v, "/auth/"));
	http_free(&r);
	const char *adm_c[] = {s[2].cookie, NULL};
	CHECK_INT(raw(&p, "GET", "/", adm_c, NULL, &r), 302);
	CHECK(http_header(&r, "Location", v, sizeof(v)) &&
	      !strcmp(v, "/admin/"));
	http_free(&r);
	const char *staff_c[] = {s[1].cookie, NULL};
	CHECK_INT(raw(&p, "GET", "/", staff_c, NULL, &r), 302);
	CHECK(http_header(&r, "Location", v, sizeof(v)) &&
	      !strcmp(v, "/booking/"));
	http_free(&r);
	CHECK_INT(hubproc_stop(&p, 15), 0);
	hubproc_cleanup(&p);
}

/* docs/API.md: 401/403, then 429, then 400/413/415. */
static void test_precedence(void)
{
	static const char *const self[] = {
	    "/api/v1/auth/password", "/api/v1/auth/totp/setup",
	    "/api/v1/auth/totp/enable", "/api/v1/auth/totp/disable",
	    "/api/v1/auth/logout"};
	const char *conf =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\n"
	    "\n[ratelimit]\nlogin = 4/min\napi = 6/min\n"
	    "\n[module.health]\npath = health.so\n";
	const char *plain[] = {"Content-Type: text/plain", NULL};
	char line[512], pw[64] = "", csrf_h[120], body[200];
	hubproc p;
	http_res r;
	sess s;
	FILE *fp;
	if (hubproc_start(&p, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	/* anonymous, wrong content type, more calls than any class allows:
	 * always 401 */
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++)
		for (int k = 0; k < 8; k++) {
			CHECK_INT(raw(&p, "POST", self[i], plain, "x", &r),
				  401);
			CHECK(r.body && strstr(r.body, "unauthenticated"));
			http_free(&r);
		}
	for (int k = 0; k < 8; k++) {
		CHECK_INT(raw(&p, "GET", "/api/v1/auth/me", NULL, NULL, &r),
			  401);
		http_free(&r);
	}
	/* ... and spent nothing: the first sign-in has its full budget */
	fp = fopen(p.log, "r");
	while (fp && fgets(line, sizeof(line), fp)) {
		char *at = strstr(line, "one-time password ");
		if (at)
			sscanf(at + 18, "%63s", pw);
	}
	if (fp)
		fclose(fp);
	CHECK_INT(login(&p, "admin", pw, NULL, NULL, &s, &r), 200);
	CHECK_INT(hdr_int(&r, "RateLimit-Remaining"), 3);
	http_free(&r);

	/* the one-time password's session is restricted: admitted by the
	 * self-service routes, in the "api" class for /me ... */
	const char *c_only[] = {s.cookie, NULL};
	CHECK_INT(raw(&p, "GET", "/api/v1/auth/me", c_only, NULL, &r), 200);
	CHECK(strstr(r.body, "\"must_change_password\":true") != NULL);
	CHECK_INT(hdr_count(&r, "RateLimit-Limit"), 1);
	CHECK_INT(hdr_int(&r, "RateLimit-Limit"), 6);
	CHECK_INT(hdr_int(&r, "RateLimit-Remaining"), 5);
	http_free(&r);
	/* ... refused by every other route */
	CHECK_INT(raw(&p, "GET", "/api/v1/admin/users", c_only, NULL, &r), 401);
	http_free(&r);
	/* signed in: CSRF (403) first, then the content type (415) */
	const char *no_csrf[] = {s.cookie, "Content-Type: text/plain", NULL};
	CHECK_INT(raw(&p, "POST", "/api/v1/auth/password", no_csrf, "x", &r),
		  403);
	CHECK(strstr(r.body, "\"csrf\"") != NULL);
	http_free(&r);
	snprintf(csrf_h, sizeof(csrf_h), "%s", s.csrf);
	const char *csrf_plain[] = {s.cookie, csrf_h,
				    "Content-Type: text/plain", NULL};
	CHECK_INT(raw(&p, "POST", "/api/v1/auth/password", csrf_plain, "x", &r),
		  415);
	CHECK_INT(hdr_int(&r, "RateLimit-Limit"), 4); /* "login" class */
	http_free(&r);
	/* the handler still works behind the router */
	snprintf(body, sizeof(body),
		 "{\"current\":\"%s\",\"new\":\"admin-password-77\"}", pw);
	CHECK_INT(call(&p, "POST", "/api/v1/auth/password", &s, body, &r), 200);
	http_free(&r);
	/* the change ended the session; sign in with the new password */
	CHECK_INT(login(&p, "admin", "admin-password-77", NULL, NULL, &s, &r),
		  200);
	http_free(&r);
	CHECK_INT(call(&p, "POST", "/api/v1/auth/logout", &s, NULL, &r), 200);
	CHECK_INT(hdr_int(&r, "RateLimit-Limit"), 6); /* "api" class */
	http_free(&r);
	CHECK_INT(call(&p, "GET", "/api/v1/auth/me", &s, NULL, &r), 401);
	http_free(&r);
	CHECK_INT(hubproc_stop(&p, 15), 0);
	hubproc_cleanup(&p);
}

int main(void)
{
	sess adm;
	const char *conf =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\n"
	    "\n[ratelimit]\nlogin = 1000/min\nlogin_account = 1000/min\nadmin "
	    "= 1000/min\n"
	    "api = 1000/min\n"
	    "\n[module.health]\npath = health.so\n";
	if (access(HUBD_PATH, X_OK) != 0) {
		fprintf(stderr, "hubd not built at %s\n", HUBD_PATH);
		return check_report("identity.auth_http");
	}
	if (hubproc_start(&g_h, conf, NULL) != 0) {
		CHECK(0);
		return check_report("identity.auth_http");
	}
	test_bootstrap(&g_h, &adm);
	test_flow(&g_h, &adm);
	test_tokens(&g_h, &adm);
	test_pages(&g_h);
	test_bad_input(&g_h, &adm);
	CHECK_INT(hubproc_stop(&g_h, 15), 0);
	test_hubctl(&g_h);
	hubproc_cleanup(&g_h);
	test_rate_untrusted();
	test_rate_trusted();
	test_precedence();
	test_rate_per_user();
	return check_report("identity.auth_http");
}
