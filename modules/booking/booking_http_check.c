/*
 * booking_http_check.c - what the write handlers share: who may touch a
 * booking, whether a text names a bookable slot start (422s), what the
 * listing says about that slot (capacity, blocked), and the 409 answers
 * (blocked; slot_full with the nearest alternatives).
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALTERNATIVES_MAX  5
#define ALTERNATIVES_DAYS 14 /* how far ahead alternatives are searched */

/* ======================================================== permissions */

/* 1 when user u may see and change booking r: admins and staff all (a
 * customer who calls back reaches whoever picks up), consultants those
 * assigned to them or booked by them. */
int booking_may_touch(const hub_user *u, const booking_row *r)
{
	if (u->role == HUB_ROLE_ADMIN || u->role == HUB_ROLE_STAFF)
		return 1;
	if (strcmp(u->username, r->booked_by) == 0)
		return 1;
	return u->role == HUB_ROLE_CONSULTANT && u->consultant_id > 0 &&
	       u->consultant_id == r->consultant_id;
}

/* Loads booking {id} of the path and checks the caller may touch it.
 * Answers 404/403/503 and returns -1 otherwise. */
int booking_load_target(hub_req *req, hub_db *db, const hub_user *u,
			booking_row *r)
{
	long long id;
	int rc;
	if (hubkit_parse_int(BOOKING_API->req_param(req, "id"), 1, INT64_MAX,
			     &id) != 0) {
		BOOKING_API->reply_error(req, 404, "not_found",
					 "no such booking", NULL);
		return -1;
	}
	rc = db ? booking_db_get(db, id, r) : HUB_DB_ERROR;
	if (rc == HUB_DB_ENOTFOUND) {
		BOOKING_API->reply_error(req, 404, "not_found",
					 "no such booking", NULL);
		return -1;
	}
	if (rc != HUB_DB_OK) {
		booking_reply_db_error(req, db, rc);
		return -1;
	}
	if (!booking_may_touch(u, r)) {
		BOOKING_API->reply_error(req, 403, "forbidden",
					 "this booking is not yours", NULL);
		return -1;
	}
	return 0;
}

/* ====================================================== slot checking */

/* Checks `text` (field `field`) names a bookable slot start: RFC 3339,
 * on the grid, not started, outside the minimum notice, within the
 * horizon. Answers 422 and returns -1 otherwise. */
int booking_check_start(hub_req *req, const char *field, const char *text,
			int64_t now, booking_slot_ref *s)
{
	const booking_config *cfg = &booking_m.cfg;
	hub_date today;
	char why[128];

	if (hub_time_parse(text, &s->start) != 0)
		return hubkit_invalid(BOOKING_API, req, field,
				      "must be an RFC 3339 time with offset, "
				      "e.g. 2026-06-01T09:00:00+02:00");
	if (!booking_grid_match(&cfg->grid, s->start, &s->date, &s->minute))
		return hubkit_invalid(BOOKING_API, req, field,
				      "is not a slot start");
	if (s->start <= now)
		return hubkit_invalid(BOOKING_API, req, field,
				      "is in the past (the slot has started)");
	if (s->start < now + (int64_t)cfg->min_notice_min * 60) {
		snprintf(why, sizeof(why),
			 "is within the minimum notice of %d minutes",
			 cfg->min_notice_min);
		return hubkit_invalid(BOOKING_API, req, field, why);
	}
	hub_time_to_local(now, &today, NULL, NULL, NULL, NULL);
	if (hub_date_diff(s->date, today) > cfg->horizon_days) {
		snprintf(why, sizeof(why),
			 "is beyond the booking horizon of %d days",
			 cfg->horizon_days);
		return hubkit_invalid(BOOKING_API, req, field, why);
	}
	return 0;
}

/* Fills *si for slot s and consultant cid (0 = any). Returns HUB_DB_OK or
 * an error. */
