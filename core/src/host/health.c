/*
 * health.c - the health report: every check registered by the core and
 * the modules runs on its own thread within its time budget; a check that
 * overruns is reported as failed and its late answer discarded. Also the
 * core's own checks: storage, disk, cache and scheduler.
 */
#define _GNU_SOURCE
#include "cache/cache.h"
#include "host/host.h"
#include "sched/sched.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

/* One running check. Freed by whoever drops the last reference: the
 * waiter, or the check thread when the waiter gave up on it. */
typedef struct task {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	int done;
	hub_check_fn fn;
	void *ud;
	hub_reg_check *check; /* its running flag is cleared at the end */
	hub_health_result res;
} task;

/* Serialises reports, guards every check's running flag, and keeps the
 * last report for a second so a burst of polls costs one run. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int outstanding; /* check threads still running */
	char *last;	 /* the last report (owned) */
	int last_status;
	double last_at; /* hub_uptime_s() when it was made */
} g_h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, 0, 0};

static void task_unref(task *t)
{
	pthread_mutex_lock(&t->lock);
	int left = --t->refs;
	pthread_mutex_unlock(&t->lock);
	if (left == 0) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
		free(t);
	}
}

static void *task_main(void *arg)
{
	task *t = arg;
	hub_health_result r;
	memset(&r, 0, sizeof(r));
	r.status = HUB_HEALTH_FAIL;
	t->fn(t->ud, &r);
	r.detail[sizeof(r.detail) - 1] = 0;
	pthread_mutex_lock(&t->lock);
	t->res = r;
	t->done = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_lock(&g_h.lock);
	t->check->running = 0;
	g_h.outstanding--;
	pthread_cond_broadcast(&g_h.idle);
	pthread_mutex_unlock(&g_h.lock);
	task_unref(t);
	return NULL;
}

static const char *status_name(int s)
{
	return s == HUB_HEALTH_OK	  ? "ok"
	       : s == HUB_HEALTH_DEGRADED ? "degraded"
					  : "fail";
}

typedef struct pending {
	task *t;
	const hub_reg_check *c;
	const char *owner;
} pending;

/* Starts check c on a thread of its own. One run per check at a time: a
 * check still stuck in an earlier run is reported, not started again, and
 * so is one whose thread could not start. Returns the task (two
 * references: the caller's and the thread's) or NULL when out of memory. */
static task *start_check(hub_reg_check *c)
{
	task *t = calloc(1, sizeof(*t));
	pthread_t th;
	int busy;
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->refs = 2;
	t->fn = c->fn;
	t->ud = c->userdata;
	t->check = c;
	pthread_mutex_lock(&g_h.lock);
	busy = c->running;
	if (!busy) {
		c->running = 1;
		g_h.outstanding++;
	}
	pthread_mutex_unlock(&g_h.lock);
	if (!busy && pthread_create(&th, NULL, task_main, t) == 0) {
		pthread_detach(th);
		return t;
	}
	if (!busy) {
		pthread_mutex_lock(&g_h.lock);
		c->running = 0;
		g_h.outstanding--;
		pthread_mutex_unlock(&g_h.lock);
	}
	t->refs = 1;
	t->done = 1;
	snprintf(t->res.detail, sizeof(t->res.detail), "%s",
		 busy ? "still running since an earlier report"
		      : "could not start the check");
	t->res.status = HUB_HEALTH_FAIL;
	return t;
}

/* Starts every registered check; *out gets them (owned: free) and *n
 * their number. Returns 0, or -1 when out of memory (the checks already
 * started are in *out). */
static int start_all(pending **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t m = 0; m < hub_modules_count(); m++) {
		hub_ctx *ctx = hub_modules_at(m);
		for (size_t i = 0; ctx && i < ctx->nchecks; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				pending *np =
				    realloc(*out, cap * sizeof(**out));
				if (!np)
					return -1;
				*out = np;
			}
			task *t = start_check(&ctx->checks[i]);
			if (!t)
				return -1;
			(*out)[*n].t = t;
			(*out)[*n].c = &ctx->checks[i];
			(*out)[*n].owner = ctx->name;
			(*n)++;
		}
	}
	return 0;
}

