/*
 * booking_http_slots.c - the read side: GET /api/v1/consultants,
 * GET /api/v1/slots, GET /api/v1/customers, and the request glue the other
 * handlers share (gathering a listing's inputs, answering errors).
 *
 * The slot listing reads bookings and blocks from storage and events from
 * the calendar mirror (never from Google on the request path). Its JSON is
 * cached for slots_cache_s seconds under a key carrying a generation that
 * every change made through this process bumps, so a booking shows at
 * once here; the change also invalidates the namespace on the other
 * servers of a cluster (through Redis), else they show it within the
 * cache time. Changes of consultants and blocks also bump a stored
 * generation, so those show at once on every server.
 */
#include "booking_mod.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ============================================================ helpers */

int booking_reply_db_error(hub_req *req, hub_db *db, int rc)
{
	BOOKING_API->log(booking_m.ctx, HUB_LOG_ERROR, "storage error %d: %s",
			 rc, db ? BOOKING_API->db_errmsg(db) : "no connection");
	BOOKING_API->reply_error(
	    req, 503, rc == HUB_DB_EBUSY ? "busy" : "storage",
	    rc == HUB_DB_EBUSY ? "storage is busy; retry in a moment"
			       : "storage unavailable",
	    NULL);
	return 0;
}

int booking_reply_buf(hub_req *req, int status, booking_buf *b)
{
	if (b->oom || !b->p)
		BOOKING_API->reply_error(req, 500, "internal", "out of memory",
					 NULL);
	else
		BOOKING_API->reply_json(req, status, b->p);
	booking_buf_free(b);
	return 0;
}

int booking_req_user(hub_req *req, hub_user *u)
{
	memset(u, 0, sizeof(*u));
	if (BOOKING_API->req_user(req, u) != 0) {
		BOOKING_API->reply_error(req, 401, "unauthenticated",
					 "sign in first", NULL);
		return -1;
	}
	return 0;
}

int booking_query_date(hub_req *req, const char *name, hub_date *d,
		       int *present)
{
	const char *v = BOOKING_API->req_query(req, name);
	*present = 0;
	if (!v || !*v)
		return 0;
	if (hub_date_parse(v, d) != 0) {
		hubkit_invalid(BOOKING_API, req, name,
			       "must be a date YYYY-MM-DD");
		return -1;
	}
	*present = 1;
	return 0;
}

/* ============================================================= inputs */

/* A worker's buffer for the mirror's events, kept between requests so
 * that a listing allocates nothing for them; freed when the thread ends
 * (the key is deleted at module shutdown, after the workers). */
typedef struct ev_buf {
	hub_cal_event *p;
	int cap;
	int busy; /* lent to a booking_inputs */
} ev_buf;

static pthread_key_t ev_key;
static pthread_once_t ev_once = PTHREAD_ONCE_INIT;
static int ev_key_ok;

static void ev_buf_free(void *v)
{
	ev_buf *b = v;
	free(b->p);
	free(b);
}

static void ev_key_make(void)
{
	ev_key_ok = pthread_key_create(&ev_key, ev_buf_free) == 0;
}

void booking_slots_shutdown(void)
{
	if (ev_key_ok)
		pthread_key_delete(ev_key);
	ev_key_ok = 0;
}

/* The calling thread's buffer (NULL when it cannot have one). */
static ev_buf *thread_buf(void)
{
	ev_buf *b;
	pthread_once(&ev_once, ev_key_make);
	if (!ev_key_ok)
		return NULL;
	b = pthread_getspecific(ev_key);
	if (!b && (b = calloc(1, sizeof(*b))) != NULL &&
	    pthread_setspecific(ev_key, b) != 0) {
		free(b);
		b = NULL;
	}
	return b;
}

/* Makes x->events_all hold at least `need` events: the thread's buffer
 * when free, else an owned one. Returns the capacity, -1 on OOM. */
static int events_room(booking_inputs *x, ev_buf *tb, int need)
{
	if (tb && (!tb->busy || x->events_all == tb->p)) {
		if (tb->cap < need) {
			int nc = need < 64 ? 64 : need + need / 2;
			hub_cal_event *p =
			    realloc(tb->p, sizeof(*p) * (size_t)nc);
			if (!p)
				return -1;
			tb->p = p;
			tb->cap = nc;
		}
		tb->busy = 1;
		x->events_all = tb->p;
		return tb->cap;
	}
	free(x->events_owned ? x->events_all : NULL);
	x->events_all =
	    malloc(sizeof(hub_cal_event) * (size_t)(need ? need : 1));
	x->events_owned = 1;
	return x->events_all ? need : -1;
}

