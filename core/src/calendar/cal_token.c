/*
 * cal_token.c - the service-account credentials and the access-token
 * cache.
 *
 * The key file is read once at start-up; its private key is parsed into an
 * mbedtls context and the PEM text wiped. An access token is obtained by
 * POSTing a fresh RS256 JWT to the file's token_uri and cached until 60 s
 * before it expires (measured on the monotonic clock, so wall-clock jumps
 * do not matter). One mutex guards the cache and is held across an
 * exchange, so concurrent callers wait for one exchange instead of each
 * sending their own. An answer that rejects the credentials (invalid_grant,
 * invalid_client, unauthorized_client, 401, 403) marks them broken: the
 * health check fails and no exchange is tried again for 5 minutes.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REFRESH_MARGIN_MS 60000	 /* renew this long before expiry */
#define BROKEN_RETRY_MS	  300000 /* retry broken credentials after */
#define CREDS_MAX_FILE	  (64 * 1024)

static struct {
	pthread_mutex_t lock;  /* guards everything below */
	int ready;	       /* setup succeeded */
	hub_cal_creds creds;   /* private_key already wiped */
	mbedtls_pk_context pk; /* the signing key */
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg; /* for RSA blinding */
	char token[HUB_CAL_MAX_TOKEN]; /* cached access token, "" = none */
	int64_t token_until_ms;	       /* monotonic; refresh before this */
	int broken;		       /* Google rejected the credentials */
	int64_t broken_at_ms;	       /* monotonic */
	char broken_detail[320];
	unsigned long exchanges; /* token requests sent */
} g_tok = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Reads a whole small file into a NUL-terminated buffer. Returns 0 or -1
 * with err set. */
static int read_file(const char *path, char **out, size_t *len, char *err,
		     size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0) {
		snprintf(err, errlen, "credentials file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "credentials file %s: not a regular file",
			 path);
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size > CREDS_MAX_FILE) {
		snprintf(err, errlen, "credentials file %s: %s", path,
			 st.st_size <= 0 ? "empty" : "larger than 64 KiB");
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		hub_logf(HUB_LOG_WARN, "calendar",
			 "credentials file %s is readable by group or others; "
			 "chmod 600 it",
			 path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "credentials file %s: out of memory",
			 path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "credentials file %s: read error",
				 path);
			goto fail;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	*out = buf;
	*len = got;
	return 0;
fail:
	if (buf) {
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
	}
	close(fd);
	return -1;
}

int hub_cal_token_setup(const char *credentials_file, char *err, size_t errlen)
{
	static const unsigned char pers[] = "business-hub calendar";
	char why[200];
	char *text = NULL;
	size_t len = 0;
	int rc = -1, mrc;

	hub_cal_token_teardown();
	pthread_mutex_lock(&g_tok.lock);
	mbedtls_pk_init(&g_tok.pk);
	mbedtls_entropy_init(&g_tok.entropy);
	mbedtls_ctr_drbg_init(&g_tok.drbg);
	if (!credentials_file || !*credentials_file) {
		snprintf(err, errlen,
			 "[calendar] credentials_file is required for the "
			 "google backend");
		goto out;
	}
	if (read_file(credentials_file, &text, &len, err, errlen) != 0)
		goto out;
	if (hub_cal_creds_parse(text, len, &g_tok.creds, why, sizeof(why)) !=
	    0) {
		snprintf(err, errlen, "credentials file %s: %s",
			 credentials_file, why);
		goto out;
	}
	if (!hub_cal_url_allowed(g_tok.creds.token_uri)) {
		snprintf(err, errlen,
			 "credentials file %s: token_uri must be https:// "
			 "(plain http only on loopback)",
			 credentials_file);
		goto out;
	}
	mrc = mbedtls_pk_parse_key(
	    &g_tok.pk, (const unsigned char *)g_tok.creds.private_key,
	    strlen(g_tok.creds.private_key) + 1, NULL, 0);
	explicit_bzero(g_tok.creds.private_key,
		       strlen(g_tok.creds.private_key));
	if (mrc != 0) {
		snprintf(err, errlen,
			 "credentials file %s: private_key cannot be parsed "
			 "(mbedtls error -0x%04x)",
			 credentials_file, (unsigned)-mrc);
		goto out;
	}
	if (!mbedtls_pk_can_do(&g_tok.pk, MBEDTLS_PK_RSA) ||
	    mbedtls_pk_get_bitlen(&g_tok.pk) < 2048) {
		snprintf(err, errlen,
			 "credentials file %s: private_key must be RSA of at "
			 "least 2048 bits",
			 credentials_file);
		goto out;
	}
	if (mbedtls_ctr_drbg_seed(&g_tok.drbg, mbedtls_entropy_func,
				  &g_tok.entropy, pers,
				  sizeof(pers) - 1) != 0) {
		snprintf(err, errlen, "calendar: cannot seed the DRBG");
		goto out;
	}
	g_tok.ready = 1;
	rc = 0;
out:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	pthread_mutex_unlock(&g_tok.lock);
	if (rc != 0)
		hub_cal_token_teardown();
	return rc;
}

