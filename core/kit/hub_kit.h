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
 * bad JSON, trailing bytes, not an object, nesting deeper than
 * HUBKIT_JSON_MAX_DEPTH) or 422 `invalid_field` naming the member whose
 * string holds a \u0000, and returns -1 otherwise. */
int hubkit_read_json(const hub_api *api, hub_req *req, cJSON **out);

/* The deepest nesting of arrays and objects a request body may have. The
 * API's bodies need three levels; cJSON recurses once per level on the
 * worker's stack, so deeper input is refused before parsing. */
#define HUBKIT_JSON_MAX_DEPTH 32

/* The stack size hubd gives each civetweb worker thread (set in
 * core/src/http/stack.c; measured use is in docs/SECURITY.md). Fuzz
 * targets and tests run parsers on threads of this size. */
#define HUBKIT_WORKER_STACK_BYTES (256 * 1024)

enum { HUBKIT_JSON_TOO_DEEP = 1, HUBKIT_JSON_NUL = 2 };

/* Scans JSON text without recursion: returns HUBKIT_JSON_TOO_DEEP when
 * arrays/objects nest deeper than max_depth, HUBKIT_JSON_NUL when a
 * string holds a \u0000 escape (field then names the member it belongs
 * to, up to 64 bytes, "" at the top level), else 0. Does not validate the
 * rest of the syntax (cJSON does that after). Never fails otherwise. */
int hubkit_json_scan(const char *text, size_t len, int max_depth, char *field,
		     size_t fieldlen);

/* Answers 422 `unknown_field` naming the first member of `obj` not in the
 * NULL-terminated `allowed` list (the error object also carries
 * "allowed": [the accepted names]), returning -1; 0 when all are known. */
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

/* hubkit_fold into out (outlen bytes; 2 * strlen(s) + 1 always suffice),
 * without allocating. Returns 0, or -1 when out is too small (out then
 * holds a cut folding). */
int hubkit_fold_into(const char *s, char *out, size_t outlen);

/* Parses a decimal integer in [lo, hi]. Returns 0 or -1. */
int hubkit_parse_int(const char *s, long long lo, long long hi, long long *out);

#endif
