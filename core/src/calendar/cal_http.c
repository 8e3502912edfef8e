/*
 * cal_http.c - the HTTP transport to Google on libcurl.
 *
 * Every send passes the quota governor first and carries a connect and a
 * total timeout; TLS peers and host names are always verified; redirects
 * are not followed; answers are capped at HUB_CAL_MAX_BODY. Each thread
 * keeps one CURL handle (connection reuse) released at thread exit.
 *
 * Retry policy (hub_cal_http_call): 429, 403 with reason rateLimitExceeded
 * or userRateLimitExceeded, 5xx and transport failures (timeouts, refused
 * connections, truncated bodies) are retried with exponential backoff and
 * "equal jitter" (half the delay fixed, half random), honouring Retry-After,
 * until the call's retry budget is spent. Other 4xx are final. A 401 on an
 * authorised call refreshes the access token once.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "calendar/cal_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef HUB_VERSION
#define HUB_VERSION "0"
#endif

static pthread_key_t g_handle_key;
static pthread_once_t g_handle_once = PTHREAD_ONCE_INIT;
static int g_curl_inited;

/* ================================================================ setup */

int hub_cal_http_global_init(void)
{
	if (g_curl_inited)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	g_curl_inited = 1;
	return 0;
}

void hub_cal_http_global_cleanup(void)
{
	hub_cal_http_thread_cleanup();
	if (g_curl_inited)
		curl_global_cleanup();
	g_curl_inited = 0;
}

static void handle_destroy(void *h)
{
	if (h)
		curl_easy_cleanup((CURL *)h);
}

static void key_create(void)
{
	pthread_key_create(&g_handle_key, handle_destroy);
}

/* The calling thread's handle, reset for a new request; NULL on OOM. */
static CURL *thread_handle(void)
{
	CURL *h;
	pthread_once(&g_handle_once, key_create);
	h = pthread_getspecific(g_handle_key);
	if (h) {
		curl_easy_reset(h);
		return h;
	}
	h = curl_easy_init();
	if (h && pthread_setspecific(g_handle_key, h) != 0) {
		curl_easy_cleanup(h);
		h = NULL;
	}
	return h;
}

void hub_cal_http_thread_cleanup(void)
{
	CURL *h;
	pthread_once(&g_handle_once, key_create);
	h = pthread_getspecific(g_handle_key);
	if (h) {
		pthread_setspecific(g_handle_key, NULL);
		curl_easy_cleanup(h);
	}
}

void hub_cal_http_resp_free(hub_cal_http_resp *rs)
{
	if (!rs)
		return;
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
}

/* ============================================================ callbacks */

typedef struct recv_buf {
	char *p;
	size_t n, cap;
	int too_big;
	unsigned retry_after_s; /* from a Retry-After header, 0 = none */
} recv_buf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	recv_buf *b = ud;
	size_t add = size * nmemb;
	if (add > HUB_CAL_MAX_BODY - b->n) {
		b->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (b->n + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;
		while (cap < b->n + add + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, ptr, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	recv_buf *b = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	if (n > sizeof(name) - 1 && n < 64 &&
	    strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
		char tmp[64];
		char *end;
		long v;
		memcpy(tmp, ptr + sizeof(name) - 1, n - (sizeof(name) - 1));
		tmp[n - (sizeof(name) - 1)] = '\0';
		v = strtol(tmp, &end, 10);
		if (end != tmp && v > 0 && v < 3600)
			b->retry_after_s = (unsigned)v;
	}
	return n;
}

/* ============================================================ one send */

/* The request headers (Accept, Content-Type, the bearer token, no
 * Expect). Owned: wipe and free with free_headers. */
static struct curl_slist *make_headers(const hub_cal_http_req *rq,
				       const char *bearer)
{
	struct curl_slist *hdr = NULL;
	char auth[HUB_CAL_MAX_TOKEN + 32];
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (rq->body) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s",
			 rq->content_type ? rq->content_type
					  : "application/json");
		hdr = curl_slist_append(hdr, ct);
	}
	if (bearer) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			 bearer);
		hdr = curl_slist_append(hdr, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	/* no "Expect: 100-continue" round trip */
	return curl_slist_append(hdr, "Expect:");
}

