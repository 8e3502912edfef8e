/*
 * test_openapi.c - docs/openapi.json and the server agree: every route
 * the shipped configuration registers (hubd --routes) is documented with
 * its method, every documented operation is served, the running server
 * hands out the same document at GET /api/v1/openapi.json, and every
 * JSON write (POST, PATCH, PUT) accepts exactly the request body fields
 * the document names: a probe body with one unknown member makes the
 * server answer 422 unknown_field with the "allowed" fields, which must
 * equal the documented requestBody properties (and an operation without
 * a documented body must not read one).
 */
#define _GNU_SOURCE
#include "check.h"
#include "hubproc.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		buf[fread(buf, 1, (size_t)n, fp)] = 0;
	}
	fclose(fp);
	return buf;
}

/* The configuration of the shipped plugins.conf, with every module. */
static const char conf[] =
    "[server]\nlisten = 127.0.0.1:%PORT%\ndata_dir = %DATA%\n"
    "module_dir = %MODULES%\n\n"
    "[module.health]\npath = health.so\n\n"
    "[module.booking]\npath = booking.so\n"
    "consultants = Anna:anna@example.com\n\n"
    "[module.admin]\npath = admin.so\n\n"
    "[module.analytics]\npath = analytics.so\n\n"
    "[ratelimit]\nlogin = 1000/min\nadmin = 100000/min\napi = "
    "100000/min\nbooking = 100000/min\n";

/* ======================================================= request fields */

/* The session of an admin created with hubctl: "Cookie: ..." and
 * "X-CSRF-Token: ..." header lines. Returns 0 or -1. */
static int admin_session(hubproc *h, char *cookie, size_t clen, char *csrf,
			 size_t xlen)
{
	const char *argv[] = {HUBCTL_PATH, "-c",     h->conf, "user", "add",
			      "probe",	   "--role", "admin", NULL};
	const char *hdr[] = {"Content-Type: application/json", NULL};
	const char body[] =
	    "{\"username\":\"probe\",\"password\":\"probe-Secret-12\"}";
	char out[1024], url[256], set[512];
	http_res r;
	cJSON *j;
	int rc = -1;
	if (hubproc_run(argv, "probe-Secret-12\n", out, sizeof(out)) != 0)
		return -1;
	snprintf(url, sizeof(url), "%s/api/v1/auth/login", h->base);
	if (http_do("POST", url, hdr, body, strlen(body), &r) != 0)
		return -1;
	j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
	if (j && http_header(&r, "Set-Cookie", set, sizeof(set))) {
		set[strcspn(set, ";")] = 0;
		snprintf(cookie, clen, "Cookie: %s", set);
		snprintf(
		    csrf, xlen, "X-CSRF-Token: %s",
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "csrf_token")));
		rc = 0;
	}
	cJSON_Delete(j);
	http_free(&r);
	return rc;
}

/* The documented body properties of operation o (resolving one $ref into
 * components), as a cJSON object, or NULL when it documents no JSON body.
 * Borrowed from spec. */
static cJSON *doc_props(cJSON *spec, cJSON *o)
{
	cJSON *sch = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(o, "requestBody"),
				    "content"),
		"application/json"),
	    "schema");
	const char *ref =
	    cJSON_GetStringValue(cJSON_GetObjectItem(sch, "$ref"));
	if (ref && !strncmp(ref, "#/components/schemas/", 21))
		sch = cJSON_GetObjectItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "components"),
					"schemas"),
		    ref + 21);
	return sch ? cJSON_GetObjectItem(sch, "properties") : NULL;
}

/* A bookable slot start: 09:00 Berlin time on the first Tuesday at least
 * a week ahead that is no fixed-date public holiday (the default grid
 * serves 09:00 Monday to Friday). */
