/*
 * wh_net.c - the outbound guard of webhook deliveries. A target URL must
 * be http or https with a host and no credentials; its host is resolved
 * here and every address checked: loopback, private, link-local, shared
 * (CGNAT), unspecified, multicast, reserved and documentation addresses
 * are refused unless [webhooks] allow_private is set. The checked
 * addresses are handed to curl (CURLOPT_RESOLVE), so the connection goes
 * to an address that was checked even when the name resolves differently
 * a moment later.
 */
#define _GNU_SOURCE
#include "hooks/wh_internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_URL 2000

/* IPv4 address (host order) not public? */
static int v4_private(uint32_t a)
{
	static const struct {
		uint32_t net;
		int bits;
	} nets[] = {
	    {0x00000000u, 8},  /* "this" network */
	    {0x0A000000u, 8},  /* 10/8 */
	    {0x64400000u, 10}, /* 100.64/10 shared (CGNAT) */
	    {0x7F000000u, 8},  /* loopback */
	    {0xA9FE0000u, 16}, /* 169.254/16 link-local (cloud metadata) */
	    {0xAC100000u, 12}, /* 172.16/12 */
	    {0xC0000000u, 24}, /* 192.0.0/24 protocol assignments */
	    {0xC0000200u, 24}, /* 192.0.2/24 documentation */
	    {0xC0A80000u, 16}, /* 192.168/16 */
	    {0xC6120000u, 15}, /* 198.18/15 benchmarking */
	    {0xC6336400u, 24}, /* 198.51.100/24 documentation */
	    {0xCB007100u, 24}, /* 203.0.113/24 documentation */
	    {0xE0000000u, 4},  /* multicast */
	    {0xF0000000u, 4},  /* reserved, broadcast */
	};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		uint32_t mask = nets[i].bits ? ~0u << (32 - nets[i].bits) : 0;
		if ((a & mask) == nets[i].net)
			return 1;
	}
	return 0;
}

static uint32_t v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* IPv6 address not public? Embedded IPv4 forms are judged by their IPv4
 * address. */
static int v6_private(const unsigned char *b)
{
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,	   0,
						 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (memcmp(b, zero, 15) == 0)
		return 1; /* :: and ::1 */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return v4_private(v4_at(b + 12));
	if (memcmp(b, zero, 12) == 0)
		return 1; /* deprecated IPv4-compatible */
	if (b[0] == 0x20 && b[1] == 0x02)
		return v4_private(v4_at(b + 2)); /* 6to4 */
	if ((b[0] & 0xfe) == 0xfc)
		return 1; /* fc00::/7 unique local */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return 1; /* fe80::/10 link-local */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return 1; /* fec0::/10 old site-local */
	if (b[0] == 0xff)
		return 1; /* multicast */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return 1; /* 2001:db8::/32 documentation */
	if (b[0] == 0x01 && memcmp(b + 1, zero, 7) == 0)
		return 1; /* 100::/64 discard */
	return 0;
}

int wh_addr_is_private(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!addr)
		return -1;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return v4_private(ntohl(a4.s_addr));
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return v6_private(a6.s6_addr);
	return -1;
}

/* Copies URL part `what` into out; -1 when absent or too long. */
static int url_part(CURLU *u, CURLUPart what, char *out, size_t outlen)
{
	char *v = NULL;
	int rc = -1;
	if (curl_url_get(u, what, &v, 0) == CURLUE_OK && v &&
	    strlen(v) < outlen) {
		memcpy(out, v, strlen(v) + 1);
		rc = 0;
	}
	curl_free(v);
	return rc;
}

/* Parses and checks the form; fills scheme/host/port of t. */
static int parse_url(const char *url, wh_target *t, char *why, size_t whylen)
{
	CURLU *u = NULL;
	char scheme[16], port[8], *cred = NULL;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (!url || !url[0] || strlen(url) > MAX_URL) {
		snprintf(why, whylen,
			 "must be an http or https URL of at most "
			 "2000 characters");
		return -1;
	}
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    url_part(u, CURLUPART_SCHEME, scheme, sizeof(scheme)) != 0) {
		snprintf(why, whylen, "is not a valid absolute URL");
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(why, whylen, "scheme must be http or https");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &cred, 0) == CURLUE_OK) {
		snprintf(why, whylen,
			 "must not contain a user name or "
			 "password");
		goto out;
	}
	if (url_part(u, CURLUPART_HOST, t->host, sizeof(t->host)) != 0 ||
	    !t->host[0]) {
		snprintf(why, whylen, "needs a host");
		goto out;
	}
	t->https = strcmp(scheme, "https") == 0;
	t->port = t->https ? 443 : 80;
	if (url_part(u, CURLUPART_PORT, port, sizeof(port)) == 0)
		t->port = atoi(port);
	rc = 0;
out:
	curl_free(cred);
	curl_url_cleanup(u);
	return rc;
}

int wh_url_form_ok(const char *url, char *why, size_t whylen)
{
	wh_target t;
	return parse_url(url, &t, why, whylen);
}

/* The host without IPv6 brackets into out. */
static void bare_host(const char *host, char *out, size_t outlen)
{
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		snprintf(out, outlen, "%.*s", (int)(n - 2), host + 1);
	else
		snprintf(out, outlen, "%s", host);
}

/* Appends the checked address to t->resolve. */
static void add_resolved(wh_target *t, const char *addr, int v6, int *first)
{
	size_t n = strlen(t->resolve);
	snprintf(t->resolve + n, sizeof(t->resolve) - n, v6 ? "%s[%s]" : "%s%s",
		 *first ? "" : ",", addr);
	*first = 0;
}

int wh_target_check(const char *url, int allow_private, wh_target *t, char *why,
		    size_t whylen)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	char host[256], addr[INET6_ADDRSTRLEN], port[8];
	int first = 1, rc;

	if (parse_url(url, t, why, whylen) != 0)
		return -1;
	bare_host(t->host, host, sizeof(host));
	snprintf(port, sizeof(port), "%d", t->port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(why, whylen, "host %s does not resolve", host);
		return -1;
	}
	snprintf(t->resolve, sizeof(t->resolve), "%s:%d:", host, t->port);
	rc = 0;
	for (ai = res; ai && rc == 0; ai = ai->ai_next) {
		const void *p;
		int v6 = ai->ai_family == AF_INET6;
		if (ai->ai_family == AF_INET)
			p = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (v6)
			p = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(ai->ai_family, p, addr, sizeof(addr)))
			continue;
		if (!allow_private && wh_addr_is_private(addr) != 0) {
			snprintf(why, whylen,
				 "host %s resolves to %s, a loopback, "
				 "private or link-local address",
				 host, addr);
			rc = -1;
		} else if (!strstr(t->resolve + strlen(host), addr)) {
			add_resolved(t, addr, v6, &first);
		}
	}
	freeaddrinfo(res);
	if (rc == 0 && first) {
		snprintf(why, whylen, "host %s has no usable address", host);
		rc = -1;
	}
	return rc;
}
