/*
 * test_backup.c - backups: names, the rotation policy on fabricated
 * timestamps (business-zone days and ISO weeks), backups taken under a
 * write load that restore to a consistent database, list order, verify
 * of damaged and foreign files, restore refused while a server holds the
 * data directory, the safety copy a restore makes, and rotation on disk.
 */
#include "testutil.h"
#include "check.h"
#include "hub_time.h"
#include "ops/ops.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

static char dir[512];

static int64_t at_ms(const char *rfc3339)
{
	int64_t t = 0;
	if (hub_time_parse(rfc3339, &t) != 0) {
		fprintf(stderr, "bad time %s\n", rfc3339);
		exit(2);
	}
	return t * 1000;
}

/* ----------------------------------------------------------------- names */

static void test_names(void)
{
	int64_t t = 0;
	CHECK_INT(hub_ops_backup_name_time("hub-20261128T004512.123Z.db", &t),
		  0);
	CHECK_INT(t, at_ms("2026-11-28T00:45:12Z") + 123);
	CHECK_INT(
	    hub_ops_backup_name_time("hub-20261128T004512.123Z.db.tmp", &t),
	    -1);
	CHECK_INT(hub_ops_backup_name_time("hub-20261131T004512.123Z.db", &t),
		  -1); /* no 31 November */
	CHECK_INT(hub_ops_backup_name_time("hub-20261128T244512.123Z.db", &t),
		  -1);
	CHECK_INT(hub_ops_backup_name_time("hub-20261128 004512.123Z.db", &t),
		  -1);
	CHECK_INT(hub_ops_backup_name_time("other.db", &t), -1);
}

/* ------------------------------------------------------ rotation policy */

static void test_select(void)
{
	/* one backup a day at 03:00 local from 2026-10-01 to 2026-11-27
	 * (a Friday, ISO week 48), plus two more on the last day */
	int64_t t[64];
	int keep[64];
	size_t n = 0;
	hub_date d = {2026, 10, 1}, last = {2026, 11, 27};
	while (hub_date_diff(last, d) >= 0) {
		int64_t s;
		hub_time_from_local(d, 3, 0, &s);
		t[n++] = s * 1000;
		d = hub_date_add(d, 1);
	}
	size_t n_days = n;
	t[n++] = at_ms("2026-11-27T09:00:00+01:00");
	t[n++] = at_ms("2026-11-27T15:00:00.000+01:00") + 7;
	hub_ops_backup_select(t, n, 7, 4, keep);

	/* expected: days 11-21..11-26 at 03:00, 11-27 15:00 (newest of its
	 * day), and the newest of weeks 46 (Sun 11-15) and 45 (Sun 11-08);
	 * week 47's newest (Sun 11-22) is already a daily one */
	char want[16][11] = {"2026-11-21", "2026-11-22", "2026-11-23",
			     "2026-11-24", "2026-11-25", "2026-11-26",
			     "2026-11-15", "2026-11-08"};
	int kept = 0, ok = 1;
	for (size_t i = 0; i < n; i++) {
		hub_date kd;
		char ds[11];
		int hh, should = 0;
		hub_time_to_local(t[i] / 1000, &kd, &hh, NULL, NULL, NULL);
		hub_date_format(kd, ds);
		for (int k = 0; k < 8; k++)
			should |= strcmp(ds, want[k]) == 0;
		if (strcmp(ds, "2026-11-27") == 0)
			should = hh == 15;
		if (keep[i] != should) {
			fprintf(stderr, "select: %s %02d:00 keep=%d want %d\n",
				ds, hh, keep[i], should);
			ok = 0;
		}
		kept += keep[i];
	}
	CHECK(ok);
	CHECK_INT(kept, 9);
	CHECK(n_days == 58);

	/* days are business-zone days: 23:30 and 00:30 local are two days
	 * although both are on the same UTC date */
	int64_t edge[3] = {at_ms("2026-11-26T22:30:00Z"),
			   at_ms("2026-11-26T23:30:00Z"),
			   at_ms("2026-11-26T21:00:00Z")};
	int k3[3];
	hub_ops_backup_select(edge, 3, 2, 0, k3);
	CHECK(k3[0] == 1 && k3[1] == 1 && k3[2] == 0);

	/* keep nothing by policy: the newest stays anyway */
	hub_ops_backup_select(edge, 3, 0, 0, k3);
	CHECK(k3[0] == 0 && k3[1] == 1 && k3[2] == 0);

	/* weeks only, across the year end: ISO 2026-W53 and 2027-W01 */
	int64_t wk[4] = {at_ms("2026-12-28T10:00:00+01:00"),
			 at_ms("2027-01-03T10:00:00+01:00"),
			 at_ms("2027-01-04T10:00:00+01:00"),
			 at_ms("2026-12-27T10:00:00+01:00")};
	int k4[4];
	hub_ops_backup_select(wk, 4, 0, 3, k4);
	CHECK(k4[0] == 0 && k4[1] == 1 && k4[2] == 1 && k4[3] == 1);
}

