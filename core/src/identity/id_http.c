/*
 * id_http.c - registration of the identity routes (id_http_auth.c,
 * id_http_admin.c) and the sign-in pages.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"

#ifndef HUB_SOURCE_DIR
#define HUB_SOURCE_DIR "."
#endif

/* Registers /api/v1/auth/..., /api/v1/admin/{users,tokens,audit} and the
 * pages under /auth (served from the source tree, HUB_SOURCE_DIR, until
 * the install layout exists). Returns 0 or -1. */
int hub_id_register_routes(hub_ctx *core_ctx, const hub_api *api)
{
	if (!api)
		return -1;
	if (id_http_auth_register(core_ctx, api) != 0 ||
	    id_http_admin_register(core_ctx, api) != 0)
		return -1;
	return api->static_dir(core_ctx, "/auth",
			       HUB_SOURCE_DIR "/core/web/auth");
}
