/*
 * router.c - the route table: method + path pattern with named parameters,
 * and the static directories of modules.
 *
 * Routes are registered during module init (single-threaded) and are
 * read-only while the server runs, so matching takes no lock. A pattern is
 * split into segments once at registration; matching walks the request
 * path (already percent-decoded and cleaned by civetweb) segment by
 * segment without allocating.
 */
#include "http/http.h"
#include "base/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 16

typedef struct seg {
	char *text; /* literal text, or the parameter name */
	int param;  /* 1 = {name}, 2 = {*name} (rest of path) */
	size_t len; /* strlen(text) */
} seg;

typedef struct route_entry {
	hub_route r;	     /* strings below owned by the entry */
	hub_ctx *owner;	     /* compared only, never read */
	char owner_name[64]; /* copied at registration */
	seg segs[MAX_SEGS];
	size_t nsegs;
} route_entry;

typedef struct static_entry {
	char *prefix; /* "/booking" (no trailing slash) */
	char *dir;    /* absolute directory */
	hub_ctx *owner;
} static_entry;

static struct {
	route_entry *routes;
	size_t nroutes;
	static_entry *statics;
	size_t nstatics;
} g_rt;

static const char *const methods[] = {"GET",   "POST",	 "PUT",
				      "PATCH", "DELETE", NULL};

static int method_ok(const char *m)
{
	for (size_t i = 0; methods[i]; i++)
		if (strcmp(m, methods[i]) == 0)
			return 1;
	return 0;
}

static int name_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Splits `pattern` into segs. Returns the count or -1 when malformed. */
static int split_pattern(const char *pattern, seg *segs, char *why,
			 size_t whylen)
{
	size_t n = 0;
	int nparams = 0;
	const char *p = pattern;
	if (!pattern || pattern[0] != '/') {
		snprintf(why, whylen, "pattern must start with '/'");
		return -1;
	}
	if (strlen(pattern) > 512) {
		snprintf(why, whylen, "pattern too long");
		return -1;
	}
	while (*p == '/') {
		const char *start = ++p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - start);
		if (len == 0) {
			if (*p == 0 && n == 0)
				break; /* the root pattern "/" */
			snprintf(why, whylen, "empty path segment");
			goto fail;
		}
		if (n == MAX_SEGS) {
			snprintf(why, whylen, "more than %d segments",
				 MAX_SEGS);
			goto fail;
		}
		segs[n].param = 0;
		if (start[0] == '{' && ++nparams > HUB_ROUTER_MAX_PARAMS) {
			snprintf(why, whylen, "more than %d parameters",
				 HUB_ROUTER_MAX_PARAMS);
			goto fail;
		}
		if (start[0] == '{') {
			size_t off = 1;
			if (start[len - 1] != '}' || len < 3) {
				snprintf(why, whylen, "bad parameter segment");
				goto fail;
			}
			if (start[1] == '*') {
				off = 2;
				segs[n].param = 2;
				if (*p) {
					snprintf(why, whylen,
						 "{*name} must be last");
					goto fail;
				}
			} else {
				segs[n].param = 1;
			}
			if (len - off - 1 == 0) {
				snprintf(why, whylen, "empty parameter name");
				goto fail;
			}
			for (size_t i = off; i < len - 1; i++)
				if (!name_char((unsigned char)start[i])) {
					snprintf(why, whylen,
						 "bad parameter name");
					goto fail;
				}
			segs[n].text = strndup(start + off, len - off - 1);
		} else {
			for (size_t i = 0; i < len; i++)
				if (start[i] == '{' || start[i] == '}' ||
				    (unsigned char)start[i] <= ' ') {
					snprintf(why, whylen,
						 "bad character in segment");
					goto fail;
				}
			segs[n].text = strndup(start, len);
		}
		if (!segs[n].text) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		segs[n].len = strlen(segs[n].text);
		n++;
	}
	if (*p) {
		snprintf(why, whylen, "malformed pattern");
		goto fail;
	}
	return (int)n;
fail:
	for (size_t i = 0; i < n; i++)
		free(segs[i].text);
	return -1;
}

int hub_router_pattern_ok(const char *pattern)
{
	seg segs[MAX_SEGS];
	char why[64];
	int n = split_pattern(pattern, segs, why, sizeof(why));
	for (int i = 0; i < n; i++)
		free(segs[i].text);
	return n < 0 ? -1 : 0;
}

static int same_shape(const route_entry *a, const seg *segs, size_t n)
{
	if (a->nsegs != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (a->segs[i].param != segs[i].param)
			return 0;
		if (!segs[i].param && strcmp(a->segs[i].text, segs[i].text))
			return 0;
	}
	return 1;
}

