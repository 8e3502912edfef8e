/*
 * sentry.c - the sender of error reports: a bounded queue, a token bucket
 * for storms, one background thread that posts envelopes with libcurl and
 * retries (backoff while the receiver is down, Retry-After on 429), the
 * error sink every layer reports through, and hubctl's synchronous send.
 */
#define _GNU_SOURCE
#include "base/conf.h"
#include "base/errsink.h"
#include "base/log.h"
#include "http/http.h"
#include "ops/sentry.h"

#include <curl/curl.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define QMAX	    64	      /* events waiting */
#define QMAX_BYTES  (1 << 20) /* bytes waiting */
#define BACKOFF_MAX 60	      /* seconds between tries while down */

typedef struct item {
	char *body;
	size_t len;
	char *spool; /* crash file to move to sent/ once accepted */
} item;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int running, stop;
	long long flush_until_ms;
	item q[QMAX];
	size_t head, count, bytes;
	double tokens, rate_per_ms, burst;
	long long refill_ms, not_before_ms;
	unsigned backoff_s;
	int down_logged;
	hub_sentry_stats st;
	hub_sentry_dsn dsn;
	char auth[320];
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void metric(const char *result)
{
	char labels[64];
	snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	hub_metric_add("hub_error_reports_total", labels, 1);
}

/* --------------------------------------------------------------- posting */

typedef struct post_result {
	long code;	  /* HTTP status, 0 on a transport error */
	long retry_after; /* seconds from Retry-After or X-Sentry-Rate-Limits */
	char error[CURL_ERROR_SIZE];
} post_result;

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
	post_result *r = ud;
	size_t len = size * n;
	char line[256];
	snprintf(line, sizeof(line), "%.*s", (int)(len < 255 ? len : 255), b);
	if (!strncasecmp(line, "Retry-After:", 12))
		r->retry_after = strtol(line + 12, NULL, 10);
	else if (!strncasecmp(line, "X-Sentry-Rate-Limits:", 21) &&
		 r->retry_after <= 0)
		r->retry_after = strtol(line + 21, NULL, 10);
	return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
	(void)b;
	(void)ud;
	return size * n;
}

/* Posts one envelope. */
static void post(CURL *c, const hub_sentry_dsn *d, const char *auth,
		 const char *body, size_t len, post_result *r)
{
	struct curl_slist *h = NULL;
	memset(r, 0, sizeof(*r));
	h = curl_slist_append(h, "Content-Type: application/x-sentry-envelope");
	h = curl_slist_append(h, auth);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, d->endpoint);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	else if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "transport error");
	curl_slist_free_all(h);
}

/* Moves a sent crash file into sent/ beside it. */
static void spool_done(const char *path)
{
	char dir[4096], target[4200], *copy = strdup(path), *base;
	if (!copy)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	base = basename(copy);
	snprintf(target, sizeof(target), "%s/sent", dirname(dir));
	if (mkdir(target, 0700) != 0 && errno != EEXIST)
		hub_logf(HUB_LOG_WARN, "sentry", "cannot create %s: %s", target,
			 strerror(errno));
	snprintf(target + strlen(target), sizeof(target) - strlen(target),
		 "/%s", base);
	if (rename(path, target) != 0)
		hub_logf(HUB_LOG_WARN, "sentry", "cannot move %s: %s", path,
			 strerror(errno));
	free(copy);
}

static void pop_head(void)
{
	item *it = &g.q[g.head];
	g.bytes -= it->len;
	free(it->body);
	free(it->spool);
	memset(it, 0, sizeof(*it));
	g.head = (g.head + 1) % QMAX;
	g.count--;
}

