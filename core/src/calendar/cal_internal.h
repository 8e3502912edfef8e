/*
 * cal_internal.h - what the files of core/src/calendar share: settings,
 * result codes, the quota governor, the HTTP transport, the token cache,
 * the Google client, the backend table, the mirror, sync and outbox.
 * Nothing outside core/src/calendar (and its tests) includes this.
 *
 * Layout
 *   calendar.c    state: settings, backend, known ids, metrics, clock
 *   cal_start.c   init and shutdown
 *   cal_util.c    small utilities (no state)
 *   cal_host.c    hub_cal_init from the host config, register, health
 *   cal_quota.c   sliding-window governor shared by every thread
 *   cal_http.c    libcurl transport: timeouts, retries, backoff
 *   cal_token.c   credentials, access-token cache
 *   cal_jwt.c     base64url and the RS256-signed JWT
 *   cal_google.c  Calendar v3 calls and the `google` backend
 *   cal_local.c   the `local` backend (no external calendar)
 *   cal_mirror.c  tables, migrations, hub_cal_events
 *   cal_sync.c    the sync job
 *   cal_outbox.c  hub_cal_outbox_put and the delivery job
 *   cal_gparse.c, cal_creds.c  parsers (cal_parse.h)
 */
#ifndef HUB_CAL_INTERNAL_H
#define HUB_CAL_INTERNAL_H

#include "calendar/cal_parse.h"
#include "calendar/calendar.h"

#include <mbedtls/pk.h>
#include <stdint.h>

/* ========================================================= result codes */

enum hub_cal_rc {
	HUB_CAL_OK = 0,
	HUB_CAL_ERETRY = -1,	/* transient: network, timeout, 429, 5xx */
	HUB_CAL_EPERM = -2,	/* a 4xx that repeating will not fix */
	HUB_CAL_ENOTFOUND = -3, /* 404 */
	HUB_CAL_ECONFLICT = -4, /* 409 */
	HUB_CAL_EGONE = -5,	/* 410 */
	HUB_CAL_EAUTH = -6,	/* credentials broken (invalid_grant, 401) */
	HUB_CAL_EPARSE = -7,	/* an answer we could not read */
	HUB_CAL_EQUOTA = -8,	/* our own per-minute budget is spent */
	HUB_CAL_ENOMEM = -9
};

/* A short name for a result code ("retry", "quota", ...). Static. */
const char *hub_cal_rc_name(int rc);

/* True for results worth trying again later (outbox backoff). */
int hub_cal_rc_transient(int rc);

/* ============================================================= settings */

typedef struct hub_cal_config {
	char backend[16];	       /* "local" or "google" */
	char api_base[512];	       /* no trailing slash */
	char credentials_file[4096];   /* google only */
	char central_calendar_id[256]; /* "" = none */
	unsigned quota_per_minute;     /* 180; token exchanges included */
	unsigned sync_interval_s;      /* 120 */
	unsigned outbox_interval_s;    /* 10 */
	unsigned request_timeout_ms;   /* one HTTP exchange, 10000 */
	unsigned connect_timeout_ms;   /* 5000 */
	unsigned retry_budget_ms;      /* one call incl. retries, 20000 */
	unsigned backoff_base_ms;      /* first retry delay, 500 */
	unsigned backoff_max_ms;       /* 8000 */
	unsigned quota_wait_ms;	       /* longest wait for a quota place */
	unsigned page_size;	       /* events.list maxResults, 250 */
	unsigned sync_past_days;       /* full-sync window start, 35 */
	unsigned sync_future_days;     /* full-sync window end, 70 */
	unsigned full_sync_every_s;    /* refresh the window, 86400 */
	unsigned backlog_warn_s;       /* health degraded above, 600 */
	unsigned outbox_retry_max_s;   /* outbox backoff cap, 900 */
	unsigned calendar_idle_days;   /* stop syncing unused ids, 14 */

	/* backend "caldav" (see cal_caldav.h) */
	char caldav_url[512];		 /* the server's base URL */
	char caldav_username[128];	 /* Basic auth user */
	char caldav_password_file[4096]; /* its first line is the password */
} hub_cal_config;

