/*
 * booking_feed.c - calendar feeds: a secret iCalendar URL per user.
 *
 *   GET  /api/v1/auth/me/feed         {"url"} (made on first call)
 *   POST /api/v1/auth/me/feed/rotate  {"url"} with a new token; the old
 *                                     URL stops working at once
 *   GET  /feeds/TOKEN.ics             public: RFC 5545 text of the user's
 *                                     bookings from 30 days back
 *
 * The token is HMAC-SHA256(feed key, "feed:USER:GENERATION") in hex, so the
 * URL can be shown again without being stored: the database keeps only
 * SHA-256(token) (booking_feeds.token_hash) for the lookup, and the
 * presented token is compared in constant time with the recomputed one.
 * The feed key is the secret setting `feed_key`, or else 32 random bytes
 * kept in DATA_DIR/booking-feed.key (0600, made on first start; set
 * feed_key on every server of a cluster).
 *
 * Whose bookings: consultants get their appointments (bookings whose
 * consultant is their linked consultant record); staff and admins get the
 * bookings they made. A disabled or deleted user's feed answers 404.
 */
#define _GNU_SOURCE
#include "booking_ics.h"
#include "booking_mod.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FEED_DAYS_BACK 30
#define FEED_MAX_ROWS  5000
#define TOKEN_HEX      64

static unsigned char g_key[32];
static int g_key_ok;

/* ================================================================= key */

/* Reads or creates the key file. Returns 0 or -1. */
static int key_file(const char *dir)
{
	char path[4096];
	ssize_t n = 0;
	int fd;
	snprintf(path, sizeof(path), "%s/booking-feed.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int ok =
		    getrandom(g_key, sizeof(g_key), 0) ==
			(ssize_t)sizeof(g_key) &&
		    write(fd, g_key, sizeof(g_key)) == (ssize_t)sizeof(g_key) &&
		    fsync(fd) == 0;
		close(fd);
		if (!ok)
			unlink(path);
		return ok ? 0 : -1;
	}
	if (errno != EEXIST)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, g_key, sizeof(g_key));
		close(fd);
	}
	return n == (ssize_t)sizeof(g_key) ? 0 : -1;
}

int booking_feed_init(hub_ctx *ctx, const hub_api *api)
{
	const char *k = api->setting_str(ctx, "feed_key");
	const char *dir = api->server_setting("data_dir");
	if (k && *k) {
		if (strlen(k) < 32) {
			api->log(ctx, HUB_LOG_ERROR,
				 "feed_key: must be at least 32 characters");
			return -1;
		}
		mbedtls_sha256_ret((const unsigned char *)k, strlen(k), g_key,
				   0);
		g_key_ok = 1;
		return 0;
	}
	g_key_ok = key_file(dir && *dir ? dir : "data") == 0;
	if (!g_key_ok)
		api->log(ctx, HUB_LOG_WARN,
			 "calendar feeds off: cannot read or create "
			 "booking-feed.key in the data directory: %s",
			 strerror(errno));
	return 0;
}

void booking_feed_shutdown(void)
{
	mbedtls_platform_zeroize(g_key, sizeof(g_key));
	g_key_ok = 0;
}

/* ============================================================== tokens */

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* The token of (user, generation) into out[TOKEN_HEX + 1]. */
static void token_of(int64_t user, int64_t gen, char *out)
{
	char msg[64];
	unsigned char mac[32];
	snprintf(msg, sizeof(msg), "feed:%lld:%lld", (long long)user,
		 (long long)gen);
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), g_key,
			sizeof(g_key), (const unsigned char *)msg, strlen(msg),
			mac);
	hex(mac, sizeof(mac), out);
}

static void hash_of(const char *token, char out[65])
{
	unsigned char h[32];
	mbedtls_sha256_ret((const unsigned char *)token, strlen(token), h, 0);
	hex(h, sizeof(h), out);
}

