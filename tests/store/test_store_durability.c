/*
 * test_store_durability.c - what the storage service promises under
 * stress:
 *   - many writer threads (and two writer processes) doing read-modify-
 *     write transactions lose no update;
 *   - a writer process killed with SIGKILL mid-load loses no write it had
 *     acknowledged (printed after its commit returned), and the database
 *     passes integrity_check;
 *   - a full disk gives HUB_DB_EFULL, the database stays intact and
 *     usable once space is back (a real tmpfs when we may mount one, and
 *     always an injected limit via PRAGMA max_page_count).
 */
#include "testutil.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define THREADS	   8
#define INCREMENTS 150

static char dir[512];

static void open_store(const char *d)
{
	char err[256];
	if (hub_store_open(d, err, sizeof(err)) != 0) {
		fprintf(stderr, "open %s: %s\n", d, err);
		exit(2);
	}
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n "
    "INTEGER NOT NULL);"
    "INSERT INTO counter (id, n) VALUES (1, 0) ON CONFLICT (id) DO "
    "NOTHING;"
    "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, who "
    "TEXT NOT NULL, seen INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS acked (id INTEGER PRIMARY KEY, writer "
    "INTEGER NOT NULL, payload TEXT NOT NULL)";

/* ------------------------------------------------------ no lost update */

/* Reads the counter, writes it back plus one, and logs what it saw: any
 * lost update shows as counter < number of ledger rows. */
static int tx_increment(hub_db *db, void *ud)
{
	hub_stmt *st = NULL;
	int64_t n = -1;
	int rc =
	    hub_store_prepare(db, "SELECT n FROM counter WHERE id = 1", &st);
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
		rc = hub_store_prepare(db,
				       "INSERT INTO ledger (who, seen) VALUES "
				       "(?, ?)",
				       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, (const char *)ud);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, n);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static int g_failures;

static void *incrementer(void *p)
{
	hub_db *db = hub_store_db();
	for (int i = 0; i < INCREMENTS; i++)
		if (!db ||
		    hub_store_transaction(db, tx_increment, p) != HUB_DB_OK)
			__atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void run_incrementers(const char *who, int nthreads)
{
	pthread_t th[THREADS];
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, incrementer, (void *)who);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
}

static void test_threads_no_lost_update(void)
{
	hub_db *db;
	open_store(dir);
	db = hub_store_db();
	CHECK_INT(hub_store_exec(db, schema), HUB_DB_OK);
	run_incrementers("threads", THREADS);
	CHECK_INT(g_failures, 0);
	CHECK_INT(tu_int(db, "SELECT n FROM counter"), THREADS * INCREMENTS);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM ledger"),
		  THREADS * INCREMENTS);
	/* every value was seen exactly once: no two transactions read the
	 * same counter value */
	CHECK_INT(tu_int(db, "SELECT COUNT(DISTINCT seen) FROM ledger"),
		  THREADS * INCREMENTS);
	hub_store_close();
}

/* Two processes with four threads each: the cross-process path (SQLite's
 * busy timeout plus the transaction retry) loses nothing either. */
static void test_processes_no_lost_update(void)
{
	pid_t kids[2];
	int status, ok = 1;
	hub_db *db;
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			open_store(dir);
			run_incrementers(k ? "proc-b" : "proc-a", 4);
			hub_store_close();
			_exit(g_failures ? 1 : 0);
		}
	}
	for (int k = 0; k < 2; k++) {
		waitpid(kids[k], &status, 0);
		ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CHECK(ok);
	open_store(dir);
	db = hub_store_db();
	CHECK_INT(tu_int(db, "SELECT n FROM counter"),
		  (THREADS + 8) * INCREMENTS);
	CHECK_INT(tu_int(db, "SELECT COUNT(DISTINCT seen) FROM ledger"),
		  (THREADS + 8) * INCREMENTS);
	hub_store_close();
}

/* ------------------------------------------------------------ SIGKILL */

typedef struct ack_writer {
	int fd; /* pipe to the parent */
	int n;	/* writer number */
} ack_writer;