/* The defaults listed above. */
void hub_cal_config_defaults(hub_cal_config *c);

/* Starts the service with explicit settings (hub_cal_init reads them from
 * the host configuration and calls this). Not thread-safe: before
 * threads. Returns 0, or -1 with a reason in err. */
int hub_cal_init_with(const hub_cal_config *c, char *err, size_t errlen);

/* 1 when `url` may be used: https://, or plain http:// to a loopback
 * host (the fake server of the tests, a local proxy). */
int hub_cal_url_allowed(const char *url);

/* The active settings (borrowed, valid until hub_cal_shutdown). */
const hub_cal_config *hub_cal_cfg(void);

/* 1 after a successful init, until shutdown. */
int hub_cal_ready(void);

/* Keeps the host's metric_add and the scheduler owner name of our jobs
 * (hub_cal_register). */
void hub_cal_set_host(void (*metric_add)(const char *, const char *, double),
		      const char *owner);
const char *hub_cal_owner(void);

/* The in-memory set of calendar ids asked for through hub_cal_events
 * (so the request path never writes): returns 2 when `id` is new to this
 * process, 1 when it was last marked an hour or more ago, 0 otherwise; in
 * the first two cases the id is marked to be written to cal_calendars.
 * Thread-safe. */
int hub_cal_seen(const char *id, int64_t now);
/* Takes the marked ids (clearing the marks): *ids is an owned array of
 * owned strings (hub_cal_ids_free). Returns the count. */
int hub_cal_seen_take(char ***ids);
/* Marks `id` again (its write failed). */
void hub_cal_seen_dirty(const char *id);

/* ============================================================ utilities */

int64_t hub_cal_mono_ms(void); /* monotonic milliseconds */
int64_t hub_cal_now(void);     /* wall clock, UTC seconds */
uint64_t hub_cal_random(void); /* thread-safe, not for secrets */
/* Sleeps `ms` (<= 0: no sleep). */
void hub_cal_sleep_ms(int64_t ms);

/* The Google event id the outbox uses for `hub_key`: "hub" followed by
 * the first 40 lower-case hex digits of SHA-256(hub_key). Hex digits are
 * base32hex characters, so the id is valid for events.insert. out must
 * hold 44 bytes. */
void hub_cal_event_id_for(const char *hub_key, char *out);
#define HUB_CAL_EVENT_ID_LEN 44

/* Counter `name{labels}` += delta through the host's metric_add (a no-op
 * before hub_cal_register). */
void hub_cal_metric(const char *name, const char *labels, double delta);
/* Sets gauge `name` to value (kept as a counter moved by differences). */
void hub_cal_gauge(const char *name, double value);

/* ======================================================= quota governor */

/* Sets the budget: at most `limit` sends in any window of `window_ms`.
 * Before threads. Returns 0 or -1. */
int hub_cal_quota_setup(unsigned limit, unsigned window_ms);
void hub_cal_quota_teardown(void);

/* Takes one place, waiting until `deadline_ms` (monotonic) at the latest.
 * Returns 0 with *slot set, or HUB_CAL_EQUOTA. Pair with release, which
 * stamps the place with the time the exchange ENDED: the place is free
 * again one window after that, so the server side, which sees each request
 * somewhere between acquire and release, never counts more than `limit`
 * in any window either. */
int hub_cal_quota_acquire(int64_t deadline_ms, int *slot);
void hub_cal_quota_release(int slot);

/* Places in use now (in flight or stamped within the window). */
unsigned hub_cal_quota_in_use(void);
unsigned hub_cal_quota_limit(void);

/* ========================================================= HTTP transport */

/* Where an authorised request gets its access token: get copies it into
 * out (HUB_CAL_OK, or an error with the reason in why); invalidate drops
 * a token the server refused, so the next get fetches a fresh one. */
