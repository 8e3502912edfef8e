/*
 * store_pg.c - the PostgreSQL engine of the storage service (libpq).
 *
 * Connections. The front end opens one per thread, lazily. Each is made
 * with connect_timeout, then statement_timeout and a bound on idle open
 * transactions are set. A connection that libpq reports broken (the
 * server restarted, the network dropped) is reset the next time a
 * statement starts outside a transaction: its prepared statements are
 * re-prepared lazily (every statement carries the connection generation
 * it was prepared in). A failure inside a transaction is HUB_DB_EIO and
 * the transaction is lost; the caller answers 503.
 *
 * Statements. Portable SQL is rewritten by hub_store_sql_to_pg (`?` to
 * `$n`, types), prepared server-side under a per-connection name (one
 * round trip: the parameters are the placeholders the rewrite counted)
 * and cached by SQL text (LRU beyond PG_CACHE_MAX, DEALLOCATEd on
 * eviction), so a connection prepares each text once.
 * Parameters go as text (blobs as binary); results come back as text and
 * are converted on read, so column types follow the result's type OIDs.
 *
 * Transactions are SERIALIZABLE (see begin_sql below); row locks (the
 * booking module's slot lock rows) make writers of one slot wait for each
 * other instead of both running to a conflict. Writers of one process
 * queue on the front end's write lock, so conflicts (retried) only arise
 * between servers. A transaction that serialises itself with a row lock
 * it takes first (hub_store_transaction_rowlocked: a booking) runs at READ
 * COMMITTED outside that queue instead: bookings of different slots run
 * and commit concurrently (their commits share WAL flushes), and no
 * optimistic check can abort them.
 *
 * Errors. SQLSTATE class 23 (unique, foreign key, check, not null) is
 * HUB_DB_ECONSTRAINT; 40001 (serialization) and 40P01 (deadlock), lock
 * and statement time-outs are HUB_DB_EBUSY so hub_store_transaction
 * retries; 53100 is HUB_DB_EFULL; connection failures are HUB_DB_EIO.
 */
#define _GNU_SOURCE
#include "store/store.h"
#include "store/store_backend.h"
#include "base/log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PG_CACHE_MAX 256 /* cached statements per connection */

/* Type OIDs of the built-in types we convert (pg_type.dat). */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_OID = 26,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700,
};

typedef struct pg_stmt {
	hub_stmt base;	      /* first: the front end's part */
	char name[24];	      /* server-side name ("h<n>") */
	char *sql;	      /* the portable SQL, the cache key (owned) */
	char *pgsql;	      /* the rewritten SQL (owned) */
	uint64_t hash;	      /* FNV-1a of sql */
	uint64_t tick;	      /* last use, for LRU eviction */
	unsigned gen;	      /* connection generation it was prepared in */
	int nparams;	      /* parameters the server expects */
	char **vals;	      /* bound values (owned), NULL = SQL NULL */
	int *lens;	      /* lengths of binary values */
	int *fmts;	      /* 0 text, 1 binary */
	PGresult *res;	      /* result of the last execution */
	int row;	      /* rows handed out so far */
	int executed;	      /* res belongs to this execution */
	unsigned char *blob;  /* unescaped bytea of the last col_blob */
	int in_use;	      /* handed out and not yet finalized */
	int cached;	      /* kept after finalize */
	struct pg_stmt *next; /* every statement of the connection */
} pg_stmt;

typedef struct pg_db {
	hub_db base;	/* first: the front end's part */
	PGconn *c;	/* the connection */
	pg_stmt *stmts; /* cached and handed-out statements */
	size_t ncached; /* number of cached entries in stmts */
	uint64_t tick;	/* use counter */
	unsigned seq;	/* statement name counter */
	unsigned gen;	/* bumped by every reset of the connection */
	int changes;	/* rows changed by the last statement */
	int busy_ms;	/* lock wait before HUB_DB_EBUSY */
	int tx_rc;	/* first failure in the open transaction, 0 = none */
	char msg[256];	/* the last error */
} pg_db;

#define PG(db)	((pg_db *)(db))
#define PGS(st) ((pg_stmt *)(st))

static int g_stmt_timeout_ms = 30000;
static char g_schema[64]; /* "" = the server's search_path */

/* ---------------------------------------------------------------- errors */

/* Copies libpq's message for `res` (or the connection's) into d->msg
 * without the trailing newline. */
