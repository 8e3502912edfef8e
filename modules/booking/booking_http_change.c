/*
 * booking_http_change.c - changes of an existing booking:
 * POST /api/v1/bookings/{id}/cancel {"reason"}, .../reschedule {"start"},
 * .../outcome {"outcome"}. Each runs in one transaction that re-reads the
 * booking, checks the state (409 conflict), takes a place in a slot when
 * needed (reschedule, reactivation), and writes history, audit and the
 * calendar outbox.
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ============================================================ changes */

/* A change of an existing booking. */
typedef struct change_tx {
	hub_req *req;
	const hub_user *user;
	int64_t id;
	const char *action; /* "cancel", "reschedule", "outcome" */
	int64_t now;
	/* inputs */
	const char *reason;	/* cancel */
	booking_slot_ref slot;	/* reschedule */
	booking_slot_info info; /* reschedule / reactivation */
	const char *outcome;	/* outcome */
	/* outputs */
	booking_row row;
	char conflict[160];
	char block_reason[256];
	int unchanged;
} change_tx;

/* Makes room for one more booking in slot `start` (reschedule or
 * reactivation). Returns HUB_DB_OK, BOOKING_TX_FULL/BLOCKED or an error. */
static int claim_place(hub_db *db, change_tx *t, int64_t start, hub_date d,
		       int minute)
{
	int total = 0, mine = 0;
	int rc = booking_db_lock_slot(db, start);
	if (rc == HUB_DB_OK) {
		rc = booking_db_blocked(db, d, minute, t->block_reason,
					sizeof(t->block_reason));
		if (rc == 1)
			return BOOKING_TX_BLOCKED;
		if (rc < 0)
			return rc;
	}
	if (rc == HUB_DB_OK)
		rc = booking_db_slot_count(db, start, t->row.consultant_id,
					   t->row.id, &total, &mine);
	if (rc != HUB_DB_OK)
		return rc;
	if (total >= t->info.capacity ||
	    (t->row.consultant_id > 0 && mine >= t->info.cons_capacity))
		return BOOKING_TX_FULL;
	return HUB_DB_OK;
}

static int change_fn(hub_db *db, void *ud)
{
	change_tx *t = ud;
	char detail[600], key[32], a[40], b[40], audit_action[40];
	int rc = booking_db_get(db, t->id, &t->row);

	t->unchanged = 0;
	t->conflict[0] = 0;
	if (rc == HUB_DB_ENOTFOUND)
		return BOOKING_TX_NOTFOUND;
	if (rc != HUB_DB_OK)
		return rc;
	if (strcmp(t->action, "cancel") == 0) {
		if (strcmp(t->row.status, "cancelled") == 0) {
			snprintf(t->conflict, sizeof(t->conflict),
				 "the booking is cancelled already");
			return BOOKING_TX_CONFLICT;
		}
		snprintf(t->row.status, sizeof(t->row.status), "cancelled");
		snprintf(t->row.outcome, sizeof(t->row.outcome), "cancelled");
		snprintf(t->row.cancel_reason, sizeof(t->row.cancel_reason),
			 "%s", t->reason);
		snprintf(t->row.outcome_source, sizeof(t->row.outcome_source),
			 "app");
		t->row.outcome_at = t->now;
		booking_buf jb;
		booking_buf_init(&jb);
		booking_buf_puts(&jb, "{\"reason\":");
		booking_buf_json_str(&jb, t->reason);
		booking_buf_puts(&jb, "}");
		snprintf(detail, sizeof(detail), "%s", jb.oom ? "{}" : jb.p);
		booking_buf_free(&jb);
	} else if (strcmp(t->action, "reschedule") == 0) {
		if (strcmp(t->row.status, "cancelled") == 0) {
			snprintf(t->conflict, sizeof(t->conflict),
				 "a cancelled booking cannot be rescheduled");
			return BOOKING_TX_CONFLICT;
		}
		rc = claim_place(db, t, t->slot.start, t->slot.date,
				 t->slot.minute);
		if (rc != HUB_DB_OK)
			return rc;
		hub_time_format(t->row.slot_start, a);
		hub_time_format(t->slot.start, b);
		snprintf(detail, sizeof(detail),
			 "{\"from\":\"%s\",\"to\":\"%s\"}", a, b);
		t->row.slot_start = t->slot.start;
		t->row.slot_end =
		    t->slot.start + (int64_t)booking_m.cfg.slot_minutes * 60;
	} else {
		int was_cancelled = strcmp(t->row.outcome, "cancelled") == 0;
		int to_cancelled = strcmp(t->outcome, "cancelled") == 0;
		if (strcmp(t->row.outcome, t->outcome) == 0) {
			t->unchanged = 1;
			return BOOKING_TX_CONFLICT; /* nothing to write */
		}
		if (was_cancelled && !to_cancelled &&
		    t->row.slot_start > t->now) {
			/* back into a future slot: needs a free place */
			hub_date d;
			int hh, mm;
			hub_time_to_local(t->row.slot_start, &d, &hh, &mm, NULL,
					  NULL);
			rc = claim_place(db, t, t->row.slot_start, d,
					 hh * 60 + mm);
			if (rc != HUB_DB_OK)
				return rc;
		}
		snprintf(detail, sizeof(detail),
			 "{\"from\":\"%s\",\"to\":\"%s\"}", t->row.outcome,
			 t->outcome);
		snprintf(t->row.outcome, sizeof(t->row.outcome), "%s",
			 t->outcome);
		snprintf(t->row.status, sizeof(t->row.status), "%s",
			 to_cancelled ? "cancelled" : "booked");
		snprintf(t->row.outcome_source, sizeof(t->row.outcome_source),
			 "app");
		t->row.outcome_at = t->now;
		if (!to_cancelled)
			t->row.cancel_reason[0] = 0;
	}
	t->row.updated_at = t->now;
	rc = booking_db_update(db, &t->row, t->user->username);
	if (rc == HUB_DB_OK)
		rc = booking_db_history_add(
		    db, t->row.id, t->now, t->user->username,
		    strcmp(t->action, "cancel") == 0	   ? "cancelled"
		    : strcmp(t->action, "reschedule") == 0 ? "rescheduled"
							   : "outcome",
		    detail);
	if (rc != HUB_DB_OK)
		return rc;
	booking_event_key(t->row.id, key);
	snprintf(audit_action, sizeof(audit_action), "booking.%s", t->action);
	if (BOOKING_API->audit(t->req, db, audit_action, key,
			       strcmp(t->action, "cancel") == 0 ? "cancelled"
								: detail) != 0)
		return HUB_DB_ERROR;
	rc = booking_db_outbox(db, &t->row);
	if (rc == HUB_DB_OK)
		rc = booking_db_event(db,
				      strcmp(t->action, "cancel") == 0
					  ? "booking.cancelled"
				      : strcmp(t->action, "reschedule") == 0
					  ? "booking.rescheduled"
					  : "booking.outcome",
				      &t->row);
	return rc;
}