typedef struct hub_cal_token_src {
	int (*get)(char *out, size_t outlen, char *why, size_t whylen);
	void (*invalidate)(void);
} hub_cal_token_src;

typedef struct hub_cal_http_req {
	const char *endpoint; /* metric label, e.g. "events.list" */
	const char *method;   /* GET, POST, PATCH, DELETE */
	const char *url;      /* full URL */
	const char *body;     /* NULL for none */
	size_t body_len;
	const char *content_type; /* for the body */
	/* Authorization: Bearer from here; NULL = none */
	const hub_cal_token_src *token;
} hub_cal_http_req;

typedef struct hub_cal_http_resp {
	long status; /* HTTP status; 0 when no answer arrived */
	char *body;  /* owned, NUL-terminated ("" when empty) */
	size_t len;
	int attempts;	 /* sends made */
	char reason[64]; /* Google error reason, e.g. "rateLimitExceeded" */
	char error[256]; /* why it failed, for logs and last_error */
} hub_cal_http_resp;

/* curl_global_init, once, before threads. Returns 0 or -1. */
int hub_cal_http_global_init(void);
void hub_cal_http_global_cleanup(void);

/* Sends `rq` through the quota governor with timeouts, retrying rate
 * limits (429, 403 rate*LimitExceeded) and 5xx with exponential backoff
 * and jitter within the retry budget; with a token source it fetches the
 * access token first and on a 401 refreshes it once. Returns HUB_CAL_OK for
 * 2xx, else the mapped code; *rs is filled in either case and must be released
 * with hub_cal_http_resp_free. */
int hub_cal_http_call(const hub_cal_http_req *rq, hub_cal_http_resp *rs);
void hub_cal_http_resp_free(hub_cal_http_resp *rs);

/* Releases the calling thread's CURL handle (also done at thread exit). */
void hub_cal_http_thread_cleanup(void);

/* =================================================== credentials, token */

/* Reads and checks the key file, parses the private key and seeds the
 * DRBG. Returns 0, or -1 with a reason (never key material) in err. */
int hub_cal_token_setup(const char *credentials_file, char *err, size_t errlen);
void hub_cal_token_teardown(void);

/* Copies a valid access token into out (exchanging a fresh JWT at
 * token_uri when none is cached or it expires within 60 s). Thread-safe;
 * one exchange at a time. Returns 0, HUB_CAL_EAUTH (credentials broken:
 * no request is sent again for 5 minutes), or a transient code with the
 * reason in err. */
int hub_cal_token_get(char *out, size_t outlen, char *err, size_t errlen);

/* Forgets the cached token (after a 401). */
void hub_cal_token_invalidate(void);
/* The two above as a token source for hub_cal_http_req. */
extern const hub_cal_token_src hub_cal_token_cache;

/* 1 when Google rejected the credentials, with a detail; 0 otherwise. */
int hub_cal_token_broken(char *detail, size_t n);

/* The number of token exchanges sent so far (tests, metrics). */
unsigned long hub_cal_token_exchanges(void);

/* ------------------------------------------------------------------ JWT */

/* Base64url without padding. Returns the length written (NUL added), or 0
 * when out is too small. */
size_t hub_cal_b64url(const unsigned char *in, size_t n, char *out,
		      size_t outlen);

typedef struct hub_cal_jwt_claims {
	const char *kid;   /* private_key_id, "" to omit */
	const char *iss;   /* client_email */
	const char *scope; /* space separated */
	const char *aud;   /* token_uri */
	int64_t iat;
	int64_t exp; /* <= iat + 3600 */
} hub_cal_jwt_claims;

/* Builds header.claims.signature signed RS256 with `pk`. *out is owned
 * (free()). Returns 0 or -1 with err set. */
int hub_cal_jwt_sign(mbedtls_pk_context *pk,
		     int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		     const hub_cal_jwt_claims *c, char **out, char *err,
		     size_t errlen);

#define HUB_CAL_SCOPE "https://www.googleapis.com/auth/calendar"

/* ======================================================== Google client */

