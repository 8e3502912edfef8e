/*
 * booking_http_book.c - POST /api/v1/bookings, with Idempotency-Key.
 *
 * Order of checks (docs/API.md): the router has answered 401/403/429/413/415;
 * then 400 (body), 422 (fields, not a slot start, past, notice, horizon,
 * a reused Idempotency-Key with another body), 409 (blocked, slot_full,
 * state conflicts). Capacity is checked and the booking written in one
 * transaction that first locks the slot's row (booking_db_lock_slot) and
 * is serialised by that lock alone (db_transaction_rowlocked: on
 * PostgreSQL READ COMMITTED, bookings of other slots run beside it).
 * Every change writes the booking's history, the audit log and the
 * calendar outbox in that same transaction.
 */
#include "booking_mod.h"

#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ============================================================ create */

typedef struct create_tx {
	hub_req *req;
	const hub_user *user;
	booking_row row;
	booking_slot_ref slot;
	booking_slot_info info;
	const char *idem_key; /* NULL when none */
	char hash[65];
	/* outputs */
	char *response; /* owned */
	int replay_status;
	char replay_hash[65];
	char *replay; /* owned */
	char reason[256];
	int allow_dup;	     /* "allow_duplicate": true */
	int64_t want_cons;   /* the consultant asked for, 0 = any */
	booking_cands cands; /* for "any": who may take it */
	booking_row dup;     /* output: the booking it would duplicate */
} create_tx;

/* Inside the transaction, after the slot's lock, from one read: a block
 * (BOOKING_TX_BLOCKED), a duplicate of the same customer
 * (BOOKING_TX_DUPLICATE unless allowed), the capacity (BOOKING_TX_FULL),
 * then a consultant for "any available". */
static int create_checks(hub_db *db, create_tx *t)
{
	booking_slot_state ss;
	char *key = booking_customer_key(t->row.last_name, t->row.first_name);
	int rc = key ? HUB_DB_OK : HUB_DB_ERROR;

	t->row.consultant_id = t->want_cons;
	if (rc == HUB_DB_OK)
		rc = booking_db_slot_state(db, &t->slot, key,
					   t->row.consultant_id, &ss);
	free(key);
	if (rc != HUB_DB_OK)
		return rc;
	if (ss.blocked) {
		snprintf(t->reason, sizeof(t->reason), "%s", ss.reason);
		return BOOKING_TX_BLOCKED;
	}
	if (!t->allow_dup && ss.dup_id > 0) {
		rc = booking_db_get(db, ss.dup_id, &t->dup);
		return rc == HUB_DB_OK ? BOOKING_TX_DUPLICATE : rc;
	}
	if (ss.total >= t->info.capacity ||
	    (t->row.consultant_id > 0 && ss.for_cons >= t->info.cons_capacity))
		return BOOKING_TX_FULL;
	return booking_assign_pick(db, &t->cands, &t->slot, &t->row);
}

static int create_fn(hub_db *db, void *ud)
{
	create_tx *t = ud;
	char detail[200], key[32], start[40];
	int rc;
	booking_buf b;

	free(t->response);
	free(t->replay);
	t->response = t->replay = NULL;
	t->row.id = 0;
	if (t->idem_key) {
		rc = booking_db_idem_get(db, t->user->id, t->idem_key,
					 t->replay_hash, &t->replay_status,
					 &t->replay);
		if (rc == HUB_DB_OK)
			return BOOKING_TX_REPLAY;
		if (rc != HUB_DB_ENOTFOUND)
			return rc;
	}
	rc = booking_db_lock_slot(db, t->slot.start);
	if (rc != HUB_DB_OK)
		return rc;
	rc = create_checks(db, t);
	if (rc != HUB_DB_OK)
		return rc;
	rc = booking_db_insert(db, &t->row);
	if (rc != HUB_DB_OK)
		return rc;
	hub_time_format(t->row.slot_start, start);
	snprintf(detail, sizeof(detail), "{\"start\":\"%s\"}", start);
	rc = booking_db_history_add(db, t->row.id, t->row.created_at,
				    t->user->username, "created", detail);
	if (rc != HUB_DB_OK)
		return rc;
	booking_event_key(t->row.id, key);
	snprintf(detail, sizeof(detail), "slot %s", start);
	if (BOOKING_API->audit(t->req, db, "booking.create", key, detail) != 0)
		return HUB_DB_ERROR;
	rc = booking_db_outbox(db, &t->row);
	if (rc == HUB_DB_OK)
		rc = booking_db_event(db, "booking.created", &t->row);
	if (rc != HUB_DB_OK)
		return rc;
	booking_buf_init(&b);
	booking_row_json(&b, &t->row);
	t->response = booking_buf_take(&b);
	if (!t->response)
		return HUB_DB_ERROR;
	if (t->idem_key)
		rc = booking_db_idem_put(db, t->user->id, t->idem_key, t->hash,
					 201, t->response);
	return rc;
}

