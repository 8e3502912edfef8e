/*
 * calendar.h - the calendar service (core/src/calendar): backends `local`
 * and `google`, the local mirror, the quota governor, sync jobs and the
 * outbox. Requests only ever read the mirror.
 */
#ifndef HUB_CALENDAR_H
#define HUB_CALENDAR_H

#include "hub/module.h"

/* Reads [calendar] settings, loads credentials for google. Returns 0 or -1
 * with a message in err (a broken credential file is a config error). */
int hub_cal_init(char *err, size_t errlen);
void hub_cal_shutdown(void);

/* Core migrations of the mirror and outbox tables. */
int hub_cal_migrate(char *err, size_t errlen);

/* Registers sync and outbox jobs and the calendar health check under the
 * built-in "core" context. */
int hub_cal_register(hub_ctx *core_ctx, const hub_api *api);

const char *hub_cal_backend(void);
int hub_cal_events(const char *calendar_id, int64_t from_utc, int64_t to_utc,
		   hub_cal_event **out);
void hub_cal_free(hub_cal_event *events);
int hub_cal_outbox_put(hub_db *db, const char *op, const char *hub_key,
		       const char *event_json);
void hub_cal_sync_soon(void);

/* Calls curl_global_init once. The host calls it before any thread starts
 * (hub_cal_init calls it as well; repeated calls are no-ops). Returns 0 or
 * -1. */
int hub_cal_global_init(void);

#endif
