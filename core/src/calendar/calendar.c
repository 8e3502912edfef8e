/*
 * calendar.c - the calendar service's state: settings and backend, the
 * in-memory set of calendar ids asked for, metrics and gauges, the clock
 * the service sees. Start-up and shutdown are in cal_start.c, the small
 * utilities in cal_util.c. See calendar.h for the contract and
 * cal_internal.h for the layout of the other files.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUOTA_WINDOW_MS 60000u /* the production window: one minute */

/* A calendar id asked for through hub_cal_events. */
typedef struct seen_id {
	char *id;
	int64_t touched; /* wall s it was last marked */
	int dirty;	 /* still to be written to cal_calendars */
} seen_id;

static struct {
	int ready;		       /* init succeeded */
	hub_cal_config cfg;	       /* immutable after init */
	const hub_cal_backend_ops *be; /* the active backend */
	void (*metric_add)(const char *, const char *, double);
	char owner[64];		      /* scheduler owner of our jobs */
	unsigned test_window_ms;      /* test hook, 0 = production */
	_Atomic int64_t clock_offset; /* test hook, seconds */
	pthread_mutex_t seen_lock;    /* guards seen, nseen */
	seen_id *seen;
	size_t nseen;
	pthread_mutex_t gauge_lock; /* guards gauges */
	struct {
		const char *name; /* static string; NULL = free slot */
		double value;	  /* last value reported */
	} gauges[16];
} g_cal = {.gauge_lock = PTHREAD_MUTEX_INITIALIZER,
	   .seen_lock = PTHREAD_MUTEX_INITIALIZER};

/* ================================================================ clock */

int64_t hub_cal_now(void)
{
	return (int64_t)time(NULL) + atomic_load(&g_cal.clock_offset);
}

/* ============================================================== metrics */

void hub_cal_metric(const char *name, const char *labels, double delta)
{
	void (*fn)(const char *, const char *, double) = g_cal.metric_add;
	if (fn)
		fn(name, labels, delta);
}

void hub_cal_gauge(const char *name, double value)
{
	size_t i, n = sizeof(g_cal.gauges) / sizeof(g_cal.gauges[0]);
	pthread_mutex_lock(&g_cal.gauge_lock);
	/* nothing is remembered while no host takes the figures */
	for (i = 0; g_cal.metric_add && i < n; i++) {
		int fresh = !g_cal.gauges[i].name;
		double delta;
		if (fresh) {
			g_cal.gauges[i].name = name;
			g_cal.gauges[i].value = 0;
		} else if (strcmp(g_cal.gauges[i].name, name) != 0) {
			continue;
		}
		delta = value - g_cal.gauges[i].value;
		g_cal.gauges[i].value = value;
		/* under the lock so concurrent updates stay ordered; the
		 * first report also makes a series that is still 0 visible */
		if (delta != 0 || fresh)
			g_cal.metric_add(name, NULL, delta);
		break;
	}
	pthread_mutex_unlock(&g_cal.gauge_lock);
}

/* Brings every gauge back to 0 and forgets them (shutdown). */
static void gauges_reset(void)
{
	size_t n = sizeof(g_cal.gauges) / sizeof(g_cal.gauges[0]);
	pthread_mutex_lock(&g_cal.gauge_lock);
	for (size_t i = 0; i < n && g_cal.gauges[i].name; i++)
		if (g_cal.metric_add && g_cal.gauges[i].value != 0)
			g_cal.metric_add(g_cal.gauges[i].name, NULL,
					 -g_cal.gauges[i].value);
	memset(g_cal.gauges, 0, sizeof(g_cal.gauges));
	pthread_mutex_unlock(&g_cal.gauge_lock);
}

/* ============================================================ known ids */

#define SEEN_MAX     4096 /* distinct ids remembered in memory */
#define SEEN_TOUCH_S 3600 /* re-record last_seen at most this often */

