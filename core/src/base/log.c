/*
 * log.c - JSON-lines logging to stderr or a file, reopened on SIGHUP, and
 * a bounded in-memory ring of the latest records for the admin console.
 *
 * One mutex guards the FILE pointer; each line is formatted into a local
 * buffer first so the lock is held only for one fwrite. The ring has its
 * own mutex and a fixed number of fixed-size slots (no allocation while
 * logging); its messages are scrubbed of credential-looking text.
 */
#define _GNU_SOURCE
#include "base/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

/* ----------------------------------------------------------------- state */

static struct {
	pthread_mutex_t lock; /* guards fp and path */
	FILE *fp;	      /* NULL = stderr */
	char path[4096];      /* "" = stderr */
	int level;	      /* minimum level written */
	int buffered;	      /* info lines wait for hub_log_flush */
	size_t npending;      /* bytes in pending */
	char pending[64 * 1024];
} g_log = {PTHREAD_MUTEX_INITIALIZER, NULL, "", HUB_LOG_INFO, 0, 0, {0}};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static void flush_locked(void);
static void ring_add(int level, const char *module, const char *msg,
		     const struct timeval *tv);

/* The request id of the handler running on this thread ("" = none). */
static __thread char t_request_id[72];

void hub_log_set_request(const char *id)
{
	snprintf(t_request_id, sizeof(t_request_id), "%s", id ? id : "");
}

/* Opens `path` for appending (NULL or "" = stderr). Returns 0 or -1. */
int hub_log_open(const char *path)
{
	FILE *fp = NULL;
	int rc = 0;
	if (path && *path) {
		fp = fopen(path, "ae");
		if (!fp)
			return -1;
	}
	pthread_mutex_lock(&g_log.lock);
	flush_locked();
	if (g_log.fp)
		fclose(g_log.fp);
	g_log.fp = fp;
	snprintf(g_log.path, sizeof(g_log.path), "%s", path ? path : "");
	pthread_mutex_unlock(&g_log.lock);
	return rc;
}

/* Re-opens the log file after rotation (a no-op for stderr). */
void hub_log_reopen(void)
{
	char path[4096];
	pthread_mutex_lock(&g_log.lock);
	snprintf(path, sizeof(path), "%s", g_log.path);
	pthread_mutex_unlock(&g_log.lock);
	if (path[0])
		hub_log_open(path);
}

void hub_log_set_level(int level)
{
	g_log.level = level;
}

/* Escapes `s` as JSON string contents into out (truncating on a character
 * boundary, always NUL-terminated). */
void hub_json_escape(char *out, size_t outlen, const char *s)
{
	size_t o = 0;
	if (outlen == 0)
		return;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		const char *piece = tmp;
		size_t n;
		switch (c) {
		case '"':
			piece = "\\\"";
			break;
		case '\\':
			piece = "\\\\";
			break;
		case '\n':
			piece = "\\n";
			break;
		case '\r':
			piece = "\\r";
			break;
		case '\t':
			piece = "\\t";
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			else {
				tmp[0] = (char)c;
				tmp[1] = 0;
			}
		}
		n = strlen(piece);
		if (o + n + 1 > outlen)
			break;
		memcpy(out + o, piece, n);
		o += n;
	}
	/* never leave a partial UTF-8 sequence at the cut */
	while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80 && s && *s)
		o--;
	if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0 && s && *s)
		o--;
	out[o] = 0;
}

/* Sends the pending buffer to the stream; lock held. */
static void flush_locked(void)
{
	FILE *fp = g_log.fp ? g_log.fp : stderr;
	if (g_log.npending) {
		fwrite(g_log.pending, 1, g_log.npending, fp);
		g_log.npending = 0;
	}
	fflush(fp);
}

/* Writes one line. When buffered, info lines collect in a 64 KiB buffer
 * that hub_log_flush (once a second from hubd's main loop) or a full
 * buffer writes out, so the access log costs no system call per request;
 * warnings and errors go out at once, after what was pending. */
