/*
 * http.h - the HTTP side of the host (core/src/http): the civetweb server,
 * the router, the request object and static files.
 */
#ifndef HUB_HTTP_H
#define HUB_HTTP_H

#include "hub/module.h"
#include "hub_net.h"

/* ================================================================ router */

/* Adds a route owned by `owner`, whose name (NULL = "core") is kept for
 * logs and hub_router_each; the router never looks into `owner`. Strings
 * are copied. Fails (-1, logged) on a bad pattern, an unknown method or a
 * duplicate method+pattern. */
int hub_router_add(hub_ctx *owner, const char *owner_name,
		   const hub_route *route);

/* Adds a static directory `dir` served under `prefix`, owned as above.
 * Returns 0 or -1. */
int hub_router_add_static(hub_ctx *owner, const char *owner_name,
			  const char *prefix, const char *dir);

/* Calls fn for every registered route (method, pattern, owner name) in
 * registration order. */
void hub_router_each(void (*fn)(void *ud, const char *method,
				const char *pattern, const char *owner),
		     void *ud);

/* Removes every route and static directory owned by `owner`. */
void hub_router_remove_owner(hub_ctx *owner);

/* Removes everything (process end). */
void hub_router_clear(void);

/* Result of matching a path. */
#define HUB_ROUTER_MAX_PARAMS 8
typedef struct hub_match {
	const hub_route *route; /* the route for the method, or NULL */
	hub_ctx *owner;		/* as registered (opaque here) */
	const char *owner_name; /* its name, borrowed from the table */
	int path_found;		/* some route matches the path (for 405) */
	char allow[64];		/* methods allowed on the path, "GET, POST" */
	size_t nparams;
	struct {
		const char *name; /* borrowed from the route */
		char value[256];  /* percent-decoded */
	} params[HUB_ROUTER_MAX_PARAMS];
} hub_match;

/* Matches `method` and `path` (no query string). Returns 1 on a route
 * match, 0 otherwise (see path_found/allow). Thread-safe after start. */
int hub_router_match(const char *method, const char *path, hub_match *m);

/* Finds the static directory serving `path` (longest prefix); sets *rest
 * to the remainder ("" or "/..."). Returns the directory (borrowed) or
 * NULL. */
const char *hub_router_static(const char *path, const char **rest);

/* Checks that a pattern is well formed. Returns 0 or -1. */
int hub_router_pattern_ok(const char *pattern);

/* Percent-decodes src into dst (NUL-terminated). Returns the length or -1
 * when the input is malformed, contains NUL, or does not fit. */
int hub_url_decode(const char *src, size_t srclen, char *dst, size_t dstlen,
		   int plus_is_space);

/* ================================================================ server */

/* Sends an error report about module `owner` (NULL = the core). */
typedef void (*hub_report_fn)(hub_ctx *owner, const char *message);

typedef struct hub_server_opts {
	const char *listen; /* "127.0.0.1:8080" */
	unsigned threads;
	size_t max_body; /* bytes */
	unsigned request_timeout_ms;
	/* how long an idle keep-alive connection may hold its worker
	 * thread before the server closes it; 0 = 5000 */
	unsigned keep_alive_timeout_ms;
	const char *tls_certificate; /* PEM with key, or NULL */
	const char *trusted_proxies; /* comma list of addresses/CIDRs */
	hub_report_fn report_error;  /* a handler crashed; NULL = log only */
} hub_server_opts;

/* Starts civetweb with the router as the only handler. Returns 0 or -1
 * with a reason in err. */
int hub_server_start(const hub_server_opts *o, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int hub_server_port(void);

/* Turns the per-request JSON access log line on or off (default on). */
void hub_dispatch_access_log(int on);

/* Stops accepting, waits for in-flight requests, stops the workers. */
void hub_server_stop(void);

int hub_proxy_configure(const char *list, char *err, size_t errlen);

/* ======================================================== request object */

/* See hub_api req_* and reply_*; the table points at these. */
const char *hub_req_method(hub_req *req);
const char *hub_req_path(hub_req *req);
const char *hub_req_param(hub_req *req, const char *name);
const char *hub_req_query(hub_req *req, const char *name);
const char *hub_req_header(hub_req *req, const char *name);
const char *hub_req_body(hub_req *req, size_t *len);
const char *hub_req_client(hub_req *req);
const char *hub_req_id(hub_req *req);
int hub_req_user(hub_req *req, hub_user *out);
void *hub_req_alloc(hub_req *req, size_t n);
int hub_reply_header(hub_req *req, const char *name, const char *value);
int hub_reply(hub_req *req, int status, const char *content_type,
	      const char *body, size_t len);
int hub_reply_json(hub_req *req, int status, const char *json);
int hub_reply_error(hub_req *req, int status, const char *code,
		    const char *message, const char *extra_members);

/* hub_api.audit: an audit entry (hub_id_audit) whose actor, address and
 * request id are those of req: its principal ("anonymous" when none), or
 * "system" without a request. `db` NULL = the thread's connection.
 * Returns 0 or -1. */
int hub_audit(hub_req *req, hub_db *db, const char *action, const char *target,
	      const char *detail);

/* ============================================================ metrics */

/* Counter / histogram registry shared by the core (thread-safe). */
/* The HELP text of a known metric family (static), or NULL. */
const char *hub_metric_help(const char *name);
/* Sets a gauge to `value` (labels as for hub_metric_add). */
void hub_metric_set(const char *name, const char *labels, double value);
void hub_metric_add(const char *name, const char *labels, double delta);
void hub_metric_observe_request(const char *route, int status, double secs);
/* Prometheus text of all metrics; owned: free(). */
char *hub_metrics_render(void);

#endif
