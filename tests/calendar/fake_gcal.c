/*
 * fake_gcal.c - the fake Google server: civetweb set-up, routing, faults,
 * request counting and the OAuth2 token endpoint with real JWT
 * verification. The calendar data lives in fake_gcal_events.c.
 */
#define _GNU_SOURCE
#include "fake_gcal.h"

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <mbedtls/base64.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOG	   100000
#define MAX_FAULTS 64
#define MAX_TOKENS 256
#define MAX_BODY   (1024 * 1024)

struct fake_fault_rule {
	char kind[16]; /* "" = any */
	enum fake_fault fault;
	int left;
};

struct fake_gcal {
	struct mg_context *ctx;
	char api_base[96];
	char token_uri[96];
	char client_email[256];
	mbedtls_pk_context pub;
	void *store; /* fake_gcal_events.c */

	pthread_mutex_t lock; /* guards everything below */
	struct fake_fault_rule faults[MAX_FAULTS];
	int nfaults;
	unsigned hang_ms, retry_after, token_lifetime;
	char tokens[MAX_TOKENS][40];
	int ntokens;
	unsigned long token_serial;
	int64_t *arrivals; /* ms, monotonic, in arrival order */
	size_t narrivals;
	struct {
		char kind[16];
		unsigned n;
	} counts[16];
	unsigned jwt_failures;
	char *last_list_query;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ============================================================== replies */

static const char *reason_phrase(int st)
{
	switch (st) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	default:
		return "Service Unavailable";
	}
}

static void reply_raw(struct mg_connection *c, int status, const char *ctype,
		      const char *body, size_t len, size_t claimed,
		      const char *extra)
{
	mg_printf(c,
		  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
		  "%zu\r\nConnection: close\r\n%s\r\n",
		  status, reason_phrase(status), ctype, claimed,
		  extra ? extra : "");
	if (len)
		mg_write(c, body, len);
}

void fake_reply(struct mg_connection *c, int status, const char *json)
{
	size_t n = json ? strlen(json) : 0;
	reply_raw(c, status, "application/json; charset=UTF-8", json, n, n,
		  NULL);
}

void fake_reply_error(struct mg_connection *c, int status, const char *reason,
		      const char *message)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"error\":{\"code\":%d,\"message\":\"%s\",\"errors\":[{"
		 "\"domain\":\"global\",\"reason\":\"%s\",\"message\":\"%s\"}]"
		 "}}",
		 status, message, reason, message);
	fake_reply(c, status, buf);
}

/* ============================================================== faults */

