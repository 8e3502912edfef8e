/*
 * sched.h - the scheduler (core/src/sched): runs registered jobs on their
 * own threads, never overlapping a job with itself; with cluster_once a
 * lease row in the database makes one server of a cluster run it.
 */
#ifndef HUB_SCHED_H
#define HUB_SCHED_H

#include "hub/module.h"

/* Adds a job (copied) for module `owner`. Before hub_sched_start only.
 * Returns 0 or -1. */
int hub_sched_add(const char *owner, const hub_job *job);

/* Removes every job of `owner` (rollback of a failed module init). */
void hub_sched_remove_owner(const char *owner);

/* Starts the job threads. Returns 0 or -1. */
int hub_sched_start(void);

/* Stops and joins every job thread (waits for running jobs). */
void hub_sched_stop(void);

/* Asks the job named `owner`/`name` to run as soon as possible. */
void hub_sched_kick(const char *owner, const char *name);

/* Writes a JSON array describing every job (name, last_run, last_result,
 * next_run, running) into a new string. Owned: free(). NULL on error. */
char *hub_sched_status_json(void);

/* ------------------------------------------------------------------------
 * Additions (sched subsystem).
 * --------------------------------------------------------------------- */

/* Counters and state of one job, for health checks and tests. */
typedef struct hub_sched_stats {
	int running;	      /* 1 while fn runs */
	uint64_t runs;	      /* runs that returned 0 */
	uint64_t failures;    /* runs that returned non-zero */
	uint64_t skipped;     /* turns another server held the lease for */
	int64_t last_run_ms;  /* start of the last turn, UTC ms; 0 = never */
	int64_t next_run_ms;  /* next planned start, UTC ms; 0 = unknown */
	char last_result[16]; /* "ok", "error", "skipped" or "" */
	char last_error[256]; /* the job's message of its last failure */
} hub_sched_stats;

/* Fills *out for job `owner`/`name`. Returns 0, or -1 when unknown. */
int hub_sched_stats_get(const char *owner, const char *name,
			hub_sched_stats *out);

/* Removes every job (after hub_sched_stop; for unload and tests). */
void hub_sched_clear(void);

/* The first instant after `after_utc` whose wall time in the business
 * zone is hh:mm. A wall time skipped by a DST change (02:30 on the last
 * Sunday of March in Europe/Berlin) maps to the instant the same distance
 * after midnight on the old offset (03:30 CEST); a repeated one (the last
 * Sunday of October) to its first occurrence only. */
int64_t hub_sched_next_daily(int64_t after_utc, int hh, int mm);

/* Takes or renews the cluster lease `name` for `holder` until
 * now_ms + ttl_ms, unless another holder's lease is still valid at
 * now_ms. Returns 1 when this holder has the lease, 0 when another one
 * does, or a negative hub_db_rc. Table hub_job_leases must exist (see
 * hub_sched_migrate). */
int hub_sched_lease_acquire(hub_db *db, const char *name, const char *holder,
			    int64_t now_ms, int64_t ttl_ms);

/* Creates the scheduler's table (hub_job_leases) through the migration
 * runner; hub_sched_start calls it when a job is cluster_once. Returns 0
 * or -1 with a message in err. */
int hub_sched_migrate(char *err, size_t errlen);

/* This server's lease holder id ("host:pid:random"). Borrowed, static. */
const char *hub_sched_holder(void);

#endif
