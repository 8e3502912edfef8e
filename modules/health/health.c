/*
 * health module - what monitors poll. Public, never rate limited.
 *
 *   GET /health/live   200 {"status":"ok"} while the process serves
 *   GET /health/ready  200 when storage is usable, else 503
 *   GET /health        every registered check, 200 healthy / 503 otherwise
 *   GET /metrics       Prometheus text exposition format
 */
#include "hub/module.h"

#include <stdio.h>
#include <string.h>

static const hub_api *api;
static hub_ctx *self;

static int h_live(hub_req *req, void *ud)
{
	(void)ud;
	return api->reply_json(req, 200, "{\"status\":\"ok\"}");
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
	api = a;
	self = ctx;
	if (api->setting(ctx, &metrics_public) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (api->route(ctx, &routes[i]) != 0)
			return -1;
	return 0;
}

HUB_MODULE_DEFINE("health", "1.0.0", "liveness, readiness, checks, metrics",
		  health_init, NULL);
