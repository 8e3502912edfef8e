/*
 * errsink.h - one place where any layer hands over an error worth a report
 * (a 5xx answer, a failed job, a calendar write given up). The operations
 * layer installs the sink (ops/sentry.c); until then reports go nowhere but
 * the log line the caller writes itself. Lives in base so that the store,
 * scheduler, calendar and http layers need not know about ops.
 */
#ifndef HUB_BASE_ERRSINK_H
#define HUB_BASE_ERRSINK_H

/* What happened. Strings are borrowed for the duration of the call; the
 * sink copies what it keeps. Any of them may be NULL. */
typedef struct hub_err_event {
	const char *kind;    /* "http", "job", "calendar", "module", "test" */
	const char *logger;  /* module or subsystem name */
	const char *message; /* human text (scrubbed again by the sink) */
	const char *route;   /* route pattern, never the raw path */
	const char *method;  /* HTTP method */
	const char *request_id; /* X-Request-Id */
	int status;		/* HTTP status, or 0 */
} hub_err_event;

typedef void (*hub_err_sink_fn)(const hub_err_event *ev);

/* Installs (or with NULL removes) the sink. Thread-safe. */
void hub_err_sink_set(hub_err_sink_fn fn);

/* Passes ev to the sink, if any. Never blocks on the network: the sink
 * only queues. Safe from any thread. */
void hub_err_report(const hub_err_event *ev);

#endif