/* Reads the mirrored events of every consultant in x->rt that uses its
 * calendar, in one query (two when the buffer was too small). */
static void load_events(booking_inputs *x, int64_t t0, int64_t t1)
{
	const char *ids[256];
	int who[256], first[256], counts[256], n = 0, total = -1, cap;
	ev_buf *tb = thread_buf();

	for (int i = 0; i < x->ncons && n < 256; i++)
		if (x->rt[i].use_events && x->cons[i].calendar_id[0]) {
			ids[n] = x->cons[i].calendar_id;
			who[n++] = i;
		}
	if (n == 0)
		return;
	cap = events_room(x, tb, tb && tb->cap > 0 ? tb->cap : 64);
	for (int attempt = 0; cap >= 0 && attempt < 2; attempt++) {
		total = BOOKING_API->cal_events_many(
		    ids, n, t0, t1, x->events_all, cap, first, counts);
		if (total <= cap)
			break;
		cap = events_room(x, tb, total);
	}
	if (total < 0 || cap < 0 || total > cap) {
		x->calendar_error = 1;
		return;
	}
	for (int k = 0; k < n; k++) {
		x->rt[who[k]].events = x->events_all + first[k];
		x->rt[who[k]].nevents = counts[k];
	}
}

int booking_inputs_load(hub_db *db, hub_date from, hub_date to, int64_t now,
			booking_inputs *x)
{
	const booking_config *cfg = &booking_m.cfg;
	booking_day_clock c0, c1;
	int64_t t0 = 0, t1 = 0;
	int local, rc;

	memset(x, 0, sizeof(*x));
	/* midnights through the (per-thread cached) day clocks: mktime takes
	 * the C library's zone lock */
	booking_day_clock_init(&c0, from);
	booking_day_clock_init(&c1, hub_date_add(to, 1));
	booking_day_instant(&c0, 0, &t0);
	booking_day_instant(&c1, 0, &t1);
	t1 += (int64_t)cfg->slot_minutes * 60;
	local = strcmp(BOOKING_API->cal_backend(), "local") == 0;

	rc = booking_db_ensure_consultants(db);
	if (rc == HUB_DB_OK)
		rc = booking_db_consultants(db, 1, &x->cons, &x->ncons);
	if (rc == HUB_DB_OK && x->ncons > 0) {
		x->rt = calloc((size_t)x->ncons, sizeof(*x->rt));
		if (!x->rt)
			rc = HUB_DB_ERROR;
	}
	for (int i = 0; rc == HUB_DB_OK && i < x->ncons; i++) {
		booking_cons_rt *r = &x->rt[i];
		const booking_consultant *c = &x->cons[i];
		r->id = c->id;
		r->name = c->name;
		r->capacity = c->capacity;
		r->plan = booking_config_plan(cfg, c->name);
		/* no plan: the calendar's events decide (no calendar: never);
		 * local backend without a plan: always */
		r->use_events = !r->plan && !local;
	}
	if (rc == HUB_DB_OK)
		load_events(x, t0, t1);
	if (rc == HUB_DB_OK)
		rc = booking_db_counts(db, t0, t1, &x->counts, &x->ncounts);
	if (rc == HUB_DB_OK)
		rc = booking_db_blocks(db, from, to, &x->blocks, &x->nblocks);
	if (rc != HUB_DB_OK) {
		booking_inputs_free(x);
		return rc;
	}
	x->in.cfg = cfg;
	x->in.from = from;
	x->in.to = to;
	x->in.now = now;
	x->in.cons = x->rt;
	x->in.ncons = x->ncons;
	x->in.counts = x->counts;
	x->in.ncounts = x->ncounts;
	x->in.blocks = x->blocks;
	x->in.nblocks = x->nblocks;
	return HUB_DB_OK;
}