/* Runs a change and answers it. */
static void run_change(hub_req *req, hub_db *db, change_tx *t)
{
	booking_buf b;
	int rc = BOOKING_API->db_transaction(db, change_fn, t);

	if (rc == BOOKING_TX_CONFLICT && t->unchanged)
		rc = HUB_DB_OK; /* same outcome again: answer the booking */
	else if (rc == HUB_DB_OK) {
		char labels[64];
		booking_changed();
		snprintf(labels, sizeof(labels), "action=\"%s\"", t->action);
		BOOKING_API->metric_add("hub_bookings_total", labels, 1);
		BOOKING_API->cal_sync_soon();
	}
	switch (rc) {
	case HUB_DB_OK:
		booking_buf_init(&b);
		booking_row_json(&b, &t->row);
		booking_reply_buf(req, 200, &b);
		break;
	case BOOKING_TX_NOTFOUND:
		BOOKING_API->reply_error(req, 404, "not_found",
					 "no such booking", NULL);
		break;
	case BOOKING_TX_CONFLICT:
		BOOKING_API->reply_error(req, 409, "conflict", t->conflict,
					 NULL);
		break;
	case BOOKING_TX_BLOCKED:
		booking_reply_blocked(req, t->block_reason);
		break;
	case BOOKING_TX_FULL: {
		booking_slot_ref s = t->slot;
		if (strcmp(t->action, "reschedule") != 0) {
			s.start = t->row.slot_start;
			hub_time_to_local(s.start, &s.date, NULL, NULL, NULL,
					  NULL);
		}
		booking_reply_full(req, db, &s, t->row.consultant_id, t->now,
				   "the slot has no free place");
		break;
	}
	default:
		booking_reply_db_error(req, db, rc);
	}
}

/* Start of a change handler: the caller, the booking it may change
 * (t->row), the JSON body and the time now. Answers and returns -1 when
 * refused. */
static int change_begin(hub_req *req, hub_db *db, hub_user *u, change_tx *t,
			cJSON **body)
{
	memset(t, 0, sizeof(*t));
	if (booking_req_user(req, u) != 0 ||
	    booking_load_target(req, db, u, &t->row) != 0)
		return -1;
	if (hubkit_read_json(BOOKING_API, req, body) != 0)
		return -1;
	t->now = (int64_t)time(NULL);
	return 0;
}

