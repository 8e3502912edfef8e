/*
 * wh_internal.h - what the files of core/src/hooks share: configuration,
 * the outbound guard (wh_net.c), signing and sending (wh_send.c), storage
 * (wh_store.c) and the admin routes (wh_http.c).
 */
#ifndef HUB_WH_INTERNAL_H
#define HUB_WH_INTERNAL_H

#include "hooks/hooks.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wh_config {
	int allow_private;   /* 1: loopback/private/link-local allowed */
	unsigned timeout_ms; /* whole request */
	unsigned interval_s; /* delivery job period */
	unsigned retry_first_s;
	unsigned retry_max_s;
	unsigned retry_for_s; /* give up this long after the event */
} wh_config;

/* The configuration (defaults until hub_wh_init). Borrowed. */
const wh_config *wh_cfg(void);
/* Replaces the configuration (tests). */
void wh_cfg_set(const wh_config *c);

/* The event names endpoints may subscribe to; NULL-terminated. */
extern const char *const wh_event_names[];

/* ---- outbound guard (wh_net.c) ---- */

/* A checked target: the URL's scheme, host and port, and a curl
 * CURLOPT_RESOLVE entry "host:port:addr,addr" pinning the connection to
 * the addresses that were checked. */
typedef struct wh_target {
	char host[256];
	int port;
	int https;
	char resolve[1024];
} wh_target;

/* 1 when the textual address (IPv4 or IPv6) is loopback, private,
 * link-local, unspecified, multicast or otherwise not a public unicast
 * address; 0 when public; -1 when it is no address. */
int wh_addr_is_private(const char *addr);

/* Checks `url` (http or https only, a host, no user name or password, at
 * most 2000 bytes), resolves the host and checks every address (refused
 * when any is not public, unless allow_private). Fills *t. Returns 0, or
 * -1 with a short reason in why (safe to show to the admin). */
int wh_target_check(const char *url, int allow_private, wh_target *t, char *why,
		    size_t whylen);

/* Checks only the form of `url` (as above, without resolving). */
int wh_url_form_ok(const char *url, char *why, size_t whylen);

/* ---- signing and sending (wh_send.c) ---- */

/* The Standard Webhooks signature "v1,BASE64" of id.timestamp.body under
 * `secret` ("whsec_" + base64 key) into out. Returns 0 or -1. */
int wh_sign(const char *secret, const char *msg_id, int64_t ts,
	    const char *body, char *out, size_t outlen);

/* A new secret "whsec_" + base64 of 32 random bytes into out (64 bytes).
 * Returns 0 or -1. */
int wh_secret_new(char out[64]);

/* The result of one delivery attempt. */
typedef struct wh_result {
	int status;	 /* HTTP status, 0 when none came back */
	char error[160]; /* "" on 2xx */
} wh_result;

/* POSTs one delivery to `url` with the signature headers, after the guard,
 * without following redirects, within timeout_ms. Returns 1 on a 2xx
 * answer, 0 otherwise (see r). */
int wh_send(const char *url, const char *secret, const char *msg_id, int64_t ts,
	    const char *body, wh_result *r);

/* The delivery job (see hub_job). */
int wh_job_run(void *ud, char *err, size_t errlen);

/* ---- storage (wh_store.c) ---- */

/* Seals / opens a secret with the server key (identity). Sealed: owned,
 * free(); opened: owned NUL-terminated text, free() after zeroing.
 * Return 0 or -1. */
int wh_secret_seal(const char *secret, unsigned char **out, size_t *outlen);
char *wh_secret_open(const void *blob, size_t len);

/* Current time (UTC seconds); tests may move it. */
int64_t wh_now(void);

#endif
