/*
 * analytics module - placeholder until its issue is taken: registers the
 * published paths and answers 501 so clients get a clear, stable error.
 */
#include "hub/module.h"

static const hub_api *api;

static int h_not_yet(hub_req *req, void *ud)
{
	(void)ud;
	return api->reply_error(req, 501, "not_implemented",
				"analytics are not available yet", NULL);
}

static int analytics_init(hub_ctx *ctx, const hub_api *a)
{
	static const char *const paths[] = {
	    "/api/v1/analytics/summary", "/api/v1/analytics/consultants/{id}",
	    "/api/v1/analytics/bookers", "/api/v1/analytics/heatmap"};
	api = a;
	for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		hub_route r = {"GET",
			       paths[i],
			       h_not_yet,
			       NULL,
			       HUB_ROLE_ADMIN | HUB_ROLE_CONSULTANT,
			       HUB_SCOPE_READ | HUB_SCOPE_ADMIN,
			       "api",
			       0};
		if (api->route(ctx, &r) != 0)
			return -1;
	}
	return 0;
}

HUB_MODULE_DEFINE("analytics", "0.1.0", "booking analytics (placeholder)",
		  analytics_init, NULL);