/* Applies one answer to the head item. Caller holds g.lock. */
static void settle(const post_result *r)
{
	item *it = &g.q[g.head];
	if (r->code >= 200 && r->code < 300) {
		if (it->spool)
			spool_done(it->spool);
		pop_head();
		g.st.sent++;
		g.backoff_s = 0;
		g.down_logged = 0;
		metric("sent");
		return;
	}
	if (r->code == 429 || r->code == 0 || r->code == 408 ||
	    r->code >= 500) {
		long wait = r->code == 429
				? (r->retry_after > 0 ? r->retry_after : 60)
				: 0;
		if (!wait) {
			g.backoff_s = g.backoff_s ? g.backoff_s * 2 : 1;
			if (g.backoff_s > BACKOFF_MAX)
				g.backoff_s = BACKOFF_MAX;
			wait = (long)g.backoff_s;
		}
		if (wait > 3600)
			wait = 3600;
		g.not_before_ms = mono_ms() + wait * 1000;
		g.st.retries++;
		metric("retried");
		if (!g.down_logged) {
			hub_logf(HUB_LOG_WARN, "sentry",
				 "error report not accepted (%s%ld%s); "
				 "retrying in %ld s",
				 r->code ? "HTTP " : "", r->code,
				 r->code ? "" : r->error, wait);
			g.down_logged = 1;
		}
		return;
	}
	hub_logf(HUB_LOG_WARN, "sentry",
		 "error report refused with HTTP %ld; dropped", r->code);
	pop_head();
	g.st.failed++;
	metric("refused");
}

/* Waits until there is something to send now; returns 0 to stop. Caller
 * holds g.lock. */
static int wait_for_work(void)
{
	for (;;) {
		long long now = mono_ms(), until = 0;
		if (g.stop && (g.count == 0 || now >= g.flush_until_ms ||
			       g.not_before_ms > g.flush_until_ms))
			return 0;
		if (g.count > 0 && now >= g.not_before_ms)
			return 1;
		if (g.count > 0)
			until = g.not_before_ms;
		if (g.stop && (!until || until > g.flush_until_ms))
			until = g.flush_until_ms;
		if (!until) {
			pthread_cond_wait(&g.cond, &g.lock);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long ms = until - now;
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&g.cond, &g.lock, &ts);
	}
}