/* Hex SHA-256 of the request (method, path and body) into out[65]. */
static void request_hash(hub_req *req, char out[65])
{
	mbedtls_sha256_context c;
	unsigned char h[32];
	size_t len = 0;
	const char *body = BOOKING_API->req_body(req, &len);
	const char *path = BOOKING_API->req_path(req);

	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, (const unsigned char *)"POST ", 5);
	mbedtls_sha256_update_ret(&c, (const unsigned char *)path,
				  strlen(path) + 1);
	if (body)
		mbedtls_sha256_update_ret(&c, (const unsigned char *)body, len);
	mbedtls_sha256_finish_ret(&c, h);
	mbedtls_sha256_free(&c);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Checks an Idempotency-Key: 1..200 visible ASCII characters. */
static int idem_key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return 0;
	return 1;
}

/* Answers a replay: the first answer when the request is the same,
 * 422 idempotency_mismatch otherwise. */
static void reply_replay(hub_req *req, const create_tx *t)
{
	if (strcmp(t->replay_hash, t->hash) != 0) {
		BOOKING_API->reply_error(
		    req, 422, "idempotency_mismatch",
		    "this Idempotency-Key was used with a different "
		    "request",
		    NULL);
		return;
	}
	BOOKING_API->reply_header(req, "Idempotent-Replayed", "true");
	BOOKING_API->reply_json(req, t->replay_status, t->replay);
}

/* Resolves the optional "consultant" member (name or id) to an active
 * consultant. Answers 422 and returns -1 when it names none. */
static int resolve_consultant(hub_req *req, hub_db *db, const cJSON *v,
			      booking_row *r)
{
	booking_consultant *c = NULL;
	int n = 0, rc, found = -1;

	r->consultant_id = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) && !cJSON_IsNumber(v))
		return hubkit_invalid(BOOKING_API, req, "consultant",
				      "must be a consultant's name or id");
	rc = booking_db_ensure_consultants(db);
	if (rc == HUB_DB_OK)
		rc = booking_db_consultants(db, 1, &c, &n);
	if (rc != HUB_DB_OK) {
		booking_reply_db_error(req, db, rc);
		return -1;
	}
	for (int i = 0; i < n && found < 0; i++)
		if ((cJSON_IsString(v) &&
		     strcmp(c[i].name, v->valuestring) == 0) ||
		    (cJSON_IsNumber(v) && v->valuedouble == (double)c[i].id))
			found = i;
	if (found >= 0) {
		r->consultant_id = c[found].id;
		snprintf(r->consultant, sizeof(r->consultant), "%s",
			 c[found].name);
	}
	free(c);
	if (found < 0)
		return hubkit_invalid(BOOKING_API, req, "consultant",
				      "names no active consultant");
	return 0;
}

/* The validated members of a create request (borrowed from the body). */
typedef struct create_fields {
	const char *start, *first, *last, *desc, *cat, *color;
} create_fields;

/* Step 1, before anything else is checked again: a retry with a known
 * Idempotency-Key gets its first answer (the slot may be past or full by
 * now). Returns 1 when the request was answered, 0 to go on. */
static int create_replay_early(hub_req *req, hub_db *db, create_tx *t)
{
	int rc;
	if (!t->idem_key)
		return 0;
	request_hash(req, t->hash);
	rc = booking_db_idem_get(db, t->user->id, t->idem_key, t->replay_hash,
				 &t->replay_status, &t->replay);
	if (rc == HUB_DB_OK) {
		reply_replay(req, t);
		return 1;
	}
	if (rc != HUB_DB_ENOTFOUND) {
		booking_reply_db_error(req, db, rc);
		return 1;
	}
	return 0;
}

/* Answers 422 for a category that is not configured, listing those that
 * are. Returns -1. */
