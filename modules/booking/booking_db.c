/*
 * booking_db.c - every query of the booking module (the tables are
 * described in booking_schema.c).
 *
 * Capacity is never cached in a counter: the transaction locks the slot
 * row, counts the active bookings and inserts only below capacity, so
 * nothing can drift (imports and the outcome sync need no bookkeeping).
 */
#include "booking_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define A (booking_m.api)

/* ============================================================ helpers */

/* Copies column `col` of the current row into out. */
static void col_copy(hub_stmt *st, int col, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", A->col_text(st, col));
}

/* Steps a statement that returns no rows; HUB_DB_OK when it finished. */
static int step_done(hub_stmt *st)
{
	int rc = A->stmt_step(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : (rc < 0 ? rc : HUB_DB_ERROR);
}

/* Binds text, or NULL when s is NULL or empty and `empty_null`. */
static int bind_text_or_null(hub_stmt *st, int idx, const char *s,
			     int empty_null)
{
	if (!s || (empty_null && !*s))
		return A->stmt_bind_null(st, idx);
	return A->stmt_bind_text(st, idx, s);
}

/* ========================================================= consultants */

/* Upserts the configured consultants and retires config consultants that
 * left the configuration. */
static int sync_tx(hub_db *db, void *ud)
{
	const booking_config *cfg = &booking_m.cfg;
	int64_t now = (int64_t)time(NULL);
	hub_stmt *st = NULL;
	int rc = HUB_DB_OK;
	(void)ud;

	for (int i = 0; rc == HUB_DB_OK && i < cfg->nconsultants; i++) {
		rc = A->db_prepare(
		    db,
		    "INSERT INTO booking_consultants (name, calendar_id, "
		    "active, capacity, source, created_at, updated_at) "
		    "VALUES (?, ?, 1, 0, 'config', ?, ?) "
		    "ON CONFLICT (name) DO UPDATE SET calendar_id = "
		    "excluded.calendar_id, active = CASE WHEN "
		    "booking_consultants.source = 'config_removed' THEN 1 "
		    "ELSE booking_consultants.active END, source = "
		    "'config', updated_at = excluded.updated_at WHERE "
		    "booking_consultants.calendar_id <> "
		    "excluded.calendar_id OR booking_consultants.source <> "
		    "'config'",
		    &st);
		if (rc == HUB_DB_OK)
			rc = A->stmt_bind_text(st, 1, cfg->consultants[i].name);
		if (rc == HUB_DB_OK)
			rc = A->stmt_bind_text(st, 2,
					       cfg->consultants[i].calendar_id);
		if (rc == HUB_DB_OK)
			rc = A->stmt_bind_int(st, 3, now);
		if (rc == HUB_DB_OK)
			rc = A->stmt_bind_int(st, 4, now);
		if (rc == HUB_DB_OK)
			rc = step_done(st);
		A->stmt_finalize(st);
		st = NULL;
	}
	if (rc != HUB_DB_OK)
		return rc;
	/* config consultants no longer configured: inactive, kept */
	booking_consultant *all = NULL;
	int n = 0;
	rc = booking_db_consultants(db, 0, &all, &n);
	for (int i = 0; rc == HUB_DB_OK && i < n; i++) {
		int found = 0;
		if (strcmp(all[i].source, "config") != 0)
			continue;
		for (int k = 0; k < cfg->nconsultants && !found; k++)
			found =
			    strcmp(cfg->consultants[k].name, all[i].name) == 0;
		if (found)
			continue;
		rc = A->db_prepare(db,
				   "UPDATE booking_consultants SET active = 0, "
				   "source = 'config_removed', updated_at = ? "
				   "WHERE id = ?",
				   &st);
		if (rc == HUB_DB_OK)
			rc = A->stmt_bind_int(st, 1, now);
		if (rc == HUB_DB_OK)
			rc = A->stmt_bind_int(st, 2, all[i].id);
		if (rc == HUB_DB_OK)
			rc = step_done(st);
		A->stmt_finalize(st);
		st = NULL;
	}
	free(all);
	return rc;
}

int booking_db_ensure_consultants(hub_db *db)
{
	int rc = HUB_DB_OK;
	pthread_mutex_lock(&booking_m.sync_lock);
	if (!booking_m.synced) {
		rc = A->db_transaction(db, sync_tx, NULL);
		if (rc == HUB_DB_OK)
			booking_m.synced = 1;
	}
	pthread_mutex_unlock(&booking_m.sync_lock);
	return rc;
}

int booking_db_consultants(hub_db *db, int active_only,
			   booking_consultant **out, int *n)
{
	hub_stmt *st = NULL;
	booking_consultant *v = NULL;
	int cnt = 0, cap = 0, rc;

	*out = NULL;
	*n = 0;
	rc =
	    A->db_prepare(db,
			  active_only ? "SELECT id, name, email, calendar_id, "
					"active, capacity, source FROM "
					"booking_consultants WHERE active = 1 "
					"ORDER BY name, id"
				      : "SELECT id, name, email, calendar_id, "
					"active, capacity, source FROM "
					"booking_consultants ORDER BY name, id",
			  &st);
	while (rc == HUB_DB_OK && (rc = A->stmt_step(st)) == HUB_DB_ROW) {
		booking_consultant *c;
		if (cnt == cap) {
			int ncap = cap ? cap * 2 : 16;
			booking_consultant *nv =
			    realloc(v, sizeof(*v) * (size_t)ncap);
			if (!nv) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = nv;
			cap = ncap;
		}
		c = &v[cnt++];
		memset(c, 0, sizeof(*c));
		c->id = A->col_int(st, 0);
		col_copy(st, 1, c->name, sizeof(c->name));
		col_copy(st, 2, c->email, sizeof(c->email));
		col_copy(st, 3, c->calendar_id, sizeof(c->calendar_id));
		c->active = (int)A->col_int(st, 4);
		c->capacity = (int)A->col_int(st, 5);
		col_copy(st, 6, c->source, sizeof(c->source));
		rc = HUB_DB_OK;
	}
	A->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		free(v);
		return rc == HUB_DB_OK ? HUB_DB_ERROR : rc;
	}
	*out = v;
	*n = cnt;
	return HUB_DB_OK;
}

