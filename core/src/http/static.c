/*
 * static.c - modules' web/ folders: content types, ETag/304, cache
 * headers, and no way out of the folder (no "..", no symlink escape).
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "http/request.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX_FILE (8 * 1024 * 1024)

static const struct {
	const char *ext;
	const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
};

/* Content type for a file name; NULL for types we do not serve. */
static const char *type_for(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* Rejects "..", ".", empty segments from double slashes, hidden files and
 * control characters. */
static int rest_ok(const char *rest)
{
	const char *p = rest;
	while (*p) {
		if (*p != '/')
			return 0;
		p++;
		const char *seg = p;
		while (*p && *p != '/') {
			if ((unsigned char)*p < 0x20 || *p == '\\')
				return 0;
			p++;
		}
		if (p == seg)
			return *p == 0; /* trailing slash only */
		if (seg[0] == '.')
			return 0; /* ".", "..", hidden files */
	}
	return 1;
}

/* 1 when `path` belongs to the JSON interface rather than to the pages. */
static int is_api_path(const char *path)
{
	static const char *const api[] = {"/api/", "/health", "/metrics"};
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		if (strncmp(path, api[i], strlen(api[i])) == 0)
			return 1;
	return !strcmp(path, "/api");
}

/* 1 when the client asked for JSON and not for HTML (Accept). */
static int wants_json(hub_req *req)
{
	const char *a = hub_req_header(req, "Accept");
	return a && strstr(a, "application/json") && !strstr(a, "text/html");
}

/* Reads the whole regular file at `path` (at most STATIC_MAX_FILE bytes).
 * Returns a malloc'd buffer (caller frees) and its length, or NULL. */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_MAX_FILE ||
	    !(buf = malloc((size_t)st.st_size + 1)))
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

void hub_static_not_found(hub_req *req, const char *path)
{
	const char *rest = NULL;
	const char *dir = hub_router_static("/ui/404.html", &rest);
	char file[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;
	const char *m = req->ri->request_method;

	if (!is_api_path(path) && !wants_json(req) &&
	    (!strcmp(m, "GET") || !strcmp(m, "HEAD")) && dir &&
	    (size_t)snprintf(file, sizeof(file), "%s%s", dir, rest) <
		sizeof(file))
		buf = read_file(file, &len);
	if (!buf) {
		hub_reply_error(req, 404, "not_found", "no such path", NULL);
		return;
	}
	hub_reply_header(req, "Cache-Control", "no-cache");
	hub_reply(req, 404, "text/html; charset=utf-8", buf, len);
	free(buf);
}

int hub_static_serve(hub_req *req, const char *path)
{
	const char *rest = NULL;
	const char *dir = hub_router_static(path, &rest);
	char want[PATH_MAX], real[PATH_MAX], etag[64];
	struct stat st;
	const char *type;
	char *buf = NULL;
	int fd = -1, rc = 1;
	size_t dlen;

	if (!dir)
		return 0;
	if (!rest_ok(rest)) {
		hub_static_not_found(req, path);
		return 1;
	}
	if (*rest == 0) {
		/* "/booking" -> "/booking/" so relative links work */
		char loc[600];
		snprintf(loc, sizeof(loc), "%s/", path);
		hub_reply_header(req, "Location", loc);
		hub_reply(req, 308, "text/plain; charset=utf-8", "", 0);
		return 1;
	}
	if ((size_t)snprintf(want, sizeof(want), "%s%s%s", dir, rest,
			     rest[strlen(rest) - 1] == '/'
				 ? "index.html"
				 : "") >= sizeof(want))
		goto not_found;
	if (!realpath(want, real))
		goto not_found;
	dlen = strlen(dir);
	if (strncmp(real, dir, dlen) != 0 || real[dlen] != '/')
		goto not_found; /* a symlink pointing outside */
	if (stat(real, &st) != 0)
		goto not_found;
	if (S_ISDIR(st.st_mode)) {
		char loc[600];
		snprintf(loc, sizeof(loc), "%s/", path);
		hub_reply_header(req, "Location", loc);
		hub_reply(req, 308, "text/plain; charset=utf-8", "", 0);
		return 1;
	}
	type = type_for(real);
	if (!S_ISREG(st.st_mode) || !type || st.st_size > STATIC_MAX_FILE)
		goto not_found;
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
		 (unsigned long long)st.st_mtime,
		 (unsigned long long)st.st_size);
	hub_reply_header(req, "ETag", etag);
	hub_reply_header(req, "Cache-Control",
			 strstr(type, "text/html") ? "no-cache"
						   : "public, max-age=300");
	const char *inm = hub_req_header(req, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		hub_reply(req, 304, NULL, NULL, 0);
		return 1;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	buf = fd >= 0 ? malloc((size_t)st.st_size + 1) : NULL;
	if (!buf)
		goto not_found;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	hub_reply(req, 200, type, buf, got);
	goto out;
not_found:
	hub_static_not_found(req, path);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}