static int reply_bad_category(hub_req *req, const booking_config *cfg)
{
	char why[300];
	size_t o = (size_t)snprintf(why, sizeof(why), "must be one of");
	for (int i = 0; i < cfg->categories.n && o < sizeof(why); i++)
		o += (size_t)snprintf(why + o, sizeof(why) - o, "%s %s",
				      i ? "," : "", cfg->categories.e[i].name);
	return hubkit_invalid(BOOKING_API, req, "category", why);
}

/* Step 2: the members of the body into *f (category defaulted, its colour
 * looked up). Answers 422 naming the field and returns -1 when one is
 * invalid. */
static int create_read_fields(hub_req *req, const cJSON *body, create_fields *f)
{
	if (hubkit_str_field(BOOKING_API, req, body, "start", 1, 1, 64,
			     &f->start) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "first_name", 1, 1, 100,
			     &f->first) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "last_name", 1, 1, 100,
			     &f->last) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "description", 0, 0, 500,
			     &f->desc) != 0 ||
	    hubkit_str_field(BOOKING_API, req, body, "category", 0, 1, 31,
			     &f->cat) != 0)
		return -1;
	if (strchr(f->first, '\n') || strchr(f->last, '\n'))
		return hubkit_invalid(BOOKING_API, req,
				      strchr(f->first, '\n') ? "first_name"
							     : "last_name",
				      "must be one line");
	if (!f->cat)
		f->cat = "normal";
	f->color = booking_category_color(&booking_m.cfg.categories, f->cat);
	if (!f->color)
		return reply_bad_category(req, &booking_m.cfg);
	return 0;
}

/* Step 3: the slot as it stands (t->slot and t->row.consultant_id set):
 * answers 409 when it is blocked or the chosen consultant has no place
 * in it at all, or the storage error, and returns -1; 0 to go on. */
static int create_slot_lookup(hub_req *req, hub_db *db, create_tx *t,
			      int64_t now)
{
	/* "any available": the candidates come from the same listing */
	int rc = booking_slot_lookup_cands(
	    db, &t->slot, t->row.consultant_id, now, &t->info,
	    t->row.consultant_id > 0 ? NULL : &t->cands);
	if (rc != HUB_DB_OK) {
		booking_reply_db_error(req, db, rc);
		return -1;
	}
	if (t->info.blocked) {
		booking_reply_blocked(req, t->info.reason);
		return -1;
	}
	if (t->row.consultant_id > 0 && t->info.cons_capacity <= 0) {
		booking_reply_full(
		    req, db, &t->slot, t->row.consultant_id, now,
		    "the consultant is not available for this slot");
		return -1;
	}
	return 0;
}

/* Step 4: the new booking's row from the validated fields. */
static void create_fill_row(booking_row *r, const create_fields *f,
			    const booking_slot_ref *slot, const char *by,
			    int64_t now)
{
	r->slot_start = slot->start;
	r->slot_end = slot->start + (int64_t)booking_m.cfg.slot_minutes * 60;
	snprintf(r->first_name, sizeof(r->first_name), "%s", f->first);
	snprintf(r->last_name, sizeof(r->last_name), "%s", f->last);
	snprintf(r->description, sizeof(r->description), "%s",
		 f->desc ? f->desc : "");
	snprintf(r->category, sizeof(r->category), "%s", f->cat);
	snprintf(r->color_id, sizeof(r->color_id), "%s", f->color);
	snprintf(r->booked_by, sizeof(r->booked_by), "%s", by);
	snprintf(r->status, sizeof(r->status), "booked");
	snprintf(r->outcome, sizeof(r->outcome), "pending");
	snprintf(r->outcome_source, sizeof(r->outcome_source), "none");
	r->created_at = r->updated_at = now;
}

/* Step 5: the transaction (create_fn). When a concurrent request with the
 * same Idempotency-Key won the race, its answer is loaded and
 * BOOKING_TX_REPLAY returned. Returns HUB_DB_OK, a BOOKING_TX_* code or a
 * storage error. */
static int create_run_tx(hub_db *db, create_tx *t)
{
	/* create_fn locks the slot's row first and reads everything that
	 * must be exact (blocks, duplicates, counts) after it: the row lock
	 * serialises it (READ COMMITTED on PostgreSQL, no writer queue) */
	int rc = HUB_API_HAS(BOOKING_API, db_transaction_rowlocked) &&
			 BOOKING_API->db_transaction_rowlocked
		     ? BOOKING_API->db_transaction_rowlocked(db, create_fn, t)
		     : BOOKING_API->db_transaction(db, create_fn, t);
	if (rc == HUB_DB_ECONSTRAINT && t->idem_key) {
		free(t->replay);
		t->replay = NULL;
		if (booking_db_idem_get(db, t->user->id, t->idem_key,
					t->replay_hash, &t->replay_status,
					&t->replay) == HUB_DB_OK)
			rc = BOOKING_TX_REPLAY;
	}
	return rc;
}