/* The header list held the token: wipes it before freeing. */
static void free_headers(struct curl_slist *hdr)
{
	for (struct curl_slist *s = hdr; s; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(hdr);
}

/* Sets the options of one request on handle h: the URL, transport
 * safety, timeouts, headers and body, and where the answer goes. */
static void set_options(CURL *h, const hub_cal_http_req *rq,
			struct curl_slist *hdr, long timeout_ms, char *ebuf,
			recv_buf *b)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)cfg->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "business-hub/" HUB_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, b);
	if (strcmp(rq->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)rq->body_len);
	}
}

/* Moves the answer of a finished transfer into *rs and counts it in the
 * requests metric. Returns as send_once. */
static int take_answer(CURL *h, CURLcode cc, const hub_cal_http_req *rq,
		       recv_buf *b, const char *ebuf, hub_cal_http_resp *rs,
		       unsigned *ra_s)
{
	char labels[128];
	int rc;
	free(rs->body);
	rs->body = b->p ? b->p : strdup("");
	rs->len = b->n;
	*ra_s = b->retry_after_s;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
		snprintf(labels, sizeof(labels),
			 "endpoint=\"%s\",status=\"%ld\"", rq->endpoint,
			 rs->status);
		rc = rs->body ? HUB_CAL_OK : HUB_CAL_ENOMEM;
	} else {
		rs->status = 0;
		snprintf(rs->error, sizeof(rs->error), "%s: %s",
			 b->too_big ? "answer too large"
				    : curl_easy_strerror(cc),
			 ebuf);
		snprintf(labels, sizeof(labels),
			 "endpoint=\"%s\",status=\"%s\"", rq->endpoint,
			 cc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "error");
		rc = HUB_CAL_ERETRY;
	}
	hub_cal_metric("hub_calendar_requests_total", labels, 1);
	return rc;
}

/* Sends once through the governor. Returns HUB_CAL_OK when an HTTP answer
 * arrived (any status), HUB_CAL_EQUOTA, HUB_CAL_ENOMEM, or HUB_CAL_ERETRY
 * for a transport failure (rs->error says which). */
static int send_once(const hub_cal_http_req *rq, const char *bearer,
		     int64_t deadline, hub_cal_http_resp *rs, unsigned *ra_s)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr;
	recv_buf b = {0};
	int64_t now = hub_cal_mono_ms(), qdl, left;
	long timeout;
	CURLcode cc;
	CURL *h;
	int slot;

	qdl = now + cfg->quota_wait_ms;
	if (qdl > deadline)
		qdl = deadline;
	if (hub_cal_quota_acquire(qdl, &slot) != HUB_CAL_OK) {
		snprintf(rs->error, sizeof(rs->error),
			 "quota exhausted: %u requests per window in use",
			 hub_cal_quota_limit());
		return HUB_CAL_EQUOTA;
	}
	h = thread_handle();
	if (!h) {
		hub_cal_quota_release(slot);
		snprintf(rs->error, sizeof(rs->error), "out of memory");
		return HUB_CAL_ENOMEM;
	}
	left = deadline - hub_cal_mono_ms();
	timeout = (long)cfg->request_timeout_ms;
	if (left < timeout)
		timeout = left > 200 ? (long)left : 200;
	hdr = make_headers(rq, bearer);
	set_options(h, rq, hdr, timeout, ebuf, &b);
	cc = curl_easy_perform(h);
	hub_cal_quota_release(slot);
	rs->attempts++;
	free_headers(hdr);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	return take_answer(h, cc, rq, &b, ebuf, rs, ra_s);
}

/* ======================================================== classification */

static int rate_limited(const hub_cal_http_resp *rs)
{
	if (rs->status == 429)
		return 1;
	return rs->status == 403 &&
	       (strcmp(rs->reason, "rateLimitExceeded") == 0 ||
		strcmp(rs->reason, "userRateLimitExceeded") == 0);
}

