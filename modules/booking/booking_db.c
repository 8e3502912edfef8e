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

/* ============================================================ helpers */

/* Copies column `col` of the current row into out. */
static void col_copy(hub_stmt *st, int col, char *out, size_t outlen)
{
	/* as snprintf "%s" (truncated to outlen - 1 bytes), without the
	 * formatting machinery: the listing copies four per consultant */
	const char *t = BOOKING_API->col_text(st, col);
	size_t n;
	if (!outlen)
		return;
	if (!t)
		t = "(null)";
	n = strnlen(t, outlen - 1);
	memcpy(out, t, n);
	out[n] = 0;
}

/* Steps a statement that returns no rows; HUB_DB_OK when it finished. */
static int step_done(hub_stmt *st)
{
	int rc = BOOKING_API->stmt_step(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : (rc < 0 ? rc : HUB_DB_ERROR);
}

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* An id or time that is NULL when not positive. */
static hubkit_arg arg_pos_or_null(int64_t v)
{
	return v > 0 ? HUBKIT_INT(v) : HUBKIT_NULL;
}

/* A text that is NULL when s is NULL or empty. */
static hubkit_arg arg_text_or_null(const char *s)
{
	return s && *s ? HUBKIT_TEXT(s) : HUBKIT_NULL;
}

/* Prepares, binds and runs a statement that returns no rows. */
static int exec_args(hub_db *db, const char *sql, const hubkit_arg *args, int n)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(BOOKING_SQL, db, sql, args, n, &st);
	if (rc == HUB_DB_OK)
		rc = step_done(st);
	BOOKING_API->stmt_finalize(st);
	return rc;
}

/* Doubles the capacity *cap (or makes it `first`) of an array of
 * `size`-byte elements; returns the reallocated array and updates *cap, or
 * NULL when out of memory (v and *cap are then unchanged). */
static void *grow(void *v, int *cap, size_t size, int first)
{
	int ncap = *cap ? *cap * 2 : first;
	void *nv = realloc(v, size * (size_t)ncap);
	if (nv)
		*cap = ncap;
	return nv;
}

/* ========================================================= consultants */

/* Seeds an empty consultants table from the configuration's list (the
 * database is the truth once it has any consultant: an admin's changes are
 * never undone by a restart). Several servers starting at once insert the
 * same names; ON CONFLICT makes that harmless. */
static int sync_tx(hub_db *db, void *ud)
{
	const booking_config *cfg = &booking_m.cfg;
	int64_t now = (int64_t)time(NULL);
	hub_stmt *st = NULL;
	int rc, any = 0;
	(void)ud;

	rc = BOOKING_API->db_prepare(
	    db, "SELECT COUNT(*) FROM booking_consultants", &st);
	if (rc == HUB_DB_OK && (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW)
		any = BOOKING_API->col_int(st, 0) > 0;
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_ROW)
		return rc < 0 ? rc : HUB_DB_ERROR;
	rc = HUB_DB_OK;
	for (int i = 0; !any && rc == HUB_DB_OK && i < cfg->nconsultants; i++) {
		hubkit_arg args[] = {
		    HUBKIT_TEXT(cfg->consultants[i].name),
		    HUBKIT_TEXT(cfg->consultants[i].calendar_id),
		    HUBKIT_INT(now), HUBKIT_INT(now)};
		rc = exec_args(db,
			       "INSERT INTO booking_consultants (name, "
			       "calendar_id, active, capacity, source, "
			       "created_at, updated_at) VALUES (?, ?, 1, 0, "
			       "'config', ?, ?) ON CONFLICT (name) DO NOTHING",
			       args, NARGS(args));
	}
	if (rc == HUB_DB_OK && !any && cfg->nconsultants > 0)
		rc = booking_db_bump_gen(db);
	return rc;
}

int booking_db_bump_gen(hub_db *db)
{
	return exec_args(db,
			 "UPDATE booking_meta SET value = value + 1 WHERE "
			 "name = 'admin_gen'",
			 NULL, 0);
}