static void free_entry(route_entry *e)
{
	for (size_t i = 0; i < e->nsegs; i++)
		free(e->segs[i].text);
	free((char *)e->r.method);
	free((char *)e->r.pattern);
	free((char *)e->r.rate_class);
}

int hub_router_add(hub_ctx *owner, const char *owner_name,
		   const hub_route *route)
{
	const char *who = owner_name ? owner_name : "core";
	seg segs[MAX_SEGS];
	char why[96];
	int n;

	if (!route || !route->method || !route->pattern || !route->handler) {
		hub_logf(HUB_LOG_ERROR, who,
			 "route: method, pattern and "
			 "handler are required");
		return -1;
	}
	if (!method_ok(route->method)) {
		hub_logf(HUB_LOG_ERROR, who, "route %s %s: unknown method",
			 route->method, route->pattern);
		return -1;
	}
	n = split_pattern(route->pattern, segs, why, sizeof(why));
	if (n < 0) {
		hub_logf(HUB_LOG_ERROR, who, "route %s %s: %s", route->method,
			 route->pattern, why);
		return -1;
	}
	for (size_t i = 0; i < g_rt.nroutes; i++) {
		if (strcmp(g_rt.routes[i].r.method, route->method) == 0 &&
		    same_shape(&g_rt.routes[i], segs, (size_t)n)) {
			hub_logf(HUB_LOG_ERROR, who,
				 "route %s %s: already registered by %s",
				 route->method, route->pattern,
				 g_rt.routes[i].owner_name);
			for (int k = 0; k < n; k++)
				free(segs[k].text);
			return -1;
		}
	}
	route_entry *v = realloc(g_rt.routes, (g_rt.nroutes + 1) * sizeof(*v));
	if (!v) {
		for (int k = 0; k < n; k++)
			free(segs[k].text);
		return -1;
	}
	g_rt.routes = v;
	route_entry *e = &v[g_rt.nroutes];
	memset(e, 0, sizeof(*e));
	e->r = *route;
	e->r.method = strdup(route->method);
	e->r.pattern = strdup(route->pattern);
	e->r.rate_class = route->rate_class ? strdup(route->rate_class) : NULL;
	e->owner = owner;
	snprintf(e->owner_name, sizeof(e->owner_name), "%s", who);
	memcpy(e->segs, segs, sizeof(seg) * (size_t)n);
	e->nsegs = (size_t)n;
	if (!e->r.method || !e->r.pattern ||
	    (route->rate_class && !e->r.rate_class)) {
		free_entry(e);
		return -1;
	}
	g_rt.nroutes++;
	return 0;
}

int hub_router_add_static(hub_ctx *owner, const char *owner_name,
			  const char *prefix, const char *dir)
{
	const char *who = owner_name ? owner_name : "core";
	char real[4096];
	size_t plen;
	if (!prefix || prefix[0] != '/' || hub_router_pattern_ok(prefix) ||
	    strchr(prefix, '{')) {
		hub_logf(HUB_LOG_ERROR, who, "static: bad prefix '%s'",
			 prefix ? prefix : "");
		return -1;
	}
	if (!dir || !realpath(dir, real)) {
		hub_logf(HUB_LOG_ERROR, who, "static %s: no directory '%s'",
			 prefix, dir ? dir : "");
		return -1;
	}
	plen = strlen(prefix);
	while (plen > 1 && prefix[plen - 1] == '/')
		plen--;
	for (size_t i = 0; i < g_rt.nstatics; i++)
		if (strlen(g_rt.statics[i].prefix) == plen &&
		    !strncmp(g_rt.statics[i].prefix, prefix, plen)) {
			hub_logf(HUB_LOG_ERROR, who,
				 "static %s: prefix already served", prefix);
			return -1;
		}
	static_entry *v =
	    realloc(g_rt.statics, (g_rt.nstatics + 1) * sizeof(*v));
	if (!v)
		return -1;
	g_rt.statics = v;
	v[g_rt.nstatics].prefix = strndup(prefix, plen);
	v[g_rt.nstatics].dir = strdup(real);
	v[g_rt.nstatics].owner = owner;
	if (!v[g_rt.nstatics].prefix || !v[g_rt.nstatics].dir) {
		free(v[g_rt.nstatics].prefix);
		free(v[g_rt.nstatics].dir);
		return -1;
	}
	g_rt.nstatics++;
	return 0;
}

