/*
 * cal_start.c - the calendar service comes up (settings checked, backend
 * chosen, transport, quota governor and token cache set up) and goes
 * down again. The state it sets is calendar.c's.
 */
#define _GNU_SOURCE
#include "calendar/cal_caldav.h"
#include "calendar/cal_internal.h"

#include "base/log.h"

#include <stdio.h>
#include <string.h>

/* Calls curl_global_init once; the host calls this before threads start
 * (hub_cal_init does it too). Returns 0 or -1. */
int hub_cal_global_init(void)
{
	return hub_cal_http_global_init();
}

int hub_cal_init_with(const hub_cal_config *c, char *err, size_t errlen)
{
	if (hub_cal_ready())
		hub_cal_shutdown();
	hub_cal_state_configure(c);
	if (strcmp(c->backend, "google") == 0) {
		hub_cal_state_backend(&hub_cal_ops_google);
	} else if (strcmp(c->backend, "local") == 0) {
		hub_cal_state_backend(&hub_cal_ops_local);
	} else if (strcmp(c->backend, "caldav") == 0) {
		hub_cal_state_backend(&hub_cal_ops_caldav);
	} else {
		snprintf(err, errlen,
			 "[calendar] backend must be local, google or caldav");
		goto fail;
	}
	if (c->quota_per_minute < 1 || c->quota_per_minute > 100000 ||
	    c->page_size < 1 || c->page_size > 2500) {
		snprintf(err, errlen,
			 "[calendar] quota_per_minute must be 1..100000");
		goto fail;
	}
	if (hub_cal_http_global_init() != 0) {
		snprintf(err, errlen, "calendar: curl_global_init failed");
		goto fail;
	}
	if (hub_cal_quota_setup(c->quota_per_minute,
				hub_cal_quota_window_ms()) != 0) {
		snprintf(err, errlen, "calendar: out of memory");
		goto fail;
	}
	if (hub_cal_be() == &hub_cal_ops_caldav) {
		if (hub_cal_dav_setup(c->caldav_url, c->caldav_username,
				      c->caldav_password_file, err,
				      errlen) != 0)
			goto fail;
	} else if (hub_cal_be()->remote) {
		if (!hub_cal_url_allowed(hub_cal_cfg()->api_base)) {
			snprintf(err, errlen,
				 "[calendar] api_base must be https:// (plain "
				 "http only on loopback)");
			goto fail;
		}
		if (hub_cal_token_setup(c->credentials_file, err, errlen) != 0)
			goto fail;
	}
	if (hub_cal_be()->remote && !c->central_calendar_id[0])
		hub_logf(HUB_LOG_WARN, "calendar",
			 "no central_calendar_id: bookings will not be "
			 "written to a calendar");
	hub_cal_state_ready();
	hub_logf(HUB_LOG_INFO, "calendar",
		 "backend %s, quota %u per minute, sync every %u s",
		 hub_cal_be()->name, c->quota_per_minute, c->sync_interval_s);
	return 0;
fail:
	hub_cal_token_teardown();
	hub_cal_dav_teardown();
	hub_cal_quota_teardown();
	hub_cal_state_backend(NULL);
	return -1;
}

void hub_cal_shutdown(void)
{
	hub_cal_token_teardown();
	hub_cal_dav_teardown();
	hub_cal_quota_teardown();
	hub_cal_http_global_cleanup();
	hub_cal_state_reset();
}