static void keep_msg(pg_db *d, const PGresult *res)
{
	const char *m = res ? PQresultErrorMessage(res) : "";
	size_t n;
	if (!m || !*m)
		m = PQerrorMessage(d->c);
	snprintf(d->msg, sizeof(d->msg), "%s", m ? m : "");
	n = strlen(d->msg);
	while (n > 0 && (d->msg[n - 1] == '\n' || d->msg[n - 1] == ' '))
		d->msg[--n] = 0;
}

static int sqlstate_rc(pg_db *d, PGresult *res);

/* Maps a failed result (or a NULL one) to enum hub_db_rc. */
static int pg_fail(pg_db *d, PGresult *res)
{
	int rc = sqlstate_rc(d, res);
	/* the first failure decides what the failed transaction's COMMIT
	 * answers (a conflict there must be retried, not reported) */
	if (!d->tx_rc && PQtransactionStatus(d->c) == PQTRANS_INERROR)
		d->tx_rc = rc;
	return rc;
}

/* Maps a failed result's SQLSTATE (or a NULL result) to enum hub_db_rc. */
static int sqlstate_rc(pg_db *d, PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	keep_msg(d, res);
	if (PQstatus(d->c) != CONNECTION_OK || !st) {
		hub_logf(HUB_LOG_ERROR, "store", "postgresql: %s", d->msg);
		return HUB_DB_EIO;
	}
	if (!strncmp(st, "23", 2))
		return HUB_DB_ECONSTRAINT;
	if (!strcmp(st, "40001") || !strcmp(st, "40P01") ||
	    !strcmp(st, "55P03") || !strcmp(st, "57014"))
		return HUB_DB_EBUSY;
	if (!strcmp(st, "53100")) {
		hub_logf(HUB_LOG_ERROR, "store", "disk full: %s", d->msg);
		return HUB_DB_EFULL;
	}
	if (!strncmp(st, "08", 2) || !strncmp(st, "53", 2) ||
	    !strncmp(st, "57", 2) || !strncmp(st, "58", 2) ||
	    !strncmp(st, "XX", 2)) {
		hub_logf(HUB_LOG_ERROR, "store", "postgresql %s: %s", st,
			 d->msg);
		return HUB_DB_EIO;
	}
	if (!strncmp(st, "42", 2) || !strncmp(st, "22", 2) ||
	    !strncmp(st, "26", 2))
		return HUB_DB_EMISUSE;
	return HUB_DB_ERROR;
}

static const char *pg_errmsg(hub_db *db)
{
	return PG(db)->msg;
}

/* ------------------------------------------------------------ connection */

/* See store_backend.h. */
void hub_store_pg_set_statement_timeout(int ms)
{
	g_stmt_timeout_ms = ms >= 0 ? ms : 0;
}

