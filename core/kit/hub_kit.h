/*
 * hub_kit.h - helpers every module uses, compiled into each module (and the
 * core) as a static library so that cJSON stays out of the ABI: the host
 * hands over bytes, the kit parses them with the module's own cJSON.
 *
 * Functions named hubkit_* that take (api, req) answer the request
 * themselves when they fail and return -1; the handler then just returns.
 */
#ifndef HUB_KIT_H
#define HUB_KIT_H

#include "hub/module.h"
#include <cjson/cJSON.h>
#include <stddef.h>

/* Parses the request body as a JSON object. On success *out is owned by
 * the caller (cJSON_Delete). Answers 400 `malformed_json` (empty body,
 * bad JSON, trailing bytes, not an object) and returns -1 otherwise. */
int hubkit_read_json(const hub_api *api, hub_req *req, cJSON **out);

/* Answers 422 `unknown_field` naming the first member of `obj` not in the
 * NULL-terminated `allowed` list, returning -1; 0 when all are known. */
int hubkit_only_fields(const hub_api *api, hub_req *req, const cJSON *obj,
		       const char *const *allowed);

/* Reads string member `name`: must be a string of minc..maxc UTF-8
 * characters (valid UTF-8, no control characters other than \n and \t).
 * An absent or null member is allowed when !required (*out = NULL).
 * *out is borrowed from obj. Answers 422 `invalid_field` naming the field
 * and returns -1 on violation. */
int hubkit_str_field(const hub_api *api, hub_req *req, const cJSON *obj,
		     const char *name, int required, size_t minc, size_t maxc,
		     const char **out);

/* Serialises `obj`, answers with `status`, deletes `obj`. Returns 0/-1. */
int hubkit_reply_cjson(const hub_api *api, hub_req *req, int status,
		       cJSON *obj);

/* Answers 422 invalid_field with a message naming the field. Returns -1. */
int hubkit_invalid(const hub_api *api, hub_req *req, const char *field,
		   const char *why);

/* A function that adds a response header (hub_api.reply_header, or the
 * core's own hub_reply_header). */
typedef int (*hubkit_header_fn)(hub_req *req, const char *name,
				const char *value);

/* Adds the RateLimit-Limit, -Remaining and -Reset headers of *ri through
 * `set`, and Retry-After (at least 1) when the hit was refused. */
void hubkit_rate_headers(hubkit_header_fn set, hub_req *req,
			 const hub_rate_info *ri);

/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int hubkit_utf8_valid(const char *s, size_t len);
/* Number of UTF-8 code points in a valid string. */
size_t hubkit_utf8_count(const char *s);

/* Case- and umlaut-folded copy of `s` for matching names: lower case,
 * ä/ö/ü -> a/o/u, ß -> ss, other Latin-1 accents to their base letter,
 * runs of white space to one space, trimmed. Owned: free(). NULL on OOM. */
char *hubkit_fold(const char *s);

/* Parses a decimal integer in [lo, hi]. Returns 0 or -1. */
int hubkit_parse_int(const char *s, long long lo, long long hi, long long *out);

#endif