/* ------------------------------------------------- backups under writes */

#define ACCOUNTS 50
#define WRITERS	 4

static int g_stop;

static int tx_transfer(hub_db *db, void *ud)
{
	unsigned *seed = ud;
	int from = (int)(rand_r(seed) % ACCOUNTS) + 1;
	int to = (int)(rand_r(seed) % ACCOUNTS) + 1;
	int amount = (int)(rand_r(seed) % 50) + 1;
	hub_stmt *st = NULL;
	int rc = hub_store_prepare(db,
				   "UPDATE account SET balance = balance + ? "
				   "WHERE id = ?",
				   &st);
	if (rc == HUB_DB_OK) {
		hub_stmt_bind_int(st, 1, -amount);
		hub_stmt_bind_int(st, 2, from);
		rc = hub_stmt_step(st);
		hub_stmt_reset(st);
	}
	if (rc == HUB_DB_DONE) {
		hub_stmt_bind_int(st, 1, amount);
		hub_stmt_bind_int(st, 2, to);
		rc = hub_stmt_step(st);
	}
	hub_stmt_finalize(st);
	if (rc == HUB_DB_DONE)
		rc =
		    hub_store_exec(db, "INSERT INTO ledger (n) SELECT n FROM "
				       "counter; UPDATE counter SET n = n + 1");
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

static void *writer(void *p)
{
	unsigned seed = (unsigned)(uintptr_t)p * 7919u + 1u;
	hub_db *db = hub_store_db();
	while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE))
		hub_store_transaction(db, tx_transfer, &seed);
	return NULL;
}

/* Opens a backup file directly and checks the invariants: the money adds
 * up, and the ledger has exactly counter.n rows. Returns counter.n or -1. */