static int tx_ack_insert(hub_db *db, void *ud)
{
	int64_t *id = ud;
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db,
				   "INSERT INTO acked (writer, payload) VALUES "
				   "(?, ?) RETURNING id",
				   &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 1, id[1]);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 2,
					"some payload that makes the row a bit "
					"longer than an integer would");
	if (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		id[0] = hub_col_int(st, 0);
		rc = hub_stmt_step(st);
	}
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static void *ack_loop(void *p)
{
	ack_writer *w = p;
	hub_db *db = hub_store_db();
	char line[32];
	for (;;) {
		int64_t id[2] = {0, w->n};
		if (hub_store_transaction(db, tx_ack_insert, id) != HUB_DB_OK)
			continue;
		/* acknowledged only now, after the commit returned */
		int n =
		    snprintf(line, sizeof(line), "%lld\n", (long long)id[0]);
		if (write(w->fd, line, (size_t)n) != n)
			_exit(3);
	}
	return NULL;
}

/* Reads acknowledged ids from fd into ids[]; stops after `kill_after`
 * ids (then kills pid) and drains to EOF. Returns the count. */
static size_t collect_acks(int fd, pid_t pid, size_t kill_after, int64_t *ids,
			   size_t max)
{
	char buf[4096], part[32];
	size_t n = 0, plen = 0;
	int killed = 0;
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (plen < sizeof(part) - 1)
					part[plen++] = buf[i];
				continue;
			}
			part[plen] = 0;
			plen = 0;
			if (n < max)
				ids[n++] = strtoll(part, NULL, 10);
		}
		if (!killed && n >= kill_after) {
			kill(pid, SIGKILL);
			killed = 1;
		}
	}
	if (!killed)
		kill(pid, SIGKILL);
	return n;
}

static void test_sigkill(void)
{
	static int64_t ids[200000];
	char txt[64];
	for (int round = 0; round < 3; round++) {
		int fds[2];
		size_t n, missing = 0;
		pid_t pid;
		hub_db *db;
		if (pipe(fds) != 0)
			exit(2);
		pid = fork();
		if (pid == 0) {
			static ack_writer w[4];
			pthread_t th;
			close(fds[0]);
			open_store(dir);
			for (int i = 0; i < 4; i++) {
				w[i].fd = fds[1];
				w[i].n = i;
				pthread_create(&th, NULL, ack_loop, &w[i]);
			}
			pause();
			_exit(0);
		}
		close(fds[1]);
		n = collect_acks(fds[0], pid, 60 + (size_t)round * 90, ids,
				 sizeof(ids) / sizeof(ids[0]));
		close(fds[0]);
		waitpid(pid, NULL, 0);
		CHECK(n >= 60);

		open_store(dir);
		db = hub_store_db();
		tu_text(db, "PRAGMA integrity_check", txt, sizeof(txt));
		CHECK_STR(txt, "ok");
		for (size_t i = 0; i < n; i++) {
			hub_stmt *st = NULL;
			int rc = hub_store_prepare(
			    db, "SELECT 1 FROM acked WHERE id = ?", &st);
			if (rc == HUB_DB_OK)
				hub_stmt_bind_int(st, 1, ids[i]);
			if (rc != HUB_DB_OK || hub_stmt_step(st) != HUB_DB_ROW)
				missing++;
			hub_stmt_finalize(st);
		}
		printf("sigkill round %d: %zu acknowledged, %zu missing, %lld "
		       "rows\n",
		       round, n, missing,
		       tu_int(db, "SELECT COUNT(*) FROM acked"));
		CHECK_INT(missing, 0);
		CHECK(tu_int(db, "SELECT COUNT(*) FROM acked") >= (long long)n);
		hub_store_close();
	}
}

/* ------------------------------------------------------------ full disk */

/* Inserts 2 KiB rows in single-row transactions until one fails. Returns
 * the failing code; *ok counts the committed rows. */
