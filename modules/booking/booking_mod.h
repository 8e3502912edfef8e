/*
 * booking_mod.h - the host-facing half of the booking module: its state,
 * storage (booking_db.c), the HTTP handlers (booking_http_*.c), the import
 * hook and the outcome sync job. Everything here reaches the host only
 * through the hub_api table kept in booking_m.api.
 */
#ifndef BOOKING_MOD_H
#define BOOKING_MOD_H

#include "booking.h"
#include "hub_kit.h"
#include "hub_sql.h"

#include <pthread.h>

/* The module's state. `api`, `ctx` and `cfg` are set in init and
 * read-only afterwards; the rest is guarded as noted. */
typedef struct booking_mod {
	const hub_api *api;
	hubkit_sql_ops sql; /* the storage calls of api, for hubkit_prepare */
	hub_ctx *ctx;
	booking_config cfg;
	pthread_mutex_t sync_lock; /* serialises the consultants sync */
	int synced; /* consultants of the config are in the DB (sync_lock) */
	pthread_mutex_t lock; /* guards the outcome sync status below */
	int64_t sync_at;      /* last outcome sync run (UTC), 0 = never */
	int sync_ok;	      /* its result */
	char sync_msg[160];   /* and a short description */
	unsigned long gen;    /* bumped on every change (atomic builtins) */
	unsigned long long instance; /* this process, for cache keys */
} booking_mod;

extern booking_mod booking_m;

/* The host API table the module was given at init (booking_m.api). */
#define BOOKING_API (booking_m.api)
/* Its storage calls as the kit's prepare-and-bind wants them:
 * hubkit_prepare(BOOKING_SQL, db, sql, args, n, &st). */
#define BOOKING_SQL (&booking_m.sql)

/* Positive results of transaction callbacks: not storage errors, but
 * domain answers that roll the transaction back. */
enum booking_tx_rc {
	BOOKING_TX_FULL = 1001,	   /* no free place */
	BOOKING_TX_BLOCKED = 1002, /* blocked day or slot */
	BOOKING_TX_REPLAY = 1003,  /* the Idempotency-Key was used already */
	BOOKING_TX_CONFLICT =
	    1004, /* state changed underneath (e.g. cancelled) */
	BOOKING_TX_NOTFOUND = 1005,
	BOOKING_TX_DUPLICATE = 1006 /* the customer is booked in the slot */
};

/* ============================================================ storage */

/* Registers the module's migrations. Returns 0 or -1. */
int booking_db_register(const hub_api *api, hub_ctx *ctx);

/* A consultant record. */
typedef struct booking_consultant {
	int64_t id;
	char name[BOOKING_NAME_MAX];
	char email[256];
	char calendar_id[BOOKING_CALID_MAX];
	int active;
	int capacity; /* 0 = default */
	char source[16];
} booking_consultant;

/* Seeds the consultants of the configuration into an empty table (once
 * per process; cheap afterwards). Returns HUB_DB_OK or an error. */
int booking_db_ensure_consultants(hub_db *db);

/* Bumps the stored generation of consultants and blocks (inside the
 * transaction that changes them): every server's slot cache then misses.
 * booking_db_gen reads it. Both return HUB_DB_OK or an error. */
int booking_db_bump_gen(hub_db *db);
int booking_db_gen(hub_db *db, int64_t *gen);

/* In-process copies of what only an admin changes (the stored
 * generation, the active consultants, blocks): each is kept while the
 * host's cache epoch of BOOKING_ADMIN_NS shows no invalidation since it
 * was read (every such change ends with booking_admin_changed, which
 * invalidates that namespace on every server through Redis), and at
 * most BOOKING_COPY_MS; without invalidations from the other servers
 * (epoch 0: PostgreSQL without Redis, or its listener not subscribed)
 * they are read from storage each time. On SQLite without Redis this
 * process is the only server and its own invalidations are all.
 * booking_db_gen_cached is booking_db_gen through its copy;
 * booking_db_consultants (active_only) and booking_db_blocks use theirs.
 * Returns HUB_DB_OK or an error. */
