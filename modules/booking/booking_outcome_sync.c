/*
 * booking_outcome_sync.c - outcomes read back from the central calendar.
 *
 * Consultants mark how an appointment went by recolouring its event in the
 * central calendar. This job reads the local mirror of that calendar (the
 * calendar service keeps it fresh) for events that have ended within the
 * last outcome_sync_days days, and maps each colour with the one mapping
 * of the configuration (default: 2 and 7 appeared, 11 no_show, 6
 * cancelled, anything else pending).
 *
 * Rules: only ended appointments are read (before the slot a category
 * colour such as 2 says nothing about the outcome); a colour meaning
 * "pending" never replaces a decided outcome; an outcome set in the app
 * wins over the calendar (the app writes the matching colour itself, and
 * the mirror may lag behind the outbox).
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Finds the booking of a mirrored event. Returns HUB_DB_OK with *r,
 * HUB_DB_ENOTFOUND, or an error. */
static int find_booking(hub_db *db, const hub_cal_event *ev, booking_row *r)
{
	long long id;
	char last[BOOKING_NAME_BYTES], first[BOOKING_NAME_BYTES];
	char *key;
	int rc;

	if (strncmp(ev->hub_key, "booking-", 8) == 0) {
		if (hubkit_parse_int(ev->hub_key + 8, 1, INT64_MAX, &id) != 0)
			return HUB_DB_ENOTFOUND;
		return booking_db_get(db, id, r);
	}
	if (ev->hub_key[0])
		return HUB_DB_ENOTFOUND; /* someone else's event */
	/* an event of the old system: match imported bookings by start and
	 * customer */
	if (booking_customer_split(ev->summary, last, sizeof(last), first,
				   sizeof(first)) != 0)
		return HUB_DB_ENOTFOUND;
	key = booking_customer_key(last, first);
	if (!key)
		return HUB_DB_ERROR;
	rc = booking_db_find(
	    db,
	    "SELECT " BOOKING_DB_COLS
	    "WHERE b.slot_start = ? AND b.customer_key = ? AND "
	    "b.legacy_id IS NOT NULL ORDER BY b.id LIMIT 1",
	    (hubkit_arg[]){HUBKIT_INT(ev->start_utc), HUBKIT_TEXT(key)}, 2, r);
	free(key);
	return rc;
}

int booking_sync_event(hub_db *db, const hub_cal_event *ev, int64_t now)
{
	const char *outcome =
	    booking_outcome_of_color(&booking_m.cfg.outcomes, ev->color_id);
	char detail[160], key[32];
	booking_row r;
	int rc;

	if (ev->end_utc > now || strcmp(outcome, "pending") == 0)
		return 0;
	rc = find_booking(db, ev, &r);
	if (rc == HUB_DB_ENOTFOUND)
		return 0;
	if (rc != HUB_DB_OK)
		return rc;
	if (strcmp(r.outcome_source, "app") == 0 ||
	    strcmp(r.outcome, outcome) == 0)
		return 0;
	snprintf(detail, sizeof(detail),
		 "{\"from\":\"%s\",\"to\":\"%s\",\"source\":\"calendar\","
		 "\"color\":\"%s\"}",
		 r.outcome, outcome, ev->color_id);
	snprintf(r.outcome, sizeof(r.outcome), "%s", outcome);
	snprintf(r.status, sizeof(r.status), "%s",
		 strcmp(outcome, "cancelled") == 0 ? "cancelled" : "booked");
	if (strcmp(outcome, "cancelled") != 0)
		r.cancel_reason[0] = 0;
	snprintf(r.outcome_source, sizeof(r.outcome_source), "calendar");
	r.outcome_at = now;
	r.updated_at = now;
	rc = booking_db_update(db, &r, "calendar");
	if (rc == HUB_DB_OK)
		rc = booking_db_history_add(db, r.id, now, "calendar",
					    "outcome", detail);
	if (rc != HUB_DB_OK)
		return rc;
	booking_event_key(r.id, key);
	if (BOOKING_API->audit(NULL, db, "booking.outcome.sync", key,
			       outcome) != 0)
		return HUB_DB_ERROR;
	rc = booking_db_event(db, "booking.outcome", &r);
	return rc == HUB_DB_OK ? 1 : rc;
}

/* The work of one run, inside one transaction. */
typedef struct sync_run {
	const hub_cal_event *ev;
	int n;
	int64_t now;
	int changed;
} sync_run;

static int sync_fn(hub_db *db, void *ud)
{
	sync_run *s = ud;
	s->changed = 0;
	for (int i = 0; i < s->n; i++) {
		int rc = booking_sync_event(db, &s->ev[i], s->now);
		if (rc < 0)
			return rc;
		s->changed += rc;
	}
	return HUB_DB_OK;
}

/* Records the result for the health check. */
static void note(int ok, const char *msg)
{
	pthread_mutex_lock(&booking_m.lock);
	booking_m.sync_at = (int64_t)time(NULL);
	booking_m.sync_ok = ok;
	snprintf(booking_m.sync_msg, sizeof(booking_m.sync_msg), "%s", msg);
	pthread_mutex_unlock(&booking_m.lock);
}

int booking_outcome_sync(void *ud, char *err, size_t errlen)
{
	const booking_config *cfg = &booking_m.cfg;
	int64_t now = (int64_t)time(NULL);
	hub_cal_event *ev = NULL;
	hub_db *db = BOOKING_API->db();
	sync_run s;
	char msg[160];
	int n, rc;
	(void)ud;

	if (!cfg->central_calendar[0])
		return 0; /* nothing to read */
	if (!db) {
		snprintf(err, errlen, "storage unavailable");
		note(0, err);
		return -1;
	}
	n = BOOKING_API->cal_events(cfg->central_calendar,
				    now - (int64_t)cfg->sync_days * 86400, now,
				    &ev);
	if (n < 0) {
		snprintf(err, errlen, "calendar mirror unreadable");
		note(0, err);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.ev = ev;
	s.n = n;
	s.now = now;
	rc = n > 0 ? BOOKING_API->db_transaction(db, sync_fn, &s) : HUB_DB_OK;
	BOOKING_API->cal_free(ev);
	if (rc != HUB_DB_OK) {
		snprintf(err, errlen, "storage error %d: %s", rc,
			 BOOKING_API->db_errmsg(db));
		note(0, err);
		return -1;
	}
	if (s.changed > 0) {
		booking_changed();
		BOOKING_API->metric_add("hub_booking_outcomes_synced_total",
					NULL, (double)s.changed);
	}
	snprintf(msg, sizeof(msg), "%d events read, %d outcomes updated", n,
		 s.changed);
	note(1, msg);
	return 0;
}