/* ============================================================= counts */

int booking_db_counts(hub_db *db, int64_t from, int64_t to, booking_count **out,
		      int *n)
{
	hub_stmt *st = NULL;
	booking_count *v = NULL;
	int cnt = 0, cap = 0, rc;

	*out = NULL;
	*n = 0;
	rc = A->db_prepare(db,
			   "SELECT slot_start, COALESCE(consultant_id, 0) FROM "
			   "booking_bookings WHERE slot_start >= ? AND "
			   "slot_start < ? AND status = 'booked' ORDER BY "
			   "slot_start",
			   &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, from);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 2, to);
	/* counted here rather than by GROUP BY: a covering-index scan in
	 * slot order, no temporary b-trees */
	while (rc == HUB_DB_OK && (rc = A->stmt_step(st)) == HUB_DB_ROW) {
		int64_t slot = A->col_int(st, 0), cid = A->col_int(st, 1);
		int k = cnt - 1;
		rc = HUB_DB_OK;
		while (k >= 0 && v[k].slot_start == slot &&
		       v[k].consultant_id != cid)
			k--;
		if (k >= 0 && v[k].slot_start == slot) {
			v[k].n++;
			continue;
		}
		if (cnt == cap) {
			int ncap = cap ? cap * 2 : 64;
			booking_count *nv =
			    realloc(v, sizeof(*v) * (size_t)ncap);
			if (!nv) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].slot_start = slot;
		v[cnt].consultant_id = cid;
		v[cnt].n = 1;
		cnt++;
	}
	A->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		free(v);
		return rc == HUB_DB_OK ? HUB_DB_ERROR : rc;
	}
	*out = v;
	*n = cnt;
	return HUB_DB_OK;
}

/* ============================================================= blocks */

/* Minute of day of "HH:MM", or -1 for "" (whole day) or garbage. */
static int time_minute(const char *t)
{
	int m;
	if (!t || !*t || booking_hhmm_parse(&t, 0, &m) != 0 || *t)
		return -1;
	return m;
}