int hub_cal_seen(const char *id, int64_t now)
{
	int rc = 1;
	pthread_mutex_lock(&g_cal.seen_lock);
	for (size_t i = 0; i < g_cal.nseen; i++) {
		seen_id *e = &g_cal.seen[i];
		if (strcmp(e->id, id) == 0) {
			rc = now - e->touched >= SEEN_TOUCH_S;
			if (rc) {
				e->touched = now;
				e->dirty = 1;
			}
			goto out;
		}
	}
	rc = 0;
	if (g_cal.nseen < SEEN_MAX) {
		seen_id *p =
		    realloc(g_cal.seen, (g_cal.nseen + 1) * sizeof(*p));
		char *copy = strdup(id);
		if (p)
			g_cal.seen = p;
		if (p && copy) {
			g_cal.seen[g_cal.nseen].id = copy;
			g_cal.seen[g_cal.nseen].touched = now;
			g_cal.seen[g_cal.nseen].dirty = 1;
			g_cal.nseen++;
			rc = 2;
		} else {
			free(copy);
		}
	}
out:
	pthread_mutex_unlock(&g_cal.seen_lock);
	return rc;
}

int hub_cal_seen_take(char ***ids)
{
	int n = 0;
	char **v = NULL;
	pthread_mutex_lock(&g_cal.seen_lock);
	for (size_t i = 0; i < g_cal.nseen; i++)
		n += g_cal.seen[i].dirty;
	if (n) {
		v = calloc((size_t)n, sizeof(*v));
		n = 0;
		for (size_t i = 0; v && i < g_cal.nseen; i++) {
			if (!g_cal.seen[i].dirty)
				continue;
			if (!(v[n] = strdup(g_cal.seen[i].id)))
				break;
			g_cal.seen[i].dirty = 0;
			n++;
		}
	}
	pthread_mutex_unlock(&g_cal.seen_lock);
	*ids = v;
	return n;
}

void hub_cal_seen_dirty(const char *id)
{
	pthread_mutex_lock(&g_cal.seen_lock);
	for (size_t i = 0; i < g_cal.nseen; i++)
		if (strcmp(g_cal.seen[i].id, id) == 0)
			g_cal.seen[i].dirty = 1;
	pthread_mutex_unlock(&g_cal.seen_lock);
}

static void seen_reset(void)
{
	pthread_mutex_lock(&g_cal.seen_lock);
	for (size_t i = 0; i < g_cal.nseen; i++)
		free(g_cal.seen[i].id);
	free(g_cal.seen);
	g_cal.seen = NULL;
	g_cal.nseen = 0;
	pthread_mutex_unlock(&g_cal.seen_lock);
}

/* ================================================================ state */

int hub_cal_ready(void)
{
	return g_cal.ready;
}

void hub_cal_set_host(void (*metric_add)(const char *, const char *, double),
		      const char *owner)
{
	g_cal.metric_add = metric_add;
	snprintf(g_cal.owner, sizeof(g_cal.owner), "%s", owner ? owner : "");
}

const char *hub_cal_owner(void)
{
	return g_cal.owner;
}

const hub_cal_config *hub_cal_cfg(void)
{
	return &g_cal.cfg;
}

const hub_cal_backend_ops *hub_cal_be(void)
{
	return g_cal.be;
}

void hub_cal_test_set_quota_window_ms(unsigned ms)
{
	g_cal.test_window_ms = ms;
}

void hub_cal_test_set_clock_offset(int64_t s)
{
	atomic_store(&g_cal.clock_offset, s);
}

const char *hub_cal_backend(void)
{
	return g_cal.be ? g_cal.be->name : "local";
}

/* ============================================================ start-up */

void hub_cal_state_configure(const hub_cal_config *c)
{
	size_t n;
	g_cal.cfg = *c;
	n = strlen(g_cal.cfg.api_base);
	while (n > 0 && g_cal.cfg.api_base[n - 1] == '/')
		g_cal.cfg.api_base[--n] = '\0';
}

void hub_cal_state_backend(const hub_cal_backend_ops *be)
{
	g_cal.be = be;
}

void hub_cal_state_ready(void)
{
	g_cal.ready = 1;
}

unsigned hub_cal_quota_window_ms(void)
{
	return g_cal.test_window_ms ? g_cal.test_window_ms : QUOTA_WINDOW_MS;
}

void hub_cal_state_reset(void)
{
	seen_reset();
	gauges_reset();
	g_cal.ready = 0;
	g_cal.be = NULL;
	g_cal.metric_add = NULL;
}
