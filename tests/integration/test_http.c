/*
 * test_http.c - the router and server end to end, over real HTTP on
 * loopback: 404/405+Allow, JSON error envelope, X-Request-Id, security
 * headers, 413/415, path parameters and queries, static files (types,
 * ETag/304, traversal, hidden files), a silent handler answered with
 * 500, a crashing handler ending the process with a crash record (and the
 * committed data intact after a restart), health endpoints, the access
 * log, and SIGTERM draining an in-flight request.
 */
#define _GNU_SOURCE
#include "check.h"
#include "hubproc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static void test_silent(void)
{
	http_res r;
	CHECK_INT(get("/fixture/silent", NULL, &r), 500);
	CHECK(has(&r, "\"code\":\"internal\""));
	http_free(&r);
	CHECK_INT(get("/health/live", NULL, &r), 200);
	http_free(&r);
}

/* A handler that leaves a transaction open must not block later writes
 * nor commit what it wrote. */
static void test_transactions(void)
{
	http_res r;
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

/* /health/live runs its allocator and database probe within a budget:
 * with a budget no probe can meet, it answers 503. */
static void test_live_budget(const char *conf)
{
	char c[2300], url[256];
	hubproc p;
	http_res r;
	snprintf(c, sizeof(c), "%s", conf);
	char *at = strstr(c, "[module.health]\npath = health.so\n");
	if (!at) {
		CHECK(0);
		return;
	}
	at += strlen("[module.health]\npath = health.so\n");
	memmove(at + 19, at, strlen(at) + 1);
	memcpy(at, "live_budget_ms = 0\n", 19);
	hubproc_any_live_status = 1;
	int started = hubproc_start(&p, c, NULL) == 0;
	hubproc_any_live_status = 0;
	CHECK(started);
	if (!started)
		return;
	snprintf(url, sizeof(url), "%s/health/live", p.base);
	CHECK(http_do("GET", url, NULL, NULL, 0, &r) == 0 && r.status == 503 &&
	      has(&r, "\"detail\":\"over the time budget\""));
	http_free(&r);
	snprintf(url, sizeof(url), "%s/health/ready", p.base);
	CHECK(http_do("GET", url, NULL, NULL, 0, &r) == 0 && r.status == 200);
	http_free(&r);
	hubproc_stop(&p, SIGTERM);
	hubproc_cleanup(&p);
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

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Opens a connection to 127.0.0.1:port, sends one keep-alive request for
 * /health/live and reads its whole answer. Returns the socket, or -1. */
static int idle_conn(int port)
{
	struct sockaddr_in a;
	char buf[4096];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	const char *req = "GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n";
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto fail;
	/* the answer is complete once its body ("...}") has arrived */
	while (got < sizeof(buf) - 1) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) != 1)
			goto fail;
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			goto fail;
		got += (size_t)n;
		buf[got] = 0;
		char *body = strstr(buf, "\r\n\r\n");
		if (body && strchr(body, '}'))
			return fd;
	}
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Idle keep-alive connections pin a worker thread each: as many idle
 * connections as threads must not lock out a new client for longer than
 * keep_alive_timeout_ms, and the server closes the idle ones then. */
