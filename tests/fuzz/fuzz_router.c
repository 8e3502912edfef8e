/*
 * fuzz_router.c - route matching and URL decoding on arbitrary paths and
 * patterns. The first byte picks what to fuzz.
 */
#include "host/host.h"
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

static int dummy(hub_req *req, void *ud)
{
	(void)req;
	(void)ud;
	return 0;
}

static void setup(void)
{
	static int done;
	static hub_ctx owner;
	static const char *const patterns[] = {
	    "/",
	    "/api/v1/bookings",
	    "/api/v1/bookings/{id}",
	    "/api/v1/bookings/{id}/cancel",
	    "/files/{*rest}",
	    "/api/v1/admin/users/{name}/totp-reset"};
	if (done)
		return;
	done = 1;
	hub_log_set_level(HUB_LOG_ERROR + 1);
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		hub_route r;
		memset(&r, 0, sizeof(r));
		r.method = i % 2 ? "POST" : "GET";
		r.pattern = patterns[i];
		r.handler = dummy;
		hub_router_add(&owner, "owner", &r);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s, out[256];
	hub_match m;
	setup();
	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	switch (data[0] % 3) {
	case 0:
		if (hub_router_match(data[0] & 8 ? "POST" : "GET", s, &m) &&
		    !m.route)
			abort();
		for (size_t i = 0; i < m.nparams; i++)
			if (strlen(m.params[i].value) >=
			    sizeof(m.params[i].value))
				abort();
		break;
	case 1:
		hub_router_pattern_ok(s);
		break;
	default: {
		int n = hub_url_decode(s, size - 1, out, sizeof(out), 1);
		if (n >= (int)sizeof(out) || (n >= 0 && out[n] != 0))
			abort();
	}
	}
	free(s);
	return 0;
}