void booking_inputs_free(booking_inputs *x)
{
	if (x->events_owned) {
		free(x->events_all);
	} else if (x->events_all) {
		ev_buf *tb = thread_buf();
		if (tb && tb->p == x->events_all)
			tb->busy = 0;
	}
	free(x->rt);
	free(x->cons);
	free(x->counts);
	booking_blocks_free(x->blocks, x->nblocks);
	memset(x, 0, sizeof(*x));
}

int booking_inputs_cons_index(const booking_inputs *x, int64_t id)
{
	for (int i = 0; i < x->ncons; i++)
		if (x->cons[i].id == id)
			return i;
	return -1;
}

/* ======================================================== consultants */

int booking_h_consultants(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	booking_consultant *c = NULL;
	booking_buf b;
	hub_user u;
	int n = 0, rc;
	(void)ud;

	if (booking_req_user(req, &u) != 0)
		return 0;
	rc = db ? booking_db_ensure_consultants(db) : HUB_DB_ERROR;
	if (rc == HUB_DB_OK)
		rc = booking_db_consultants(db, 0, &c, &n);
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < n; i++) {
		booking_buf_printf(&b, "%s{\"id\":%lld,\"name\":", i ? "," : "",
				   (long long)c[i].id);
		booking_buf_json_str(&b, c[i].name);
		booking_buf_printf(
		    &b,
		    ",\"active\":%s,\"capacity\":%d,\"has_calendar\":%s,"
		    "\"has_plan\":%s,\"source\":",
		    c[i].active ? "true" : "false",
		    c[i].capacity > 0 ? c[i].capacity
				      : booking_m.cfg.capacity_default,
		    c[i].calendar_id[0] ? "true" : "false",
		    booking_config_plan(&booking_m.cfg, c[i].name) ? "true"
								   : "false");
		booking_buf_json_str(&b, c[i].source);
		if (u.role == HUB_ROLE_ADMIN) {
			booking_buf_puts(&b, ",\"email\":");
			booking_buf_json_str(&b, c[i].email);
			booking_buf_puts(&b, ",\"calendar_id\":");
			booking_buf_json_str(&b, c[i].calendar_id);
		}
		booking_buf_puts(&b, "}");
	}
	booking_buf_puts(&b, "],\"next_cursor\":null}");
	free(c);
	return booking_reply_buf(req, 200, &b);
}

/* ============================================================== slots */

#define SLOTS_MAX_DAYS 62

int booking_h_slots(hub_req *req, void *ud)
{
	hub_db *db = BOOKING_API->db();
	hub_date from, to;
	int has_from, has_to, rc;
	int64_t now = (int64_t)time(NULL);
	char key[128] = "";
	char *cached;
	size_t clen = 0;
	booking_inputs x;
	booking_view v;
	booking_buf b;
	(void)ud;

	if (booking_query_date(req, "from", &from, &has_from) != 0 ||
	    booking_query_date(req, "to", &to, &has_to) != 0)
		return 0;
	if (!has_from)
		from = hub_date_today();
	if (!has_to)
		to = hub_date_add(from, 6);
	if (hub_date_diff(to, from) < 0)
		return hubkit_invalid(BOOKING_API, req, "to",
				      "must not be before 'from'");
	if (hub_date_diff(to, from) + 1 > SLOTS_MAX_DAYS)
		return hubkit_invalid(BOOKING_API, req, "to",
				      "the range is at most 62 days");

	/* the cache: same range, same generations, within slots_cache_s;
	 * the stored generation makes an admin's change of consultants or
	 * blocks on any server a miss here at once (its in-process copy is
	 * dropped by the change's invalidation through Redis) */
	if (booking_m.cfg.slots_cache_s > 0) {
		char f[11], t[11];
		int64_t dbgen = 0;
		hub_date_format(from, f);
		hub_date_format(to, t);
		if (!db || booking_db_gen_cached(db, &dbgen) != HUB_DB_OK)
			dbgen = -1; /* no cache use without it */
		/* the instance keeps servers sharing a cache (Redis) from
		 * serving each other's generations */
		snprintf(key, sizeof(key), "%llx|%s|%s|%lu|%lld",
			 booking_m.instance, f, t,
			 __atomic_load_n(&booking_m.gen, __ATOMIC_RELAXED),
			 (long long)dbgen);
		if (dbgen < 0)
			key[0] = 0;
	}
	if (booking_m.cfg.slots_cache_s > 0 && key[0] &&
	    (cached = BOOKING_API->cache_get("booking.slots", key, &clen)) !=
		NULL) {
		BOOKING_API->reply(req, 200, "application/json", cached, clen);
		BOOKING_API->cache_free(cached);
		return 0;
	}
	if (!db)
		return booking_reply_db_error(req, db, HUB_DB_ERROR);
	rc = booking_inputs_load(db, from, to, now, &x);
	if (rc != HUB_DB_OK)
		return booking_reply_db_error(req, db, rc);
	if (booking_view_build(&x.in, &v) != 0) {
		booking_inputs_free(&x);
		return BOOKING_API->reply_error(req, 500, "internal",
						"out of memory", NULL);
	}
	booking_buf_init(&b);
	booking_view_json(&v, &x.in, &b);
	if (!b.oom && booking_m.cfg.slots_cache_s > 0 && key[0] &&
	    !x.calendar_error)
		BOOKING_API->cache_put("booking.slots", key, b.p, b.len,
				       (unsigned)booking_m.cfg.slots_cache_s);
	booking_view_free(&v);
	booking_inputs_free(&x);
	return booking_reply_buf(req, 200, &b);
}

