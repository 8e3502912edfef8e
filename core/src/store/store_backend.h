/*
 * store_backend.h - the engine behind the storage service (internal to
 * core/src/store).
 *
 * The front end (store.c) owns what every engine shares: the per-thread
 * connections and their registry, transactions with retry, migrations and
 * the SQL dialect helpers. An engine fills one store_backend table; adding
 * PostgreSQL means writing store_pg.c with a `hub_store_backend_pg` table
 * and choosing it in hub_store_open, nothing else.
 *
 * Every engine's connection and statement structs begin with the common
 * `struct hub_db` / `struct hub_stmt` below, so the front end can reach the
 * table from any handle.
 */
#ifndef HUB_STORE_BACKEND_H
#define HUB_STORE_BACKEND_H

#include "store/store.h"

#include <pthread.h>

struct store_backend;

/* The part of a connection the front end owns. Engines embed it first. */
struct hub_db {
	const struct store_backend *be;
	struct hub_db *next; /* registry of open connections (store.c) */
	pthread_t owner;     /* the thread the connection belongs to */
	int sp_depth;	     /* savepoints open inside the transaction */
	int holds_wlock;     /* 1 while holding the in-process write lock */
};

/* The part of a statement the front end owns. Engines embed it first. */
struct hub_stmt {
	hub_db *db;
};

/* One engine. Return codes are enum hub_db_rc; engines map their own. */
typedef struct store_backend {
	const char *dialect; /* "sqlite" or "postgresql" */
	/* SQL that starts a write transaction ("BEGIN IMMEDIATE"). */
	const char *begin_sql;
	/* Optional: SQL that starts a transaction serialised by the row
	 * locks it takes (hub_store_transaction_rowlocked), run outside the
	 * writer queue. NULL: such transactions are ordinary ones. */
	const char *begin_rowlocks_sql;
	/* 1 when the engine allows one writer at a time (SQLite): the front
	 * end then queues the process's writers on a mutex, which wakes a
	 * waiter at once instead of after a busy-handler sleep. */
	int serial_writers;

	/* Opens a connection to `target` (a file path for SQLite, a conninfo
	 * string for PostgreSQL) with the store's settings applied. Returns
	 * HUB_DB_OK and *out (owned: close), or an error with err filled. */
	int (*open)(const char *target, int busy_ms, hub_db **out, char *err,
		    size_t errlen);
	/* Finalizes every statement (also ones still handed out) and closes. */
	void (*close)(hub_db *db);
	/* 1 while a transaction is open on the connection. */
	int (*in_tx)(hub_db *db);
	/* Optional: the code of the first statement that failed in the open
	 * transaction (0 when none). A transaction whose statement met a
	 * serialization conflict is retried whatever its function made of
	 * the failure. */
	int (*tx_failure)(hub_db *db);

	int (*prepare)(hub_db *db, const char *sql, hub_stmt **out);
	int (*exec)(hub_db *db, const char *sql);
	int64_t (*last_id)(hub_db *db);
	int (*changes)(hub_db *db);
	const char *(*errmsg)(hub_db *db);

	int (*bind_text)(hub_stmt *st, int idx, const char *s);
	int (*bind_int)(hub_stmt *st, int idx, int64_t v);
	int (*bind_double)(hub_stmt *st, int idx, double v);
	int (*bind_null)(hub_stmt *st, int idx);
	int (*bind_blob)(hub_stmt *st, int idx, const void *p, size_t n);
	int (*step)(hub_stmt *st);
	int (*reset)(hub_stmt *st);
	void (*finalize)(hub_stmt *st);
	int (*col_count)(hub_stmt *st);
	int (*col_type)(hub_stmt *st, int col);
	int64_t (*col_int)(hub_stmt *st, int col);
	double (*col_double)(hub_stmt *st, int col);
	const char *(*col_text)(hub_stmt *st, int col);
	const void *(*col_blob)(hub_stmt *st, int col, size_t *len);
} store_backend;

/* The SQLite engine (store_sqlite.c). */
extern const store_backend hub_store_backend_sqlite;

/* The PostgreSQL engine (store_pg.c, libpq). */
extern const store_backend hub_store_backend_pg;

/* PostgreSQL: the schema every connection opened from now on creates when
 * missing and puts on its search_path ([storage] schema). NULL or "" keeps
 * the server's default; "per-data-dir" derives one from data_dir (tests
 * that open many throwaway stores on one database). */
void hub_store_pg_set_schema(const char *schema, const char *data_dir);

/* PostgreSQL: statement_timeout of connections opened from now on
 * ([storage] statement_timeout_ms, default 30000; 0 disables it). */
void hub_store_pg_set_statement_timeout(int ms);

#endif
