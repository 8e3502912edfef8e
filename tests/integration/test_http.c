/*
 * test_http.c - the router and server end to end, over real HTTP on
 * loopback: 404/405+Allow, JSON error envelope, X-Request-Id, security
 * headers, 413/415, path parameters and queries, static files (types,
 * ETag/304, traversal, hidden files), a crashing handler and a silent one
 * answered with 500 while the process lives on, health endpoints, the
 * access log, and SIGTERM draining an in-flight request.
 */
#define _GNU_SOURCE
#include "check.h"
#include "hubproc.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static hubproc h;
static char web[256];

static long get(const char *path, const char *const *hdrs, http_res *r)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", h.base, path);
	if (http_do("GET", url, hdrs, NULL, 0, r) != 0)
		return -1;
	return r->status;
}

static long send_req(const char *method, const char *path,
		     const char *const *hdrs, const char *body, http_res *r)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", h.base, path);
	if (http_do(method, url, hdrs, body, body ? strlen(body) : 0, r) != 0)
		return -1;
	return r->status;
}

static int has(const http_res *r, const char *needle)
{
	return r->body && strstr(r->body, needle) != NULL;
}

static void test_errors(void)
{
	http_res r;
	char v[256];
	/* an API path: the JSON error */
	CHECK_INT(get("/api/v1/nope", NULL, &r), 404);
	CHECK(has(&r, "\"code\":\"not_found\""));
	CHECK(has(&r, "\"request_id\":\""));
	CHECK(http_header(&r, "Content-Type", v, sizeof(v)) &&
	      strstr(v, "application/json"));
	http_free(&r);
	/* a page: the product's HTML page, never JSON */
	CHECK_INT(get("/nope", NULL, &r), 404);
	CHECK(has(&r, "<!doctype html>") && has(&r, "/ui/ui.js"));
	CHECK(http_header(&r, "Content-Type", v, sizeof(v)) &&
	      strstr(v, "text/html"));
	http_free(&r);
	/* ... unless the client accepts only JSON */
	const char *json_only[] = {"Accept: application/json", NULL};
	CHECK_INT(get("/nope", json_only, &r), 404);
	CHECK(has(&r, "\"code\":\"not_found\""));
	http_free(&r);

	CHECK_INT(send_req("DELETE", "/health/live", NULL, NULL, &r), 405);
	CHECK(http_header(&r, "Allow", v, sizeof(v)));
	CHECK_STR(v, "GET");
	CHECK(has(&r, "method_not_allowed"));
	http_free(&r);

	/* civetweb itself refuses unknown methods */
	CHECK_INT(send_req("BREW", "/health/live", NULL, NULL, &r), 400);
	http_free(&r);
}

static void test_headers(void)
{
	http_res r;
	char v[512];
	const char *mine[] = {"X-Request-Id: trace-abc.123", NULL};
	const char *evil[] = {"X-Request-Id: bad id\"<script>", NULL};
	CHECK_INT(get("/health/live", mine, &r), 200);
	CHECK_STR(r.body, "{\"status\":\"ok\"}");
	CHECK(http_header(&r, "X-Request-Id", v, sizeof(v)));
	CHECK_STR(v, "trace-abc.123");
	CHECK(http_header(&r, "Content-Security-Policy", v, sizeof(v)) &&
	      strstr(v, "default-src 'self'") &&
	      strstr(v, "frame-ancestors 'none'"));
	CHECK(http_header(&r, "X-Content-Type-Options", v, sizeof(v)) &&
	      !strcmp(v, "nosniff"));
	CHECK(http_header(&r, "Referrer-Policy", v, sizeof(v)));
	CHECK(http_header(&r, "Cache-Control", v, sizeof(v)) &&
	      !strcmp(v, "no-store"));
	CHECK(!http_header(&r, "Strict-Transport-Security", v, sizeof(v)));
	http_free(&r);
	CHECK_INT(get("/health/live", evil, &r), 200);
	CHECK(http_header(&r, "X-Request-Id", v, sizeof(v)));
	CHECK(strlen(v) == 16 && !strchr(v, '<'));
	http_free(&r);
}