typedef struct hub_cal_list_opts {
	const char *sync_token; /* incremental sync; excludes the three below */
	int64_t time_min;	/* 0 = unset */
	int64_t time_max;	/* 0 = unset */
	int order_by_start;	/* orderBy=startTime (no sync token comes) */
	unsigned max_results;	/* per page; 0 = settings page_size */
} hub_cal_list_opts;

/* events.list with singleEvents=true over every page into *out (cleared
 * first). Returns HUB_CAL_OK, HUB_CAL_EGONE (sync token expired), or
 * another code with err set. */
int hub_cal_g_list(const char *calendar_id, const hub_cal_list_opts *o,
		   hub_cal_page *out, char *err, size_t errlen);

/* events.insert of `body` (an event resource that carries its "id").
 * Returns HUB_CAL_OK, HUB_CAL_ECONFLICT (id exists) or another code. */
int hub_cal_g_insert(const char *calendar_id, const char *body, char *err,
		     size_t errlen);
/* events.patch. HUB_CAL_ENOTFOUND when the event does not exist. */
int hub_cal_g_patch(const char *calendar_id, const char *event_id,
		    const char *body, char *err, size_t errlen);
/* events.delete; an event already gone (404, 410) counts as deleted. */
int hub_cal_g_delete(const char *calendar_id, const char *event_id, char *err,
		     size_t errlen);
/* freeBusy.query for one calendar. *out owned (free()). */
int hub_cal_g_freebusy(const char *calendar_id, int64_t from_utc,
		       int64_t to_utc, hub_cal_busy **out, size_t *n, char *err,
		       size_t errlen);

/* ============================================================= backends */

/* What a calendar backend provides. `remote` backends are mirrored by the
 * sync job and written by the outbox job; others need neither. */
typedef struct hub_cal_backend_ops {
	const char *name;
	int remote;
	/* Full (sync_token NULL: window [tmin, tmax)) or incremental list;
	 * HUB_CAL_EGONE when the token is no longer valid. */
	int (*list)(const char *calendar_id, const char *sync_token,
		    int64_t tmin, int64_t tmax, hub_cal_page *out, char *err,
		    size_t errlen);
	/* Creates or updates event `event_id` idempotently from the JSON
	 * resource `event_json`; `known` hints that it was written before. */
	int (*upsert)(const char *calendar_id, const char *event_id,
		      const char *hub_key, const char *event_json, int known,
		      char *err, size_t errlen);
	/* Deletes; an event already gone is success. */
	int (*remove)(const char *calendar_id, const char *event_id, char *err,
		      size_t errlen);
} hub_cal_backend_ops;

extern const hub_cal_backend_ops hub_cal_ops_google;
extern const hub_cal_backend_ops hub_cal_ops_local;
/* hub_cal_ops_caldav: see cal_caldav.h */

/* The active backend (NULL before init). */
const hub_cal_backend_ops *hub_cal_be(void);

/* Start-up's hands on the state (cal_start.c only, before threads): the
 * settings (api_base loses trailing slashes), the backend (NULL = none),
 * ready, and back to nothing (known ids, gauges, host hooks). */
void hub_cal_state_configure(const hub_cal_config *c);
void hub_cal_state_backend(const hub_cal_backend_ops *be);
void hub_cal_state_ready(void);
void hub_cal_state_reset(void);
/* The quota window: the test hook's, else one minute. */
unsigned hub_cal_quota_window_ms(void);

/* Builds the body the outbox sends: `event_json` (an object) plus "id"
 * (when for_insert), extendedProperties.private.hub_key and, on update,
 * status "confirmed" unless given. Owned (free()); NULL when event_json
 * is not a JSON object. */
char *hub_cal_event_body(const char *event_json, const char *event_id,
			 const char *hub_key, int for_insert);

/* =============================================================== mirror */

/* Replaces (full) or updates (incremental) the mirror of `calendar_id`
 * with `page` and stores its sync token, in one transaction on `db`.
 * Returns HUB_DB_OK or a HUB_DB_* error. */
