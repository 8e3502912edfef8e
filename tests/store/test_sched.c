/*
 * test_sched.c - the scheduler: daily times across the DST days of
 * Europe/Berlin, interval runs, no self-overlap under kicks, prompt stop,
 * failures and status, registration rules, the lease logic, and two
 * scheduler processes sharing one database where exactly one runs a
 * cluster_once job.
 */
#include "testutil.h"
#include "check.h"
#include "hub_time.h"
#include "sched/sched.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sys/wait.h>

static char dir[512];

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	if (hub_time_parse(rfc3339, &t) != 0) {
		fprintf(stderr, "bad time %s\n", rfc3339);
		exit(2);
	}
	return t;
}

/* ------------------------------------------------------------ DST days */

static void test_daily_dst(void)
{
	/* spring forward: 2026-03-29, 02:00 CET -> 03:00 CEST */
	int64_t sat = at("2026-03-28T12:00:00+01:00");
	CHECK_INT(hub_sched_next_daily(sat, 3, 0),
		  at("2026-03-29T03:00:00+02:00"));
	CHECK_INT(
	    hub_sched_next_daily(sat, 3, 0) -
		hub_sched_next_daily(at("2026-03-27T12:00:00+01:00"), 3, 0),
	    23 * 3600); /* that night is an hour short */
	/* 02:30 does not exist that night: same distance from midnight */
	CHECK_INT(hub_sched_next_daily(sat, 2, 30),
		  at("2026-03-29T03:30:00+02:00"));
	CHECK_INT(hub_sched_next_daily(at("2026-03-29T03:30:00+02:00"), 2, 30),
		  at("2026-03-30T02:30:00+02:00"));
	CHECK_INT(hub_sched_next_daily(at("2026-03-29T01:30:00+01:00"), 1, 45),
		  at("2026-03-29T01:45:00+01:00"));
	CHECK_INT(hub_sched_next_daily(sat, 12, 0),
		  at("2026-03-29T12:00:00+02:00")); /* strictly after */

	/* fall back: 2026-10-25, 03:00 CEST -> 02:00 CET */
	int64_t oct = at("2026-10-24T12:00:00+02:00");
	int64_t first = hub_sched_next_daily(oct, 2, 30);
	CHECK_INT(first, at("2026-10-25T02:30:00+02:00"));
	/* the repeated 02:30 (+01:00) does not run a second time */
	CHECK_INT(hub_sched_next_daily(first, 2, 30),
		  at("2026-10-26T02:30:00+01:00"));
	CHECK_INT(hub_sched_next_daily(oct, 3, 0),
		  at("2026-10-25T03:00:00+01:00"));
	CHECK_INT(
	    hub_sched_next_daily(oct, 3, 0) -
		hub_sched_next_daily(at("2026-10-23T12:00:00+02:00"), 3, 0),
	    25 * 3600);
	/* an ordinary day, and midnight */
	CHECK_INT(hub_sched_next_daily(at("2026-07-01T23:59:00+02:00"), 0, 0),
		  at("2026-07-02T00:00:00+02:00"));
	CHECK_INT(hub_sched_next_daily(at("2026-12-31T23:30:00+01:00"), 23, 30),
		  at("2027-01-01T23:30:00+01:00"));
}

/* --------------------------------------------------------------- jobs */

typedef struct probe {
	int runs; /* calls of fn */
	int active, max_active;
	long sleep_ms;	     /* how long fn takes */
	int fail;	     /* return 1 with a message */
	long long times[64]; /* start of each call, ms */
} probe;

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

static int probe_fn(void *ud, char *err, size_t errlen)
{
	probe *p = ud;
	pthread_mutex_lock(&probe_lock);
	if (p->runs < 64)
		p->times[p->runs] = tu_now_ms();
	p->runs++;
	if (++p->active > p->max_active)
		p->max_active = p->active;
	pthread_mutex_unlock(&probe_lock);
	if (p->sleep_ms)
		tu_sleep_ms(p->sleep_ms);
	pthread_mutex_lock(&probe_lock);
	p->active--;
	pthread_mutex_unlock(&probe_lock);
	if (p->fail) {
		snprintf(err, errlen, "calendar unreachable");
		return 1;
	}
	return 0;
}

static int probe_runs(probe *p)
{
	int n;
	pthread_mutex_lock(&probe_lock);
	n = p->runs;
	pthread_mutex_unlock(&probe_lock);
	return n;
}

/* Waits up to timeout_ms for p->runs >= n. */
static int wait_runs(probe *p, int n, long timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;
	while (probe_runs(p) < n && tu_now_ms() < end)
		tu_sleep_ms(10);
	return probe_runs(p) >= n;
}

