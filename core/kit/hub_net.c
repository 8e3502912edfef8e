/*
 * hub_net.c - see hub_net.h.
 */
#include "hub_net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void hub_client_key(const char *client, char *out, size_t outlen)
{
	struct in6_addr a6;
	const char *p = client ? client : "";
	if (strncmp(p, "::ffff:", 7) == 0 && strchr(p + 7, '.'))
		p += 7;
	if (strchr(p, ':') && inet_pton(AF_INET6, p, &a6) == 1) {
		char buf[INET6_ADDRSTRLEN];
		memset(a6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
		snprintf(out, outlen, "ip6:%s/64", buf);
		return;
	}
	snprintf(out, outlen, "ip:%s", p);
}