int booking_db_gen(hub_db *db, int64_t *gen)
{
	hub_stmt *st = NULL;
	int rc = BOOKING_API->db_prepare(
	    db, "SELECT value FROM booking_meta WHERE name = 'admin_gen'", &st);
	*gen = 0;
	if (rc == HUB_DB_OK && (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW)
		*gen = BOOKING_API->col_int(st, 0);
	BOOKING_API->stmt_finalize(st);
	return rc == HUB_DB_ROW || rc == HUB_DB_DONE
		   ? HUB_DB_OK
		   : (rc < 0 ? rc : HUB_DB_ERROR);
}

int booking_db_gen_cached(hub_db *db, int64_t *gen)
{
	booking_copy_tag tag = booking_copy_now();
	int rc;
	if (booking_copy_gen_get(&tag, gen))
		return HUB_DB_OK;
	rc = booking_db_gen(db, gen);
	if (rc == HUB_DB_OK)
		booking_copy_gen_put(&tag, *gen);
	return rc;
}

int booking_db_ensure_consultants(hub_db *db)
{
	int rc = HUB_DB_OK;
	/* after the first sync every request passes without the lock */
	if (__atomic_load_n(&booking_m.synced, __ATOMIC_ACQUIRE))
		return HUB_DB_OK;
	pthread_mutex_lock(&booking_m.sync_lock);
	if (!booking_m.synced) {
		rc = BOOKING_API->db_transaction(db, sync_tx, NULL);
		if (rc == HUB_DB_OK) {
			__atomic_store_n(&booking_m.synced, 1,
					 __ATOMIC_RELEASE);
			/* it may have seeded consultants */
			booking_admin_changed();
		}
	}
	pthread_mutex_unlock(&booking_m.sync_lock);
	return rc;
}

static int consultants_read(hub_db *db, int active_only,
			    booking_consultant **out, int *n);

int booking_db_consultants(hub_db *db, int active_only,
			   booking_consultant **out, int *n)
{
	booking_copy_tag tag;
	int rc;
	if (!active_only)
		return consultants_read(db, 0, out, n);
	tag = booking_copy_now();
	if (booking_copy_cons_get(&tag, out, n))
		return HUB_DB_OK;
	rc = consultants_read(db, 1, out, n);
	if (rc == HUB_DB_OK)
		booking_copy_cons_put(&tag, *out, *n);
	return rc;
}

static int consultants_read(hub_db *db, int active_only,
			    booking_consultant **out, int *n)
{
	hub_stmt *st = NULL;
	booking_consultant *v = NULL;
	int cnt = 0, cap = 0, rc;

	*out = NULL;
	*n = 0;
	rc = BOOKING_API->db_prepare(
	    db,
	    active_only ? "SELECT id, name, email, calendar_id, "
			  "active, capacity, source FROM "
			  "booking_consultants WHERE active = 1 "
			  "ORDER BY name, id"
			: "SELECT id, name, email, calendar_id, "
			  "active, capacity, source FROM "
			  "booking_consultants ORDER BY name, id",
	    &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		booking_consultant *c;
		if (cnt == cap) {
			booking_consultant *nv = grow(v, &cap, sizeof(*v), 16);
			if (!nv) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = nv;
		}
		c = &v[cnt++];
		memset(c, 0, sizeof(*c));
		c->id = BOOKING_API->col_int(st, 0);
		col_copy(st, 1, c->name, sizeof(c->name));
		col_copy(st, 2, c->email, sizeof(c->email));
		col_copy(st, 3, c->calendar_id, sizeof(c->calendar_id));
		c->active = (int)BOOKING_API->col_int(st, 4);
		c->capacity = (int)BOOKING_API->col_int(st, 5);
		col_copy(st, 6, c->source, sizeof(c->source));
		rc = HUB_DB_OK;
	}
	BOOKING_API->stmt_finalize(st);
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
	/* one row per slot with bookings: the count the triggers of
	 * migration 4 keep in the slot's lock row (a range of the table's
	 * primary key), instead of counting the bookings on every listing */
	rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT slot_start, booked FROM booking_slot_locks WHERE "
	    "slot_start >= ? AND slot_start < ? AND booked > 0 "
	    "ORDER BY slot_start",
	    (hubkit_arg[]){HUBKIT_INT(from), HUBKIT_INT(to)}, 2, &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		rc = HUB_DB_OK;
		if (cnt == cap) {
			booking_count *nv = grow(v, &cap, sizeof(*v), 64);
			if (!nv) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = nv;
		}
		v[cnt].slot_start = BOOKING_API->col_int(st, 0);
		v[cnt].consultant_id = 0;
		v[cnt].n = (int)BOOKING_API->col_int(st, 1);
		cnt++;
	}
	BOOKING_API->stmt_finalize(st);
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

static int blocks_read(hub_db *db, hub_date from, hub_date to,
		       booking_block **out, int *n);

int booking_db_blocks(hub_db *db, hub_date from, hub_date to,
		      booking_block **out, int *n)
{
	booking_copy_tag tag = booking_copy_now();
	int rc;
	if (booking_copy_blocks_get(&tag, from, to, out, n))
		return HUB_DB_OK;
	rc = blocks_read(db, from, to, out, n);
	if (rc == HUB_DB_OK)
		booking_copy_blocks_put(&tag, from, to, *out, *n);
	return rc;
}

static int blocks_read(hub_db *db, hub_date from, hub_date to,
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
	rc = hubkit_prepare(BOOKING_SQL, db,
			    "SELECT date, time, reason FROM booking_blocks "
			    "WHERE date >= ? AND date <= ? ORDER BY date, time",
			    (hubkit_arg[]){HUBKIT_TEXT(f), HUBKIT_TEXT(t)}, 2,
			    &st);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		hub_date d;
		rc = HUB_DB_OK;
		if (hub_date_parse(BOOKING_API->col_text(st, 0), &d) != 0)
			continue;
		if (cnt == cap) {
			booking_block *nv = grow(v, &cap, sizeof(*v), 16);
			if (!nv) {
				rc = HUB_DB_ERROR;
				break;
			}
			v = nv;
		}
		v[cnt].date = d;
		v[cnt].minute = time_minute(BOOKING_API->col_text(st, 1));
		v[cnt].reason = strdup(BOOKING_API->col_text(st, 2));
		if (!v[cnt].reason) {
			rc = HUB_DB_ERROR;
			break;
		}
		cnt++;
	}
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		booking_blocks_free(v, cnt);
		return rc == HUB_DB_OK ? HUB_DB_ERROR : rc;
	}
	*out = v;
	*n = cnt;
	return HUB_DB_OK;
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
	rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT reason FROM booking_blocks WHERE date = ? "
	    "AND (time = '' OR time = ?) ORDER BY time LIMIT 1",
	    (hubkit_arg[]){HUBKIT_TEXT(date), HUBKIT_TEXT(hhmm)}, 2, &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		snprintf(reason, reasonlen, "%s", BOOKING_API->col_text(st, 0));
		rc = 1;
	} else if (rc == HUB_DB_DONE) {
		rc = 0;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	BOOKING_API->stmt_finalize(st);
	return rc;
}

