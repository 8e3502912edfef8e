/*
 * wh_send.c - signing and sending webhook deliveries, and the delivery
 * job.
 *
 * Signatures follow the Standard Webhooks convention: the secret is
 * "whsec_" + base64 of the key bytes; webhook-signature is "v1," + base64
 * of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"). The
 * webhook-id stays the same across retries (receivers deduplicate by it);
 * webhook-timestamp is the time of the attempt, so a retry hours later
 * still passes a receiver's freshness check.
 *
 * The job sends, in id order, the rows that are due and first in their
 * queue (no earlier pending row of the same endpoint and subject, e.g. one
 * booking), so the receiver sees each subject's events in order and a
 * stuck queue holds back nothing else; it passes again while passes
 * deliver something. Failures (no 2xx answer, time-out, refused target) move
 * next_attempt_at out exponentially (retry_first_s doubling up to
 * retry_max_s); retry_for_s after the event the row is given up
 * ("failed") and later rows of the subject go ahead. No transaction is
 * open while a request is in flight.
 */
#define _GNU_SOURCE
#include "hooks/wh_internal.h"

#include "base/log.h"
#include "identity/identity.h"
#include "store/store.h"

#include <curl/curl.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH	      200 /* rows per pass */
#define OUTAGE_STREAK 3	  /* failures at one endpoint: skip it this run */
#define PASS_BUDGET_S 30  /* passes of one run start within this */
#define KEEP_S	      (30 * 86400) /* delivered/failed rows kept */

/* ============================================================= signing */

int wh_secret_new(char out[64])
{
	unsigned char key[32];
	size_t n = 0;
	int rc = -1;
	memcpy(out, "whsec_", 6);
	if (hub_random(key, sizeof(key)) == 0 &&
	    mbedtls_base64_encode((unsigned char *)out + 6, 64 - 6, &n, key,
				  sizeof(key)) == 0)
		rc = 0;
	out[rc == 0 ? 6 + n : 0] = 0;
	mbedtls_platform_zeroize(key, sizeof(key));
	return rc;
}

int wh_sign(const char *secret, const char *msg_id, int64_t ts,
	    const char *body, char *out, size_t outlen)
{
	const mbedtls_md_info_t *md =
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t c;
	unsigned char key[128], mac[32];
	char tsbuf[24];
	size_t klen = 0, n = 0;
	int rc = -1;

	if (!secret || strncmp(secret, "whsec_", 6) != 0 || outlen < 4 ||
	    mbedtls_base64_decode(key, sizeof(key), &klen,
				  (const unsigned char *)secret + 6,
				  strlen(secret + 6)) != 0)
		return -1;
	snprintf(tsbuf, sizeof(tsbuf), "%lld", (long long)ts);
	mbedtls_md_init(&c);
	if (mbedtls_md_setup(&c, md, 1) == 0 &&
	    mbedtls_md_hmac_starts(&c, key, klen) == 0 &&
	    mbedtls_md_hmac_update(&c, (const unsigned char *)msg_id,
				   strlen(msg_id)) == 0 &&
	    mbedtls_md_hmac_update(&c, (const unsigned char *)".", 1) == 0 &&
	    mbedtls_md_hmac_update(&c, (const unsigned char *)tsbuf,
				   strlen(tsbuf)) == 0 &&
	    mbedtls_md_hmac_update(&c, (const unsigned char *)".", 1) == 0 &&
	    mbedtls_md_hmac_update(&c, (const unsigned char *)body,
				   strlen(body)) == 0 &&
	    mbedtls_md_hmac_finish(&c, mac) == 0) {
		memcpy(out, "v1,", 3);
		if (mbedtls_base64_encode((unsigned char *)out + 3, outlen - 3,
					  &n, mac, sizeof(mac)) == 0)
			rc = 0;
	}
	mbedtls_md_free(&c);
	mbedtls_platform_zeroize(key, sizeof(key));
	if (rc != 0)
		out[0] = 0;
	return rc;
}

/* ============================================================= sending */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n; /* the answer's body is not needed */
}

