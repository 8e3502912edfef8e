/*
 * proxy.c - trusted proxies and the real client address.
 *
 * X-Forwarded-For is honoured only when the TCP peer is a configured
 * trusted proxy; then the list is walked from the right and the first
 * address that is not itself a trusted proxy is the client. An attacker
 * connecting directly cannot choose their address.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "http/request.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct net {
	int family;
	unsigned char addr[16];
	int bits;
} net;

static struct {
	net *v;
	size_t n;
} g_px;

static int parse_net(const char *item, net *out)
{
	char buf[64];
	const char *slash = strchr(item, '/');
	size_t len = slash ? (size_t)(slash - item) : strlen(item);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, item, len);
	buf[len] = 0;
	out->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(out->family, buf, out->addr) != 1)
		return -1;
	int max = out->family == AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end = NULL;
		long b = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || b < 0 || b > max)
			return -1;
		out->bits = (int)b;
	}
	return 0;
}

int hub_proxy_configure(const char *list, char *err, size_t errlen)
{
	char *copy, *save = NULL, *tok;
	free(g_px.v);
	g_px.v = NULL;
	g_px.n = 0;
	if (!list || !*list)
		return 0;
	copy = strdup(list);
	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		net nt;
		net *v;
		if (parse_net(tok, &nt) != 0) {
			snprintf(err, errlen, "trusted_proxies: bad entry '%s'",
				 tok);
			free(copy);
			return -1;
		}
		v = realloc(g_px.v, (g_px.n + 1) * sizeof(*v));
		if (!v) {
			free(copy);
			return -1;
		}
		g_px.v = v;
		g_px.v[g_px.n++] = nt;
	}
	free(copy);
	return 0;
}

static int in_net(const net *nt, int family, const unsigned char *a)
{
	if (nt->family != family)
		return 0;
	int full = nt->bits / 8, rem = nt->bits % 8;
	if (memcmp(nt->addr, a, (size_t)full) != 0)
		return 0;
	if (rem) {
		unsigned char mask = (unsigned char)(0xFF << (8 - rem));
		if ((nt->addr[full] & mask) != (a[full] & mask))
			return 0;
	}
	return 1;
}

/* True when `addr` is within the trusted proxies list. */
static int hub_proxy_trusted(const char *addr)
{
	unsigned char a[16];
	int family;
	char buf[64];
	if (!addr || g_px.n == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", addr);
	/* civetweb gives IPv4-mapped IPv6 as "::ffff:1.2.3.4" */
	const char *p = buf;
	if (!strncmp(p, "::ffff:", 7) && strchr(p + 7, '.'))
		p += 7;
	family = strchr(p, ':') ? AF_INET6 : AF_INET;
	memset(a, 0, sizeof(a));
	if (inet_pton(family, p, a) != 1)
		return 0;
	for (size_t i = 0; i < g_px.n; i++)
		if (in_net(&g_px.v[i], family, a))
			return 1;
	return 0;
}

void hub_proxy_client(const struct mg_request_info *ri, char *out,
		      size_t outlen)
{
	const char *xff = NULL;
	snprintf(out, outlen, "%s", ri->remote_addr);
	if (!hub_proxy_trusted(ri->remote_addr))
		return;
	for (int i = 0; i < ri->num_headers; i++)
		if (!strcasecmp(ri->http_headers[i].name, "X-Forwarded-For"))
			xff = ri->http_headers[i].value;
	if (!xff)
		return;
	/* Walk the header itself from the right (never a truncated copy:
	 * the right end is what our proxies appended, the left end is what
	 * the client chose). The first address that is not a trusted proxy
	 * is the client; garbage stops the walk at what we have. */
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		const char *a = start, *b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		char item[64];
		unsigned char tmp[16];
		size_t n = (size_t)(b - a);
		if (n == 0 || n >= sizeof(item))
			return;
		memcpy(item, a, n);
		item[n] = 0;
		if (inet_pton(strchr(item, ':') ? AF_INET6 : AF_INET, item,
			      tmp) != 1)
			return;
		snprintf(out, outlen, "%s", item);
		if (!hub_proxy_trusted(item))
			return;
		end = start > xff ? start - 1 : xff;
	}
}