/* ========================================================== customers */

#define MAX_TERMS     5
#define MAX_CUSTOMERS 20

/* Appends a LIKE pattern "%term%" with % _ \ escaped by '\'. */
static void like_pattern(char *out, size_t outlen, const char *term, size_t n)
{
	size_t o = 0;
	if (outlen < 4)
		return;
	out[o++] = '%';
	for (size_t i = 0; i < n && o + 3 < outlen; i++) {
		if (term[i] == '%' || term[i] == '_' || term[i] == '\\')
			out[o++] = '\\';
		out[o++] = term[i];
	}
	out[o++] = '%';
	out[o] = 0;
}

/* Appends the customer `key`: name, counts, risk, recent bookings. */
static int customer_json(hub_db *db, const char *key, int bookings,
			 int appeared, int no_show, int cancelled,
			 booking_buf *b)
{
	hub_stmt *st = NULL;
	int rc, first = 1;

	rc = BOOKING_API->db_prepare(
	    db,
	    "SELECT id, slot_start, first_name, last_name, "
	    "outcome, status, category, booked_by FROM "
	    "booking_bookings WHERE customer_key = ? ORDER BY "
	    "slot_start DESC, id DESC LIMIT 10",
	    &st);
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_bind_text(st, 1, key);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		if (first) {
			const char *fn = BOOKING_API->col_text(st, 2);
			char name[2 * BOOKING_NAME_BYTES + 4];
			snprintf(name, sizeof(name), "%s%s%s",
				 BOOKING_API->col_text(st, 3), *fn ? ", " : "",
				 fn);
			booking_buf_puts(b, "{\"name\":");
			booking_buf_json_str(b, name);
			booking_buf_puts(b, ",\"key\":");
			booking_buf_json_str(b, key);
			booking_buf_printf(
			    b,
			    ",\"bookings\":%d,\"appeared\":%d,"
			    "\"no_show\":%d,\"cancelled\":%d,\"risk\":\"%s\","
			    "\"history\":[",
			    bookings, appeared, no_show, cancelled,
			    booking_risk(no_show));
		}
		booking_buf_printf(
		    b, "%s{\"id\":%lld,\"start\":", first ? "" : ",",
		    (long long)BOOKING_API->col_int(st, 0));
		booking_buf_json_time(b, BOOKING_API->col_int(st, 1));
		booking_buf_puts(b, ",\"outcome\":");
		booking_buf_json_str(b, BOOKING_API->col_text(st, 4));
		booking_buf_puts(b, ",\"status\":");
		booking_buf_json_str(b, BOOKING_API->col_text(st, 5));
		booking_buf_puts(b, ",\"category\":");
		booking_buf_json_str(b, BOOKING_API->col_text(st, 6));
		booking_buf_puts(b, ",\"booked_by\":");
		booking_buf_json_str(b, BOOKING_API->col_text(st, 7));
		booking_buf_puts(b, "}");
		first = 0;
		rc = HUB_DB_OK;
	}
	BOOKING_API->stmt_finalize(st);
	if (!first)
		booking_buf_puts(b, "]}");
	return rc == HUB_DB_DONE ? HUB_DB_OK : (rc < 0 ? rc : HUB_DB_ERROR);
}

