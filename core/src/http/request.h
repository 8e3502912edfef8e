/*
 * request.h - the hub_req object shared by the files of core/src/http.
 */
#ifndef HUB_REQUEST_H
#define HUB_REQUEST_H

#include "http/http.h"
#include <civetweb.h>

#define HUB_REQ_MAX_HEADERS 24

typedef struct req_block {
	struct req_block *next;
	size_t used, cap;
	unsigned char data[];
} req_block;

struct hub_req {
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	hub_match m;
	char id[72];
	char client[64];
	/* authentication */
	int authed;
	hub_user user;
	char csrf[65];
	/* body */
	char *body;
	size_t body_len;
	/* query string, parsed on first use */
	int q_parsed;
	size_t nq;
	struct {
		char *name;
		char *value;
	} q[32];
	/* per-request memory */
	req_block *arena;
	/* response */
	int replied;
	int status;
	size_t bytes_out;
	size_t nextra;
	struct {
		char *name;
		char *value;
	} extra[HUB_REQ_MAX_HEADERS];
	int is_head;
	int is_tls;
};

/* Frees everything the request allocated. */
void hub_req_release(hub_req *req);

/* Serves a static file for GET/HEAD under a registered prefix. Returns 1
 * when it answered (file or error), 0 when no static prefix matches. */
int hub_static_serve(hub_req *req, const char *path);

/* Answers 404 for `path`: the product's HTML page (/ui/404.html) for a
 * page a browser asked for, the JSON error for API paths (/api/, /health,
 * /metrics), other methods, or a client that accepts only JSON. */
void hub_static_not_found(hub_req *req, const char *path);

/* Real client address of a connection (X-Forwarded-For from trusted
 * proxies). */
void hub_proxy_client(const struct mg_request_info *ri, char *out,
		      size_t outlen);

#endif