static void test_registration(void)
{
	probe p = {0};
	hub_job both = {"x", 5, "03:00", 0, 0, probe_fn, &p};
	hub_job none = {"x", 0, NULL, 0, 0, probe_fn, &p};
	hub_job badtime = {"x", 0, "24:00", 0, 0, probe_fn, &p};
	hub_job badtime2 = {"x", 0, "3:00", 0, 0, probe_fn, &p};
	hub_job nofn = {"x", 5, NULL, 0, 0, NULL, &p};
	hub_job ok = {"x", 5, NULL, 0, 0, probe_fn, &p};
	CHECK_INT(hub_sched_add("t", &both), -1);
	CHECK_INT(hub_sched_add("t", &none), -1);
	CHECK_INT(hub_sched_add("t", &badtime), -1);
	CHECK_INT(hub_sched_add("t", &badtime2), -1);
	CHECK_INT(hub_sched_add("t", &nofn), -1);
	CHECK_INT(hub_sched_add("t", &ok), 0);
	CHECK_INT(hub_sched_add("t", &ok), -1); /* duplicate */
	CHECK_INT(hub_sched_add("u", &ok), 0);	/* other owner: fine */
	hub_sched_remove_owner("t");
	CHECK_INT(hub_sched_stats_get("t", "x", NULL), -1);
	CHECK_INT(hub_sched_stats_get("u", "x", NULL), 0);
	hub_sched_clear();
	CHECK_INT(hub_sched_stats_get("u", "x", NULL), -1);
}

static void test_interval_and_overlap(void)
{
	probe iv = {0}, slow = {0};
	hub_sched_stats st;
	hub_job j1 = {"tick", 1, NULL, 0, 0, probe_fn, &iv};
	hub_job j2 = {"slow", 3600, NULL, 0, 0, probe_fn, &slow};
	slow.sleep_ms = 150;
	CHECK_INT(hub_sched_add("t", &j1), 0);
	CHECK_INT(hub_sched_add("t", &j2), 0);
	CHECK_INT(hub_sched_start(), 0);
	CHECK_INT(hub_sched_add("t", &j1), -1); /* not after start */
	CHECK_INT(hub_sched_start(), -1);
	/* kick the slow job hard from here while it runs */
	for (int i = 0; i < 20; i++) {
		hub_sched_kick("t", "slow");
		tu_sleep_ms(20);
	}
	CHECK(wait_runs(&iv, 3, 5000));
	CHECK(wait_runs(&slow, 2, 3000));
	hub_sched_kick("t", "nosuch"); /* logged, harmless */
	hub_sched_stop();
	pthread_mutex_lock(&probe_lock);
	CHECK_INT(slow.max_active, 1); /* never overlapped itself */
	CHECK_INT(iv.max_active, 1);
	/* first run right after start, then about every second */
	CHECK(iv.runs >= 3);
	for (int i = 1; i < iv.runs && i < 64; i++)
		CHECK(iv.times[i] - iv.times[i - 1] >= 900);
	/* kicks coalesce: fewer runs than kicks, but more than one */
	CHECK(slow.runs >= 2 && slow.runs < 20);
	pthread_mutex_unlock(&probe_lock);
	CHECK_INT(hub_sched_stats_get("t", "tick", &st), 0);
	CHECK(st.runs >= 3 && st.failures == 0);
	CHECK_STR(st.last_result, "ok");
	hub_sched_clear();
}

static void test_stop_prompt(void)
{
	probe d = {0}, h = {0}, busy = {0};
	hub_job daily = {"nightly", 0, "03:00", 0, 0, probe_fn, &d};
	hub_job hourly = {"hourly", 3600, NULL, 3000, 0, probe_fn, &h};
	hub_job running = {"busy", 3600, NULL, 0, 0, probe_fn, &busy};
	long long t0;
	busy.sleep_ms = 400;
	hub_sched_add("t", &daily);
	hub_sched_add("t", &hourly); /* first run up to 50 min away */
	CHECK_INT(hub_sched_start(), 0);
	tu_sleep_ms(100);
	t0 = tu_now_ms();
	hub_sched_stop();
	CHECK(tu_now_ms() - t0 < 500); /* sleepers woke at once */
	CHECK_INT(probe_runs(&d), 0);
	hub_sched_clear();

	/* a stop during a run waits for that run, no longer */
	hub_sched_add("t", &running);
	CHECK_INT(hub_sched_start(), 0);
	CHECK(wait_runs(&busy, 1, 2000));
	t0 = tu_now_ms();
	hub_sched_stop();
	CHECK(tu_now_ms() - t0 < 2000); /* not the hour to the next run */
	CHECK_INT(busy.active, 0);
	hub_sched_clear();
}

