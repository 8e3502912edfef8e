/*
 * sentry.h - error reports to a Sentry-compatible service (core/src/ops).
 *
 * Configuration: [sentry] dsn (env SENTRY_DSN wins), environment (default
 * "production"), release (default "hub@VERSION"), server_name (default the
 * host name), rate_per_minute (default 30) and burst (default 10).
 *
 * Events go to SCHEME://HOST[:PORT][/PATH]/api/PROJECT_ID/envelope/ as one
 * envelope each (a header line, an item header line, the event JSON) with
 * X-Sentry-Auth. Capturing only queues: a background thread sends, retries
 * with backoff while the receiver is down or answers 5xx, and waits as long
 * as a 429's Retry-After asks. The queue is bounded in count and bytes; a
 * token bucket samples storms. Nothing of a request but its method, route
 * pattern, status and request id is sent, and every message is scrubbed of
 * anything that looks like a password, token, cookie or TOTP secret.
 */
#ifndef HUB_OPS_SENTRY_H
#define HUB_OPS_SENTRY_H

#include <stddef.h>

/* A DSN split into the parts a client needs. */
typedef struct hub_sentry_dsn {
	char endpoint[512]; /* .../api/PROJECT_ID/envelope/ */
	char public_key[128];
	char dsn[512]; /* the DSN without a secret part */
} hub_sentry_dsn;

/* Parses SCHEME://PUBLIC_KEY[:SECRET]@HOST[:PORT][/PATH]/PROJECT_ID.
 * Returns 0, or -1 when the text is not such a DSN (out is then
 * unspecified). */
int hub_sentry_parse_dsn(const char *text, hub_sentry_dsn *out);

/* Writes "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=KEY,
 * sentry_client=hub/VERSION" into out. Returns 0 or -1 when too small. */
int hub_sentry_auth_header(const hub_sentry_dsn *d, char *out, size_t outlen);

/* One event to report. All strings are borrowed; any may be NULL. */
typedef struct hub_sentry_info {
	const char *level;   /* "error" (default), "fatal", "warning", "info" */
	const char *logger;  /* module or subsystem */
	const char *message; /* scrubbed before it is sent */
	const char *kind;    /* tag: http, job, calendar, crash, module, test */
	const char *route;   /* tag: route pattern */
	const char *method;  /* tag */
	const char *request_id; /* tag */
	const char *module;	/* tag */
	int status;		/* tag when > 0 */
	/* an exception (crashes): type such as "SIGSEGV", value, and the
	 * backtrace lines of backtrace_symbols_fd, innermost first */
	const char *exc_type;
	const char *exc_value;
	const char *const *frames;
	size_t nframes;
	long long time_s;    /* event time; 0 = now */
	const char *release; /* overrides the configured release */
} hub_sentry_info;

/* Returns a copy of `in` (owned: free()) with values that follow secret
 * words (password, token, secret, totp, cookie, authorization, session,
 * csrf, key...), Bearer/Basic credentials and long opaque runs replaced by
 * "[scrubbed]". NULL when out of memory. */
char *hub_sentry_scrub(const char *in);

/* An error reported by `module` (NULL = "core"): logged scrubbed and
 * queued as a Sentry event of kind "module". Never fails; drops the
 * event when the queue is full. */
void hub_sentry_report_module(const char *module, const char *message);

/* Builds the envelope for `info` (owned: free(); its length in *len) and
 * writes the new event id (32 lowercase hex digits) into event_id. NULL
 * when out of memory. Uses the configured environment, release, server
 * name and DSN (hub_sentry_configure). */
char *hub_sentry_envelope(const hub_sentry_info *info, char event_id[33],
			  size_t *len);

/* Reads [sentry] from the configuration into the process-wide settings
 * used by hub_sentry_envelope and the sender. Returns 1 when a DSN is set,
 * 0 when none is (reports are then only logged), -1 with a reason in err
 * for a malformed DSN. */
int hub_sentry_configure(char *err, size_t errlen);

/* Starts the sender thread when a DSN is configured (after
 * hub_sentry_configure) and installs the error sink (base/errsink.h).
 * Returns 0, or -1 with a reason in err. */
int hub_sentry_start(char *err, size_t errlen);

/* Removes the sink, gives queued events up to `flush_ms` to go out, then
 * stops the sender and frees the queue. Crash files not sent stay in the
 * spool for the next start. */
void hub_sentry_stop(unsigned flush_ms);

/* Queues an event (never blocks on the network). `spool_path`, when not
 * NULL, is a crash file moved into its folder's sent/ once the event was
 * accepted. Rate-limited unless `spool_path` is set. Writes the event id
 * into event_id (may be NULL). Returns 0 when queued, -1 when dropped
 * (no DSN, rate, queue full, out of memory). */
int hub_sentry_capture(const hub_sentry_info *info, const char *spool_path,
		       char event_id[33]);

/* Sends one event now on the calling thread (hubctl report test), with up
 * to `tries` attempts. Returns 0 with the event id, or -1 with a reason in
 * err. */
int hub_sentry_send_now(const hub_sentry_info *info, int tries,
			char event_id[33], char *err, size_t errlen);

/* Queues every <data_dir>/crash/crash-*.txt as a fatal event (at most 32
 * a start); each file moves to crash/sent/ once the receiver took it.
 * Returns the number queued; without a DSN it only logs how many wait. */
int hub_sentry_send_crashes(const char *data_dir);

/* The configured DSN (for the sender). Returns 1 with *out filled, or 0
 * when none is set. */
int hub_sentry_current_dsn(hub_sentry_dsn *out);

/* Counters of the sender (for tests and /metrics). */
typedef struct hub_sentry_stats {
	unsigned long queued, sent, dropped_rate, dropped_queue, failed,
	    retries;
} hub_sentry_stats;
void hub_sentry_get_stats(hub_sentry_stats *out);

#endif
