/*
 * fuzz_kit_json.c - the request-body helpers every module uses, on
 * arbitrary bytes: JSON reading, field checks, UTF-8 validation, folding.
 */
#include "fuzz_stack.h"
#include "hub_kit.h"

#include <stdlib.h>
#include <string.h>

struct hub_req {
	const char *body;
	size_t len;
	int answered;
};

static const char *f_body(hub_req *r, size_t *len)
{
	*len = r->len;
	return r->body;
}

static int f_error(hub_req *r, int status, const char *code, const char *msg,
		   const char *extra)
{
	(void)status;
	(void)code;
	(void)msg;
	(void)extra;
	r->answered++;
	return 0;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = {"start", "first_name", NULL};
	hub_api api;
	hub_req r;
	cJSON *o = NULL;
	const char *s;
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	memset(&api, 0, sizeof(api));
	api.req_body = f_body;
	api.reply_error = f_error;
	r.body = copy;
	r.len = size;
	r.answered = 0;
	if (hubkit_read_json(&api, &r, &o) == 0) {
		hubkit_only_fields(&api, &r, o, allowed);
		hubkit_str_field(&api, &r, o, "first_name", 0, 1, 100, &s);
		cJSON_Delete(o);
	} else if (r.answered != 1) {
		abort(); /* a refusal is answered exactly once */
	}
	if (hubkit_utf8_valid(copy, strlen(copy))) {
		char *f = hubkit_fold(copy);
		if (f && strlen(f) > 2 * strlen(copy))
			abort();
		free(f);
	}
	free(copy);
	return 0;
}

HUB_FUZZ_ON_WORKER_STACK