/* See store_backend.h. */
void hub_store_pg_set_schema(const char *schema, const char *data_dir)
{
	g_schema[0] = 0;
	if (!schema || !*schema)
		return;
	if (strcmp(schema, "per-data-dir") == 0) {
		uint64_t h = 1469598103934665603ull;
		for (const char *p = data_dir ? data_dir : ""; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ull;
		}
		snprintf(g_schema, sizeof(g_schema), "hub_%016llx",
			 (unsigned long long)h);
		return;
	}
	for (const char *p = schema; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return; /* refused by the configuration check */
	snprintf(g_schema, sizeof(g_schema), "%s", schema);
}

/* Applies the session settings to a fresh connection. */
static int session_setup(PGconn *c, int busy_ms)
{
	char sql[768], sch[448] = "";
	PGresult *r;
	int ok;
	/* the schema is created only when absent: CREATE SCHEMA IF NOT
	 * EXISTS needs CREATE on the database even when the schema is
	 * there, which a role confined to its own schema lacks; a second
	 * server creating it at the same moment is no error (g_schema is
	 * [a-z0-9_] only, see hub_store_pg_set_schema) */
	if (g_schema[0])
		snprintf(sch, sizeof(sch),
			 "DO $hub$ BEGIN IF NOT EXISTS (SELECT 1 FROM "
			 "pg_namespace WHERE nspname = '%s') THEN "
			 "CREATE SCHEMA %s; END IF; EXCEPTION WHEN "
			 "duplicate_schema OR unique_violation THEN NULL; "
			 "END $hub$; SET search_path = %s; ",
			 g_schema, g_schema, g_schema);
	snprintf(sql, sizeof(sql),
		 "SET client_min_messages = warning; "
		 "%sSET statement_timeout = %d; SET lock_timeout = %d; "
		 "SET idle_in_transaction_session_timeout = 60000",
		 sch, g_stmt_timeout_ms, busy_ms > 0 ? busy_ms : 5000);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

/* Server notices and warnings go to the log, never to stderr. */
static void notice_to_log(void *arg, const char *msg)
{
	(void)arg;
	hub_logf(HUB_LOG_DEBUG, "store", "postgresql: %.*s",
		 (int)strcspn(msg, "\n"), msg);
}

/* Opens a connection to the conninfo string or URI `target`. */
static int pg_open(const char *target, int busy_ms, hub_db **out, char *err,
		   size_t errlen)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name",
			      NULL};
	const char *vals[] = {target, "5", "hubd", NULL};
	PGconn *c;
	pg_db *d;

	*out = NULL;
	c = PQconnectdbParams(keys, vals, 1);
	if (c)
		PQsetNoticeProcessor(c, notice_to_log, NULL);
	if (!c || PQstatus(c) != CONNECTION_OK || session_setup(c, busy_ms)) {
		const char *m = c ? PQerrorMessage(c) : "out of memory";
		size_t n;
		snprintf(err, errlen, "postgresql: %s", m);
		n = strlen(err);
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = 0;
		for (char *p = err; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		PQfinish(c);
		return HUB_DB_EIO;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		PQfinish(c);
		snprintf(err, errlen, "out of memory");
		return HUB_DB_ERROR;
	}
	d->base.be = &hub_store_backend_pg;
	d->c = c;
	d->busy_ms = busy_ms;
	*out = &d->base;
	return HUB_DB_OK;
}

static void stmt_clear_binds(pg_stmt *s)
{
	for (int i = 0; s->vals && s->lens && s->fmts && i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->lens[i] = 0;
		s->fmts[i] = 0;
	}
}

static void stmt_free(pg_stmt *s)
{
	stmt_clear_binds(s);
	PQclear(s->res);
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->blob);
	free(s->sql);
	free(s->pgsql);
	free(s);
}

static void pg_close(hub_db *db)
{
	pg_db *d = PG(db);
	while (d->stmts) {
		pg_stmt *s = d->stmts;
		d->stmts = s->next;
		stmt_free(s);
	}
	PQfinish(d->c);
	free(d);
}

static int pg_in_tx(hub_db *db)
{
	PGTransactionStatusType t = PQtransactionStatus(PG(db)->c);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
	       t == PQTRANS_ACTIVE;
}

/* Before a statement outside a transaction: a connection libpq knows to
 * be broken is reset (its prepared statements are then re-prepared as
 * they are used). Returns 0 when the connection is usable. */
static int ensure_conn(pg_db *d)
{
	if (PQstatus(d->c) == CONNECTION_OK)
		return 0;
	if (pg_in_tx(&d->base))
		return -1;
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK ||
	    session_setup(d->c, d->busy_ms) != 0) {
		keep_msg(d, NULL);
		return -1;
	}
	d->gen++;
	hub_logf(HUB_LOG_INFO, "store", "postgresql connection re-opened");
	return 0;
}

/* Runs `fn` once more after a reset when it failed because the idle
 * connection had broken (a server restart is noticed only at first use). */
#define RETRY_IDLE(d, was_idle, rc, call)                                      \
	do {                                                                   \
		rc = (call);                                                   \
		if (rc == HUB_DB_EIO && (was_idle) &&                          \
		    PQstatus((d)->c) != CONNECTION_OK && ensure_conn(d) == 0)  \
			rc = (call);                                           \
	} while (0)

static int exec_once(pg_db *d, const char *sql)
{
	PGresult *r;
	int rc = HUB_DB_OK;
	ExecStatusType t;
	if (ensure_conn(d) != 0)
		return HUB_DB_EIO;
	r = PQexec(d->c, sql);
	t = PQresultStatus(r);
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		const char *n = PQcmdTuples(r);
		d->changes = n && *n ? atoi(n) : 0;
	} else {
		rc = pg_fail(d, r);
	}
	PQclear(r);
	return rc;
}

