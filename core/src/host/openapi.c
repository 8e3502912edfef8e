/*
 * openapi.c - GET /api/v1/openapi.json: the published interface as an
 * OpenAPI 3 document (docs/openapi.json, embedded at build time).
 * tests/integration/test_openapi.c checks that it lists exactly the routes
 * the server registers.
 */
#include "host/host.h"

extern const unsigned char hub_openapi_json[];
extern const unsigned long hub_openapi_json_len;

static int h_openapi(hub_req *req, void *ud)
{
	const hub_api *api = ud;
	api->reply_header(req, "Cache-Control", "public, max-age=300");
	return api->reply(req, 200, "application/json; charset=utf-8",
			  (const char *)hub_openapi_json,
			  (size_t)hub_openapi_json_len);
}

int hub_openapi_register(hub_ctx *core, const hub_api *api)
{
	hub_route r = {
	    "GET", "/api/v1/openapi.json", h_openapi, (void *)api, 0, 0,
	    NULL,  HUB_ROUTE_PUBLIC};
	return api->route(core, &r);
}
