/*
 * sched.c - the scheduler: one thread per registered job.
 *
 * A job's thread sleeps on its own condition variable until the job is
 * due, kicked, or the scheduler stops, so a stop is never slept through.
 * Being one thread, a job can never overlap itself; a kick during a run
 * makes one more run right after it. Interval jobs run first right after
 * start (plus jitter) and then every interval_s measured from the planned
 * start, so runs do not drift; a run longer than the interval is followed
 * at once by the next. Daily jobs run at HH:MM in the business time zone
 * (see hub_sched_next_daily for DST days). Every turn adds 0..jitter_s
 * seconds of random delay.
 *
 * All job state is guarded by g.lock; fn itself runs without it.
 */
#define _GNU_SOURCE
#include "sched/sched.h"
#include "base/errsink.h"
#include "base/log.h"
#include "hub_time.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

typedef struct sched_job {
	char owner[64], name[64];
	unsigned interval_s;	/* 0 for daily jobs */
	int daily_hh, daily_mm; /* -1 for interval jobs */
	unsigned jitter_s;
	int cluster_once;
	hub_job_fn fn;
	void *userdata;

	pthread_t thread;
	int has_thread;
	pthread_cond_t cond; /* signalled on kick and stop (CLOCK_MONOTONIC) */
	unsigned seed;	     /* jitter PRNG state */

	/* state, guarded by g.lock */
	int kicked;
	int64_t base_ms; /* planned start without jitter */
	hub_sched_stats st;
	int64_t last_duration_ms;

	struct sched_job *next;
} sched_job;

static struct {
	pthread_mutex_t lock; /* guards the list and all job state */
	sched_job *jobs;      /* in registration order */
	int started;	      /* threads running */
	int stopping;	      /* hub_sched_stop in progress */
} g = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

#define WAIT_CAP_MS 30000 /* re-check the wall clock at least this often */

static int64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* -------------------------------------------------------- registration */

/* Parses "HH:MM". Returns 0 or -1. */
static int parse_hhmm(const char *s, int *hh, int *mm)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*hh = (s[0] - '0') * 10 + (s[1] - '0');
	*mm = (s[3] - '0') * 10 + (s[4] - '0');
	return *hh <= 23 && *mm <= 59 ? 0 : -1;
}

static sched_job *find_job(const char *owner, const char *name)
{
	for (sched_job *j = g.jobs; j; j = j->next)
		if (strcmp(j->owner, owner) == 0 && strcmp(j->name, name) == 0)
			return j;
	return NULL;
}

/* Adds a job (copied); see sched.h. Logs why when it refuses. */
int hub_sched_add(const char *owner, const hub_job *job)
{
	sched_job *j;
	int hh = -1, mm = -1;
	pthread_condattr_t ca;
	const char *why = NULL;

	if (!owner || !job || !job->name || !*job->name || !job->fn)
		why = "owner, name and fn are required";
	else if (strlen(owner) >= 64 || strlen(job->name) >= 64)
		why = "owner or name too long";
	else if (job->daily_at && parse_hhmm(job->daily_at, &hh, &mm) != 0)
		why = "daily_at must be HH:MM";
	else if (!job->daily_at == !job->interval_s)
		why = "set exactly one of interval_s and daily_at";
	if (why) {
		hub_logf(HUB_LOG_ERROR, "sched", "job %s/%s: %s",
			 owner ? owner : "?",
			 job && job->name ? job->name : "?", why);
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	snprintf(j->owner, sizeof(j->owner), "%s", owner);
	snprintf(j->name, sizeof(j->name), "%s", job->name);
	j->interval_s = job->interval_s;
	j->daily_hh = hh;
	j->daily_mm = mm;
	j->jitter_s = job->jitter_s;
	j->cluster_once = job->cluster_once;
	j->fn = job->fn;
	j->userdata = job->userdata;
	j->seed = (unsigned)wall_ms() ^ (unsigned)(uintptr_t)j;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&g.lock);
	if (g.started || find_job(owner, job->name)) {
		why = g.started ? "the scheduler is already running"
				: "a job of that name exists";
		pthread_mutex_unlock(&g.lock);
		hub_logf(HUB_LOG_ERROR, "sched", "job %s/%s: %s", owner,
			 job->name, why);
		pthread_cond_destroy(&j->cond);
		free(j);
		return -1;
	}
	sched_job **pp = &g.jobs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = j;
	pthread_mutex_unlock(&g.lock);
	return 0;
}

