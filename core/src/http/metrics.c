/*
 * metrics.c - counters and request-latency histograms, rendered in the
 * Prometheus text exposition format for GET /metrics. Names ending in
 * _total are counters; every other name is a gauge.
 *
 * A fixed-size open-addressing table keeps memory bounded whatever label
 * values callers invent; entries beyond capacity are counted in
 * hub_metrics_dropped_total instead. One mutex guards the table: updates
 * are a hash, a compare and an add.
 */
#define _GNU_SOURCE
#include "http/http.h"
#include "base/log.h"
#include "store/store.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MET_SLOTS   1024
#define MET_BUCKETS 12

static const double bucket_le[MET_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

typedef struct met {
	int used;
	int hist; /* 1 = request histogram */
	char name[64];
	char labels[192];
	double value; /* counter value, or histogram sum */
	unsigned long long count;
	unsigned long long buckets[MET_BUCKETS];
} met;

static struct {
	pthread_mutex_t lock;
	met slots[MET_SLOTS];
	unsigned long long dropped;
} g_met = {PTHREAD_MUTEX_INITIALIZER, {{0}}, 0};

static unsigned long hash2(const char *a, const char *b)
{
	unsigned long h = 5381;
	for (; *a; a++)
		h = h * 33 ^ (unsigned char)*a;
	h = h * 33 ^ '|';
	for (; *b; b++)
		h = h * 33 ^ (unsigned char)*b;
	return h;
}

/* Finds or creates a slot; call with the lock held. NULL when full. */
static met *slot_for(const char *name, const char *labels, int hist)
{
	unsigned long h = hash2(name, labels);
	for (size_t i = 0; i < MET_SLOTS; i++) {
		met *m = &g_met.slots[(h + i) % MET_SLOTS];
		if (!m->used) {
			if (strlen(name) >= sizeof(m->name) ||
			    strlen(labels) >= sizeof(m->labels))
				return NULL;
			m->used = 1;
			m->hist = hist;
			strcpy(m->name, name);
			strcpy(m->labels, labels);
			return m;
		}
		if (m->hist == hist && !strcmp(m->name, name) &&
		    !strcmp(m->labels, labels))
			return m;
	}
	return NULL;
}

void hub_metric_add(const char *name, const char *labels, double delta)
{
	pthread_mutex_lock(&g_met.lock);
	met *m = slot_for(name, labels ? labels : "", 0);
	if (m)
		m->value += delta;
	else
		g_met.dropped++;
	pthread_mutex_unlock(&g_met.lock);
}

void hub_metric_set(const char *name, const char *labels, double value)
{
	pthread_mutex_lock(&g_met.lock);
	met *m = slot_for(name, labels ? labels : "", 0);
	if (m)
		m->value = value;
	else
		g_met.dropped++;
	pthread_mutex_unlock(&g_met.lock);
}

/* Per-thread memo of (route text, status) -> slot: route names are the
 * router's stable pattern strings, and slots never move or go away, so
 * the hot path skips formatting and hashing the labels. */
typedef struct memo {
	const char *route;
	int status;
	met *slot;
} memo;
static __thread memo t_memo[64];

void hub_metric_observe_request(const char *route, int status, double secs)
{
	char labels[192], esc[128];
	memo *mm = &t_memo[(((uintptr_t)route >> 4) ^ (unsigned)status) % 64];
	met *m;
	if (mm->route == route && mm->status == status && mm->slot) {
		m = mm->slot;
		pthread_mutex_lock(&g_met.lock);
	} else {
		hub_json_escape(esc, sizeof(esc), route);
		snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"",
			 esc, status);
		pthread_mutex_lock(&g_met.lock);
		m = slot_for("hub_http_request_duration_seconds", labels, 1);
		mm->route = route;
		mm->status = status;
		mm->slot = m;
	}
	if (m) {
		m->count++;
		m->value += secs;
		for (int i = 0; i < MET_BUCKETS; i++)
			if (secs <= bucket_le[i])
				m->buckets[i]++;
	} else {
		g_met.dropped++;
	}
	pthread_mutex_unlock(&g_met.lock);
}

/* Appends formatted text to a growing buffer. Returns 0 or -1. */
static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    HUB_PRINTF(4, 5);
static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		size_t ncap = *cap * 2 + (size_t)n;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
}

