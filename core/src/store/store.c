/*
 * store.c - the storage service's front end: one connection per thread,
 * the registry that lets hub_store_close close them all, transactions with
 * retry, and the thin dispatch to the engine (store_backend.h).
 *
 * Threads. hub_store_db() hands each thread its own connection, opened on
 * first use. A pthread key's destructor closes it when the thread exits;
 * every connection is also on a registry list so hub_store_close can close
 * the ones of threads that are still alive (the main thread's, for one).
 * The thread-local pointer carries the store's epoch, so a thread that
 * outlives a close/open cycle never reuses a closed connection.
 *
 * Writers. SQLite admits one writer at a time. Writers of this process
 * queue on g.wlock before BEGIN IMMEDIATE, so a waiter starts the moment
 * the previous commit ends; writers of other processes (hubctl beside
 * hubd) meet SQLite's busy timeout. Either way a wait longer than the busy
 * timeout is HUB_DB_EBUSY, and hub_store_transaction retries the whole
 * transaction with exponential backoff and jitter.
 */
#define _GNU_SOURCE
#include "store/store.h"
#include "store/store_backend.h"
#include "base/conf.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ----------------------------------------------------------------- state */

static struct {
	pthread_mutex_t lock;	 /* guards everything below but wlock */
	int open;		 /* hub_store_open succeeded */
	unsigned epoch;		 /* bumped by every open and close */
	pthread_key_t key;	 /* per-thread connection, for the destructor */
	const store_backend *be; /* the engine */
	char data_dir[4096];	 /* as given to hub_store_open */
	char path[4200];	 /* <data_dir>/hub.db */
	hub_db *conns;		 /* every open connection */
	pthread_mutex_t wlock;	 /* queue of this process's writers */
	int busy_ms;		 /* write-lock wait before HUB_DB_EBUSY */
} g = {PTHREAD_MUTEX_INITIALIZER, 0,   0, 0, NULL, "", "", NULL,
       PTHREAD_MUTEX_INITIALIZER, 5000};

static __thread hub_db *t_db;	  /* this thread's connection */
static __thread unsigned t_epoch; /* g.epoch when t_db was opened */

#define TX_MAX_ATTEMPTS 8 /* tries of one hub_store_transaction */

/* ------------------------------------------------------------- registry */

/* Unlinks `db` from the registry. Caller holds g.lock. Returns 1 when it
 * was there. */
static int registry_remove(hub_db *db)
{
	for (hub_db **pp = &g.conns; *pp; pp = &(*pp)->next) {
		if (*pp == db) {
			*pp = db->next;
			return 1;
		}
	}
	return 0;
}

/* Thread-exit destructor: closes the thread's connection unless
 * hub_store_close already did. */
static void thread_conn_destroy(void *p)
{
	hub_db *db = p;
	int found;
	pthread_mutex_lock(&g.lock);
	found = registry_remove(db);
	pthread_mutex_unlock(&g.lock);
	if (found) {
		if (db->holds_wlock) {
			db->holds_wlock = 0;
			pthread_mutex_unlock(&g.wlock);
		}
		db->be->close(db);
	}
}

/* ------------------------------------------------------------ open/close */

void hub_store_set_busy_timeout(int ms)
{
	g.busy_ms = ms > 0 ? ms : 1;
}

