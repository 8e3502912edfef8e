/*
 * id_ratelimit.c - the rate limiter: route classes ("login", "booking",
 * "api", "admin") with a rate N per window W, counted per key (client
 * address, account) over a sliding window, behind a backend table so a
 * shared store (Redis) can replace the in-process one.
 *
 * Exactness. "N/min" means at most N hits in any sliding 60 s window, so
 * the in-process backend keeps, per key, the times of the last N allowed
 * hits (a ring): a hit is allowed when fewer than N recorded hits are
 * younger than W. For N > RL_LOG_MAX a log would cost too much memory per
 * key, so the window is cut into 50 sub-windows with a counter each and a
 * hit is allowed while the counters overlapping the window sum to less
 * than N: that over-counts the oldest partial sub-window, so it can never
 * allow N+1 in a window either (it may make a client wait up to W/50
 * longer than strictly needed).
 *
 * Memory. Each class owns one table reserved at configuration for
 * `max_keys` keys (entries and slots in one anonymous mapping, so only the
 * pages of keys actually seen become resident: 16384 keys per class used
 * to cost 12 MB of RSS at idle); a new key in a full stripe evicts that
 * stripe's least recently used key, so a client rotating addresses churns the
 * table but cannot grow it. Keys are stored as a 128-bit keyed hash (SHA-256
 * with a random seed), so neither long keys nor chosen collisions cost
 * anything.
 *
 * Threads. The table is split into stripes, each with its own mutex; a
 * key's stripe comes from its hash. Configuration (hub_rate_configure,
 * hub_rate_set_class, hub_rate_set_backend) happens before serving.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "identity/id_internal.h"
#include "base/conf.h"

#include <mbedtls/sha256.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define RL_MAX_CLASSES 16
#define RL_STRIPES     64
#define RL_LOG_MAX     128
#define RL_SUBWINDOWS  50
#define RL_BUCKETS     (RL_SUBWINDOWS + 1)

typedef struct rl_entry {
	uint64_t k1, k2;  /* the key's 128-bit hash; k1 == k2 == 0: unused */
	int64_t last_ms;  /* time of the last recorded hit */
	int64_t base;	  /* bucket mode: newest sub-window index */
	int32_t hnext;	  /* next entry in the hash chain, -1 = end */
	int32_t prev;	  /* LRU list: towards most recent, -1 = head */
	int32_t next;	  /* LRU list: towards least recent, -1 = tail */
	uint32_t head, n; /* log mode: ring start and length */
} rl_entry;

typedef struct rl_stripe {
	pthread_mutex_t lock;
	size_t cap, used; /* entries allocated / in use */
	size_t nheads;	  /* hash buckets, a power of two */
	int32_t *heads;	  /* first entry of each bucket, -1 = empty */
	rl_entry *e;	  /* cap entries */
	uint32_t *slots;  /* cap * table.slots time stamps or counters */
	int32_t lru_head; /* most recently used */
	int32_t lru_tail; /* least recently used: evicted first */
} __attribute__((aligned(64))) rl_stripe;

typedef struct rl_table {
	char name[16];
	unsigned count;	   /* N */
	unsigned window_s; /* W */
	int buckets;	   /* 1: sub-window counters; 0: exact log */
	unsigned slots;	   /* per entry: N (log) or RL_BUCKETS */
	size_t nstripes;
	rl_stripe *stripes;
	void *region;	   /* entries and slots of every stripe (mmap) */
	size_t region_len; /* bytes mapped */
	size_t bytes;	   /* allocated for this table */
} rl_table;

static struct {
	rl_table t[RL_MAX_CLASSES];
	size_t n;
	size_t max_keys;	 /* 0 = not configured */
	unsigned char seed[16];	 /* hash key */
	int64_t epoch_ms;	 /* time stamps are relative to this */
	int64_t (*clock)(void);	 /* NULL = CLOCK_MONOTONIC */
	hub_rate_backend custom; /* used when custom.hit != NULL */
} g_rl;

static const struct {
	const char *name, *rate;
} default_classes[] = {{"login", "30/min"},
		       {"login_account", "5/min"},
		       {"booking", "60/min"},
		       {"api", "600/min"},
		       {"admin", "300/min"}};

/* ================================================================ clock */

