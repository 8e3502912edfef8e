/*
 * calendar.c - the calendar service's state: start-up and shutdown, the
 * in-memory set of calendar ids asked for, metrics and gauges, small
 * utilities. See calendar.h for the contract and cal_internal.h for the
 * layout of the other files.
 */
#define _GNU_SOURCE
#include "calendar/cal_caldav.h"
#include "calendar/cal_internal.h"

#include "base/log.h"

#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* ============================================================ utilities */

int64_t hub_cal_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hub_cal_now(void)
{
	return (int64_t)time(NULL) + atomic_load(&g_cal.clock_offset);
}

uint64_t hub_cal_random(void)
{
	/* splitmix64 over an atomic counter: cheap, thread-safe, and good
	 * enough for jitter (never used for anything secret) */
	static _Atomic uint64_t state;
	uint64_t z;
	if (atomic_load(&state) == 0) {
		uint64_t seed = (uint64_t)hub_cal_mono_ms() ^
				((uint64_t)getpid() << 32) ^
				(uint64_t)time(NULL);
		uint64_t zero = 0;
		atomic_compare_exchange_strong(&state, &zero, seed | 1);
	}
	z = atomic_fetch_add(&state, 0x9E3779B97F4A7C15ull) +
	    0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void hub_cal_sleep_ms(int64_t ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

void hub_cal_event_id_for(const char *hub_key, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[32];
	mbedtls_sha256_ret((const unsigned char *)hub_key, strlen(hub_key), h,
			   0);
	memcpy(out, "hub", 3);
	for (int i = 0; i < 20; i++) {
		out[3 + 2 * i] = hex[h[i] >> 4];
		out[4 + 2 * i] = hex[h[i] & 15];
	}
	out[43] = '\0';
}

const char *hub_cal_rc_name(int rc)
{
	switch (rc) {
	case HUB_CAL_OK:
		return "ok";
	case HUB_CAL_ERETRY:
		return "transient failure";
	case HUB_CAL_EPERM:
		return "refused";
	case HUB_CAL_ENOTFOUND:
		return "not found";
	case HUB_CAL_ECONFLICT:
		return "conflict";
	case HUB_CAL_EGONE:
		return "gone";
	case HUB_CAL_EAUTH:
		return "credentials broken";
	case HUB_CAL_EPARSE:
		return "unreadable answer";
	case HUB_CAL_EQUOTA:
		return "quota exhausted";
	case HUB_CAL_ENOMEM:
		return "out of memory";
	default:
		return "error";
	}
}

int hub_cal_rc_transient(int rc)
{
	return rc == HUB_CAL_ERETRY || rc == HUB_CAL_EQUOTA ||
	       rc == HUB_CAL_EPARSE || rc == HUB_CAL_ENOMEM ||
	       rc == HUB_CAL_EAUTH;
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

void hub_cal_config_defaults(hub_cal_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->backend, sizeof(c->backend), "local");
	snprintf(c->api_base, sizeof(c->api_base),
		 "https://www.googleapis.com/calendar/v3");
	c->quota_per_minute = 180;
	c->sync_interval_s = 120;
	c->outbox_interval_s = 10;
	c->request_timeout_ms = 10000;
	c->connect_timeout_ms = 5000;
	c->retry_budget_ms = 20000;
	c->backoff_base_ms = 500;
	c->backoff_max_ms = 8000;
	c->quota_wait_ms = 10000;
	c->page_size = 250;
	c->sync_past_days = 35;
	c->sync_future_days = 70;
	c->full_sync_every_s = 86400;
	c->backlog_warn_s = 600;
	c->outbox_retry_max_s = 900;
	c->calendar_idle_days = 14;
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

/* Calls curl_global_init once; the host calls this before threads start
 * (hub_cal_init does it too). Returns 0 or -1. */
int hub_cal_global_init(void)
{
	return hub_cal_http_global_init();
}

int hub_cal_url_allowed(const char *url)
{
	static const char *const loop[] = {"http://127.0.0.1", "http://[::1]",
					   "http://localhost"};
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		size_t n = strlen(loop[i]);
		if (strncmp(url, loop[i], n) == 0 &&
		    (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
			return 1;
	}
	return 0;
}

int hub_cal_init_with(const hub_cal_config *c, char *err, size_t errlen)
{
	size_t n;
	if (g_cal.ready)
		hub_cal_shutdown();
	g_cal.cfg = *c;
	n = strlen(g_cal.cfg.api_base);
	while (n > 0 && g_cal.cfg.api_base[n - 1] == '/')
		g_cal.cfg.api_base[--n] = '\0';
	if (strcmp(c->backend, "google") == 0) {
		g_cal.be = &hub_cal_ops_google;
	} else if (strcmp(c->backend, "local") == 0) {
		g_cal.be = &hub_cal_ops_local;
	} else if (strcmp(c->backend, "caldav") == 0) {
		g_cal.be = &hub_cal_ops_caldav;
	} else {
		snprintf(err, errlen,
			 "[calendar] backend must be local, google or caldav");
		goto fail;
	}
	if (c->quota_per_minute < 1 || c->quota_per_minute > 100000 ||
	    c->page_size < 1 || c->page_size > 2500) {
		snprintf(err, errlen,
			 "[calendar] quota_per_minute must be 1..100000");
		goto fail;
	}
	if (hub_cal_http_global_init() != 0) {
		snprintf(err, errlen, "calendar: curl_global_init failed");
		goto fail;
	}
	if (hub_cal_quota_setup(c->quota_per_minute,
				g_cal.test_window_ms ? g_cal.test_window_ms
						     : QUOTA_WINDOW_MS) != 0) {
		snprintf(err, errlen, "calendar: out of memory");
		goto fail;
	}
	if (g_cal.be == &hub_cal_ops_caldav) {
		if (hub_cal_dav_setup(c->caldav_url, c->caldav_username,
				      c->caldav_password_file, err,
				      errlen) != 0)
			goto fail;
	} else if (g_cal.be->remote) {
		if (!hub_cal_url_allowed(g_cal.cfg.api_base)) {
			snprintf(err, errlen,
				 "[calendar] api_base must be https:// (plain "
				 "http only on loopback)");
			goto fail;
		}
		if (hub_cal_token_setup(c->credentials_file, err, errlen) != 0)
			goto fail;
		if (!c->central_calendar_id[0])
			hub_logf(HUB_LOG_WARN, "calendar",
				 "no central_calendar_id: bookings will not be "
				 "written to a calendar");
	}
	g_cal.ready = 1;
	hub_logf(HUB_LOG_INFO, "calendar",
		 "backend %s, quota %u per minute, sync every %u s",
		 g_cal.be->name, c->quota_per_minute, c->sync_interval_s);
	return 0;
fail:
	hub_cal_token_teardown();
	hub_cal_dav_teardown();
	hub_cal_quota_teardown();
	g_cal.be = NULL;
	return -1;
}

void hub_cal_shutdown(void)
{
	hub_cal_token_teardown();
	hub_cal_dav_teardown();
	hub_cal_quota_teardown();
	seen_reset();
	hub_cal_http_global_cleanup();
	gauges_reset();
	g_cal.ready = 0;
	g_cal.be = NULL;
	g_cal.metric_add = NULL;
}

const char *hub_cal_backend(void)
{
	return g_cal.be ? g_cal.be->name : "local";
}
