/*
 * test_store.c - the storage API on SQLite: settings, statements and their
 * cache, error codes, transactions (nested, rollback), per-thread
 * connections, migrations (old database, failing migration, newer
 * database), the portability lint and the PostgreSQL rewrite.
 */
#include "testutil.h"
#include "check.h"

#include <pthread.h>
#include <sys/stat.h>

static char dir[512];

/* ------------------------------------------------------------- settings */

static void test_settings(void)
{
	hub_db *db = hub_store_db();
	char txt[64];
	struct stat sb;
	char path[700];

	CHECK(db != NULL);
	tu_text(db, "PRAGMA journal_mode", txt, sizeof(txt));
	CHECK_STR(txt, "wal");
	CHECK_INT(tu_int(db, "PRAGMA synchronous"), 2); /* FULL */
	CHECK_INT(tu_int(db, "PRAGMA foreign_keys"), 1);
	CHECK_STR(hub_store_dialect(db), "sqlite");
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	CHECK_STR(hub_store_path(), path);
	CHECK_STR(hub_store_data_dir(), dir);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	/* double quotes are identifiers, never strings (as in PostgreSQL) */
	hub_stmt *st = NULL;
	CHECK_INT(hub_store_prepare(db, "SELECT \"nosuchcolumn\"", &st),
		  HUB_DB_EMISUSE);
	CHECK(st == NULL);
}

/* ----------------------------------------------------------- statements */

