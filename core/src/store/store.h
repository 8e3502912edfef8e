/*
 * store.h - the storage service (core/src/store).
 *
 * One engine-neutral interface over SQLite (embedded default) and, later,
 * PostgreSQL. Modules reach it only through hub_api; the core calls these
 * functions directly. Placeholders are `?` everywhere; a backend rewrites
 * them as it needs. Return codes are enum hub_db_rc from hub/module.h.
 */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include "hub/module.h"

/* Opens the store for `data_dir` (creates <data_dir>/hub.db with WAL,
 * foreign keys and a busy timeout). Call once before serving, before any
 * thread uses hub_store_db. Returns 0, or -1 with a message in err. */
int hub_store_open(const char *data_dir, char *err, size_t errlen);

/* With [storage] backend = postgresql: opens one connection to the
 * configured DSN and closes it again (hubd --check). Returns 0 (also for
 * SQLite, which needs no probe), or -1 with one line in err naming the
 * problem (bad DSN, unreachable server, refused login). */
int hub_store_probe(char *err, size_t errlen);

/* Closes every connection. Call after all threads have stopped. */
void hub_store_close(void);

/* The calling thread's connection (opened lazily, closed at thread exit).
 * Borrowed. NULL when the store is not open or the open failed. */
hub_db *hub_store_db(void);

/* Path of the database file. Borrowed, valid while the store is open. */
const char *hub_store_path(void);

int hub_store_prepare(hub_db *db, const char *sql, hub_stmt **out);
int hub_store_exec(hub_db *db, const char *sql);
int hub_store_begin(hub_db *db);
int hub_store_commit(hub_db *db);
int hub_store_rollback(hub_db *db);
int hub_store_transaction(hub_db *db, int (*fn)(hub_db *, void *), void *ud);
/* As hub_store_transaction, for a transaction whose fn first takes a row
 * lock that serialises it against every transaction it competes with
 * (the booking module's slot lock row). On PostgreSQL it runs at READ
 * COMMITTED and outside the process's writer queue, so transactions of
 * different rows run (and commit) concurrently; each statement sees what
 * was committed before it started, so after the lock everything of the
 * lock's previous holder. On SQLite it is hub_store_transaction. */
int hub_store_transaction_rowlocked(hub_db *db, int (*fn)(hub_db *, void *),
				    void *ud);
int64_t hub_store_last_id(hub_db *db);
int hub_store_changes(hub_db *db);
const char *hub_store_errmsg(hub_db *db);
const char *hub_store_dialect(hub_db *db);

int hub_stmt_bind_text(hub_stmt *st, int idx, const char *s);
int hub_stmt_bind_int(hub_stmt *st, int idx, int64_t v);
int hub_stmt_bind_double(hub_stmt *st, int idx, double v);
int hub_stmt_bind_null(hub_stmt *st, int idx);
int hub_stmt_bind_blob(hub_stmt *st, int idx, const void *p, size_t n);
int hub_stmt_step(hub_stmt *st);
int hub_stmt_reset(hub_stmt *st);
void hub_stmt_finalize(hub_stmt *st);
int hub_col_count(hub_stmt *st);
int hub_col_type(hub_stmt *st, int col);
int64_t hub_col_int(hub_stmt *st, int col);
double hub_col_double(hub_stmt *st, int col);
const char *hub_col_text(hub_stmt *st, int col);
const void *hub_col_blob(hub_stmt *st, int col, size_t *len);

/* Applies pending migrations of `module` (versions strictly increasing),
 * each in its own transaction, recording them in hub_migrations. Stops at
 * the first failure, leaving that migration unapplied. Returns 0 or -1
 * with "module NAME migration N: reason" in err. */
