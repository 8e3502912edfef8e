/*
 * log.h - JSON-line logging to stderr or a file, with a buffered mode for
 * the access log. The bottom floor: includes only the ABI header, for the
 * log levels and the printf attribute.
 */
#ifndef HUB_BASE_LOG_H
#define HUB_BASE_LOG_H

#include "hub/module.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Opens `path` for appending (NULL = stderr). Returns 0 or -1. */
int hub_log_open(const char *path);
/* Re-opens the log file (SIGHUP); safe to call from a normal thread. */
void hub_log_reopen(void);
void hub_log_set_level(int level);
/* Lets info lines wait in the buffer until hub_log_flush (the server
 * calls it once a second); call before any other thread writes. */
void hub_log_buffered(int on);
void hub_log_flush(void);
/* Writes one JSON line {"ts","level","module","msg"}. Thread-safe. */
void hub_logf(int level, const char *module, const char *fmt, ...)
    HUB_PRINTF(3, 4);
void hub_logv(int level, const char *module, const char *fmt, va_list ap);
/* Writes a pre-built JSON object text as one line (access log). */
void hub_log_raw(const char *json_line);
/* Escapes `s` as JSON string contents into out (always NUL-terminated). */
void hub_json_escape(char *out, size_t outlen, const char *s);

/* Tags the records this thread logs with request id `id` (NULL or "" to
 * stop); the dispatcher sets it around each handler. */
void hub_log_set_request(const char *id);

/* Masks credential-looking parts of s in place (URL passwords, Bearer
 * values, password=/secret=/token=/key=/dsn=/cookie= values) with "***";
 * s must hold at least 480 bytes or be shorter than that. */
void hub_log_scrub(char *s);

/* The in-memory ring of this process's latest log records (a fixed 2048,
 * thread-safe): a JSON array text, newest first, of at most `limit` records
 * with level >= min_level, time >= since_ms (UTC ms) and, when q is not
 * NULL or "", q in the message or module (case-insensitive), each
 * {"seq","time","level","module","message","request_id"?}; only records
 * older than before_seq when it is not 0. *next gets the before_seq of
 * the next page, or 0 when there is none. Owned: free(). NULL when out of
 * memory. */
char *hub_log_ring_query(int min_level, int64_t since_ms, const char *q,
			 uint64_t before_seq, size_t limit, uint64_t *next);

/* Seconds since the process started logging (start-up). */
double hub_uptime_s(void);

#endif
