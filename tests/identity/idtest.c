/*
 * idtest.c - see idtest.h. The fake host implements the hub_api table the
 * identity routes use, and the hub_req_* functions the audit log calls
 * directly (in hubd they come from core/src/http).
 */
#define _GNU_SOURCE
#include "idtest.h"
#include "http/http.h"

#include <cjson/cJSON.h>

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int64_t idt_now_s = 1700000000;
int64_t idt_now_ms = 1000000;

int64_t idt_clock_s(void)
{
	return idt_now_s;
}

int64_t idt_clock_ms(void)
{
	return idt_now_ms;
}

static char g_dir[256];
static char g_client[64] = "192.0.2.1";

const char *idt_dir(void)
{
	return g_dir;
}

void idt_set_client(const char *addr)
{
	snprintf(g_client, sizeof(g_client), "%s", addr);
}

/* ============================================================ requests */

#define MAXH  8
#define MAXRH 16

struct hub_req {
	const char *method;
	const char *const *hdrs;
	const char *body;
	size_t body_len;
	const char *const *params;
	const char *const *query;
	char id[32];
	int authed;
	hub_user user;
	int replied;
	idt_res *res;
	void *allocs[64];
	int nallocs;
};

static const char *kv_find(const char *const *list, const char *name, char sep,
			   int icase)
{
	size_t n = strlen(name);
	for (size_t i = 0; list && list[i]; i++) {
		const char *s = list[i];
		if ((icase ? strncasecmp(s, name, n) : strncmp(s, name, n)) ==
			0 &&
		    s[n] == sep) {
			s += n + 1;
			while (sep == ':' && *s == ' ')
				s++;
			return s;
		}
	}
	return NULL;
}

const char *hub_req_method(hub_req *req)
{
	return req->method;
}

const char *hub_req_path(hub_req *req)
{
	(void)req;
	return "/test";
}

const char *hub_req_param(hub_req *req, const char *name)
{
	return kv_find(req->params, name, '=', 0);
}

const char *hub_req_query(hub_req *req, const char *name)
{
	return kv_find(req->query, name, '=', 0);
}

const char *hub_req_header(hub_req *req, const char *name)
{
	return kv_find(req->hdrs, name, ':', 1);
}

const char *hub_req_body(hub_req *req, size_t *len)
{
	if (len)
		*len = req->body ? req->body_len : 0;
	return req->body ? req->body : "";
}

