/*
 * id_http.c - registration of the identity routes (id_http_auth.c,
 * id_http_admin.c) and the sign-in pages.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"
#include "base/conf.h"

#include <stdio.h>

#ifndef HUB_SOURCE_DIR
#define HUB_SOURCE_DIR "."
#endif

/* Registers /api/v1/auth/..., /api/v1/admin/{users,tokens,audit} and the
 * pages under /auth, served from <[server] web_dir>/auth (env HUB_WEB_DIR;
 * default the source tree's core/web). Returns 0 or -1. */
int hub_id_register_routes(hub_ctx *core_ctx, const hub_api *api)
{
	if (!api)
		return -1;
	if (id_http_auth_register(core_ctx, api) != 0 ||
	    id_http_admin_register(core_ctx, api) != 0 ||
	    id_http_home_register(core_ctx, api) != 0)
		return -1;
	const char *web = hub_conf_get("server", "web_dir");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/auth",
		 web && *web ? web : HUB_SOURCE_DIR "/core/web");
	return api->static_dir(core_ctx, "/auth", dir);
}