int booking_slot_lookup(hub_db *db, const booking_slot_ref *s, int64_t cid,
			int64_t now, booking_slot_info *si)
{
	return booking_slot_lookup_cands(db, s, cid, now, si, NULL);
}

int booking_slot_lookup_cands(hub_db *db, const booking_slot_ref *s,
			      int64_t cid, int64_t now, booking_slot_info *si,
			      booking_cands *cands)
{
	booking_inputs x;
	booking_view v;
	const booking_slot *sl;
	int rc = booking_inputs_load(db, s->date, s->date, now, &x);

	memset(si, 0, sizeof(*si));
	si->cons_index = -1;
	if (rc != HUB_DB_OK)
		return rc;
	if (booking_view_build(&x.in, &v) != 0) {
		booking_inputs_free(&x);
		return HUB_DB_ERROR;
	}
	if (v.ndays == 1 && v.days[0].blocked) {
		si->blocked = 1;
		snprintf(si->reason, sizeof(si->reason), "%s",
			 v.days[0].reason);
	}
	sl = booking_view_find(&v, s->start);
	if (sl) {
		si->capacity = sl->capacity;
		if (sl->blocked) {
			si->blocked = 1;
			snprintf(si->reason, sizeof(si->reason), "%s",
				 sl->reason);
		}
		si->cons_index =
		    cid > 0 ? booking_inputs_cons_index(&x, cid) : -1;
		for (int k = 0; si->cons_index >= 0 && k < sl->ncons; k++) {
			if (v.cons_idx[sl->first_cons + k] != si->cons_index)
				continue;
			si->cons_capacity = booking_capacity_for(
			    &booking_m.cfg.overrides, hub_date_weekday(s->date),
			    s->minute, x.cons[si->cons_index].capacity,
			    booking_m.cfg.capacity_default);
		}
	}
	if (cands)
		booking_assign_from_view(&x, &v, s, cands);
	booking_view_free(&v);
	booking_inputs_free(&x);
	return HUB_DB_OK;
}

/* Answers 409 slot_full with the nearest alternatives. */
void booking_reply_full(hub_req *req, hub_db *db, const booking_slot_ref *s,
			int64_t cid, int64_t now, const char *message)
{
	booking_inputs x;
	booking_view v;
	booking_buf extra;
	hub_date today, to;
	int64_t alt[ALTERNATIVES_MAX];
	int n = 0;

	hub_time_to_local(now, &today, NULL, NULL, NULL, NULL);
	to = hub_date_add(s->date, ALTERNATIVES_DAYS);
	if (hub_date_diff(to, hub_date_add(today, booking_m.cfg.horizon_days)) >
	    0)
		to = hub_date_add(today, booking_m.cfg.horizon_days);
	if (hub_date_diff(to, s->date) >= 0 &&
	    booking_inputs_load(db, s->date, to, now, &x) == HUB_DB_OK) {
		if (booking_view_build(&x.in, &v) == 0) {
			int ci =
			    cid > 0 ? booking_inputs_cons_index(&x, cid) : -1;
			if (cid <= 0 || ci >= 0)
				n = booking_view_alternatives(
				    &v, s->start, ci, alt, ALTERNATIVES_MAX);
			booking_view_free(&v);
		}
		booking_inputs_free(&x);
	}
	booking_buf_init(&extra);
	booking_buf_puts(&extra, "{\"alternatives\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			booking_buf_puts(&extra, ",");
		booking_buf_json_time(&extra, alt[i]);
	}
	booking_buf_puts(&extra, "]}");
	BOOKING_API->reply_error(req, 409, "slot_full", message,
				 extra.oom ? NULL : extra.p);
	booking_buf_free(&extra);
}

/* Answers 409 blocked naming the reason. */
void booking_reply_blocked(hub_req *req, const char *reason)
{
	char msg[320];
	snprintf(msg, sizeof(msg), "the slot is blocked: %s", reason);
	BOOKING_API->reply_error(req, 409, "blocked", msg, NULL);
}
