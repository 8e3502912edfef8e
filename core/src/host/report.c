/*
 * report.c - error reports: always logged; when SENTRY_DSN is set, also
 * sent to a Sentry-compatible store endpoint by a background thread, so a
 * slow or dead error service never slows a request. The queue is bounded:
 * reports beyond it are counted and dropped.
 *
 * DSN form: SCHEME://PUBLIC_KEY@HOST[:PORT][/PATH]/PROJECT_ID, sent to
 * SCHEME://HOST[:PORT][/PATH]/api/PROJECT_ID/store/ with X-Sentry-Auth.
 */
#define _GNU_SOURCE
#include "host/host.h"
#include "http/http.h"
#include "identity/identity.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QLEN 64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int running, stop;
	char *q[QLEN];
	size_t head, count;
	char endpoint[512];
	char auth[256];
	unsigned long sent, failed, dropped;
} g_rep = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Splits a DSN into the store endpoint URL and the X-Sentry-Auth header
 * line. Returns 0 or -1. */
static int hub_report_parse_dsn(const char *dsn, char *endpoint, size_t elen,
				char *auth, size_t alen)
{
	const char *scheme_end = strstr(dsn, "://");
	const char *at, *host, *slash_last;
	if (!scheme_end)
		return -1;
	at = strchr(scheme_end + 3, '@');
	if (!at || at == scheme_end + 3)
		return -1;
	host = at + 1;
	slash_last = strrchr(host, '/');
	if (!slash_last || !slash_last[1])
		return -1;
	for (const char *p = slash_last + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	const char *colon =
	    memchr(scheme_end + 3, ':', (size_t)(at - scheme_end - 3));
	size_t keylen = (size_t)((colon ? colon : at) - (scheme_end + 3));
	if ((size_t)snprintf(endpoint, elen, "%.*s%.*s/api/%s/store/",
			     (int)(scheme_end + 3 - dsn), dsn,
			     (int)(slash_last - host), host,
			     slash_last + 1) >= elen)
		return -1;
	if ((size_t)snprintf(auth, alen,
			     "X-Sentry-Auth: Sentry sentry_version=7, "
			     "sentry_client=business-hub/%s, sentry_key=%.*s",
			     HUB_VERSION, (int)keylen, scheme_end + 3) >= alen)
		return -1;
	return 0;
}

static char *make_event(const char *module, const char *message)
{
	unsigned char id[16];
	char hex[33], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	cJSON *ev = cJSON_CreateObject();
	char *out;
	if (hub_random(id, sizeof(id)) != 0)
		memset(id, 0, sizeof(id));
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(ev, "event_id", hex);
	cJSON_AddStringToObject(ev, "timestamp", ts);
	cJSON_AddStringToObject(ev, "level", "error");
	cJSON_AddStringToObject(ev, "platform", "c");
	cJSON_AddStringToObject(ev, "logger", module);
	cJSON_AddStringToObject(ev, "message", message);
	cJSON_AddStringToObject(ev, "release", HUB_VERSION);
	out = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return out;
}

static void *sender(void *arg)
{
	(void)arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, g_rep.auth);
	pthread_mutex_lock(&g_rep.lock);
	for (;;) {
		while (!g_rep.stop && g_rep.count == 0)
			pthread_cond_wait(&g_rep.cond, &g_rep.lock);
		if (g_rep.count == 0 && g_rep.stop)
			break;
		char *body = g_rep.q[g_rep.head];
		g_rep.head = (g_rep.head + 1) % QLEN;
		g_rep.count--;
		pthread_mutex_unlock(&g_rep.lock);
		long code = 0;
		CURLcode rc = CURLE_FAILED_INIT;
		if (c) {
			curl_easy_setopt(c, CURLOPT_URL, g_rep.endpoint);
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
			curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
			rc = curl_easy_perform(c);
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		}
		free(body);
		pthread_mutex_lock(&g_rep.lock);
		if (rc == CURLE_OK && code >= 200 && code < 300)
			g_rep.sent++;
		else
			g_rep.failed++;
	}
	pthread_mutex_unlock(&g_rep.lock);
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

int hub_report_start(const char *dsn, char *err, size_t errlen)
{
	if (!dsn || !*dsn)
		return 0;
	if (hub_report_parse_dsn(dsn, g_rep.endpoint, sizeof(g_rep.endpoint),
				 g_rep.auth, sizeof(g_rep.auth)) != 0) {
		snprintf(err, errlen,
			 "SENTRY_DSN is not a valid DSN "
			 "(SCHEME://KEY@HOST/PROJECT_ID)");
		return -1;
	}
	g_rep.stop = 0;
	if (pthread_create(&g_rep.thread, NULL, sender, NULL) != 0) {
		snprintf(err, errlen, "cannot start the error reporter");
		return -1;
	}
	g_rep.running = 1;
	return 0;
}

void hub_report_stop(void)
{
	if (!g_rep.running)
		return;
	pthread_mutex_lock(&g_rep.lock);
	g_rep.stop = 1;
	pthread_cond_signal(&g_rep.cond);
	pthread_mutex_unlock(&g_rep.lock);
	pthread_join(g_rep.thread, NULL);
	g_rep.running = 0;
}

void hub_report_error(hub_ctx *ctx, const char *message)
{
	const char *module = ctx ? ctx->name : "core";
	hub_logf(HUB_LOG_ERROR, module, "error report: %s", message);
	hub_metric_add("hub_errors_reported_total", NULL, 1);
	if (!g_rep.running)
		return;
	char *ev = make_event(module, message);
	if (!ev)
		return;
	pthread_mutex_lock(&g_rep.lock);
	if (g_rep.count == QLEN) {
		g_rep.dropped++;
		free(ev);
	} else {
		g_rep.q[(g_rep.head + g_rep.count) % QLEN] = ev;
		g_rep.count++;
		pthread_cond_signal(&g_rep.cond);
	}
	pthread_mutex_unlock(&g_rep.lock);
}