static long long check_consistent(const char *file)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long sum = -1, n = -1, rows = -2;
	char mode[16] = "";
	if (sqlite3_open_v2(file, &h, SQLITE_OPEN_READONLY, NULL) ==
		SQLITE_OK &&
	    sqlite3_prepare_v2(h,
			       "SELECT (SELECT SUM(balance) FROM account), "
			       "(SELECT n FROM counter), (SELECT COUNT(*) "
			       "FROM ledger)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		sum = sqlite3_column_int64(st, 0);
		n = sqlite3_column_int64(st, 1);
		rows = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(mode, sizeof(mode), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	CHECK_INT(sum, ACCOUNTS * 1000);
	CHECK_INT(rows, n);
	return sum == ACCOUNTS * 1000 && rows == n ? n : -1;
}

static char made[3][4096];
static long long made_n[3];

static void test_create_under_load(void)
{
	char err[512], path[4096];
	pthread_t th[WRITERS];
	hub_db *db;
	struct stat sb;

	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	db = hub_store_db();
	CHECK_INT(hub_store_exec(db,
				 "CREATE TABLE hub_migrations (module TEXT, "
				 "version INTEGER, applied_at INTEGER);"
				 "CREATE TABLE account (id INTEGER PRIMARY "
				 "KEY, balance INTEGER NOT NULL);"
				 "CREATE TABLE counter (n INTEGER NOT NULL);"
				 "CREATE TABLE ledger (n INTEGER NOT NULL);"
				 "INSERT INTO counter (n) VALUES (0);"
				 "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL "
				 "SELECT i + 1 FROM s WHERE i < 50) INSERT "
				 "INTO account (id, balance) SELECT i, 1000 "
				 "FROM s"),
		  HUB_DB_OK);
	for (int i = 0; i < WRITERS; i++)
		pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)i);
	for (int b = 0; b < 3; b++) {
		tu_sleep_ms(150);
		CHECK_INT(hub_ops_backup_create(dir, path, sizeof(path), err,
						sizeof(err)),
			  0);
		snprintf(made[b], sizeof(made[b]), "%s", path);
	}
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	for (int b = 0; b < 3; b++) {
		const char *base = strrchr(made[b], '/');
		int64_t t;
		CHECK(made[b][0] == '/');
		CHECK(base && hub_ops_backup_name_time(base + 1, &t) == 0);
		CHECK(stat(made[b], &sb) == 0 && (sb.st_mode & 0777) == 0600);
		CHECK_INT(hub_ops_backup_verify(made[b], err, sizeof(err)), 0);
		made_n[b] = check_consistent(made[b]);
		CHECK(made_n[b] > 0);
		if (b > 0)
			CHECK(made_n[b] > made_n[b - 1]); /* load went on */
	}
	printf("backups under load at ledger sizes %lld, %lld, %lld\n",
	       made_n[0], made_n[1], made_n[2]);
	CHECK(tu_int(db, "SELECT n FROM counter") >= made_n[2]);
	hub_store_close();
}

/* ------------------------------------------------------- list and verify */