static void write_line(const char *line, int level)
{
	size_t len = strlen(line);
	pthread_mutex_lock(&g_log.lock);
	if (g_log.buffered && level < HUB_LOG_WARN &&
	    len + 1 <= sizeof(g_log.pending)) {
		if (g_log.npending + len + 1 > sizeof(g_log.pending))
			flush_locked();
		memcpy(g_log.pending + g_log.npending, line, len);
		g_log.pending[g_log.npending + len] = '\n';
		g_log.npending += len + 1;
	} else {
		FILE *fp = g_log.fp ? g_log.fp : stderr;
		if (g_log.npending)
			flush_locked();
		fputs(line, fp);
		fputc('\n', fp);
		fflush(fp);
	}
	pthread_mutex_unlock(&g_log.lock);
}

void hub_log_buffered(int on)
{
	pthread_mutex_lock(&g_log.lock);
	if (!on)
		flush_locked();
	g_log.buffered = on;
	pthread_mutex_unlock(&g_log.lock);
}

void hub_log_flush(void)
{
	pthread_mutex_lock(&g_log.lock);
	flush_locked();
	pthread_mutex_unlock(&g_log.lock);
}

void hub_log_raw(const char *json_line)
{
	write_line(json_line, HUB_LOG_INFO);
}

void hub_logv(int level, const char *module, const char *fmt, va_list ap)
{
	char msg[2048], esc[4096], mod[128], line[4608], ts[40];
	struct timeval tv;
	struct tm tm;

	if (level < g_log.level)
		return;
	if (level < HUB_LOG_DEBUG || level > HUB_LOG_ERROR)
		level = HUB_LOG_ERROR;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	hub_json_escape(esc, sizeof(esc), msg);
	hub_json_escape(mod, sizeof(mod), module ? module : "core");
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	snprintf(line, sizeof(line),
		 "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"%s\","
		 "\"msg\":\"%s\"}",
		 ts, level_names[level], mod, esc);
	write_line(line, level);
	ring_add(level, module ? module : "core", msg, &tv);
}