static void test_statements(void)
{
	hub_db *db = hub_store_db();
	hub_stmt *st = NULL, *st2 = NULL;
	const char *ins = "INSERT INTO t (id, name, score, data) "
			  "VALUES (?, ?, ?, ?)";
	size_t len = 0;

	CHECK_INT(hub_store_exec(db, "CREATE TABLE t (id INTEGER PRIMARY "
				     "KEY, name TEXT NOT NULL UNIQUE, score "
				     "REAL, data BLOB)"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_prepare(db, ins, &st), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_int(st, 1, 7), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_text(st, 2, "Müller, Jürgen"), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_double(st, 3, 2.5), HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_blob(st, 4, "\0\1\2", 3), HUB_DB_OK);
	CHECK_INT(hub_stmt_step(st), HUB_DB_DONE);
	CHECK_INT(hub_store_last_id(db), 7);
	CHECK_INT(hub_store_changes(db), 1);
	hub_stmt_finalize(st);

	/* the cache hands back the same statement, bindings cleared */
	CHECK_INT(hub_store_prepare(db, ins, &st2), HUB_DB_OK);
	CHECK(st2 == st);
	CHECK_INT(hub_stmt_bind_int(st2, 1, 8), HUB_DB_OK);
	CHECK_INT(hub_stmt_step(st2), HUB_DB_ECONSTRAINT); /* name NULL */
	hub_stmt_finalize(st2);

	/* unique violation is a constraint error, not a generic one */
	CHECK_INT(hub_store_prepare(db, ins, &st), HUB_DB_OK);
	hub_stmt_bind_int(st, 1, 9);
	hub_stmt_bind_text(st, 2, "Müller, Jürgen");
	hub_stmt_bind_null(st, 3);
	hub_stmt_bind_null(st, 4);
	CHECK_INT(hub_stmt_step(st), HUB_DB_ECONSTRAINT);
	CHECK(strstr(hub_store_errmsg(db), "UNIQUE") != NULL);
	hub_stmt_finalize(st);

	/* two uses of one SQL text at once get two statements */
	const char *sel = "SELECT id, name, score, data FROM t WHERE id >= ?";
	CHECK_INT(hub_store_prepare(db, sel, &st), HUB_DB_OK);
	CHECK_INT(hub_store_prepare(db, sel, &st2), HUB_DB_OK);
	CHECK(st != st2);
	hub_stmt_bind_int(st, 1, 0);
	CHECK_INT(hub_stmt_step(st), HUB_DB_ROW);
	CHECK_INT(hub_col_count(st), 4);
	CHECK_INT(hub_col_type(st, 0), HUB_DB_INT);
	CHECK_INT(hub_col_type(st, 1), HUB_DB_TEXT);
	CHECK_INT(hub_col_type(st, 2), HUB_DB_FLOAT);
	CHECK_INT(hub_col_type(st, 3), HUB_DB_BLOB);
	CHECK_STR(hub_col_text(st, 1), "Müller, Jürgen");
	CHECK(hub_col_double(st, 2) == 2.5);
	const unsigned char *b = hub_col_blob(st, 3, &len);
	CHECK(len == 3 && b && b[0] == 0 && b[2] == 2);
	CHECK_INT(hub_stmt_step(st), HUB_DB_DONE);
	CHECK_INT(hub_stmt_reset(st), HUB_DB_OK);
	CHECK_INT(hub_stmt_step(st), HUB_DB_ROW); /* reset re-runs */
	hub_stmt_bind_int(st2, 1, 100);
	CHECK_INT(hub_stmt_step(st2), HUB_DB_DONE);
	hub_stmt_finalize(st);
	hub_stmt_finalize(st2);
	hub_stmt_finalize(NULL); /* accepted */

	/* misuse: bad SQL, two statements, empty text, bad index */
	CHECK_INT(hub_store_prepare(db, "SELEC 1", &st), HUB_DB_EMISUSE);
	CHECK_INT(hub_store_prepare(db, "SELECT 1; SELECT 2", &st),
		  HUB_DB_EMISUSE);
	CHECK_STR(hub_store_errmsg(db), "one statement per prepare");
	CHECK_INT(hub_store_prepare(db, "  -- nothing", &st), HUB_DB_EMISUSE);
	CHECK_INT(hub_store_prepare(db, "SELECT 1 -- trailing ok", &st),
		  HUB_DB_OK);
	CHECK_INT(hub_stmt_bind_int(st, 5, 1), HUB_DB_EMISUSE);
	hub_stmt_finalize(st);
	/* NULL column text is "" */
	CHECK_INT(hub_store_prepare(db, "SELECT NULL", &st), HUB_DB_OK);
	CHECK_INT(hub_stmt_step(st), HUB_DB_ROW);
	CHECK_STR(hub_col_text(st, 0), "");
	CHECK_INT(hub_col_type(st, 0), HUB_DB_NULL);
	hub_stmt_finalize(st);
}

/* The statement cache evicts idle statements beyond its bound and keeps
 * working (no leak is checked by ASan at exit). */
static void test_cache_bound(void)
{
	hub_db *db = hub_store_db();
	char sql[64];
	int ok = 1;
	for (int i = 0; i < 600 && ok; i++) {
		hub_stmt *st = NULL;
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		ok = hub_store_prepare(db, sql, &st) == HUB_DB_OK &&
		     hub_stmt_step(st) == HUB_DB_ROW && hub_col_int(st, 0) == i;
		hub_stmt_finalize(st);
	}
	CHECK(ok);
}

/* ---------------------------------------------------------- foreign keys */

static void test_foreign_keys(void)
{
	hub_db *db = hub_store_db();
	CHECK_INT(hub_store_exec(db, "CREATE TABLE p (id INTEGER PRIMARY "
				     "KEY); CREATE TABLE c (id INTEGER "
				     "PRIMARY KEY, p INTEGER NOT NULL "
				     "REFERENCES p (id))"),
		  HUB_DB_OK);
	CHECK_INT(hub_store_exec(db, "INSERT INTO c (id, p) VALUES (1, 42)"),
		  HUB_DB_ECONSTRAINT);
}

/* --------------------------------------------------------- transactions */

static int tx_insert(hub_db *db, void *ud)
{
	const char *name = ud;
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db, "INSERT INTO t (name) VALUES (?)", &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, name);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static int tx_insert_then_fail(hub_db *db, void *ud)
{
	int rc = tx_insert(db, ud);
	return rc == HUB_DB_OK ? HUB_DB_ERROR : rc;
}

static int tx_outer(hub_db *db, void *ud)
{
	int rc = tx_insert(db, "outer-1");
	/* an inner failure rolls back only the inner part */
	if (rc == HUB_DB_OK)
		CHECK_INT(
		    hub_store_transaction(db, tx_insert_then_fail, "inner-bad"),
		    HUB_DB_ERROR);
	if (rc == HUB_DB_OK)
		rc = hub_store_transaction(db, tx_insert, "inner-good");
	(void)ud;
	return rc;
}

static void test_transactions(void)
{
	hub_db *db = hub_store_db();
	CHECK_INT(hub_store_transaction(db, tx_insert, "tx-a"), HUB_DB_OK);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = 'tx-a'"), 1);
	CHECK_INT(hub_store_transaction(db, tx_insert_then_fail, "tx-b"),
		  HUB_DB_ERROR);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = 'tx-b'"), 0);
	CHECK(!hub_store_in_transaction(db));
	/* fn's constraint error comes back as such */
	CHECK_INT(hub_store_transaction(db, tx_insert, "tx-a"),
		  HUB_DB_ECONSTRAINT);
	CHECK_INT(hub_store_transaction(db, tx_outer, NULL), HUB_DB_OK);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name IN "
			     "('outer-1', 'inner-good')"),
		  2);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = "
			     "'inner-bad'"),
		  0);
	/* explicit begin/rollback; a second begin is misuse */
	CHECK_INT(hub_store_begin(db), HUB_DB_OK);
	CHECK(hub_store_in_transaction(db));
	CHECK_INT(hub_store_begin(db), HUB_DB_EMISUSE);
	CHECK_INT(tx_insert(db, "rolled-back"), HUB_DB_OK);
	CHECK_INT(hub_store_rollback(db), HUB_DB_OK);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = "
			     "'rolled-back'"),
		  0);
	CHECK_INT(hub_store_rollback(db), HUB_DB_OK); /* nothing open */
	CHECK_INT(hub_store_begin(db), HUB_DB_OK);
	CHECK_INT(tx_insert(db, "committed"), HUB_DB_OK);
	CHECK_INT(hub_store_commit(db), HUB_DB_OK);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = "
			     "'committed'"),
		  1);
}