/* Step 6: the answer for the transaction's result rc. */
static void create_reply(hub_req *req, hub_db *db, const create_tx *t, int rc,
			 int64_t now)
{
	char loc[64];
	switch (rc) {
	case HUB_DB_OK:
		booking_changed();
		BOOKING_API->metric_add("hub_bookings_total",
					"action=\"create\"", 1);
		BOOKING_API->cal_sync_soon();
		snprintf(loc, sizeof(loc), "/api/v1/bookings/%lld",
			 (long long)t->row.id);
		BOOKING_API->reply_header(req, "Location", loc);
		BOOKING_API->reply_json(req, 201, t->response);
		break;
	case BOOKING_TX_REPLAY:
		reply_replay(req, t);
		break;
	case BOOKING_TX_BLOCKED:
		booking_reply_blocked(req, t->reason);
		break;
	case BOOKING_TX_DUPLICATE:
		BOOKING_API->metric_add("hub_bookings_rejected_total",
					"reason=\"duplicate\"", 1);
		booking_reply_duplicate(req, &t->dup);
		break;
	case BOOKING_TX_FULL:
		BOOKING_API->metric_add("hub_bookings_rejected_total",
					"reason=\"slot_full\"", 1);
		booking_reply_full(req, db, &t->slot, t->row.consultant_id, now,
				   t->row.consultant_id > 0
				       ? "the consultant has no free place in "
					 "this slot"
				       : "the slot has no free place");
		break;
	default:
		booking_reply_db_error(req, db, rc);
	}
}

/* Checks the request up to its fields (Idempotency-Key syntax, known
 * members, storage present). Answers and returns -1 on failure. */
static int create_precheck(hub_req *req, hub_db *db, const cJSON *body,
			   const create_tx *t)
{
	static const char *const fields[] = {
	    "start",	"first_name", "last_name",	 "description",
	    "category", "consultant", "allow_duplicate", NULL};
	const cJSON *dup =
	    cJSON_GetObjectItemCaseSensitive(body, "allow_duplicate");
	if (t->idem_key && !idem_key_ok(t->idem_key))
		return hubkit_invalid(
		    BOOKING_API, req, "Idempotency-Key",
		    "must be 1 to 200 visible ASCII characters");
	if (hubkit_only_fields(BOOKING_API, req, body, fields) != 0)
		return -1;
	if (dup && !cJSON_IsBool(dup) && !cJSON_IsNull(dup))
		return hubkit_invalid(BOOKING_API, req, "allow_duplicate",
				      "must be true or false");
	if (!db) {
		booking_reply_db_error(req, db, HUB_DB_ERROR);
		return -1;
	}
	return 0;
}

int booking_h_create(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	int64_t now = (int64_t)time(NULL);
	cJSON *body = NULL;
	create_fields f = {0};
	hub_user u;
	create_tx t;
	(void)ud;

	memset(&t, 0, sizeof(t));
	if (booking_req_user(req, &u) != 0)
		return 0;
	if (hubkit_read_json(BOOKING_API, req, &body) != 0)
		return 0;
	t.req = req;
	t.user = &u;
	t.idem_key = BOOKING_API->req_header(req, "Idempotency-Key");
	if (create_precheck(req, db, body, &t) != 0 ||
	    create_replay_early(req, db, &t) != 0 ||
	    create_read_fields(req, body, &f) != 0 ||
	    booking_check_start(req, "start", f.start, now, &t.slot) != 0 ||
	    resolve_consultant(
		req, db, cJSON_GetObjectItemCaseSensitive(body, "consultant"),
		&t.row) != 0 ||
	    create_slot_lookup(req, db, &t, now) != 0)
		goto out;
	create_fill_row(&t.row, &f, &t.slot, u.username, now);
	t.allow_dup = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(body, "allow_duplicate"));
	t.want_cons = t.row.consultant_id;
	create_reply(req, db, &t, create_run_tx(db, &t), now);
out:
	free(t.response);
	free(t.replay);
	cJSON_Delete(body);
	return 0;
}
