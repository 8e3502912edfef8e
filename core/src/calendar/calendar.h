/*
 * calendar.h - the calendar service (core/src/calendar): backends `local`
 * and `google`, the local mirror, the quota governor, sync jobs and the
 * outbox. Requests only ever read the mirror.
 *
 * Thread model: init, migrate, register and shutdown run on the start-up
 * thread before/after the others; hub_cal_events, hub_cal_free,
 * hub_cal_outbox_put and hub_cal_sync_soon are safe from any thread.
 */
#ifndef HUB_CALENDAR_H
#define HUB_CALENDAR_H

#include "hub/module.h"

/* Reads [calendar] settings, loads credentials for google. Returns 0 or -1
 * with a message in err (a broken credential file is a config error). */
int hub_cal_init(char *err, size_t errlen);

/* Stops the service: forgets the access token, wipes key material, frees
 * everything. Call after the scheduler and the server have stopped. */
void hub_cal_shutdown(void);

/* Core migrations of the mirror and outbox tables (module
 * "core_calendar"). Returns 0, or -1 with "module core_calendar migration
 * N: reason" in err. */
int hub_cal_migrate(char *err, size_t errlen);

/* Registers sync and outbox jobs and the calendar health check under the
 * built-in "core" context (google: jobs calendar_sync, calendar_outbox,
 * calendar_ids; local: the check only). Returns 0 or -1. */
int hub_cal_register(hub_ctx *core_ctx, const hub_api *api);

/* "local" or "google". Static string. */
const char *hub_cal_backend(void);

/* Events of `calendar_id` overlapping [from_utc, to_utc) from the local
 * mirror, ordered by start; never a request to Google. *out is owned
 * (hub_cal_free; NULL when there are none). Returns the count (0 for the
 * local backend, an empty range or a calendar not yet mirrored: a new id
 * is remembered and the sync job kicked), or -1 on bad arguments or a
 * storage error. */
int hub_cal_events(const char *calendar_id, int64_t from_utc, int64_t to_utc,
		   hub_cal_event **out);

/* Events of several calendars in one query; see cal_events_many in
 * hub/module.h. */
int hub_cal_events_many(const char *const *calendar_ids, int n,
			int64_t from_utc, int64_t to_utc, hub_cal_event *buf,
			int cap, int *first, int *counts);

/* Frees what hub_cal_events returned. Accepts NULL. */
void hub_cal_free(hub_cal_event *events);

/* Queues a calendar write on `db` inside the caller's open transaction
 * (it commits or rolls back with it). `op` "upsert" (event_json: a JSON
 * object, the event resource, at most 64 KiB) or "delete" (event_json
 * ignored); `hub_key` 1..63 printable ASCII characters naming the event
 * for good (the Google event id is derived from it). Returns HUB_DB_OK,
 * HUB_DB_EMISUSE for bad arguments (logged), or the storage error. */
int hub_cal_outbox_put(hub_db *db, const char *op, const char *hub_key,
		       const char *event_json);

/* Asks the outbox and sync jobs to run now (after a local change). */
void hub_cal_sync_soon(void);

/* Calls curl_global_init once. The host calls it before any thread starts
 * (hub_cal_init calls it as well; repeated calls are no-ops). Returns 0 or
 * -1. */
int hub_cal_global_init(void);

/* Calendar writes not yet delivered, for the admin console: a JSON array
 * text of up to `limit` rows with id > after_id in id order, each {"id",
 * "op","hub_key","state","attempts","last_error","created_at",
 * "next_attempt_at"}; `state` "pending" or "failed" narrows it (NULL or
 * "": both). *next gets the after_id of the next page, 0 when there is
 * none. Owned: free(). NULL on a storage error or out of memory. */
char *hub_cal_outbox_list(hub_db *db, const char *state, int64_t after_id,
			  int limit, int64_t *next);

/* Puts outbox row `id` (pending or failed) back in line for delivery now
 * and kicks the delivery job. Returns HUB_DB_OK, HUB_DB_ENOTFOUND (no
 * such undelivered row) or the storage error. */
int hub_cal_outbox_retry(hub_db *db, int64_t id);

/* The mirror's sync state per calendar, for the admin console: a JSON
 * array text of {"calendar_id","last_ok","last_attempt","last_error"}.
 * Owned: free(). NULL on a storage error or out of memory. */
char *hub_cal_sync_status(hub_db *db);

#endif