/* Waits for p's check within its budget and drops the caller's reference.
 * Returns its result; "timed out" when the budget ran out. */
static hub_health_result wait_check(const pending *p)
{
	struct timespec dl;
	task *t = p->t;
	hub_health_result r;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += p->c->budget_ms / 1000;
	dl.tv_nsec += (long)(p->c->budget_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!t->done)
		if (pthread_cond_timedwait(&t->cond, &t->lock, &dl) ==
		    ETIMEDOUT)
			break;
	if (t->done) {
		r = t->res;
	} else {
		r.status = HUB_HEALTH_FAIL;
		snprintf(r.detail, sizeof(r.detail), "timed out after %u ms",
			 p->c->budget_ms);
	}
	pthread_mutex_unlock(&t->lock);
	task_unref(t);
	if (r.status < HUB_HEALTH_OK || r.status > HUB_HEALTH_FAIL)
		r.status = HUB_HEALTH_FAIL;
	return r;
}

/* The GET /health document: runs every check and collects the results.
 * Owned: free(); NULL when out of memory. */
static char *build_report(int *http_status)
{
	pending *p = NULL;
	size_t n = 0, waited = 0;
	int worst = HUB_HEALTH_OK;
	cJSON *root = cJSON_CreateObject(), *checks = cJSON_CreateObject();
	char *out = NULL;

	if (!root || !checks || start_all(&p, &n) != 0)
		goto done;
	for (size_t i = 0; i < n; i++, waited++) {
		hub_health_result r = wait_check(&p[i]);
		if (r.status > worst)
			worst = r.status;
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "status", status_name(r.status));
		cJSON_AddStringToObject(c, "detail", r.detail);
		cJSON_AddStringToObject(c, "module", p[i].owner);
		cJSON_AddItemToObject(checks, p[i].c->name, c);
	}
	cJSON_AddStringToObject(root, "status",
				worst == HUB_HEALTH_OK	       ? "healthy"
				: worst == HUB_HEALTH_DEGRADED ? "degraded"
							       : "unhealthy");
	cJSON_AddItemToObject(root, "checks", checks);
	checks = NULL;
	cJSON_AddStringToObject(root, "version", HUB_VERSION);
	cJSON_AddNumberToObject(root, "uptime_s", (double)(long)hub_uptime_s());
	out = cJSON_PrintUnformatted(root);
	*http_status = worst == HUB_HEALTH_OK ? 200 : 503;
done:
	for (size_t i = waited; i < n; i++) /* not waited for: out of memory */
		task_unref(p[i].t);
	free(p);
	cJSON_Delete(checks);
	cJSON_Delete(root);
	return out;
}

/* Runs the checks, or hands out a copy of a report made less than a
 * second ago. One report is built at a time. */
char *hub_health_report(int *http_status)
{
	static pthread_mutex_t one = PTHREAD_MUTEX_INITIALIZER;
	char *out = NULL;
	pthread_mutex_lock(&one);
	pthread_mutex_lock(&g_h.lock);
	if (g_h.last && hub_uptime_s() - g_h.last_at < 1.0) {
		out = strdup(g_h.last);
		*http_status = g_h.last_status;
	}
	pthread_mutex_unlock(&g_h.lock);
	if (!out) {
		out = build_report(http_status);
		pthread_mutex_lock(&g_h.lock);
		free(g_h.last);
		g_h.last = out ? strdup(out) : NULL;
		g_h.last_status = *http_status;
		g_h.last_at = hub_uptime_s();
		pthread_mutex_unlock(&g_h.lock);
	}
	pthread_mutex_unlock(&one);
	return out;
}

int hub_health_wait_idle(unsigned timeout_ms)
{
	struct timespec dl;
	int rc;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&g_h.lock);
	while (g_h.outstanding > 0)
		if (pthread_cond_timedwait(&g_h.idle, &g_h.lock, &dl) ==
		    ETIMEDOUT)
			break;
	rc = g_h.outstanding > 0 ? -1 : 0;
	free(g_h.last);
	g_h.last = NULL;
	pthread_mutex_unlock(&g_h.lock);
	return rc;
}