static int map_status(long st)
{
	if (st >= 200 && st < 300)
		return HUB_CAL_OK;
	switch (st) {
	case 401:
		return HUB_CAL_EAUTH;
	case 404:
		return HUB_CAL_ENOTFOUND;
	case 409:
		return HUB_CAL_ECONFLICT;
	case 410:
		return HUB_CAL_EGONE;
	default:
		return st >= 500 ? HUB_CAL_ERETRY : HUB_CAL_EPERM;
	}
}

/* The next delay: base * 2^n capped, half fixed and half random; at least
 * a Retry-After the server sent (capped by the maximum as well). */
static int64_t backoff_ms(int n, unsigned ra_s)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	int64_t d = cfg->backoff_base_ms;
	for (int i = 0; i < n && d < cfg->backoff_max_ms; i++)
		d *= 2;
	if (d > cfg->backoff_max_ms)
		d = cfg->backoff_max_ms;
	d = d / 2 + (int64_t)(hub_cal_random() % (uint64_t)(d / 2 + 1));
	if (ra_s && (int64_t)ra_s * 1000 > d)
		d = (int64_t)ra_s * 1000;
	if (d > cfg->backoff_max_ms)
		d = cfg->backoff_max_ms;
	return d;
}

int hub_cal_http_call(const hub_cal_http_req *rq, hub_cal_http_resp *rs)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	int64_t deadline = hub_cal_mono_ms() + cfg->retry_budget_ms;
	char tok[HUB_CAL_MAX_TOKEN];
	char labels[96];
	int refreshed = 0, rc;

	memset(rs, 0, sizeof(*rs));
	snprintf(labels, sizeof(labels), "endpoint=\"%s\"", rq->endpoint);
	for (int n = 0;; n++) {
		unsigned ra = 0;
		int64_t wait;
		if (rq->token) {
			char why[200] = "";
			rc = rq->token->get(tok, sizeof(tok), why, sizeof(why));
			if (rc != HUB_CAL_OK) {
				snprintf(rs->error, sizeof(rs->error),
					 "no access token (%s): %s",
					 hub_cal_rc_name(rc), why);
				break;
			}
		}
		rc = send_once(rq, rq->token ? tok : NULL, deadline, rs, &ra);
		explicit_bzero(tok, sizeof(tok));
		if (rc == HUB_CAL_EQUOTA || rc == HUB_CAL_ENOMEM)
			break;
		if (rc == HUB_CAL_OK) {
			rs->reason[0] = '\0';
			rs->error[0] = '\0';
			if (rs->status < 200 || rs->status >= 300) {
				char msg[160];
				hub_cal_parse_error(
				    rs->body, rs->len, rs->reason,
				    sizeof(rs->reason), msg, sizeof(msg));
				snprintf(rs->error, sizeof(rs->error),
					 "HTTP %ld%s%s%s%s", rs->status,
					 rs->reason[0] ? " " : "", rs->reason,
					 msg[0] ? ": " : "", msg);
			}
			if (rs->status == 401 && rq->token && !refreshed) {
				rq->token->invalidate();
				refreshed = 1;
				continue;
			}
			if (rate_limited(rs))
				rc = HUB_CAL_ERETRY;
			else
				rc = map_status(rs->status);
			if (rc != HUB_CAL_ERETRY)
				break;
		}
		/* transient: back off and try again within the budget */
		wait = backoff_ms(n, ra);
		if (hub_cal_mono_ms() + wait + 200 >= deadline) {
			char more[64];
			snprintf(more, sizeof(more),
				 " (gave up after %d tries)", rs->attempts);
			if (strlen(rs->error) + strlen(more) <
			    sizeof(rs->error))
				strcat(rs->error, more);
			hub_cal_metric("hub_calendar_giveups_total", labels, 1);
			break;
		}
		hub_cal_metric("hub_calendar_retries_total", labels, 1);
		hub_cal_sleep_ms(wait);
	}
	return rc;
}