void hub_logf(int level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hub_logv(level, module, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- the ring */

#define RING_SLOTS 2048 /* records kept; the oldest is overwritten */
#define RING_MSG   480	/* bytes of a message kept (cut, scrubbed) */

typedef struct ring_rec {
	uint64_t seq; /* 1, 2, ...; 0 = empty slot */
	int64_t ms;   /* UTC milliseconds */
	int level;
	char module[32];
	char msg[RING_MSG];
	char request_id[72];
} ring_rec;

static struct {
	pthread_mutex_t lock; /* guards everything below */
	uint64_t next;	      /* sequence number of the next record */
	ring_rec rec[RING_SLOTS];
} g_ring = {PTHREAD_MUTEX_INITIALIZER, 1, {{0}}};

/* 1 when `p` starts with `word` (ASCII, case-insensitive). */
static int starts_ci(const char *p, const char *word)
{
	return strncasecmp(p, word, strlen(word)) == 0;
}

/* Replaces credential-looking parts of s in place: the password of a URL
 * ("scheme://user:pass@" -> "scheme://user:***@"), the value after
 * "Bearer ", and values of key=/key: pairs whose key names a secret
 * (password, passwd, secret, token, key, dsn, cookie, session). */
void hub_log_scrub(char *s)
{
	static const char *const keys[] = {
	    "password", "passwd", "secret",	 "token", "apikey", "api_key",
	    "dsn",	"cookie", "hub_session", "key",	  NULL};
	char out[RING_MSG * 2];
	size_t o = 0, n = strlen(s);
	for (size_t i = 0; i < n && o + 4 < sizeof(out);) {
		const char *p = s + i;
		size_t skip = 0, keep = 0;
		if (starts_ci(p, "bearer ")) {
			keep = 7;
			skip = 7 + strcspn(p + 7, " \t\",;");
		} else if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
			size_t end = strcspn(p + 3, "/ \t\"@");
			const char *colon = memchr(p + 3, ':', end);
			if (p[3 + end] == '@' && colon) {
				keep = (size_t)(colon - p) + 1;
				skip = 3 + end;
			}
		} else if (i == 0 || !isalnum((unsigned char)p[-1])) {
			for (int k = 0; keys[k]; k++) {
				size_t kl = strlen(keys[k]);
				if (starts_ci(p, keys[k]) &&
				    (p[kl] == '=' || p[kl] == ':')) {
					size_t v = kl + 1;
					while (p[v] == ' ')
						v++;
					keep = v;
					skip = v + strcspn(p + v, " \t\",;&");
					break;
				}
			}
		}
		if (skip > keep) {
			if (o + keep + 4 >= sizeof(out))
				break;
			memcpy(out + o, p, keep);
			o += keep;
			memcpy(out + o, "***", 3);
			o += 3;
			i += skip;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = 0;
	snprintf(s, RING_MSG, "%s", out);
}

static void ring_add(int level, const char *module, const char *msg,
		     const struct timeval *tv)
{
	ring_rec r;
	r.ms = (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
	r.level = level;
	snprintf(r.module, sizeof(r.module), "%s", module);
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	hub_log_scrub(r.msg);
	snprintf(r.request_id, sizeof(r.request_id), "%s", t_request_id);
	pthread_mutex_lock(&g_ring.lock);
	r.seq = g_ring.next++;
	g_ring.rec[r.seq % RING_SLOTS] = r;
	pthread_mutex_unlock(&g_ring.lock);
}

/* 1 when record r passes the filters. */
static int ring_match(const ring_rec *r, int min_level, int64_t since_ms,
		      const char *q)
{
	if (!r->seq || r->level < min_level || r->ms < since_ms)
		return 0;
	return !q || !*q || strcasestr(r->msg, q) || strcasestr(r->module, q);
}

/* Appends one record as a JSON object to out (cap bytes); returns the new
 * length, or 0 when it does not fit. */
static size_t ring_json(const ring_rec *r, char *out, size_t len, size_t cap)
{
	char msg[RING_MSG * 6 + 1], mod[200], rid[160], ts[40];
	time_t sec = (time_t)(r->ms / 1000);
	struct tm tm;
	int n;
	gmtime_r(&sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(r->ms % 1000));
	hub_json_escape(msg, sizeof(msg), r->msg);
	hub_json_escape(mod, sizeof(mod), r->module);
	hub_json_escape(rid, sizeof(rid), r->request_id);
	n = snprintf(out + len, cap - len,
		     "%s{\"seq\":%llu,\"time\":\"%s\",\"level\":\"%s\","
		     "\"module\":\"%s\",\"message\":\"%s\"%s%s%s}",
		     len > 1 ? "," : "", (unsigned long long)r->seq, ts,
		     level_names[r->level], mod, msg,
		     rid[0] ? ",\"request_id\":\"" : "", rid,
		     rid[0] ? "\"" : "");
	if (n < 0 || (size_t)n >= cap - len)
		return 0;
	return len + (size_t)n;
}

/* Newest first: see log.h. */
char *hub_log_ring_query(int min_level, int64_t since_ms, const char *q,
			 uint64_t before_seq, size_t limit, uint64_t *next)
{
	size_t cap = limit * (RING_MSG * 6 + 512) + 16, len = 1, count = 0;
	char *out = malloc(cap);
	uint64_t seq;
	*next = 0;
	if (!out)
		return NULL;
	out[0] = '[';
	pthread_mutex_lock(&g_ring.lock);
	seq = g_ring.next;
	if (before_seq && before_seq < seq)
		seq = before_seq;
	for (; seq > 1 && seq + RING_SLOTS > g_ring.next; seq--) {
		const ring_rec *r = &g_ring.rec[(seq - 1) % RING_SLOTS];
		if (r->seq != seq - 1 || !ring_match(r, min_level, since_ms, q))
			continue;
		if (count == limit) {
			*next = seq; /* records before this one remain */
			break;
		}
		len = ring_json(r, out, len, cap);
		if (!len)
			break;
		count++;
	}
	pthread_mutex_unlock(&g_ring.lock);
	if (!len) {
		free(out);
		return NULL;
	}
	out[len++] = ']';
	out[len] = 0;
	return out;
}

/* ------------------------------------------------------------- uptime */

static struct timespec g_start;

__attribute__((constructor)) static void start_clock(void)
{
	clock_gettime(CLOCK_MONOTONIC, &g_start);
}

double hub_uptime_s(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - g_start.tv_sec) +
	       (double)(now.tv_nsec - g_start.tv_nsec) / 1e9;
}
