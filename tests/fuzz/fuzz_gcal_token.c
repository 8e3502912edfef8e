/*
 * fuzz_gcal_token.c - libFuzzer target for the parsers of the OAuth2
 * token answer and of Google's error envelopes (API and OAuth forms): any
 * bytes, no crash; an accepted token is printable ASCII without spaces and
 * its lifetime within 1..86400 s.
 */
#include "fuzz_stack.h"
#include "calendar/cal_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int fuzz_one(const uint8_t *data, size_t size)
{
	char tok[256], err[128], reason[64], msg[128];
	long exp = 0;
	const char *body = (const char *)data;

	if (hub_cal_parse_token(body, size, tok, sizeof(tok), &exp, err,
				sizeof(err)) == 0) {
		if (!tok[0] || exp < 1 || exp > 86400)
			abort();
		for (const char *p = tok; *p; p++)
			if ((unsigned char)*p <= 0x20 ||
			    (unsigned char)*p >= 0x7F)
				abort();
	}
	hub_cal_parse_error(body, size, reason, sizeof(reason), msg,
			    sizeof(msg));
	if (strlen(reason) >= sizeof(reason) || strlen(msg) >= sizeof(msg))
		abort();
	return 0;
}

HUB_FUZZ_ON_WORKER_STACK
