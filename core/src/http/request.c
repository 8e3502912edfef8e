/*
 * request.c - the hub_req accessors and the replies handed to modules
 * through hub_api.
 */
#define _GNU_SOURCE
#include "http/request.h"
#include "host/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------- memory */

void *hub_req_alloc(hub_req *req, size_t n)
{
	req_block *b = req->arena;
	n = (n + 15) & ~(size_t)15;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 8192 ? n : 8192;
		req_block *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->next = req->arena;
		nb->used = 0;
		nb->cap = cap;
		req->arena = nb;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static char *req_strndup(hub_req *req, const char *s, size_t n)
{
	char *p = hub_req_alloc(req, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

void hub_req_release(hub_req *req)
{
	req_block *b = req->arena;
	while (b) {
		req_block *next = b->next;
		free(b);
		b = next;
	}
	req->arena = NULL;
	free(req->body);
	req->body = NULL;
}

/* ------------------------------------------------------------ access */

const char *hub_req_method(hub_req *req)
{
	return req->ri->request_method;
}

const char *hub_req_path(hub_req *req)
{
	return req->ri->local_uri ? req->ri->local_uri : "/";
}

const char *hub_req_param(hub_req *req, const char *name)
{
	for (size_t i = 0; i < req->m.nparams; i++)
		if (strcmp(req->m.params[i].name, name) == 0)
			return req->m.params[i].value;
	return NULL;
}

static void parse_query(hub_req *req)
{
	const char *qs = req->ri->query_string;
	req->q_parsed = 1;
	if (!qs)
		return;
	while (*qs && req->nq < sizeof(req->q) / sizeof(req->q[0])) {
		const char *amp = strchr(qs, '&');
		size_t len = amp ? (size_t)(amp - qs) : strlen(qs);
		const char *eq = memchr(qs, '=', len);
		size_t nlen = eq ? (size_t)(eq - qs) : len;
		size_t vlen = eq ? len - nlen - 1 : 0;
		char *name = hub_req_alloc(req, nlen + 1);
		char *value = hub_req_alloc(req, vlen + 1);
		if (name && value && nlen > 0 &&
		    hub_url_decode(qs, nlen, name, nlen + 1, 1) >= 0 &&
		    hub_url_decode(eq ? eq + 1 : "", vlen, value, vlen + 1,
				   1) >= 0) {
			req->q[req->nq].name = name;
			req->q[req->nq].value = value;
			req->nq++;
		}
		if (!amp)
			break;
		qs = amp + 1;
	}
}

const char *hub_req_query(hub_req *req, const char *name)
{
	if (!req->q_parsed)
		parse_query(req);
	for (size_t i = 0; i < req->nq; i++)
		if (strcmp(req->q[i].name, name) == 0)
			return req->q[i].value;
	return NULL;
}

const char *hub_req_header(hub_req *req, const char *name)
{
	return mg_get_header(req->conn, name);
}

const char *hub_req_body(hub_req *req, size_t *len)
{
	if (len)
		*len = req->body_len;
	return req->body ? req->body : "";
}

const char *hub_req_client(hub_req *req)
{
	return req->client;
}

const char *hub_req_id(hub_req *req)
{
	return req->id;
}

int hub_req_user(hub_req *req, hub_user *out)
{
	if (!req || !req->authed)
		return -1;
	if (out)
		*out = req->user;
	return 0;
}

/* ------------------------------------------------------------ replies */

static int header_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 0;
	return 1;
}

int hub_reply_header(hub_req *req, const char *name, const char *value)
{
	if (req->replied || req->nextra == HUB_REQ_MAX_HEADERS || !name ||
	    !value || !*name || strpbrk(name, ": \r\n") ||
	    !header_value_ok(value))
		return -1;
	req->extra[req->nextra].name = req_strndup(req, name, strlen(name));
	req->extra[req->nextra].value =
	    req_strndup(req, value, strlen(value));
	if (!req->extra[req->nextra].name || !req->extra[req->nextra].value)
		return -1;
	req->nextra++;
	return 0;
}

static const char *const sec_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
};

void hub_http_security_headers(hub_req *req, int is_html)
{
	(void)is_html;
	for (size_t i = 0; i < sizeof(sec_headers) / sizeof(sec_headers[0]);
	     i++)
		mg_response_header_add(req->conn, sec_headers[i][0],
				       sec_headers[i][1], -1);
	mg_response_header_add(
	    req->conn, "Content-Security-Policy",
	    "default-src 'self'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
	    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	    -1);
	if (req->is_tls)
		mg_response_header_add(req->conn, "Strict-Transport-Security",
				       "max-age=31536000; includeSubDomains",
				       -1);
}

int hub_reply(hub_req *req, int status, const char *content_type,
	      const char *body, size_t len)
{
	char clen[32];
	int has_cache = 0;
	if (req->replied)
		return -1;
	req->replied = 1;
	req->status = status;
	if (status < 100 || status > 599)
		status = 500;
	mg_response_header_start(req->conn, status);
	if (content_type)
		mg_response_header_add(req->conn, "Content-Type", content_type,
				       -1);
	snprintf(clen, sizeof(clen), "%zu", len);
	mg_response_header_add(req->conn, "Content-Length", clen, -1);
	mg_response_header_add(req->conn, "X-Request-Id", req->id, -1);
	hub_http_security_headers(
	    req, content_type && !strncmp(content_type, "text/html", 9));
	for (size_t i = 0; i < req->nextra; i++) {
		if (!strcasecmp(req->extra[i].name, "Cache-Control"))
			has_cache = 1;
		mg_response_header_add(req->conn, req->extra[i].name,
				       req->extra[i].value, -1);
	}
	if (!has_cache)
		mg_response_header_add(req->conn, "Cache-Control", "no-store",
				       -1);
	mg_response_header_send(req->conn);
	if (!req->is_head && len > 0 && body)
		mg_write(req->conn, body, len);
	req->bytes_out = len;
	return 0;
}

int hub_reply_json(hub_req *req, int status, const char *json)
{
	return hub_reply(req, status, "application/json; charset=utf-8",
			 json, json ? strlen(json) : 0);
}

int hub_reply_error(hub_req *req, int status, const char *code,
		    const char *message, const char *extra_members)
{
	char ecode[128], emsg[1024], eid[160];
	const char *extra = "";
	size_t extra_len = 0;
	int rc;

	hub_json_escape(ecode, sizeof(ecode), code ? code : "error");
	hub_json_escape(emsg, sizeof(emsg), message ? message : "");
	hub_json_escape(eid, sizeof(eid), req->id);
	if (extra_members) {
		/* take the members of "{...}" */
		const char *a = strchr(extra_members, '{');
		const char *b = strrchr(extra_members, '}');
		if (a && b && b > a + 1) {
			extra = a + 1;
			extra_len = (size_t)(b - a - 1);
		}
	}
	size_t cap = strlen(ecode) + strlen(emsg) + strlen(eid) + extra_len +
		     96;
	char *buf = hub_req_alloc(req, cap);
	if (!buf)
		return hub_reply(req, 500, "application/json", "{}", 2);
	int n = snprintf(buf, cap,
			 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\","
			 "\"request_id\":\"%s\"%s%.*s}}",
			 ecode, emsg, eid, extra_len ? "," : "",
			 (int)extra_len, extra);
	rc = hub_reply(req, status, "application/json; charset=utf-8", buf,
		       (size_t)n);
	return rc;
}
