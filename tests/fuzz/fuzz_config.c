/*
 * fuzz_config.c - plugins.conf parsing and validation on arbitrary bytes:
 * never crashes, never leaks, and a failure always comes with a message.
 */
#include "fuzz_stack.h"
#include "base/log.h"
#include "base/conf.h"

#include <stdlib.h>
#include <string.h>

static int fuzz_one(const uint8_t *data, size_t size)
{
	char err[1024] = "";
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (hub_conf_load_string("fuzz.conf", text, err, sizeof(err)) != 0 &&
	    err[0] == 0)
		abort(); /* an error must always be explained */
	hub_conf_free();
	free(text);
	return 0;
}

HUB_FUZZ_ON_WORKER_STACK