static void job_free(sched_job *j)
{
	pthread_cond_destroy(&j->cond);
	free(j);
}

/* Removes every job of `owner` while the scheduler is stopped. */
void hub_sched_remove_owner(const char *owner)
{
	pthread_mutex_lock(&g.lock);
	if (g.started) {
		pthread_mutex_unlock(&g.lock);
		hub_logf(HUB_LOG_WARN, "sched",
			 "cannot remove jobs of %s while running", owner);
		return;
	}
	for (sched_job **pp = &g.jobs; *pp;) {
		sched_job *j = *pp;
		if (owner && strcmp(j->owner, owner) == 0) {
			*pp = j->next;
			job_free(j);
		} else {
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&g.lock);
}

void hub_sched_clear(void)
{
	pthread_mutex_lock(&g.lock);
	if (!g.started) {
		while (g.jobs) {
			sched_job *j = g.jobs;
			g.jobs = j->next;
			job_free(j);
		}
	}
	pthread_mutex_unlock(&g.lock);
}

/* ------------------------------------------------------------- planning */

static int64_t period_ms(const sched_job *j)
{
	return j->interval_s ? (int64_t)j->interval_s * 1000 : 86400000;
}

static int64_t jitter_ms(sched_job *j)
{
	if (!j->jitter_s)
		return 0;
	return (int64_t)(rand_r(&j->seed) % (j->jitter_s * 1000u + 1u));
}

/* Plans the turn after one that started at base (planned) and ended at
 * end_ms. Caller holds g.lock. */
static void plan_next(sched_job *j, int64_t end_ms)
{
	if (j->interval_s) {
		j->base_ms += period_ms(j);
		if (j->base_ms < end_ms)
			j->base_ms = end_ms;
	} else {
		int64_t after = (end_ms > j->base_ms ? end_ms : j->base_ms);
		j->base_ms = hub_sched_next_daily(after / 1000, j->daily_hh,
						  j->daily_mm) *
			     1000;
	}
	j->st.next_run_ms = j->base_ms + jitter_ms(j);
}

/* ---------------------------------------------------------------- a run */

/* Runs fn once (after taking the lease for cluster_once jobs). Returns 0
 * ok, 1 failed, 2 skipped; err holds the failure. */
static int run_turn(sched_job *j, char *err, size_t errlen)
{
	char full[140];
	int64_t start = wall_ms(), p = period_ms(j), margin = p / 10;
	hub_db *db = NULL;
	int rc;
	if (margin > 60000)
		margin = 60000;
	if (j->cluster_once) {
		/* While it runs, the lease covers a run that overruns its
		 * period (up to 4 periods, at most 30 min, never less than the
		 * period): no other server starts it meanwhile. Afterwards it
		 * is set back to this period's end. */
		int64_t running_ttl = 4 * p < 1800000 ? 4 * p : 1800000;
		int got;
		if (running_ttl < p - margin)
			running_ttl = p - margin;
		db = hub_store_db();
		snprintf(full, sizeof(full), "%s/%s", j->owner, j->name);
		got = db ? hub_sched_lease_acquire(db, full, hub_sched_holder(),
						   start, running_ttl)
			 : HUB_DB_EIO;
		if (got == 0)
			return 2;
		if (got < 0) {
			snprintf(err, errlen, "lease: %s",
				 db ? hub_store_errmsg(db)
				    : "storage unavailable");
			return 1;
		}
	}
	err[0] = 0;
	rc = j->fn(j->userdata, err, errlen) != 0;
	if (rc && !err[0])
		snprintf(err, errlen, "failed without a message");
	if (j->cluster_once && (db = hub_store_db()) != NULL) {
		int64_t now = wall_ms(), left = start + p - margin - now;
		/* back to the schedule: held to this period's end (or
		 * handed back at once when the run overran it) */
		hub_sched_lease_acquire(db, full, hub_sched_holder(), now,
					left > 0 ? left : 1);
	}
	return rc;
}

/* Hands a failed run to the error reports (base/errsink.h). */
static void report_failure(const sched_job *j, const char *err)
{
	char msg[400];
	hub_err_event ev = {.kind = "job", .logger = j->owner, .message = msg};
	snprintf(msg, sizeof(msg), "job %s/%s failed: %s", j->owner, j->name,
		 err);
	hub_err_report(&ev);
}

/* Records a finished turn and logs it. Caller holds g.lock. */
static void record_turn(sched_job *j, int result, const char *err,
			int64_t start_ms, int64_t end_ms)
{
	int64_t dur = end_ms - start_ms;
	j->st.running = 0;
	j->last_duration_ms = dur;
	j->st.last_run_ms = start_ms;
	if (result == 0) {
		j->st.runs++;
		snprintf(j->st.last_result, sizeof(j->st.last_result), "ok");
		hub_logf(period_ms(j) >= 60000 ? HUB_LOG_INFO : HUB_LOG_DEBUG,
			 "sched", "job %s/%s ok in %lld ms", j->owner, j->name,
			 (long long)dur);
	} else if (result == 1) {
		j->st.failures++;
		snprintf(j->st.last_result, sizeof(j->st.last_result), "error");
		snprintf(j->st.last_error, sizeof(j->st.last_error), "%s", err);
		hub_logf(HUB_LOG_ERROR, "sched",
			 "job %s/%s failed in %lld ms: %s", j->owner, j->name,
			 (long long)dur, err);
		report_failure(j, err);
	} else {
		j->st.skipped++;
		snprintf(j->st.last_result, sizeof(j->st.last_result),
			 "skipped");
		hub_logf(HUB_LOG_DEBUG, "sched",
			 "job %s/%s skipped: another server holds its lease",
			 j->owner, j->name);
	}
}

static void *job_thread(void *p)
{
	sched_job *j = p;
	char err[256];
	struct timespec ts;

	pthread_mutex_lock(&g.lock);
	while (!g.stopping) {
		int64_t now = wall_ms(), start;
		int result;
		if (!j->kicked && now < j->st.next_run_ms) {
			int64_t wait = j->st.next_run_ms - now;
			if (wait > WAIT_CAP_MS)
				wait = WAIT_CAP_MS;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&j->cond, &g.lock, &ts);
			continue;
		}
		j->kicked = 0;
		j->st.running = 1;
		start = now;
		pthread_mutex_unlock(&g.lock);
		result = run_turn(j, err, sizeof(err));
		pthread_mutex_lock(&g.lock);
		now = wall_ms();
		record_turn(j, result, err, start, now);
		plan_next(j, now);
	}
	pthread_mutex_unlock(&g.lock);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

/* Starts one thread per job; see sched.h. Applies the lease table's
 * migration first when a job is cluster_once. */
int hub_sched_start(void)
{
	int need_lease = 0, rc = 0;
	char err[256];
	int64_t now = wall_ms();

	pthread_mutex_lock(&g.lock);
	if (g.started) {
		pthread_mutex_unlock(&g.lock);
		return -1;
	}
	for (sched_job *j = g.jobs; j; j = j->next)
		need_lease |= j->cluster_once;
	pthread_mutex_unlock(&g.lock);
	if (need_lease && hub_sched_migrate(err, sizeof(err)) != 0) {
		hub_logf(HUB_LOG_ERROR, "sched", "cannot start: %s", err);
		return -1;
	}
	pthread_mutex_lock(&g.lock);
	g.stopping = 0;
	for (sched_job *j = g.jobs; j; j = j->next) {
		j->kicked = 0;
		if (j->interval_s) {
			j->base_ms = now;
			j->st.next_run_ms = now + jitter_ms(j);
		} else {
			j->base_ms = 0;
			plan_next(j, now);
		}
	}
	for (sched_job *j = g.jobs; j && rc == 0; j = j->next) {
		if (pthread_create(&j->thread, NULL, job_thread, j) != 0) {
			hub_logf(HUB_LOG_ERROR, "sched",
				 "cannot start thread for %s/%s", j->owner,
				 j->name);
			rc = -1;
		} else {
			j->has_thread = 1;
		}
	}
	g.started = 1;
	pthread_mutex_unlock(&g.lock);
	if (rc != 0)
		hub_sched_stop();
	return rc;
}

/* Stops every job thread: wakes the sleeping ones at once and waits for
 * running ones to return from fn. */
void hub_sched_stop(void)
{
	pthread_mutex_lock(&g.lock);
	if (!g.started) {
		pthread_mutex_unlock(&g.lock);
		return;
	}
	g.stopping = 1;
	for (sched_job *j = g.jobs; j; j = j->next)
		pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&g.lock);
	/* the list cannot change while started */
	for (sched_job *j = g.jobs; j; j = j->next) {
		if (j->has_thread)
			pthread_join(j->thread, NULL);
		j->has_thread = 0;
	}
	pthread_mutex_lock(&g.lock);
	g.started = 0;
	g.stopping = 0;
	pthread_mutex_unlock(&g.lock);
}

