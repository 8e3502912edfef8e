/*
 * hub_net.h - client addresses (kit): the one rule by which rate limits
 * and lockouts group addresses.
 */
#ifndef HUB_NET_H
#define HUB_NET_H

#include <stddef.h>

/* The counter key of a client address into out: "ip:A.B.C.D" for IPv4
 * (also IPv4-mapped IPv6), "ip6:PREFIX::/64" for IPv6 - one subscriber
 * usually holds a whole /64 and could otherwise rotate through it.
 * Always NUL-terminated. */
void hub_client_key(const char *client, char *out, size_t outlen);

#endif