typedef struct hub_migration_def {
	int version;
	const char *sql;
	const char *sql_pg;
} hub_migration_def;
int hub_store_migrate(const char *module, const hub_migration_def *defs,
		      size_t n, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * Additions (store subsystem). See docs/STORAGE.md for the SQL subset.
 * --------------------------------------------------------------------- */

/* The data directory given to hub_store_open. Borrowed, valid while the
 * store is open; NULL when it is closed. */
const char *hub_store_data_dir(void);

/* Sets how long a writer waits for the write lock before HUB_DB_EBUSY
 * (default 5000 ms). Call before hub_store_open. */
void hub_store_set_busy_timeout(int ms);

/* 1 while a transaction is open on `db`, else 0. */
int hub_store_in_transaction(hub_db *db);

/* Cleans up after a request handler on the calling thread: rolls back a
 * transaction it left open and releases the process write lock. With
 * `discard` (after a crash in the handler) also closes the thread's
 * connection, finalizing every statement, so nothing of the crashed
 * request (open statements, read snapshot) survives; the next
 * hub_store_db opens a fresh one. Returns 1 when a transaction was left
 * open, else 0. */
int hub_store_thread_reset(int discard);

/* Highest migration version of `module` recorded in hub_migrations (0 when
 * none or the table does not exist yet), or a negative hub_db_rc. */
int hub_store_schema_version(hub_db *db, const char *module);

/* Counts of hub_store_transaction(_rowlocked) since start: transactions
 * run, attempts retried after HUB_DB_EBUSY (a serialization conflict, a
 * deadlock, a lock or statement time-out; on SQLite the write lock), and
 * transactions that gave up busy after their last attempt. */
typedef struct hub_store_tx_stats {
	unsigned long long transactions, retries, gave_up;
} hub_store_tx_stats;
void hub_store_tx_stats_get(hub_store_tx_stats *out);

/* Short stable name of a hub_db_rc ("constraint", "busy", "full", ...).
 * Static string. */
const char *hub_store_rc_name(int rc);

/* Checks `sql` against the portable subset of docs/STORAGE.md (outside
 * string literals and comments). Returns 0 when portable; -1 with the first
 * problem named in why (always NUL-terminated) otherwise. */
int hub_store_sql_lint(const char *sql, char *why, size_t whylen);

/* Rewrites portable SQL into PostgreSQL's dialect: `?` placeholders become
 * $1, $2, ...; types INTEGER -> BIGINT, REAL -> DOUBLE PRECISION,
 * BLOB -> BYTEA, and "INTEGER PRIMARY KEY" -> an identity column. String
 * literals, quoted identifiers and comments are left alone. Owned: free().
 * NULL on out of memory. */
char *hub_store_sql_to_pg(const char *sql);
/* The same, also counting the placeholders into *nparams (when not NULL):
 * the statement's parameters are $1 .. $(*nparams). */
char *hub_store_sql_to_pg_n(const char *sql, int *nparams);

/* ------------------------------------------------------------------------
 * PostgreSQL for the database server's tools (store_pgtool.c).
 * --------------------------------------------------------------------- */

/* 1 when [storage] backend (env HUB_STORAGE_BACKEND) is postgresql. Reads
 * the settings only; the store need not be open. */
int hub_store_engine_is_pg(void);

/* The configured DSN ([storage] dsn, env HUB_DATABASE_URL, [storage]
 * postgres_url), or NULL. Borrowed. Never log it: it may hold a password. */
const char *hub_store_pg_dsn(void);

/* Opens a connection of its own to the configured PostgreSQL database,
 * with the store's session settings (search_path = the configured schema,
 * "per-data-dir" resolved against data_dir). Usable with every hub_store_*
 * and hub_stmt_* call on the calling thread. Owned: hub_store_pg_disconnect.
 * NULL with one line in err when the DSN is missing or the server
 * unreachable. */
hub_db *hub_store_pg_connect(const char *data_dir, char *err, size_t errlen);

/* Closes a connection of hub_store_pg_connect (NULL is a no-op). */
void hub_store_pg_disconnect(hub_db *db);

/* Where pg_dump and pg_restore must go. */
typedef struct hub_store_pg_target {
	char conninfo[4096]; /* key='value' ... of the DSN, no password */
	char password[512];  /* the DSN's password, "" when it has none */
	char schema[64];     /* the schema holding the hub's tables */
	int server_major;    /* the server's major version (15, 16, ...) */
} hub_store_pg_target;

/* Fills *t for the configured database (connects once to learn the schema
 * and version). The password stays out of conninfo so that it can be
 * handed to a tool through its environment only. Returns 0, or -1 with
 * one line in err (never containing the password). */
int hub_store_pg_target_get(const char *data_dir, hub_store_pg_target *t,
			    char *err, size_t errlen);

#endif
