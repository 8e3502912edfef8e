/*
 * test_id_ratelimit.c - the rate limiter with an injected millisecond
 * clock: 429 for exactly the (N+1)th hit in any sliding window whatever the
 * minute boundaries, decisions equal to an exact oracle on random traffic,
 * the sub-window mode for large N never allowing N+1 in a window, the
 * RateLimit numbers, threads racing for one key (exactly N win), a fixed
 * memory bound under 1M distinct keys with a busy key surviving the churn,
 * the backend interface, and configuration errors.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t g_ms;

static int64_t clock_ms(void)
{
	return g_ms;
}

static int hit(const char *cls, const char *key, hub_rate_info *ri)
{
	hub_rate_info tmp;
	return hub_rate_hit(cls, key, ri ? ri : &tmp);
}

static void test_exact_burst(void)
{
	hub_rate_info ri;
	g_ms = 5000000;
	CHECK_INT(hub_rate_set_class("t5", "5/min"), 0);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(hit("t5", "k", &ri), 1);
		CHECK_INT(ri.remaining, 4 - i);
		CHECK_INT(ri.limit, 5);
	}
	CHECK_INT(hit("t5", "k", &ri), 0);
	CHECK_INT(ri.allowed, 0);
	CHECK_INT(ri.remaining, 0);
	CHECK_INT(ri.retry_after, 60);
	g_ms += 59999;
	CHECK_INT(hit("t5", "k", &ri), 0);
	CHECK_INT(ri.retry_after, 1);
	g_ms += 1; /* exactly 60 s after the burst: all five left */
	for (int i = 0; i < 5; i++)
		CHECK_INT(hit("t5", "k", &ri), 1);
	CHECK_INT(hit("t5", "k", &ri), 0);
	/* other keys are independent */
	CHECK_INT(hit("t5", "other", &ri), 1);
}

static void test_sliding(void)
{
	hub_rate_info ri;
	/* 5 hits 10 s apart, starting at 45 s past a minute boundary: the
	 * 6th inside 60 s of the first is refused even though a new clock
	 * minute has begun */
	g_ms = 7200000 + 45000;
	CHECK_INT(hub_rate_set_class("t5", "5/min"), 0);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(hit("t5", "s", NULL), 1);
		g_ms += 10000;
	}
	/* now 95 s: first hit at 45 s is 50 s old */
	CHECK_INT(hit("t5", "s", &ri), 0);
	CHECK_INT(ri.retry_after, 10);
	g_ms += 9999;
	CHECK_INT(hit("t5", "s", NULL), 0);
	g_ms += 1; /* 105 s: the 45 s hit left the window */
	CHECK_INT(hit("t5", "s", NULL), 1);
	CHECK_INT(hit("t5", "s", NULL), 0);
	g_ms += 10000;
	CHECK_INT(hit("t5", "s", NULL), 1);
}

/* Exact oracle: allowed when fewer than n recorded hits in (t - w, t]. */
static void test_oracle(const char *cls, const char *rate, unsigned n,
			int64_t w_ms, int64_t max_gap, int steps)
{
	int64_t *allowed = calloc((size_t)steps, sizeof(int64_t));
	int na = 0, mismatches = 0, over = 0;
	unsigned seed = 12345;
	CHECK_INT(hub_rate_set_class(cls, rate), 0);
	g_ms = 100000000;
	for (int i = 0; i < steps; i++) {
		int in_window = 0, want, got;
		g_ms += rand_r(&seed) % (max_gap + 1);
		for (int j = na - 1; j >= 0 && g_ms - allowed[j] < w_ms; j--)
			in_window++;
		want = in_window < (int)n;
		got = hit(cls, "oracle", NULL);
		mismatches += want != got;
		if (got)
			allowed[na++] = g_ms;
	}
	/* no window of w holds more than n allowed hits */
	for (int i = (int)n; i < na; i++)
		over += allowed[i] - allowed[i - (int)n] < w_ms;
	CHECK_INT(mismatches, 0);
	CHECK_INT(over, 0);
	CHECK(na > (int)n); /* the test did allow hits */
	free(allowed);
}

