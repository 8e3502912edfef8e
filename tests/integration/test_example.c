/*
 * test_example.c - the example module, loaded into a real hubd, does what
 * docs/MODULES.md says: typed settings, a public route with a parameter,
 * signed-in JSON routes backed by its own migration, its page, its health
 * check; and a setting of the wrong type stops start-up.
 */
#define _GNU_SOURCE
#include "check.h"
#include "hubproc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hubproc h;

static long req(const char *method, const char *path, const char *const *hdr,
		const char *body, http_res *r)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", h.base, path);
	if (http_do(method, url, hdr, body, body ? strlen(body) : 0, r) != 0)
		return -1;
	return r->status;
}

static int has(const http_res *r, const char *s)
{
	return r->body && strstr(r->body, s);
}

/* Signs in `user` and fills the cookie and CSRF headers. */
static int sign_in(const char *user, const char *pass, char *cookie,
		   size_t clen, char *csrf, size_t slen)
{
	http_res r;
	char body[256], setc[512];
	const char *json[] = {"Content-Type: application/json", NULL};
	snprintf(body, sizeof(body),
		 "{\"username\":\"%s\",\"password\":\"%s\"}", user, pass);
	if (req("POST", "/api/v1/auth/login", json, body, &r) != 200 ||
	    !http_header(&r, "Set-Cookie", setc, sizeof(setc))) {
		http_free(&r);
		return -1;
	}
	char *semi = strchr(setc, ';');
	if (semi)
		*semi = 0;
	snprintf(cookie, clen, "Cookie: %s", setc);
	const char *t = strstr(r.body, "\"csrf_token\":\"");
	if (!t) {
		http_free(&r);
		return -1;
	}
	t += 14;
	snprintf(csrf, slen, "X-CSRF-Token: %.*s", (int)strcspn(t, "\""), t);
	http_free(&r);
	return 0;
}

int main(void)
{
	static const char conf[] =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\nbootstrap_admin = false\n\n"
	    "[module.health]\npath = health.so\n\n"
	    "[module.example]\npath = example.so\ngreeting = Moin\n"
	    "shout = true\napi_key = not-for-logs-4711\n";
	http_res r;
	char cookie[400], csrf[200], out[4096];

	if (hubproc_start(&h, conf, NULL) != 0) {
		CHECK(0);
		return check_report("example");
	}
	/* typed settings reach the handler; the public route needs no login */
	CHECK_INT(req("GET", "/api/v1/example/hello/Welt", NULL, NULL, &r),
		  200);
	CHECK(has(&r, "\"message\":\"MOIN, WELT!\""));
	http_free(&r);
	/* its page and its health check */
	CHECK_INT(req("GET", "/example/", NULL, NULL, &r), 200);
	CHECK(has(&r, "data-i18n=\"example.title\""));
	http_free(&r);
	long st = req("GET", "/health", NULL, NULL, &r);
	CHECK(st == 200 || st == 503);
	CHECK(has(&r, "\"example\":{\"status\":\"ok\",\"detail\":\"0 notes\""));
	http_free(&r);
	/* signed-in routes: 401 without a session */
	const char *json[] = {"Content-Type: application/json", NULL};
	CHECK_INT(
	    req("POST", "/api/v1/example/notes", json, "{\"text\":\"x\"}", &r),
	    401);
	http_free(&r);
	/* a user made with hubctl on the same data */
	const char *argv[] = {HUBCTL_PATH, "-c",     h.conf,  "user", "add",
			      "erika",	   "--role", "staff", NULL};
	CHECK_INT(hubproc_run(argv, "pw-erika-Secret9\n", out, sizeof(out)), 0);
	CHECK_INT(sign_in("erika", "pw-erika-Secret9", cookie, sizeof(cookie),
			  csrf, sizeof(csrf)),
		  0);
	const char *auth[] = {"Content-Type: application/json", cookie, csrf,
			      NULL};
	const char *nocsrf[] = {"Content-Type: application/json", cookie, NULL};
	CHECK_INT(req("POST", "/api/v1/example/notes", nocsrf,
		      "{\"text\":\"x\"}", &r),
		  403);
	http_free(&r);
	CHECK_INT(req("POST", "/api/v1/example/notes", auth,
		      "{\"text\":\"Gr\xc3\xbc\xc3\x9f"
		      "e\"}",
		      &r),
		  201);
	CHECK(has(&r, "\"id\":1"));
	CHECK(has(&r, "\"author\":\"erika\""));
	http_free(&r);
	CHECK_INT(req("POST", "/api/v1/example/notes", auth,
		      "{\"text\":\"x\",\"extra\":1}", &r),
		  422);
	CHECK(has(&r, "unknown_field"));
	http_free(&r);
	CHECK_INT(req("POST", "/api/v1/example/notes", auth, "{\"text\":", &r),
		  400);
	http_free(&r);
	const char *get[] = {cookie, NULL};
	CHECK_INT(req("GET", "/api/v1/example/notes/1", get, NULL, &r), 200);
	CHECK(has(&r, "\"text\":\"Gr\xc3\xbc\xc3\x9f"
		      "e\""));
	http_free(&r);
	CHECK_INT(req("GET", "/api/v1/example/notes/2", get, NULL, &r), 404);
	http_free(&r);
	CHECK_INT(hubproc_stop(&h, SIGTERM), 0);

	/* the secret setting never reached the log */
	FILE *fp = fopen(h.log, "r");
	size_t n = fp ? fread(out, 1, sizeof(out) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	out[n] = 0;
	CHECK(n > 0 && strstr(out, "not-for-logs-4711") == NULL);
	CHECK(strstr(out, "example ready (greeting 'Moin')") != NULL);
	hubproc_cleanup(&h);

	/* a setting of the wrong type: exit 2, one line naming file and key */
	const char *bad =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\n\n[module.health]\npath = health.so\n\n"
	    "[module.example]\npath = example.so\nmax_notes = lots\n";
	hubproc b;
	CHECK_INT(hubproc_start(&b, bad, NULL), -1);
	fp = fopen(b.log, "r");
	n = fp ? fread(out, 1, sizeof(out) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	out[n] = 0;
	CHECK(strstr(out, "hub.conf:11: [module.example] key 'max_notes': "
			  "must be an integer") != NULL);
	hubproc_cleanup(&b);
	return check_report("example");
}
