/*
 * admin module - placeholder for the admin console until its issue is
 * taken: the user, token and audit APIs are served by the core identity
 * service and the blocked-days API by the booking module; this module will
 * own backups, logs and the console pages. It answers 501 meanwhile.
 */
#include "hub/module.h"

static const hub_api *api;

static int h_not_yet(hub_req *req, void *ud)
{
	(void)ud;
	return api->reply_error(req, 501, "not_implemented",
				"this admin function is not available yet",
				NULL);
}

static int admin_init(hub_ctx *ctx, const hub_api *a)
{
	static const char *const paths[] = {"/api/v1/admin/logs"};
	api = a;
	for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		hub_route r = {"GET",	       paths[i],	h_not_yet, NULL,
			       HUB_ROLE_ADMIN, HUB_SCOPE_ADMIN, "admin",   0};
		if (api->route(ctx, &r) != 0)
			return -1;
	}
	return 0;
}

HUB_MODULE_DEFINE("admin", "0.1.0", "admin console (placeholder)", admin_init,
		  NULL);