int booking_db_blocks(hub_db *db, hub_date from, hub_date to,
		      booking_block **out, int *n)
{
	hub_stmt *st = NULL;
	booking_block *v = NULL;
	int cnt = 0, cap = 0, rc;
	char f[11], t[11];

	*out = NULL;
	*n = 0;
	hub_date_format(from, f);
	hub_date_format(to, t);
	rc = A->db_prepare(db,
			   "SELECT date, time, reason FROM booking_blocks "
			   "WHERE date >= ? AND date <= ? ORDER BY date, time",
			   &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 1, f);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 2, t);
	while (rc == HUB_DB_OK && (rc = A->stmt_step(st)) == HUB_DB_ROW) {
		hub_date d;
		rc = HUB_DB_OK;
		if (hub_date_parse(A->col_text(st, 0), &d) != 0)
			continue;
		if (cnt == cap) {
			int ncap = cap ? cap * 2 : 16;
			booking_block *nv =
			    realloc(v, sizeof(*v) * (size_t)ncap);
			if (!nv) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].date = d;
		v[cnt].minute = time_minute(A->col_text(st, 1));
		v[cnt].reason = strdup(A->col_text(st, 2));
		if (!v[cnt].reason) {
			rc = HUB_DB_ERROR;
			break;
		}
		cnt++;
	}
	A->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		booking_blocks_free(v, cnt);
		return rc == HUB_DB_OK ? HUB_DB_ERROR : rc;
	}
	*out = v;
	*n = cnt;
	return HUB_DB_OK;
}

void booking_blocks_free(booking_block *b, int n)
{
	for (int i = 0; b && i < n; i++)
		free((char *)b[i].reason);
	free(b);
}

int booking_db_blocked(hub_db *db, hub_date d, int minute, char *reason,
		       size_t reasonlen)
{
	hub_stmt *st = NULL;
	char date[11], hhmm[8] = "";
	int rc;

	hub_date_format(d, date);
	if (minute >= 0)
		snprintf(hhmm, sizeof(hhmm), "%02d:%02d", minute / 60,
			 minute % 60);
	rc = A->db_prepare(db,
			   "SELECT reason FROM booking_blocks WHERE date = ? "
			   "AND (time = '' OR time = ?) ORDER BY time LIMIT 1",
			   &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 1, date);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 2, hhmm);
	if (rc == HUB_DB_OK)
		rc = A->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		snprintf(reason, reasonlen, "%s", A->col_text(st, 0));
		rc = 1;
	} else if (rc == HUB_DB_DONE) {
		rc = 0;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	A->stmt_finalize(st);
	return rc;
}

/* =========================================================== bookings */

void booking_db_read(hub_stmt *st, booking_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = A->col_int(st, 0);
	r->slot_start = A->col_int(st, 1);
	r->slot_end = A->col_int(st, 2);
	col_copy(st, 3, r->first_name, sizeof(r->first_name));
	col_copy(st, 4, r->last_name, sizeof(r->last_name));
	col_copy(st, 5, r->description, sizeof(r->description));
	col_copy(st, 6, r->category, sizeof(r->category));
	col_copy(st, 7, r->color_id, sizeof(r->color_id));
	r->consultant_id = A->col_int(st, 8);
	col_copy(st, 9, r->consultant, sizeof(r->consultant));
	col_copy(st, 10, r->booked_by, sizeof(r->booked_by));
	r->created_at = A->col_int(st, 11);
	col_copy(st, 12, r->status, sizeof(r->status));
	col_copy(st, 13, r->outcome, sizeof(r->outcome));
	col_copy(st, 14, r->outcome_source, sizeof(r->outcome_source));
	r->outcome_at = A->col_int(st, 15);
	col_copy(st, 16, r->cancel_reason, sizeof(r->cancel_reason));
	r->updated_at = A->col_int(st, 17);
	col_copy(st, 18, r->legacy_id, sizeof(r->legacy_id));
}

int booking_db_get(hub_db *db, int64_t id, booking_row *r)
{
	hub_stmt *st = NULL;
	int rc =
	    A->db_prepare(db, "SELECT " BOOKING_DB_COLS "WHERE b.id = ?", &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, id);
	if (rc == HUB_DB_OK)
		rc = A->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		booking_db_read(st, r);
		rc = HUB_DB_OK;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_ENOTFOUND;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	A->stmt_finalize(st);
	return rc;
}

int booking_db_lock_slot(hub_db *db, int64_t slot_start)
{
	hub_stmt *st = NULL;
	int rc =
	    A->db_prepare(db,
			  "INSERT INTO booking_slot_locks (slot_start, "
			  "version) VALUES (?, 1) ON CONFLICT (slot_start) "
			  "DO UPDATE SET version = "
			  "booking_slot_locks.version + 1",
			  &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, slot_start);
	if (rc == HUB_DB_OK)
		rc = step_done(st);
	A->stmt_finalize(st);
	return rc;
}