static void slot_start(char *out, size_t n)
{
	time_t t = time(NULL) + 8 * 86400;
	struct tm tm;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	for (;; t += 86400) {
		localtime_r(&t, &tm);
		if (tm.tm_wday != 2 || (tm.tm_mon == 0 && tm.tm_mday == 1) ||
		    (tm.tm_mon == 4 && tm.tm_mday == 1) ||
		    (tm.tm_mon == 9 && tm.tm_mday == 3) ||
		    (tm.tm_mon == 10 && tm.tm_mday == 1) ||
		    (tm.tm_mon == 11 && tm.tm_mday >= 24))
			continue;
		break;
	}
	tm.tm_hour = 9;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%S%z", &tm);
	/* RFC 3339 wants +hh:mm */
	memmove(out + strlen(out) - 1, out + strlen(out) - 2, 3);
	out[strlen(out) - 3] = ':';
}

/* Books a slot as the probe user; the booking's id, or 0. */
static long long make_booking(hubproc *h, const char *const *hdr)
{
	char start[40], body[256], url[256];
	http_res r;
	cJSON *j;
	long long id = 0;
	slot_start(start, sizeof(start));
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"first_name\":\"Probe\","
		 "\"last_name\":\"Openapi\"}",
		 start);
	snprintf(url, sizeof(url), "%s/api/v1/bookings", h->base);
	if (http_do("POST", url, hdr, body, strlen(body), &r) != 0)
		return 0;
	j = r.status == 201 ? cJSON_Parse(r.body) : NULL;
	if (cJSON_IsNumber(cJSON_GetObjectItem(j, "id")))
		id = (long long)cJSON_GetObjectItem(j, "id")->valuedouble;
	else
		fprintf(stderr, "booking for the probe: %ld %s\n", r.status,
			r.body ? r.body : "");
	cJSON_Delete(j);
	http_free(&r);
	return id;
}

static long long g_booking_id;

/* A concrete path for a pattern: {name} -> "nobody", {date} -> a date,
 * a booking's {id} -> the probe's booking, other parameters -> "1". */
static void concrete(const char *pattern, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = pattern; *p && o + 12 < n;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			const char *v = !strncmp(p, "{name}", 6) ? "nobody"
					: !strncmp(p, "{date}", 6)
					    ? "2030-01-07"
					    : "1";
			o += (size_t)snprintf(out + o, n - o, "%s", v);
			p = e ? e + 1 : p + strlen(p);
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = 0;
}

/* Sends the probe to one operation and compares the fields. */
static void probe_one(hubproc *h, cJSON *spec, const char *pattern,
		      const char *method, cJSON *op, const char *const *hdr)
{
	static const char probe[] = "{\"x_openapi_probe\":1}";
	char path[300], url[400], upper[8];
	cJSON *props = doc_props(spec, op), *j = NULL, *allowed, *it;
	http_res r;
	const char *code;
	int n = 0;

	concrete(pattern, path, sizeof(path));
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	for (int i = 0; i < 7 && method[i]; i++)
		upper[i] = (char)toupper((unsigned char)method[i]),
		upper[i + 1] = 0;
	if (http_do(upper, url, hdr, probe, strlen(probe), &r) != 0) {
		CHECK(0);
		return;
	}
	j = cJSON_Parse(r.body ? r.body : "");
	code = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code"));
	allowed =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "allowed");
	if (!props || !cJSON_GetArraySize(props)) {
		if (code && !strcmp(code, "unknown_field")) {
			fprintf(stderr,
				"%s %s reads a body the document does not "
				"describe\n",
				upper, pattern);
			CHECK(0);
		}
		goto out;
	}
	if (!code || strcmp(code, "unknown_field") != 0 ||
	    !cJSON_IsArray(allowed)) {
		fprintf(stderr, "%s %s: no unknown_field answer (%ld)\n", upper,
			pattern, r.status);
		CHECK(0);
		goto out;
	}
	cJSON_ArrayForEach(it, allowed)
	{
		n++;
		if (!cJSON_GetObjectItemCaseSensitive(props, it->valuestring)) {
			fprintf(stderr,
				"%s %s accepts '%s', which is not "
				"documented\n",
				upper, pattern, it->valuestring);
			CHECK(0);
		}
	}
	cJSON_ArrayForEach(it, props)
	{
		int found = 0;
		cJSON *a;
		cJSON_ArrayForEach(a, allowed) found |=
		    !strcmp(a->valuestring, it->string);
		if (!found) {
			fprintf(stderr,
				"%s %s documents '%s', which the server "
				"refuses\n",
				upper, pattern, it->string);
			CHECK(0);
		}
	}
	CHECK_INT(n, cJSON_GetArraySize(props));