static void test_bodies(void)
{
	http_res r;
	const char *json[] = {"Content-Type: application/json", NULL};
	const char *text[] = {"Content-Type: text/plain", NULL};
	char big[5000];
	CHECK_INT(send_req("POST", "/fixture/echo", json, "{\"a\":1}", &r),
		  200);
	CHECK_STR(r.body, "{\"a\":1}");
	http_free(&r);
	CHECK_INT(send_req("POST", "/fixture/echo", text, "hello", &r), 415);
	CHECK(has(&r, "unsupported_media_type"));
	http_free(&r);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_INT(send_req("POST", "/fixture/echo", json, big, &r), 413);
	CHECK(has(&r, "body_too_large"));
	http_free(&r);
	/* chunked body without a length, over the limit */
	const char *chunked[] = {"Content-Type: application/json",
				 "Transfer-Encoding: chunked", NULL};
	CHECK_INT(send_req("POST", "/fixture/echo", chunked, big, &r), 413);
	http_free(&r);
	/* the server still serves after all that */
	CHECK_INT(get("/health/live", NULL, &r), 200);
	http_free(&r);
}

static void test_params(void)
{
	http_res r;
	CHECK_INT(get("/fixture/items/a%20b?q=M%C3%BCller+x&z=1", NULL, &r),
		  200);
	CHECK(has(&r, "\"id\":\"a b\""));
	CHECK(has(&r, "\"q\":\"M\xc3\xbcller x\""));
	http_free(&r);
	CHECK_INT(get("/fixture/private", NULL, &r), 401);
	CHECK(has(&r, "unauthenticated"));
	http_free(&r);
}

static void test_static(void)
{
	http_res r;
	char v[256], etag[128], inm[160];
	CHECK_INT(get("/fixture-web/", NULL, &r), 200);
	CHECK(http_header(&r, "Content-Type", v, sizeof(v)) &&
	      strstr(v, "text/html"));
	CHECK(has(&r, "fixture page"));
	CHECK(http_header(&r, "ETag", etag, sizeof(etag)));
	http_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	const char *cond[] = {inm, NULL};
	CHECK_INT(get("/fixture-web/index.html", cond, &r), 304);
	http_free(&r);
	CHECK_INT(get("/fixture-web/a.css", NULL, &r), 200);
	CHECK(http_header(&r, "Content-Type", v, sizeof(v)) &&
	      strstr(v, "text/css"));
	CHECK(http_header(&r, "Cache-Control", v, sizeof(v)) &&
	      strstr(v, "max-age"));
	http_free(&r);
	CHECK_INT(get("/fixture-web", NULL, &r), 308);
	http_free(&r);
	CHECK_INT(get("/fixture-web/.hidden.txt", NULL, &r), 404);
	http_free(&r);
	CHECK_INT(get("/fixture-web/outside.txt", NULL, &r), 404);
	http_free(&r);
	CHECK_INT(get("/fixture-web/../hub.conf", NULL, &r), 404);
	CHECK(!has(&r, "[server]"));
	http_free(&r);
	CHECK_INT(get("/fixture-web/%2e%2e/hub.conf", NULL, &r), 404);
	CHECK(!has(&r, "[server]"));
	http_free(&r);
	CHECK_INT(get("/fixture-web/missing.js", NULL, &r), 404);
	http_free(&r);
	CHECK_INT(send_req("HEAD", "/fixture-web/a.css", NULL, NULL, &r), 200);
	CHECK_INT(r.body_len, 0);
	http_free(&r);
}

static void test_crash(void)
{
	http_res r;
	CHECK_INT(get("/fixture/crash", NULL, &r), 500);
	CHECK(has(&r, "\"code\":\"internal\""));
	http_free(&r);
	CHECK_INT(get("/fixture/silent", NULL, &r), 500);
	http_free(&r);
	/* twice more on the same worker pool: still alive */
	CHECK_INT(get("/fixture/crash", NULL, &r), 500);
	http_free(&r);
	CHECK_INT(get("/health/live", NULL, &r), 200);
	http_free(&r);
}

/* A crash inside a transaction, or a handler that leaves one open, must
 * not block later writes nor commit what it wrote. */
static void test_transactions(void)
{
	http_res r;
	CHECK_INT(get("/fixture/tx-crash", NULL, &r), 500);
	http_free(&r);
	CHECK_INT(get("/fixture/tx-open", NULL, &r), 200);
	http_free(&r);
	double t0 = (double)time(NULL);
	/* each write answers at once (no 5 s busy wait) and only the
	 * committed rows (v = 3) exist: sum 3 per row, count 1 per row */
	CHECK_INT(get("/fixture/write", NULL, &r), 200);
	CHECK(has(&r, "\"sum_count\":3001"));
	http_free(&r);
	CHECK_INT(get("/fixture/write", NULL, &r), 200);
	CHECK(has(&r, "\"sum_count\":6002"));
	http_free(&r);
	CHECK((double)time(NULL) - t0 < 3);
}

