/*
 * test_redis.c - the Redis service against a real redis-server (run by
 * servers.sh, which exports HUB_REDIS_URL and its pid file):
 *   - the sliding window allows exactly N hits of a key across two
 *     processes hammering it at once, and the next one is refused with a
 *     retry time;
 *   - counters increment across processes and reset;
 *   - a budget of N places is never exceeded by two processes;
 *   - a published invalidation drops the namespace in the other process
 *     and changes its cache epoch (not 0 while its listener is
 *     subscribed);
 *   - Redis stopped: every call answers "unavailable" (-2) within the
 *     time-out, the health check says degraded, the cache epoch is 0.
 */
#define _GNU_SOURCE
#include "check.h"
#include "base/conf.h"
#include "cache/cache.h"
#include "redis/redis.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIMIT 25

static long long now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void start_service(const char *url)
{
	char path[] = "/tmp/hub-redis-test-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	fprintf(fp, "[server]\ndata_dir = /tmp\n[redis]\nurl = %s\n", url);
	fclose(fp);
	if (hub_conf_load(path, err, sizeof(err)) != 0 ||
	    hub_redis_start(err, sizeof(err)) != 0) {
		fprintf(stderr, "start: %s\n", err);
		exit(2);
	}
	unlink(path);
}

/* Two processes hit one key 40 times each; counts allowed in *shared. */
static void test_rate(int *shared)
{
	hub_rate_info info;
	pid_t kid = fork();
	int mine = 0;
	if (kid == 0) {
		hub_redis_stop();
		start_service(getenv("HUB_REDIS_URL"));
		for (int i = 0; i < 40; i++)
			mine += hub_redis_rate_hit("t", "10.0.0.1", LIMIT, 60,
						   &info) == 1;
		__atomic_add_fetch(shared, mine, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	for (int i = 0; i < 40; i++)
		mine +=
		    hub_redis_rate_hit("t", "10.0.0.1", LIMIT, 60, &info) == 1;
	__atomic_add_fetch(shared, mine, __ATOMIC_SEQ_CST);
	waitpid(kid, NULL, 0);
	CHECK_INT(*shared, LIMIT);
	CHECK_INT(hub_redis_rate_hit("t", "10.0.0.1", LIMIT, 60, &info), 0);
	CHECK(info.retry_after >= 1 && info.retry_after <= 60);
	CHECK_INT(info.remaining, 0);
	/* another key has its own window */
	CHECK_INT(hub_redis_rate_hit("t", "10.0.0.2", LIMIT, 60, &info), 1);
	CHECK_INT(info.remaining, LIMIT - 1);
	/* a short window slides */
	for (int i = 0; i < 3; i++)
		hub_redis_rate_hit("s", "k", 3, 1, &info);
	CHECK_INT(hub_redis_rate_hit("s", "k", 3, 1, &info), 0);
	usleep(1100 * 1000);
	CHECK_INT(hub_redis_rate_hit("s", "k", 3, 1, &info), 1);
}

static void test_counter_budget(void)
{
	uint64_t tok[8];
	int64_t wait = 0;
	int taken = 0;
	CHECK_INT(hub_redis_counter_reset("c"), 0);
	CHECK_INT(hub_redis_counter_incr("c", 60), 1);
	CHECK_INT(hub_redis_counter_incr("c", 60), 2);
	CHECK_INT(hub_redis_counter_get("c"), 2);
	CHECK_INT(hub_redis_counter_reset("c"), 0);
	CHECK_INT(hub_redis_counter_get("c"), 0);
	for (int i = 0; i < 8; i++)
		taken +=
		    hub_redis_budget_take("b", 5, 2000, &tok[i], &wait) == 1;
	CHECK_INT(taken, 5);
	CHECK(wait > 0 && wait <= 62000);
	/* released places stay counted for the window after their end */
	for (int i = 0; i < 5; i++)
		hub_redis_budget_release("b", tok[i], 2000);
	CHECK_INT(hub_redis_budget_take("b", 5, 2000, &tok[0], &wait), 0);
	CHECK(wait > 0 && wait <= 2000);
	usleep((useconds_t)(wait + 50) * 1000);
	CHECK_INT(hub_redis_budget_take("b", 5, 2000, &tok[0], &wait), 1);
}

static void test_invalidation(void)
{
	int pipefd[2];
	char c = 0;
	pid_t kid;
	CHECK(pipe(pipefd) == 0);
	kid = fork();
	if (kid == 0) {
		size_t len = 0;
		char *v;
		hub_redis_stop();
		start_service(getenv("HUB_REDIS_URL"));
		uint64_t e0 = 0;
		/* the listener subscribes (5 s at most: sanitizer builds are
		 * slow); subscribed, copies may be kept. The entry goes in
		 * after: subscribing drops everything (what was missed) */
		for (int i = 0; i < 100 && e0 == 0; i++) {
			usleep(50 * 1000);
			e0 = hub_cache_epoch("ns");
		}
		if (e0 == 0)
			_exit(4);
		hub_cache_put("ns", "k", "v", 1, 60);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(3);
		for (int i = 0; i < 250; i++) {
			v = hub_cache_get("ns", "k", &len);
			if (!v)
				_exit(hub_cache_epoch("ns") != e0 ? 0 : 5);
			hub_cache_free(v);
			usleep(20 * 1000);
		}
		_exit(1);
	}
	CHECK(read(pipefd[0], &c, 1) == 1);
	hub_cache_invalidate("ns");
	{
		int st = 0;
		waitpid(kid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

static void test_down(void)
{
	FILE *fp = fopen(getenv("HUB_REDIS_PIDFILE"), "r");
	hub_rate_info info;
	hub_health_result h;
	long pid = 0;
	long long t0;
	CHECK(fp && fscanf(fp, "%ld", &pid) == 1);
	if (fp)
		fclose(fp);
	CHECK(pid > 0 && kill((pid_t)pid, SIGTERM) == 0);
	for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
		usleep(50 * 1000);
	t0 = now_ms();
	CHECK_INT(hub_redis_rate_hit("t", "x", 5, 60, &info), -2);
	CHECK_INT(hub_redis_counter_incr("c", 60), -2);
	CHECK(now_ms() - t0 < 1500);
	/* the listener lost its connection: no copies kept on trust */
	for (int i = 0; i < 40 && hub_cache_epoch(NULL) != 0; i++)
		usleep(50 * 1000);
	CHECK(hub_cache_epoch(NULL) == 0);
	t0 = now_ms();
	for (int i = 0; i < 100; i++)
		hub_redis_rate_hit("t", "x", 5, 60, &info);
	CHECK(now_ms() - t0 < 500); /* no time-out per call while down */
	usleep(1100 * 1000);
	hub_redis_check(NULL, &h);
	CHECK_INT(h.status, HUB_HEALTH_DEGRADED);
	CHECK(strstr(h.detail, "unreachable") != NULL);
	CHECK_INT(hub_redis_up(), 0);
}

int main(void)
{
	const char *url = getenv("HUB_REDIS_URL");
	int *shared;
	if (!url) {
		fprintf(stderr, "HUB_REDIS_URL unset: run under servers.sh\n");
		return 77;
	}
	shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = 0;
	start_service(url);
	CHECK_INT(hub_redis_enabled(), 1);
	test_rate(shared);
	test_counter_budget();
	test_invalidation();
	CHECK_INT(hub_redis_up(), 1);
	test_down();
	hub_redis_stop();
	hub_conf_free();
	return check_report("redis");
}
