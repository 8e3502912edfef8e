/*
 * store_sqlite.c - the SQLite engine of the storage service.
 *
 * Settings of every connection (see docs/STORAGE.md for the reasons):
 *   journal_mode=WAL      readers never block the writer, nor it them
 *   synchronous=FULL      the WAL is fsynced at every commit, so a commit
 *                         that returned (and the 2xx sent after it) is on
 *                         disk even across a power cut; NORMAL would only
 *                         survive a crash of the process
 *   foreign_keys=ON       declared references are enforced
 *   busy_timeout          a writer waits for another process's write lock
 *   DQS off, DEFENSIVE    "x" is always an identifier (as in PostgreSQL);
 *                         no writable_schema tricks
 *
 * Statements are cached per connection, keyed by their SQL text, and
 * prepared with SQLITE_PREPARE_PERSISTENT. hub_stmt_finalize resets a
 * statement, clears its bindings and returns it to the cache; the cache
 * evicts the least recently used idle statement beyond SQ_CACHE_MAX.
 */
#define _GNU_SOURCE
#include "store/store.h"
#include "store/store_backend.h"
#include "base/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQ_CACHE_MAX 256 /* cached statements per connection */

typedef struct sq_stmt {
	hub_stmt base;	      /* first: the front end's part */
	sqlite3_stmt *st;     /* the prepared statement */
	char *sql;	      /* the cache key (owned) */
	uint64_t hash;	      /* FNV-1a of sql */
	uint64_t tick;	      /* last use, for LRU eviction */
	int in_use;	      /* handed out and not yet finalized */
	int mid_write;	      /* a write stepped to a row, not to done */
	int cached;	      /* kept after finalize */
	struct sq_stmt *next; /* every statement of the connection */
} sq_stmt;

typedef struct sq_db {
	hub_db base;	/* first: the front end's part */
	sqlite3 *h;	/* the connection */
	sq_stmt *stmts; /* cached and handed-out statements */
	size_t ncached; /* number of cached entries in stmts */
	uint64_t tick;	/* use counter */
	char msg[160];	/* our own error text, "" when SQLite's applies */
} sq_db;

#define SQ(db)	((sq_db *)(db))
#define SQS(st) ((sq_stmt *)(st))

/* ---------------------------------------------------------------- errors */

/* Maps a SQLite result code to enum hub_db_rc and logs storage faults. */
static int sq_rc(sq_db *d, int rc)
{
	int sys;
	switch (rc & 0xff) {
	case SQLITE_OK:
		return HUB_DB_OK;
	case SQLITE_ROW:
		return HUB_DB_ROW;
	case SQLITE_DONE:
		return HUB_DB_DONE;
	case SQLITE_CONSTRAINT:
		return HUB_DB_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return HUB_DB_EBUSY;
	case SQLITE_FULL:
		hub_logf(HUB_LOG_ERROR, "store", "disk full: %s",
			 sqlite3_errmsg(d->h));
		return HUB_DB_EFULL;
	case SQLITE_IOERR:
		sys = sqlite3_system_errno(d->h);
		hub_logf(HUB_LOG_ERROR, "store", "I/O error %d (%s): %s", rc,
			 strerror(sys), sqlite3_errmsg(d->h));
		return (sys == ENOSPC || sys == EDQUOT) ? HUB_DB_EFULL
							: HUB_DB_EIO;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
		hub_logf(HUB_LOG_ERROR, "store", "database fault %d: %s", rc,
			 sqlite3_errmsg(d->h));
		return HUB_DB_EIO;
	case SQLITE_ERROR:
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_AUTH:
		return HUB_DB_EMISUSE;
	default:
		return HUB_DB_ERROR;
	}
}

static const char *sq_errmsg(hub_db *db)
{
	sq_db *d = SQ(db);
	return d->msg[0] ? d->msg : sqlite3_errmsg(d->h);
}

/* ------------------------------------------------------------ connection */

/* Runs a one-row query and copies its first column into out. */
static int query_text(sqlite3 *h, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	out[0] = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, n, "%s", t ? (const char *)t : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Process-wide SQLite settings, before its first use: no memory
 * statistics (they take one global mutex on every allocation SQLite
 * makes, which every worker then queues on). */
static void sq_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* bounds the page caches of all connections together */
	sqlite3_soft_heap_limit64(24 * 1024 * 1024);
}