int booking_h_customers(hub_req *req, void *ud)
{
	const char *q = BOOKING_API->req_query(req, "q");
	hub_db *db = BOOKING_API->db();
	char *folded = NULL;
	char sql[1024], pat[MAX_TERMS][300];
	const char *p;
	int nterms = 0, rc, n = 0;
	hub_stmt *st = NULL;
	booking_buf b;
	struct {
		char key[2 * BOOKING_NAME_BYTES];
		int bookings, appeared, no_show, cancelled;
	} *found = NULL;
	(void)ud;

	if (!q || !hubkit_utf8_valid(q, strlen(q)) ||
	    hubkit_utf8_count(q) < 2 || hubkit_utf8_count(q) > 100)
		return hubkit_invalid(BOOKING_API, req, "q",
				      "must be 2 to 100 characters");
	folded = hubkit_fold(q);
	if (!folded)
		return BOOKING_API->reply_error(req, 500, "internal",
						"out of memory", NULL);
	/* every word of the query must occur in the folded name; commas
	 * are separators like spaces ("Müller, Ha" finds "müller, hans") */
	for (p = folded; *p && nterms < MAX_TERMS;) {
		size_t len;
		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, " ,");
		if (len == 0)
			break;
		like_pattern(pat[nterms++], sizeof(pat[0]), p, len);
		p += len;
	}
	free(folded);
	if (nterms == 0)
		return hubkit_invalid(BOOKING_API, req, "q",
				      "must contain a name");
	snprintf(sql, sizeof(sql),
		 "SELECT customer_key, COUNT(*), "
		 "SUM(CASE WHEN outcome = 'appeared' THEN 1 ELSE 0 END), "
		 "SUM(CASE WHEN outcome = 'no_show' THEN 1 ELSE 0 END), "
		 "SUM(CASE WHEN outcome = 'cancelled' THEN 1 ELSE 0 END) "
		 "FROM booking_bookings WHERE customer_key LIKE ? ESCAPE '\\'");
	for (int i = 1; i < nterms; i++)
		strncat(sql, " AND customer_key LIKE ? ESCAPE '\\'",
			sizeof(sql) - strlen(sql) - 1);
	strncat(sql,
		" GROUP BY customer_key ORDER BY MAX(slot_start) DESC LIMIT 20",
		sizeof(sql) - strlen(sql) - 1);

	found = calloc(MAX_CUSTOMERS, sizeof(*found));
	rc = db && found ? BOOKING_API->db_prepare(db, sql, &st) : HUB_DB_ERROR;
	for (int i = 0; rc == HUB_DB_OK && i < nterms; i++)
		rc = BOOKING_API->stmt_bind_text(st, i + 1, pat[i]);
	while (rc == HUB_DB_OK &&
	       (rc = BOOKING_API->stmt_step(st)) == HUB_DB_ROW) {
		rc = HUB_DB_OK;
		if (n == MAX_CUSTOMERS)
			continue;
		snprintf(found[n].key, sizeof(found[n].key), "%s",
			 BOOKING_API->col_text(st, 0));
		found[n].bookings = (int)BOOKING_API->col_int(st, 1);
		found[n].appeared = (int)BOOKING_API->col_int(st, 2);
		found[n].no_show = (int)BOOKING_API->col_int(st, 3);
		found[n].cancelled = (int)BOOKING_API->col_int(st, 4);
		n++;
	}
	BOOKING_API->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		free(found);
		return booking_reply_db_error(req, db,
					      rc < 0 ? rc : HUB_DB_ERROR);
	}
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"items\":[");
	rc = HUB_DB_OK;
	for (int i = 0; rc == HUB_DB_OK && i < n; i++) {
		if (i)
			booking_buf_puts(&b, ",");
		rc = customer_json(db, found[i].key, found[i].bookings,
				   found[i].appeared, found[i].no_show,
				   found[i].cancelled, &b);
	}
	booking_buf_puts(&b, "],\"next_cursor\":null}");
	free(found);
	if (rc != HUB_DB_OK) {
		booking_buf_free(&b);
		return booking_reply_db_error(req, db, rc);
	}
	return booking_reply_buf(req, 200, &b);
}
