/*
 * cache.c - a bounded, thread-safe in-process cache with TTLs.
 *
 * A chained hash table of entries on a doubly linked LRU list; one mutex.
 * Memory is bounded by max_bytes (key + value + overhead): inserting past
 * it evicts least-recently-used entries. Values are copied in and out, so
 * no caller ever holds a pointer into the table.
 */
#define _GNU_SOURCE
#include "cache/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NBUCKETS 4096
#define OVERHEAD 64

typedef struct entry {
	struct entry *hnext;	   /* hash chain */
	struct entry *prev, *next; /* LRU list, head = most recent */
	uint64_t hash;
	time_t expires;
	size_t klen, vlen;
	char *key; /* "ns\0key" */
	char *val;
} entry;

static struct {
	pthread_mutex_t lock;
	entry *buckets[NBUCKETS];
	entry *head, *tail;
	size_t bytes, entries, max_bytes;
} g_cache = {PTHREAD_MUTEX_INITIALIZER, {0}, NULL, NULL, 0, 0,
	     16 * 1024 * 1024};

static uint64_t fnv(const char *ns, const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = ns; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static size_t entry_size(const entry *e)
{
	return e->klen + e->vlen + OVERHEAD;
}

static void lru_unlink(entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		g_cache.head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		g_cache.tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(entry *e)
{
	e->next = g_cache.head;
	e->prev = NULL;
	if (g_cache.head)
		g_cache.head->prev = e;
	g_cache.head = e;
	if (!g_cache.tail)
		g_cache.tail = e;
}

/* Removes e from the table and frees it; lock held. */
static void drop(entry *e)
{
	entry **pp = &g_cache.buckets[e->hash % NBUCKETS];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	g_cache.bytes -= entry_size(e);
	g_cache.entries--;
	free(e->key);
	free(e->val);
	free(e);
}

static entry *lookup(const char *ns, const char *key, uint64_t h)
{
	size_t nslen = strlen(ns), klen = strlen(key);
	for (entry *e = g_cache.buckets[h % NBUCKETS]; e; e = e->hnext)
		if (e->hash == h && e->klen == nslen + 1 + klen &&
		    !strcmp(e->key, ns) && !strcmp(e->key + nslen + 1, key))
			return e;
	return NULL;
}

void hub_cache_configure(size_t max_bytes)
{
	pthread_mutex_lock(&g_cache.lock);
	g_cache.max_bytes = max_bytes;
	while (g_cache.tail && g_cache.bytes > g_cache.max_bytes)
		drop(g_cache.tail);
	pthread_mutex_unlock(&g_cache.lock);
}

char *hub_cache_get(const char *ns, const char *key, size_t *len)
{
	uint64_t h = fnv(ns, key);
	char *out = NULL;
	pthread_mutex_lock(&g_cache.lock);
	entry *e = lookup(ns, key, h);
	if (e && e->expires <= time(NULL)) {
		drop(e);
		e = NULL;
	}
	if (e) {
		out = malloc(e->vlen + 1);
		if (out) {
			memcpy(out, e->val, e->vlen);
			out[e->vlen] = 0;
			if (len)
				*len = e->vlen;
		}
		lru_unlink(e);
		lru_push(e);
	}
	pthread_mutex_unlock(&g_cache.lock);
	return out;
}

int hub_cache_put(const char *ns, const char *key, const char *val, size_t len,
		  unsigned ttl_s)
{
	size_t nslen = strlen(ns), klen = strlen(key);
	uint64_t h = fnv(ns, key);
	entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->hash = h;
	e->klen = nslen + 1 + klen;
	e->vlen = len;
	e->key = malloc(e->klen + 1);
	e->val = malloc(len + 1);
	if (!e->key || !e->val || entry_size(e) > g_cache.max_bytes / 4) {
		free(e->key);
		free(e->val);
		free(e);
		return -1;
	}
	memcpy(e->key, ns, nslen + 1);
	memcpy(e->key + nslen + 1, key, klen + 1);
	memcpy(e->val, val, len);
	e->val[len] = 0;
	e->expires = time(NULL) + (ttl_s ? ttl_s : 60);
	pthread_mutex_lock(&g_cache.lock);
	entry *old = lookup(ns, key, h);
	if (old)
		drop(old);
	while (g_cache.tail &&
	       g_cache.bytes + entry_size(e) > g_cache.max_bytes)
		drop(g_cache.tail);
	e->hnext = g_cache.buckets[h % NBUCKETS];
	g_cache.buckets[h % NBUCKETS] = e;
	lru_push(e);
	g_cache.bytes += entry_size(e);
	g_cache.entries++;
	pthread_mutex_unlock(&g_cache.lock);
	return 0;
}

void hub_cache_del(const char *ns, const char *key)
{
	uint64_t h = fnv(ns, key);
	pthread_mutex_lock(&g_cache.lock);
	entry *e = lookup(ns, key, h);
	if (e)
		drop(e);
	pthread_mutex_unlock(&g_cache.lock);
}

void hub_cache_free(char *p)
{
	free(p);
}

size_t hub_cache_sweep(void)
{
	size_t n = 0;
	time_t now = time(NULL);
	pthread_mutex_lock(&g_cache.lock);
	for (entry *e = g_cache.tail; e;) {
		entry *prev = e->prev;
		if (e->expires <= now) {
			drop(e);
			n++;
		}
		e = prev;
	}
	pthread_mutex_unlock(&g_cache.lock);
	return n;
}

void hub_cache_stats(size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&g_cache.lock);
	if (entries)
		*entries = g_cache.entries;
	if (bytes)
		*bytes = g_cache.bytes;
	pthread_mutex_unlock(&g_cache.lock);
}

void hub_cache_clear(void)
{
	pthread_mutex_lock(&g_cache.lock);
	while (g_cache.tail)
		drop(g_cache.tail);
	pthread_mutex_unlock(&g_cache.lock);
}

/* ------------------------------------------------- cluster invalidation */

static void (*g_broadcast)(const char *ns);

void hub_cache_set_broadcast(void (*fn)(const char *ns))
{
	__atomic_store_n(&g_broadcast, fn, __ATOMIC_RELEASE);
}

/* Invalidations so far: of everything (starts at 1, so an epoch is never
 * 0 while listening), of any namespace, and per namespace (hashed into
 * EPOCH_SLOTS counters: a collision costs a copy, never a stale one);
 * and whether other servers' invalidations arrive. */
#define EPOCH_SLOTS 64
static uint64_t g_epoch_all = 1, g_epoch_any = 1, g_epoch_ns[EPOCH_SLOTS];
static int g_listening;

static unsigned epoch_slot(const char *ns)
{
	return (unsigned)(fnv(ns, "") % EPOCH_SLOTS);
}

void hub_cache_set_listening(int on)
{
	__atomic_store_n(&g_listening, on ? 1 : 0, __ATOMIC_SEQ_CST);
}

uint64_t hub_cache_epoch(const char *ns)
{
	if (!__atomic_load_n(&g_listening, __ATOMIC_SEQ_CST))
		return 0;
	if (!ns)
		return __atomic_load_n(&g_epoch_any, __ATOMIC_SEQ_CST);
	/* both only grow, so their sum changes with either */
	return __atomic_load_n(&g_epoch_all, __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&g_epoch_ns[epoch_slot(ns)], __ATOMIC_SEQ_CST);
}

/* Drops every entry of namespace `ns` (every entry when ns is NULL). */
void hub_cache_invalidate_local(const char *ns)
{
	size_t nl = ns ? strlen(ns) + 1 : 0;
	/* first: a reader that saw the old epoch must not keep a copy read
	 * before this invalidation */
	__atomic_add_fetch(ns ? &g_epoch_ns[epoch_slot(ns)] : &g_epoch_all, 1,
			   __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&g_epoch_any, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&g_cache.lock);
	for (entry *e = g_cache.head, *next; e; e = next) {
		next = e->next;
		if (!ns || (e->klen >= nl && memcmp(e->key, ns, nl) == 0))
			drop(e);
	}
	pthread_mutex_unlock(&g_cache.lock);
}

void hub_cache_invalidate(const char *ns)
{
	void (*fn)(const char *) =
	    __atomic_load_n(&g_broadcast, __ATOMIC_ACQUIRE);
	if (!ns)
		return;
	hub_cache_invalidate_local(ns);
	if (fn)
		fn(ns);
}