static int cmp_met(const void *a, const void *b)
{
	const met *x = *(const met *const *)a, *y = *(const met *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->labels, y->labels);
}

char *hub_metrics_render(void)
{
	size_t cap = 16384, len = 0, n = 0;
	char *buf = malloc(cap);
	met *copy = malloc(sizeof(met) * MET_SLOTS);
	met **order = malloc(sizeof(met *) * MET_SLOTS);
	const char *last = "";
	unsigned long long dropped;
	hub_store_tx_stats txs;
	if (!buf || !copy || !order)
		goto fail;
	buf[0] = 0;
	pthread_mutex_lock(&g_met.lock);
	memcpy(copy, g_met.slots, sizeof(met) * MET_SLOTS);
	dropped = g_met.dropped;
	pthread_mutex_unlock(&g_met.lock);
	hub_store_tx_stats_get(&txs);
	for (size_t i = 0; i < MET_SLOTS; i++)
		if (copy[i].used)
			order[n++] = &copy[i];
	qsort(order, n, sizeof(*order), cmp_met);
	if (appendf(&buf, &len, &cap,
		    "# HELP hub_build_info %s\n"
		    "# TYPE hub_build_info gauge\n"
		    "hub_build_info{version=\"%s\"} 1\n"
		    "# HELP hub_uptime_seconds %s\n"
		    "# TYPE hub_uptime_seconds gauge\n"
		    "hub_uptime_seconds %.0f\n"
		    "# HELP hub_metrics_dropped_total %s\n"
		    "# TYPE hub_metrics_dropped_total counter\n"
		    "hub_metrics_dropped_total %llu\n"
		    "# HELP hub_store_transactions_total %s\n"
		    "# TYPE hub_store_transactions_total counter\n"
		    "hub_store_transactions_total %llu\n"
		    "# HELP hub_store_tx_retries_total %s\n"
		    "# TYPE hub_store_tx_retries_total counter\n"
		    "hub_store_tx_retries_total %llu\n"
		    "# HELP hub_store_tx_gave_up_total %s\n"
		    "# TYPE hub_store_tx_gave_up_total counter\n"
		    "hub_store_tx_gave_up_total %llu\n",
		    hub_metric_help("hub_build_info"), HUB_VERSION,
		    hub_metric_help("hub_uptime_seconds"), hub_uptime_s(),
		    hub_metric_help("hub_metrics_dropped_total"), dropped,
		    hub_metric_help("hub_store_transactions_total"),
		    txs.transactions,
		    hub_metric_help("hub_store_tx_retries_total"), txs.retries,
		    hub_metric_help("hub_store_tx_gave_up_total"), txs.gave_up))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		met *m = order[i];
		if (strcmp(last, m->name) != 0) {
			/* Prometheus naming: counters end in _total; any
			 * other name is a gauge that may go down */
			size_t nl = strlen(m->name);
			int counter =
			    nl > 6 && !strcmp(m->name + nl - 6, "_total");
			const char *help = hub_metric_help(m->name);
			if (appendf(&buf, &len, &cap,
				    "# HELP %s %s%s\n# TYPE %s %s\n", m->name,
				    help ? help : "Business Hub metric ",
				    help ? "" : m->name, m->name,
				    m->hist   ? "histogram"
				    : counter ? "counter"
					      : "gauge"))
				goto fail;
			last = m->name;
		}
		if (!m->hist) {
			if (appendf(&buf, &len, &cap, "%s%s%s%s %.17g\n",
				    m->name, m->labels[0] ? "{" : "", m->labels,
				    m->labels[0] ? "}" : "", m->value))
				goto fail;
			continue;
		}
		for (int b = 0; b < MET_BUCKETS; b++)
			if (appendf(&buf, &len, &cap,
				    "%s_bucket{%s,le=\"%g\"} %llu\n", m->name,
				    m->labels, bucket_le[b], m->buckets[b]))
				goto fail;
		if (appendf(&buf, &len, &cap,
			    "%s_bucket{%s,le=\"+Inf\"} %llu\n"
			    "%s_sum{%s} %.9f\n%s_count{%s} %llu\n",
			    m->name, m->labels, m->count, m->name, m->labels,
			    m->value, m->name, m->labels, m->count))
			goto fail;
	}
	free(copy);
	free(order);
	return buf;
fail:
	free(buf);
	free(copy);
	free(order);
	return NULL;
}