/* =========================================================== bookings */

void booking_db_read(hub_stmt *st, booking_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = BOOKING_API->col_int(st, 0);
	r->slot_start = BOOKING_API->col_int(st, 1);
	r->slot_end = BOOKING_API->col_int(st, 2);
	col_copy(st, 3, r->first_name, sizeof(r->first_name));
	col_copy(st, 4, r->last_name, sizeof(r->last_name));
	col_copy(st, 5, r->description, sizeof(r->description));
	col_copy(st, 6, r->category, sizeof(r->category));
	col_copy(st, 7, r->color_id, sizeof(r->color_id));
	r->consultant_id = BOOKING_API->col_int(st, 8);
	col_copy(st, 9, r->consultant, sizeof(r->consultant));
	col_copy(st, 10, r->booked_by, sizeof(r->booked_by));
	r->created_at = BOOKING_API->col_int(st, 11);
	col_copy(st, 12, r->status, sizeof(r->status));
	col_copy(st, 13, r->outcome, sizeof(r->outcome));
	col_copy(st, 14, r->outcome_source, sizeof(r->outcome_source));
	r->outcome_at = BOOKING_API->col_int(st, 15);
	col_copy(st, 16, r->cancel_reason, sizeof(r->cancel_reason));
	r->updated_at = BOOKING_API->col_int(st, 17);
	col_copy(st, 18, r->legacy_id, sizeof(r->legacy_id));
}