void hub_cal_token_teardown(void)
{
	pthread_mutex_lock(&g_tok.lock);
	if (g_tok.ready || g_tok.creds.type || g_tok.creds.client_email) {
		hub_cal_creds_clear(&g_tok.creds);
	}
	mbedtls_pk_free(&g_tok.pk);
	mbedtls_ctr_drbg_free(&g_tok.drbg);
	mbedtls_entropy_free(&g_tok.entropy);
	explicit_bzero(g_tok.token, sizeof(g_tok.token));
	g_tok.token_until_ms = 0;
	g_tok.ready = 0;
	g_tok.broken = 0;
	g_tok.broken_detail[0] = '\0';
	g_tok.exchanges = 0;
	pthread_mutex_unlock(&g_tok.lock);
}

/* True when a failed exchange means the credentials themselves are bad. */
static int rejects_credentials(const hub_cal_http_resp *rs)
{
	if (rs->status == 401 || rs->status == 403)
		return 1;
	return rs->status == 400 &&
	       (strcmp(rs->reason, "invalid_grant") == 0 ||
		strcmp(rs->reason, "invalid_client") == 0 ||
		strcmp(rs->reason, "unauthorized_client") == 0);
}

/* Sends one exchange. Lock held. Returns a hub_cal_rc with the reason
 * in why on failure. */