static int pg_exec(hub_db *db, const char *sql)
{
	pg_db *d = PG(db);
	int idle = !pg_in_tx(db), rc;
	char *pgsql = hub_store_sql_to_pg(sql);
	d->msg[0] = 0;
	if (!pgsql)
		return HUB_DB_ERROR;
	if (PQtransactionStatus(d->c) == PQTRANS_INERROR &&
	    strcasecmp(sql, "COMMIT") == 0) {
		/* PostgreSQL answers COMMIT of a failed transaction with a
		 * silent ROLLBACK: never report that as committed */
		rc = d->tx_rc ? d->tx_rc : HUB_DB_ERROR;
		free(pgsql);
		PQclear(PQexec(d->c, "ROLLBACK"));
		hub_logf(HUB_LOG_WARN, "store",
			 "commit of a transaction in which a statement failed "
			 "(%s): rolled back",
			 hub_store_rc_name(rc));
		snprintf(d->msg, sizeof(d->msg),
			 "commit of a transaction in which a statement "
			 "failed: rolled back");
		d->tx_rc = 0;
		return rc;
	}
	if (!pg_in_tx(db))
		d->tx_rc = 0;
	RETRY_IDLE(d, idle, rc, exec_once(d, pgsql));
	free(pgsql);
	return rc;
}

/* The id of the row the last INSERT made (lastval() of this session). */
static int64_t pg_last_id(hub_db *db)
{
	pg_db *d = PG(db);
	PGresult *r = PQexec(d->c, "SELECT lastval()");
	int64_t v = 0;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

static int pg_tx_failure(hub_db *db)
{
	return pg_in_tx(db) ? PG(db)->tx_rc : 0;
}

static int pg_changes(hub_db *db)
{
	return PG(db)->changes;
}

/* ----------------------------------------------------------------- cache */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Unlinks and frees `s`, deallocating it on the server when it is still
 * prepared there. */
static void stmt_drop(pg_db *d, pg_stmt *s)
{
	char sql[64];
	for (pg_stmt **pp = &d->stmts; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->gen == d->gen && PQstatus(d->c) == CONNECTION_OK &&
	    PQtransactionStatus(d->c) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(d->c, sql));
	}
	if (s->cached)
		d->ncached--;
	stmt_free(s);
}

/* Drops the least recently used idle cached statement. Returns 1 when one
 * was dropped. */
static int cache_evict(pg_db *d)
{
	pg_stmt *victim = NULL;
	for (pg_stmt *s = d->stmts; s; s = s->next)
		if (s->cached && !s->in_use &&
		    (!victim || s->tick < victim->tick))
			victim = s;
	if (!victim)
		return 0;
	stmt_drop(d, victim);
	return 1;
}