int booking_db_select_one(hub_db *db, const char *sql, const hubkit_arg *args,
			  int n, booking_row *r)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(BOOKING_SQL, db, sql, args, n, &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW)
		booking_db_read(st, r);
	BOOKING_API->stmt_finalize(st);
	return rc;
}

int booking_db_find(hub_db *db, const char *sql, const hubkit_arg *args, int n,
		    booking_row *r)
{
	int rc = booking_db_select_one(db, sql, args, n, r);
	if (rc == HUB_DB_ROW)
		return HUB_DB_OK;
	if (rc == HUB_DB_DONE)
		return HUB_DB_ENOTFOUND;
	return rc >= 0 ? HUB_DB_ERROR : rc;
}

int booking_db_get(hub_db *db, int64_t id, booking_row *r)
{
	return booking_db_find(db, "SELECT " BOOKING_DB_COLS "WHERE b.id = ?",
			       (hubkit_arg[]){HUBKIT_INT(id)}, 1, r);
}

int booking_db_lock_slot(hub_db *db, int64_t slot_start)
{
	return exec_args(db,
			 "INSERT INTO booking_slot_locks (slot_start, "
			 "version) VALUES (?, 1) ON CONFLICT (slot_start) "
			 "DO UPDATE SET version = "
			 "booking_slot_locks.version + 1",
			 (hubkit_arg[]){HUBKIT_INT(slot_start)}, 1);
}

