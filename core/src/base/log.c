/*
 * log.c - JSON-lines logging to stderr or a file, reopened on SIGHUP.
 *
 * One mutex guards the FILE pointer; each line is formatted into a local
 * buffer first so the lock is held only for one fwrite.
 */
#define _GNU_SOURCE
#include "base/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
}

void hub_logf(int level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hub_logv(level, module, fmt, ap);
	va_end(ap);
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