static int fill(hub_db *db, long long *ok)
{
	static char blob[2048];
	int rc;
	memset(blob, 'x', sizeof(blob));
	for (;;) {
		hub_stmt *st = NULL;
		rc = hub_store_begin(db);
		if (rc == HUB_DB_OK)
			rc = hub_store_prepare(db,
					       "INSERT INTO filler (data) "
					       "VALUES (?)",
					       &st);
		if (rc == HUB_DB_OK)
			rc = hub_stmt_bind_blob(st, 1, blob, sizeof(blob));
		if (rc == HUB_DB_OK)
			rc = hub_stmt_step(st);
		hub_stmt_finalize(st);
		if (rc == HUB_DB_DONE)
			rc = hub_store_commit(db);
		else
			hub_store_rollback(db);
		if (rc != HUB_DB_OK)
			return rc;
		(*ok)++;
	}
}

static void check_after_full(const char *d, long long committed)
{
	char txt[64];
	hub_db *db;
	open_store(d);
	db = hub_store_db();
	tu_text(db, "PRAGMA integrity_check", txt, sizeof(txt));
	CHECK_STR(txt, "ok");
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM filler"), committed);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM keep WHERE v = 'before'"),
		  1);
	/* usable again */
	CHECK_INT(hub_store_exec(db, "INSERT INTO keep (v) VALUES ('after')"),
		  HUB_DB_OK);
	hub_store_close();
}

static const char full_schema[] =
    "CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE keep (v TEXT NOT NULL);"
    "INSERT INTO keep (v) VALUES ('before')";

static void test_full_injected(void)
{
	char d[600];
	long long ok = 0;
	hub_db *db;
	snprintf(d, sizeof(d), "%s/full-injected", dir);
	open_store(d);
	db = hub_store_db();
	CHECK_INT(hub_store_exec(db, full_schema), HUB_DB_OK);
	/* the file may not grow beyond ~100 pages on this connection */
	CHECK_INT(hub_store_exec(db, "PRAGMA max_page_count = 100"), HUB_DB_OK);
	CHECK_INT(fill(db, &ok), HUB_DB_EFULL);
	CHECK(ok > 10);
	CHECK(!hub_store_in_transaction(db));
	hub_store_close();
	check_after_full(d, ok);
}

static void test_full_tmpfs(void)
{
	char d[600], filler[700];
	long long ok = 0;
	int rc, fd;
	hub_db *db;
	snprintf(d, sizeof(d), "%s/full-tmpfs", dir);
	mkdir(d, 0700);
	if (geteuid() != 0 || mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV,
				    "size=768k") != 0) {
		printf("note: full-disk on a real tmpfs skipped (%s); the "
		       "injected limit still ran\n",
		       geteuid() ? "not root" : strerror(errno));
		return;
	}
	/* 128 KiB we give back once the disk is full, as an admin would */
	snprintf(filler, sizeof(filler), "%s/reserve", d);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	for (int i = 0; fd >= 0 && i < 32; i++) {
		static char page[4096];
		if (write(fd, page, sizeof(page)) != sizeof(page))
			break;
	}
	if (fd >= 0)
		close(fd);
	open_store(d);
	db = hub_store_db();
	CHECK_INT(hub_store_exec(db, full_schema), HUB_DB_OK);
	rc = fill(db, &ok);
	printf("tmpfs full after %lld rows: %s (%s)\n", ok,
	       hub_store_rc_name(rc), hub_store_errmsg(db));
	CHECK_INT(rc, HUB_DB_EFULL);
	CHECK(ok > 10);
	hub_store_close();
	unlink(filler);
	check_after_full(d, ok);
	CHECK_INT(umount(d), 0);
}

int main(void)
{
	tu_mkdtemp(dir, sizeof(dir), "durable");
	signal(SIGPIPE, SIG_IGN);
	test_threads_no_lost_update();
	test_processes_no_lost_update();
	test_sigkill();
	test_full_injected();
	test_full_tmpfs();
	tu_rmtree(dir);
	return check_report("store durability");
}
