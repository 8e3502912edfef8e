/*
 * test_store_pg.c - the PostgreSQL engine against a real server (run by
 * tests/scale/servers.sh, which exports HUB_PG_DSN and the pg_ctl
 * details):
 *   - types round-trip: integers, doubles, text with umlauts, NULL, blobs
 *     with zero bytes, booleans and numeric sums read as integers;
 *   - error mapping: unique / check / not-null violations give
 *     HUB_DB_ECONSTRAINT, bad SQL HUB_DB_EMISUSE;
 *   - a transaction whose statement failed is never reported committed;
 *   - 8 threads of read-modify-write transactions lose no update
 *     (SERIALIZABLE conflicts are retried);
 *   - row-locked transactions (hub_store_transaction_rowlocked) run at
 *     READ COMMITTED outside the writer queue (one of another row
 *     commits while the first is open), keep a capacity exact under 8
 *     threads without a single retry, and retries are counted;
 *   - portable migrations are rewritten (identity columns, last_id);
 *   - the server restarted under an open store: the next statement
 *     reconnects, prepared statements are re-prepared;
 *   - a bad DSN fails hub_store_open with one line.
 */
#include "../store/testutil.h"
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define THREADS	   8
#define INCREMENTS 60

static char g_dir[512];

static void open_pg(const char *dsn)
{
	char err[512];
	setenv("HUB_STORAGE_BACKEND", "postgresql", 1);
	setenv("HUB_DATABASE_URL", dsn, 1);
	setenv("HUB_STORAGE_SCHEMA", "per-data-dir", 1);
	if (hub_store_open(g_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "open: %s\n", err);
		exit(2);
	}
}

static void test_types(hub_db *db)
{
	hub_stmt *st = NULL;
	const unsigned char blob[5] = {0, 1, 0xff, 0, 7};
	const void *p;
	size_t n = 0;
	CHECK_STR(hub_store_dialect(db), "postgresql");
	CHECK_INT(hub_store_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, "
				     "i INTEGER, r REAL, s TEXT, b BLOB)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_prepare(db,
				    "INSERT INTO t (i, r, s, b) VALUES "
				    "(?, ?, ?, ?)",
				    &st),
		  HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_int(st, 1, 9007199254740993LL), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_double(st, 2, 0.1), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_text(st, 3, "Grüße 'x'"), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_blob(st, 4, blob, sizeof(blob)), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_int(st, 5, 1), HUB_DB_EMISUSE);
	CHECK_INT(hub_stmt_step(st), HUB_DB_DONE);
	CHECK_INT(hub_store_changes(db), 1);
	CHECK_INT(hub_store_last_id(db), 1);
	/* the cached statement again, with a NULL */
	hub_stmt_finalize(st);
	CHECK_INT(hub_store_prepare(db,
				    "INSERT INTO t (i, r, s, b) VALUES "
				    "(?, ?, ?, ?)",
				    &st),
		  HUB_DB_OK);
	hub_stmt_bind_int(st, 1, -5);
	hub_stmt_bind_null(st, 2);
	hub_stmt_bind_text(st, 3, NULL);
	hub_stmt_bind_null(st, 4);
	CHECK_INT(hub_stmt_step(st), HUB_DB_DONE);
	CHECK_INT(hub_store_last_id(db), 2);
	hub_stmt_finalize(st);

	CHECK_INT(hub_store_prepare(db,
				    "SELECT i, r, s, b, i > 0, SUM(i) OVER () "
				    "FROM t WHERE id = ?",
				    &st),
		  HUB_DB_OK);
	hub_stmt_bind_int(st, 1, 1);
	CHECK_INT(hub_stmt_step(st), HUB_DB_ROW);
	CHECK_INT(hub_col_count(st), 6);
	CHECK_INT(hub_col_type(st, 0), HUB_DB_INT);
	CHECK(hub_col_int(st, 0) == 9007199254740993LL);
	CHECK_INT(hub_col_type(st, 1), HUB_DB_FLOAT);
	CHECK(hub_col_double(st, 1) == 0.1);
	CHECK_STR(hub_col_text(st, 2), "Grüße 'x'");
	CHECK_INT(hub_col_type(st, 3), HUB_DB_BLOB);
	p = hub_col_blob(st, 3, &n);
	CHECK(n == sizeof(blob) && p && memcmp(p, blob, n) == 0);
	CHECK_INT(hub_col_int(st, 4), 1);
	CHECK_INT(hub_col_type(st, 5), HUB_DB_INT);
	CHECK_INT(hub_col_int(st, 5), 9007199254740993LL);
	CHECK_INT(hub_stmt_step(st), HUB_DB_DONE);
	/* reset keeps the bindings, as on SQLite */
	CHECK_INT(hub_stmt_reset(st), HUB_DB_OK);
	CHECK_INT(hub_stmt_step(st), HUB_DB_ROW);
	hub_stmt_finalize(st);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE r IS NULL AND s IS "
			     "NULL AND b IS NULL"),
		  1);
}