/* A second thread holding the write lock makes a short-timeout writer of
 * another connection fail with HUB_DB_EBUSY, not hang or corrupt. */
typedef struct holder {
	pthread_mutex_t m;
	pthread_cond_t c;
	int state; /* 1 = holding, 2 = release now, 3 = done */
} holder;

static void *hold_write_lock(void *p)
{
	holder *h = p;
	hub_db *db = hub_store_db();
	hub_store_begin(db);
	tx_insert(db, "held");
	pthread_mutex_lock(&h->m);
	h->state = 1;
	pthread_cond_broadcast(&h->c);
	while (h->state != 2)
		pthread_cond_wait(&h->c, &h->m);
	pthread_mutex_unlock(&h->m);
	hub_store_commit(db);
	return NULL;
}

static void test_busy(void)
{
	holder h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	pthread_t th;
	hub_db *db = hub_store_db();
	long long t0;
	pthread_create(&th, NULL, hold_write_lock, &h);
	pthread_mutex_lock(&h.m);
	while (h.state != 1)
		pthread_cond_wait(&h.c, &h.m);
	pthread_mutex_unlock(&h.m);
	t0 = tu_now_ms();
	CHECK_INT(hub_store_begin(db), HUB_DB_EBUSY);
	CHECK(tu_now_ms() - t0 >= 250); /* waited the busy timeout */
	/* readers are not blocked by the writer (WAL) */
	CHECK(tu_int(db, "SELECT COUNT(*) FROM t") > 0);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = 'held'"), 0);
	pthread_mutex_lock(&h.m);
	h.state = 2;
	pthread_cond_broadcast(&h.c);
	pthread_mutex_unlock(&h.m);
	pthread_join(th, NULL);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM t WHERE name = 'held'"), 1);
	CHECK_INT(hub_store_transaction(db, tx_insert, "after-busy"),
		  HUB_DB_OK);
}

static void *thread_conn(void *p)
{
	hub_db **out = p;
	out[0] = hub_store_db();
	out[1] = hub_store_db();
	return NULL;
}

