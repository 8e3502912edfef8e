/*
 * sched_lease.c - when jobs run: the daily wall-clock computation in the
 * business time zone, and the cluster lease that lets one server of
 * several sharing a database run a cluster_once job.
 *
 * A lease row hub_job_leases(name, holder, expires_at) says "holder ran
 * this job's current period". Taking it is one portable upsert that only
 * overwrites a row that has expired or is already ours, so of two servers
 * racing for the same period exactly one gets a row back. The holder
 * takes it for a little less than the job's period, so its next turn
 * renews it while a crashed holder's lease lapses within one period.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "sched/sched.h"
#include "hub_time.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ----------------------------------------------------------- daily time */

/* The instant of local hh:mm on `day`, mapping a skipped wall time with
 * the offset in force before the change. */
static int64_t daily_instant(hub_date day, int hh, int mm)
{
	int64_t t, wall = hub_date_to_days(day) * 86400 + hh * 3600 + mm * 60;
	int off = 0;
	if (hub_time_from_local(day, hh, mm, &t) == 0)
		return t;
	/* 24 h earlier is before the gap for every real zone offset */
	hub_time_to_local(wall - 86400, NULL, NULL, NULL, NULL, &off);
	return wall - off;
}

/* Next instant after `after_utc` at local hh:mm; see sched.h. */
int64_t hub_sched_next_daily(int64_t after_utc, int hh, int mm)
{
	hub_date today;
	if (hub_time_to_local(after_utc, &today, NULL, NULL, NULL, NULL) != 0)
		return after_utc + 86400;
	for (int k = -1; k <= 2; k++) {
		int64_t t = daily_instant(hub_date_add(today, k), hh, mm);
		if (t > after_utc)
			return t;
	}
	return after_utc + 86400; /* not reached for real zones */
}

/* ---------------------------------------------------------------- lease */

static const hub_migration_def sched_migrations[] = {
    {1,
     "CREATE TABLE hub_job_leases ("
     " name TEXT PRIMARY KEY,"
     " holder TEXT NOT NULL,"
     " expires_at INTEGER NOT NULL)", /* UTC milliseconds */
     NULL},
};

int hub_sched_migrate(char *err, size_t errlen)
{
	return hub_store_migrate("sched", sched_migrations,
				 sizeof(sched_migrations) /
				     sizeof(sched_migrations[0]),
				 err, errlen);
}

typedef struct lease_req {
	const char *name, *holder;
	int64_t now_ms, ttl_ms;
	int got; /* out: 1 when the row is ours */
} lease_req;

static int lease_tx(hub_db *db, void *ud)
{
	lease_req *r = ud;
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(
	    db,
	    "INSERT INTO hub_job_leases (name, holder, expires_at) "
	    "VALUES (?, ?, ?) "
	    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
	    "expires_at = excluded.expires_at "
	    "WHERE hub_job_leases.expires_at <= ? "
	    "OR hub_job_leases.holder = excluded.holder "
	    "RETURNING holder",
	    &st);
	r->got = 0;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, r->name);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 2, r->holder);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 3, r->now_ms + r->ttl_ms);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 4, r->now_ms);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	if (rc == HUB_DB_ROW) {
		r->got = strcmp(hub_col_text(st, 0), r->holder) == 0;
		rc = hub_stmt_step(st);
	}
	if (rc == HUB_DB_DONE)
		rc = HUB_DB_OK;
	hub_stmt_finalize(st);
	return rc;
}

/* Takes or renews a lease; see sched.h. */
int hub_sched_lease_acquire(hub_db *db, const char *name, const char *holder,
			    int64_t now_ms, int64_t ttl_ms)
{
	lease_req r = {name, holder, now_ms, ttl_ms, 0};
	int rc;
	if (!db || !name || !holder)
		return HUB_DB_EMISUSE;
	rc = hub_store_transaction(db, lease_tx, &r);
	return rc == HUB_DB_OK ? r.got : rc;
}

/* This process's holder id; remade after a fork (the pid changes). */
const char *hub_sched_holder(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char id[200];
	static pid_t made_for;
	char host[128] = "host";
	unsigned rnd = 0;
	FILE *f;

	pthread_mutex_lock(&lock);
	if (made_for != getpid()) {
		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = 0;
		f = fopen("/dev/urandom", "rbe");
		if (!f || fread(&rnd, sizeof(rnd), 1, f) != 1)
			rnd = (unsigned)time(NULL) ^ (unsigned)getpid();
		if (f)
			fclose(f);
		snprintf(id, sizeof(id), "%s:%d:%08x", host, (int)getpid(),
			 rnd);
		made_for = getpid();
	}
	pthread_mutex_unlock(&lock);
	return id;
}
