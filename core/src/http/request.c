/*
 * request.c - the hub_req accessors and the replies handed to modules
 * through hub_api.
 */
#define _GNU_SOURCE
#include "http/request.h"
#include "base/log.h"
#include "identity/identity.h"

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

/* Adds a header, or replaces the value of one of the same name added
 * earlier (so a later, more specific answer - e.g. a per-account rate
 * limit after the router's per-address one - is the only one sent). */
int hub_reply_header(hub_req *req, const char *name, const char *value)
{
	if (req->replied || !name || !value || !*name ||
	    strpbrk(name, ": \r\n") || !header_value_ok(value))
		return -1;
	for (size_t i = 0; i < req->nextra; i++) {
		if (!strcasecmp(req->extra[i].name, name)) {
			char *v = req_strndup(req, value, strlen(value));
			if (!v)
				return -1;
			req->extra[i].value = v;
			return 0;
		}
	}
	if (req->nextra == HUB_REQ_MAX_HEADERS)
		return -1;
	req->extra[req->nextra].name = req_strndup(req, name, strlen(name));
	req->extra[req->nextra].value = req_strndup(req, value, strlen(value));
	if (!req->extra[req->nextra].name || !req->extra[req->nextra].value)
		return -1;
	req->nextra++;
	return 0;
}

/* The headers every response carries (see docs/SECURITY.md). */
static const char sec_headers[] =
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Permissions-Policy: camera=(), microphone=(), geolocation=()\r\n"
    "Content-Security-Policy: default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n";

static const char hsts[] =
    "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n";

/* Appends to a bounded buffer; returns the new length (may exceed cap,
 * in which case the caller grows and retries). */
static size_t put(char *buf, size_t cap, size_t len, const char *s, size_t n)
{
	if (len + n <= cap)
		memcpy(buf + len, s, n);
	return len + n;
}

/* Builds status line and headers into buf (cap bytes). Returns the
 * length needed (which may exceed cap). */
static size_t build_head(hub_req *req, int status, const char *content_type,
			 size_t body_len, char *buf, size_t cap)
{
	char line[160];
	size_t len = 0;
	int has_cache = 0, n;
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
		     mg_get_response_code_text(req->conn, status));
	len = put(buf, cap, len, line, (size_t)n);
	if (content_type) {
		len = put(buf, cap, len, "Content-Type: ", 14);
		len = put(buf, cap, len, content_type, strlen(content_type));
		len = put(buf, cap, len, "\r\n", 2);
	}
	/* RFC 9110: no Content-Length on 204; on 304 it would have to be the
	 * 200's length, so it is left out too */
	if (status == 204 || status == 304)
		n = snprintf(line, sizeof(line), "X-Request-Id: %s\r\n",
			     req->id);
	else
		n = snprintf(line, sizeof(line),
			     "Content-Length: %zu\r\nX-Request-Id: %s\r\n",
			     body_len, req->id);
	len = put(buf, cap, len, line, (size_t)n);
	len = put(buf, cap, len, sec_headers, sizeof(sec_headers) - 1);
	if (req->is_tls)
		len = put(buf, cap, len, hsts, sizeof(hsts) - 1);
	for (size_t i = 0; i < req->nextra; i++) {
		const char *k = req->extra[i].name, *v = req->extra[i].value;
		if (!strcasecmp(k, "Cache-Control"))
			has_cache = 1;
		len = put(buf, cap, len, k, strlen(k));
		len = put(buf, cap, len, ": ", 2);
		len = put(buf, cap, len, v, strlen(v));
		len = put(buf, cap, len, "\r\n", 2);
	}
	if (!has_cache)
		len = put(buf, cap, len, "Cache-Control: no-store\r\n", 25);
	return put(buf, cap, len, "\r\n", 2);
}

/* Writes the whole response (head and body) with one mg_write, so a
 * response costs one send(2) instead of one per header line. HTTP/1.1
 * keep-alive is civetweb's decision from the request, as for any
 * response a begin_request callback writes. */
int hub_reply(hub_req *req, int status, const char *content_type,
	      const char *body, size_t len)
{
	char stackbuf[4096];
	char *buf = stackbuf;
	size_t head, total;
	if (req->replied)
		return -1;
	if (status < 100 || status > 599)
		status = 500;
	req->replied = 1;
	req->status = status;
	if (status == 204 || status == 304)
		len = 0; /* these never carry a body */
	head =
	    build_head(req, status, content_type, len, buf, sizeof(stackbuf));
	total = head + (req->is_head ? 0 : len);
	if (total > sizeof(stackbuf)) {
		buf = malloc(total);
		if (!buf)
			return -1;
		build_head(req, status, content_type, len, buf, total);
	}
	if (!req->is_head && len > 0 && body)
		memcpy(buf + head, body, len);
	mg_write(req->conn, buf, total);
	if (buf != stackbuf)
		free(buf);
	req->bytes_out = len;
	return 0;
}

int hub_reply_json(hub_req *req, int status, const char *json)
{
	return hub_reply(req, status, "application/json; charset=utf-8", json,
			 json ? strlen(json) : 0);
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
	size_t cap =
	    strlen(ecode) + strlen(emsg) + strlen(eid) + extra_len + 96;
	char *buf = hub_req_alloc(req, cap);
	if (!buf)
		return hub_reply(req, 500, "application/json", "{}", 2);
	int n = snprintf(buf, cap,
			 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\","
			 "\"request_id\":\"%s\"%s%.*s}}",
			 ecode, emsg, eid, extra_len ? "," : "", (int)extra_len,
			 extra);
	rc = hub_reply(req, status, "application/json; charset=utf-8", buf,
		       (size_t)n);
	return rc;
}

int hub_audit(hub_req *req, hub_db *db, const char *action, const char *target,
	      const char *detail)
{
	hub_user u;
	const char *actor = "system";
	if (req)
		actor = hub_req_user(req, &u) == 0 ? u.username : "anonymous";
	return hub_id_audit(db, actor, req ? hub_req_client(req) : NULL,
			    req ? hub_req_id(req) : NULL, action, target,
			    detail);
}