static int exchange_locked(char *why, size_t whylen)
{
	static const char grant[] =
	    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-"
	    "bearer&assertion=";
	hub_cal_jwt_claims c;
	hub_cal_http_req rq = {0};
	hub_cal_http_resp rs;
	char err[200], tok[HUB_CAL_MAX_TOKEN];
	char *jwt = NULL, *body = NULL;
	long expires_in = 0;
	int rc;

	c.kid = g_tok.creds.private_key_id;
	c.iss = g_tok.creds.client_email;
	c.scope = HUB_CAL_SCOPE;
	c.aud = g_tok.creds.token_uri;
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + 3600;
	if (hub_cal_jwt_sign(&g_tok.pk, mbedtls_ctr_drbg_random, &g_tok.drbg,
			     &c, &jwt, err, sizeof(err)) != 0) {
		hub_logf(HUB_LOG_ERROR, "calendar", "%s", err);
		snprintf(why, whylen, "%s", err);
		return HUB_CAL_EAUTH;
	}
	body = malloc(sizeof(grant) + strlen(jwt));
	if (!body) {
		free(jwt);
		return HUB_CAL_ENOMEM;
	}
	memcpy(body, grant, sizeof(grant) - 1);
	strcpy(body + sizeof(grant) - 1, jwt);
	free(jwt);

	rq.endpoint = "token";
	rq.method = "POST";
	rq.url = g_tok.creds.token_uri;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.content_type = "application/x-www-form-urlencoded";
	rc = hub_cal_http_call(&rq, &rs);
	g_tok.exchanges += (unsigned long)rs.attempts;
	free(body);

	if (rc == HUB_CAL_OK) {
		if (hub_cal_parse_token(rs.body, rs.len, tok, sizeof(tok),
					&expires_in, err, sizeof(err)) == 0) {
			memcpy(g_tok.token, tok, sizeof(tok));
			explicit_bzero(tok, sizeof(tok));
			g_tok.token_until_ms = hub_cal_mono_ms() +
					       expires_in * 1000 -
					       REFRESH_MARGIN_MS;
			if (g_tok.broken)
				hub_logf(HUB_LOG_INFO, "calendar",
					 "credentials accepted again");
			g_tok.broken = 0;
			hub_cal_gauge("hub_calendar_credentials_broken", 0);
		} else {
			hub_logf(HUB_LOG_WARN, "calendar", "token endpoint: %s",
				 err);
			snprintf(why, whylen, "token endpoint: %s", err);
			rc = HUB_CAL_EPARSE;
		}
	} else if (rejects_credentials(&rs)) {
		g_tok.broken = 1;
		g_tok.broken_at_ms = hub_cal_mono_ms();
		snprintf(g_tok.broken_detail, sizeof(g_tok.broken_detail),
			 "Google rejected the service-account credentials: %s",
			 rs.error);
		hub_logf(HUB_LOG_ERROR, "calendar", "%s", g_tok.broken_detail);
		hub_cal_gauge("hub_calendar_credentials_broken", 1);
		snprintf(why, whylen, "%s", g_tok.broken_detail);
		rc = HUB_CAL_EAUTH;
	} else {
		hub_logf(HUB_LOG_WARN, "calendar", "token exchange failed: %s",
			 rs.error);
		snprintf(why, whylen, "token: %s", rs.error);
		if (rc == HUB_CAL_EAUTH)
			rc = HUB_CAL_ERETRY;
	}
	hub_cal_http_resp_free(&rs);
	return rc;
}

int hub_cal_token_get(char *out, size_t outlen, char *err, size_t errlen)
{
	int rc = HUB_CAL_OK;
	pthread_mutex_lock(&g_tok.lock);
	if (!g_tok.ready) {
		snprintf(err, errlen, "no credentials loaded");
		rc = HUB_CAL_EAUTH;
	} else if (g_tok.token[0] && hub_cal_mono_ms() < g_tok.token_until_ms) {
		/* cached */
	} else if (g_tok.broken &&
		   hub_cal_mono_ms() - g_tok.broken_at_ms < BROKEN_RETRY_MS) {
		snprintf(err, errlen, "%s", g_tok.broken_detail);
		rc = HUB_CAL_EAUTH;
	} else {
		explicit_bzero(g_tok.token, sizeof(g_tok.token));
		rc = exchange_locked(err, errlen);
	}
	if (rc == HUB_CAL_OK) {
		if (strlen(g_tok.token) < outlen)
			memcpy(out, g_tok.token, strlen(g_tok.token) + 1);
		else
			rc = HUB_CAL_ENOMEM;
	}
	pthread_mutex_unlock(&g_tok.lock);
	return rc;
}

void hub_cal_token_invalidate(void)
{
	pthread_mutex_lock(&g_tok.lock);
	explicit_bzero(g_tok.token, sizeof(g_tok.token));
	g_tok.token_until_ms = 0;
	pthread_mutex_unlock(&g_tok.lock);
}

const hub_cal_token_src hub_cal_token_cache = {hub_cal_token_get,
					       hub_cal_token_invalidate};

int hub_cal_token_broken(char *detail, size_t n)
{
	int b;
	pthread_mutex_lock(&g_tok.lock);
	b = g_tok.broken;
	if (b && n)
		snprintf(detail, n, "%s", g_tok.broken_detail);
	pthread_mutex_unlock(&g_tok.lock);
	return b;
}

unsigned long hub_cal_token_exchanges(void)
{
	unsigned long n;
	pthread_mutex_lock(&g_tok.lock);
	n = g_tok.exchanges;
	pthread_mutex_unlock(&g_tok.lock);
	return n;
}
