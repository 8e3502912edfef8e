/*
 * test_router.c - route patterns, matching with parameters, 405 data,
 * duplicate and malformed registrations, removal by owner, static prefix
 * lookup and URL decoding.
 */
#define _GNU_SOURCE
#include "check.h"
#include "host/host.h"
#include "http/http.h"

static int dummy(hub_req *req, void *ud)
{
	(void)req;
	(void)ud;
	return 0;
}

static hub_route mk(const char *m, const char *p)
{
	hub_route r;
	memset(&r, 0, sizeof(r));
	r.method = m;
	r.pattern = p;
	r.handler = dummy;
	return r;
}

static hub_ctx owner_a, owner_b;

static void test_patterns(void)
{
	CHECK_INT(hub_router_pattern_ok("/"), 0);
	CHECK_INT(hub_router_pattern_ok("/api/v1/bookings/{id}/cancel"), 0);
	CHECK_INT(hub_router_pattern_ok("/files/{*rest}"), 0);
	CHECK_INT(hub_router_pattern_ok("api"), -1);
	CHECK_INT(hub_router_pattern_ok("/a//b"), -1);
	CHECK_INT(hub_router_pattern_ok("/a/{}"), -1);
	CHECK_INT(hub_router_pattern_ok("/a/{x"), -1);
	CHECK_INT(hub_router_pattern_ok("/a/{x-y}"), -1);
	CHECK_INT(hub_router_pattern_ok("/a/{*rest}/b"), -1);
	CHECK_INT(hub_router_pattern_ok("/a/b{c}"), -1);
	CHECK_INT(hub_router_pattern_ok("/a/b c"), -1);
	CHECK_INT(hub_router_pattern_ok("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}"), 0);
	CHECK_INT(hub_router_pattern_ok("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}"),
		  -1);
}

static void test_match(void)
{
	hub_match m;
	hub_route r;
	r = mk("GET", "/api/v1/bookings");
	CHECK_INT(hub_router_add(&owner_a, "owner_a", &r), 0);
	r = mk("POST", "/api/v1/bookings");
	CHECK_INT(hub_router_add(&owner_a, "owner_a", &r), 0);
	r = mk("GET", "/api/v1/bookings/{id}");
	CHECK_INT(hub_router_add(&owner_a, "owner_a", &r), 0);
	r = mk("POST", "/api/v1/bookings/{id}/cancel");
	CHECK_INT(hub_router_add(&owner_a, "owner_a", &r), 0);
	r = mk("GET", "/files/{*rest}");
	CHECK_INT(hub_router_add(&owner_b, "owner_b", &r), 0);
	r = mk("GET", "/");
	CHECK_INT(hub_router_add(&owner_b, "owner_b", &r), 0);

	/* duplicates (also with another parameter name) and bad methods */
	r = mk("GET", "/api/v1/bookings/{other}");
	CHECK_INT(hub_router_add(&owner_b, "owner_b", &r), -1);
	r = mk("FETCH", "/x");
	CHECK_INT(hub_router_add(&owner_b, "owner_b", &r), -1);
	r = mk("GET", "no-slash");
	CHECK_INT(hub_router_add(&owner_b, "owner_b", &r), -1);

	CHECK_INT(hub_router_match("GET", "/api/v1/bookings", &m), 1);
	CHECK_STR(m.route->pattern, "/api/v1/bookings");
	CHECK(m.owner == &owner_a);
	CHECK_INT(hub_router_match("GET", "/api/v1/bookings/42", &m), 1);
	CHECK_INT(m.nparams, 1);
	CHECK_STR(m.params[0].name, "id");
	CHECK_STR(m.params[0].value, "42");
	CHECK_INT(hub_router_match("POST", "/api/v1/bookings/7/cancel", &m), 1);
	CHECK_STR(m.params[0].value, "7");
	CHECK_INT(hub_router_match("HEAD", "/api/v1/bookings", &m), 1);
	CHECK_STR(m.route->method, "GET");
	CHECK_INT(hub_router_match("GET", "/files/a/b/c.txt", &m), 1);
	CHECK_STR(m.params[0].value, "a/b/c.txt");
	CHECK_INT(hub_router_match("GET", "/", &m), 1);

	/* 405: path known, method not */
	CHECK_INT(hub_router_match("DELETE", "/api/v1/bookings", &m), 0);
	CHECK_INT(m.path_found, 1);
	CHECK_STR(m.allow, "GET, POST");
	/* 404 */
	CHECK_INT(hub_router_match("GET", "/api/v1/nothing", &m), 0);
	CHECK_INT(m.path_found, 0);
	CHECK_INT(hub_router_match("GET", "/api/v1/bookings/", &m), 0);
	CHECK_INT(hub_router_match("GET", "/api/v1/bookings/1/2", &m), 0);
	CHECK_INT(hub_router_match("GET", "/api/v1/bookingsX", &m), 0);
	CHECK_INT(hub_router_match("GET", "", &m), 0);

	/* a parameter longer than the match buffer is not a match */
	char longpath[600] = "/api/v1/bookings/";
	memset(longpath + strlen(longpath), 'x', 400);
	CHECK_INT(hub_router_match("GET", longpath, &m), 0);

	/* removal by owner (rollback of a failed init) */
	hub_router_remove_owner(&owner_a);
	CHECK_INT(hub_router_match("GET", "/api/v1/bookings", &m), 0);
	CHECK_INT(hub_router_match("GET", "/files/x", &m), 1);
	r = mk("GET", "/api/v1/bookings");
	CHECK_INT(hub_router_add(&owner_b, "owner_b", &r), 0);
	hub_router_clear();
	CHECK_INT(hub_router_match("GET", "/", &m), 0);
}