/* Prepares s->pgsql on the server under s->name for this generation. */
static int server_prepare(pg_db *d, pg_stmt *s)
{
	PGresult *r;
	int rc = HUB_DB_OK;
	if (ensure_conn(d) != 0)
		return HUB_DB_EIO;
	snprintf(s->name, sizeof(s->name), "h%u", ++d->seq);
	r = PQprepare(d->c, s->name, s->pgsql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(d, r);
	PQclear(r);
	if (rc != HUB_DB_OK)
		return rc;
	/* no PQdescribePrepared (a second round trip): the parameters are
	 * the placeholders the rewrite counted (stmt_new) */
	s->gen = d->gen;
	return rc;
}

/* A new statement for `sql` (not yet prepared on the server). */
static pg_stmt *stmt_new(pg_db *d, const char *sql, uint64_t h, int cache)
{
	pg_stmt *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sql = strdup(sql);
	s->pgsql = hub_store_sql_to_pg_n(sql, &s->nparams);
	if (s->pgsql) {
		s->vals = calloc((size_t)s->nparams + 1, sizeof(*s->vals));
		s->lens = calloc((size_t)s->nparams + 1, sizeof(*s->lens));
		s->fmts = calloc((size_t)s->nparams + 1, sizeof(*s->fmts));
	}
	if (!s->sql || !s->pgsql || !s->vals || !s->lens || !s->fmts) {
		stmt_free(s);
		return NULL;
	}
	s->base.db = &d->base;
	s->hash = h;
	s->cached = cache;
	s->gen = d->gen - 1; /* not prepared yet */
	return s;
}

static int pg_prepare(hub_db *db, const char *sql, hub_stmt **out)
{
	pg_db *d = PG(db);
	uint64_t h = fnv1a(sql);
	int idle = !pg_in_tx(db), cache, rc;
	pg_stmt *s;

	d->msg[0] = 0;
	for (s = d->stmts; s; s = s->next) {
		if (s->cached && !s->in_use && s->hash == h &&
		    strcmp(s->sql, sql) == 0) {
			s->in_use = 1;
			s->tick = ++d->tick;
			*out = &s->base;
			return HUB_DB_OK;
		}
	}
	cache = d->ncached < PG_CACHE_MAX || cache_evict(d);
	s = stmt_new(d, sql, h, cache);
	if (!s) {
		snprintf(d->msg, sizeof(d->msg), "out of memory");
		return HUB_DB_ERROR;
	}
	RETRY_IDLE(d, idle, rc, server_prepare(d, s));
	if (rc != HUB_DB_OK) {
		stmt_free(s);
		return rc;
	}
	s->in_use = 1;
	s->tick = ++d->tick;
	s->next = d->stmts;
	d->stmts = s;
	if (cache)
		d->ncached++;
	*out = &s->base;
	return HUB_DB_OK;
}

static void stmt_reset(pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = 0;
	s->executed = 0;
}

static void pg_finalize(hub_stmt *st)
{
	pg_stmt *s = PGS(st);
	pg_db *d = PG(st->db);
	stmt_reset(s);
	stmt_clear_binds(s);
	s->in_use = 0;
	if (!s->cached)
		stmt_drop(d, s);
}

/* ------------------------------------------------------------- binding */

/* Stores a copy of `p` (n bytes, NUL added) as parameter idx. */
static int bind_copy(hub_stmt *st, int idx, const void *p, size_t n, int fmt)
{
	pg_stmt *s = PGS(st);
	char *v;
	if (idx < 1 || idx > s->nparams) {
		snprintf(PG(st->db)->msg, sizeof(PG(st->db)->msg),
			 "bind index %d out of range", idx);
		return HUB_DB_EMISUSE;
	}
	if (s->executed)
		stmt_reset(s);
	free(s->vals[idx - 1]);
	s->vals[idx - 1] = NULL;
	if (!p)
		return HUB_DB_OK;
	v = malloc(n + 1);
	if (!v)
		return HUB_DB_ERROR;
	memcpy(v, p, n);
	v[n] = 0;
	s->vals[idx - 1] = v;
	s->lens[idx - 1] = (int)n;
	s->fmts[idx - 1] = fmt;
	return HUB_DB_OK;
}

static int pg_bind_text(hub_stmt *st, int idx, const char *s)
{
	return bind_copy(st, idx, s, s ? strlen(s) : 0, 0);
}

static int pg_bind_int(hub_stmt *st, int idx, int64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return bind_copy(st, idx, buf, (size_t)n, 0);
}

static int pg_bind_double(hub_stmt *st, int idx, double v)
{
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "%.17g", v);
	return bind_copy(st, idx, buf, (size_t)n, 0);
}

static int pg_bind_null(hub_stmt *st, int idx)
{
	return bind_copy(st, idx, NULL, 0, 0);
}

static int pg_bind_blob(hub_stmt *st, int idx, const void *p, size_t n)
{
	if (n > 0x7fffffff)
		return HUB_DB_EMISUSE;
	return bind_copy(st, idx, p ? p : "", n, 1);
}

/* ---------------------------------------------------------------- stepping */

/* Runs the statement once with its bindings, keeping the result. */
static int execute(pg_db *d, pg_stmt *s)
{
	ExecStatusType t;
	int rc = HUB_DB_OK;
	if (s->gen != d->gen) {
		rc = server_prepare(d, s);
		if (rc != HUB_DB_OK)
			return rc;
	}
	PQclear(s->res);
	s->res =
	    PQexecPrepared(d->c, s->name, s->nparams,
			   (const char *const *)s->vals, s->lens, s->fmts, 0);
	t = PQresultStatus(s->res);
	if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) {
		const char *n = PQcmdTuples(s->res);
		d->changes = n && *n ? atoi(n) : 0;
	} else {
		rc = pg_fail(d, s->res);
		PQclear(s->res);
		s->res = NULL;
	}
	return rc;
}

static int pg_step(hub_stmt *st)
{
	pg_stmt *s = PGS(st);
	pg_db *d = PG(st->db);
	int rc;
	if (!s->executed) {
		int idle = !pg_in_tx(st->db);
		d->msg[0] = 0;
		RETRY_IDLE(d, idle, rc, execute(d, s));
		if (rc != HUB_DB_OK)
			return rc;
		s->executed = 1;
		s->row = 0;
	}
	if (!s->res || s->row >= PQntuples(s->res))
		return HUB_DB_DONE;
	s->row++;
	return HUB_DB_ROW;
}

static int pg_reset(hub_stmt *st)
{
	stmt_reset(PGS(st));
	return HUB_DB_OK;
}

/* ---------------------------------------------------------------- columns */