/* Asks job owner/name to run as soon as possible (after its current run
 * when it is running). Unknown jobs are logged and ignored. */
void hub_sched_kick(const char *owner, const char *name)
{
	sched_job *j;
	pthread_mutex_lock(&g.lock);
	j = owner && name ? find_job(owner, name) : NULL;
	if (j) {
		j->kicked = 1;
		pthread_cond_signal(&j->cond);
	}
	pthread_mutex_unlock(&g.lock);
	if (!j)
		hub_logf(HUB_LOG_WARN, "sched", "kick of unknown job %s/%s",
			 owner ? owner : "?", name ? name : "?");
}

int hub_sched_stats_get(const char *owner, const char *name,
			hub_sched_stats *out)
{
	sched_job *j;
	pthread_mutex_lock(&g.lock);
	j = owner && name ? find_job(owner, name) : NULL;
	if (j && out)
		*out = j->st;
	pthread_mutex_unlock(&g.lock);
	return j ? 0 : -1;
}

/* ---------------------------------------------------------------- status */

/* Adds an RFC 3339 time (business zone) or null. */
static void add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];
	if (ms > 0 && hub_time_format(ms / 1000, buf) == 0)
		cJSON_AddStringToObject(o, key, buf);
	else
		cJSON_AddNullToObject(o, key);
}