int hub_cal_mirror_apply(hub_db *db, const char *calendar_id,
			 const hub_cal_page *page, int full);

/* Records a failed sync of `calendar_id`. */
int hub_cal_mirror_fail(hub_db *db, const char *calendar_id, const char *msg);

/* Reads the sync state. token gets "" when none. Returns HUB_DB_OK,
 * HUB_DB_ENOTFOUND or an error. */
int hub_cal_mirror_state(hub_db *db, const char *calendar_id, char *token,
			 size_t tokenlen, int64_t *last_full_sync);

/* Writes the ids hub_cal_events saw into cal_calendars (first_seen,
 * last_seen). Returns HUB_DB_OK or the first error (failed ids are kept
 * for the next try). */
int hub_cal_mirror_flush_ids(hub_db *db);

/* The job "calendar_ids" (every server of a cluster): flushes the ids. */
int hub_cal_ids_run(void *ud, char *err, size_t errlen);

/* Calendar ids the sync job mirrors: the central one and every id asked
 * for through hub_cal_events within calendar_idle_days. *ids is an owned
 * array of owned strings (hub_cal_ids_free). Returns the count or -1. */
int hub_cal_mirror_ids(hub_db *db, char ***ids);
void hub_cal_ids_free(char **ids, int n);

/* ===================================================== cal_mirror_copy.c */

/* The key of a copy of hub_cal_events_many's answer (see the file). */
typedef struct hub_cal_copy_keybuf {
	char key[1024]; /* "" = not to be copied */
	unsigned ttl_s;
} hub_cal_copy_keybuf;

/* Says the mirror changed (call after the change committed): bumps the
 * copies' version and invalidates them on every server. Cannot fail. */
void hub_cal_mirror_changed(void);

/* Makes the key for ids[0..n) and [from_utc, to_utc) into k; call it
 * before reading the mirror. Returns 0, or -1 (k->key "") when the answer
 * may not be copied (PostgreSQL without the Redis listener, or the ids do
 * not fit a key). */
int hub_cal_copy_key(const char *const *ids, int n, int64_t from_utc,
		     int64_t to_utc, hub_cal_copy_keybuf *k);

/* Fills buf/first/counts (as hub_cal_events_many) from the copy under k.
 * Returns the number of events, or -1 when there is no whole copy that
 * fits cap. */
int hub_cal_copy_get(const hub_cal_copy_keybuf *k, int n, hub_cal_event *buf,
		     int cap, int *first, int *counts);

/* Keeps a copy of a whole answer (total <= cap) under k; does nothing
 * for a key of "" or when memory is short. */
void hub_cal_copy_put(const hub_cal_copy_keybuf *k, int n, int total,
		      const hub_cal_event *buf, int cap, const int *first,
		      const int *counts);

/* ======================================================== jobs, health */

/* The sync job: mirrors every calendar. Returns 0, or -1 with err set
 * when any calendar failed (the others are still synced). */
int hub_cal_sync_run(void *ud, char *err, size_t errlen);

/* The outbox delivery job. Returns 0, or -1 with err set. */
int hub_cal_outbox_run(void *ud, char *err, size_t errlen);

typedef struct hub_cal_backlog {
	int64_t pending;    /* rows still to deliver */
	int64_t failed;	    /* rows Google refused for good */
	int64_t oldest_age; /* seconds since the oldest pending row, 0 */
} hub_cal_backlog;

/* Reads the backlog figures and updates the backlog gauges. */
int hub_cal_outbox_backlog(hub_db *db, hub_cal_backlog *out);

/* The health check "calendar". */
void hub_cal_health(void *ud, hub_health_result *out);

/* =========================================================== test hooks */

/* Test-only: the quota window length (production: 60000 ms). Call before
 * hub_cal_init_with. 0 restores the production value. */
void hub_cal_test_set_quota_window_ms(unsigned ms);
/* Test-only: seconds added to the wall clock the service sees. */
void hub_cal_test_set_clock_offset(int64_t s);

#endif
