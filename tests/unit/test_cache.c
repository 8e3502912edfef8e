/*
 * test_cache.c - the in-process cache: get/put/del, TTL expiry, the byte
 * bound with LRU eviction, 8 threads hammering the same keys, and the
 * invalidation epoch (0 while not listening, changed by every
 * invalidation).
 */
#include "cache/cache.h"
#include "check.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void test_basic(void)
{
	size_t len = 0, n, b;
	char *v;
	hub_cache_clear();
	CHECK_INT(hub_cache_put("slots", "2026-W14", "abc", 3, 60), 0);
	v = hub_cache_get("slots", "2026-W14", &len);
	CHECK_STR(v, "abc");
	CHECK_INT(len, 3);
	hub_cache_free(v);
	/* namespaces keep equal keys apart */
	CHECK(hub_cache_get("other", "2026-W14", &len) == NULL);
	CHECK_INT(hub_cache_put("slots", "2026-W14", "xy", 2, 60), 0);
	v = hub_cache_get("slots", "2026-W14", &len);
	CHECK_STR(v, "xy");
	hub_cache_free(v);
	hub_cache_stats(&n, &b);
	CHECK_INT(n, 1);
	hub_cache_del("slots", "2026-W14");
	CHECK(hub_cache_get("slots", "2026-W14", &len) == NULL);
	/* TTL: a 1 s entry is gone after 2 s and swept */
	CHECK_INT(hub_cache_put("t", "k", "v", 1, 1), 0);
	sleep(2);
	CHECK_INT(hub_cache_sweep(), 1);
	CHECK(hub_cache_get("t", "k", &len) == NULL);
}

static void test_bound(void)
{
	char key[32], val[1000];
	size_t n, b;
	hub_cache_clear();
	hub_cache_configure(64 * 1024);
	memset(val, 'x', sizeof(val));
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		hub_cache_put("b", key, val, sizeof(val), 60);
	}
	hub_cache_stats(&n, &b);
	CHECK(b <= 64 * 1024);
	CHECK(n > 10 && n < 1000);
	/* the newest survive, the oldest were evicted */
	char *v = hub_cache_get("b", "k999", NULL);
	CHECK(v != NULL);
	hub_cache_free(v);
	CHECK(hub_cache_get("b", "k0", NULL) == NULL);
	/* a value larger than a quarter of the cache is refused */
	char *big = calloc(1, 20000);
	CHECK_INT(hub_cache_put("b", "big", big, 20000, 60), -1);
	free(big);
	hub_cache_configure(16 * 1024 * 1024);
}

static void *hammer(void *arg)
{
	long id = (long)arg;
	char key[16], val[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%d", i % 50);
		snprintf(val, sizeof(val), "%ld-%d", id, i);
		if (i % 3 == 0)
			hub_cache_put("h", key, val, strlen(val), 60);
		else if (i % 7 == 0)
			hub_cache_del("h", key);
		else
			hub_cache_free(hub_cache_get("h", key, NULL));
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[8];
	size_t n, b;
	hub_cache_clear();
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	hub_cache_stats(&n, &b);
	CHECK(n <= 50);
	hub_cache_clear();
	hub_cache_stats(&n, &b);
	CHECK_INT(n, 0);
	CHECK_INT(b, 0);
}

static void test_epoch(void)
{
	uint64_t e0, e1, o0;
	CHECK(hub_cache_epoch("ns") == 0); /* nobody listens to others */
	hub_cache_invalidate_local("ns");
	CHECK(hub_cache_epoch("ns") == 0);
	hub_cache_set_listening(1);
	e0 = hub_cache_epoch("ns");
	o0 = hub_cache_epoch("other");
	CHECK(e0 != 0 && o0 != 0);
	CHECK(hub_cache_epoch("ns") == e0); /* stable without invalidations */
	hub_cache_put("ns", "k", "v", 1, 60);
	CHECK(hub_cache_epoch("ns") == e0); /* a put is no invalidation */
	hub_cache_invalidate("ns");	    /* local; no broadcast set */
	e1 = hub_cache_epoch("ns");
	CHECK(e1 != 0 && e1 != e0);
	CHECK(hub_cache_epoch("other") == o0); /* another namespace: kept */
	hub_cache_invalidate_local(NULL);      /* everything */
	CHECK(hub_cache_epoch("ns") != e1);
	CHECK(hub_cache_epoch("other") != o0);
	e0 = hub_cache_epoch(NULL);
	hub_cache_invalidate("other");
	CHECK(hub_cache_epoch(NULL) != e0); /* NULL: any namespace */
	hub_cache_set_listening(0);
	CHECK(hub_cache_epoch("ns") == 0 && hub_cache_epoch(NULL) == 0);
}

int main(void)
{
	test_basic();
	test_bound();
	test_threads();
	test_epoch();
	return check_report("cache");
}