static int64_t rl_now(void)
{
	struct timespec ts;
	if (g_rl.clock)
		return g_rl.clock();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hub_rate_set_clock(int64_t (*now_ms)(void))
{
	g_rl.clock = now_ms;
	g_rl.epoch_ms = rl_now();
}

/* ============================================================ tables */

static void table_free(rl_table *t)
{
	for (size_t i = 0; t->stripes && i < t->nstripes; i++) {
		rl_stripe *s = &t->stripes[i];
		pthread_mutex_destroy(&s->lock);
		free(s->heads);
	}
	if (t->region)
		munmap(t->region, t->region_len);
	t->region = NULL;
	t->region_len = 0;
	free(t->stripes);
	t->stripes = NULL;
	t->nstripes = 0;
	t->bytes = 0;
}

static int table_alloc(rl_table *t, size_t max_keys)
{
	size_t per;
	t->buckets = t->count > RL_LOG_MAX;
	t->slots = t->buckets ? RL_BUCKETS : t->count;
	t->nstripes = max_keys < RL_STRIPES ? max_keys : RL_STRIPES;
	per = max_keys / t->nstripes;
	t->stripes = aligned_alloc(64, sizeof(rl_stripe) * t->nstripes);
	if (!t->stripes)
		return -1;
	memset(t->stripes, 0, sizeof(rl_stripe) * t->nstripes);
	t->bytes = sizeof(rl_stripe) * t->nstripes;
	/* one mapping for all stripes: entries, then slots, 64-byte slices */
	size_t e_bytes = ((per + 1) * sizeof(rl_entry) + 63) & ~(size_t)63;
	size_t s_bytes =
	    ((per + 1) * t->slots * sizeof(uint32_t) + 63) & ~(size_t)63;
	t->region_len = t->nstripes * (e_bytes + s_bytes);
	t->region = mmap(NULL, t->region_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->region == MAP_FAILED) {
		t->region = NULL;
		return -1;
	}
	for (size_t i = 0; i < t->nstripes; i++) {
		rl_stripe *s = &t->stripes[i];
		char *base = (char *)t->region + i * (e_bytes + s_bytes);
		pthread_mutex_init(&s->lock, NULL);
		s->cap = per + (i < max_keys % t->nstripes ? 1 : 0);
		s->nheads = 1;
		while (s->nheads < s->cap)
			s->nheads <<= 1;
		s->heads = malloc(sizeof(int32_t) * s->nheads);
		s->e = (rl_entry *)base;
		s->slots = (uint32_t *)(base + e_bytes);
		if (!s->heads)
			return -1;
		memset(s->heads, 0xff, sizeof(int32_t) * s->nheads);
		s->lru_head = s->lru_tail = -1;
		t->bytes += sizeof(int32_t) * s->nheads +
			    s->cap * sizeof(rl_entry) +
			    s->cap * t->slots * sizeof(uint32_t);
	}
	return 0;
}

static rl_table *table_find(const char *name)
{
	for (size_t i = 0; i < g_rl.n; i++)
		if (strcmp(g_rl.t[i].name, name) == 0)
			return &g_rl.t[i];
	return NULL;
}

/* Sets up every default class for `max_keys` keys each; 0 frees all.
 * Before serving. Returns 0 or -1. */
int hub_rate_configure(size_t max_keys)
{
	for (size_t i = 0; i < g_rl.n; i++)
		table_free(&g_rl.t[i]);
	g_rl.n = 0;
	g_rl.max_keys = 0;
	if (max_keys == 0)
		return 0;
	if (max_keys > 10000000 || hub_random(g_rl.seed, sizeof(g_rl.seed)))
		return -1;
	g_rl.max_keys = max_keys;
	g_rl.epoch_ms = rl_now();
	for (size_t i = 0;
	     i < sizeof(default_classes) / sizeof(default_classes[0]); i++)
		if (hub_rate_set_class(default_classes[i].name,
				       default_classes[i].rate) != 0)
			return -1;
	return 0;
}

/* Sets (or adds) class `rate_class` to `rate` ("N/s", "N/min", "N/h");
 * its table is rebuilt empty. Before serving. Returns 0 or -1. */
int hub_rate_set_class(const char *rate_class, const char *rate)
{
	unsigned count, window_s;
	rl_table *t;
	if (!g_rl.max_keys || !rate_class || strlen(rate_class) >= 16 ||
	    hub_conf_parse_rate(rate, &count, &window_s) != 0)
		return -1;
	t = table_find(rate_class);
	if (!t) {
		if (g_rl.n == RL_MAX_CLASSES)
			return -1;
		t = &g_rl.t[g_rl.n++];
		memset(t, 0, sizeof(*t));
		strcpy(t->name, rate_class);
	}
	table_free(t);
	t->count = count;
	t->window_s = window_s;
	if (table_alloc(t, g_rl.max_keys) != 0) {
		table_free(t);
		return -1;
	}
	return 0;
}

void hub_rate_stats(size_t *keys, size_t *bytes)
{
	size_t k = 0, b = 0;
	for (size_t i = 0; i < g_rl.n; i++) {
		rl_table *t = &g_rl.t[i];
		for (size_t j = 0; j < t->nstripes; j++) {
			pthread_mutex_lock(&t->stripes[j].lock);
			k += t->stripes[j].used;
			pthread_mutex_unlock(&t->stripes[j].lock);
		}
		b += t->bytes;
	}
	if (keys)
		*keys = k;
	if (bytes)
		*bytes = b;
}

/* ====================================================== entries */

static void lru_unlink(rl_stripe *s, int32_t i)
{
	rl_entry *e = &s->e[i];
	if (e->prev >= 0)
		s->e[e->prev].next = e->next;
	else
		s->lru_head = e->next;
	if (e->next >= 0)
		s->e[e->next].prev = e->prev;
	else
		s->lru_tail = e->prev;
}

static void lru_push_front(rl_stripe *s, int32_t i)
{
	rl_entry *e = &s->e[i];
	e->prev = -1;
	e->next = s->lru_head;
	if (s->lru_head >= 0)
		s->e[s->lru_head].prev = i;
	s->lru_head = i;
	if (s->lru_tail < 0)
		s->lru_tail = i;
}

static void chain_remove(rl_stripe *s, int32_t i)
{
	int32_t *pp = &s->heads[s->e[i].k1 & (s->nheads - 1)];
	while (*pp >= 0 && *pp != i)
		pp = &s->e[*pp].hnext;
	if (*pp == i)
		*pp = s->e[i].hnext;
}

/* Finds the entry of (k1, k2) or makes one (evicting the least recently
 * used when the stripe is full). Returns its index; the entry is moved to
 * the front of the LRU list. *fresh is set for a new entry. */
static int32_t entry_get(rl_stripe *s, unsigned nslots, uint64_t k1,
			 uint64_t k2, int *fresh)
{
	size_t b = k1 & (s->nheads - 1);
	int32_t i;
	for (i = s->heads[b]; i >= 0; i = s->e[i].hnext)
		if (s->e[i].k1 == k1 && s->e[i].k2 == k2)
			break;
	*fresh = i < 0;
	if (i >= 0) {
		lru_unlink(s, i);
	} else if (s->used < s->cap) {
		i = (int32_t)s->used++;
	} else {
		i = s->lru_tail;
		lru_unlink(s, i);
		chain_remove(s, i);
	}
	if (*fresh) {
		rl_entry *e = &s->e[i];
		memset(e, 0, sizeof(*e));
		e->k1 = k1;
		e->k2 = k2;
		e->hnext = s->heads[b];
		s->heads[b] = i;
		memset(&s->slots[(size_t)i * nslots], 0,
		       nslots * sizeof(uint32_t));
	}
	lru_push_front(s, i);
	return i;
}

static unsigned ceil_s(int64_t ms)
{
	return ms <= 0 ? 0 : (unsigned)((ms + 999) / 1000);
}

/* Exact sliding log. */
static int hit_log(const rl_table *t, rl_entry *e, uint32_t *ring,
		   int64_t now_ms, hub_rate_info *info)
{
	uint32_t w = t->window_s * 1000u;
	uint32_t now32 = (uint32_t)(now_ms - g_rl.epoch_ms);
	int allowed;
	if (now_ms - e->last_ms >= (int64_t)w)
		e->n = 0; /* also guards against time stamp wrap-around */
	while (e->n > 0 && (uint32_t)(now32 - ring[e->head]) >= w) {
		e->head = (e->head + 1) % t->count;
		e->n--;
	}
	allowed = e->n < t->count;
	if (allowed) {
		ring[(e->head + e->n) % t->count] = now32;
		e->n++;
		e->last_ms = now_ms;
	}
	info->allowed = allowed;
	info->limit = t->count;
	info->remaining = t->count - e->n;
	info->reset_s =
	    e->n ? ceil_s((int64_t)w - (uint32_t)(now32 - ring[e->head])) : 0;
	info->retry_after = allowed ? 0 : (info->reset_s ? info->reset_s : 1);
	return allowed;
}

/* Conservative sub-window counters (N > RL_LOG_MAX). */
static int hit_buckets(const rl_table *t, rl_entry *e, uint32_t *cnt,
		       int64_t now_ms, hub_rate_info *info)
{
	int64_t bw = (int64_t)t->window_s * 1000 / RL_SUBWINDOWS;
	int64_t cur = (now_ms - g_rl.epoch_ms) / bw;
	uint64_t sum = 0;
	int allowed;
	if (cur < 0)
		cur = 0;
	if (e->n == 0 || cur - e->base >= RL_BUCKETS) {
		memset(cnt, 0, RL_BUCKETS * sizeof(uint32_t));
		e->base = cur;
		e->n = 1; /* initialised */
	}
	if (cur < e->base)
		cur = e->base; /* the clock went back: count it as now */
	while (e->base < cur) {
		e->base++;
		cnt[e->base % RL_BUCKETS] = 0;
	}
	for (int i = 0; i < RL_BUCKETS; i++)
		sum += cnt[i];
	allowed = sum < t->count;
	if (allowed) {
		cnt[cur % RL_BUCKETS]++;
		sum++;
		e->last_ms = now_ms;
	}
	info->allowed = allowed;
	info->limit = t->count;
	info->remaining = (unsigned)(t->count - sum);
	info->reset_s = 0;
	for (int64_t j = cur - RL_SUBWINDOWS; j <= cur; j++)
		if (j >= 0 && cnt[j % RL_BUCKETS]) {
			/* sub-window j stops counting at (j + 51) * bw */
			info->reset_s = ceil_s((j + RL_BUCKETS) * bw -
					       (now_ms - g_rl.epoch_ms));
			break;
		}
	info->retry_after = allowed ? 0 : (info->reset_s ? info->reset_s : 1);
	return allowed;
}

static int memory_hit(const char *rate_class, const char *key, int64_t now_ms,
		      hub_rate_info *info)
{
	rl_table *t = table_find(rate_class);
	unsigned char h[32];
	uint64_t k1, k2;
	rl_stripe *s;
	mbedtls_sha256_context c;
	int32_t i;
	int fresh, allowed;

	if (!t || !t->stripes)
		return -1;
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, g_rl.seed, sizeof(g_rl.seed));
	mbedtls_sha256_update_ret(&c, (const unsigned char *)key, strlen(key));
	mbedtls_sha256_finish_ret(&c, h);
	mbedtls_sha256_free(&c);
	memcpy(&k1, h, 8);
	memcpy(&k2, h + 8, 8);
	k2 |= 1; /* never (0, 0) */
	s = &t->stripes[(k1 >> 40) % t->nstripes];
	pthread_mutex_lock(&s->lock);
	i = entry_get(s, t->slots, k1, k2, &fresh);
	if (t->buckets)
		allowed = hit_buckets(
		    t, &s->e[i], &s->slots[(size_t)i * t->slots], now_ms, info);
	else
		allowed = hit_log(t, &s->e[i], &s->slots[(size_t)i * t->slots],
				  now_ms, info);
	pthread_mutex_unlock(&s->lock);
	return allowed;
}

/* ============================================================ the API */

void hub_rate_set_backend(const hub_rate_backend *b)
{
	if (g_rl.custom.hit && g_rl.custom.destroy)
		g_rl.custom.destroy(g_rl.custom.self);
	memset(&g_rl.custom, 0, sizeof(g_rl.custom));
	if (b)
		g_rl.custom = *b;
}

/* Counts one hit of `key` in `rate_class`. Returns 1 allowed, 0 limited,
 * -1 for an unknown class or an unconfigured limiter (*info zeroed). */
int hub_rate_hit(const char *rate_class, const char *key, hub_rate_info *info)
{
	rl_table *t;
	memset(info, 0, sizeof(*info));
	if (!rate_class || !key || !g_rl.max_keys)
		return -1;
	t = table_find(rate_class);
	if (!t)
		return -1;
	if (g_rl.custom.hit) {
		int rc = g_rl.custom.hit(g_rl.custom.self, rate_class, key,
					 t->count, t->window_s, rl_now(), info);
		if (rc != -2)
			return rc;
		/* the shared backend is unavailable: count here meanwhile */
		memset(info, 0, sizeof(*info));
	}
	return memory_hit(rate_class, key, rl_now(), info);
}