#define BOOKING_ADMIN_NS "booking.admin"
#define BOOKING_COPY_MS	 1000
int booking_db_gen_cached(hub_db *db, int64_t *gen);

/* After a committed change of consultants or blocks: drops the copies
 * above on every server, then what booking_changed drops. */
void booking_admin_changed(void);

/* The copies themselves (booking_copies.c). A tag is the epoch before a
 * read and its time; take it with booking_copy_now before reading from
 * storage, and put what was read under it. The getters return 1 with a
 * copy (owned by the caller as the matching booking_db_* result would
 * be), 0 when there is none to use. */
typedef struct booking_copy_tag {
	uint64_t epoch;
	int64_t read_ms;
} booking_copy_tag;
booking_copy_tag booking_copy_now(void);
int booking_copy_gen_get(const booking_copy_tag *now, int64_t *gen);
void booking_copy_gen_put(const booking_copy_tag *tag, int64_t gen);
int booking_copy_cons_get(const booking_copy_tag *now, booking_consultant **out,
			  int *n);
void booking_copy_cons_put(const booking_copy_tag *tag,
			   const booking_consultant *v, int n);
int booking_copy_blocks_get(const booking_copy_tag *now, hub_date from,
			    hub_date to, booking_block **out, int *n);
void booking_copy_blocks_put(const booking_copy_tag *tag, hub_date from,
			     hub_date to, const booking_block *v, int n);
/* Drops every copy (module shutdown: the module's memory goes with it). */
void booking_copies_free(void);

/* Reads consultants (only active ones when active_only), by name. *out is
 * owned: free(). Returns HUB_DB_OK or an error. */
int booking_db_consultants(hub_db *db, int active_only,
			   booking_consultant **out, int *n);

/* Active bookings per slot (one total each, consultant_id 0, read from
 * the count migration 4's triggers keep) with slot_start in [from, to)
 * and at least one booking, sorted by slot_start. *out owned: free(). */
int booking_db_counts(hub_db *db, int64_t from, int64_t to, booking_count **out,
		      int *n);

/* Custom blocks with dates in [from, to]. *out owned: booking_blocks_free
 * (reasons are copied). */
int booking_db_blocks(hub_db *db, hub_date from, hub_date to,
		      booking_block **out, int *n);
void booking_blocks_free(booking_block *b, int n);

/* The reason when the day or the slot (minute; -1 = day only) is blocked
 * by a custom block: returns 1 and copies the reason, 0 when not blocked,
 * or a negative HUB_DB_* error. */
int booking_db_blocked(hub_db *db, hub_date d, int minute, char *reason,
		       size_t reasonlen);

/* SELECT list and FROM clause that booking_db_read understands. */
#define BOOKING_DB_COLS                                                        \
	"b.id, b.slot_start, b.slot_end, b.first_name, b.last_name, "          \
	"b.description, b.category, b.color_id, "                              \
	"COALESCE(b.consultant_id, 0), COALESCE(c.name, ''), b.booked_by, "    \
	"b.created_at, b.status, b.outcome, b.outcome_source, "                \
	"COALESCE(b.outcome_at, 0), COALESCE(b.cancel_reason, ''), "           \
	"b.updated_at, COALESCE(b.legacy_id, '') "                             \
	"FROM booking_bookings b LEFT JOIN booking_consultants c ON c.id = "   \
	"b.consultant_id "

/* Fills *r from the current row of a statement selecting BOOKING_DB_COLS
 * starting at column 0. */
void booking_db_read(hub_stmt *st, booking_row *r);

/* Reads booking `id`. Returns HUB_DB_OK, HUB_DB_ENOTFOUND or an error. */
int booking_db_get(hub_db *db, int64_t id, booking_row *r);

/* Reads into *r the first row of sql ("SELECT " BOOKING_DB_COLS "WHERE
 * ...") run with args bound. Returns HUB_DB_ROW (found), HUB_DB_DONE
 * (none) or the error of prepare, bind or step as it came. */
