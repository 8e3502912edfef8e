/*
 * sentry_crash.c - crash records left by a fatal signal (written by the
 * crash handler as <data_dir>/crash/crash-<unix>-<pid>.txt, key=value
 * lines, then "backtrace:" and backtrace_symbols_fd lines) become fatal
 * events at the next start; sent files move to crash/sent/.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "ops/sentry.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CRASHES 32
#define MAX_LINES   64

typedef struct crash_rec {
	char signal[16], signame[24], addr[32], time[24], pid[16];
	char release[64], module[64], route[160], request_id[80];
	char *frames[MAX_LINES];
	size_t nframes;
} crash_rec;

static void field(crash_rec *c, const char *k, const char *v)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
#define K(n) {#n, offsetof(crash_rec, n), sizeof(((crash_rec *)0)->n)}
	    K(signal),	K(signame), K(addr),  K(time),	     K(pid),
	    K(release), K(module),  K(route), K(request_id),
#undef K
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i].key))
			snprintf((char *)c + keys[i].off, keys[i].size, "%s",
				 v);
}

/* Reads one crash file. Returns 0, or -1 when it is not one. */
static int read_crash(const char *path, crash_rec *c)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int in_bt = 0;
	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (in_bt) {
			if (line[0] && c->nframes < MAX_LINES)
				c->frames[c->nframes++] = strdup(line);
			continue;
		}
		if (!strcmp(line, "backtrace:")) {
			in_bt = 1;
			continue;
		}
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = 0;
			field(c, line, eq + 1);
		}
	}
	fclose(f);
	return c->signal[0] || c->signame[0] ? 0 : -1;
}

static void free_crash(crash_rec *c)
{
	for (size_t i = 0; i < c->nframes; i++)
		free(c->frames[i]);
	c->nframes = 0;
}

/* Queues one crash file; returns 1 when queued. */
static int send_one(const char *path)
{
	crash_rec c;
	char value[256], msg[512], id[33];
	hub_sentry_info in;
	int ok;
	if (read_crash(path, &c) != 0) {
		hub_logf(HUB_LOG_WARN, "sentry", "%s is not a crash record",
			 path);
		return 0;
	}
	snprintf(value, sizeof(value), "signal %s at address %s",
		 c.signal[0] ? c.signal : "?", c.addr[0] ? c.addr : "?");
	snprintf(msg, sizeof(msg), "hubd (pid %s) died of %s in route %s",
		 c.pid[0] ? c.pid : "?", c.signame[0] ? c.signame : c.signal,
		 c.route[0] ? c.route : "-");
	memset(&in, 0, sizeof(in));
	in.level = "fatal";
	in.logger = "hubd";
	in.kind = "crash";
	in.message = msg;
	in.route = c.route;
	in.request_id = c.request_id;
	in.module = c.module;
	in.exc_type = c.signame[0] ? c.signame : "signal";
	in.exc_value = value;
	in.frames = (const char *const *)c.frames;
	in.nframes = c.nframes;
	in.time_s = atoll(c.time);
	in.release = c.release[0] ? c.release : NULL;
	ok = hub_sentry_capture(&in, path, id) == 0;
	if (ok)
		hub_logf(HUB_LOG_INFO, "sentry", "crash record %s queued as %s",
			 path, id);
	free_crash(&c);
	return ok;
}

static int is_crash_name(const char *n)
{
	size_t len = strlen(n);
	return !strncmp(n, "crash-", 6) && len > 10 &&
	       !strcmp(n + len - 4, ".txt");
}

int hub_sentry_send_crashes(const char *data_dir)
{
	char dir[4096], path[4400];
	struct dirent **names = NULL;
	hub_sentry_dsn d;
	int n, queued = 0, waiting = 0;
	snprintf(dir, sizeof(dir), "%s/crash", data_dir);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	int have = hub_sentry_current_dsn(&d);
	for (int i = 0; i < n; i++) {
		if (is_crash_name(names[i]->d_name)) {
			waiting++;
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			if (have && queued < MAX_CRASHES)
				queued += send_one(path);
		}
		free(names[i]);
	}
	free(names);
	if (waiting && !have)
		hub_logf(HUB_LOG_WARN, "sentry",
			 "%d crash record(s) in %s; set [sentry] dsn to "
			 "report them",
			 waiting, dir);
	return queued;
}