static void test_errors(hub_db *db)
{
	CHECK_INT(hub_store_exec(db, "CREATE TABLE u (k TEXT NOT NULL UNIQUE, "
				     "n INTEGER CHECK (n >= 0))"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES ('a', 1)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES ('a', 2)"),
		  HUB_DB_ECONSTRAINT);
	CHECK(strstr(hub_store_errmsg(db), "duplicate") != NULL);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES ('b', -1)"),
		  HUB_DB_ECONSTRAINT);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES (NULL, 1)"),
		  HUB_DB_ECONSTRAINT);
	CHECK_INT(hub_store_exec(db, "SELEKT 1"), HUB_DB_EMISUSE);
	CHECK_INT(hub_store_exec(db, "SELECT * FROM no_such_table"),
		  HUB_DB_EMISUSE);
	/* a failed statement inside a transaction: COMMIT must not pass */
	CHECK_INT(hub_store_begin(db), HUB_DB_OK);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES ('c', 1)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES ('a', 1)"),
		  HUB_DB_ECONSTRAINT);
	CHECK(hub_store_commit(db) != HUB_DB_OK);
	CHECK_INT(hub_store_in_transaction(db), 0);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM u WHERE k = 'c'"), 0);
	/* nested transactions are savepoints */
	CHECK_INT(hub_store_begin(db), HUB_DB_OK);
	CHECK_INT(hub_store_exec(db, "INSERT INTO u (k, n) VALUES ('d', 1)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_commit(db), HUB_DB_OK);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM u"), 2);
}

/* ------------------------------------------------------ no lost update */

