/*
 * upkeep.c - what the server does for itself between requests: the cache
 * sweep (expired entries leave memory even when nobody asks for them), the
 * disk and memory gauges the alert rules watch.
 */
#define _GNU_SOURCE
#include "base/conf.h"
#include "base/log.h"
#include "cache/cache.h"
#include "http/http.h"
#include "ops/upkeep.h"
#include "sched/sched.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Publishes free and total bytes of the data directory's file system and
 * the process's resident memory. */
static void gauges(void)
{
	const char *dir = hub_store_data_dir();
	struct statvfs vfs;
	long pages = 0, rss = 0;
	FILE *f;
	if (dir && statvfs(dir, &vfs) == 0) {
		hub_metric_set("hub_disk_free_bytes", NULL,
			       (double)vfs.f_bavail * (double)vfs.f_frsize);
		hub_metric_set("hub_disk_size_bytes", NULL,
			       (double)vfs.f_blocks * (double)vfs.f_frsize);
	}
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) == 2)
			hub_metric_set(
			    "hub_process_resident_memory_bytes", NULL,
			    (double)rss * (double)sysconf(_SC_PAGESIZE));
		fclose(f);
	}
}

static int upkeep_job(void *ud, char *err, size_t errlen)
{
	size_t n = hub_cache_sweep();
	(void)ud;
	(void)err;
	(void)errlen;
	hub_metric_add("hub_cache_sweeps_total", NULL, 1);
	if (n)
		hub_metric_add("hub_cache_swept_total", NULL, (double)n);
	gauges();
	return 0;
}

int hub_upkeep_register(void)
{
	static hub_job job;
	long long every = hub_conf_int("cache", "sweep_interval_s", 60);
	memset(&job, 0, sizeof(job));
	job.name = "upkeep";
	job.interval_s = (unsigned)(every > 0 ? every : 60);
	job.jitter_s = job.interval_s > 10 ? 5 : 0;
	job.fn = upkeep_job;
	gauges();
	return hub_sched_add("core", &job);
}
