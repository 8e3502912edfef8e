/*
 * cal_host.c - the calendar service's side facing the host: hub_cal_init
 * from the [calendar] section of the configuration (backend,
 * credentials_file, api_base, central_calendar_id, quota_per_minute,
 * sync_interval_s, request_timeout_ms), and what hub_cal_register hands
 * the host: the jobs calendar_sync and calendar_outbox (on the scheduler,
 * one server of a cluster each), calendar_ids (every server: writes down
 * the calendar ids requests asked for), and the health check "calendar":
 * ok; degraded when a calendar's sync is failing or stale, the outbox
 * backlog is older than backlog_warn_s, or Google refused writes for good;
 * fail when Google rejected the credentials.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "base/conf.h"
#include "sched/sched.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

/* ======================================================== configuration */

/* Copies [calendar] key into dst when set; -1 when it does not fit. */
static int take(const char *key, char *dst, size_t cap, char *err,
		size_t errlen)
{
	const char *v = hub_conf_get("calendar", key);
	if (!v)
		return 0;
	if (strlen(v) >= cap) {
		snprintf(err, errlen, "%s:%d: key '%s': value too long",
			 hub_conf_path() ? hub_conf_path() : "config",
			 hub_conf_line("calendar", key), key);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Reads an unsigned [calendar] key within lo..hi into *dst when set. */
static int take_uint(const char *key, unsigned lo, unsigned hi, unsigned *dst,
		     char *err, size_t errlen)
{
	long long v = hub_conf_int("calendar", key, (long long)*dst);
	if (v < (long long)lo || v > (long long)hi) {
		snprintf(err, errlen,
			 "%s:%d: key '%s': must be between %u and %u",
			 hub_conf_path() ? hub_conf_path() : "config",
			 hub_conf_line("calendar", key), key, lo, hi);
		return -1;
	}
	*dst = (unsigned)v;
	return 0;
}

int hub_cal_init(char *err, size_t errlen)
{
	hub_cal_config c;
	hub_cal_config_defaults(&c);
	if (take("backend", c.backend, sizeof(c.backend), err, errlen) != 0 ||
	    take("api_base", c.api_base, sizeof(c.api_base), err, errlen) !=
		0 ||
	    take("credentials_file", c.credentials_file,
		 sizeof(c.credentials_file), err, errlen) != 0 ||
	    take("central_calendar_id", c.central_calendar_id,
		 sizeof(c.central_calendar_id), err, errlen) != 0 ||
	    take("caldav_url", c.caldav_url, sizeof(c.caldav_url), err,
		 errlen) != 0 ||
	    take("caldav_username", c.caldav_username,
		 sizeof(c.caldav_username), err, errlen) != 0 ||
	    take("caldav_password_file", c.caldav_password_file,
		 sizeof(c.caldav_password_file), err, errlen) != 0 ||
	    take_uint("quota_per_minute", 1, 100000, &c.quota_per_minute, err,
		      errlen) != 0 ||
	    take_uint("sync_interval_s", 10, 86400, &c.sync_interval_s, err,
		      errlen) != 0 ||
	    take_uint("request_timeout_ms", 500, 120000, &c.request_timeout_ms,
		      err, errlen) != 0)
		return -1;
	/* one call's retries may take a few request timeouts, not more */
	if (c.retry_budget_ms < 2 * c.request_timeout_ms)
		c.retry_budget_ms = 2 * c.request_timeout_ms;
	return hub_cal_init_with(&c, err, errlen);
}

/* ========================================================= registration */

int hub_cal_register(hub_ctx *core_ctx, const hub_api *api)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	hub_job sync = {0}, outbox = {0}, ids = {0};
	int rc = 0;

	if (!hub_cal_ready())
		return -1;
	/* the jobs are registered on core_ctx, whose scheduler owner name
	 * is "core" */
	hub_cal_set_host(api->metric_add, "core");
	hub_cal_gauge("hub_calendar_quota_limit", cfg->quota_per_minute);
	if (hub_cal_be()->remote) {
		sync.name = "calendar_sync";
		sync.interval_s = cfg->sync_interval_s;
		sync.jitter_s = cfg->sync_interval_s > 20 ? 5 : 0;
		sync.cluster_once = 1;
		sync.fn = hub_cal_sync_run;
		outbox.name = "calendar_outbox";
		outbox.interval_s = cfg->outbox_interval_s;
		outbox.cluster_once = 1;
		outbox.fn = hub_cal_outbox_run;
		ids.name = "calendar_ids";
		ids.interval_s = 30;
		ids.fn = hub_cal_ids_run;
		rc = api->job(core_ctx, &sync);
		if (rc == 0)
			rc = api->job(core_ctx, &outbox);
		if (rc == 0)
			rc = api->job(core_ctx, &ids);
	}
	if (rc == 0)
		rc = api->health_check(core_ctx, "calendar", hub_cal_health,
				       NULL, 1000);
	return rc;
}

void hub_cal_sync_soon(void)
{
	if (!hub_cal_ready() || !hub_cal_be()->remote || !hub_cal_owner()[0])
		return;
	hub_sched_kick(hub_cal_owner(), "calendar_outbox");
	hub_sched_kick(hub_cal_owner(), "calendar_sync");
}

/* =============================================================== health */

void hub_cal_health(void *ud, hub_health_result *out)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	hub_cal_backlog bl = {0};
	char detail[200];
	hub_db *db;
	hub_stmt *st = NULL;
	int64_t failing = 0, stale = 0, now = hub_cal_now();
	char first_err[120] = "";

	(void)ud;
	out->status = HUB_HEALTH_OK;
	if (!hub_cal_ready()) {
		out->status = HUB_HEALTH_FAIL;
		snprintf(out->detail, sizeof(out->detail),
			 "calendar service not started");
		return;
	}
	if (!hub_cal_be()->remote) {
		snprintf(out->detail, sizeof(out->detail),
			 "backend local (no external calendar)");
		return;
	}
	if (hub_cal_token_broken(detail, sizeof(detail))) {
		out->status = HUB_HEALTH_FAIL;
		snprintf(out->detail, sizeof(out->detail), "%s", detail);
		return;
	}
	db = hub_store_db();
	if (!db || hub_cal_outbox_backlog(db, &bl) != HUB_DB_OK) {
		out->status = HUB_HEALTH_DEGRADED;
		snprintf(out->detail, sizeof(out->detail),
			 "calendar state unreadable (storage)");
		return;
	}
	if (hub_store_prepare(db,
			      "SELECT calendar_id, last_error, last_ok FROM "
			      "cal_sync_state ORDER BY calendar_id",
			      &st) == HUB_DB_OK) {
		while (hub_stmt_step(st) == HUB_DB_ROW) {
			const char *e = hub_col_text(st, 1);
			int64_t ok = hub_col_int(st, 2);
			if (e[0]) {
				if (!failing++)
					snprintf(first_err, sizeof(first_err),
						 "%s: %s", hub_col_text(st, 0),
						 e);
			} else if (ok > 0 &&
				   now - ok >
				       5 * (int64_t)cfg->sync_interval_s + 60) {
				stale++;
			}
		}
	}
	hub_stmt_finalize(st);
	hub_cal_gauge("hub_calendar_quota_in_use", hub_cal_quota_in_use());
	if (failing) {
		out->status = HUB_HEALTH_DEGRADED;
		snprintf(out->detail, sizeof(out->detail),
			 "sync failing for %lld calendar(s) (%s); backlog %lld",
			 (long long)failing, first_err, (long long)bl.pending);
	} else if (bl.pending && bl.oldest_age > (int64_t)cfg->backlog_warn_s) {
		out->status = HUB_HEALTH_DEGRADED;
		snprintf(out->detail, sizeof(out->detail),
			 "outbox backlog %lld, oldest %lld s",
			 (long long)bl.pending, (long long)bl.oldest_age);
	} else if (bl.failed) {
		out->status = HUB_HEALTH_DEGRADED;
		snprintf(out->detail, sizeof(out->detail),
			 "%lld calendar write(s) refused by the %s server; "
			 "backlog %lld",
			 (long long)bl.failed, hub_cal_be()->name,
			 (long long)bl.pending);
	} else if (stale) {
		out->status = HUB_HEALTH_DEGRADED;
		snprintf(out->detail, sizeof(out->detail),
			 "mirror of %lld calendar(s) is stale",
			 (long long)stale);
	} else {
		snprintf(out->detail, sizeof(out->detail),
			 "backend %s, backlog %lld, oldest %lld s, quota "
			 "%u/%u",
			 hub_cal_be()->name, (long long)bl.pending,
			 (long long)bl.oldest_age, hub_cal_quota_in_use(),
			 hub_cal_quota_limit());
	}
}
