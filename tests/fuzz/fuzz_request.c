/*
 * fuzz_request.c - the whole request path on arbitrary bytes: each input
 * is written as a raw HTTP request to a real hubd server running in this
 * process (civetweb on 127.0.0.1, its workers with their real stack size)
 * and goes through parsing, routing, authentication, CSRF, rate limits,
 * body reading and a handler: the health and booking modules and the
 * identity routes, against SQLite in a temporary data directory.
 *
 * At start-up a staff user "fuzz" (password "fuzz-password-1") is created
 * and signed in; a "@S" in the input is replaced by its session cookie
 * and "@C" by its CSRF token, so that mutated requests also reach the
 * signed-in handlers. The server must answer every input or close the
 * connection, and must never crash (ASan and UBSan are on).
 */
#define _GNU_SOURCE
#include "fuzz_stack.h"
#include "base/log.h"
#include "host/startup.h"
#include "http/http.h"
#include "identity/identity.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef FUZZ_MODULE_DIR
#error FUZZ_MODULE_DIR must name the folder of health.so and booking.so
#endif

static int g_port;
static char g_cookie[160], g_csrf[128];

/* Sends `req` to the server on a fresh connection; reads the answer
 * into buf (NUL-terminated). Returns the bytes read or -1. */
static ssize_t exchange(const char *req, size_t len, char *buf, size_t cap)
{
	struct sockaddr_in a;
	struct timeval tv = {5, 0};
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)g_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	while (got + 1 < cap) {
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	close(fd);
	return (ssize_t)got;
}

/* Copies header `name`'s value (up to ';' or end of line) from an
 * answer. */
static void header_value(const char *ans, const char *name, char *out,
			 size_t outlen)
{
	const char *p = strcasestr(ans, name);
	size_t n = 0;
	out[0] = 0;
	if (!p)
		return;
	p += strlen(name);
	while (p[n] && p[n] != ';' && p[n] != '\r' && n + 1 < outlen)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
}

/* Creates the user and signs in; a failure only loses coverage. */
static void sign_in(void)
{
	static const char body[] =
	    "{\"username\":\"fuzz\",\"password\":\"fuzz-password-1\"}";
	char req[512], ans[8192];
	char *argv[] = {"user", "add", "fuzz", "--role", "staff", NULL};
	FILE *in = fmemopen((void *)"fuzz-password-1\n", 16, "r");
	if (in) {
		FILE *saved = stdin;
		stdin = in;
		hub_id_user_cmd(5, argv);
		stdin = saved;
		fclose(in);
	}
	snprintf(req, sizeof(req),
		 "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s",
		 strlen(body), body);
	if (exchange(req, strlen(req), ans, sizeof(ans)) > 0) {
		header_value(ans, "Set-Cookie: ", g_cookie, sizeof(g_cookie));
		char *t = strstr(ans, "\"csrf_token\":\"");
		if (t) {
			t += 14;
			size_t n = strcspn(t, "\"");
			snprintf(g_csrf, sizeof(g_csrf), "%.*s", (int)n, t);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/hub-fuzz-req-XXXXXX";
	char conf[300], err[512];
	hub_server_opts o;
	FILE *fp;
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(conf, sizeof(conf), "%s/hub.conf", dir);
	fp = fopen(conf, "w");
	if (!fp)
		abort();
	fprintf(fp,
		"[server]\nlisten = 127.0.0.1:0\ndata_dir = %s/data\n"
		"module_dir = %s\nthreads = 4\nbootstrap_admin = false\n"
		"request_timeout_ms = 2000\naccess_log = false\n"
		"log_level = error\ntimezone = Europe/Berlin\n"
		"[calendar]\nbackend = local\n"
		"[auth]\nlockout_pair = 1000000:1\nlockout_account = "
		"1000000:1\nlockout_address = 1000000:1\n"
		"[ratelimit]\nlogin = 100000/s\nbooking = 100000/s\n"
		"api = 100000/s\nadmin = 100000/s\n"
		"[module.health]\npath = health.so\n"
		"[module.booking]\npath = booking.so\n"
		"consultants = Anna:anna@example.com\n",
		dir, FUZZ_MODULE_DIR);
	fclose(fp);
	signal(SIGPIPE, SIG_IGN);
	mg_init_library(0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (hub_startup(conf, HUB_START_SERVER, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		abort();
	}
	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.threads = 4;
	o.max_body = 64 * 1024;
	o.request_timeout_ms = 2000;
	hub_dispatch_access_log(0);
	/* hubd's crash records would replace libFuzzer's (and ASan's)
	 * fatal-signal handlers, which save the crashing input: keep them */
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction saved[5];
	for (int i = 0; i < 5; i++)
		sigaction(fatal[i], NULL, &saved[i]);
	if (hub_server_start(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		abort();
	}
	for (int i = 0; i < 5; i++)
		sigaction(fatal[i], &saved[i], NULL);
	g_port = hub_server_port();
	hub_log_set_level(HUB_LOG_ERROR + 1);
	sign_in();
	return 0;
}

/* The input with @S and @C replaced by the session's cookie and token. */
static char *expand(const uint8_t *data, size_t size, size_t *outlen)
{
	size_t cap = size * 4 + 1, o = 0;
	char *out = malloc(cap + sizeof(g_cookie) + sizeof(g_csrf));
	if (!out)
		return NULL;
	for (size_t i = 0; i < size && o < cap; i++) {
		const char *sub = NULL;
		if (data[i] == '@' && i + 1 < size && data[i + 1] == 'S')
			sub = g_cookie;
		else if (data[i] == '@' && i + 1 < size && data[i + 1] == 'C')
			sub = g_csrf;
		if (sub) {
			size_t n = strlen(sub);
			memcpy(out + o, sub, n);
			o += n;
			i++;
		} else {
			out[o++] = (char)data[i];
		}
	}
	*outlen = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ans[256 * 1024];
	size_t len = 0;
	char *req;
	if (size > 64 * 1024)
		return 0;
	req = expand(data, size, &len);
	if (!req)
		return 0;
	exchange(req, len, ans, sizeof(ans));
	free(req);
	/* the server still answers (200, or 503 when the loaded machine
	 * made the live probe overrun its budget): a hang shows here, a
	 * crash in a worker is reported by ASan at once */
	static const char live[] =
	    "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	for (int i = 0;; i++) {
		if (exchange(live, sizeof(live) - 1, ans, sizeof(ans)) > 0 &&
		    strncmp(ans, "HTTP/1.1 ", 9) == 0)
			break;
		if (i == 5)
			abort();
		usleep(200 * 1000);
	}
	return 0;
}