static void *sender(void *arg)
{
	CURL *c = curl_easy_init();
	(void)arg;
	pthread_mutex_lock(&g.lock);
	while (c && wait_for_work()) {
		item it = g.q[g.head];
		/* the head stays owned by the queue while we post it: only
		 * this thread removes items */
		pthread_mutex_unlock(&g.lock);
		post_result r;
		post(c, &g.dsn, g.auth, it.body, it.len, &r);
		pthread_mutex_lock(&g.lock);
		settle(&r);
	}
	while (g.count > 0) {
		pop_head();
		metric("dropped_at_exit");
	}
	pthread_mutex_unlock(&g.lock);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

/* ------------------------------------------------------------- queueing */

/* Takes a token from the bucket. Caller holds g.lock. */
static int take_token(void)
{
	long long now = mono_ms();
	g.tokens += (double)(now - g.refill_ms) * g.rate_per_ms;
	if (g.tokens > g.burst)
		g.tokens = g.burst;
	g.refill_ms = now;
	if (g.tokens < 1.0)
		return 0;
	g.tokens -= 1.0;
	return 1;
}

int hub_sentry_capture(const hub_sentry_info *info, const char *spool_path,
		       char event_id[33])
{
	char id[33];
	size_t len = 0;
	char *body, *spool = NULL;
	pthread_mutex_lock(&g.lock);
	int ok = g.running && !g.stop && (spool_path || take_token());
	if (g.running && !ok) {
		g.st.dropped_rate++;
		metric("sampled_out");
	}
	pthread_mutex_unlock(&g.lock);
	if (!ok)
		return -1;
	body = hub_sentry_envelope(info, id, &len);
	if (spool_path)
		spool = strdup(spool_path);
	pthread_mutex_lock(&g.lock);
	if (!body || (spool_path && !spool) || g.count == QMAX ||
	    g.bytes + len > QMAX_BYTES) {
		g.st.dropped_queue++;
		metric("dropped_queue_full");
		pthread_mutex_unlock(&g.lock);
		free(body);
		free(spool);
		return -1;
	}
	item *it = &g.q[(g.head + g.count) % QMAX];
	it->body = body;
	it->len = len;
	it->spool = spool;
	g.count++;
	g.bytes += len;
	g.st.queued++;
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
	if (event_id)
		memcpy(event_id, id, 33);
	return 0;
}

/* The error sink: every layer's reports arrive here. */
static void sink(const hub_err_event *ev)
{
	hub_sentry_info in;
	memset(&in, 0, sizeof(in));
	in.kind = ev->kind;
	in.logger = ev->logger;
	in.module = ev->logger;
	in.message = ev->message;
	in.route = ev->route;
	in.method = ev->method;
	in.request_id = ev->request_id;
	in.status = ev->status;
	hub_sentry_capture(&in, NULL, NULL);
}

int hub_sentry_start(char *err, size_t errlen)
{
	long long rate = hub_conf_int("sentry", "rate_per_minute", 30);
	long long burst = hub_conf_int("sentry", "burst", 10);
	hub_sentry_dsn d;
	if (g.running || !hub_sentry_current_dsn(&d))
		return 0;
	pthread_mutex_lock(&g.lock);
	g.dsn = d;
	g.stop = 0;
	g.rate_per_ms = (double)(rate > 0 ? rate : 1) / 60000.0;
	g.burst = (double)(burst > 0 ? burst : 1);
	g.tokens = g.burst;
	g.refill_ms = mono_ms();
	g.not_before_ms = 0;
	g.backoff_s = 0;
	memset(&g.st, 0, sizeof(g.st));
	pthread_mutex_unlock(&g.lock);
	if (hub_sentry_auth_header(&d, g.auth, sizeof(g.auth)) != 0 ||
	    pthread_create(&g.thread, NULL, sender, NULL) != 0) {
		snprintf(err, errlen, "cannot start the error reporter");
		return -1;
	}
	pthread_mutex_lock(&g.lock);
	g.running = 1;
	pthread_mutex_unlock(&g.lock);
	hub_err_sink_set(sink);
	hub_logf(HUB_LOG_INFO, "sentry", "error reports go to %s", d.endpoint);
	return 0;
}

void hub_sentry_stop(unsigned flush_ms)
{
	hub_err_sink_set(NULL);
	pthread_mutex_lock(&g.lock);
	if (!g.running) {
		pthread_mutex_unlock(&g.lock);
		return;
	}
	g.stop = 1;
	g.flush_until_ms = mono_ms() + flush_ms;
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
	pthread_join(g.thread, NULL);
	pthread_mutex_lock(&g.lock);
	g.running = 0;
	pthread_mutex_unlock(&g.lock);
}

void hub_sentry_get_stats(hub_sentry_stats *out)
{
	pthread_mutex_lock(&g.lock);
	*out = g.st;
	pthread_mutex_unlock(&g.lock);
}

int hub_sentry_send_now(const hub_sentry_info *info, int tries,
			char event_id[33], char *err, size_t errlen)
{
	hub_sentry_dsn d;
	char auth[320];
	size_t len = 0;
	char *body;
	CURL *c;
	post_result r = {0};
	if (!hub_sentry_current_dsn(&d)) {
		snprintf(err, errlen, "no DSN: set [sentry] dsn or SENTRY_DSN");
		return -1;
	}
	hub_sentry_auth_header(&d, auth, sizeof(auth));
	body = hub_sentry_envelope(info, event_id, &len);
	c = curl_easy_init();
	for (int i = 0; body && c && i < (tries > 0 ? tries : 1); i++) {
		post(c, &d, auth, body, len, &r);
		if (r.code >= 200 && r.code < 300)
			break;
		if (r.code && r.code != 429 && r.code < 500)
			break;
		struct timespec ts = {r.code == 429 && r.retry_after > 0 &&
					      r.retry_after < 10
					  ? r.retry_after
					  : 1,
				      0};
		if (i + 1 < tries)
			nanosleep(&ts, NULL);
	}
	free(body);
	if (c)
		curl_easy_cleanup(c);
	if (r.code >= 200 && r.code < 300)
		return 0;
	if (r.code)
		snprintf(err, errlen, "%s answered HTTP %ld", d.endpoint,
			 r.code);
	else
		snprintf(err, errlen, "%s: %s", d.endpoint,
			 r.error[0] ? r.error : "cannot send");
	return -1;
}

/* ------------------------------------------------- the host's report API */

void hub_sentry_report_module(const char *module, const char *message)
{
	if (!module)
		module = "core";
	hub_err_event ev = {
	    .kind = "module", .logger = module, .message = message};
	char *clean = hub_sentry_scrub(message ? message : "");
	hub_logf(HUB_LOG_ERROR, module, "error report: %s",
		 clean ? clean : "(out of memory)");
	free(clean);
	hub_err_report(&ev);
}