/* A health check that overruns its budget is reported as failed, is
 * not started twice, and does not crash the shutdown. */
static void test_slow_check(void)
{
	char conf[2048], url[256];
	hubproc p;
	http_res r;
	const char *env[] = {"FIXTURE_SLOW_CHECK=1", NULL};
	snprintf(conf, sizeof(conf),
		 "[server]\nlisten = 127.0.0.1:%%PORT%%\ndata_dir = %%DATA%%\n"
		 "module_dir = %%MODULES%%\n\n[module.health]\npath = "
		 "health.so\n\n[module.misbehaves]\npath = %s/misbehaves.so\n",
		 FIXTURE_DIR);
	if (hubproc_start(&p, conf, env) != 0) {
		CHECK(0);
		return;
	}
	snprintf(url, sizeof(url), "%s/health", p.base);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), 0);
	CHECK_INT(r.status, 503);
	CHECK(has(&r, "\"slow\":{\"status\":\"fail\",\"detail\":"
		      "\"timed out after 200 ms\""));
	http_free(&r);
	sleep(1);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), 0);
	CHECK(has(&r, "still running since an earlier report"));
	http_free(&r);
	CHECK_INT(hubproc_stop(&p, SIGTERM), 0);
	hubproc_cleanup(&p);
}

static void test_health(void)
{
	http_res r;
	CHECK_INT(get("/health/ready", NULL, &r), 200);
	http_free(&r);
	long st = get("/health", NULL, &r);
	CHECK(st == 200 || st == 503);
	CHECK(has(&r, "\"checks\":{"));
	CHECK(has(&r, "\"storage\":{\"status\":\"ok\""));
	CHECK(has(&r, "\"disk\":{"));
	CHECK(has(&r, "\"uptime_s\":"));
	CHECK(has(&r, "\"version\":"));
	http_free(&r);
	CHECK_INT(get("/metrics", NULL, &r), 200);
	CHECK(has(&r, "hub_build_info{version="));
	CHECK(has(&r, "hub_http_request_duration_seconds_bucket{route=\"/"
		      "health/live\",status=\"200\""));
	http_free(&r);
}

static void test_proxy(void)
{
	http_res r;
	const char *xff[] = {"X-Forwarded-For: 203.0.113.9, 10.1.2.3", NULL};
	/* this server trusts no proxy: the header is ignored */
	CHECK_INT(get("/fixture/whoami", xff, &r), 200);
	CHECK(has(&r, "\"client\":\"127.0.0.1\""));
	http_free(&r);
}

/* A second server that trusts 127.0.0.1 and 10.0.0.0/8 as proxies: the
 * client is the right-most address that is not a trusted proxy; SIGHUP
 * reopens its log file after rotation. */
static void test_trusted_proxy_and_hup(void)
{
	char conf[2048], log[400], rotated[420], url[256], buf[65536];
	hubproc p;
	http_res r;
	snprintf(conf, sizeof(conf),
		 "[server]\nlisten = 127.0.0.1:%%PORT%%\ndata_dir = %%DATA%%\n"
		 "module_dir = %%MODULES%%\ntrusted_proxies = 127.0.0.1, "
		 "10.0.0.0/8\nlog_file = %%DATA%%.log\n"
		 "\n[module.health]\npath = health.so\n\n"
		 "[module.misbehaves]\npath = %s/misbehaves.so\n",
		 FIXTURE_DIR);
	if (hubproc_start(&p, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	const char *xff[] = {"X-Forwarded-For: 203.0.113.9, 10.1.2.3", NULL};
	const char *junk[] = {"X-Forwarded-For: not-an-address", NULL};
	snprintf(url, sizeof(url), "%s/fixture/whoami", p.base);
	CHECK_INT(http_do("GET", url, xff, NULL, 0, &r), 0);
	CHECK(has(&r, "\"client\":\"203.0.113.9\""));
	http_free(&r);
	CHECK_INT(http_do("GET", url, junk, NULL, 0, &r), 0);
	CHECK(has(&r, "\"client\":\"127.0.0.1\""));
	http_free(&r);
	/* a huge client-made prefix cannot push out what the proxy added */
	static char longhdr[3000];
	size_t o =
	    (size_t)snprintf(longhdr, sizeof(longhdr), "X-Forwarded-For: ");
	while (o < 2000)
		o += (size_t)snprintf(longhdr + o, sizeof(longhdr) - o,
				      "10.9.8.%zu, ", o % 250);
	snprintf(longhdr + o, sizeof(longhdr) - o, "198.51.100.23");
	const char *longx[] = {longhdr, NULL};
	CHECK_INT(http_do("GET", url, longx, NULL, 0, &r), 0);
	CHECK(has(&r, "\"client\":\"198.51.100.23\""));
	http_free(&r);

	snprintf(log, sizeof(log), "%s/data.log", p.dir);
	snprintf(rotated, sizeof(rotated), "%s.1", log);
	sleep(2); /* the access log is flushed once a second */
	CHECK_INT(rename(log, rotated), 0);
	kill(p.pid, SIGHUP);
	sleep(1);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), 0);
	http_free(&r);
	sleep(2);
	FILE *fp = fopen(log, "r");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	buf[n] = 0;
	CHECK(fp != NULL);
	CHECK(strstr(buf, "log file reopened") != NULL);
	CHECK(strstr(buf, "\"route\":\"/fixture/whoami\"") != NULL);
	fp = fopen(rotated, "r");
	n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	buf[n] = 0;
	CHECK(strstr(buf, "203.0.113.9") != NULL);
	CHECK_INT(hubproc_stop(&p, SIGTERM), 0);
	hubproc_cleanup(&p);
}

