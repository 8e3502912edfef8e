/*
 * redis.h - the Redis service (core/src/redis): one shared Redis for every
 * hubd of a cluster ([redis] url, env HUB_REDIS_URL). A service floor:
 * it depends on base and cache only.
 *
 * What is shared through it: the sliding-window rate limits (a backend of
 * the identity rate limiter), counters with expiry (login lockout), the
 * Google quota budget, and cache invalidations (pub/sub). Every call is
 * bounded by a short time-out; while Redis is down each caller falls back
 * to its per-process behaviour, /health reports "degraded", and the
 * service reconnects on its own (at most one attempt per second).
 */
#ifndef HUB_REDIS_H
#define HUB_REDIS_H

#include "hub/module.h"

#include <stddef.h>
#include <stdint.h>

/* Reads [redis] url. Without one the service stays off (every call
 * answers "unavailable" at once). A password in the URL is sent with AUTH
 * (user and password for a Redis 6 ACL user) on every new connection,
 * before SELECT of the database number. With one, installs the rate-limit
 * backend and the cache broadcast and starts the invalidation listener.
 * Returns 0, or -1 with err for a malformed URL (Redis being down is not
 * an error: it is retried). */
int hub_redis_start(char *err, size_t errlen);

/* Validates [redis] url without connecting (hubd --check): the form
 * redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; rediss:// is refused (this
 * build's hiredis has no TLS). Returns 0 (also without a URL), or -1 with
 * one line in err, never holding the password. */
int hub_redis_url_check(char *err, size_t errlen);

/* Stops the listener and closes every connection. */
void hub_redis_stop(void);

/* 1 when a URL is configured. */
int hub_redis_enabled(void);

/* 1 when the last command on any connection succeeded. */
int hub_redis_up(void);

/* Health check "redis": ok when up or not configured; degraded (with the
 * reason) when configured and unreachable. */
void hub_redis_check(void *ud, hub_health_result *out);

/* Sliding-window hit: at most `count` hits of `key` per `window_ms`,
 * counted atomically across servers on Redis's clock. Returns 1 allowed,
 * 0 limited (info filled), -2 when Redis is unavailable. */
int hub_redis_rate_hit(const char *rate_class, const char *key, unsigned count,
		       unsigned window_s, hub_rate_info *info);

/* Adds one to counter `name` (expiring `ttl_s` after its first hit) and
 * returns the new value, or -2 when Redis is unavailable. For lockout
 * counters shared by every server. */
int64_t hub_redis_counter_incr(const char *name, unsigned ttl_s);

/* Current value of counter `name` (0 when absent), -2 when unavailable. */
int64_t hub_redis_counter_get(const char *name);

/* Deletes counter `name`. Returns 0, or -2 when unavailable. */
int hub_redis_counter_reset(const char *name);

/* Takes one place of the cluster-wide budget `name` of `limit` requests
 * per `window_ms`. Returns 1 taken (with *token set for the release),
 * 0 full (*wait_ms: when the oldest place frees), -2 unavailable. */
int hub_redis_budget_take(const char *name, unsigned limit, unsigned window_ms,
			  uint64_t *token, int64_t *wait_ms);

/* Stamps the place `token` of budget `name` with the end of its request,
 * so it stays taken for a full window from now. */
void hub_redis_budget_release(const char *name, uint64_t token,
			      unsigned window_ms);

#endif