static void count_request(fake_gcal *f, const char *kind)
{
	size_t i;
	pthread_mutex_lock(&f->lock);
	if (f->narrivals < MAX_LOG)
		f->arrivals[f->narrivals++] = mono_ms();
	for (i = 0; i < 16; i++) {
		if (!f->counts[i].kind[0])
			snprintf(f->counts[i].kind, sizeof(f->counts[i].kind),
				 "%s", kind);
		if (strcmp(f->counts[i].kind, kind) == 0) {
			f->counts[i].n++;
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
}

/* Takes the first queued fault matching `kind`. */
static enum fake_fault take_fault(fake_gcal *f, const char *kind)
{
	enum fake_fault r = FAKE_OK;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < f->nfaults; i++) {
		struct fake_fault_rule *q = &f->faults[i];
		if (q->left > 0 &&
		    (!q->kind[0] || strcmp(q->kind, kind) == 0)) {
			r = q->fault;
			q->left--;
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static unsigned hang_ms(fake_gcal *f)
{
	unsigned ms;
	pthread_mutex_lock(&f->lock);
	ms = f->hang_ms;
	pthread_mutex_unlock(&f->lock);
	return ms > 10000 ? 10000 : ms;
}

/* Answers a fault that replaces the normal answer. Returns 1 when it did
 * answer, 0 when the request is to be served normally. */
static int serve_fault(fake_gcal *f, struct mg_connection *c,
		       enum fake_fault fault, const char *kind)
{
	static const char malformed[] =
	    "{\"kind\":\"calendar#events\",\"items\":[{\"id\":\"abc\","
	    "\"start\":{\"dateTime\":\"2026-03-29T10:00:00+02:00\"},";
	static const char wrong_list[] =
	    "{\"items\":[{\"id\":17,\"start\":\"tomorrow\",\"end\":[]},"
	    "{\"id\":\"okid1\",\"summary\":[1,2],\"colorId\":5,"
	    "\"start\":{\"dateTime\":12},\"end\":{\"dateTime\":true}},"
	    "{\"id\":\"okid2\",\"start\":{\"date\":\"2026-02-30\"},"
	    "\"end\":{\"date\":\"2026-03-01\"}},null,\"x\",[]],"
	    "\"nextPageToken\":42,\"nextSyncToken\":{\"a\":1}}";
	static const char wrong_token[] =
	    "{\"access_token\":123,\"expires_in\":\"soon\","
	    "\"token_type\":[]}";
	static const char full[] =
	    "{\"kind\":\"calendar#events\",\"items\":[{\"id\":\"abcde\","
	    "\"status\":\"confirmed\",\"summary\":\"truncated\",\"start\":{"
	    "\"dateTime\":\"2026-03-29T10:00:00+02:00\"},\"end\":{"
	    "\"dateTime\":\"2026-03-29T11:00:00+02:00\"}}]}";
	static const char rate429[] =
	    "{\"error\":{\"code\":429,\"message\":\"Rate Limit "
	    "Exceeded\",\"errors\":[{\"reason\":\"rateLimitExceeded\"}]}}";
	char extra[64] = "";

	switch (fault) {
	case FAKE_OK:
	case FAKE_HANG_AFTER:
		return 0;
	case FAKE_429:
		pthread_mutex_lock(&f->lock);
		if (f->retry_after)
			snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
				 f->retry_after);
		pthread_mutex_unlock(&f->lock);
		reply_raw(c, 429, "application/json", rate429,
			  sizeof(rate429) - 1, sizeof(rate429) - 1, extra);
		return 1;
	case FAKE_403_RATE:
		fake_reply_error(c, 403, "rateLimitExceeded",
				 "Rate Limit Exceeded");
		return 1;
	case FAKE_403_USER:
		fake_reply_error(c, 403, "userRateLimitExceeded",
				 "User Rate Limit Exceeded");
		return 1;
	case FAKE_403_FORBID:
		fake_reply_error(c, 403, "forbidden", "Forbidden");
		return 1;
	case FAKE_400:
		fake_reply_error(c, 400, "invalid", "Invalid value");
		return 1;
	case FAKE_500:
		fake_reply_error(c, 500, "backendError", "Backend Error");
		return 1;
	case FAKE_503:
		fake_reply_error(c, 503, "backendError", "Service unavailable");
		return 1;
	case FAKE_HANG:
		usleep(hang_ms(f) * 1000u);
		fake_reply_error(c, 503, "backendError", "late");
		return 1;
	case FAKE_MALFORMED:
		reply_raw(c, 200, "application/json", malformed,
			  sizeof(malformed) - 1, sizeof(malformed) - 1, NULL);
		return 1;
	case FAKE_TRUNCATED:
		/* claims the whole body, sends a third, closes */
		reply_raw(c, 200, "application/json", full,
			  (sizeof(full) - 1) / 3, sizeof(full) - 1, NULL);
		return 1;
	case FAKE_WRONG_TYPES:
		if (strcmp(kind, "token") == 0)
			fake_reply(c, 200, wrong_token);
		else
			fake_reply(c, 200, wrong_list);
		return 1;
	case FAKE_HTML:
		reply_raw(c, 200, "text/html",
			  "<html><body>Error 502</body></html>", 35, 35, NULL);
		return 1;
	case FAKE_INVALID_GRANT:
		fake_reply(c, 400,
			   "{\"error\":\"invalid_grant\",\"error_description\":"
			   "\"Invalid JWT Signature.\"}");
		return 1;
	}
	return 0;
}

/* =========================================================== token, JWT */

/* Decodes base64url (no padding) into a new NUL-terminated buffer. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
	size_t pad = (4 - n % 4) % 4, olen = 0;
	char *std = malloc(n + pad + 1);
	unsigned char *out = malloc(n + 4);
	if (!std || !out)
		goto fail;
	for (size_t i = 0; i < n; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(std + n, '=', pad);
	std[n + pad] = '\0';
	if (mbedtls_base64_decode(out, n + 3, &olen, (unsigned char *)std,
				  n + pad) != 0)
		goto fail;
	out[olen] = '\0';
	*outlen = olen;
	free(std);
	return out;
fail:
	free(std);
	free(out);
	return NULL;
}

/* Verifies the assertion. Returns NULL when good, else the reason. */
static const char *verify_jwt(fake_gcal *f, const char *jwt)
{
	const char *d1 = strchr(jwt, '.'),
		   *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char *hdr = NULL, *clm = NULL, *sig = NULL, hash[32];
	size_t hl, cl, sl;
	cJSON *h = NULL, *c = NULL;
	const cJSON *v;
	const char *why = NULL;
	double iat, exp;

	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return "not three parts";
	hdr = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
	clm = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
	sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	if (!hdr || !clm || !sig) {
		why = "bad base64url";
		goto out;
	}
	h = cJSON_Parse((char *)hdr);
	c = cJSON_Parse((char *)clm);
	v = cJSON_GetObjectItemCaseSensitive(h, "alg");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "RS256") != 0) {
		why = "alg is not RS256";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(h, "typ");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "JWT") != 0) {
		why = "typ is not JWT";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(c, "iss");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, f->client_email)) {
		why = "wrong iss";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(c, "scope");
	if (!cJSON_IsString(v) ||
	    strcmp(v->valuestring,
		   "https://www.googleapis.com/auth/calendar") != 0) {
		why = "wrong scope";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(c, "aud");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, f->token_uri) != 0) {
		why = "wrong aud";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(c, "iat");
	iat = cJSON_IsNumber(v) ? v->valuedouble : -1;
	v = cJSON_GetObjectItemCaseSensitive(c, "exp");
	exp = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (iat <= 0 || exp <= iat || exp - iat > 3600) {
		why = "bad iat/exp";
		goto out;
	}
	if (mbedtls_sha256_ret((const unsigned char *)jwt, (size_t)(d2 - jwt),
			       hash, 0) != 0 ||
	    mbedtls_pk_verify(&f->pub, MBEDTLS_MD_SHA256, hash, sizeof(hash),
			      sig, sl) != 0)
		why = "signature does not verify";
out:
	cJSON_Delete(h);
	cJSON_Delete(c);
	free(hdr);
	free(clm);
	free(sig);
	return why;
}