int wh_send(const char *url, const char *secret, const char *msg_id, int64_t ts,
	    const char *body, wh_result *r)
{
	const wh_config *cfg = wh_cfg();
	struct curl_slist *hdr = NULL, *res = NULL;
	char line[300], sig[64], why[200];
	wh_target t;
	CURL *c = NULL;
	long code = 0;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	if (wh_target_check(url, cfg->allow_private, &t, why, sizeof(why))) {
		snprintf(r->error, sizeof(r->error), "target refused: %s", why);
		return 0;
	}
	if (wh_sign(secret, msg_id, ts, body, sig, sizeof(sig)) != 0) {
		snprintf(r->error, sizeof(r->error), "cannot sign");
		return 0;
	}
	c = curl_easy_init();
	if (!c) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return 0;
	}
	res = curl_slist_append(res, t.resolve);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	snprintf(line, sizeof(line), "webhook-id: %s", msg_id);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)ts);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof(line), "webhook-signature: %s", sig);
	hdr = curl_slist_append(hdr, line);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "BusinessHub-Webhooks/1");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(
	    c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(cfg->timeout_ms < 5000 ? cfg->timeout_ms : 5000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	r->status = (int)code;
	if (cc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s",
			 curl_easy_strerror(cc));
	else if (code < 200 || code > 299)
		snprintf(r->error, sizeof(r->error), "answered %ld%s", code,
			 code >= 300 && code < 400 ? " (redirects are not "
						     "followed)"
						   : "");
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	curl_slist_free_all(res);
	return r->error[0] ? 0 : 1;
}

/* ================================================================= job */

/* One pending row, copied out of the statement. */
typedef struct wh_row {
	int64_t id, webhook_id, next_at, created_at;
	int attempts;
	char *subject, *msg_id, *body, *url, *secret;
} wh_row;

static void row_free(wh_row *r)
{
	free(r->subject);
	free(r->msg_id);
	free(r->body);
	free(r->url);
	if (r->secret) {
		mbedtls_platform_zeroize(r->secret, strlen(r->secret));
		free(r->secret);
	}
}

/* Reads up to BATCH rows that are due and first in their queue (no
 * earlier pending row of the same endpoint and subject), in id order, into
 * rows (*count of them, to be freed even on failure). Returns HUB_DB_OK
 * or an error. */
static int load_rows(hub_db *db, wh_row *rows, int *count)
{
	hub_stmt *st = NULL;
	int n = 0, rc;
	rc = hub_store_prepare(
	    db,
	    "SELECT d.id, d.webhook_id, d.next_attempt_at, d.created_at, "
	    "d.attempts, d.subject, d.msg_id, d.body, w.url, w.secret "
	    "FROM webhook_deliveries d JOIN webhooks w ON w.id = "
	    "d.webhook_id WHERE d.state = 'pending' AND d.next_attempt_at "
	    "<= ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE "
	    "e.webhook_id = d.webhook_id AND e.subject = d.subject AND "
	    "e.state = 'pending' AND e.id < d.id) ORDER BY d.id LIMIT ?",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, wh_now());
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, BATCH);
	while (rc == HUB_DB_OK && n < BATCH &&
	       hub_stmt_step(st) == HUB_DB_ROW) {
		wh_row *r = &rows[n];
		size_t blen = 0;
		const void *blob = hub_col_blob(st, 9, &blen);
		memset(r, 0, sizeof(*r));
		r->id = hub_col_int(st, 0);
		r->webhook_id = hub_col_int(st, 1);
		r->next_at = hub_col_int(st, 2);
		r->created_at = hub_col_int(st, 3);
		r->attempts = (int)hub_col_int(st, 4);
		r->subject = strdup(hub_col_text(st, 5));
		r->msg_id = strdup(hub_col_text(st, 6));
		r->body = strdup(hub_col_text(st, 7));
		r->url = strdup(hub_col_text(st, 8));
		r->secret = wh_secret_open(blob, blen);
		n++;
		if (!r->subject || !r->msg_id || !r->body || !r->url)
			rc = HUB_DB_ERROR;
	}
	hub_stmt_finalize(st);
	*count = n;
	return rc;
}