static void test_per_thread(void)
{
	hub_db *got[2] = {NULL, NULL};
	pthread_t th;
	pthread_create(&th, NULL, thread_conn, got);
	pthread_join(th, NULL);
	CHECK(got[0] != NULL && got[0] == got[1]);
	CHECK(got[0] != hub_store_db());
}

/* ------------------------------------------------------------ migrations */

static const hub_migration_def mig_v1[] = {
    {1,
     "CREATE TABLE m_item (id INTEGER PRIMARY KEY, name TEXT NOT "
     "NULL);"
     "INSERT INTO m_item (name) VALUES ('first')",
     NULL},
};
static const hub_migration_def mig_v2[] = {
    {1,
     "CREATE TABLE m_item (id INTEGER PRIMARY KEY, name TEXT NOT "
     "NULL);"
     "INSERT INTO m_item (name) VALUES ('first')",
     NULL},
    {2,
     "ALTER TABLE m_item ADD COLUMN note TEXT NOT NULL DEFAULT '';"
     "CREATE INDEX m_item_name ON m_item (name)",
     NULL},
};
/* v3 creates a table, then fails half-way: nothing of it may remain. */
static const hub_migration_def mig_v3_bad[] = {
    {1,
     "CREATE TABLE m_item (id INTEGER PRIMARY KEY, name TEXT NOT "
     "NULL)",
     NULL},
    {2, "ALTER TABLE m_item ADD COLUMN note TEXT NOT NULL DEFAULT ''", NULL},
    {3,
     "CREATE TABLE m_half (x INTEGER);"
     "INSERT INTO m_item (name) VALUES ('half');"
     "INSERT INTO m_item (nosuch) VALUES (1)",
     NULL},
};

static void reopen(void)
{
	char err[256];
	hub_store_close();
	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
}

static void test_migrations(void)
{
	char err[256] = "";
	hub_db *db;
	CHECK_INT(hub_store_migrate("mod", mig_v1, 1, err, sizeof(err)), 0);
	db = hub_store_db();
	CHECK_INT(hub_store_schema_version(db, "mod"), 1);
	CHECK_INT(hub_store_schema_version(db, "other"), 0);
	/* an old database (v1) reopened by a build with v1+v2 */
	reopen();
	CHECK_INT(hub_store_migrate("mod", mig_v2, 2, err, sizeof(err)), 0);
	db = hub_store_db();
	CHECK_INT(hub_store_schema_version(db, "mod"), 2);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM m_item WHERE name = "
			     "'first' AND note = ''"),
		  1); /* v1 did not run twice; v2 kept the row */
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM hub_migrations WHERE "
			     "module = 'mod'"),
		  2);
	/* running again changes nothing */
	CHECK_INT(hub_store_migrate("mod", mig_v2, 2, err, sizeof(err)), 0);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM m_item"), 1);

	/* a failing migration leaves everything as it was */
	CHECK_INT(hub_store_migrate("mod", mig_v3_bad, 3, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "module mod migration 3") != NULL);
	CHECK(strstr(err, "nosuch") != NULL);
	CHECK_INT(hub_store_schema_version(db, "mod"), 2);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM m_item"), 1);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE "
			     "name = 'm_half'"),
		  0);
	CHECK(!hub_store_in_transaction(db));

	/* a build that knows less than the database refuses */
	CHECK_INT(hub_store_migrate("mod", mig_v1, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "newer than this build") != NULL);

	/* bad lists are refused before anything runs */
	static const hub_migration_def unordered[] = {{2, "SELECT 1", NULL},
						      {1, "SELECT 1", NULL}};
	CHECK_INT(hub_store_migrate("mod2", unordered, 2, err, sizeof(err)),
		  -1);
	CHECK_INT(hub_store_schema_version(db, "mod2"), 0);
}

/* ------------------------------------------------------------- dialects */

