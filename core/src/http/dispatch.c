/*
 * dispatch.c - one request from civetweb to a module handler:
 *
 *   request id -> client address -> route (404/405, static files)
 *   -> authentication and role/scope (401/403) -> CSRF (403)
 *   -> rate limit (429) -> body limits and content type (413/415)
 *   -> handler -> access log and metrics. A fatal signal in a handler
 *   ends the process after a crash record (crash.c).
 *
 * The order of the checks is the precedence docs/API.md prescribes.
 */
#define _GNU_SOURCE
#include "base/errsink.h"
#include "http/dispatch.h"
#include "http/request.h"
#include "base/conf.h"
#include "base/log.h"
#include "http/crash.h"
#include "hub_kit.h"
#include "identity/identity.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Fatal signals: core/src/http/crash.c writes a crash record and the
 * process dies (no serving on after a fatal signal). */
void hub_dispatch_install_crash_guard(void)
{
	hub_crash_install(hub_conf_get("server", "data_dir"));
}

/* ------------------------------------------------------- request ids */

static int id_char_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == ':';
}

static void make_request_id(hub_req *req)
{
	static __thread uint64_t state;
	const char *in = mg_get_header(req->conn, "X-Request-Id");
	if (in) {
		size_t n = strlen(in), i;
		for (i = 0; i < n && id_char_ok((unsigned char)in[i]); i++)
			;
		if (n > 0 && n <= 64 && i == n) {
			memcpy(req->id, in, n + 1);
			return;
		}
	}
	if (state == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
			(uint64_t)(uintptr_t)&state;
		if (hub_random(&state, sizeof(state)) != 0 || state == 0)
			state |= 1;
	}
	/* xorshift64*: unique enough for correlation, not a secret */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	uint64_t v = state * 2685821657736338717ULL;
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, v >>= 4)
		req->id[i] = hex[v & 15];
	req->id[16] = 0;
}

/* ---------------------------------------------------------- helpers */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_write(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH") ||
	       !strcmp(m, "DELETE");
}

static int known_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || is_write(m) ||
	       !strcmp(m, "OPTIONS");
}

/* Applies the route's rate class to one key: a signed-in request counts
 * against its user (a whole office shares one address), an anonymous one
 * and every request of the "login" class against the client address.
 * Returns 1 when allowed. */
static int rate_check(hub_req *req, const char *cls)
{
	hub_rate_info a;
	char key[96];
	int ok;
	memset(&a, 0, sizeof(a));
	if (req->authed && strcmp(cls, "login") != 0)
		snprintf(key, sizeof(key), "user:%lld",
			 (long long)req->user.id);
	else
		hub_client_key(req->client, key, sizeof(key));
	ok = hub_rate_hit(cls, key, &a);
	if (ok < 0)
		return 1; /* misconfigured class: fail open, logged there */
	hubkit_rate_headers(hub_reply_header, req, &a);
	if (!a.allowed)
		hub_metric_add("hub_rate_limited_total", NULL, 1);
	return a.allowed;
}

/* Reads the body under the size limit. Returns 0, or the HTTP status to
 * answer with (413, 400). */
static int read_body(hub_req *req, size_t max)
{
	long long cl = req->ri->content_length;
	size_t cap, len = 0;
	if (cl > (long long)max)
		return 413;
	cap = cl >= 0 ? (size_t)cl : 16384;
	req->body = malloc(cap + 1);
	if (!req->body)
		return 500;
	for (;;) {
		if (len == cap) {
			if (cl >= 0)
				break;
			if (cap >= max + 1)
				return 413;
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(req->body, ncap + 1);
			if (!nb)
				return 500;
			req->body = nb;
			cap = ncap;
		}
		int n = mg_read(req->conn, req->body + len, cap - len);
		if (n < 0)
			return 400;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return 413;
	}
	if (cl >= 0 && len != (size_t)cl)
		return 400;
	req->body[len] = 0;
	req->body_len = len;
	return 0;
}

static int content_type_json(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, "application/json", 16) == 0 &&
	       (ct[16] == 0 || ct[16] == ';' || ct[16] == ' ');
}

static void access_log(hub_req *req, const char *route, double secs)
{
	char path[512], line[1024], user[160];
	long long us = (long long)(secs * 1e6); /* integer: no float printf */
	hub_json_escape(path, sizeof(path), hub_req_path(req));
	if (req->authed) {
		char esc[140];
		hub_json_escape(esc, sizeof(esc), req->user.username);
		snprintf(user, sizeof(user), ",\"user\":\"%s\"", esc);
	} else {
		user[0] = 0;
	}
	snprintf(line, sizeof(line),
		 "{\"level\":\"info\",\"module\":\"http\",\"msg\":\"access\","
		 "\"id\":\"%s\",\"method\":\"%s\",\"path\":\"%s\","
		 "\"route\":\"%s\",\"status\":%d,\"bytes\":%zu,"
		 "\"ms\":%lld.%03lld,\"client\":\"%s\"%s}",
		 req->id, req->ri->request_method, path, route, req->status,
		 req->bytes_out, us / 1000, us % 1000, req->client, user);
	hub_log_raw(line);
}

