/*
 * test_cal_quota.c - the quota governor under load: 50 threads call the
 * Google client at once with a budget of 20 requests per window; the fake
 * server, which timestamps every request it receives, must never see more
 * than 20 in any window. The window is shortened to 500 ms through the
 * test-only hook so the test is fast; the production window (60 s) is
 * checked separately. With a short wait bound, callers get "quota
 * exhausted" instead of sending.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"
#include "check.h"

#include "hub_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS	  50
#define CALLS	  4
#define QUOTA	  20
#define WINDOW_MS 500

static fake_gcal *g_f;
static _Atomic int g_ok, g_quota, g_other;

static void *caller(void *arg)
{
	long k = (long)arg;
	char err[256];
	for (int i = 0; i < CALLS; i++) {
		int rc;
		if ((k + i) % 2) {
			hub_cal_busy *b = NULL;
			size_t n = 0;
			rc = hub_cal_g_freebusy("load@example.com", 1780000000,
						1781000000, &b, &n, err,
						sizeof(err));
			free(b);
		} else {
			hub_cal_page pg = {0};
			hub_cal_list_opts o = {0};
			o.time_min = 1780000000;
			o.time_max = 1781000000;
			rc = hub_cal_g_list("load@example.com", &o, &pg, err,
					    sizeof(err));
			hub_cal_page_free(&pg);
		}
		if (rc == HUB_CAL_OK)
			atomic_fetch_add(&g_ok, 1);
		else if (rc == HUB_CAL_EQUOTA)
			atomic_fetch_add(&g_quota, 1);
		else
			atomic_fetch_add(&g_other, 1);
	}
	hub_cal_http_thread_cleanup();
	return NULL;
}

static void run_threads(void)
{
	pthread_t t[THREADS];
	atomic_store(&g_ok, 0);
	atomic_store(&g_quota, 0);
	atomic_store(&g_other, 0);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, caller, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
}

static int start(const char *creds, unsigned quota, unsigned wait_ms)
{
	hub_cal_config c;
	char err[256];
	ctu_config(&c, g_f, creds);
	c.quota_per_minute = quota;
	c.quota_wait_ms = wait_ms;
	c.retry_budget_ms = 60000;
	c.request_timeout_ms = 20000; /* no timeouts on a loaded machine */
	if (hub_cal_init_with(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "init: %s\n", err);
		return -1;
	}
	ctu_api_reset();
	return hub_cal_register(NULL, ctu_api());
}

int main(void)
{
	char *dir = ctu_tmpdir(), path[512], creds[512];
	int64_t t0, ms;
	unsigned seen;

	hub_time_init("Europe/Berlin");
	if (!dir || ctu_make_key(dir, 2048) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/pub.pem", dir);
	g_f = fake_gcal_start(path, CTU_EMAIL);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	snprintf(creds, sizeof(creds), "%s/creds.json", dir);
	if (!g_f || ctu_write_creds(creds, path, fake_gcal_token_uri(g_f)))
		return 1;
	fake_gcal_add(g_f, "load@example.com", "load1", "x",
		      "2026-06-01T09:00:00Z", "2026-06-01T10:00:00Z", NULL);

	/* 1: every caller waits its turn; nothing beyond the budget */
	hub_cal_test_set_quota_window_ms(WINDOW_MS);
	CHECK_INT(start(creds, QUOTA, 30000), 0);
	fake_gcal_reset_counts(g_f);
	t0 = hub_cal_mono_ms();
	run_threads();
	ms = hub_cal_mono_ms() - t0;
	seen = fake_gcal_requests(g_f, NULL);
	printf("%d calls (+1 token) in %lld ms; most in any %d ms window: "
	       "%u (budget %d)\n",
	       THREADS * CALLS, (long long)ms, WINDOW_MS,
	       fake_gcal_max_in_window(g_f, WINDOW_MS), QUOTA);
	CHECK_INT(atomic_load(&g_ok), THREADS * CALLS);
	CHECK_INT(atomic_load(&g_other), 0);
	CHECK_INT(seen, THREADS * CALLS + 1); /* token exchange counted */
	CHECK(fake_gcal_max_in_window(g_f, WINDOW_MS) <= QUOTA);
	/* and the budget is used, not wasted: 201 sends need at least
	 * ten full windows, and should not take many more */
	CHECK(ms >= (int64_t)(seen / QUOTA) * WINDOW_MS - WINDOW_MS);
	CHECK(ms < (int64_t)(seen / QUOTA) * WINDOW_MS * 3);
	CHECK_INT(ctu_metric("hub_calendar_quota_acquired_total", NULL), seen);
	hub_cal_shutdown();

	/* 2: a short wait bound: callers get "quota exhausted", and still
	 * nothing beyond the budget is sent */
	CHECK_INT(start(creds, QUOTA, 100), 0);
	hub_cal_sleep_ms(WINDOW_MS);
	fake_gcal_reset_counts(g_f);
	run_threads();
	seen = fake_gcal_requests(g_f, NULL);
	printf("short wait: %d ok, %d quota exhausted, %u sent\n",
	       atomic_load(&g_ok), atomic_load(&g_quota), seen);
	CHECK(atomic_load(&g_quota) > 0);
	CHECK_INT(atomic_load(&g_other), 0);
	CHECK_INT(atomic_load(&g_ok) + atomic_load(&g_quota), THREADS * CALLS);
	CHECK(fake_gcal_max_in_window(g_f, WINDOW_MS) <= QUOTA);
	CHECK((int)seen <= atomic_load(&g_ok) + 1);
	CHECK(ctu_metric("hub_calendar_quota_exhausted_total", NULL) > 0);
	hub_cal_shutdown();

	/* 3: without the hook the window is a minute */
	hub_cal_test_set_quota_window_ms(0);
	CHECK_INT(start(creds, 3, 100), 0);
	{
		int s;
		for (int i = 0; i < 3; i++) {
			CHECK_INT(
			    hub_cal_quota_acquire(hub_cal_mono_ms() + 10, &s),
			    HUB_CAL_OK);
			hub_cal_quota_release(s);
		}
		hub_cal_sleep_ms(1200);
		CHECK_INT(hub_cal_quota_in_use(), 3);
		CHECK_INT(hub_cal_quota_acquire(hub_cal_mono_ms() + 200, &s),
			  HUB_CAL_EQUOTA);
	}
	hub_cal_shutdown();
	ctu_api_reset();
	fake_gcal_stop(g_f);
	ctu_rmrf(dir);
	free(dir);
	return check_report("calendar.quota");
}