/* Constant-time equality of two strings of equal length n. */
static int ct_eq(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* ============================================================= storage */

typedef struct feed_tx {
	hub_req *req;
	int64_t user;
	int rotate;
	char token[TOKEN_HEX + 1];
} feed_tx;

/* Reads or makes (rotate: renews) the user's row; fills t->token. */
static int feed_fn(hub_db *db, void *ud)
{
	feed_tx *t = ud;
	hub_stmt *st = NULL;
	int64_t gen = 0;
	char hash[65], stored[65] = "";
	int rc = hubkit_prepare(BOOKING_SQL, db,
				"SELECT generation, token_hash FROM "
				"booking_feeds WHERE user_id = ?",
				(hubkit_arg[]){HUBKIT_INT(t->user)}, 1, &st);
	if (rc == HUB_DB_OK &&
	    (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		gen = BOOKING_API->col_int(st, 0);
		snprintf(stored, sizeof(stored), "%s",
			 BOOKING_API->col_text(st, 1));
		rc = HUB_DB_OK;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_OK;
	}
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_OK)
		return rc;
	if (gen == 0 || t->rotate)
		gen++;
	token_of(t->user, gen, t->token);
	hash_of(t->token, hash);
	if (strcmp(hash, stored) == 0)
		return HUB_DB_OK;
	{
		hubkit_arg a[] = {HUBKIT_INT(t->user), HUBKIT_INT(gen),
				  HUBKIT_TEXT(hash), HUBKIT_INT(time(NULL))};
		rc = hubkit_prepare(
		    BOOKING_SQL, db,
		    "INSERT INTO booking_feeds (user_id, generation, "
		    "token_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT "
		    "(user_id) DO UPDATE SET generation = excluded.generation, "
		    "token_hash = excluded.token_hash, created_at = "
		    "excluded.created_at",
		    a, 4, &st);
	}
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE ? HUB_DB_OK
							       : HUB_DB_ERROR;
	BOOKING_API->stmt_finalize(st);
	if (rc == HUB_DB_OK && t->rotate)
		rc = BOOKING_API->audit(t->req, db, "feed.rotate", "feed",
					"calendar feed token replaced") == 0
			 ? HUB_DB_OK
			 : HUB_DB_ERROR;
	return rc;
}

/* ============================================================ handlers */

/* Answers {"url"} for the signed-in user (rotating first when asked). */
static int reply_url(hub_req *req, int rotate)
{
	const char *pub = BOOKING_API->server_setting("public_url");
	const char *host = BOOKING_API->req_header(req, "Host");
	hub_db *db = BOOKING_API->db();
	feed_tx t = {0};
	booking_buf b;
	hub_user u;
	size_t n;
	int rc;

	if (booking_req_user(req, &u) != 0)
		return 0;
	if (!g_key_ok)
		return BOOKING_API->reply_error(req, 503, "feeds_unavailable",
						"calendar feeds are not set up "
						"(no feed key)",
						NULL);
	t.req = req;
	t.user = u.id;
	t.rotate = rotate;
	rc = db ? BOOKING_API->db_transaction(db, feed_fn, &t) : HUB_DB_ERROR;
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"url\":");
	{
		booking_buf url;
		booking_buf_init(&url);
		if (pub && *pub) {
			n = strlen(pub);
			while (n > 0 && pub[n - 1] == '/')
				n--;
			booking_buf_put(&url, pub, n);
		} else if (host && *host && !strpbrk(host, " \"\\/<>")) {
			booking_buf_printf(&url, "http://%s", host);
		}
		booking_buf_printf(&url, "/feeds/%s.ics", t.token);
		booking_buf_json_str(&b, url.oom ? "" : url.p);
		booking_buf_free(&url);
	}
	booking_buf_puts(&b, "}");
	mbedtls_platform_zeroize(t.token, sizeof(t.token));
	return booking_reply_buf(req, 200, &b);
}

int booking_h_feed_get(hub_req *req, void *ud)
{
	(void)ud;
	return reply_url(req, 0);
}

int booking_h_feed_rotate(hub_req *req, void *ud)
{
	(void)ud;
	return reply_url(req, 1);
}

/* The user whose feed `file` ("TOKEN.ics") is, or -1. */
static int64_t feed_owner(hub_db *db, const char *file)
{
	char token[TOKEN_HEX + 1], hash[65], want[TOKEN_HEX + 1];
	hub_stmt *st = NULL;
	int64_t user = -1, gen = 0;
	size_t n = file ? strlen(file) : 0;
	if (!g_key_ok || n != TOKEN_HEX + 4 ||
	    strcmp(file + TOKEN_HEX, ".ics") != 0 ||
	    strspn(file, "0123456789abcdef") != TOKEN_HEX)
		return -1;
	memcpy(token, file, TOKEN_HEX);
	token[TOKEN_HEX] = 0;
	hash_of(token, hash);
	if (hubkit_prepare(BOOKING_SQL, db,
			   "SELECT user_id, generation FROM booking_feeds "
			   "WHERE token_hash = ?",
			   (hubkit_arg[]){HUBKIT_TEXT(hash)}, 1,
			   &st) == HUB_DB_OK &&
	    BOOKING_API->stmt_step(st) == HUB_DB_ROW) {
		user = BOOKING_API->col_int(st, 0);
		gen = BOOKING_API->col_int(st, 1);
	}
	BOOKING_API->stmt_finalize(st);
	if (user < 0)
		return -1;
	token_of(user, gen, want);
	return ct_eq(want, token, TOKEN_HEX) ? user : -1;
}