/* Sub-window counters (N > 128): never more than N in any window, and a
 * burst gets exactly N. */
static void test_buckets(void)
{
	int64_t *allowed = calloc(20000, sizeof(int64_t));
	int na = 0, over = 0, got = 0;
	unsigned seed = 99;
	hub_rate_info ri;
	CHECK_INT(hub_rate_set_class("big", "500/h"), 0);
	g_ms = 300000000;
	for (int i = 0; i < 600; i++)
		got += hit("big", "b", &ri);
	CHECK_INT(got, 500);
	CHECK_INT(ri.allowed, 0);
	CHECK(ri.retry_after > 3500 && ri.retry_after <= 3672);
	CHECK_INT(hub_rate_set_class("big", "500/h"), 0);
	for (int i = 0; i < 20000; i++) {
		g_ms += rand_r(&seed) % 2000;
		if (hit("big", "r", NULL))
			allowed[na++] = g_ms;
	}
	for (int i = 500; i < na; i++)
		over += allowed[i] - allowed[i - 500] < 3600000;
	CHECK_INT(over, 0);
	/* and it is not too strict: ~20000 s of traffic at ~1/s allows
	 * close to 500 per hour (at least 90 %) */
	CHECK(na >= (int)(0.9 * 500 * (g_ms - 300000000) / 3600000.0));
	free(allowed);
}

/* ------------------------------------------------------------ threads */

static int g_thread_allowed[8];

static void *hammer(void *arg)
{
	long t = (long)arg;
	for (int i = 0; i < 200; i++)
		g_thread_allowed[t] += hit("t50", "shared", NULL) == 1;
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[8];
	int total = 0;
	CHECK_INT(hub_rate_set_class("t50", "50/min"), 0);
	g_ms = 900000000;
	for (long t = 0; t < 8; t++)
		pthread_create(&th[t], NULL, hammer, (void *)t);
	for (int t = 0; t < 8; t++) {
		pthread_join(th[t], NULL);
		total += g_thread_allowed[t];
	}
	CHECK_INT(total, 50);
}

/* ------------------------------------------------------------- memory */