int booking_db_select_one(hub_db *db, const char *sql, const hubkit_arg *args,
			  int n, booking_row *r);

/* booking_db_select_one as HUB_DB_OK with *r, HUB_DB_ENOTFOUND, or an
 * error (HUB_DB_ERROR for any other result). */
int booking_db_find(hub_db *db, const char *sql, const hubkit_arg *args, int n,
		    booking_row *r);

/* Serialises writers of one slot: makes sure its lock row exists and
 * updates it, which holds the row lock to the end of the transaction on
 * PostgreSQL (SQLite's BEGIN IMMEDIATE serialises writers anyway). */
int booking_db_lock_slot(hub_db *db, int64_t slot_start);

/* Active bookings in the slot: all, and those of consultant cid (when
 * cid > 0; pass exclude_id to leave one booking out). */
int booking_db_slot_count(hub_db *db, int64_t slot_start, int64_t cid,
			  int64_t exclude_id, int *total, int *for_cons);

/* Inserts r (id, created_at, updated_at set by the caller except id) and
 * sets r->id. */
int booking_db_insert(hub_db *db, booking_row *r);

/* Writes the mutable fields of r (slot, consultant, status, outcome,
 * cancel data, updated_at) back; `actor` is recorded as who cancelled when
 * the booking becomes cancelled. */
int booking_db_update(hub_db *db, const booking_row *r, const char *actor);

/* Appends a history entry. `detail` is a JSON object text. */
int booking_db_history_add(hub_db *db, int64_t booking_id, int64_t at,
			   const char *actor, const char *action,
			   const char *detail);

/* Appends the history of a booking as a JSON array. */
int booking_db_history_json(hub_db *db, int64_t booking_id, booking_buf *b);

/* Queues the calendar event of r (upsert) in the caller's transaction. */
int booking_db_outbox(hub_db *db, const booking_row *r);
/* Records webhook event `type` ("booking.created", ...) with the booking
 * as its data inside the open transaction on db (a host without event_put
 * records nothing). Returns HUB_DB_OK or an error. */
int booking_db_event(hub_db *db, const char *type, const booking_row *r);

/* Idempotency records, keyed by user id and key. get: HUB_DB_OK and the
 * stored hash/status/response (response owned: free()), HUB_DB_ENOTFOUND,
 * or an error. */
int booking_db_idem_get(hub_db *db, int64_t user_id, const char *key,
			char hash[65], int *status, char **response);
int booking_db_idem_put(hub_db *db, int64_t user_id, const char *key,
			const char *hash, int status, const char *response);
/* Deletes records older than `before`. Returns the count or < 0. */
int booking_db_idem_purge(hub_db *db, int64_t before);

/* ======================================================== request glue */

/* Everything GET /slots needs for [from, to], gathered from storage and
 * the calendar mirror. */
typedef struct booking_inputs {
	booking_view_in in;
	booking_consultant *cons;  /* owned */
	booking_cons_rt *rt;	   /* owned */
	hub_cal_event **events;	   /* per consultant, owned (cal_free) */
	hub_cal_event *events_all; /* one read of every calendar; rt[i].events
				    * point into it (the thread's buffer, or
				    * owned when events_owned) */
	int events_owned;
	booking_count *counts; /* owned */
	booking_block *blocks; /* owned */
	int ncons, ncounts, nblocks;
	int calendar_error; /* a mirror read failed: availability unknown */
} booking_inputs;

/* Gathers the inputs for [from, to] at `now`. Returns HUB_DB_OK or an
 * error (storage); *x is then empty. */
int booking_inputs_load(hub_db *db, hub_date from, hub_date to, int64_t now,
			booking_inputs *x);
void booking_inputs_free(booking_inputs *x);

/* The index of consultant `id` in x (for booking_view_alternatives), or
 * -1. */
int booking_inputs_cons_index(const booking_inputs *x, int64_t id);

/* Deletes the key of the workers' event buffers (module shutdown). */
void booking_slots_shutdown(void);