static void test_idle_keepalive(void)
{
	char url[256];
	int fds[4], open_n = 0, closed = 0;
	hubproc p;
	http_res r;
	const char *conf =
	    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
	    "module_dir = %MODULES%\nthreads = 4\n"
	    "keep_alive_timeout_ms = 1000\n"
	    "\n[module.health]\npath = health.so\n";
	if (hubproc_start(&p, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < 4; i++) {
		fds[i] = idle_conn(p.port);
		open_n += fds[i] >= 0;
	}
	CHECK_INT(open_n, 4);
	double t0 = now_s();
	snprintf(url, sizeof(url), "%s/health/live", p.base);
	CHECK(http_do("GET", url, NULL, NULL, 0, &r) == 0 && r.status == 200);
	http_free(&r);
	double waited = now_s() - t0;
	if (waited > 4.0)
		fprintf(stderr, "a new client waited %.1f s\n", waited);
	CHECK(waited < 4.0);
	for (int i = 0; i < 4; i++) {
		char c;
		struct pollfd q = {fds[i], POLLIN, 0};
		if (fds[i] < 0)
			continue;
		/* end of stream: the server closed the idle connection */
		if (poll(&q, 1, 4000) == 1 && read(fds[i], &c, 1) == 0)
			closed++;
		close(fds[i]);
	}
	CHECK_INT(closed, open_n);
	hubproc_stop(&p, SIGTERM);
	hubproc_cleanup(&p);
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
}

/* Reads the only crash-*.txt of `dir` into out; returns its mode, or -1
 * when there is not exactly one. */
static int read_crash_file(const char *dir, char *out, size_t outlen)
{
	char cmd[600], path[512] = "";
	struct stat sb;
	snprintf(cmd, sizeof(cmd), "ls %s/crash-*.txt 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	int n = 0;
	while (p && fgets(cmd, sizeof(cmd), p)) {
		cmd[strcspn(cmd, "\n")] = 0;
		snprintf(path, sizeof(path), "%s", cmd);
		n++;
	}
	if (p)
		pclose(p);
	FILE *fp = n == 1 ? fopen(path, "r") : NULL;
	if (!fp || stat(path, &sb) != 0) {
		if (fp)
			fclose(fp);
		return -1;
	}
	size_t got = fread(out, 1, outlen - 1, fp);
	out[got] = 0;
	fclose(fp);
	return (int)(sb.st_mode & 0777);
}

/* A fatal signal in a handler ends the process (no serving on with locks
 * a stopped thread may hold) after one crash record; committed data is
 * intact after the restart, the crashed transaction's row is not. */
static void test_crash_record(const char *conf, const char *const *env)
{
	hubproc p;
	http_res r;
	char url[256], dir[400], rec[8192], want[64];
	struct stat sb;
	const char *rid[] = {"X-Request-Id: crash-test-1", NULL};
	if (hubproc_start(&p, conf, env) != 0) {
		CHECK(0);
		return;
	}
	snprintf(url, sizeof(url), "%s/fixture/write", p.base);
	CHECK(http_do("GET", url, NULL, NULL, 0, &r) == 0 &&
	      has(&r, "\"sum_count\":3001"));
	http_free(&r);
	pid_t pid = p.pid;
	snprintf(url, sizeof(url), "%s/fixture/tx-crash", p.base);
	/* no answer: the connection closes as the process dies */
	CHECK_INT(http_do("GET", url, rid, NULL, 0, &r), -1);
	http_free(&r);
	CHECK_INT(hubproc_stop(&p, 0), 128 + SIGSEGV);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health/live", p.port);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), -1);
	http_free(&r);

	snprintf(dir, sizeof(dir), "%s/data/crash", p.dir);
	CHECK(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	CHECK_INT(read_crash_file(dir, rec, sizeof(rec)), 0600);
	CHECK(strstr(rec, "signal=11\nsigname=SIGSEGV\naddr=0x") == rec);
	snprintf(want, sizeof(want), "\npid=%d\n", (int)pid);
	CHECK(strstr(rec, want) != NULL);
	CHECK(strstr(rec, "\ntime=1") != NULL);
	CHECK(strstr(rec, "\nrelease=0.") != NULL);
	CHECK(strstr(rec, "\nmodule=misbehaves\n") != NULL);
	CHECK(strstr(rec, "\nroute=/fixture/tx-crash\n") != NULL);
	CHECK(strstr(rec, "\nrequest_id=crash-test-1\n") != NULL);
	const char *bt = strstr(rec, "\nbacktrace:\n");
	CHECK(bt && strlen(bt) > 20);

	/* restarted (as a supervisor would): the committed row is there,
	 * the crashed transaction's row (v = 1) is not */
	CHECK_INT(hubproc_restart(&p, env), 0);
	snprintf(url, sizeof(url), "%s/fixture/write", p.base);
	CHECK(http_do("GET", url, NULL, NULL, 0, &r) == 0 &&
	      has(&r, "\"sum_count\":6002"));
	http_free(&r);
	CHECK_INT(hubproc_stop(&p, SIGTERM), 0);
	hubproc_cleanup(&p);
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
	test_silent();
	test_transactions();
	test_health();
	test_slow_check();
	test_proxy();
	test_trusted_proxy_and_hup();
	test_drain();
	test_idle_keepalive();
	hubproc_cleanup(&h);
	test_crash_record(conf, env);
	test_live_budget(conf);
	snprintf(path, sizeof(path), "rm -rf '%s'", web);
	if (system(path) != 0)
		fprintf(stderr, "cleanup failed\n");
	return check_report("http");
}