static void serve_token(fake_gcal *f, struct mg_connection *c, const char *body,
			size_t len)
{
	char grant[128], *assertion = malloc(len + 1), out[256];
	const char *why = NULL;

	if (!assertion ||
	    mg_get_var(body, len, "grant_type", grant, sizeof(grant)) < 0 ||
	    strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0)
		why = "unsupported grant_type";
	else if (mg_get_var(body, len, "assertion", assertion, len + 1) <= 0)
		why = "no assertion";
	else
		why = verify_jwt(f, assertion);
	free(assertion);
	if (why) {
		pthread_mutex_lock(&f->lock);
		f->jwt_failures++;
		pthread_mutex_unlock(&f->lock);
		snprintf(out, sizeof(out),
			 "{\"error\":\"invalid_grant\",\"error_description\":"
			 "\"%s\"}",
			 why);
		fake_reply(c, 400, out);
		return;
	}
	pthread_mutex_lock(&f->lock);
	f->token_serial++;
	snprintf(f->tokens[f->ntokens % MAX_TOKENS], 40, "ya29.fake-%lu",
		 f->token_serial);
	snprintf(out, sizeof(out),
		 "{\"access_token\":\"%s\",\"expires_in\":%u,\"token_type\":"
		 "\"Bearer\"}",
		 f->tokens[f->ntokens % MAX_TOKENS], f->token_lifetime);
	f->ntokens++;
	pthread_mutex_unlock(&f->lock);
	fake_reply(c, 200, out);
}

static int token_valid(fake_gcal *f, const char *auth)
{
	int ok = 0;
	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return 0;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < f->ntokens && i < MAX_TOKENS; i++)
		if (strcmp(f->tokens[i], auth + 7) == 0)
			ok = 1;
	pthread_mutex_unlock(&f->lock);
	return ok;
}

/* ============================================================== routing */