/* Marks a change of bookings (booking_copies.c): a new generation for
 * the slot cache here, and the listings dropped on every server. */
void booking_changed(void);

/* Calendar feeds (booking_feed.c): the feed key from setting feed_key or
 * the data directory's booking-feed.key (0 = ok or feeds off with a
 * warning; -1 = bad feed_key), its wiping at shutdown, and the handlers of
 * GET /api/v1/auth/me/feed, POST /api/v1/auth/me/feed/rotate and GET
 * /feeds/{file}. */
int booking_feed_init(hub_ctx *ctx, const hub_api *api);
void booking_feed_shutdown(void);
int booking_h_feed_get(hub_req *req, void *ud);
int booking_h_feed_rotate(hub_req *req, void *ud);
int booking_h_feed_ics(hub_req *req, void *ud);

/* Answers 503 for a storage error. Returns 0. */
int booking_reply_db_error(hub_req *req, hub_db *db, int rc);

/* Sends a booking_buf as a JSON answer (or 500 on out of memory) and frees
 * it. Returns 0. */
int booking_reply_buf(hub_req *req, int status, booking_buf *b);

/* Who is asking: fills *u; 0 when signed in (always true behind the
 * router's checks), else answers 401 and returns -1. */
int booking_req_user(hub_req *req, hub_user *u);

/* Parses a date query parameter; absent -> *present = 0. Answers 422
 * naming the parameter and returns -1 on a bad value. */
int booking_query_date(hub_req *req, const char *name, hub_date *d,
		       int *present);

/* ================================================== write-side checks */

/* A validated slot start. */
typedef struct booking_slot_ref {
	int64_t start;
	hub_date date;
	int minute;
} booking_slot_ref;

/* What a new booking checks after its slot's lock, read with one query
 * (booking_db_blocked, the id of booking_find_duplicate's booking and
 * booking_db_slot_count together): the block's reason into reason
 * (*blocked 1, else 0), the id of an active booking of customer_key in the
 * slot into *dup_id (0 when none), and the counts. Returns HUB_DB_OK or
 * an error. */
typedef struct booking_slot_state {
	int blocked;
	char reason[256];
	int64_t dup_id;
	int total, for_cons;
} booking_slot_state;
int booking_db_slot_state(hub_db *db, const booking_slot_ref *s,
			  const char *customer_key, int64_t cid,
			  booking_slot_state *out);

/* What the listing says about one slot. */
typedef struct booking_slot_info {
	int capacity;	   /* all available consultants */
	int cons_capacity; /* the chosen consultant's places (0 = absent) */
	int cons_index;	   /* index of the chosen consultant, or -1 */
	int blocked;
	char reason[256];
} booking_slot_info;

/* ======================================================= assignment */

#define BOOKING_MAX_CANDS 32
#define BOOKING_TERM_MAX  300

/* A consultant who may take a booking of one slot, with their places. */
typedef struct booking_cand {
	int64_t id;
	char name[BOOKING_NAME_MAX];
	int cap;
} booking_cand;

typedef struct booking_cands {
	booking_cand c[BOOKING_MAX_CANDS];
	int n;
} booking_cands;

/* Fills *out with the consultants available for slot s (with at least one
 * place), in the listing's order, from a listing of s's day (x and v).
 * Before the transaction (booking_assign.c). */
void booking_assign_from_view(const booking_inputs *x, const booking_view *v,
			      const booking_slot_ref *s, booking_cands *out);

/* Inside the slot's transaction, for a booking without a consultant:
 * sets r->consultant_id and r->consultant to the candidate with room in
 * the slot, fewest bookings in the slot first, then fewest that day. No
 * candidate with room leaves r unassigned. Returns HUB_DB_OK or an
 * error. */
int booking_assign_pick(hub_db *db, const booking_cands *c,
			const booking_slot_ref *s, booking_row *r);

/* An active booking (other than r->id) of r's customer, folded names, in
 * r's slot: HUB_DB_OK with *dup, HUB_DB_ENOTFOUND, or an error. */