static void test_lint(void)
{
	char why[160];
	static const char *const good[] = {
	    "CREATE TABLE b (id INTEGER PRIMARY KEY, start_utc INTEGER "
	    "NOT NULL, name TEXT, score REAL, raw BLOB, timestamp TEXT)",
	    "INSERT INTO b (name) VALUES (?) ON CONFLICT (name) DO UPDATE "
	    "SET score = excluded.score RETURNING id",
	    "SELECT COALESCE(MAX(x), 0), 'PRAGMA in a string', \"date\" "
	    "FROM t WHERE a LIKE ? -- GLOB in a comment",
	    "SELECT replace(name, 'a', 'b'), lower(x), substr(x, 1, 2) "
	    "FROM t",
	    "INSERT INTO changes (a) VALUES (?)",
	    NULL};
	static const char *const bad[] = {
	    "CREATE TABLE x (id INTEGER PRIMARY KEY AUTOINCREMENT)",
	    "INSERT OR IGNORE INTO x VALUES (?)",
	    "REPLACE INTO x VALUES (?)",
	    "SELECT datetime('now')",
	    "SELECT IFNULL(a, 0) FROM t",
	    "SELECT `a` FROM t",
	    "SELECT a FROM t WHERE id = ?1",
	    "SELECT a FROM t WHERE id = :id",
	    "SELECT a::text FROM t",
	    "PRAGMA user_version",
	    "CREATE TABLE y (created TIMESTAMP)",
	    "CREATE TABLE y (ok BOOLEAN)",
	    "SELECT group_concat(a) FROM t",
	    "SELECT a FROM t WHERE a GLOB 'x*'",
	    NULL};
	int ok = 1;
	for (int i = 0; good[i]; i++) {
		if (hub_store_sql_lint(good[i], why, sizeof(why)) != 0) {
			fprintf(stderr, "lint flagged good SQL %d: %s\n", i,
				why);
			ok = 0;
		}
	}
	CHECK(ok);
	ok = 1;
	for (int i = 0; bad[i]; i++) {
		if (hub_store_sql_lint(bad[i], why, sizeof(why)) == 0 ||
		    !why[0]) {
			fprintf(stderr, "lint passed bad SQL %d\n", i);
			ok = 0;
		}
	}
	CHECK(ok);
	hub_store_sql_lint("SELECT strftime('%s', x) FROM t", why, sizeof(why));
	CHECK(strstr(why, "strftime") != NULL);
}

static void test_pg_rewrite(void)
{
	char *s = hub_store_sql_to_pg(
	    "CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
	    "r REAL, d BLOB, t TEXT DEFAULT 'INTEGER ?')");
	CHECK_STR(s, "CREATE TABLE b (id BIGINT GENERATED BY DEFAULT AS "
		     "IDENTITY PRIMARY KEY, n BIGINT NOT NULL, r DOUBLE "
		     "PRECISION, d BYTEA, t TEXT DEFAULT 'INTEGER ?')");
	free(s);
	s = hub_store_sql_to_pg("SELECT a FROM t WHERE b = ? AND c = 'it''s "
				"?' AND \"d?\" > ? -- ?\n LIMIT ?");
	CHECK_STR(s, "SELECT a FROM t WHERE b = $1 AND c = 'it''s ?' AND "
		     "\"d?\" > $2 -- ?\n LIMIT $3");
	free(s);
	s = hub_store_sql_to_pg("SELECT x1, 2.5e3 FROM t2");
	CHECK_STR(s, "SELECT x1, 2.5e3 FROM t2");
	free(s);
}

int main(void)
{
	char err[256] = "";
	tu_mkdtemp(dir, sizeof(dir), "store");
	hub_store_set_busy_timeout(300);
	CHECK(hub_store_db() == NULL); /* not open yet */
	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	CHECK_INT(hub_store_open(dir, err, sizeof(err)), -1); /* twice */
	test_settings();
	test_statements();
	test_cache_bound();
	test_foreign_keys();
	test_transactions();
	test_busy();
	test_per_thread();
	test_migrations();
	test_lint();
	test_pg_rewrite();
	hub_store_close();
	CHECK(hub_store_db() == NULL);
	CHECK(hub_store_path() == NULL);
	/* opening a data_dir that is a file fails cleanly */
	char file[600];
	snprintf(file, sizeof(file), "%s/hub.db", dir);
	CHECK_INT(hub_store_open(file, err, sizeof(err)), -1);
	CHECK(strstr(err, "Not a directory") != NULL);
	tu_rmtree(dir);
	return check_report("store");
}