static void test_memory(void)
{
	size_t keys0, bytes0, keys1, bytes1;
	struct mallinfo2 m0, m1;
	char key[48];
	int victim_refused = 1;
	struct timespec a, b;

	CHECK_INT(hub_rate_configure(4096), 0);
	g_ms = 1000000000;
	hub_rate_stats(&keys0, &bytes0);
	CHECK_INT(keys0, 0);
	/* the victim uses up its budget (login: 30/min by default) */
	for (int i = 0; i < 30; i++)
		CHECK_INT(hit("login", "ip:203.0.113.9", NULL), 1);
	m0 = mallinfo2();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 1000000; i++) {
		snprintf(key, sizeof(key), "ip:10.%d.%d.%d", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		hit("login", key, NULL);
		if (i % 512 ==
		    0) /* it keeps trying: stays hot, stays limited */
			victim_refused &=
			    hit("login", "ip:203.0.113.9", NULL) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	m1 = mallinfo2();
	hub_rate_stats(&keys1, &bytes1);
	printf("1M distinct keys: %.2f s, %zu keys held, %zu bytes, heap "
	       "+%zd bytes\n",
	       (double)(b.tv_sec - a.tv_sec) +
		   (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       keys1, bytes1, (ssize_t)(m1.uordblks - m0.uordblks));
	CHECK(keys1 <= 5 * 4096); /* five classes, at most max_keys each */
	CHECK_INT(bytes1, bytes0);
	CHECK((ssize_t)(m1.uordblks - m0.uordblks) < 64 * 1024);
	CHECK(victim_refused);
	/* a key evicted long ago starts afresh */
	CHECK_INT(hit("login", "ip:10.0.0.0", NULL), 1);
}

/* ------------------------------------------------------------ backend */

static int g_calls;
static unsigned g_seen_count, g_seen_window;

static int fake_hit(void *self, const char *cls, const char *key,
		    unsigned count, unsigned window_s, int64_t now_ms,
		    hub_rate_info *info)
{
	(void)self;
	(void)cls;
	(void)key;
	(void)now_ms;
	g_calls++;
	g_seen_count = count;
	g_seen_window = window_s;
	info->allowed = 0;
	info->limit = count;
	info->retry_after = 7;
	return 0;
}

static int g_destroyed;

static void fake_destroy(void *self)
{
	(void)self;
	g_destroyed++;
}

static void test_backend_and_config(void)
{
	hub_rate_backend b = {"fake", fake_hit, fake_destroy, NULL};
	hub_rate_info ri;
	hub_rate_set_backend(&b);
	CHECK_INT(hub_rate_hit("admin", "ip:1", &ri), 0);
	CHECK_INT(g_calls, 1);
	CHECK_INT(g_seen_count, 300);
	CHECK_INT(g_seen_window, 60);
	CHECK_INT(ri.retry_after, 7);
	hub_rate_set_backend(NULL);
	CHECK_INT(g_destroyed, 1);
	CHECK_INT(hub_rate_hit("admin", "ip:1", &ri), 1);

	CHECK_INT(hub_rate_hit("nope", "ip:1", &ri), -1);
	CHECK_INT(hub_rate_hit(NULL, "ip:1", &ri), -1);
	CHECK_INT(hub_rate_set_class("x", "5/fortnight"), -1);
	CHECK_INT(hub_rate_set_class("x", "0/min"), -1);
	CHECK_INT(hub_rate_set_class("x", "abc"), -1);
	CHECK_INT(hub_rate_set_class("x", "10/s"), 0);
	g_ms = 2000000000;
	for (int i = 0; i < 10; i++)
		CHECK_INT(hub_rate_hit("x", "k", &ri), 1);
	CHECK_INT(hub_rate_hit("x", "k", &ri), 0);
	g_ms += 1000;
	CHECK_INT(hub_rate_hit("x", "k", &ri), 1);
	/* defaults per docs/API.md */
	hub_rate_configure(16);
	CHECK_INT(hub_rate_hit("login", "d", &ri), 1);
	CHECK_INT(ri.limit, 30);
	CHECK_INT(hub_rate_hit("login_account", "d", &ri), 1);
	CHECK_INT(ri.limit, 5);
	CHECK_INT(hub_rate_hit("booking", "d", &ri), 1);
	CHECK_INT(ri.limit, 60);
	CHECK_INT(hub_rate_hit("api", "d", &ri), 1);
	CHECK_INT(ri.limit, 600);
	CHECK_INT(hub_rate_hit("admin", "d", &ri), 1);
	CHECK_INT(ri.limit, 300);
	hub_rate_configure(0);
	CHECK_INT(hub_rate_hit("login", "d", &ri), -1);
}

/* [ratelimit] settings reach the limiter through hub_id_init. */
static void test_from_config(void)
{
	hub_rate_info ri;
	idt_setup("rl", "[ratelimit]\nlogin = 3/s\nmax_keys = 100\n");
	hub_rate_set_clock(clock_ms);
	g_ms = 10;
	CHECK_INT(hub_rate_hit("login", "c", &ri), 1);
	CHECK_INT(ri.limit, 3);
	CHECK_INT(hub_rate_hit("booking", "c", &ri), 1);
	CHECK_INT(ri.limit, 60);
	idt_teardown();
}

int main(void)
{
	hub_rate_set_clock(clock_ms);
	CHECK_INT(hub_rate_configure(1024), 0);
	test_exact_burst();
	test_sliding();
	test_oracle("o1", "5/min", 5, 60000, 20000, 20000);
	test_oracle("o2", "3/s", 3, 1000, 400, 20000);
	test_oracle("o3", "128/h", 128, 3600000, 60000, 20000);
	test_buckets();
	test_threads();
	test_memory();
	test_backend_and_config();
	test_from_config();
	return check_report("identity.ratelimit");
}