/* Records the attempt's result on the row. */
static int record(hub_db *db, const wh_row *r, int ok, const wh_result *res,
		  int64_t now)
{
	const wh_config *cfg = wh_cfg();
	hub_stmt *st = NULL;
	int64_t wait = cfg->retry_first_s;
	int give_up, rc;
	for (int i = 0; i < r->attempts && wait < cfg->retry_max_s; i++)
		wait *= 2;
	if (wait > cfg->retry_max_s)
		wait = cfg->retry_max_s;
	give_up = !ok && now + wait - r->created_at > (int64_t)cfg->retry_for_s;
	rc = hub_store_prepare(
	    db,
	    "UPDATE webhook_deliveries SET state = ?, attempts = attempts + "
	    "1, status_code = ?, last_error = ?, next_attempt_at = ?, "
	    "last_attempt_at = ?, delivered_at = ? WHERE id = ? AND state = "
	    "'pending'",
	    &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1,
					ok	  ? "delivered"
					: give_up ? "failed"
						  : "pending");
	if (rc == HUB_DB_OK)
		rc = res->status ? hub_stmt_bind_int(st, 2, res->status)
				 : hub_stmt_bind_null(st, 2);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 3, res->error);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 4, ok ? now : now + wait);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 5, now);
	if (rc == HUB_DB_OK)
		rc = ok ? hub_stmt_bind_int(st, 6, now)
			: hub_stmt_bind_null(st, 6);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 7, r->id);
	if (rc == HUB_DB_OK && hub_stmt_step(st) == HUB_DB_DONE)
		rc = HUB_DB_OK;
	else if (rc == HUB_DB_OK)
		rc = HUB_DB_ERROR;
	hub_stmt_finalize(st);
	return rc;
}

/* Drops delivered and given-up rows older than KEEP_S. */
static void purge(hub_db *db)
{
	hub_stmt *st = NULL;
	if (hub_store_prepare(db,
			      "DELETE FROM webhook_deliveries WHERE state <> "
			      "'pending' AND created_at < ?",
			      &st) == HUB_DB_OK &&
	    hub_stmt_bind_int(st, 1, wh_now() - KEEP_S) == HUB_DB_OK)
		hub_stmt_step(st);
	hub_stmt_finalize(st);
}

/* Failures so far in this run per endpoint (small linear table). */
typedef struct wh_down {
	int64_t webhook_id[BATCH];
	int fails[BATCH];
	int n;
} wh_down;

/* Counts a failure of endpoint id; returns its count in this run. */
static int down_add(wh_down *d, int64_t id, int add)
{
	for (int i = 0; i < d->n; i++)
		if (d->webhook_id[i] == id)
			return d->fails[i] += add;
	if (d->n == BATCH)
		return 0;
	d->webhook_id[d->n] = id;
	d->fails[d->n] = add;
	return d->n++, add;
}

/* One pass: sends the heads of the queues once. Returns the number sent
 * (>= 0) or -1 when the rows cannot be read; *failed counts failures. */
static int pass(hub_db *db, wh_down *down, int *failed)
{
	wh_row *rows = calloc(BATCH, sizeof(*rows));
	int n = 0, sent = 0, rc;
	if (!rows)
		return -1;
	rc = load_rows(db, rows, &n);
	for (int i = 0; rc == HUB_DB_OK && i < n; i++) {
		wh_result res;
		int ok;
		if (!rows[i].secret ||
		    down_add(down, rows[i].webhook_id, 0) >= OUTAGE_STREAK)
			continue;
		ok = wh_send(rows[i].url, rows[i].secret, rows[i].msg_id,
			     wh_now(), rows[i].body, &res);
		if (record(db, &rows[i], ok, &res, wh_now()) != HUB_DB_OK)
			ok = 0; /* unrecorded: sent again later (at least once)
				 */
		if (ok) {
			sent++;
		} else {
			(*failed)++;
			down_add(down, rows[i].webhook_id, 1);
		}
	}
	for (int i = 0; i < n; i++)
		row_free(&rows[i]);
	free(rows);
	return rc == HUB_DB_OK ? sent : -1;
}

int wh_job_run(void *ud, char *err, size_t errlen)
{
	hub_db *db = hub_store_db();
	wh_down *down = calloc(1, sizeof(*down));
	int64_t until = wh_now() + PASS_BUDGET_S;
	int sent = 0, failed = 0, k = 0;
	(void)ud;
	if (!db || !down) {
		free(down);
		snprintf(err, errlen, "storage unavailable");
		return -1;
	}
	/* a delivered head makes the next event of its booking the head:
	 * pass again while that makes progress */
	do {
		k = pass(db, down, &failed);
		sent += k > 0 ? k : 0;
	} while (k > 0 && wh_now() < until);
	purge(db);
	free(down);
	if (sent || failed)
		hub_logf(HUB_LOG_INFO, "webhooks",
			 "deliveries: %d sent, %d failed", sent, failed);
	if (k < 0) {
		snprintf(err, errlen, "cannot read deliveries");
		return -1;
	}
	return 0;
}