/* Reads the whole body (at most MAX_BODY). Owned; "" when none. */
static char *read_body(struct mg_connection *c, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	int r;
	while (b && n < MAX_BODY) {
		if (n + 1024 >= cap) {
			char *p = realloc(b, cap *= 2);
			if (!p) {
				free(b);
				return NULL;
			}
			b = p;
		}
		r = mg_read(c, b + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

static int handler(struct mg_connection *c, void *ud)
{
	fake_gcal *f = ud;
	const struct mg_request_info *ri = mg_get_request_info(c);
	const char *m = ri->request_method;
	const char *uri = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
	char cal[512] = "", id[1100] = "";
	const char *kind = "other";
	size_t blen = 0;
	char *body = read_body(c, &blen);
	enum fake_fault fault;
	int is_events = 0;

	if (!body)
		body = strdup("");
	if (strcmp(uri, "/token") == 0 && strcmp(m, "POST") == 0) {
		kind = "token";
	} else if (strcmp(uri, "/calendar/v3/freeBusy") == 0 &&
		   strcmp(m, "POST") == 0) {
		kind = "freebusy";
	} else if (strncmp(uri, "/calendar/v3/calendars/", 23) == 0) {
		const char *p = uri + 23, *slash = strchr(p, '/');
		if (slash && (size_t)(slash - p) < sizeof(cal) &&
		    strncmp(slash, "/events", 7) == 0) {
			memcpy(cal, p, (size_t)(slash - p));
			cal[slash - p] = '\0';
			is_events = 1;
			if (slash[7] == '/')
				snprintf(id, sizeof(id), "%s", slash + 8);
			else if (slash[7] != '\0')
				is_events = 0;
		}
		if (is_events && !id[0])
			kind = strcmp(m, "GET") == 0	? "list"
			       : strcmp(m, "POST") == 0 ? "insert"
							: "other";
		else if (is_events)
			kind = strcmp(m, "PATCH") == 0	  ? "patch"
			       : strcmp(m, "DELETE") == 0 ? "delete"
							  : "other";
	}
	count_request(f, kind);
	fault = take_fault(f, kind);
	if (serve_fault(f, c, fault, kind))
		goto out;
	if (strcmp(kind, "token") == 0) {
		serve_token(f, c, body, blen);
		goto out;
	}
	if (strcmp(kind, "other") == 0) {
		fake_reply_error(c, 404, "notFound", "Not Found");
		goto out;
	}
	if (!token_valid(f, mg_get_header(c, "Authorization"))) {
		fake_reply_error(c, 401, "authError", "Invalid Credentials");
		goto out;
	}
	if (strcmp(kind, "list") == 0) {
		pthread_mutex_lock(&f->lock);
		free(f->last_list_query);
		f->last_list_query =
		    strdup(ri->query_string ? ri->query_string : "");
		pthread_mutex_unlock(&f->lock);
		if (fault == FAKE_HANG_AFTER)
			usleep(hang_ms(f) * 1000u);
		fake_ev_list(f, c, cal, ri->query_string);
	} else {
		if (fault == FAKE_HANG_AFTER) {
			/* the change happens, the answer comes too late */
			if (strcmp(kind, "insert") == 0)
				fake_ev_insert(f, NULL, cal, body);
			else if (strcmp(kind, "patch") == 0)
				fake_ev_patch(f, NULL, cal, id, body);
			else if (strcmp(kind, "delete") == 0)
				fake_ev_delete(f, NULL, cal, id);
			usleep(hang_ms(f) * 1000u);
			fake_reply_error(c, 503, "backendError", "late");
		} else if (strcmp(kind, "insert") == 0) {
			fake_ev_insert(f, c, cal, body);
		} else if (strcmp(kind, "patch") == 0) {
			fake_ev_patch(f, c, cal, id, body);
		} else if (strcmp(kind, "delete") == 0) {
			fake_ev_delete(f, c, cal, id);
		} else {
			fake_ev_freebusy(f, c, body);
		}
	}
out:
	free(body);
	return 1;
}

/* ============================================================ lifecycle */

static void init_library(void)
{
	mg_init_library(0);
}

fake_gcal *fake_gcal_start(const char *pubkey_pem, const char *client_email)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const char *opts[] = {
	    "listening_ports",	 "127.0.0.1:0", "num_threads", "64",
	    "enable_keep_alive", "no",		NULL};
	struct mg_callbacks cb;
	struct mg_server_port ports[2];
	pthread_mutexattr_t ma;
	fake_gcal *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_once(&once, init_library);
	pthread_mutexattr_init(&ma);
	pthread_mutex_init(&f->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	mbedtls_pk_init(&f->pub);
	f->token_lifetime = 3600;
	snprintf(f->client_email, sizeof(f->client_email), "%s", client_email);
	f->arrivals = calloc(MAX_LOG, sizeof(*f->arrivals));
	f->store = fake_ev_new();
	if (!f->arrivals || !f->store ||
	    mbedtls_pk_parse_public_keyfile(&f->pub, pubkey_pem) != 0)
		goto fail;
	memset(&cb, 0, sizeof(cb));
	f->ctx = mg_start(&cb, f, opts);
	if (!f->ctx || mg_get_server_ports(f->ctx, 2, ports) < 1)
		goto fail;
	snprintf(f->api_base, sizeof(f->api_base),
		 "http://127.0.0.1:%d/calendar/v3", ports[0].port);
	snprintf(f->token_uri, sizeof(f->token_uri),
		 "http://127.0.0.1:%d/token", ports[0].port);
	mg_set_request_handler(f->ctx, "/", handler, f);
	return f;
fail:
	fake_gcal_stop(f);
	return NULL;
}

void fake_gcal_stop(fake_gcal *f)
{
	if (!f)
		return;
	if (f->ctx)
		mg_stop(f->ctx);
	mbedtls_pk_free(&f->pub);
	fake_ev_free(f->store);
	free(f->arrivals);
	free(f->last_list_query);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

const char *fake_gcal_api_base(fake_gcal *f)
{
	return f->api_base;
}

const char *fake_gcal_token_uri(fake_gcal *f)
{
	return f->token_uri;
}

void *fake_gcal_store(fake_gcal *f)
{
	return f->store;
}

/* ============================================================ controls */

void fake_gcal_fault(fake_gcal *f, const char *kind, enum fake_fault fault,
		     int count)
{
	pthread_mutex_lock(&f->lock);
	if (f->nfaults < MAX_FAULTS) {
		struct fake_fault_rule *q = &f->faults[f->nfaults++];
		snprintf(q->kind, sizeof(q->kind), "%s", kind ? kind : "");
		q->fault = fault;
		q->left = count;
	}
	pthread_mutex_unlock(&f->lock);
}

void fake_gcal_clear_faults(fake_gcal *f)
{
	pthread_mutex_lock(&f->lock);
	f->nfaults = 0;
	pthread_mutex_unlock(&f->lock);
}

void fake_gcal_set_hang_ms(fake_gcal *f, unsigned ms)
{
	pthread_mutex_lock(&f->lock);
	f->hang_ms = ms;
	pthread_mutex_unlock(&f->lock);
}

void fake_gcal_set_retry_after(fake_gcal *f, unsigned s)
{
	pthread_mutex_lock(&f->lock);
	f->retry_after = s;
	pthread_mutex_unlock(&f->lock);
}

void fake_gcal_set_token_lifetime(fake_gcal *f, unsigned s)
{
	pthread_mutex_lock(&f->lock);
	f->token_lifetime = s;
	pthread_mutex_unlock(&f->lock);
}

void fake_gcal_revoke_tokens(fake_gcal *f)
{
	pthread_mutex_lock(&f->lock);
	f->ntokens = 0;
	pthread_mutex_unlock(&f->lock);
}

unsigned fake_gcal_requests(fake_gcal *f, const char *kind)
{
	unsigned n = 0;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < 16 && f->counts[i].kind[0]; i++)
		if (!kind || strcmp(f->counts[i].kind, kind) == 0)
			n += f->counts[i].n;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned fake_gcal_max_in_window(fake_gcal *f, unsigned window_ms)
{
	size_t lo = 0, best = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t hi = 0; hi < f->narrivals; hi++) {
		while (f->arrivals[hi] - f->arrivals[lo] >= (int64_t)window_ms)
			lo++;
		if (hi - lo + 1 > best)
			best = hi - lo + 1;
	}
	pthread_mutex_unlock(&f->lock);
	return (unsigned)best;
}

unsigned fake_gcal_jwt_failures(fake_gcal *f)
{
	unsigned n;
	pthread_mutex_lock(&f->lock);
	n = f->jwt_failures;
	pthread_mutex_unlock(&f->lock);
	return n;
}

char *fake_gcal_last_list_query(fake_gcal *f)
{
	char *s;
	pthread_mutex_lock(&f->lock);
	s = strdup(f->last_list_query ? f->last_list_query : "");
	pthread_mutex_unlock(&f->lock);
	return s;
}

void fake_gcal_reset_counts(fake_gcal *f)
{
	pthread_mutex_lock(&f->lock);
	memset(f->counts, 0, sizeof(f->counts));
	f->narrivals = 0;
	f->jwt_failures = 0;
	pthread_mutex_unlock(&f->lock);
}
