/*
 * fixtures.c - test modules that each break the module ABI one way, plus
 * one that misbehaves at run time. Built once per FIXTURE_* definition
 * (see CMakeLists.txt); each .so is loaded by test_loader.c.
 */
#include "hub/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const hub_api *api;

__attribute__((unused)) static int h_ok(hub_req *req, void *ud)
{
	(void)ud;
	return api->reply_json(req, 200, "{\"ok\":true}");
}

#if defined(FIXTURE_BAD_ABI)
/* Claims an ABI version the host does not speak. */
static int init(hub_ctx *ctx, const hub_api *a)
{
	(void)ctx;
	(void)a;
	abort(); /* must never run: the host refuses before init */
}
HUB_EXPORT const hub_module hub_module_descriptor = {
    99, sizeof(hub_module), "bad_abi", "1.0", "", init, NULL};

#elif defined(FIXTURE_SMALL)
/* A descriptor from some older, smaller struct layout. */
static int init(hub_ctx *ctx, const hub_api *a)
{
	(void)ctx;
	(void)a;
	abort();
}
HUB_EXPORT const hub_module hub_module_descriptor = {
    HUB_ABI_VERSION, 8, "small", "1.0", "", init, NULL};

#elif defined(FIXTURE_NO_DESCRIPTOR)
/* Exports no descriptor at all. */
HUB_EXPORT int hub_something_else = 1;

#elif defined(FIXTURE_BAD_NAME)
static int init(hub_ctx *ctx, const hub_api *a)
{
	(void)ctx;
	(void)a;
	return 0;
}
HUB_MODULE_DEFINE("Bad-Name", "1.0", "", init, NULL);

#elif defined(FIXTURE_DUP_HEALTH)
/* Calls itself "health", which is already loaded. */
static int init(hub_ctx *ctx, const hub_api *a)
{
	(void)ctx;
	(void)a;
	return 0;
}
HUB_MODULE_DEFINE("health", "9.9", "", init, NULL);

#elif defined(FIXTURE_INIT_FAILS)
/* Registers a route and a check, then fails: both must be rolled back. */
static void chk(void *ud, hub_health_result *out)
{
	(void)ud;
	out->status = HUB_HEALTH_FAIL;
	snprintf(out->detail, sizeof(out->detail), "should not be here");
}
static int init(hub_ctx *ctx, const hub_api *a)
{
	hub_route r = {"GET", "/fixture/ok",   h_ok, NULL, 0, 0,
		       NULL,  HUB_ROUTE_PUBLIC};
	api = a;
	api->route(ctx, &r);
	api->health_check(ctx, "init_fails", chk, NULL, 100);
	api->log(ctx, HUB_LOG_ERROR, "setting 'x': not what we wanted");
	return -5;
}
HUB_MODULE_DEFINE("init_fails", "1.0", "", init, NULL);

#elif defined(FIXTURE_MISBEHAVES)
static hub_ctx *g_ctx;
/* Loads fine; its handlers crash, forget to answer, or are slow; its
 * health check overruns its budget; it declares typed settings. */
static int h_crash(hub_req *req, void *ud)
{
	volatile int *p = (volatile int *)(uintptr_t)ud;
	(void)req;
	*p = 42; /* ud is NULL: a segmentation fault */
	return 0;
}
static int h_silent(hub_req *req, void *ud)
{
	(void)req;
	(void)ud;
	return 0;
}
static int h_echo(hub_req *req, void *ud)
{
	size_t len = 0;
	const char *body = api->req_body(req, &len);
	(void)ud;
	return api->reply(req, 200, "application/json", body, len);
}
/* A careless module: reports the request body as an error message and
 * answers 500 (the error reports must scrub what it leaks). */
