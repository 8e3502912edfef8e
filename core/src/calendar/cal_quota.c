/*
 * cal_quota.c - the quota governor: at most `limit` requests to Google in
 * any sliding window (60 s in production), shared by every thread of the
 * process, token exchanges included.
 *
 * The budget is an array of `limit` places. A place is free, in flight
 * (taken by a request being sent) or stamped with the monotonic time its
 * request ended. A stamped place is free again one window after the stamp.
 * Stamping at the END of an exchange is what makes the bound hold on the
 * server side too: the server receives each request between our acquire
 * and our release, so two requests that reuse one place arrive at least a
 * window apart. Waiters sleep on a condition variable until the earliest
 * stamp expires, a place is released, or their deadline passes.
 *
 * Cluster. With a shared Redis the same budget is also taken there
 * (hub_redis_budget_take: one sorted set, places stamped at the end of
 * their request), so every server together stays within `limit`. While
 * Redis is unavailable each server keeps its own budget only.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"
#include "redis/redis.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PLACE_FREE INT64_MIN
#define PLACE_BUSY (-1)

static struct {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;  /* signalled on release (CLOCK_MONOTONIC) */
	int cond_ready;	      /* cond initialised */
	int64_t *place;	      /* limit entries: FREE, BUSY or end stamp (ms) */
	uint64_t *token;    /* limit entries: the place's Redis token, 0 none */
	unsigned limit;	    /* places */
	unsigned window_ms; /* window length */
} g_q = {.lock = PTHREAD_MUTEX_INITIALIZER};

int hub_cal_quota_setup(unsigned limit, unsigned window_ms)
{
	pthread_condattr_t ca;
	int64_t *p;
	uint64_t *tok;

	if (limit == 0 || window_ms == 0)
		return -1;
	p = malloc(limit * sizeof(*p));
	tok = calloc(limit, sizeof(*tok));
	if (!p || !tok) {
		free(p);
		free(tok);
		return -1;
	}
	for (unsigned i = 0; i < limit; i++)
		p[i] = PLACE_FREE;
	hub_cal_quota_teardown();
	if (pthread_condattr_init(&ca) != 0) {
		free(p);
		free(tok);
		return -1;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&g_q.cond, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(p);
		free(tok);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&g_q.lock);
	g_q.cond_ready = 1;
	g_q.place = p;
	g_q.token = tok;
	g_q.limit = limit;
	g_q.window_ms = window_ms;
	pthread_mutex_unlock(&g_q.lock);
	hub_cal_gauge("hub_calendar_quota_limit", limit);
	return 0;
}

void hub_cal_quota_teardown(void)
{
	pthread_mutex_lock(&g_q.lock);
	free(g_q.place);
	free(g_q.token);
	g_q.place = NULL;
	g_q.token = NULL;
	g_q.limit = 0;
	if (g_q.cond_ready)
		pthread_cond_destroy(&g_q.cond);
	g_q.cond_ready = 0;
	pthread_mutex_unlock(&g_q.lock);
}

/* Places in use at `now`. Lock held. */
static unsigned in_use_locked(int64_t now)
{
	unsigned n = 0;
	for (unsigned i = 0; i < g_q.limit; i++) {
		int64_t s = g_q.place[i];
		if (s == PLACE_BUSY ||
		    (s != PLACE_FREE && s + g_q.window_ms > now))
			n++;
	}
	return n;
}

static void ms_to_timespec(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

/* Takes a place of the cluster's budget for local place `slot`, waiting
 * until deadline_ms. Returns 0 (taken, or Redis unavailable: the local
 * budget alone then applies) or -1 when the deadline passed. */
static int cluster_take(int slot, int64_t deadline_ms)
{
	uint64_t tok = 0;
	int64_t wait = 0;
	for (;;) {
		int rc = hub_redis_budget_take("gcal", g_q.limit, g_q.window_ms,
					       &tok, &wait);
		int64_t now = hub_cal_mono_ms();
		struct timespec ts;
		if (rc == 1) {
			pthread_mutex_lock(&g_q.lock);
			if (g_q.token)
				g_q.token[slot] = tok;
			pthread_mutex_unlock(&g_q.lock);
			return 0;
		}
		if (rc != 0)
			return 0;
		if (now >= deadline_ms)
			return -1;
		if (wait < 5)
			wait = 5;
		if (now + wait > deadline_ms)
			wait = deadline_ms - now;
		ms_to_timespec(wait, &ts);
		nanosleep(&ts, NULL);
	}
}

int hub_cal_quota_acquire(int64_t deadline_ms, int *slot)
{
	int rc = HUB_CAL_EQUOTA;
	unsigned used = 0;

	pthread_mutex_lock(&g_q.lock);
	while (g_q.place) {
		int64_t now = hub_cal_mono_ms();
		int64_t wake = INT64_MAX;
		struct timespec ts;
		int found = -1;

		for (unsigned i = 0; i < g_q.limit; i++) {
			int64_t s = g_q.place[i];
			if (s == PLACE_FREE ||
			    (s != PLACE_BUSY && s + g_q.window_ms <= now)) {
				found = (int)i;
				break;
			}
			if (s != PLACE_BUSY && s + g_q.window_ms < wake)
				wake = s + g_q.window_ms;
		}
		if (found >= 0) {
			g_q.place[found] = PLACE_BUSY;
			*slot = found;
			used = in_use_locked(now);
			rc = HUB_CAL_OK;
			break;
		}
		if (now >= deadline_ms)
			break;
		if (wake > deadline_ms)
			wake = deadline_ms;
		ms_to_timespec(wake, &ts);
		pthread_cond_timedwait(&g_q.cond, &g_q.lock, &ts);
	}
	pthread_mutex_unlock(&g_q.lock);
	if (rc == HUB_CAL_OK && hub_redis_enabled() &&
	    cluster_take(*slot, deadline_ms) != 0) {
		pthread_mutex_lock(&g_q.lock);
		g_q.place[*slot] = PLACE_FREE; /* never sent: free at once */
		pthread_cond_broadcast(&g_q.cond);
		pthread_mutex_unlock(&g_q.lock);
		rc = HUB_CAL_EQUOTA;
	}
	if (rc == HUB_CAL_OK) {
		hub_cal_metric("hub_calendar_quota_acquired_total", NULL, 1);
		hub_cal_gauge("hub_calendar_quota_in_use", used);
	} else {
		hub_cal_metric("hub_calendar_quota_exhausted_total", NULL, 1);
	}
	return rc;
}

void hub_cal_quota_release(int slot)
{
	uint64_t tok = 0;
	unsigned window = 0;
	pthread_mutex_lock(&g_q.lock);
	if (g_q.place && slot >= 0 && (unsigned)slot < g_q.limit &&
	    g_q.place[slot] == PLACE_BUSY) {
		g_q.place[slot] = hub_cal_mono_ms();
		tok = g_q.token[slot];
		g_q.token[slot] = 0;
		window = g_q.window_ms;
		pthread_cond_broadcast(&g_q.cond);
	}
	pthread_mutex_unlock(&g_q.lock);
	if (tok)
		hub_redis_budget_release("gcal", tok, window);
}

unsigned hub_cal_quota_in_use(void)
{
	unsigned n = 0;
	pthread_mutex_lock(&g_q.lock);
	if (g_q.place)
		n = in_use_locked(hub_cal_mono_ms());
	pthread_mutex_unlock(&g_q.lock);
	return n;
}

unsigned hub_cal_quota_limit(void)
{
	unsigned n;
	pthread_mutex_lock(&g_q.lock);
	n = g_q.limit;
	pthread_mutex_unlock(&g_q.lock);
	return n;
}