static int sq_open(const char *path, int busy_ms, hub_db **out, char *err,
		   size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sqlite3 *h = NULL;
	sq_db *d = NULL;
	char val[32];
	int rc;

	*out = NULL;
	pthread_once(&once, sq_global_config);
	rc = sqlite3_open_v2(path, &h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(h, 1);
		sqlite3_busy_timeout(h, busy_ms);
		sqlite3_db_config(h, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
		sqlite3_db_config(h, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
		sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
		rc = query_text(h, "PRAGMA journal_mode=WAL", val, sizeof(val));
		if (rc == SQLITE_OK && strcmp(val, "wal") != 0) {
			snprintf(err, errlen, "%s: cannot enable WAL (%s)",
				 path, val);
			goto fail;
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h,
				  "PRAGMA synchronous=FULL;"
				  "PRAGMA foreign_keys=ON;"
				  /* one connection per worker thread: 1 MiB of
				   * page cache each, and SQLite's whole heap
				   * kept near 24 MiB (pages are recycled under
				   * the limit) */
				  "PRAGMA cache_size=-1024;",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = query_text(h, "PRAGMA foreign_keys", val, sizeof(val));
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		goto fail;
	}
	if (strcmp(val, "1") != 0) {
		snprintf(err, errlen, "%s: foreign keys unsupported", path);
		goto fail;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->base.be = &hub_store_backend_sqlite;
	d->h = h;
	*out = &d->base;
	return HUB_DB_OK;
fail:
	sqlite3_close_v2(h);
	return HUB_DB_EIO;
}

static void stmt_free(sq_stmt *s)
{
	sqlite3_finalize(s->st);
	free(s->sql);
	free(s);
}

static void sq_close(hub_db *db)
{
	sq_db *d = SQ(db);
	while (d->stmts) {
		sq_stmt *s = d->stmts;
		d->stmts = s->next;
		stmt_free(s);
	}
	sqlite3_close_v2(d->h);
	free(d);
}

static int sq_in_tx(hub_db *db)
{
	return !sqlite3_get_autocommit(SQ(db)->h);
}

static int sq_exec(hub_db *db, const char *sql)
{
	sq_db *d = SQ(db);
	d->msg[0] = 0;
	return sq_rc(d, sqlite3_exec(d->h, sql, NULL, NULL, NULL));
}

static int64_t sq_last_id(hub_db *db)
{
	return sqlite3_last_insert_rowid(SQ(db)->h);
}

static int sq_changes(hub_db *db)
{
	return sqlite3_changes(SQ(db)->h);
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

/* Drops the least recently used idle cached statement. Returns 1 when one
 * was dropped, 0 when every cached statement is in use. */
static int cache_evict(sq_db *d)
{
	sq_stmt **victim = NULL;
	for (sq_stmt **pp = &d->stmts; *pp; pp = &(*pp)->next) {
		sq_stmt *s = *pp;
		if (s->cached && !s->in_use &&
		    (!victim || s->tick < (*victim)->tick))
			victim = pp;
	}
	if (!victim)
		return 0;
	sq_stmt *s = *victim;
	*victim = s->next;
	d->ncached--;
	stmt_free(s);
	return 1;
}

/* Only white space and comments after a statement? */
static int tail_empty(const char *t)
{
	while (t && *t) {
		if (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r' ||
		    *t == ';')
			t++;
		else if (t[0] == '-' && t[1] == '-')
			t += strcspn(t, "\n");
		else if (t[0] == '/' && t[1] == '*') {
			const char *e = strstr(t + 2, "*/");
			t = e ? e + 2 : t + strlen(t);
		} else
			return 0;
	}
	return 1;
}

static int sq_prepare(hub_db *db, const char *sql, hub_stmt **out)
{
	sq_db *d = SQ(db);
	uint64_t h = fnv1a(sql);
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	sq_stmt *s;
	int cache, rc;

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
	cache = d->ncached < SQ_CACHE_MAX || cache_evict(d);
	rc = sqlite3_prepare_v3(
	    d->h, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &st, &tail);
	if (rc != SQLITE_OK)
		return sq_rc(d, rc);
	if (!st || !tail_empty(tail)) {
		sqlite3_finalize(st);
		snprintf(d->msg, sizeof(d->msg), "%s",
			 st ? "one statement per prepare" : "empty statement");
		return HUB_DB_EMISUSE;
	}
	s = calloc(1, sizeof(*s));
	if (s && cache)
		s->sql = strdup(sql);
	if (!s || (cache && !s->sql)) {
		free(s);
		sqlite3_finalize(st);
		snprintf(d->msg, sizeof(d->msg), "out of memory");
		return HUB_DB_ERROR;
	}
	s->base.db = db;
	s->st = st;
	s->hash = h;
	s->cached = cache;
	s->in_use = 1;
	s->tick = ++d->tick;
	s->next = d->stmts;
	d->stmts = s;
	if (cache)
		d->ncached++;
	*out = &s->base;
	return HUB_DB_OK;
}

static void sq_finalize(hub_stmt *st)
{
	sq_stmt *s = SQS(st);
	sq_db *d = SQ(st->db);
	int rc = sqlite3_reset(s->st);
	if (s->mid_write && rc != SQLITE_OK && sqlite3_get_autocommit(d->h))
		/* the write's commit happened here and failed: whoever
		 * answered before finalizing answered too early */
		hub_logf(HUB_LOG_ERROR, "store",
			 "a write finalized before it was stepped to done "
			 "failed to commit: %s",
			 sqlite3_errmsg(d->h));
	s->mid_write = 0;
	sqlite3_clear_bindings(s->st);
	s->in_use = 0;
	if (s->cached)
		return;
	for (sq_stmt **pp = &d->stmts; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	stmt_free(s);
}

/* ------------------------------------------------------------ statements */

static int sq_bind_rc(hub_stmt *st, int rc)
{
	return sq_rc(SQ(st->db), rc);
}

static int sq_bind_text(hub_stmt *st, int idx, const char *s)
{
	sqlite3_stmt *p = SQS(st)->st;
	if (!s)
		return sq_bind_rc(st, sqlite3_bind_null(p, idx));
	return sq_bind_rc(st,
			  sqlite3_bind_text(p, idx, s, -1, SQLITE_TRANSIENT));
}

static int sq_bind_int(hub_stmt *st, int idx, int64_t v)
{
	return sq_bind_rc(st, sqlite3_bind_int64(SQS(st)->st, idx, v));
}

static int sq_bind_double(hub_stmt *st, int idx, double v)
{
	return sq_bind_rc(st, sqlite3_bind_double(SQS(st)->st, idx, v));
}

static int sq_bind_null(hub_stmt *st, int idx)
{
	return sq_bind_rc(st, sqlite3_bind_null(SQS(st)->st, idx));
}

static int sq_bind_blob(hub_stmt *st, int idx, const void *p, size_t n)
{
	return sq_bind_rc(st, sqlite3_bind_blob64(SQS(st)->st, idx, p ? p : "",
						  n, SQLITE_TRANSIENT));
}

static int sq_step(hub_stmt *st)
{
	sq_db *d = SQ(st->db);
	int rc;
	d->msg[0] = 0;
	rc = sqlite3_step(SQS(st)->st);
	/* an INSERT ... RETURNING outside a transaction commits only when
	 * it is stepped to done or reset: remember that it has not been */
	SQS(st)->mid_write =
	    rc == SQLITE_ROW && !sqlite3_stmt_readonly(SQS(st)->st);
	return sq_rc(d, rc);
}

static int sq_reset(hub_stmt *st)
{
	sqlite3_reset(SQS(st)->st);
	return HUB_DB_OK;
}

static int sq_col_count(hub_stmt *st)
{
	return sqlite3_column_count(SQS(st)->st);
}

static int sq_col_type(hub_stmt *st, int col)
{
	switch (sqlite3_column_type(SQS(st)->st, col)) {
	case SQLITE_INTEGER:
		return HUB_DB_INT;
	case SQLITE_FLOAT:
		return HUB_DB_FLOAT;
	case SQLITE_TEXT:
		return HUB_DB_TEXT;
	case SQLITE_BLOB:
		return HUB_DB_BLOB;
	default:
		return HUB_DB_NULL;
	}
}

static int64_t sq_col_int(hub_stmt *st, int col)
{
	return sqlite3_column_int64(SQS(st)->st, col);
}

static double sq_col_double(hub_stmt *st, int col)
{
	return sqlite3_column_double(SQS(st)->st, col);
}

static const char *sq_col_text(hub_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(SQS(st)->st, col);
	return t ? (const char *)t : "";
}

static const void *sq_col_blob(hub_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(SQS(st)->st, col);
	int n = sqlite3_column_bytes(SQS(st)->st, col);
	if (len)
		*len = n > 0 ? (size_t)n : 0;
	return p;
}

const store_backend hub_store_backend_sqlite = {
    .dialect = "sqlite",
    .begin_sql = "BEGIN IMMEDIATE",
    .serial_writers = 1,
    .open = sq_open,
    .close = sq_close,
    .in_tx = sq_in_tx,
    .prepare = sq_prepare,
    .exec = sq_exec,
    .last_id = sq_last_id,
    .changes = sq_changes,
    .errmsg = sq_errmsg,
    .bind_text = sq_bind_text,
    .bind_int = sq_bind_int,
    .bind_double = sq_bind_double,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .col_count = sq_col_count,
    .col_type = sq_col_type,
    .col_int = sq_col_int,
    .col_double = sq_col_double,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
};