static void test_static(void)
{
	const char *rest = NULL;
	CHECK_INT(
	    hub_router_add_static(&owner_a, "owner_a", "/booking", "/tmp"), 0);
	CHECK_INT(
	    hub_router_add_static(&owner_a, "owner_a", "/booking/", "/tmp"),
	    -1);
	CHECK_INT(hub_router_add_static(&owner_a, "owner_a", "/x",
					"/nonexistent-dir"),
		  -1);
	CHECK_INT(
	    hub_router_add_static(&owner_a, "owner_a", "no-slash", "/tmp"), -1);
	CHECK(hub_router_static("/booking/app.js", &rest) != NULL);
	CHECK_STR(rest, "/app.js");
	CHECK(hub_router_static("/booking", &rest) != NULL);
	CHECK_STR(rest, "");
	CHECK(hub_router_static("/bookingX/app.js", &rest) == NULL);
	hub_router_remove_owner(&owner_a);
	CHECK(hub_router_static("/booking/app.js", &rest) == NULL);
}

static void test_decode(void)
{
	char out[16];
	CHECK_INT(hub_url_decode("a%20b+c", 7, out, sizeof(out), 1), 5);
	CHECK_STR(out, "a b c");
	CHECK_INT(hub_url_decode("a+b", 3, out, sizeof(out), 0), 3);
	CHECK_STR(out, "a+b");
	CHECK_INT(hub_url_decode("%C3%BC", 6, out, sizeof(out), 1), 2);
	CHECK_STR(out, "\xc3\xbc");
	CHECK_INT(hub_url_decode("%zz", 3, out, sizeof(out), 1), -1);
	CHECK_INT(hub_url_decode("%4", 2, out, sizeof(out), 1), -1);
	CHECK_INT(hub_url_decode("%00", 3, out, sizeof(out), 1), -1);
	CHECK_INT(
	    hub_url_decode("0123456789abcdefXYZ", 19, out, sizeof(out), 1), -1);
}

static void test_client_key(void)
{
	char k[96];
	hub_client_key("203.0.113.9", k, sizeof(k));
	CHECK_STR(k, "ip:203.0.113.9");
	hub_client_key("::ffff:203.0.113.9", k, sizeof(k));
	CHECK_STR(k, "ip:203.0.113.9");
	hub_client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", k, sizeof(k));
	CHECK_STR(k, "ip6:2001:db8:1:2::/64");
	hub_client_key("2001:db8:1:2::1", k, sizeof(k));
	CHECK_STR(k, "ip6:2001:db8:1:2::/64");
}

int main(void)
{
	snprintf(owner_a.name, sizeof(owner_a.name), "a");
	snprintf(owner_b.name, sizeof(owner_b.name), "b");
	hub_log_set_level(HUB_LOG_ERROR + 1); /* expected errors are noise */
	test_patterns();
	test_match();
	test_static();
	test_decode();
	test_client_key();
	return check_report("router");
}
