/*
 * test_openapi.c - docs/openapi.json and the server agree: every route
 * the shipped configuration registers (hubd --routes) is documented with
 * its method, every documented operation is served, and the running
 * server hands out the same document at GET /api/v1/openapi.json.
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
    "[module.analytics]\npath = analytics.so\n";

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
	CHECK_INT(hubproc_stop(&h, SIGTERM), 0);
	hubproc_cleanup(&h);
	cJSON_Delete(spec);
	free(spec_text);
	return check_report("openapi");
}
