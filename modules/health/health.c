/*
 * health module - what monitors poll. Public, never rate limited.
 *
 *   GET /health/live   200 {"status":"ok"} while the process serves: it
 *                      takes the allocator and this worker's database
 *                      connection (SELECT 1) as a request would, and
 *                      answers 503 when that fails or overruns
 *                      live_budget_ms (default 1000)
 *   GET /health/ready  200 when storage is usable, else 503
 *   GET /health        every registered check, 200 healthy / 503 otherwise
 *   GET /metrics       Prometheus text exposition format
 */
#include "hub/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const hub_api *api;
static hub_ctx *self;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Liveness is "can this server still serve a request": a hung allocator
 * or storage makes this handler hang too (and the monitor's timeout
 * fires); a slow or failing one answers 503. */
static int h_live(hub_req *req, void *ud)
{
	long long t0 = now_us(), budget_us;
	const char *why = NULL;
	(void)ud;
	budget_us = api->setting_int(self, "live_budget_ms", 1000) * 1000;
	volatile char *p = malloc(512);
	if (!p)
		why = "out of memory";
	else
		p[0] = 1;
	free((void *)p);
	if (!why && !api->storage_ready())
		why = "storage does not answer";
	if (!why && now_us() - t0 > budget_us)
		why = "over the time budget";
	if (!why)
		return api->reply_json(req, 200, "{\"status\":\"ok\"}");
	char body[160];
	snprintf(body, sizeof(body),
		 "{\"status\":\"unavailable\",\"detail\":\"%s\"}", why);
	api->reply_header(req, "Retry-After", "5");
	return api->reply_json(req, 503, body);
}

static int h_ready(hub_req *req, void *ud)
{
	(void)ud;
	if (api->storage_ready())
		return api->reply_json(req, 200, "{\"status\":\"ready\"}");
	api->reply_header(req, "Retry-After", "5");
	return api->reply_json(req, 503,
			       "{\"status\":\"unavailable\",\"detail\":"
			       "\"storage does not answer\"}");
}

static int h_health(hub_req *req, void *ud)
{
	int status = 503;
	char *doc;
	(void)ud;
	doc = api->health_report(&status);
	if (!doc)
		return api->reply_error(req, 503, "unavailable",
					"health report failed", NULL);
	api->reply_json(req, status, doc);
	api->free_text(doc);
	return 0;
}

static int h_metrics(hub_req *req, void *ud)
{
	char *text;
	(void)ud;
	if (!api->setting_bool(self, "metrics_public", 1))
		return api->reply_error(req, 404, "not_found", "no such path",
					NULL);
	text = api->metrics_text();
	if (!text)
		return api->reply_error(req, 500, "internal",
					"metrics unavailable", NULL);
	api->reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
		   strlen(text));
	api->free_text(text);
	return 0;
}

static int health_init(hub_ctx *ctx, const hub_api *a)
{
	static const hub_route routes[] = {
	    {"GET", "/health/live", h_live, NULL, 0, 0, NULL, HUB_ROUTE_PUBLIC},
	    {"GET", "/health/ready", h_ready, NULL, 0, 0, NULL,
	     HUB_ROUTE_PUBLIC},
	    {"GET", "/health", h_health, NULL, 0, 0, NULL, HUB_ROUTE_PUBLIC},
	    {"GET", "/metrics", h_metrics, NULL, 0, 0, NULL, HUB_ROUTE_PUBLIC},
	};
	static const hub_setting metrics_public = {
	    "metrics_public", HUB_SETTING_BOOL, "true", 0,
	    "serve /metrics without login (keep it behind the proxy)"};
	static const hub_setting live_budget = {
	    "live_budget_ms", HUB_SETTING_INT, "1000", 0,
	    "/health/live answers 503 when its allocator and database probe "
	    "takes longer (0: always; for tests)"};
	api = a;
	self = ctx;
	if (api->setting(ctx, &metrics_public) != 0 ||
	    api->setting(ctx, &live_budget) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(ctx, &routes[i]) != 0)
			return -1;
	return 0;
}

HUB_MODULE_DEFINE("health", "1.0.0", "liveness, readiness, checks, metrics",
		  health_init, NULL);