void hub_router_each(void (*fn)(void *ud, const char *method,
				const char *pattern, const char *owner),
		     void *ud)
{
	for (size_t i = 0; i < g_rt.nroutes; i++)
		fn(ud, g_rt.routes[i].r.method, g_rt.routes[i].r.pattern,
		   g_rt.routes[i].owner_name);
}

void hub_router_remove_owner(hub_ctx *owner)
{
	size_t o = 0;
	for (size_t i = 0; i < g_rt.nroutes; i++) {
		if (g_rt.routes[i].owner == owner)
			free_entry(&g_rt.routes[i]);
		else
			g_rt.routes[o++] = g_rt.routes[i];
	}
	g_rt.nroutes = o;
	o = 0;
	for (size_t i = 0; i < g_rt.nstatics; i++) {
		if (g_rt.statics[i].owner == owner) {
			free(g_rt.statics[i].prefix);
			free(g_rt.statics[i].dir);
		} else {
			g_rt.statics[o++] = g_rt.statics[i];
		}
	}
	g_rt.nstatics = o;
}

void hub_router_clear(void)
{
	for (size_t i = 0; i < g_rt.nroutes; i++)
		free_entry(&g_rt.routes[i]);
	for (size_t i = 0; i < g_rt.nstatics; i++) {
		free(g_rt.statics[i].prefix);
		free(g_rt.statics[i].dir);
	}
	free(g_rt.routes);
	free(g_rt.statics);
	memset(&g_rt, 0, sizeof(g_rt));
}

/* Matches one route against the path. Fills params on success. */
static int match_entry(const route_entry *e, const char *path, hub_match *m)
{
	const char *p = path;
	size_t np = 0;
	if (e->nsegs == 0)
		return strcmp(path, "/") == 0;
	for (size_t i = 0; i < e->nsegs; i++) {
		const seg *s = &e->segs[i];
		if (*p != '/')
			return 0;
		p++;
		const char *start = p;
		if (s->param == 2) {
			p += strlen(p);
		} else {
			while (*p && *p != '/')
				p++;
		}
		size_t len = (size_t)(p - start);
		if (len == 0 && s->param != 2)
			return 0;
		if (s->param) {
			if (np == HUB_ROUTER_MAX_PARAMS)
				return 0;
			/* civetweb has already percent-decoded the path */
			if (len >= sizeof(m->params[np].value))
				return 0;
			memcpy(m->params[np].value, start, len);
			m->params[np].value[len] = 0;
			m->params[np].name = s->text;
			np++;
		} else if (len != s->len || memcmp(start, s->text, len) != 0) {
			return 0;
		}
	}
	if (*p)
		return 0;
	m->nparams = np;
	return 1;
}

int hub_router_match(const char *method, const char *path, hub_match *m)
{
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < g_rt.nroutes; i++) {
		const route_entry *e = &g_rt.routes[i];
		hub_match tmp;
		tmp.nparams = 0;
		if (!match_entry(e, path, &tmp))
			continue;
		m->path_found = 1;
		if (!strstr(m->allow, e->r.method)) {
			size_t l = strlen(m->allow);
			snprintf(m->allow + l, sizeof(m->allow) - l, "%s%s",
				 l ? ", " : "", e->r.method);
		}
		if (!m->route && strcmp(e->r.method, want) == 0) {
			m->route = &e->r;
			m->owner = e->owner;
			m->owner_name = e->owner_name;
			m->nparams = tmp.nparams;
			memcpy(m->params, tmp.params, sizeof(tmp.params));
		}
	}
	return m->route != NULL;
}

const char *hub_router_static(const char *path, const char **rest)
{
	const static_entry *best = NULL;
	size_t bestlen = 0;
	for (size_t i = 0; i < g_rt.nstatics; i++) {
		const static_entry *s = &g_rt.statics[i];
		size_t l = strlen(s->prefix);
		if (strncmp(path, s->prefix, l) == 0 &&
		    (path[l] == 0 || path[l] == '/' || l == 1) &&
		    l >= bestlen) {
			best = s;
			bestlen = l;
		}
	}
	if (!best)
		return NULL;
	*rest = path + (bestlen == 1 ? 0 : bestlen);
	return best->dir;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hub_url_decode(const char *src, size_t srclen, char *dst, size_t dstlen,
		   int plus_is_space)
{
	size_t o = 0;
	for (size_t i = 0; i < srclen; i++) {
		int c = (unsigned char)src[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= srclen)
				return -1;
			h = hexval((unsigned char)src[i + 1]);
			l = hexval((unsigned char)src[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == 0 || o + 1 >= dstlen)
			return -1;
		dst[o++] = (char)c;
	}
	if (dstlen == 0)
		return -1;
	dst[o] = 0;
	return (int)o;
}