static void test_failure_and_status(void)
{
	probe f = {0};
	hub_job bad = {"sync", 3600, NULL, 0, 0, probe_fn, &f};
	hub_job nightly = {"backup", 0, "03:00", 60, 0, probe_fn, &f};
	hub_sched_stats st;
	char *json;
	cJSON *arr, *o;
	f.fail = 1;
	hub_sched_add("calendar", &bad);
	hub_sched_add("core", &nightly);
	CHECK_INT(hub_sched_start(), 0);
	CHECK(wait_runs(&f, 1, 2000));
	tu_sleep_ms(50);
	CHECK_INT(hub_sched_stats_get("calendar", "sync", &st), 0);
	CHECK_INT(st.failures, 1);
	CHECK_STR(st.last_result, "error");
	CHECK_STR(st.last_error, "calendar unreachable");
	CHECK(st.next_run_ms - st.last_run_ms >= 3599000);
	json = hub_sched_status_json();
	CHECK(json != NULL);
	arr = json ? cJSON_Parse(json) : NULL;
	CHECK(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 2);
	o = cJSON_GetArrayItem(arr, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")), "sync");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_result")),
		  "error");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "schedule")),
		  "every 3600s");
	CHECK(cJSON_IsString(cJSON_GetObjectItem(o, "last_run")));
	o = cJSON_GetArrayItem(arr, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "schedule")),
		  "daily 03:00");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "last_result")));
	/* next run: 03:00-03:01 local, within the next day */
	const char *next =
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "next_run"));
	CHECK(next && strncmp(next + 11, "03:0", 4) == 0);
	cJSON_Delete(arr);
	free(json);
	hub_sched_stop();
	hub_sched_clear();
}

/* -------------------------------------------------------------- leases */

static void test_lease_logic(void)
{
	char err[256];
	hub_db *db;
	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	CHECK_INT(hub_sched_migrate(err, sizeof(err)), 0);
	db = hub_store_db();
	CHECK_INT(hub_sched_lease_acquire(db, "m/j", "A", 1000, 500), 1);
	CHECK_INT(hub_sched_lease_acquire(db, "m/j", "B", 1200, 500), 0);
	CHECK_INT(hub_sched_lease_acquire(db, "m/j", "A", 1300, 500), 1);
	CHECK_INT(hub_sched_lease_acquire(db, "m/j", "B", 1799, 500), 0);
	CHECK_INT(hub_sched_lease_acquire(db, "m/j", "B", 1800, 500), 1);
	CHECK_INT(hub_sched_lease_acquire(db, "m/j", "A", 1900, 500), 0);
	CHECK_INT(hub_sched_lease_acquire(db, "m/other", "A", 1900, 500), 1);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM hub_job_leases"), 2);
	CHECK(strchr(hub_sched_holder(), ':') != NULL);
	CHECK_INT(hub_store_exec(db, "CREATE TABLE job_runs (pid INTEGER "
				     "NOT NULL)"),
		  HUB_DB_OK);
	hub_store_close();
}

static int record_run(void *ud, char *err, size_t errlen)
{
	hub_db *db = hub_store_db();
	hub_stmt *st = NULL;
	int rc =
	    hub_store_prepare(db, "INSERT INTO job_runs (pid) VALUES (?)", &st);
	(void)ud;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, getpid());
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		snprintf(err, errlen, "%s", hub_store_errmsg(db));
		return 1;
	}
	return 0;
}

/* Child: waits for "go", runs a scheduler with one cluster_once job until
 * its first turn is decided. Exits 0 when it ran, 10 when skipped. */
static void lease_child(int gofd)
{
	char err[256], c;
	hub_sched_stats st = {0};
	hub_job job = {"report", 3600, NULL, 0, 1, record_run, NULL};
	long long end;
	if (hub_store_open(dir, err, sizeof(err)) != 0)
		_exit(2);
	hub_sched_add("core", &job);
	if (read(gofd, &c, 1) != 1)
		_exit(3);
	if (hub_sched_start() != 0)
		_exit(4);
	end = tu_now_ms() + 5000;
	while (tu_now_ms() < end) {
		hub_sched_stats_get("core", "report", &st);
		if (st.runs + st.skipped + st.failures > 0)
			break;
		tu_sleep_ms(5);
	}
	hub_sched_stop();
	hub_store_close();
	_exit(st.runs == 1 ? 0 : st.skipped == 1 ? 10 : 5);
}

static void test_lease_two_schedulers(void)
{
	int go[2], status, codes[2] = {-1, -1};
	pid_t kids[2];
	char err[256];
	if (pipe(go) != 0)
		exit(2);
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			close(go[1]);
			lease_child(go[0]);
		}
	}
	close(go[0]);
	tu_sleep_ms(100); /* both are ready and block on the pipe */
	if (write(go[1], "gg", 2) != 2)
		exit(2);
	close(go[1]);
	for (int k = 0; k < 2; k++) {
		waitpid(kids[k], &status, 0);
		codes[k] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	CHECK((codes[0] == 0 && codes[1] == 10) ||
	      (codes[0] == 10 && codes[1] == 0));
	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	CHECK_INT(tu_int(hub_store_db(), "SELECT COUNT(*) FROM job_runs"), 1);
	CHECK_INT(tu_int(hub_store_db(),
			 "SELECT COUNT(*) FROM hub_job_leases WHERE name = "
			 "'core/report'"),
		  1);
	hub_store_close();
}

int main(void)
{
	if (hub_time_init("Europe/Berlin") != 0) {
		fprintf(stderr, "no Europe/Berlin zone\n");
		return 1;
	}
	tu_mkdtemp(dir, sizeof(dir), "sched");
	test_daily_dst();
	test_registration();
	test_interval_and_overlap();
	test_stop_prompt();
	test_failure_and_status();
	test_lease_logic();
	test_lease_two_schedulers();
	tu_rmtree(dir);
	return check_report("sched");
}
