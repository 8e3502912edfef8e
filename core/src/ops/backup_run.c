/*
 * backup_run.c - the two ways backups are driven: the daily scheduler job
 * (backup, then rotation) and the `hubctl backup ...` command line.
 */
#define _GNU_SOURCE
#include "ops/ops.h"
#include "base/conf.h"
#include "base/log.h"
#include "hub_time.h"
#include "sched/sched.h"
#include "store/store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- the job */

static struct {
	int keep_daily;	 /* [backup] keep_daily */
	int keep_weekly; /* [backup] keep_weekly */
	char time[8];	 /* [backup] daily_at, "HH:MM" */
} g_job = {7, 4, "03:00"};

/* The daily job: a backup of the running store, then rotation. */
static int backup_job(void *ud, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *dir = hub_store_data_dir();
	int removed = 0;
	(void)ud;
	if (!dir) {
		snprintf(err, errlen, "storage is not open");
		return 1;
	}
	if (hub_ops_backup_create(dir, path, sizeof(path), err, errlen) != 0)
		return 1;
	hub_logf(HUB_LOG_INFO, "ops", "backup written: %s", path);
	if (hub_ops_backup_rotate(dir, g_job.keep_daily, g_job.keep_weekly,
				  &removed, err, errlen) != 0)
		return 1;
	if (removed)
		hub_logf(HUB_LOG_INFO, "ops", "rotation removed %d backup(s)",
			 removed);
	return 0;
}

/* Reads an integer key of [backup] in [lo, hi]. Returns 0 or -1. */
static int conf_range(const char *key, long long def, long long lo,
		      long long hi, int *out)
{
	long long v = hub_conf_int("backup", key, def);
	hub_conf_mark_used("backup", key);
	if (v < lo || v > hi) {
		hub_logf(HUB_LOG_ERROR, "ops",
			 "%s:%d: key 'backup.%s': must be %lld..%lld",
			 hub_conf_path() ? hub_conf_path() : "config",
			 hub_conf_line("backup", key), key, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int hub_ops_register_jobs(void)
{
	const char *t = hub_conf_get("backup", "daily_at");
	hub_job job;
	hub_conf_mark_used("backup", "daily_at");
	hub_conf_mark_used("backup", "enabled");
	if (!hub_conf_bool("backup", "enabled", 1)) {
		hub_logf(HUB_LOG_WARN, "ops", "daily backups are disabled");
		return 0;
	}
	if (conf_range("keep_daily", 7, 0, 3650, &g_job.keep_daily) != 0 ||
	    conf_range("keep_weekly", 4, 0, 520, &g_job.keep_weekly) != 0)
		return -1;
	if (t && *t)
		snprintf(g_job.time, sizeof(g_job.time), "%s", t);
	memset(&job, 0, sizeof(job));
	job.name = "backup";
	job.daily_at = g_job.time;
	job.jitter_s = 120;
	job.cluster_once = 1;
	job.fn = backup_job;
	return hub_sched_add("core", &job);
}

/* ---------------------------------------------------------- the command */

static int usage(void)
{
	fprintf(stderr, "usage: hubctl -c FILE backup create | list | "
			"verify FILE | restore FILE\n");
	return 1;
}

static int cmd_list(const char *data_dir)
{
	hub_backup_info *v = NULL;
	size_t n = 0;
	char err[512], when[40];
	if (hub_ops_backup_list(data_dir, &v, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "hubctl: backup list: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (hub_time_format(v[i].time_ms / 1000, when) != 0)
			snprintf(when, sizeof(when), "?");
		printf("%s %lld %s\n", v[i].path, (long long)v[i].size, when);
	}
	free(v);
	return 0;
}

int hub_ops_backup_cmd(const char *data_dir, int argc, char **argv)
{
	char err[1024] = "", path[PATH_MAX] = "";
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "create") == 0 && argc == 2) {
		if (hub_ops_backup_create(data_dir, path, sizeof(path), err,
					  sizeof(err)) != 0)
			goto fail;
		printf("%s\n", path);
		return 0;
	}
	if (strcmp(sub, "list") == 0 && argc == 2)
		return cmd_list(data_dir);
	if (strcmp(sub, "verify") == 0 && argc == 3) {
		if (hub_ops_backup_verify(argv[2], err, sizeof(err)) != 0)
			goto fail;
		printf("%s: ok\n", argv[2]);
		return 0;
	}
	if (strcmp(sub, "restore") == 0 && argc == 3) {
		if (hub_ops_backup_restore(data_dir, argv[2], path,
					   sizeof(path), err, sizeof(err)) != 0)
			goto fail;
		if (path[0])
			printf("previous database saved as %s\n", path);
		printf("restored from %s\n", argv[2]);
		return 0;
	}
	return usage();
fail:
	fprintf(stderr, "hubctl: backup %s: %s\n", sub, err);
	return 1;
}
