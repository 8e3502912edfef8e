/*
 * fuzz_time.c - RFC 3339 and date parsing on arbitrary text; a parsed
 * instant must format and parse back to itself.
 */
#include "fuzz_stack.h"
#include "hub_time.h"

#include <stdlib.h>
#include <string.h>

static int fuzz_one(const uint8_t *data, size_t size)
{
	static int init;
	char *s = malloc(size + 1), buf[40];
	int64_t t, back;
	hub_date d;
	if (!init) {
		hub_time_init("Europe/Berlin");
		init = 1;
	}
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (hub_time_parse(s, &t) == 0 && t > -2000000000LL &&
	    t < 250000000000LL) {
		if (hub_time_format(t, buf) != 0 ||
		    hub_time_parse(buf, &back) != 0 || back != t)
			abort();
	}
	if (hub_date_parse(s, &d) == 0) {
		hub_date_format(d, buf);
		if (strcmp(buf, s) != 0)
			abort();
	}
	free(s);
	return 0;
}

HUB_FUZZ_ON_WORKER_STACK
