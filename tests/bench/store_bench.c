/*
 * store_bench.c - write throughput of the storage service: single-row
 * transactions per second from N threads (default 8) through
 * hub_store_transaction, with the production settings (WAL,
 * synchronous=FULL: every commit is fsynced before it returns).
 *
 *   store_bench [SECONDS] [THREADS] [DIR]
 *
 * DIR defaults to a fresh directory under $TMPDIR or /tmp, which must be
 * on the disk you want to measure (a tmpfs measures memory, not fsync).
 * The figure depends on the disk's fsync latency far more than on the
 * CPU, so compare runs only on the same machine and file system.
 */
#define _GNU_SOURCE
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static volatile int g_stop;

typedef struct worker {
	pthread_t th;
	int id;
	long done, failed;
	double lat_ms[1 << 16]; /* sampled latencies */
	size_t nlat;
} worker;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tx_one(hub_db *db, void *ud)
{
	worker *w = ud;
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db,
				   "INSERT INTO bench (worker, seq, payload) "
				   "VALUES (?, ?, ?)",
				   &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, w->id);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, w->done);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 3,
					"Müller, Jürgen - 2026-03-26 "
					"14:00 - normal");
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static void *run(void *p)
{
	worker *w = p;
	hub_db *db = hub_store_db();
	while (!g_stop && db) {
		double t0 = now_s();
		if (hub_store_transaction(db, tx_one, w) == HUB_DB_OK)
			w->done++;
		else
			w->failed++;
		if (w->nlat < sizeof(w->lat_ms) / sizeof(w->lat_ms[0]))
			w->lat_ms[w->nlat++] = (now_s() - t0) * 1000.0;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void print_machine(const char *dir)
{
	char line[256], model[256] = "unknown CPU";
	struct statfs sf;
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *c = strchr(line, ':');
			snprintf(model, sizeof(model), "%s", c ? c + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	printf("machine: %ld CPUs, %s\n", sysconf(_SC_NPROCESSORS_ONLN), model);
	if (statfs(dir, &sf) == 0)
		printf("data dir: %s (fs magic 0x%lx%s)\n", dir,
		       (unsigned long)sf.f_type,
		       sf.f_type == 0x01021994 ? ", tmpfs: no real fsync" : "");
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5.0;
	int nth = argc > 2 ? atoi(argv[2]) : 8;
	char dir[512], err[256];
	static worker w[MAX_THREADS];
	double t0, el, *all;
	long total = 0, failed = 0;
	size_t nall = 0, k = 0;

	if (nth < 1 || nth > MAX_THREADS || secs <= 0) {
		fprintf(stderr, "usage: store_bench [SECONDS] [THREADS<=64] "
				"[DIR]\n");
		return 2;
	}
	if (argc > 3) {
		snprintf(dir, sizeof(dir), "%s", argv[3]);
	} else {
		const char *base = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/hub-store-bench-XXXXXX",
			 base ? base : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	}
	if (hub_store_open(dir, err, sizeof(err)) != 0 ||
	    hub_store_exec(hub_store_db(),
			   "CREATE TABLE IF NOT EXISTS bench (id INTEGER "
			   "PRIMARY KEY, worker INTEGER NOT NULL, seq INTEGER "
			   "NOT NULL, payload TEXT NOT NULL)") != HUB_DB_OK) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	print_machine(dir);
	t0 = now_s();
	for (int i = 0; i < nth; i++) {
		w[i].id = i;
		pthread_create(&w[i].th, NULL, run, &w[i]);
	}
	while (now_s() - t0 < secs)
		usleep(20000);
	g_stop = 1;
	for (int i = 0; i < nth; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].done;
		failed += w[i].failed;
		nall += w[i].nlat;
	}
	el = now_s() - t0;
	all = malloc(nall * sizeof(*all) + 1);
	for (int i = 0; all && i < nth; i++)
		for (size_t j = 0; j < w[i].nlat; j++)
			all[k++] = w[i].lat_ms[j];
	if (all && k)
		qsort(all, k, sizeof(*all), cmp_double);
	printf("store: %ld single-row transactions in %.2f s from %d threads "
	       "= %.0f tx/s (%ld failed)\n",
	       total, el, nth, (double)total / el, failed);
	if (all && k)
		printf("latency per transaction: p50 %.2f ms, p99 %.2f ms, max "
		       "%.2f ms\n",
		       all[k / 2], all[(k * 99) / 100], all[k - 1]);
	printf("caveat: synchronous=FULL fsyncs every commit; the figure is "
	       "bounded by this disk's fsync latency and varies by machine, "
	       "file system and virtualisation - compare only runs on the "
	       "same host.\n");
	free(all);
	hub_store_close();
	if (argc <= 3) {
		static const char *const files[] = {"hub.db", "hub.db-wal",
						    "hub.db-shm", NULL};
		char path[700];
		for (int i = 0; files[i]; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	return failed ? 1 : 0;
}
