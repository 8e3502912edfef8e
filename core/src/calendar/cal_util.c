/*
 * cal_util.c - the calendar service's small utilities: clocks, jitter,
 * sleeping, event ids, result code names, URL policy, default settings.
 * They keep no state of the service.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include <mbedtls/sha256.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t hub_cal_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t hub_cal_random(void)
{
	/* splitmix64 over an atomic counter: cheap, thread-safe, and good
	 * enough for jitter (never used for anything secret) */
	static _Atomic uint64_t state;
	uint64_t z;
	if (atomic_load(&state) == 0) {
		uint64_t seed = (uint64_t)hub_cal_mono_ms() ^
				((uint64_t)getpid() << 32) ^
				(uint64_t)time(NULL);
		uint64_t zero = 0;
		atomic_compare_exchange_strong(&state, &zero, seed | 1);
	}
	z = atomic_fetch_add(&state, 0x9E3779B97F4A7C15ull) +
	    0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void hub_cal_sleep_ms(int64_t ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

void hub_cal_event_id_for(const char *hub_key, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[32];
	mbedtls_sha256_ret((const unsigned char *)hub_key, strlen(hub_key), h,
			   0);
	memcpy(out, "hub", 3);
	for (int i = 0; i < 20; i++) {
		out[3 + 2 * i] = hex[h[i] >> 4];
		out[4 + 2 * i] = hex[h[i] & 15];
	}
	out[43] = '\0';
}

const char *hub_cal_rc_name(int rc)
{
	switch (rc) {
	case HUB_CAL_OK:
		return "ok";
	case HUB_CAL_ERETRY:
		return "transient failure";
	case HUB_CAL_EPERM:
		return "refused";
	case HUB_CAL_ENOTFOUND:
		return "not found";
	case HUB_CAL_ECONFLICT:
		return "conflict";
	case HUB_CAL_EGONE:
		return "gone";
	case HUB_CAL_EAUTH:
		return "credentials broken";
	case HUB_CAL_EPARSE:
		return "unreadable answer";
	case HUB_CAL_EQUOTA:
		return "quota exhausted";
	case HUB_CAL_ENOMEM:
		return "out of memory";
	default:
		return "error";
	}
}

int hub_cal_rc_transient(int rc)
{
	return rc == HUB_CAL_ERETRY || rc == HUB_CAL_EQUOTA ||
	       rc == HUB_CAL_EPARSE || rc == HUB_CAL_ENOMEM ||
	       rc == HUB_CAL_EAUTH;
}

void hub_cal_config_defaults(hub_cal_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->backend, sizeof(c->backend), "local");
	snprintf(c->api_base, sizeof(c->api_base),
		 "https://www.googleapis.com/calendar/v3");
	c->quota_per_minute = 180;
	c->sync_interval_s = 120;
	c->outbox_interval_s = 10;
	c->request_timeout_ms = 10000;
	c->connect_timeout_ms = 5000;
	c->retry_budget_ms = 20000;
	c->backoff_base_ms = 500;
	c->backoff_max_ms = 8000;
	c->quota_wait_ms = 10000;
	c->page_size = 250;
	c->sync_past_days = 35;
	c->sync_future_days = 70;
	c->full_sync_every_s = 86400;
	c->backlog_warn_s = 600;
	c->outbox_retry_max_s = 900;
	c->calendar_idle_days = 14;
}

int hub_cal_url_allowed(const char *url)
{
	static const char *const loop[] = {"http://127.0.0.1", "http://[::1]",
					   "http://localhost"};
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		size_t n = strlen(loop[i]);
		if (strncmp(url, loop[i], n) == 0 &&
		    (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
			return 1;
	}
	return 0;
}