int booking_db_slot_count(hub_db *db, int64_t slot_start, int64_t cid,
			  int64_t exclude_id, int *total, int *for_cons)
{
	hub_stmt *st = NULL;
	int rc = A->db_prepare(
	    db,
	    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN consultant_id = ? "
	    "THEN 1 ELSE 0 END), 0) FROM booking_bookings WHERE "
	    "slot_start = ? AND status = 'booked' AND id <> ?",
	    &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, cid > 0 ? cid : -1);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 2, slot_start);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 3, exclude_id);
	if (rc == HUB_DB_OK)
		rc = A->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		*total = (int)A->col_int(st, 0);
		*for_cons = (int)A->col_int(st, 1);
		rc = HUB_DB_OK;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	A->stmt_finalize(st);
	return rc;
}

int booking_db_insert(hub_db *db, booking_row *r)
{
	hub_stmt *st = NULL;
	char *key = booking_customer_key(r->last_name, r->first_name);
	int rc = key ? HUB_DB_OK : HUB_DB_ERROR;

	if (rc == HUB_DB_OK)
		rc = A->db_prepare(
		    db,
		    "INSERT INTO booking_bookings (slot_start, slot_end, "
		    "first_name, last_name, customer_key, description, "
		    "category, color_id, consultant_id, booked_by, "
		    "created_at, status, outcome, outcome_source, "
		    "outcome_at, cancel_reason, updated_at, legacy_id) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?) RETURNING id",
		    &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, r->slot_start);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 2, r->slot_end);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 3, r->first_name);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 4, r->last_name);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 5, key);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 6, r->description);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 7, r->category);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 8, r->color_id);
	if (rc == HUB_DB_OK)
		rc = r->consultant_id > 0
			 ? A->stmt_bind_int(st, 9, r->consultant_id)
			 : A->stmt_bind_null(st, 9);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 10, r->booked_by);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 11, r->created_at);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 12, r->status);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 13, r->outcome);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 14, r->outcome_source);
	if (rc == HUB_DB_OK)
		rc = r->outcome_at > 0 ? A->stmt_bind_int(st, 15, r->outcome_at)
				       : A->stmt_bind_null(st, 15);
	if (rc == HUB_DB_OK)
		rc = bind_text_or_null(st, 16, r->cancel_reason, 1);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 17, r->updated_at);
	if (rc == HUB_DB_OK)
		rc = bind_text_or_null(st, 18, r->legacy_id, 1);
	if (rc == HUB_DB_OK)
		rc = A->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		r->id = A->col_int(st, 0);
		rc = A->stmt_step(st) == HUB_DB_DONE ? HUB_DB_OK : HUB_DB_ERROR;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	A->stmt_finalize(st);
	free(key);
	return rc;
}

int booking_db_update(hub_db *db, const booking_row *r, const char *actor)
{
	hub_stmt *st = NULL;
	int rc = A->db_prepare(
	    db,
	    "UPDATE booking_bookings SET slot_start = ?, slot_end = ?, "
	    "consultant_id = ?, status = ?, outcome = ?, outcome_source = "
	    "?, outcome_at = ?, cancel_reason = ?, cancelled_at = CASE "
	    "WHEN ? = 'cancelled' THEN COALESCE(cancelled_at, ?) ELSE NULL "
	    "END, cancelled_by = CASE WHEN ? = 'cancelled' THEN "
	    "COALESCE(cancelled_by, ?) ELSE NULL END, updated_at = ? "
	    "WHERE id = ?",
	    &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, r->slot_start);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 2, r->slot_end);
	if (rc == HUB_DB_OK)
		rc = r->consultant_id > 0
			 ? A->stmt_bind_int(st, 3, r->consultant_id)
			 : A->stmt_bind_null(st, 3);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 4, r->status);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 5, r->outcome);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 6, r->outcome_source);
	if (rc == HUB_DB_OK)
		rc = r->outcome_at > 0 ? A->stmt_bind_int(st, 7, r->outcome_at)
				       : A->stmt_bind_null(st, 7);
	if (rc == HUB_DB_OK)
		rc = bind_text_or_null(st, 8, r->cancel_reason, 1);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 9, r->status);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 10, r->updated_at);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 11, r->status);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 12, actor);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 13, r->updated_at);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 14, r->id);
	if (rc == HUB_DB_OK)
		rc = step_done(st);
	A->stmt_finalize(st);
	return rc;
}

/* ============================================================ history */

