/*
 * hub_kit.c - JSON request helpers, UTF-8 checks and name folding; see
 * hub_kit.h.
 */
#include "hub_kit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hubkit_read_json(const hub_api *api, hub_req *req, cJSON **out)
{
	size_t len = 0;
	const char *body = api->req_body(req, &len);
	const char *end = NULL;
	cJSON *root = NULL;
	char field[72];
	int scan;

	*out = NULL;
	if (!body || len == 0) {
		api->reply_error(req, 400, "malformed_json",
				 "a JSON object body is required", NULL);
		return -1;
	}
	if (!hubkit_utf8_valid(body, len)) {
		api->reply_error(req, 400, "malformed_json",
				 "body is not valid UTF-8", NULL);
		return -1;
	}
	/* depth first: cJSON recurses once per level on this stack */
	scan = hubkit_json_scan(body, len, HUBKIT_JSON_MAX_DEPTH, field,
				sizeof(field));
	if (scan == HUBKIT_JSON_TOO_DEEP) {
		char msg[64];
		snprintf(msg, sizeof(msg), "body nests deeper than %d levels",
			 HUBKIT_JSON_MAX_DEPTH);
		api->reply_error(req, 400, "malformed_json", msg, NULL);
		return -1;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root && end) {
		while (end < body + len && isspace((unsigned char)*end))
			end++;
		if (end != body + len) {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (!root) {
		api->reply_error(req, 400, "malformed_json",
				 "body is not valid JSON", NULL);
		return -1;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		api->reply_error(req, 400, "malformed_json",
				 "body must be a JSON object", NULL);
		return -1;
	}
	if (scan == HUBKIT_JSON_NUL) {
		cJSON_Delete(root);
		return hubkit_invalid(api, req, field[0] ? field : "(body)",
				      "contains a NUL character (\\u0000)");
	}
	*out = root;
	return 0;
}

int hubkit_invalid(const hub_api *api, hub_req *req, const char *field,
		   const char *why)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "field '%.64s': %s", field, why);
	api->reply_error(req, 422, "invalid_field", msg, NULL);
	return -1;
}

int hubkit_only_fields(const hub_api *api, hub_req *req, const cJSON *obj,
		       const char *const *allowed)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		int known = 0;
		for (size_t i = 0; allowed[i]; i++)
			if (it->string && strcmp(it->string, allowed[i]) == 0)
				known = 1;
		if (!known) {
			char msg[160];
			cJSON *extra = cJSON_CreateObject();
			cJSON *names = cJSON_AddArrayToObject(extra, "allowed");
			char *text;
			/* the accepted fields travel with the error, so a
			 * client (and the OpenAPI test) can see them all */
			for (size_t i = 0; names && allowed[i]; i++)
				cJSON_AddItemToArray(
				    names, cJSON_CreateString(allowed[i]));
			text = extra ? cJSON_PrintUnformatted(extra) : NULL;
			snprintf(msg, sizeof(msg), "unknown field '%.64s'",
				 it->string ? it->string : "");
			api->reply_error(req, 422, "unknown_field", msg, text);
			cJSON_free(text);
			cJSON_Delete(extra);
			return -1;
		}
	}
	return 0;
}

int hubkit_str_field(const hub_api *api, hub_req *req, const cJSON *obj,
		     const char *name, int required, size_t minc, size_t maxc,
		     const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	char why[96];

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return hubkit_invalid(api, req, name, "is required");
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return hubkit_invalid(api, req, name, "must be a string");
	const char *s = v->valuestring;
	if (!hubkit_utf8_valid(s, strlen(s)))
		return hubkit_invalid(api, req, name, "is not valid UTF-8");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			return hubkit_invalid(api, req, name,
					      "contains control characters");
	size_t n = hubkit_utf8_count(s);
	if (n < minc || n > maxc) {
		snprintf(why, sizeof(why), "must be %zu to %zu characters",
			 minc, maxc);
		return hubkit_invalid(api, req, name, why);
	}
	*out = s;
	return 0;
}

