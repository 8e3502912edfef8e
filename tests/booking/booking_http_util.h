/*
 * booking_http_util.h - helpers of the booking module's HTTP tests: a hubd
 * with the booking module on a free port, users, sessions (cookie + CSRF
 * token), JSON requests, and picking future dates that the default grid
 * serves.
 */
#ifndef BOOKING_HTTP_UTIL_H
#define BOOKING_HTTP_UTIL_H

#include "booking.h"
#include "hubproc.h"

#include <cjson/cJSON.h>

/* A signed-in user. */
typedef struct bt_session {
	char name[32];
	char cookie[256]; /* "hub_session=..." */
	char csrf[96];
} bt_session;

/* Starts hubd with the booking module and `extra` appended to its
 * [module.booking] section (may be ""). Returns 0 or -1. */
int bt_start(hubproc *h, const char *consultants, const char *extra);

/* Adds a user with hubctl (password "pw-" NAME "-Secret1"). Returns 0 or
 * -1. */
int bt_user_add(const hubproc *h, const char *name, const char *role);

/* Logs in. Returns 0 or -1. */
int bt_login(const hubproc *h, const char *name, bt_session *s);

/* A JSON request as `s` (NULL: anonymous). `body` may be NULL; `hdr` is
 * one extra "Name: value" header or NULL. Returns the status (or -1);
 * *json is the parsed body (owned, cJSON_Delete; NULL when not JSON) when
 * json is not NULL; res (when not NULL) keeps the raw answer (http_free). */
long bt_req(const hubproc *h, const bt_session *s, const char *method,
	    const char *path, const char *body, const char *hdr, cJSON **json,
	    http_res *res);

/* The error code of an error answer ("" when none). Borrowed from j. */
const char *bt_err_code(const cJSON *j);
const char *bt_err_msg(const cJSON *j);

/* The first date >= from whose ISO weekday is in `mask` (bit 1 = Mon) and
 * that is no NW public holiday. */
hub_date bt_workday(hub_date from, unsigned mask);

/* "YYYY-MM-DDTHH:MM:00+hh:mm" of local d at hh:mm into out (40 bytes). */
void bt_slot(hub_date d, int hh, int mm, char *out);

#define BT_MON_THU 0x1Eu /* bits 1..4 */
#define BT_MON_FRI 0x3Eu

#endif