int booking_db_history_add(hub_db *db, int64_t booking_id, int64_t at,
			   const char *actor, const char *action,
			   const char *detail)
{
	hub_stmt *st = NULL;
	int rc = A->db_prepare(db,
			       "INSERT INTO booking_history (booking_id, at, "
			       "actor, action, detail) VALUES (?, ?, ?, ?, ?)",
			       &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, booking_id);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 2, at);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 3, actor);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 4, action);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 5, detail ? detail : "{}");
	if (rc == HUB_DB_OK)
		rc = step_done(st);
	A->stmt_finalize(st);
	return rc;
}

int booking_db_history_json(hub_db *db, int64_t booking_id, booking_buf *b)
{
	hub_stmt *st = NULL;
	int rc, first = 1;

	rc = A->db_prepare(db,
			   "SELECT at, actor, action, detail FROM "
			   "booking_history WHERE booking_id = ? ORDER BY id",
			   &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, booking_id);
	booking_buf_puts(b, "[");
	while (rc == HUB_DB_OK && (rc = A->stmt_step(st)) == HUB_DB_ROW) {
		const char *detail = A->col_text(st, 3);
		booking_buf_puts(b, first ? "{\"at\":" : ",{\"at\":");
		booking_buf_json_time(b, A->col_int(st, 0));
		booking_buf_puts(b, ",\"actor\":");
		booking_buf_json_str(b, A->col_text(st, 1));
		booking_buf_puts(b, ",\"action\":");
		booking_buf_json_str(b, A->col_text(st, 2));
		/* detail is a JSON object this module wrote itself */
		booking_buf_puts(b, ",\"detail\":");
		booking_buf_puts(b, detail[0] == '{' ? detail : "{}");
		booking_buf_puts(b, "}");
		first = 0;
		rc = HUB_DB_OK;
	}
	booking_buf_puts(b, "]");
	A->stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : (rc < 0 ? rc : HUB_DB_ERROR);
}

int booking_db_outbox(hub_db *db, const booking_row *r)
{
	booking_buf b;
	char key[32];
	int rc;

	booking_buf_init(&b);
	booking_event_json(&b, r, &booking_m.cfg);
	booking_event_key(r->id, key);
	if (b.oom)
		rc = HUB_DB_ERROR;
	else
		rc = A->cal_outbox_put(db, "upsert", key, b.p);
	booking_buf_free(&b);
	return rc;
}

/* ======================================================= idempotency */

int booking_db_idem_get(hub_db *db, int64_t user_id, const char *key,
			char hash[65], int *status, char **response)
{
	hub_stmt *st = NULL;
	int rc = A->db_prepare(db,
			       "SELECT request_hash, status, response FROM "
			       "booking_idempotency WHERE user_id = ? AND "
			       "idem_key = ?",
			       &st);
	*response = NULL;
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, user_id);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 2, key);
	if (rc == HUB_DB_OK)
		rc = A->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		snprintf(hash, 65, "%s", A->col_text(st, 0));
		*status = (int)A->col_int(st, 1);
		*response = strdup(A->col_text(st, 2));
		rc = *response ? HUB_DB_OK : HUB_DB_ERROR;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_ENOTFOUND;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	A->stmt_finalize(st);
	return rc;
}

int booking_db_idem_put(hub_db *db, int64_t user_id, const char *key,
			const char *hash, int status, const char *response)
{
	hub_stmt *st = NULL;
	int rc = A->db_prepare(db,
			       "INSERT INTO booking_idempotency (user_id, "
			       "idem_key, request_hash, status, response, "
			       "created_at) VALUES (?, ?, ?, ?, ?, ?)",
			       &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, user_id);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 2, key);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 3, hash);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 4, status);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_text(st, 5, response);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 6, (int64_t)time(NULL));
	if (rc == HUB_DB_OK)
		rc = step_done(st);
	A->stmt_finalize(st);
	return rc;
}

int booking_db_idem_purge(hub_db *db, int64_t before)
{
	hub_stmt *st = NULL;
	int rc = A->db_prepare(db,
			       "DELETE FROM booking_idempotency WHERE "
			       "created_at < ?",
			       &st);
	if (rc == HUB_DB_OK)
		rc = A->stmt_bind_int(st, 1, before);
	if (rc == HUB_DB_OK)
		rc = step_done(st);
	A->stmt_finalize(st);
	return rc == HUB_DB_OK ? A->db_changes(db) : rc;
}