/* JSON array of every job; see sched.h. Owned: free(). */
char *hub_sched_status_json(void)
{
	cJSON *arr = cJSON_CreateArray();
	char *out = NULL, sched[32];
	if (!arr)
		return NULL;
	pthread_mutex_lock(&g.lock);
	for (sched_job *j = g.jobs; j; j = j->next) {
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "owner", j->owner);
		cJSON_AddStringToObject(o, "name", j->name);
		if (j->interval_s)
			snprintf(sched, sizeof(sched), "every %us",
				 j->interval_s);
		else
			snprintf(sched, sizeof(sched), "daily %02d:%02d",
				 j->daily_hh, j->daily_mm);
		cJSON_AddStringToObject(o, "schedule", sched);
		cJSON_AddBoolToObject(o, "cluster_once", j->cluster_once);
		cJSON_AddBoolToObject(o, "running", j->st.running);
		add_time(o, "last_run", j->st.last_run_ms);
		if (j->st.last_result[0]) {
			cJSON_AddStringToObject(o, "last_result",
						j->st.last_result);
			cJSON_AddNumberToObject(o, "last_duration_ms",
						(double)j->last_duration_ms);
		} else {
			cJSON_AddNullToObject(o, "last_result");
			cJSON_AddNullToObject(o, "last_duration_ms");
		}
		if (j->st.last_error[0])
			cJSON_AddStringToObject(o, "last_error",
						j->st.last_error);
		else
			cJSON_AddNullToObject(o, "last_error");
		add_time(o, "next_run", g.started ? j->st.next_run_ms : 0);
		cJSON_AddNumberToObject(o, "runs", (double)j->st.runs);
		cJSON_AddNumberToObject(o, "failures", (double)j->st.failures);
		cJSON_AddNumberToObject(o, "skipped", (double)j->st.skipped);
	}
	pthread_mutex_unlock(&g.lock);
	out = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return out;
}
