/*
 * fuzz_gcal_creds.c - libFuzzer target for the service-account key file
 * parser (hub_cal_creds_parse): any bytes, no crash, no leak; an accepted
 * file has type service_account, an issuer with '@', a PEM private key and
 * an http(s) token_uri; a rejected one leaves nothing allocated.
 */
#include "fuzz_stack.h"
#include "calendar/cal_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int fuzz_one(const uint8_t *data, size_t size)
{
	hub_cal_creds c;
	char err[256];

	if (hub_cal_creds_parse((const char *)data, size, &c, err,
				sizeof(err)) == 0) {
		if (strcmp(c.type, "service_account") != 0 ||
		    !strchr(c.client_email, '@') ||
		    strncmp(c.private_key, "-----BEGIN ", 11) != 0 ||
		    !c.private_key_id ||
		    (strncmp(c.token_uri, "https://", 8) != 0 &&
		     strncmp(c.token_uri, "http://", 7) != 0))
			abort();
	} else if (c.type || c.client_email || c.private_key || c.token_uri) {
		abort();
	}
	hub_cal_creds_clear(&c);
	return 0;
}

HUB_FUZZ_ON_WORKER_STACK