out:
	cJSON_Delete(j);
	http_free(&r);
}

/* Probes every documented POST, PATCH and PUT (logout last). */
static void check_request_fields(hubproc *h, cJSON *spec, cJSON *paths)
{
	char cookie[512], csrf[160];
	const char *hdr[] = {"Content-Type: application/json", cookie, csrf,
			     NULL};
	cJSON *p, *o;
	int probed = 0;
	if (admin_session(h, cookie, sizeof(cookie), csrf, sizeof(csrf)) != 0) {
		CHECK(0);
		return;
	}
	g_booking_id = make_booking(h, hdr);
	CHECK(g_booking_id > 0);
	cJSON_ArrayForEach(p, paths)
	{
		if (!strcmp(p->string, "/api/v1/auth/logout"))
			continue; /* would end the probe's session */
		cJSON_ArrayForEach(o, p)
		{
			if (strcmp(o->string, "post") &&
			    strcmp(o->string, "patch") &&
			    strcmp(o->string, "put"))
				continue;
			probe_one(h, spec, p->string, o->string, o, hdr);
			probed++;
		}
	}
	CHECK(probed > 15);
}

int main(void)
{
	char *spec_text = read_file(HUB_SOURCE_DIR "/docs/openapi.json");
	cJSON *spec = spec_text ? cJSON_Parse(spec_text) : NULL;
	cJSON *paths = cJSON_GetObjectItem(spec, "paths");
	static char out[65536];
	hubproc h;
	int routes = 0;

	CHECK(cJSON_IsObject(paths));
	if (!paths)
		return check_report("openapi");
	/* start once to get the real configuration file written, then ask
	 * the same binary for its routes */
	if (hubproc_start(&h, conf, NULL) != 0) {
		CHECK(0);
		return check_report("openapi");
	}
	const char *argv[] = {HUBD_PATH, "-c", h.conf, "--routes", NULL};
	CHECK_INT(hubproc_run(argv, NULL, out, sizeof(out)), 0);

	/* every registered route is documented */
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char method[16], pattern[256], owner[64], lower[16];
		if (sscanf(line, "%15s %255s %63s", method, pattern, owner) !=
			3 ||
		    pattern[0] != '/')
			continue;
		routes++;
		for (size_t i = 0; i <= strlen(method); i++)
			lower[i] = (char)tolower((unsigned char)method[i]);
		cJSON *p = cJSON_GetObjectItemCaseSensitive(paths, pattern);
		if (!p || !cJSON_GetObjectItemCaseSensitive(p, lower)) {
			fprintf(stderr, "undocumented route: %s %s (%s)\n",
				method, pattern, owner);
			CHECK(0);
		} else {
			CHECK(1);
			cJSON_AddBoolToObject(cJSON_GetObjectItem(p, lower),
					      "x-seen", 1);
		}
	}
	CHECK(routes > 30);

	/* every documented operation is served */
	cJSON *p;
	cJSON_ArrayForEach(p, paths)
	{
		cJSON *o;
		cJSON_ArrayForEach(o, p)
		{
			if (!cJSON_GetObjectItem(o, "x-seen")) {
				fprintf(stderr,
					"documented but not served: %s %s\n",
					o->string, p->string);
				CHECK(0);
			}
		}
	}

	/* the server serves the same document */
	http_res r;
	char url[256];
	snprintf(url, sizeof(url), "%s/api/v1/openapi.json", h.base);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK(r.body && strcmp(r.body, spec_text) == 0);
	http_free(&r);
	check_request_fields(&h, spec, paths);
	CHECK_INT(hubproc_stop(&h, SIGTERM), 0);
	hubproc_cleanup(&h);
	cJSON_Delete(spec);
	free(spec_text);
	return check_report("openapi");
}