static int h_report(hub_req *req, void *ud)
{
	size_t len = 0;
	char msg[1024];
	const char *body = api->req_body(req, &len);
	(void)ud;
	snprintf(msg, sizeof(msg), "could not handle %.*s",
		 (int)(len < 900 ? len : 900), body ? body : "");
	api->report_error(g_ctx, msg);
	return api->reply_error(req, 500, "internal", "internal error", NULL);
}
static int h_param(hub_req *req, void *ud)
{
	char buf[512];
	const char *q = api->req_query(req, "q");
	(void)ud;
	snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"q\":\"%s\",\"n\":%lld}",
		 api->req_param(req, "id"), q ? q : "",
		 api->setting_int(NULL, "nothing", 7) +
		     0 * api->setting_int(NULL, "x", 0));
	return api->reply_json(req, 200, buf);
}
static int h_whoami(hub_req *req, void *ud)
{
	char buf[256];
	(void)ud;
	snprintf(buf, sizeof(buf), "{\"client\":\"%s\"}", api->req_client(req));
	return api->reply_json(req, 200, buf);
}
/* Inserts value v into fixture_rows on this thread's connection. */
static int insert_row(int v)
{
	hub_stmt *st = NULL;
	int rc = api->db_prepare(api->db(),
				 "INSERT INTO fixture_rows(v) VALUES (?)", &st);
	if (rc == HUB_DB_OK)
		rc = api->stmt_bind_int(st, 1, v);
	if (rc == HUB_DB_OK)
		rc = api->stmt_step(st);
	api->stmt_finalize(st);
	return rc;
}
static int h_tx_crash(hub_req *req, void *ud)
{
	(void)req;
	api->db_begin(api->db());
	insert_row(1);
	*(volatile int *)(uintptr_t)ud = 1; /* crash inside the transaction */
	return 0;
}
static int h_tx_open(hub_req *req, void *ud)
{
	(void)ud;
	api->db_begin(api->db());
	insert_row(2);
	return api->reply_json(req, 200, "{\"left\":\"open\"}");
}
static int h_write(hub_req *req, void *ud)
{
	char buf[64];
	hub_stmt *st = NULL;
	long long n = -1;
	(void)ud;
	if (insert_row(3) != HUB_DB_DONE)
		return api->reply_error(req, 503, "storage", "write failed",
					NULL);
	if (api->db_prepare(api->db(),
			    "SELECT COUNT(*), COALESCE(SUM(v), 0) FROM "
			    "fixture_rows",
			    &st) == HUB_DB_OK &&
	    api->stmt_step(st) == HUB_DB_ROW)
		n = api->col_int(st, 1) * 1000 + api->col_int(st, 0);
	api->stmt_finalize(st);
	snprintf(buf, sizeof(buf), "{\"sum_count\":%lld}", n);
	return api->reply_json(req, 200, buf);
}
static int h_slow(hub_req *req, void *ud)
{
	(void)ud;
	struct timespec ts = {1, 0};
	nanosleep(&ts, NULL);
	return api->reply_json(req, 200, "{\"slow\":true}");
}
static void slow_check(void *ud, hub_health_result *out)
{
	(void)ud;
	struct timespec ts = {3, 0};
	nanosleep(&ts, NULL);
	out->status = HUB_HEALTH_OK;
}
static int init(hub_ctx *ctx, const hub_api *a)
{
	static const hub_setting s[] = {
	    {"count", HUB_SETTING_INT, "3", 0, "an integer"},
	    {"flag", HUB_SETTING_BOOL, "false", 0, "a boolean"},
	    {"token", HUB_SETTING_STRING, NULL, HUB_SETTING_SECRET, "secret"},
	};
	hub_route r[] = {
	    {"GET", "/fixture/crash", h_crash, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/silent", h_silent, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"POST", "/fixture/echo", h_echo, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"POST", "/fixture/report", h_report, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/items/{id}", h_param, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/slow", h_slow, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/whoami", h_whoami, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/tx-crash", h_tx_crash, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/tx-open", h_tx_open, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/write", h_write, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/fixture/private", h_ok, NULL, HUB_ROLE_ADMIN, 0, NULL, 0},
	};
	api = a;
	g_ctx = ctx;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (api->setting(ctx, &s[i]) != 0)
			return -1;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (api->route(ctx, &r[i]) != 0)
			return -1;
	const char *web = getenv("FIXTURE_WEB");
	if (api->static_dir(ctx, "/fixture-web", web ? web : FIXTURE_WEB_DIR))
		return -1;
	if (api->migration(ctx, 1,
			   "CREATE TABLE fixture_rows (v INTEGER NOT NULL)",
			   NULL) != 0)
		return -1;
	if (getenv("FIXTURE_SLOW_CHECK"))
		api->health_check(ctx, "slow", slow_check, NULL, 200);
	return 0;
}
HUB_MODULE_DEFINE("misbehaves", "1.0", "", init, NULL);
#else
#error "define one FIXTURE_*"
#endif