static void *slow_request(void *arg)
{
	long *status = arg;
	http_res r;
	*status = get("/fixture/slow", NULL, &r);
	http_free(&r);
	return NULL;
}

static void test_drain(void)
{
	pthread_t t;
	long status = 0;
	char log[65536];
	pthread_create(&t, NULL, slow_request, &status);
	usleep(300 * 1000); /* the request is in flight */
	CHECK_INT(hubproc_stop(&h, SIGTERM), 0);
	pthread_join(t, NULL);
	CHECK_INT(status, 200);
	/* the access log has JSON lines with latency */
	FILE *fp = fopen(h.log, "r");
	size_t n = fp ? fread(log, 1, sizeof(log) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	log[n] = 0;
	CHECK(strstr(log, "\"msg\":\"access\"") != NULL);
	CHECK(strstr(log, "\"route\":\"/fixture/slow\",\"status\":200") !=
	      NULL);
	CHECK(strstr(log, "\"ms\":") != NULL);
	CHECK(strstr(log, "crashed (signal 11)") != NULL);
}

int main(void)
{
	char conf[2048], path[300];
	FILE *fp;
	snprintf(web, sizeof(web), "/tmp/hubweb-XXXXXX");
	if (!mkdtemp(web))
		return 1;
	snprintf(path, sizeof(path), "%s/index.html", web);
	fp = fopen(path, "w");
	fputs("<!doctype html><p>fixture page</p>\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/a.css", web);
	fp = fopen(path, "w");
	fputs("p{}\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/.hidden.txt", web);
	fp = fopen(path, "w");
	fputs("hidden\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/outside.txt", web);
	if (symlink("/etc/hostname", path) != 0)
		return 1;
	setenv("FIXTURE_WEB", web, 1);

	snprintf(
	    conf, sizeof(conf),
	    "[server]\nlisten = 127.0.0.1:%%PORT%%\ndata_dir = %%DATA%%\n"
	    "module_dir = %%MODULES%%\nthreads = 8\nmax_body_bytes = 4096\n"
	    "\n[module.health]\npath = health.so\n\n"
	    "[module.misbehaves]\npath = %s/misbehaves.so\n",
	    FIXTURE_DIR);
	/* Under AddressSanitizer, let the server's own crash guard handle
	 * the fixture's deliberate segmentation fault. */
	static char asan[512];
	const char *prev = getenv("ASAN_OPTIONS");
	snprintf(asan, sizeof(asan),
		 "ASAN_OPTIONS=%s%sallow_user_segv_handler=1", prev ? prev : "",
		 prev && *prev ? ":" : "");
	const char *env[] = {asan, NULL};
	if (hubproc_start(&h, conf, env) != 0) {
		CHECK(0);
		return check_report("http");
	}
	test_errors();
	test_headers();
	test_bodies();
	test_params();
	test_static();
	test_crash();
	test_transactions();
	test_health();
	test_slow_check();
	test_proxy();
	test_trusted_proxy_and_hup();
	test_drain();
	hubproc_cleanup(&h);
	snprintf(path, sizeof(path), "rm -rf '%s'", web);
	if (system(path) != 0)
		fprintf(stderr, "cleanup failed\n");
	return check_report("http");
}