int booking_db_slot_state(hub_db *db, const booking_slot_ref *s,
			  const char *customer_key, int64_t cid,
			  booking_slot_state *out)
{
	hub_stmt *st = NULL;
	char date[11], hhmm[8];
	int rc;

	memset(out, 0, sizeof(*out));
	hub_date_format(s->date, date);
	snprintf(hhmm, sizeof(hhmm), "%02d:%02d", s->minute / 60,
		 s->minute % 60);
	/* one round trip: the same three reads as booking_db_blocked,
	 * booking_find_duplicate and booking_db_slot_count */
	rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT (SELECT reason FROM booking_blocks WHERE date = ? AND "
	    "(time = '' OR time = ?) ORDER BY time LIMIT 1), (SELECT id FROM "
	    "booking_bookings WHERE slot_start = ? AND customer_key = ? AND "
	    "status = 'booked' ORDER BY id LIMIT 1), COUNT(*), "
	    "COALESCE(SUM(CASE WHEN consultant_id = ? THEN 1 ELSE 0 END), 0) "
	    "FROM booking_bookings WHERE slot_start = ? AND status = 'booked'",
	    HUBKIT_ARGS(HUBKIT_TEXT(date), HUBKIT_TEXT(hhmm),
			HUBKIT_INT(s->start), HUBKIT_TEXT(customer_key),
			HUBKIT_INT(cid > 0 ? cid : -1), HUBKIT_INT(s->start)),
	    &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		out->blocked = BOOKING_API->col_type(st, 0) != HUB_DB_NULL;
		if (out->blocked)
			col_copy(st, 0, out->reason, sizeof(out->reason));
		out->dup_id = BOOKING_API->col_int(st, 1);
		out->total = (int)BOOKING_API->col_int(st, 2);
		out->for_cons = (int)BOOKING_API->col_int(st, 3);
		rc = HUB_DB_OK;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	BOOKING_API->stmt_finalize(st);
	return rc;
}

int booking_db_slot_count(hub_db *db, int64_t slot_start, int64_t cid,
			  int64_t exclude_id, int *total, int *for_cons)
{
	hub_stmt *st = NULL;
	hubkit_arg args[] = {HUBKIT_INT(cid > 0 ? cid : -1),
			     HUBKIT_INT(slot_start), HUBKIT_INT(exclude_id)};
	int rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN consultant_id = ? "
	    "THEN 1 ELSE 0 END), 0) FROM booking_bookings WHERE "
	    "slot_start = ? AND status = 'booked' AND id <> ?",
	    args, NARGS(args), &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		*total = (int)BOOKING_API->col_int(st, 0);
		*for_cons = (int)BOOKING_API->col_int(st, 1);
		rc = HUB_DB_OK;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	BOOKING_API->stmt_finalize(st);
	return rc;
}

int booking_db_insert(hub_db *db, booking_row *r)
{
	hub_stmt *st = NULL;
	char *key = booking_customer_key(r->last_name, r->first_name);
	int rc = key ? HUB_DB_OK : HUB_DB_ERROR;
	hubkit_arg args[] = {HUBKIT_INT(r->slot_start),
			     HUBKIT_INT(r->slot_end),
			     HUBKIT_TEXT(r->first_name),
			     HUBKIT_TEXT(r->last_name),
			     HUBKIT_TEXT(key),
			     HUBKIT_TEXT(r->description),
			     HUBKIT_TEXT(r->category),
			     HUBKIT_TEXT(r->color_id),
			     arg_pos_or_null(r->consultant_id),
			     HUBKIT_TEXT(r->booked_by),
			     HUBKIT_INT(r->created_at),
			     HUBKIT_TEXT(r->status),
			     HUBKIT_TEXT(r->outcome),
			     HUBKIT_TEXT(r->outcome_source),
			     arg_pos_or_null(r->outcome_at),
			     arg_text_or_null(r->cancel_reason),
			     HUBKIT_INT(r->updated_at),
			     arg_text_or_null(r->legacy_id)};

	if (rc == HUB_DB_OK)
		rc = hubkit_prepare(
		    BOOKING_SQL, db,
		    "INSERT INTO booking_bookings (slot_start, slot_end, "
		    "first_name, last_name, customer_key, description, "
		    "category, color_id, consultant_id, booked_by, "
		    "created_at, status, outcome, outcome_source, "
		    "outcome_at, cancel_reason, updated_at, legacy_id) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?) RETURNING id",
		    args, NARGS(args), &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		r->id = BOOKING_API->col_int(st, 0);
		rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE ? HUB_DB_OK
							       : HUB_DB_ERROR;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	BOOKING_API->stmt_finalize(st);
	free(key);
	return rc;
}

int booking_db_update(hub_db *db, const booking_row *r, const char *actor)
{
	hubkit_arg args[] = {HUBKIT_INT(r->slot_start),
			     HUBKIT_INT(r->slot_end),
			     arg_pos_or_null(r->consultant_id),
			     HUBKIT_TEXT(r->status),
			     HUBKIT_TEXT(r->outcome),
			     HUBKIT_TEXT(r->outcome_source),
			     arg_pos_or_null(r->outcome_at),
			     arg_text_or_null(r->cancel_reason),
			     HUBKIT_TEXT(r->status),
			     HUBKIT_INT(r->updated_at),
			     HUBKIT_TEXT(r->status),
			     HUBKIT_TEXT(actor),
			     HUBKIT_INT(r->updated_at),
			     HUBKIT_INT(r->id)};
	return exec_args(
	    db,
	    "UPDATE booking_bookings SET slot_start = ?, slot_end = ?, "
	    "consultant_id = ?, status = ?, outcome = ?, outcome_source = "
	    "?, outcome_at = ?, cancel_reason = ?, cancelled_at = CASE "
	    "WHEN ? = 'cancelled' THEN COALESCE(cancelled_at, ?) ELSE NULL "
	    "END, cancelled_by = CASE WHEN ? = 'cancelled' THEN "
	    "COALESCE(cancelled_by, ?) ELSE NULL END, updated_at = ? "
	    "WHERE id = ?",
	    args, NARGS(args));
}

/* ============================================================ history */

int booking_db_history_add(hub_db *db, int64_t booking_id, int64_t at,
			   const char *actor, const char *action,
			   const char *detail)
{
	hubkit_arg args[] = {HUBKIT_INT(booking_id), HUBKIT_INT(at),
			     HUBKIT_TEXT(actor), HUBKIT_TEXT(action),
			     HUBKIT_TEXT(detail ? detail : "{}")};
	return exec_args(db,
			 "INSERT INTO booking_history (booking_id, at, "
			 "actor, action, detail) VALUES (?, ?, ?, ?, ?)",
			 args, NARGS(args));
}

int booking_db_history_json(hub_db *db, int64_t booking_id, booking_buf *b)
{
	hub_stmt *st = NULL;
	int rc, first = 1;

	rc = hubkit_prepare(BOOKING_SQL, db,
			    "SELECT at, actor, action, detail FROM "
			    "booking_history WHERE booking_id = ? ORDER BY id",
			    (hubkit_arg[]){HUBKIT_INT(booking_id)}, 1, &st);
	booking_buf_puts(b, "[");
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		const char *detail = BOOKING_API->col_text(st, 3);
		booking_buf_puts(b, first ? "{\"at\":" : ",{\"at\":");
		booking_buf_json_time(b, BOOKING_API->col_int(st, 0));
		booking_buf_puts(b, ",\"actor\":");
		booking_buf_json_str(b, BOOKING_API->col_text(st, 1));
		booking_buf_puts(b, ",\"action\":");
		booking_buf_json_str(b, BOOKING_API->col_text(st, 2));
		/* detail is a JSON object this module wrote itself */
		booking_buf_puts(b, ",\"detail\":");
		booking_buf_puts(b, detail[0] == '{' ? detail : "{}");
		booking_buf_puts(b, "}");
		first = 0;
		rc = HUB_DB_OK;
	}
	booking_buf_puts(b, "]");
	BOOKING_API->stmt_finalize(st);
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
		rc = BOOKING_API->cal_outbox_put(db, "upsert", key, b.p);
	booking_buf_free(&b);
	return rc;
}

int booking_db_event(hub_db *db, const char *type, const booking_row *r)
{
	booking_buf b;
	char key[32];
	int rc;

	if (!HUB_API_HAS(BOOKING_API, event_put) || !BOOKING_API->event_put)
		return HUB_DB_OK;
	booking_buf_init(&b);
	booking_row_json(&b, r);
	booking_event_key(r->id, key);
	rc = b.oom ? HUB_DB_ERROR : BOOKING_API->event_put(db, type, key, b.p);
	booking_buf_free(&b);
	return rc;
}

/* ======================================================= idempotency */

int booking_db_idem_get(hub_db *db, int64_t user_id, const char *key,
			char hash[65], int *status, char **response)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(
	    BOOKING_SQL, db,
	    "SELECT request_hash, status, response FROM "
	    "booking_idempotency WHERE user_id = ? AND "
	    "idem_key = ?",
	    (hubkit_arg[]){HUBKIT_INT(user_id), HUBKIT_TEXT(key)}, 2, &st);
	*response = NULL;
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		snprintf(hash, 65, "%s", BOOKING_API->col_text(st, 0));
		*status = (int)BOOKING_API->col_int(st, 1);
		*response = strdup(BOOKING_API->col_text(st, 2));
		rc = *response ? HUB_DB_OK : HUB_DB_ERROR;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_ENOTFOUND;
	} else if (rc >= 0) {
		rc = HUB_DB_ERROR;
	}
	BOOKING_API->stmt_finalize(st);
	return rc;
}

int booking_db_idem_put(hub_db *db, int64_t user_id, const char *key,
			const char *hash, int status, const char *response)
{
	hubkit_arg args[] = {HUBKIT_INT(user_id),   HUBKIT_TEXT(key),
			     HUBKIT_TEXT(hash),	    HUBKIT_INT(status),
			     HUBKIT_TEXT(response), HUBKIT_INT(time(NULL))};
	return exec_args(db,
			 "INSERT INTO booking_idempotency (user_id, "
			 "idem_key, request_hash, status, response, "
			 "created_at) VALUES (?, ?, ?, ?, ?, ?)",
			 args, NARGS(args));
}

int booking_db_idem_purge(hub_db *db, int64_t before)
{
	int rc = exec_args(db,
			   "DELETE FROM booking_idempotency WHERE "
			   "created_at < ?",
			   (hubkit_arg[]){HUBKIT_INT(before)}, 1);
	return rc == HUB_DB_OK ? BOOKING_API->db_changes(db) : rc;
}
