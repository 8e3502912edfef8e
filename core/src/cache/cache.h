/*
 * cache.h - a bounded, thread-safe in-process cache with TTLs
 * (core/src/cache); see hub_api.cache_*.
 */
#ifndef HUB_CACHE_H
#define HUB_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Sets the maximum number of bytes held (default 16 MiB). */
void hub_cache_configure(size_t max_bytes);
char *hub_cache_get(const char *ns, const char *key, size_t *len);
int hub_cache_put(const char *ns, const char *key, const char *val, size_t len,
		  unsigned ttl_s);
void hub_cache_del(const char *ns, const char *key);
void hub_cache_free(char *p);
/* Drops expired entries; returns how many. */
size_t hub_cache_sweep(void);
/* Entries and bytes currently held. */
void hub_cache_stats(size_t *entries, size_t *bytes);
void hub_cache_clear(void);

/* Drops every entry of namespace `ns` here and, through the broadcast
 * (the Redis service's pub/sub), on every other server of the cluster. */
void hub_cache_invalidate(const char *ns);

/* Drops every entry of `ns` (all entries when NULL) in this process only:
 * what a received invalidation does. */
void hub_cache_invalidate_local(const char *ns);

/* Sets the function that sends an invalidation to the other servers
 * (NULL: none, the default). */
void hub_cache_set_broadcast(void (*fn)(const char *ns));

/* Says whether invalidations of the other servers reach this process (1:
 * the Redis listener is subscribed, or there are no other servers: SQLite
 * without Redis; 0: not, the default). */
void hub_cache_set_listening(int on);

/* A number changed by every hub_cache_invalidate_local of `ns` or of
 * everything (NULL: by every one), or 0 while not listening: see
 * hub_api.cache_epoch. */
uint64_t hub_cache_epoch(const char *ns);

#endif