int booking_find_duplicate(hub_db *db, const booking_row *r, booking_row *dup);

/* Answers 409 duplicate with the existing booking ("existing"). */
void booking_reply_duplicate(hub_req *req, const booking_row *dup);

/* LIKE patterns ("%word%", escaped with '\') of the words of customer
 * query q, folded as GET /customers folds names. Returns how many (at
 * most max), or -1 when out of memory. */
int booking_name_terms(const char *q, char pat[][BOOKING_TERM_MAX], int max);

/* 1 when user u may see and change booking r: admins and staff all,
 * consultants those assigned to them or booked by them. */
int booking_may_touch(const hub_user *u, const booking_row *r);

/* Loads booking {id} of the path into *r and checks the caller may touch
 * it. Answers 404/403/503 and returns -1 otherwise. */
int booking_load_target(hub_req *req, hub_db *db, const hub_user *u,
			booking_row *r);

/* Checks `text` (field `field`) names a bookable slot start: RFC 3339, on
 * the grid, not started, outside the minimum notice, within the horizon.
 * Fills *s. Answers 422 and returns -1 otherwise. */
int booking_check_start(hub_req *req, const char *field, const char *text,
			int64_t now, booking_slot_ref *s);

/* Fills *si for slot s and consultant cid (0 = any) from the listing.
 * Returns HUB_DB_OK or an error. */
int booking_slot_lookup(hub_db *db, const booking_slot_ref *s, int64_t cid,
			int64_t now, booking_slot_info *si);

/* booking_slot_lookup that also fills *cands (booking_assign_candidates)
 * from the same listing when cands is not NULL: one read instead of two. */
int booking_slot_lookup_cands(hub_db *db, const booking_slot_ref *s,
			      int64_t cid, int64_t now, booking_slot_info *si,
			      booking_cands *cands);

/* Answers 409 slot_full with up to 5 alternatives (for consultant cid
 * when > 0), nearest first. */
void booking_reply_full(hub_req *req, hub_db *db, const booking_slot_ref *s,
			int64_t cid, int64_t now, const char *message);

/* Answers 409 blocked naming the reason. */
void booking_reply_blocked(hub_req *req, const char *reason);

/* ========================================================== handlers */

int booking_http_register(const hub_api *api, hub_ctx *ctx);

int booking_h_consultants(hub_req *req, void *ud);
int booking_h_slots(hub_req *req, void *ud);
int booking_h_customers(hub_req *req, void *ud);
int booking_h_create(hub_req *req, void *ud);
int booking_h_list(hub_req *req, void *ud);
int booking_h_get(hub_req *req, void *ud);
int booking_h_cancel(hub_req *req, void *ud);
int booking_h_reschedule(hub_req *req, void *ud);
int booking_h_outcome(hub_req *req, void *ud);
int booking_h_export_csv(hub_req *req, void *ud);
int booking_h_blocks_list(hub_req *req, void *ud);
int booking_h_blocks_add(hub_req *req, void *ud);
int booking_h_blocks_delete(hub_req *req, void *ud);
int booking_h_consultant_add(hub_req *req, void *ud);
int booking_h_consultant_patch(hub_req *req, void *ud);
int booking_h_consultants_admin(hub_req *req, void *ud);

/* ======================================================= import, sync */

/* The import hook of `hubctl import-json DIR`. */
int booking_import(void *ud, hub_db *db, const char *dir, char *err,
		   size_t errlen);

/* Reads outcome colours of past events from the central calendar mirror.
 * The job function of "outcome_sync". */
int booking_outcome_sync(void *ud, char *err, size_t errlen);

/* Applies one mirrored central-calendar event to the bookings (pure part
 * of the sync, exposed for tests): finds the booking by hub_key or, for
 * imported bookings, by start and customer; updates its outcome unless it
 * was set in the app. Returns 1 when a booking changed, 0 when not, or a
 * negative HUB_DB_* error. */
int booking_sync_event(hub_db *db, const hub_cal_event *ev, int64_t now);

#endif
