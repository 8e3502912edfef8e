/*
 * cal_local.c - the `local` backend: no external calendar. Availability
 * then comes from the booking module's weekly plans, hub_cal_events
 * answers no events, and outbox rows are recorded as delivered when they
 * are written (see cal_outbox.c), so nothing piles up. A further backend
 * (CalDAV, say) fills the same table as cal_google.c does.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include <string.h>

static int l_list(const char *calendar_id, const char *sync_token, int64_t tmin,
		  int64_t tmax, hub_cal_page *out, char *err, size_t errlen)
{
	(void)calendar_id;
	(void)sync_token;
	(void)tmin;
	(void)tmax;
	(void)err;
	(void)errlen;
	memset(out, 0, sizeof(*out));
	return HUB_CAL_OK;
}

static int l_upsert(const char *calendar_id, const char *event_id,
		    const char *hub_key, const char *event_json, int known,
		    char *err, size_t errlen)
{
	(void)calendar_id;
	(void)event_id;
	(void)hub_key;
	(void)event_json;
	(void)known;
	(void)err;
	(void)errlen;
	return HUB_CAL_OK;
}

static int l_remove(const char *calendar_id, const char *event_id, char *err,
		    size_t errlen)
{
	(void)calendar_id;
	(void)event_id;
	(void)err;
	(void)errlen;
	return HUB_CAL_OK;
}

const hub_cal_backend_ops hub_cal_ops_local = {
    .name = "local",
    .remote = 0,
    .list = l_list,
    .upsert = l_upsert,
    .remove = l_remove,
};