/* ------------------------------------------------------- core checks */

int hub_health_storage_ready(void)
{
	hub_db *db = hub_store_db();
	hub_stmt *st = NULL;
	int ok = 0;
	if (db && hub_store_prepare(db, "SELECT 1", &st) == HUB_DB_OK)
		ok = hub_stmt_step(st) == HUB_DB_ROW;
	hub_stmt_finalize(st);
	return ok;
}

static void check_storage(void *ud, hub_health_result *out)
{
	(void)ud;
	if (hub_health_storage_ready()) {
		out->status = HUB_HEALTH_OK;
		snprintf(out->detail, sizeof(out->detail), "%s answers",
			 "database");
	} else {
		out->status = HUB_HEALTH_FAIL;
		snprintf(out->detail, sizeof(out->detail),
			 "database does not answer");
	}
}

static void check_disk(void *ud, hub_health_result *out)
{
	struct statvfs sv;
	const char *dir = hub_conf_get("server", "data_dir");
	(void)ud;
	if (!dir || statvfs(dir, &sv) != 0) {
		out->status = HUB_HEALTH_FAIL;
		snprintf(out->detail, sizeof(out->detail),
			 "cannot stat the data directory");
		return;
	}
	double freeb = (double)sv.f_bavail * (double)sv.f_frsize;
	double total = (double)sv.f_blocks * (double)sv.f_frsize;
	double pct = total > 0 ? 100.0 * freeb / total : 0;
	out->status = freeb < 64.0 * 1024 * 1024 || pct < 2 ? HUB_HEALTH_FAIL
		      : freeb < 1024.0 * 1024 * 1024 || pct < 10
			  ? HUB_HEALTH_DEGRADED
			  : HUB_HEALTH_OK;
	snprintf(out->detail, sizeof(out->detail),
		 "%.0f MiB free (%.1f%%) on the data volume",
		 freeb / (1024 * 1024), pct);
}

static void check_cache(void *ud, hub_health_result *out)
{
	size_t entries = 0, bytes = 0;
	(void)ud;
	hub_cache_stats(&entries, &bytes);
	out->status = HUB_HEALTH_OK;
	snprintf(out->detail, sizeof(out->detail),
		 "in-process, %zu entries, %zu bytes", entries, bytes);
}

static void check_jobs(void *ud, hub_health_result *out)
{
	char *js = hub_sched_status_json();
	cJSON *arr = js ? cJSON_Parse(js) : NULL, *it;
	int failing = 0, total = 0;
	char names[160] = "";
	(void)ud;
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *res = cJSON_GetObjectItem(it, "last_result");
		const cJSON *nm = cJSON_GetObjectItem(it, "name");
		total++;
		if (cJSON_IsString(res) && strcmp(res->valuestring, "ok") &&
		    strcmp(res->valuestring, "never")) {
			failing++;
			if (cJSON_IsString(nm) && strlen(names) < 100) {
				strcat(names, names[0] ? ", " : "");
				strncat(names, nm->valuestring, 50);
			}
		}
	}
	out->status = failing ? HUB_HEALTH_DEGRADED : HUB_HEALTH_OK;
	if (failing)
		snprintf(out->detail, sizeof(out->detail),
			 "%d of %d jobs failed their last run: %s", failing,
			 total, names);
	else
		snprintf(out->detail, sizeof(out->detail),
			 "%d jobs, none failing", total);
	cJSON_Delete(arr);
	free(js);
}

int hub_health_register_core(const hub_api *api)
{
	hub_ctx *core = hub_core_ctx();
	int rc = 0;
	rc |= api->health_check(core, "storage", check_storage, NULL, 2000);
	rc |= api->health_check(core, "disk", check_disk, NULL, 1000);
	rc |= api->health_check(core, "cache", check_cache, NULL, 500);
	rc |= api->health_check(core, "jobs", check_jobs, NULL, 500);
	return rc ? -1 : 0;
}