int hubkit_reply_cjson(const hub_api *api, hub_req *req, int status, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);
	int rc;
	cJSON_Delete(obj);
	if (!text)
		return api->reply_error(req, 500, "internal", "out of memory",
					NULL);
	rc = api->reply_json(req, status, text);
	cJSON_free(text);
	return rc;
}

int hubkit_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			if (c == 0)
				return 0;
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0; /* truncated sequence */
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t hubkit_utf8_count(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Folds one Latin-1 supplement code point (U+00C0..U+00FF) to ASCII. */
static const char *fold_latin1(unsigned cp)
{
	static const char *const map[64] = {
	    "a", "a", "a", "a", "a", "a",  "ae", "c",  "e",  "e",  "e",
	    "e", "i", "i", "i", "i", "d",  "n",	 "o",  "o",  "o",  "o",
	    "o", "x", "o", "u", "u", "u",  "u",	 "y",  "th", "ss", "a",
	    "a", "a", "a", "a", "a", "ae", "c",	 "e",  "e",  "e",  "e",
	    "i", "i", "i", "i", "d", "n",  "o",	 "o",  "o",  "o",  "o",
	    "/", "o", "u", "u", "u", "u",  "y",	 "th", "y"};
	if (cp >= 0xC0 && cp <= 0xFF)
		return map[cp - 0xC0];
	return NULL;
}

/* Appends n bytes of p to out at *o when they fit (with a NUL). */
static int fold_put(char *out, size_t outlen, size_t *o, const char *p,
		    size_t n)
{
	if (*o + n + 1 > outlen)
		return -1;
	memcpy(out + *o, p, n);
	*o += n;
	return 0;
}

int hubkit_fold_into(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), o = 0;
	int space = 1, rc = 0; /* space: drops leading white space */
	if (outlen == 0)
		return -1;
	for (size_t i = 0; i < len && rc == 0;) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'a' && c <= 'z') {
			/* the common case, without the locale calls */
			if (o + 2 > outlen) {
				rc = -1;
			} else {
				out[o++] = (char)c;
				space = 0;
			}
			i++;
		} else if (c < 0x80) {
			char lc = (char)tolower(c);
			if (isspace(c)) {
				if (!space)
					rc = fold_put(out, outlen, &o, " ", 1);
				space = 1;
			} else {
				rc = fold_put(out, outlen, &o, &lc, 1);
				space = 0;
			}
			i++;
		} else if ((c & 0xE0) == 0xC0 && i + 1 < len) {
			unsigned cp = ((c & 0x1Fu) << 6) |
				      ((unsigned char)s[i + 1] & 0x3Fu);
			const char *f = fold_latin1(cp);
			rc = f ? fold_put(out, outlen, &o, f, strlen(f))
			       : fold_put(out, outlen, &o, s + i, 2);
			space = 0;
			i += 2;
		} else {
			rc = fold_put(out, outlen, &o, s + i, 1);
			space = 0;
			i++;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = 0;
	return rc;
}

char *hubkit_fold(const char *s)
{
	size_t cap = strlen(s) * 2 + 1;
	char *out = malloc(cap);
	if (out)
		hubkit_fold_into(s, out, cap);
	return out;
}

int hubkit_parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end = NULL;
	long long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

void hubkit_rate_headers(hubkit_header_fn set, hub_req *req,
			 const hub_rate_info *ri)
{
	char v[32];
	snprintf(v, sizeof(v), "%u", ri->limit);
	set(req, "RateLimit-Limit", v);
	snprintf(v, sizeof(v), "%u", ri->remaining);
	set(req, "RateLimit-Remaining", v);
	snprintf(v, sizeof(v), "%u", ri->reset_s);
	set(req, "RateLimit-Reset", v);
	if (!ri->allowed) {
		snprintf(v, sizeof(v), "%u",
			 ri->retry_after ? ri->retry_after : 1);
		set(req, "Retry-After", v);
	}
}