static int g_access_log = 1;

/* Set by the server before it starts (hub_dispatch_configure). */
static size_t g_max_body = 1024 * 1024;
static hub_report_fn g_report;

void hub_dispatch_configure(size_t max_body, hub_report_fn report)
{
	g_max_body = max_body;
	g_report = report;
}

/* Requests being handled, and whether the server is draining. */
static _Atomic long g_inflight;
static _Atomic int g_draining;

void hub_dispatch_drain(void)
{
	g_draining = 1;
}

long hub_dispatch_inflight(void)
{
	return g_inflight;
}

void hub_dispatch_access_log(int on)
{
	g_access_log = on;
}

/* ---------------------------------------------------------- dispatch */

/* Authenticates and authorises; answers and returns -1 when refused. */
static int authorise(hub_req *req, const hub_route *r)
{
	int rc;
	if (r->flags & HUB_ROUTE_PUBLIC)
		return 0; /* no authentication at all (module.h) */
	rc = hub_id_authenticate_as(
	    mg_get_header(req->conn, "Cookie"),
	    mg_get_header(req->conn, "Authorization"),
	    (r->flags & HUB_ROUTE_RESTRICTED_OK) != 0, &req->user,
	    is_write(req->ri->request_method) ? req->csrf : NULL);
	if (rc == HUB_AUTH_UNAVAILABLE) {
		hub_reply_error(req, 503, "storage_unavailable",
				"storage is unavailable; try again", NULL);
		return -1;
	}
	if (rc != HUB_AUTH_OK) {
		hub_reply_error(req, 401, "unauthenticated",
				rc == HUB_AUTH_INVALID
				    ? "session expired or credentials invalid"
				    : "sign in first",
				NULL);
		return -1;
	}
	req->authed = 1;
	/* people are checked by role, API tokens by scope */
	if (!req->user.via_token && r->roles &&
	    !(r->roles & (unsigned)req->user.role)) {
		hub_reply_error(req, 403, "forbidden",
				"your role may not do this", NULL);
		return -1;
	}
	if (req->user.via_token && !(r->scopes & req->user.scopes)) {
		hub_reply_error(req, 403, "forbidden",
				"the API token's scope does not allow this",
				NULL);
		return -1;
	}
	if (!req->user.via_token && is_write(req->ri->request_method)) {
		const char *t = mg_get_header(req->conn, "X-CSRF-Token");
		if (!t || !req->csrf[0] || !hub_ct_streq(t, req->csrf)) {
			hub_reply_error(req, 403, "csrf",
					"missing or wrong X-CSRF-Token", NULL);
			return -1;
		}
	}
	return 0;
}

static void run_handler(hub_req *req, const hub_route *r, hub_ctx *owner)
{
	hub_crash_enter(req->m.owner_name, r->pattern, req->id);
	hub_log_set_request(req->id);
	r->handler(req, r->userdata);
	hub_crash_leave();
	if (hub_store_thread_reset(0))
		hub_logf(HUB_LOG_ERROR, req->m.owner_name,
			 "handler %s %s left a transaction open; rolled back",
			 r->method, r->pattern);
	if (!req->replied) {
		hub_logf(HUB_LOG_ERROR, req->m.owner_name,
			 "handler %s %s returned without answering", r->method,
			 r->pattern);
		hub_reply_error(req, 500, "internal", "internal error", NULL);
	}
}

/* Hands a 5xx answer to the error reports (base/errsink.h): method,
 * route pattern, status and request id, nothing else of the request. */
static void report_5xx(hub_req *req, const char *route)
{
	char msg[256];
	const char *owner = req->m.route ? req->m.owner_name : NULL;
	hub_err_event ev = {.kind = "http",
			    .logger = owner ? owner : "core",
			    .message = msg,
			    .route = route,
			    .method = req->ri->request_method,
			    .request_id = req->id,
			    .status = req->status};
	snprintf(msg, sizeof(msg), "HTTP %d on %s %s", req->status,
		 req->ri->request_method, route);
	hub_err_report(&ev);
}

/* Finds the route of the request. Answers (503 while draining, 501, a
 * static file, 404, 405) and returns NULL when there is none to run;
 * *route_name names what answered ("static") or the route's pattern. */