static void test_list_verify(void)
{
	hub_backup_info *v = NULL;
	size_t n = 0;
	char err[512], bad[700], foreign[700];
	struct stat sb;
	sqlite3 *h = NULL;

	CHECK_INT(hub_ops_backup_list(dir, &v, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 3);
	for (size_t i = 0; i < n && i < 3; i++) {
		CHECK_STR(v[i].path, made[i]);
		CHECK(stat(v[i].path, &sb) == 0 && sb.st_size == v[i].size);
		if (i > 0)
			CHECK(v[i].time_ms > v[i - 1].time_ms);
	}
	free(v);

	/* a damaged copy: overwrite pages in the middle */
	snprintf(bad, sizeof(bad), "%s/damaged.db", dir);
	{
		FILE *in = fopen(made[0], "rb"), *out = fopen(bad, "wb");
		char buf[4096];
		size_t r, pos = 0;
		while (in && out && (r = fread(buf, 1, sizeof(buf), in)) > 0) {
			if (pos >= 4096 && pos < 4096 * 3)
				memset(buf, 0xA5, r);
			fwrite(buf, 1, r, out);
			pos += r;
		}
		if (in)
			fclose(in);
		if (out)
			fclose(out);
	}
	CHECK_INT(hub_ops_backup_verify(bad, err, sizeof(err)), -1);
	CHECK(strstr(err, "damaged.db") != NULL);

	snprintf(foreign, sizeof(foreign), "%s/foreign.db", dir);
	sqlite3_open(foreign, &h);
	sqlite3_exec(h, "CREATE TABLE x (y INTEGER)", NULL, NULL, NULL);
	sqlite3_close(h);
	CHECK_INT(hub_ops_backup_verify(foreign, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a Business Hub database") != NULL);

	CHECK_INT(hub_ops_backup_verify("/nonexistent/x.db", err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "No such file") != NULL);
}

/* -------------------------------------------------------------- restore */

static void test_restore(void)
{
	char err[512], saved[4096];
	hub_db *db;
	long long before;
	int status;
	pid_t pid;

	/* a server holds the directory: refused, nothing changes */
	CHECK_INT(hub_ops_server_lock(dir, err, sizeof(err)), 0);
	CHECK_INT(hub_ops_server_lock(dir, err, sizeof(err)), -1);
	CHECK_INT(hub_ops_backup_restore(dir, made[0], saved, sizeof(saved),
					 err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "in use by another server") != NULL);
	char pidtxt[32];
	snprintf(pidtxt, sizeof(pidtxt), "pid %d", (int)getpid());
	CHECK(strstr(err, pidtxt) != NULL);
	/* another process is refused too */
	pid = fork();
	if (pid == 0) {
		char e2[512];
		_exit(hub_ops_backup_restore(dir, made[0], NULL, 0, e2,
					     sizeof(e2)) == -1 &&
			      strstr(e2, "in use")
			  ? 0
			  : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	hub_ops_server_unlock();

	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	db = hub_store_db();
	before = tu_int(db, "SELECT n FROM counter");
	hub_store_close();

	/* a bad file is refused before anything is touched */
	char foreign[700];
	snprintf(foreign, sizeof(foreign), "%s/foreign.db", dir);
	CHECK_INT(hub_ops_backup_restore(dir, foreign, saved, sizeof(saved),
					 err, sizeof(err)),
		  -1);
	CHECK_STR(saved, "");

	CHECK_INT(hub_ops_backup_restore(dir, made[0], saved, sizeof(saved),
					 err, sizeof(err)),
		  0);
	CHECK(saved[0] == '/');
	CHECK_INT(check_consistent(saved), before); /* the pre-restore state */

	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	db = hub_store_db();
	CHECK_INT(tu_int(db, "SELECT n FROM counter"), made_n[0]);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM ledger"), made_n[0]);
	CHECK_INT(tu_int(db, "SELECT SUM(balance) FROM account"),
		  ACCOUNTS * 1000);
	char txt[32];
	tu_text(db, "PRAGMA journal_mode", txt, sizeof(txt));
	CHECK_STR(txt, "wal");
	tu_text(db, "PRAGMA integrity_check", txt, sizeof(txt));
	CHECK_STR(txt, "ok");
	/* and it takes writes again */
	CHECK_INT(hub_store_exec(db, "UPDATE counter SET n = n + 1"),
		  HUB_DB_OK);
	hub_store_close();

	/* a damaged current database: its raw file is kept, the restore
	 * goes ahead (this is when a restore is needed most) */
	char dbpath[700];
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", dir);
	int fd = open(dbpath, O_WRONLY);
	static char junk[8192];
	memset(junk, 0x5A, sizeof(junk));
	CHECK(fd >= 0 &&
	      pwrite(fd, junk, sizeof(junk), 4096) == (ssize_t)sizeof(junk));
	if (fd >= 0)
		close(fd);
	CHECK_INT(hub_ops_backup_restore(dir, made[1], saved, sizeof(saved),
					 err, sizeof(err)),
		  0);
	size_t sl = strlen(saved);
	CHECK(sl > 10 && strcmp(saved + sl - 10, ".db.broken") == 0);
	struct stat sb;
	CHECK(stat(saved, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK_INT(check_consistent(dbpath), made_n[1]);
	CHECK_INT(hub_ops_backup_verify(dbpath, err, sizeof(err)), 0);
}

/* ------------------------------------------------------- rotation on disk */

static void touch(const char *bdir, int64_t t_ms)
{
	char name[64], path[800];
	int64_t s = t_ms / 1000;
	hub_date d = hub_date_from_days(s / 86400);
	snprintf(name, sizeof(name), "hub-%04d%02d%02dT%02d%02d%02d.%03dZ.db",
		 d.y, d.m, d.d, (int)(s % 86400 / 3600), (int)(s % 3600 / 60),
		 (int)(s % 60), (int)(t_ms % 1000));
	snprintf(path, sizeof(path), "%s/%s", bdir, name);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
}

static void test_rotate(void)
{
	char rdir[600], bdir[700], err[512], stale[800], fresh[800];
	hub_backup_info *v = NULL;
	size_t n = 0;
	int removed = -1;
	struct timeval old[2] = {{1000000, 0}, {1000000, 0}};

	snprintf(rdir, sizeof(rdir), "%s/rot", dir);
	snprintf(bdir, sizeof(bdir), "%s/backups", rdir);
	mkdir(rdir, 0700);
	mkdir(bdir, 0700);
	for (int i = 0; i < 40; i++) /* 40 days, 02:00 UTC */
		touch(bdir,
		      at_ms("2026-10-19T02:00:00Z") + (int64_t)i * 86400000);
	snprintf(stale, sizeof(stale), "%s/hub-20260101T000000.000Z.db.tmp",
		 bdir);
	snprintf(fresh, sizeof(fresh), "%s/hub-20260102T000000.000Z.db.tmp",
		 bdir);
	close(open(stale, O_WRONLY | O_CREAT, 0600));
	close(open(fresh, O_WRONLY | O_CREAT, 0600));
	utimes(stale, old);
	CHECK_INT(hub_ops_backup_rotate(rdir, 7, 4, &removed, err, sizeof(err)),
		  0);
	CHECK_INT(hub_ops_backup_list(rdir, &v, &n, err, sizeof(err)), 0);
	/* last day 2026-11-27 (Fri, W48): 7 days 11-21..11-27, plus the
	 * Sundays 11-15 (W46) and 11-08 (W45) */
	CHECK_INT(n, 9);
	CHECK_INT(removed, 31);
	if (n == 9) {
		CHECK(strstr(v[0].path, "hub-20261108T020000.000Z.db"));
		CHECK(strstr(v[1].path, "hub-20261115T020000.000Z.db"));
		CHECK(strstr(v[2].path, "hub-20261121T020000.000Z.db"));
		CHECK(strstr(v[8].path, "hub-20261127T020000.000Z.db"));
	}
	free(v);
	CHECK(access(stale, F_OK) != 0);
	CHECK(access(fresh, F_OK) == 0); /* may belong to a running backup */
}

/* --------------------------------------------------------- the command */

static void test_cmd(void)
{
	char *list[] = {"backup", "list", NULL};
	char *create[] = {"backup", "create", NULL};
	char *verify[] = {"backup", "verify", made[1], NULL};
	char *bogus[] = {"backup", "frobnicate", NULL};
	char *missing[] = {"backup", "verify", NULL};
	CHECK_INT(hub_ops_backup_cmd(dir, 2, list), 0);
	CHECK_INT(hub_ops_backup_cmd(dir, 2, create), 0);
	CHECK_INT(hub_ops_backup_cmd(dir, 3, verify), 0);
	CHECK_INT(hub_ops_backup_cmd(dir, 2, bogus), 1);
	CHECK_INT(hub_ops_backup_cmd(dir, 2, missing), 1);
	char nodb[700];
	snprintf(nodb, sizeof(nodb), "%s/empty", dir);
	mkdir(nodb, 0700);
	CHECK_INT(hub_ops_backup_cmd(nodb, 2, create), 1);
}

int main(void)
{
	if (hub_time_init("Europe/Berlin") != 0)
		return 1;
	tu_mkdtemp(dir, sizeof(dir), "backup");
	test_names();
	test_select();
	test_create_under_load();
	test_list_verify();
	test_restore();
	test_rotate();
	test_cmd();
	tu_rmtree(dir);
	return check_report("backup");
}
