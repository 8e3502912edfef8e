/*
 * testutil.h - small helpers shared by the store/sched/ops tests: scratch
 * directories, one-value queries, wall-clock milliseconds.
 */
#ifndef HUB_STORE_TESTUTIL_H
#define HUB_STORE_TESTUTIL_H

#define _GNU_SOURCE
#include "store/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int tu_rm_one(const char *p, const struct stat *sb, int flag,
		     struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Removes a directory tree (ignores errors). */
static inline void tu_rmtree(const char *dir)
{
	nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes a fresh scratch directory under $TMPDIR (or /tmp). */
static inline void tu_mkdtemp(char *out, size_t n, const char *tag)
{
	const char *base = getenv("TMPDIR");
	snprintf(out, n, "%s/hubtest-%s-XXXXXX", base ? base : "/tmp", tag);
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		exit(2);
	}
}

/* Runs a query returning one integer; -999999 on any error. */
static inline long long tu_int(hub_db *db, const char *sql)
{
	hub_stmt *st = NULL;
	long long v = -999999;
	if (hub_store_prepare(db, sql, &st) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		v = hub_col_int(st, 0);
	hub_stmt_finalize(st);
	return v;
}

/* Runs a query returning one text into out ("" on error). */
static inline void tu_text(hub_db *db, const char *sql, char *out, size_t n)
{
	hub_stmt *st = NULL;
	out[0] = 0;
	if (hub_store_prepare(db, sql, &st) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		snprintf(out, n, "%s", hub_col_text(st, 0));
	hub_stmt_finalize(st);
}

static inline long long tu_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static inline void tu_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

#endif