static int tx_increment(hub_db *db, void *ud)
{
	hub_stmt *st = NULL;
	int64_t n = -1;
	int rc =
	    hub_store_prepare(db, "SELECT n FROM counter WHERE id = 1", &st);
	(void)ud;
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		n = hub_col_int(st, 0);
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	st = NULL;
	if (rc == HUB_DB_OK)
		rc = hub_store_prepare(
		    db, "UPDATE counter SET n = ? WHERE id = 1", &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, n + 1);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	st = NULL;
	if (rc == HUB_DB_DONE)
		rc = hub_store_prepare(
		    db, "INSERT INTO ledger (seen) VALUES (?)", &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, n);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static int g_failures;

static void *incrementer(void *p)
{
	hub_db *db = hub_store_db();
	(void)p;
	for (int i = 0; i < INCREMENTS; i++)
		if (!db ||
		    hub_store_transaction(db, tx_increment, NULL) != HUB_DB_OK)
			__atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_no_lost_update(hub_db *db)
{
	pthread_t th[THREADS];
	CHECK_INT(hub_store_exec(db, "CREATE TABLE counter (id INTEGER "
				     "PRIMARY KEY, n INTEGER NOT NULL);"
				     "INSERT INTO counter VALUES (1, 0);"
				     "CREATE TABLE ledger (id INTEGER PRIMARY "
				     "KEY, seen INTEGER NOT NULL UNIQUE)"),
		  HUB_DB_OK);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, incrementer, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(g_failures, 0);
	CHECK_INT(tu_int(db, "SELECT n FROM counter"), THREADS * INCREMENTS);
	CHECK_INT(tu_int(db, "SELECT COUNT(DISTINCT seen) FROM ledger"),
		  THREADS * INCREMENTS);
}

/* ------------------------------------------------ row-locked transactions */

#define CAP	     5 /* places per slot */
#define SLOTS	     4
#define ATTEMPTS_PER 12 /* per thread: 8 * 12 = 96 tries for 20 places */

/* The isolation level of the open transaction into ud (char[32]). */
static int tx_isolation(hub_db *db, void *ud)
{
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(
	    db, "SELECT current_setting('transaction_isolation')", &st);
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		snprintf(ud, 32, "%s", hub_col_text(st, 0));
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	return rc;
}

/* Locks slot *(int *)ud's row (upsert), then adds an item when it has
 * fewer than CAP: the booking module's pattern. */
static int tx_book(hub_db *db, void *ud)
{
	int slot = *(int *)ud, n = 0;
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db,
				   "INSERT INTO rl_locks (slot, v) VALUES (?, "
				   "1) ON CONFLICT (slot) DO UPDATE SET v = "
				   "rl_locks.v + 1",
				   &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, slot);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	st = NULL;
	if (rc == HUB_DB_DONE)
		rc = hub_store_prepare(
		    db, "SELECT COUNT(*) FROM rl_items WHERE slot = ?", &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, slot);
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW)
		n = (int)hub_col_int(st, 0);
	hub_stmt_finalize(st);
	st = NULL;
	if (rc != HUB_DB_ROW)
		return rc < 0 ? rc : HUB_DB_ERROR;
	if (n >= CAP)
		return HUB_DB_ENOTFOUND; /* full: rolled back */
	rc = hub_store_prepare(db, "INSERT INTO rl_items (slot) VALUES (?)",
			       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, slot);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static int g_rl_errors;

static void *booker(void *p)
{
	hub_db *db = hub_store_db();
	int t = (int)(intptr_t)p;
	for (int i = 0; i < ATTEMPTS_PER; i++) {
		int slot = (t + i) % SLOTS, rc;
		rc = db ? hub_store_transaction_rowlocked(db, tx_book, &slot)
			: HUB_DB_ERROR;
		if (rc != HUB_DB_OK && rc != HUB_DB_ENOTFOUND)
			__atomic_add_fetch(&g_rl_errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Thread A holds slot 100's lock in a row-locked transaction until B's
 * row-locked transaction of slot 101 has committed (at most 5 s): with
 * the writer queue B would wait for A. */
static int g_b_done, g_a_saw_b;

static int tx_hold(hub_db *db, void *ud)
{
	int slot = 100, rc = tx_book(db, &slot);
	(void)ud;
	for (int i = 0;
	     i < 500 && !__atomic_load_n(&g_b_done, __ATOMIC_SEQ_CST); i++) {
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	g_a_saw_b = __atomic_load_n(&g_b_done, __ATOMIC_SEQ_CST);
	return rc;
}

static void *holder(void *p)
{
	hub_db *db = hub_store_db();
	(void)p;
	if (!db ||
	    hub_store_transaction_rowlocked(db, tx_hold, NULL) != HUB_DB_OK)
		__atomic_add_fetch(&g_rl_errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Busy on its first call, fine on the second. */
static int tx_busy_once(hub_db *db, void *ud)
{
	(void)db;
	return (*(int *)ud)++ == 0 ? HUB_DB_EBUSY : HUB_DB_OK;
}

static void test_rowlocked(hub_db *db)
{
	char iso[32] = "";
	pthread_t th[THREADS], a;
	hub_store_tx_stats s0, s1;
	int calls = 0, slot = 101;

	CHECK_INT(hub_store_exec(db, "CREATE TABLE rl_locks (slot INTEGER "
				     "PRIMARY KEY, v INTEGER NOT NULL);"
				     "CREATE TABLE rl_items (id INTEGER "
				     "PRIMARY KEY, slot INTEGER NOT NULL)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_transaction_rowlocked(db, tx_isolation, iso),
		  HUB_DB_OK);
	CHECK_STR(iso, "read committed");
	CHECK_INT(hub_store_transaction(db, tx_isolation, iso), HUB_DB_OK);
	CHECK_STR(iso, "serializable");

	/* outside the writer queue: B commits while A is open */
	pthread_create(&a, NULL, holder, NULL);
	{
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
	}
	CHECK_INT(hub_store_transaction_rowlocked(db, tx_book, &slot),
		  HUB_DB_OK);
	__atomic_store_n(&g_b_done, 1, __ATOMIC_SEQ_CST);
	pthread_join(a, NULL);
	CHECK(g_a_saw_b);

	/* exact capacity under 8 threads, without retries */
	hub_store_tx_stats_get(&s0);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, booker, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	hub_store_tx_stats_get(&s1);
	CHECK_INT(g_rl_errors, 0);
	for (int k = 0; k < SLOTS; k++) {
		char sql[80];
		snprintf(sql, sizeof(sql),
			 "SELECT COUNT(*) FROM rl_items WHERE slot = %d", k);
		CHECK_INT(tu_int(db, sql), CAP);
	}
	CHECK(s1.transactions - s0.transactions ==
	      (unsigned long long)(THREADS * ATTEMPTS_PER));
	CHECK(s1.retries == s0.retries);
	CHECK(s1.gave_up == s0.gave_up);

	/* a busy attempt is retried and counted */
	CHECK_INT(hub_store_transaction_rowlocked(db, tx_busy_once, &calls),
		  HUB_DB_OK);
	CHECK_INT(calls, 2);
	hub_store_tx_stats_get(&s0);
	CHECK(s0.retries == s1.retries + 1);
	CHECK(s0.transactions == s1.transactions + 1);
}

static void test_migration(void)
{
	static const hub_migration_def defs[] = {
	    {1,
	     "CREATE TABLE m (id INTEGER PRIMARY KEY, v REAL NOT NULL, "
	     "b BLOB)",
	     NULL},
	    {2, "ALTER TABLE m ADD COLUMN w INTEGER", NULL},
	};
	char err[256];
	hub_db *db = hub_store_db();
	CHECK_INT(hub_store_migrate("pgtest", defs, 2, err, sizeof(err)), 0);
	CHECK_INT(hub_store_schema_version(db, "pgtest"), 2);
	CHECK_INT(hub_store_exec(db, "INSERT INTO m (v, w) VALUES (1.5, 2)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_last_id(db), 1);
	CHECK_INT(hub_store_migrate("pgtest", defs, 2, err, sizeof(err)), 0);
}

/* Restarts the server (pg_ctl restart as its owner) under the open store:
 * a cached statement and a plain exec both work afterwards. */
static void test_restart(hub_db *db)
{
	const char *run = getenv("HUB_PG_RUN"), *bin = getenv("HUB_PG_BIN"),
		   *data = getenv("HUB_PG_DIR");
	char cmd[2048];
	if (!bin || !data) {
		fprintf(stderr, "restart test needs servers.sh\n");
		CHECK(0);
		return;
	}
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM counter"), 1);
	snprintf(cmd, sizeof(cmd),
		 "%s %s/pg_ctl -D %s -m fast -w restart -l %s/../pg.log "
		 ">/dev/null",
		 run ? run : "", bin, data, data);
	CHECK_INT(system(cmd), 0);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM counter"), 1);
	CHECK_INT(hub_store_exec(db, "UPDATE counter SET n = n + 1"),
		  HUB_DB_OK);
	CHECK_INT(tu_int(db, "SELECT n FROM counter"),
		  THREADS * INCREMENTS + 1);
}

int main(void)
{
	const char *dsn = getenv("HUB_PG_DSN");
	char err[512];
	hub_db *db;
	if (!dsn) {
		fprintf(stderr, "HUB_PG_DSN unset: run under servers.sh\n");
		return 77;
	}
	tu_mkdtemp(g_dir, sizeof(g_dir), "pg");
	/* a bad DSN: one line naming the problem */
	setenv("HUB_STORAGE_BACKEND", "postgresql", 1);
	setenv("HUB_DATABASE_URL", "postgresql://hub@127.0.0.1:1/hub", 1);
	CHECK_INT(hub_store_open(g_dir, err, sizeof(err)), -1);
	CHECK(strstr(err, "postgresql:") == err && !strchr(err, '\n'));
	open_pg(dsn);
	db = hub_store_db();
	CHECK(db != NULL);
	if (!db)
		return check_report("store_pg");
	test_types(db);
	test_errors(db);
	test_no_lost_update(db);
	test_rowlocked(db);
	test_migration();
	test_restart(db);
	hub_store_close();
	tu_rmtree(g_dir);
	return check_report("store_pg");
}