static const hub_route *dispatch_route(hub_req *req, const char **route_name)
{
	const char *method = req->ri->request_method;
	const char *path = hub_req_path(req);
	if (g_draining) {
		hub_reply_header(req, "Connection", "close");
		hub_reply_header(req, "Retry-After", "1");
		hub_reply_error(req, 503, "shutting_down",
				"the server is restarting; retry", NULL);
		return NULL;
	}
	if (!known_method(method)) {
		hub_reply_error(req, 501, "not_implemented",
				"method not supported", NULL);
		return NULL;
	}
	if (hub_router_match(method, path, &req->m)) {
		*route_name = req->m.route->pattern;
		return req->m.route;
	}
	if ((!strcmp(method, "GET") || req->is_head) &&
	    hub_static_serve(req, path)) {
		*route_name = "static";
		return NULL;
	}
	if (req->m.path_found) {
		hub_reply_header(req, "Allow", req->m.allow);
		hub_reply_error(req, 405, "method_not_allowed",
				"method not allowed on this path", NULL);
	} else {
		hub_static_not_found(req, path);
	}
	return NULL;
}

/* The body of a write: size limit (413), content type (415), reading it
 * (400). Answers and returns -1 when refused. */
static int dispatch_body(hub_req *req, const hub_route *r)
{
	long long cl = req->ri->content_length;
	const char *te = mg_get_header(req->conn, "Transfer-Encoding");
	int has_body = cl > 0 || (cl < 0 && te != NULL), status;
	if (cl > (long long)g_max_body) {
		hub_reply_error(req, 413, "body_too_large",
				"request body too large", NULL);
		return -1;
	}
	if (has_body && !(r->flags & HUB_ROUTE_NO_JSON_BODY) &&
	    !content_type_json(mg_get_header(req->conn, "Content-Type"))) {
		hub_reply_error(req, 415, "unsupported_media_type",
				"send Content-Type: application/json", NULL);
		return -1;
	}
	status = has_body ? read_body(req, g_max_body) : 0;
	if (status == 413) {
		hub_reply_error(req, 413, "body_too_large",
				"request body too large", NULL);
		return -1;
	}
	if (status) {
		hub_reply_error(req, status, "bad_request",
				"could not read the request body", NULL);
		return -1;
	}
	return 0;
}

/* The checks between the route and its handler, in the order of
 * precedence: 401/403, 429, then 413/415 for writes. Answers and returns
 * -1 when one refuses. */
static int dispatch_checks(hub_req *req, const hub_route *r)
{
	if (authorise(req, r) != 0)
		return -1;
	if (r->rate_class && !rate_check(req, r->rate_class)) {
		hub_reply_error(req, 429, "rate_limited",
				"too many requests; retry later", NULL);
		return -1;
	}
	if (is_write(req->ri->request_method))
		return dispatch_body(req, r);
	return 0;
}

/* Fills a new request for conn (request id, client address). */
static void dispatch_begin(hub_req *req, struct mg_connection *conn)
{
	req->conn = conn;
	req->ri = mg_get_request_info(conn);
	req->is_head = !strcmp(req->ri->request_method, "HEAD");
	req->is_tls = req->ri->is_ssl;
	make_request_id(req);
	hub_proxy_client(req->ri, req->client, sizeof(req->client));
}

/* Answers 500 when nothing answered, records metrics and the access log
 * line, frees the request. Returns the status sent. */
static int dispatch_end(hub_req *req, const char *route_name, double t0)
{
	double secs;
	int status;
	if (!req->replied)
		hub_reply_error(req, 500, "internal", "internal error", NULL);
	secs = now_s() - t0;
	hub_metric_observe_request(route_name, req->status, secs);
	if (req->status >= 500 && !g_draining)
		report_5xx(req, route_name);
	if (g_access_log)
		access_log(req, route_name, secs);
	status = req->status;
	hub_req_release(req);
	free(req);
	return status > 0 ? status : 500;
}

int hub_dispatch(struct mg_connection *conn)
{
	const char *route_name = "-";
	const hub_route *r;
	double t0 = now_s();
	hub_req *req = calloc(1, sizeof(*req));
	int status;

	if (!req)
		return 0; /* let civetweb answer */
	g_inflight++;
	dispatch_begin(req, conn);
	r = dispatch_route(req, &route_name);
	if (r && dispatch_checks(req, r) == 0) {
		run_handler(req, r, req->m.owner);
		hub_log_set_request(NULL);
	}
	status = dispatch_end(req, route_name, t0);
	g_inflight--;
	return status;
}