/* 1 when column `col` of the current row can be read. */
static int cell_ok(pg_stmt *s, int col)
{
	return s->res && s->row > 0 && col >= 0 && col < PQnfields(s->res);
}

static int pg_col_count(hub_stmt *st)
{
	pg_stmt *s = PGS(st);
	return s->res ? PQnfields(s->res) : 0;
}

static int pg_col_type(hub_stmt *st, int col)
{
	pg_stmt *s = PGS(st);
	if (!cell_ok(s, col) || PQgetisnull(s->res, s->row - 1, col))
		return HUB_DB_NULL;
	switch (PQftype(s->res, col)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return HUB_DB_INT;
	case OID_NUMERIC:
		return strchr(PQgetvalue(s->res, s->row - 1, col), '.')
			   ? HUB_DB_FLOAT
			   : HUB_DB_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return HUB_DB_FLOAT;
	case OID_BYTEA:
		return HUB_DB_BLOB;
	default:
		return HUB_DB_TEXT;
	}
}

static int64_t pg_col_int(hub_stmt *st, int col)
{
	pg_stmt *s = PGS(st);
	const char *v;
	if (!cell_ok(s, col) || PQgetisnull(s->res, s->row - 1, col))
		return 0;
	v = PQgetvalue(s->res, s->row - 1, col);
	if (PQftype(s->res, col) == OID_BOOL)
		return v[0] == 't';
	if ((PQftype(s->res, col) == OID_NUMERIC && strpbrk(v, ".eEN")) ||
	    PQftype(s->res, col) == OID_FLOAT8 ||
	    PQftype(s->res, col) == OID_FLOAT4)
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

static double pg_col_double(hub_stmt *st, int col)
{
	pg_stmt *s = PGS(st);
	if (!cell_ok(s, col) || PQgetisnull(s->res, s->row - 1, col))
		return 0.0;
	if (PQftype(s->res, col) == OID_BOOL)
		return PQgetvalue(s->res, s->row - 1, col)[0] == 't';
	return strtod(PQgetvalue(s->res, s->row - 1, col), NULL);
}

static const char *pg_col_text(hub_stmt *st, int col)
{
	pg_stmt *s = PGS(st);
	if (!cell_ok(s, col) || PQgetisnull(s->res, s->row - 1, col))
		return "";
	if (PQftype(s->res, col) == OID_BOOL)
		return PQgetvalue(s->res, s->row - 1, col)[0] == 't' ? "1"
								     : "0";
	return PQgetvalue(s->res, s->row - 1, col);
}

static const void *pg_col_blob(hub_stmt *st, int col, size_t *len)
{
	pg_stmt *s = PGS(st);
	size_t n = 0;
	const void *p = NULL;
	if (cell_ok(s, col) && !PQgetisnull(s->res, s->row - 1, col)) {
		const char *v = PQgetvalue(s->res, s->row - 1, col);
		if (PQftype(s->res, col) == OID_BYTEA) {
			free(s->blob);
			s->blob = PQunescapeBytea((const unsigned char *)v, &n);
			p = s->blob;
		} else {
			p = v;
			n = (size_t)PQgetlength(s->res, s->row - 1, col);
		}
	}
	if (len)
		*len = p ? n : 0;
	return p;
}

const store_backend hub_store_backend_pg = {
    .dialect = "postgresql",
    /* hub_store_transaction promises what SQLite's single writer gives:
     * transactions as if run one after another. SERIALIZABLE keeps that
     * promise; its conflicts (40001) are retried by the front end. */
    .begin_sql = "BEGIN ISOLATION LEVEL SERIALIZABLE",
    /* a transaction whose first statement locks the row all its
     * competitors lock (hub_store_transaction_rowlocked): every later
     * statement's snapshot includes what the lock's previous holder
     * committed, so the row lock alone makes it exact */
    .begin_rowlocks_sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
    /* writers of one process queue in process (as on SQLite): they
     * would only meet each other's conflicts and retry; servers of a
     * cluster still write concurrently, serialised by PostgreSQL */
    .serial_writers = 1,
    .open = pg_open,
    .close = pg_close,
    .in_tx = pg_in_tx,
    .tx_failure = pg_tx_failure,
    .prepare = pg_prepare,
    .exec = pg_exec,
    .last_id = pg_last_id,
    .changes = pg_changes,
    .errmsg = pg_errmsg,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .bind_double = pg_bind_double,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .col_count = pg_col_count,
    .col_type = pg_col_type,
    .col_int = pg_col_int,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
};
