/*
 * id_http_home.c - GET / : the start page leads each signed-in user to
 * the home of their role (staff: the booking week; consultants: their
 * bookings; admins: the admin console), everyone else to sign-in. It is
 * a public route (no 401): it looks the session up itself and answers
 * 302 either way.
 */
#define _GNU_SOURCE
#include "identity/id_http.h"

#include <string.h>

/* The page a user of `role` starts on. */
static const char *home_of(int role)
{
	switch (role) {
	case HUB_ROLE_ADMIN:
		return "/admin/";
	case HUB_ROLE_CONSULTANT:
		return "/booking/mine.html";
	default:
		return "/booking/";
	}
}

/* The host's table, given at registration (before serving). */
static const hub_api *g_home_api;

static int h_home(hub_req *req, void *ud)
{
	const hub_api *A = g_home_api;
	const char *to = "/auth/";
	id_auth a;
	(void)ud;
	memset(&a, 0, sizeof(a));
	if (id_auth_lookup_opts(A->req_header(req, "Cookie"), NULL, 0, &a) ==
		HUB_AUTH_OK &&
	    a.kind == 1 && !a.restricted)
		to = home_of(a.row.role);
	A->reply_header(req, "Location", to);
	A->reply_header(req, "Cache-Control", "no-store");
	return A->reply(req, 302, "text/plain; charset=utf-8", "", 0);
}

int id_http_home_register(hub_ctx *ctx, const hub_api *api)
{
	const hub_route r = {"GET", "/", h_home, NULL,
			     0,	    0,	 NULL,	 HUB_ROUTE_PUBLIC};
	g_home_api = api;
	return api->route(ctx, &r);
}
