/*
 * cache.h - a bounded, thread-safe in-process cache with TTLs
 * (core/src/cache); see hub_api.cache_*.
 */
#ifndef HUB_CACHE_H
#define HUB_CACHE_H

#include <stddef.h>

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

#endif