const char *hub_req_client(hub_req *req)
{
	(void)req;
	return g_client;
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

void *hub_req_alloc(hub_req *req, size_t n)
{
	void *p;
	if (req->nallocs == 64 || !(p = calloc(1, n)))
		return NULL;
	req->allocs[req->nallocs++] = p;
	return p;
}

int hub_reply_header(hub_req *req, const char *name, const char *value)
{
	if (req->replied)
		return -1;
	if (strcasecmp(name, "Set-Cookie") == 0)
		snprintf(req->res->cookie, sizeof(req->res->cookie), "%s",
			 value);
	else if (strcasecmp(name, "Retry-After") == 0)
		snprintf(req->res->retry_after, sizeof(req->res->retry_after),
			 "%s", value);
	else if (strcasecmp(name, "RateLimit-Limit") == 0)
		snprintf(req->res->ratelimit_limit,
			 sizeof(req->res->ratelimit_limit), "%s", value);
	return 0;
}

int hub_reply(hub_req *req, int status, const char *content_type,
	      const char *body, size_t len)
{
	(void)content_type;
	if (req->replied) {
		fprintf(stderr, "idtest: second reply\n");
		abort();
	}
	req->replied = 1;
	req->res->status = status;
	if (len >= sizeof(req->res->body))
		len = sizeof(req->res->body) - 1;
	if (body)
		memcpy(req->res->body, body, len);
	req->res->body[body ? len : 0] = 0;
	return 0;
}

int hub_reply_json(hub_req *req, int status, const char *json)
{
	return hub_reply(req, status, "application/json", json, strlen(json));
}

int hub_reply_error(hub_req *req, int status, const char *code,
		    const char *message, const char *extra)
{
	char buf[2048];
	(void)extra;
	snprintf(buf, sizeof(buf),
		 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\","
		 "\"request_id\":\"%s\"}}",
		 code, message, req->id);
	return hub_reply_json(req, status, buf);
}

/* ============================================================ the table */

typedef struct idt_route {
	hub_route r;
} idt_route;

static idt_route g_routes[64];
static size_t g_nroutes;
static char g_static_dir[4096];

static void f_log(hub_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int f_route(hub_ctx *ctx, const hub_route *r)
{
	(void)ctx;
	if (g_nroutes == 64)
		return -1;
	g_routes[g_nroutes++].r = *r;
	return 0;
}

static int f_static(hub_ctx *ctx, const char *prefix, const char *dir)
{
	(void)ctx;
	(void)prefix;
	snprintf(g_static_dir, sizeof(g_static_dir), "%s", dir);
	return 0;
}

static hub_api g_api;

/* hub_api.audit as the host provides it (http's hub_audit), over the
 * fake request object. */
static int fake_audit(hub_req *req, hub_db *db, const char *action,
		      const char *target, const char *detail)
{
	hub_user u;
	const char *actor = "system";
	if (req)
		actor = hub_req_user(req, &u) == 0 ? u.username : "anonymous";
	return hub_id_audit(db, actor, req ? hub_req_client(req) : NULL,
			    req ? hub_req_id(req) : NULL, action, target,
			    detail);
}

static void api_init(void)
{
	g_api.abi_version = HUB_ABI_VERSION;
	g_api.size = sizeof(g_api);
	g_api.log = f_log;
	g_api.route = f_route;
	g_api.static_dir = f_static;
	g_api.req_method = hub_req_method;
	g_api.req_path = hub_req_path;
	g_api.req_param = hub_req_param;
	g_api.req_query = hub_req_query;
	g_api.req_header = hub_req_header;
	g_api.req_body = hub_req_body;
	g_api.req_client = hub_req_client;
	g_api.req_id = hub_req_id;
	g_api.req_user = hub_req_user;
	g_api.req_alloc = hub_req_alloc;
	g_api.reply_header = hub_reply_header;
	g_api.reply = hub_reply;
	g_api.reply_json = hub_reply_json;
	g_api.reply_error = hub_reply_error;
	g_api.db = hub_store_db;
	g_api.db_prepare = hub_store_prepare;
	g_api.db_exec = hub_store_exec;
	g_api.db_begin = hub_store_begin;
	g_api.db_commit = hub_store_commit;
	g_api.db_rollback = hub_store_rollback;
	g_api.db_transaction = hub_store_transaction;
	g_api.db_last_id = hub_store_last_id;
	g_api.db_changes = hub_store_changes;
	g_api.db_errmsg = hub_store_errmsg;
	g_api.db_dialect = hub_store_dialect;
	g_api.stmt_bind_text = hub_stmt_bind_text;
	g_api.stmt_bind_int = hub_stmt_bind_int;
	g_api.stmt_bind_double = hub_stmt_bind_double;
	g_api.stmt_bind_null = hub_stmt_bind_null;
	g_api.stmt_bind_blob = hub_stmt_bind_blob;
	g_api.stmt_step = hub_stmt_step;
	g_api.stmt_reset = hub_stmt_reset;
	g_api.stmt_finalize = hub_stmt_finalize;
	g_api.col_count = hub_col_count;
	g_api.col_type = hub_col_type;
	g_api.col_int = hub_col_int;
	g_api.col_double = hub_col_double;
	g_api.col_text = hub_col_text;
	g_api.col_blob = hub_col_blob;
	g_api.rate_hit = hub_rate_hit;
	g_api.audit = fake_audit;
}

static int is_write(const char *m)
{
	return strcmp(m, "GET") != 0;
}

int idt_call(const char *method, const char *pattern, const char *body,
	     size_t len, const char *const *hdrs, const char *const *params,
	     const char *const *query, idt_res *res)
{
	static _Atomic unsigned long seq;
	const hub_route *r = NULL;
	hub_req req;
	memset(res, 0, sizeof(*res));
	memset(&req, 0, sizeof(req));
	for (size_t i = 0; i < g_nroutes; i++)
		if (!strcmp(g_routes[i].r.method, method) &&
		    !strcmp(g_routes[i].r.pattern, pattern))
			r = &g_routes[i].r;
	req.method = method;
	req.hdrs = hdrs;
	req.body = body;
	req.body_len = body ? (len == (size_t)-1 ? strlen(body) : len) : 0;
	req.params = params;
	req.query = query;
	req.res = res;
	snprintf(req.id, sizeof(req.id), "t%lu", (unsigned long)++seq);
	if (!r) {
		hub_reply_error(&req, 404, "not_found", "no route", NULL);
		return res->status;
	}
	/* what the router does (core/src/http/dispatch.c authorise):
	 * authenticate (restricted sessions only on RESTRICTED_OK routes),
	 * roles, scopes, CSRF; rate limits are left to test_auth_http */
	char csrf[65] = "";
	int rc = hub_id_authenticate_as(
	    hub_req_header(&req, "Cookie"),
	    hub_req_header(&req, "Authorization"),
	    (r->flags & HUB_ROUTE_RESTRICTED_OK) != 0, &req.user, csrf);
	if (rc == HUB_AUTH_OK) {
		req.authed = 1;
	} else if (!(r->flags & HUB_ROUTE_PUBLIC)) {
		hub_reply_error(&req, 401, "unauthenticated", "sign in", NULL);
		goto done;
	}
	if (!(r->flags & HUB_ROUTE_PUBLIC)) {
		if (r->roles && !(r->roles & (unsigned)req.user.role)) {
			hub_reply_error(&req, 403, "forbidden", "role", NULL);
			goto done;
		}
		if (req.user.via_token && !(r->scopes & req.user.scopes)) {
			hub_reply_error(&req, 403, "forbidden", "scope", NULL);
			goto done;
		}
		if (!req.user.via_token && is_write(method) &&
		    !hub_ct_streq(hub_req_header(&req, "X-CSRF-Token"), csrf)) {
			hub_reply_error(&req, 403, "csrf", "csrf", NULL);
			goto done;
		}
	}
	r->handler(&req, r->userdata);
	if (!req.replied) {
		fprintf(stderr, "idtest: %s %s did not answer\n", method,
			pattern);
		hub_reply_error(&req, 500, "internal", "no answer", NULL);
	}
done:
	for (int i = 0; i < req.nallocs; i++)
		free(req.allocs[i]);
	return res->status;
}

int idt_json_str(const char *body, const char *path, char *out, size_t n)
{
	cJSON *root = cJSON_Parse(body), *it = root;
	char buf[128], *save = NULL, *tok;
	int found = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && it;
	     tok = strtok_r(NULL, ".", &save))
		it = cJSON_GetObjectItemCaseSensitive(it, tok);
	if (it && cJSON_IsString(it)) {
		snprintf(out, n, "%s", it->valuestring);
		found = 1;
	} else if (it && cJSON_IsBool(it)) {
		snprintf(out, n, "%s", cJSON_IsTrue(it) ? "true" : "false");
		found = 1;
	} else if (it && cJSON_IsNumber(it)) {
		snprintf(out, n, "%.0f", it->valuedouble);
		found = 1;
	}
	cJSON_Delete(root);
	return found;
}

int idt_login(const char *user, const char *pw, const char *totp,
	      idt_session *s, idt_res *res)
{
	cJSON *o = cJSON_CreateObject();
	char *body, tok[80], csrf[80];
	int status;
	cJSON_AddStringToObject(o, "username", user);
	cJSON_AddStringToObject(o, "password", pw);
	if (totp)
		cJSON_AddStringToObject(o, "totp", totp);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	status = idt_call("POST", "/api/v1/auth/login", body, (size_t)-1, NULL,
			  NULL, NULL, res);
	free(body);
	memset(s, 0, sizeof(*s));
	if (status == 200 &&
	    sscanf(res->cookie, "hub_session=%70[0-9a-f]", tok) == 1 &&
	    idt_json_str(res->body, "csrf_token", csrf, sizeof(csrf))) {
		snprintf(s->cookie, sizeof(s->cookie), "Cookie: hub_session=%s",
			 tok);
		snprintf(s->csrf, sizeof(s->csrf), "X-CSRF-Token: %s", csrf);
		s->hdrs[0] = s->cookie;
		s->hdrs[1] = s->csrf;
		s->hdrs[2] = NULL;
	}
	return status;
}

/* ============================================================== set-up */

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void idt_setup(const char *tag, const char *extra_conf)
{
	char err[512], *conf = NULL;
	const char *base = getenv("TMPDIR");
	snprintf(g_dir, sizeof(g_dir), "%s/hubid-%s-XXXXXX",
		 base ? base : "/tmp", tag);
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		exit(2);
	}
	if (asprintf(&conf,
		     "[server]\ndata_dir = %s\nsecret_key = "
		     "test-secret-key-0123456789abcdef\n%s",
		     g_dir, extra_conf ? extra_conf : "") < 0)
		exit(2);
	hub_id_set_clock(idt_clock_s);
	if (hub_conf_load_string("test.conf", conf, err, sizeof(err)) != 0 ||
	    hub_store_open(g_dir, err, sizeof(err)) != 0 ||
	    hub_id_init(err, sizeof(err)) != 0 ||
	    hub_id_migrate(err, sizeof(err)) != 0) {
		fprintf(stderr, "idt_setup: %s\n", err);
		exit(2);
	}
	free(conf);
	hub_rate_set_clock(idt_clock_ms);
	api_init();
	g_nroutes = 0;
	if (hub_id_register_routes((hub_ctx *)&g_api, &g_api) != 0) {
		fprintf(stderr, "idt_setup: routes\n");
		exit(2);
	}
}

void idt_teardown(void)
{
	hub_id_shutdown();
	hub_store_close();
	hub_conf_free();
	nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int64_t idt_user(const char *name, int role, const char *pw)
{
	char hash[256];
	int64_t id = 0;
	if (id_pw_hash(pw, hash, sizeof(hash)) != 0 ||
	    id_user_insert(hub_store_db(), name, role, hash, 0, 0, &id) !=
		HUB_DB_OK) {
		fprintf(stderr, "idt_user %s failed\n", name);
		exit(2);
	}
	return id;
}

long long idt_int(const char *sql)
{
	hub_stmt *st = NULL;
	long long v = -999999;
	if (hub_store_prepare(hub_store_db(), sql, &st) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		v = hub_col_int(st, 0);
	hub_stmt_finalize(st);
	return v;
}