/* Creates `dir` (mode 0700) when missing. Returns 0 or -1 with errno. */
static int ensure_dir(const char *dir)
{
	struct stat sb;
	if (stat(dir, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		errno = ENOTDIR;
		return -1;
	}
	return mkdir(dir, 0700);
}

/* Environment fallback when no configuration is loaded (tests, tools). */
static const char *setting(const char *key, const char *env)
{
	const char *v = hub_conf_get("storage", key);
	if (!v || !*v)
		v = getenv(env);
	return v && *v ? v : NULL;
}

/* Picks the engine from [storage] backend (env HUB_STORAGE_BACKEND when
 * no configuration is loaded) and sets g.be and g.path: the SQLite file
 * <data_dir>/hub.db, created 0600, or the PostgreSQL DSN. */
static int choose_engine(const char *data_dir, char *err, size_t errlen)
{
	const char *backend = setting("backend", "HUB_STORAGE_BACKEND");
	const char *dsn, *tmo;
	int fd;

	snprintf(g.data_dir, sizeof(g.data_dir), "%s", data_dir);
	if (backend && strcmp(backend, "postgresql") == 0) {
		dsn = setting("dsn", "HUB_DATABASE_URL");
		if (!dsn)
			dsn = hub_conf_get("storage", "postgres_url");
		if (!dsn || strlen(dsn) >= sizeof(g.path)) {
			snprintf(err, errlen,
				 "[storage] dsn: missing or too long (backend "
				 "postgresql needs a libpq URI, or "
				 "HUB_DATABASE_URL)");
			return -1;
		}
		snprintf(g.path, sizeof(g.path), "%s", dsn);
		hub_store_pg_set_schema(setting("schema", "HUB_STORAGE_SCHEMA"),
					data_dir);
		tmo = hub_conf_get("storage", "statement_timeout_ms");
		if (tmo)
			hub_store_pg_set_statement_timeout(atoi(tmo));
		g.be = &hub_store_backend_pg;
		return 0;
	}
	if (backend && strcmp(backend, "sqlite") != 0) {
		snprintf(err, errlen, "[storage] backend '%s': unknown",
			 backend);
		return -1;
	}
	snprintf(g.path, sizeof(g.path), "%s/hub.db", data_dir);
	/* Create the file ourselves so it is 0600; SQLite gives its -wal
	 * and -shm files the database file's permissions. */
	fd = open(g.path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", g.path, strerror(errno));
		return -1;
	}
	close(fd);
	g.be = &hub_store_backend_sqlite;
	return 0;
}

/* See store.h. */
int hub_store_probe(char *err, size_t errlen)
{
	const char *backend = setting("backend", "HUB_STORAGE_BACKEND");
	const char *dsn = setting("dsn", "HUB_DATABASE_URL");
	hub_db *db = NULL;
	if (!backend || strcmp(backend, "postgresql") != 0)
		return 0;
	if (!dsn)
		dsn = hub_conf_get("storage", "postgres_url");
	if (!dsn) {
		snprintf(err, errlen,
			 "[storage] dsn: missing (backend postgresql needs a "
			 "libpq URI, or HUB_DATABASE_URL)");
		return -1;
	}
	if (hub_store_backend_pg.open(dsn, g.busy_ms, &db, err, errlen) !=
	    HUB_DB_OK)
		return -1;
	hub_store_backend_pg.close(db);
	return 0;
}

/* Opens the store for `data_dir`: creates the directory and an empty
 * database file readable by its owner only, then opens the calling
 * thread's connection to prove the file usable (WAL, foreign keys).
 * Returns 0, or -1 with a message in err. */
int hub_store_open(const char *data_dir, char *err, size_t errlen)
{
	hub_db *db = NULL;
	int rc = -1;

	pthread_mutex_lock(&g.lock);
	if (g.open) {
		snprintf(err, errlen, "store already open");
		goto out;
	}
	if (!data_dir || !*data_dir || strlen(data_dir) >= sizeof(g.data_dir)) {
		snprintf(err, errlen, "data_dir: empty or too long");
		goto out;
	}
	if (ensure_dir(data_dir) != 0) {
		snprintf(err, errlen, "data_dir %s: %s", data_dir,
			 strerror(errno));
		goto out;
	}
	if (choose_engine(data_dir, err, errlen) != 0)
		goto out;
	if (pthread_key_create(&g.key, thread_conn_destroy) != 0) {
		snprintf(err, errlen, "pthread_key_create failed");
		goto out;
	}
	if (g.be->open(g.path, g.busy_ms, &db, err, errlen) != HUB_DB_OK) {
		pthread_key_delete(g.key);
		goto out;
	}
	db->owner = pthread_self();
	db->next = g.conns;
	g.conns = db;
	g.open = 1;
	__atomic_add_fetch(&g.epoch, 1, __ATOMIC_SEQ_CST);
	t_db = db;
	t_epoch = g.epoch;
	pthread_setspecific(g.key, db);
	rc = 0;
out:
	pthread_mutex_unlock(&g.lock);
	return rc;
}

/* Closes every connection. Call after every thread using the store has
 * stopped; a connection in use elsewhere would be pulled from under it. */
void hub_store_close(void)
{
	pthread_mutex_lock(&g.lock);
	if (!g.open) {
		pthread_mutex_unlock(&g.lock);
		return;
	}
	while (g.conns) {
		hub_db *db = g.conns;
		g.conns = db->next;
		if (db->holds_wlock) {
			db->holds_wlock = 0;
			pthread_mutex_unlock(&g.wlock);
		}
		db->be->close(db);
	}
	g.open = 0;
	__atomic_add_fetch(&g.epoch, 1, __ATOMIC_SEQ_CST);
	pthread_key_delete(g.key);
	t_db = NULL;
	pthread_mutex_unlock(&g.lock);
}

/* The calling thread's connection; see store.h. */
hub_db *hub_store_db(void)
{
	hub_db *db = NULL;
	char err[256];

	if (t_db && t_epoch == __atomic_load_n(&g.epoch, __ATOMIC_ACQUIRE))
		return t_db;
	t_db = NULL;
	pthread_mutex_lock(&g.lock);
	if (!g.open)
		goto out;
	if (g.be->open(g.path, g.busy_ms, &db, err, sizeof(err)) != HUB_DB_OK) {
		hub_logf(HUB_LOG_ERROR, "store", "opening a connection: %s",
			 err);
		db = NULL;
		goto out;
	}
	db->owner = pthread_self();
	db->next = g.conns;
	g.conns = db;
	pthread_setspecific(g.key, db);
	t_db = db;
	t_epoch = g.epoch;
out:
	pthread_mutex_unlock(&g.lock);
	return db;
}

const char *hub_store_path(void)
{
	return g.open ? g.path : NULL;
}

const char *hub_store_data_dir(void)
{
	return g.open ? g.data_dir : NULL;
}

/* ---------------------------------------------------------- transactions */

/* Takes the in-process write lock, waiting at most the busy timeout. */
static int wlock_take(hub_db *db)
{
	struct timespec ts;
	if (!db->be->serial_writers)
		return HUB_DB_OK;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += g.busy_ms / 1000;
	ts.tv_nsec += (long)(g.busy_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_timedlock(&g.wlock, &ts) != 0)
		return HUB_DB_EBUSY;
	db->holds_wlock = 1;
	return HUB_DB_OK;
}

static void wlock_drop(hub_db *db)
{
	if (db->holds_wlock) {
		db->holds_wlock = 0;
		pthread_mutex_unlock(&g.wlock);
	}
}

/* Starts a transaction: an ordinary write transaction (BEGIN IMMEDIATE
 * after the process's writer queue), or with `rowlocks` one serialised by
 * its own row locks when the engine has such (no queue). */
static int begin_tx(hub_db *db, int rowlocks)
{
	const char *sql;
	int rc = HUB_DB_OK;
	if (!db)
		return HUB_DB_EMISUSE;
	if (db->be->in_tx(db) || db->holds_wlock)
		return HUB_DB_EMISUSE;
	sql = rowlocks ? db->be->begin_rowlocks_sql : NULL;
	if (!sql) {
		sql = db->be->begin_sql;
		rc = wlock_take(db);
	}
	if (rc == HUB_DB_OK)
		rc = db->be->exec(db, sql);
	if (rc != HUB_DB_OK)
		wlock_drop(db);
	db->sp_depth = 0;
	return rc;
}

/* Starts a write transaction (BEGIN IMMEDIATE on SQLite). Returns
 * HUB_DB_OK, HUB_DB_EBUSY when the write lock stayed taken for the busy
 * timeout, HUB_DB_EMISUSE when a transaction is already open. */
int hub_store_begin(hub_db *db)
{
	return begin_tx(db, 0);
}

/* Commits. On failure the transaction is rolled back (never left open)
 * and the error returned: HUB_DB_EFULL, HUB_DB_EIO, HUB_DB_EBUSY, ... */
int hub_store_commit(hub_db *db)
{
	int rc;
	if (!db)
		return HUB_DB_EMISUSE;
	rc = db->be->exec(db, "COMMIT");
	if (rc != HUB_DB_OK && db->be->in_tx(db))
		db->be->exec(db, "ROLLBACK");
	db->sp_depth = 0;
	wlock_drop(db);
	return rc;
}

/* Rolls back the open transaction (a no-op returning HUB_DB_OK when none
 * is open). */
int hub_store_rollback(hub_db *db)
{
	int rc = HUB_DB_OK;
	if (!db)
		return HUB_DB_EMISUSE;
	if (db->be->in_tx(db))
		rc = db->be->exec(db, "ROLLBACK");
	db->sp_depth = 0;
	wlock_drop(db);
	return rc;
}

/* See store.h. */
int hub_store_thread_reset(int discard)
{
	hub_db *db = t_db;
	int was_open = 0, found;
	if (!db || t_epoch != __atomic_load_n(&g.epoch, __ATOMIC_ACQUIRE))
		return 0;
	if (db->be->in_tx(db) || db->holds_wlock) {
		was_open = 1;
		hub_store_rollback(db);
	}
	if (!discard)
		return was_open;
	pthread_mutex_lock(&g.lock);
	found = registry_remove(db);
	if (found)
		pthread_setspecific(g.key, NULL);
	pthread_mutex_unlock(&g.lock);
	if (found)
		db->be->close(db);
	t_db = NULL;
	return was_open;
}

int hub_store_in_transaction(hub_db *db)
{
	return db && db->be->in_tx(db);
}

/* Random delay in [d/2, d) milliseconds for retry number `attempt`. */
static void backoff_sleep(int attempt)
{
	static __thread unsigned seed;
	unsigned base = 2u << (attempt < 7 ? attempt : 7); /* 4..256 ms */
	unsigned ms;
	struct timespec ts;
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
	ms = base / 2 + (unsigned)rand_r(&seed) % (base / 2);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Runs fn inside a savepoint of the transaction already open on db. */
static int nested_transaction(hub_db *db, int (*fn)(hub_db *, void *), void *ud)
{
	char sql[64];
	int depth = ++db->sp_depth, rc;
	snprintf(sql, sizeof(sql), "SAVEPOINT hub_sp%d", depth);
	rc = db->be->exec(db, sql);
	if (rc == HUB_DB_OK) {
		rc = fn(db, ud);
		if (rc == HUB_DB_OK) {
			snprintf(sql, sizeof(sql), "RELEASE hub_sp%d", depth);
			rc = db->be->exec(db, sql);
		} else {
			snprintf(sql, sizeof(sql),
				 "ROLLBACK TO hub_sp%d; RELEASE hub_sp%d",
				 depth, depth);
			db->be->exec(db, sql);
		}
	}
	db->sp_depth = depth - 1;
	return rc;
}

/* Transactions run, retried attempts and give-ups (hub_store_tx_stats). */
static hub_store_tx_stats g_txs;

void hub_store_tx_stats_get(hub_store_tx_stats *out)
{
	out->transactions =
	    __atomic_load_n(&g_txs.transactions, __ATOMIC_RELAXED);
	out->retries = __atomic_load_n(&g_txs.retries, __ATOMIC_RELAXED);
	out->gave_up = __atomic_load_n(&g_txs.gave_up, __ATOMIC_RELAXED);
}

/* The retry loop of hub_store_transaction(_rowlocked). */
static int run_transaction(hub_db *db, int rowlocks,
			   int (*fn)(hub_db *, void *), void *ud)
{
	int rc = HUB_DB_EMISUSE, max;
	if (!db || !fn)
		return HUB_DB_EMISUSE;
	if (db->be->in_tx(db))
		return nested_transaction(db, fn, ud);
	__atomic_add_fetch(&g_txs.transactions, 1, __ATOMIC_RELAXED);
	/* optimistic engines (PostgreSQL SERIALIZABLE: other servers'
	 * writers) meet more conflicts than a single writer: more tries */
	max = strcmp(db->be->dialect, "sqlite") == 0 ? TX_MAX_ATTEMPTS
						     : 2 * TX_MAX_ATTEMPTS;
	for (int attempt = 0; attempt < max; attempt++) {
		char why[200] = "busy before it began";
		rc = begin_tx(db, rowlocks);
		if (rc == HUB_DB_OK) {
			rc = fn(db, ud);
			if (rc != HUB_DB_OK && db->be->tx_failure &&
			    db->be->tx_failure(db) == HUB_DB_EBUSY)
				rc = HUB_DB_EBUSY; /* whatever fn made of it */
			/* the reason, before ROLLBACK replaces the message */
			snprintf(why, sizeof(why), "%s", db->be->errmsg(db));
			if (rc == HUB_DB_OK) {
				rc = hub_store_commit(db);
				snprintf(why, sizeof(why), "at commit");
			} else {
				hub_store_rollback(db);
			}
		}
		if (rc != HUB_DB_EBUSY)
			break;
		if (attempt + 1 < max) {
			__atomic_add_fetch(&g_txs.retries, 1, __ATOMIC_RELAXED);
			hub_logf(HUB_LOG_DEBUG, "store",
				 "transaction busy (attempt %d, %s): retrying",
				 attempt + 1, why);
			backoff_sleep(attempt);
		}
	}
	if (rc == HUB_DB_EBUSY) {
		__atomic_add_fetch(&g_txs.gave_up, 1, __ATOMIC_RELAXED);
		hub_logf(HUB_LOG_WARN, "store",
			 "transaction gave up after %d busy attempts", max);
	}
	return rc;
}

/* Runs fn in a write transaction and commits when fn returns HUB_DB_OK;
 * rolls back and returns fn's code otherwise. The whole transaction is
 * retried (fn called again) on HUB_DB_EBUSY, up to TX_MAX_ATTEMPTS times
 * with exponential backoff and jitter, so fn must not keep state between
 * calls. Called inside an open transaction it runs fn in a savepoint
 * without retry. */
int hub_store_transaction(hub_db *db, int (*fn)(hub_db *, void *), void *ud)
{
	return run_transaction(db, 0, fn, ud);
}

/* See store.h: hub_store_transaction for transactions that serialise
 * themselves with a row lock taken first. */
int hub_store_transaction_rowlocked(hub_db *db, int (*fn)(hub_db *, void *),
				    void *ud)
{
	return run_transaction(db, 1, fn, ud);
}

/* -------------------------------------------------------------- dispatch */

int hub_store_prepare(hub_db *db, const char *sql, hub_stmt **out)
{
	if (out)
		*out = NULL;
	if (!db || !sql || !out)
		return HUB_DB_EMISUSE;
	return db->be->prepare(db, sql, out);
}

int hub_store_exec(hub_db *db, const char *sql)
{
	if (!db || !sql)
		return HUB_DB_EMISUSE;
	return db->be->exec(db, sql);
}

int64_t hub_store_last_id(hub_db *db)
{
	return db ? db->be->last_id(db) : 0;
}

int hub_store_changes(hub_db *db)
{
	return db ? db->be->changes(db) : 0;
}

const char *hub_store_errmsg(hub_db *db)
{
	return db ? db->be->errmsg(db) : "no database connection";
}

const char *hub_store_dialect(hub_db *db)
{
	return db ? db->be->dialect : "sqlite";
}

#define STMT_CALL(st, fn, ...)                                                 \
	((st) ? (st)->db->be->fn((st), __VA_ARGS__) : HUB_DB_EMISUSE)

int hub_stmt_bind_text(hub_stmt *st, int idx, const char *s)
{
	return STMT_CALL(st, bind_text, idx, s);
}

int hub_stmt_bind_int(hub_stmt *st, int idx, int64_t v)
{
	return STMT_CALL(st, bind_int, idx, v);
}

int hub_stmt_bind_double(hub_stmt *st, int idx, double v)
{
	return STMT_CALL(st, bind_double, idx, v);
}

int hub_stmt_bind_null(hub_stmt *st, int idx)
{
	return STMT_CALL(st, bind_null, idx);
}

int hub_stmt_bind_blob(hub_stmt *st, int idx, const void *p, size_t n)
{
	return STMT_CALL(st, bind_blob, idx, p, n);
}

int hub_stmt_step(hub_stmt *st)
{
	return st ? st->db->be->step(st) : HUB_DB_EMISUSE;
}

int hub_stmt_reset(hub_stmt *st)
{
	return st ? st->db->be->reset(st) : HUB_DB_EMISUSE;
}

void hub_stmt_finalize(hub_stmt *st)
{
	if (st)
		st->db->be->finalize(st);
}

int hub_col_count(hub_stmt *st)
{
	return st ? st->db->be->col_count(st) : 0;
}

int hub_col_type(hub_stmt *st, int col)
{
	return st ? st->db->be->col_type(st, col) : HUB_DB_NULL;
}

int64_t hub_col_int(hub_stmt *st, int col)
{
	return st ? st->db->be->col_int(st, col) : 0;
}

double hub_col_double(hub_stmt *st, int col)
{
	return st ? st->db->be->col_double(st, col) : 0.0;
}

const char *hub_col_text(hub_stmt *st, int col)
{
	return st ? st->db->be->col_text(st, col) : "";
}

const void *hub_col_blob(hub_stmt *st, int col, size_t *len)
{
	if (!st) {
		if (len)
			*len = 0;
		return NULL;
	}
	return st->db->be->col_blob(st, col, len);
}