/* Appends the VEVENTs of u's bookings; returns a HUB_DB_* code. */
static int feed_events(hub_db *db, const hub_user *u, booking_buf *b,
		       const char *domain, int berlin)
{
	int consultant = u->role == HUB_ROLE_CONSULTANT;
	int64_t since = (int64_t)time(NULL) - FEED_DAYS_BACK * 86400LL;
	hubkit_arg a[] = {consultant ? HUBKIT_INT(u->consultant_id)
				     : HUBKIT_TEXT(u->username),
			  HUBKIT_INT(since), HUBKIT_INT(FEED_MAX_ROWS)};
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    consultant ? "SELECT " BOOKING_DB_COLS
			 "WHERE b.consultant_id = ? AND b.slot_end >= ? "
			 "ORDER BY b.slot_start, b.id LIMIT ?"
		       : "SELECT " BOOKING_DB_COLS
			 "WHERE b.booked_by = ? AND b.slot_end >= ? "
			 "ORDER BY b.slot_start, b.id LIMIT ?",
	    a, 3, &st);
	int64_t now = (int64_t)time(NULL);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		booking_row r;
		booking_db_read(st, &r);
		/* DTSTAMP: the last change, so the text (and its ETag) only
		 * changes when a booking does */
		booking_ics_event(b, &r, domain, berlin,
				  r.updated_at > 0 ? r.updated_at : now);
		rc = HUB_DB_OK;
	}
	BOOKING_API->stmt_finalize(st);
	return rc == HUB_DB_DONE || rc == HUB_DB_OK ? HUB_DB_OK : rc;
}

/* The UID domain: the host of public_url, else "business-hub". */
static void uid_domain(char *out, size_t outlen)
{
	const char *pub = BOOKING_API->server_setting("public_url");
	const char *p = pub ? strstr(pub, "://") : NULL;
	size_t n;
	if (!p) {
		snprintf(out, outlen, "business-hub");
		return;
	}
	p += 3;
	n = strcspn(p, ":/?#");
	snprintf(out, outlen, "%.*s", (int)n, p);
	if (!out[0])
		snprintf(out, outlen, "business-hub");
}

int booking_h_feed_ics(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	const char *inm = BOOKING_API->req_header(req, "If-None-Match");
	const char *tz = BOOKING_API->server_setting("timezone");
	int berlin = !tz || !*tz || strcmp(tz, "Europe/Berlin") == 0;
	char domain[128], name[128], etag[40];
	unsigned char h[32];
	booking_buf b;
	hub_user u;
	int64_t user;
	int rc;
	(void)ud;
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	user = feed_owner(db, BOOKING_API->req_param(req, "file"));
	if (user < 0 || !HUB_API_HAS(BOOKING_API, user_get) ||
	    BOOKING_API->user_get(user, &u) != 0)
		return BOOKING_API->reply_error(req, 404, "not_found",
						"no such feed", NULL);
	uid_domain(domain, sizeof(domain));
	snprintf(name, sizeof(name), "Business Hub: %s", u.username);
	booking_buf_init(&b);
	booking_ics_begin(&b, name, berlin);
	rc = feed_events(db, &u, &b, domain, berlin);
	booking_ics_end(&b);
	if (rc != HUB_DB_OK || b.oom) {
		booking_buf_free(&b);
		return booking_reply_db_error(req, db, rc);
	}
	mbedtls_sha256_ret((const unsigned char *)b.p, b.len, h, 0);
	etag[0] = '"';
	hex(h, 16, etag + 1);
	strcat(etag, "\"");
	BOOKING_API->reply_header(req, "ETag", etag);
	BOOKING_API->reply_header(req, "Cache-Control", "private, max-age=300");
	if (inm && strstr(inm, etag)) {
		booking_buf_free(&b);
		return BOOKING_API->reply(req, 304, NULL, NULL, 0);
	}
	BOOKING_API->reply(req, 200, "text/calendar; charset=utf-8", b.p,
			   b.len);
	booking_buf_free(&b);
	return 0;
}