/* Runs the checked change `action` of t->row for u. */
static void change_run(hub_req *req, hub_db *db, hub_user *u, change_tx *t,
		       const char *action)
{
	t->req = req;
	t->user = u;
	t->id = t->row.id;
	t->action = action;
	run_change(req, db, t);
}

int booking_h_cancel(hub_req *req, void *ud)
{
	static const char *const fields[] = {"reason", NULL};
	hub_db *db = BOOKING_API->db();
	cJSON *body = NULL;
	change_tx t;
	hub_user u;
	(void)ud;

	if (change_begin(req, db, &u, &t, &body) != 0)
		return 0;
	if (hubkit_only_fields(BOOKING_API, req, body, fields) == 0 &&
	    hubkit_str_field(BOOKING_API, req, body, "reason", 1, 1, 500,
			     &t.reason) == 0)
		change_run(req, db, &u, &t, "cancel");
	cJSON_Delete(body);
	return 0;
}

int booking_h_reschedule(hub_req *req, void *ud)
{
	static const char *const fields[] = {"start", NULL};
	hub_db *db = BOOKING_API->db();
	cJSON *body = NULL;
	const char *start;
	change_tx t;
	hub_user u;
	int rc;
	(void)ud;

	if (change_begin(req, db, &u, &t, &body) != 0)
		return 0;
	if (hubkit_only_fields(BOOKING_API, req, body, fields) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "start", 1, 1, 64,
			     &start) != 0 ||
	    booking_check_start(req, "start", start, t.now, &t.slot) != 0)
		goto out;
	if (t.slot.start == t.row.slot_start) {
		hubkit_invalid(BOOKING_API, req, "start",
			       "is the booking's current slot");
		goto out;
	}
	if (strcmp(t.row.status, "cancelled") == 0) {
		BOOKING_API->reply_error(
		    req, 409, "conflict",
		    "a cancelled booking cannot be rescheduled", NULL);
		goto out;
	}
	rc = booking_slot_lookup(db, &t.slot, t.row.consultant_id, t.now,
				 &t.info);
	if (rc != HUB_DB_OK) {
		booking_reply_db_error(req, db, rc);
		goto out;
	}
	if (t.info.blocked) {
		booking_reply_blocked(req, t.info.reason);
		goto out;
	}
	if (t.row.consultant_id > 0 && t.info.cons_capacity <= 0) {
		booking_reply_full(
		    req, db, &t.slot, t.row.consultant_id, t.now,
		    "the booking's consultant is not available then");
		goto out;
	}
	change_run(req, db, &u, &t, "reschedule");
out:
	cJSON_Delete(body);
	return 0;
}

int booking_h_outcome(hub_req *req, void *ud)
{
	static const char *const fields[] = {"outcome", NULL};
	hub_db *db = BOOKING_API->db();
	cJSON *body = NULL;
	const char *outcome;
	change_tx t;
	hub_user u;
	int rc;
	(void)ud;

	if (change_begin(req, db, &u, &t, &body) != 0)
		return 0;
	if (hubkit_only_fields(BOOKING_API, req, body, fields) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "outcome", 1, 1, 16,
			     &outcome) != 0)
		goto out;
	if (!booking_outcome_valid(outcome)) {
		hubkit_invalid(BOOKING_API, req, "outcome",
			       "must be pending, appeared, no_show or "
			       "cancelled");
		goto out;
	}
	if ((strcmp(outcome, "appeared") == 0 ||
	     strcmp(outcome, "no_show") == 0) &&
	    t.row.slot_start > t.now) {
		hubkit_invalid(BOOKING_API, req, "outcome",
			       "the appointment has not started yet");
		goto out;
	}
	if (strcmp(t.row.outcome, "cancelled") == 0 &&
	    strcmp(outcome, "cancelled") != 0 && t.row.slot_start > t.now) {
		/* reactivation of a future booking needs the slot's capacity */
		booking_slot_ref s;
		int hh, mm;
		s.start = t.row.slot_start;
		hub_time_to_local(s.start, &s.date, &hh, &mm, NULL, NULL);
		s.minute = hh * 60 + mm;
		rc = booking_slot_lookup(db, &s, t.row.consultant_id, t.now,
					 &t.info);
		if (rc != HUB_DB_OK) {
			booking_reply_db_error(req, db, rc);
			goto out;
		}
	}
	t.outcome = outcome;
	change_run(req, db, &u, &t, "outcome");
out:
	cJSON_Delete(body);
	return 0;
}
