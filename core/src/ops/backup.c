/*
 * backup.c - backups of the SQLite store (the lock, names and publishing
 * of a finished file are backup_files.c's; a PostgreSQL store is handed
 * to backup_pg.c).
 *
 * create: a fresh O_EXCL 0600 temporary file beside the final name gets
 *   the whole database in one sqlite3_backup_step(-1) call, which copies
 *   from a single read snapshot (WAL readers never block the server's
 *   writers, and a multi-step copy would restart on every write), is
 *   switched to journal_mode=DELETE, integrity-checked, fsynced, and then
 *   linked to its final name (link() never replaces a file) and the
 *   directory fsynced. Any failure removes the temporary file.
 * restore: under the data-directory lock only, after verifying the file
 *   and backing up the current database, copies the file into hub.db with
 *   the same backup API (which keeps the WAL and locks right) and
 *   checkpoints.
 */
#define _GNU_SOURCE
#include "ops/ops.h"
#include "base/log.h"
#include "store/store.h"
#include "hub_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BUSY_MS 10000 /* how long a backup waits for a lock */

/* ========================================================= SQLite helpers */

/* Runs PRAGMA integrity_check on h. Returns 0 when "ok", else -1 with the
 * first message. */
static int integrity_ok(sqlite3 *h, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL);
	const unsigned char *t = NULL;
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_text(st, 0);
	rc = t && strcmp((const char *)t, "ok") == 0 ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "integrity check failed: %s",
			 t ? (const char *)t : sqlite3_errmsg(h));
	sqlite3_finalize(st);
	return rc;
}

/* Copies database `src` into `dst` from one snapshot. */
static int copy_db(sqlite3 *dst, sqlite3 *src, char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc;
	if (!b) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		return -1;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

static sqlite3 *open_db(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(path, &h, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close_v2(h);
		return NULL;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, BUSY_MS);
	return h;
}

int hub_ops_backup_create(const char *data_dir, char *path, size_t pathlen,
			  char *err, size_t errlen)
{
	char dbpath[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat sb;
	int rc = -1, made_tmp = 0;

	if (hub_store_engine_is_pg())
		return hub_ops_pg_backup_create(data_dir, path, pathlen, err,
						errlen);
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", data_dir);
	if (stat(dbpath, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", dbpath, strerror(errno));
		return -1;
	}
	if (hub_ops_backup_new_file(data_dir, ".db", final, tmp, err, errlen) !=
	    0)
		return -1;
	made_tmp = 1;
	src = open_db(dbpath, SQLITE_OPEN_READWRITE, err, errlen);
	if (src)
		dst = open_db(tmp, SQLITE_OPEN_READWRITE, err, errlen);
	if (!src || !dst)
		goto out;
	if (copy_db(dst, src, err, errlen) != 0)
		goto out;
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	if (integrity_ok(dst, err, errlen) != 0)
		goto out;
	sqlite3_close_v2(dst);
	dst = NULL;
	/* the key that opens the 2FA secrets goes beside the databases */
	rc = hub_ops_backup_publish(data_dir, tmp, final, path, pathlen, err,
				    errlen);
out:
	sqlite3_close_v2(dst);
	sqlite3_close_v2(src);
	if (made_tmp)
		unlink(tmp);
	return rc;
}

/* =================================================================== list */

static int by_time(const void *a, const void *b)
{
	const hub_backup_info *x = a, *y = b;
	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return strcmp(x->path, y->path);
}

int hub_ops_backup_list(const char *data_dir, hub_backup_info **out, size_t *n,
			char *err, size_t errlen)
{
	char bdir[PATH_MAX], abs[PATH_MAX];
	hub_backup_info *v = NULL;
	size_t cap = 0, cnt = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(bdir, sizeof(bdir), "%s/backups", data_dir);
	d = opendir(bdir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", bdir, strerror(errno));
		return -1;
	}
	if (!realpath(bdir, abs))
		snprintf(abs, sizeof(abs), "%s", bdir);
	while ((de = readdir(d)) != NULL) {
		int64_t t;
		struct stat sb;
		hub_backup_info *e;
		if (hub_ops_backup_name_time(de->d_name, &t) != 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			hub_backup_info *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		e = &v[cnt];
		if (snprintf(e->path, sizeof(e->path), "%s/%s", abs,
			     de->d_name) >= (int)sizeof(e->path) ||
		    stat(e->path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		e->size = (int64_t)sb.st_size;
		e->time_ms = t;
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_time);
	*out = v;
	*n = cnt;
	return 0;
}

/* ================================================================= verify */

int hub_ops_backup_verify(const char *file, char *err, size_t errlen)
{
	sqlite3 *h;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	char why[512];
	size_t flen = strlen(file);

	if (flen > 7 && strcmp(file + flen - 7, HUB_OPS_PG_SUFFIX) == 0)
		return hub_ops_pg_backup_verify(file, err, errlen);
	if (access(file, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	h = open_db(file, SQLITE_OPEN_READONLY, err, errlen);
	if (!h)
		return -1;
	if (integrity_ok(h, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", file, why);
		goto out;
	}
	if (sqlite3_prepare_v2(h,
			       "SELECT COUNT(*) FROM sqlite_master WHERE type "
			       "= 'table' AND name = 'hub_migrations'",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1) {
		snprintf(err, errlen,
			 "%s: not a Business Hub database (no "
			 "hub_migrations table)",
			 file);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close_v2(h);
	return rc;
}

/* ================================================================ restore */

/* Copies file `from` to `to` (created 0600, must not exist) and fsyncs.
 * A missing `from` is not an error. Returns 0 or -1 with errno. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t r = 0;
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
	if (in < 0)
		return errno == ENOENT ? 0 : -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	while (rc == 0 && (r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r)
			rc = -1;
	if (r < 0 || fsync(out) != 0)
		rc = -1;
	close(in);
	close(out);
	return rc;
}

/* Saves the raw files of a database that cannot be backed up (hub.db and
 * its WAL) as backups/hub-TIME.db.broken[-wal], names the first in saved
 * and removes them, leaving an empty 0600 hub.db. Returns 0 or -1. */
static int save_raw(const char *data_dir, const char *dbpath, char *saved,
		    size_t savedlen, char *err, size_t errlen)
{
	char name[40], to[PATH_MAX], from[PATH_MAX];
	static const char *const sfx[] = {"", "-wal", NULL};
	int fd;
	hub_ops_backup_name_now(".db", name, sizeof(name));
	snprintf(to, sizeof(to), "%s/backups", data_dir);
	if (mkdir(to, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
		return -1;
	}
	for (int i = 0; sfx[i]; i++) {
		if (snprintf(from, sizeof(from), "%s%s", dbpath, sfx[i]) >=
			(int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s/backups/%s.broken%s", data_dir,
			     name, sfx[i]) >= (int)sizeof(to) ||
		    copy_file(from, to) != 0) {
			snprintf(err, errlen,
				 "could not save the current database to %s: "
				 "%s",
				 to, strerror(errno));
			return -1;
		}
		if (i == 0 && saved && savedlen)
			snprintf(saved, savedlen, "%s", to);
	}
	for (int i = 0; i < 3; i++) {
		static const char *const all[] = {"", "-wal", "-shm"};
		snprintf(from, sizeof(from), "%s%s", dbpath, all[i]);
		unlink(from);
	}
	fd = open(dbpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dbpath, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int hub_ops_backup_restore(const char *data_dir, const char *file, char *saved,
			   size_t savedlen, char *err, size_t errlen)
{
	char dbpath[PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat sb;
	int fd, rc = -1;

	if (saved && savedlen)
		saved[0] = 0;
	if (hub_store_engine_is_pg())
		return hub_ops_pg_backup_restore(data_dir, file, saved,
						 savedlen, err, errlen);
	if (strlen(file) > 7 &&
	    strcmp(file + strlen(file) - 7, HUB_OPS_PG_SUFFIX) == 0) {
		snprintf(err, errlen,
			 "%s is a PostgreSQL dump: restore it with [storage] "
			 "backend = postgresql",
			 file);
		return -1;
	}
	fd = hub_ops_dir_lock(data_dir, err, errlen);
	if (fd < 0)
		return -1;
	if (hub_ops_backup_verify(file, err, errlen) != 0)
		goto out;
	snprintf(dbpath, sizeof(dbpath), "%s/hub.db", data_dir);
	if (stat(dbpath, &sb) == 0 && sb.st_size > 0) {
		char why[512];
		if (hub_ops_backup_create(data_dir, saved, savedlen, why,
					  sizeof(why)) != 0) {
			/* the database itself is damaged: keep its raw
			 * files, then start from an empty one */
			hub_logf(HUB_LOG_WARN, "ops",
				 "current database not backed up (%s); saving "
				 "its raw files",
				 why);
			if (save_raw(data_dir, dbpath, saved, savedlen, err,
				     errlen) != 0)
				goto out;
		}
	} else {
		int nfd = open(dbpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (nfd >= 0)
			close(nfd);
	}
	src = open_db(file, SQLITE_OPEN_READONLY, err, errlen);
	if (src)
		dst = open_db(dbpath, SQLITE_OPEN_READWRITE, err, errlen);
	if (!src || !dst)
		goto out;
	if (copy_db(dst, src, err, errlen) != 0)
		goto out;
	sqlite3_exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (integrity_ok(dst, err, errlen) != 0)
		goto out;
	hub_logf(HUB_LOG_INFO, "ops", "restored %s from %s", dbpath, file);
	rc = 0;
out:
	sqlite3_close_v2(dst);
	sqlite3_close_v2(src);
	close(fd);
	return rc;
}

/* =============================================================== rotation */

typedef struct ranked {
	int64_t t;
	size_t i;
} ranked;

static int newest_first(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	return x->t > y->t ? -1 : x->t < y->t ? 1 : 0;
}

/* Local day number and ISO year*100+week of UTC ms t. */
static void day_week(int64_t t, int64_t *day, int64_t *week)
{
	hub_date d = {1970, 1, 1}, thu;
	hub_time_to_local(t / 1000, &d, NULL, NULL, NULL, NULL);
	*day = hub_date_to_days(d);
	thu = hub_date_add(d, 4 - hub_date_weekday(d));
	*week = (int64_t)thu.y * 100 + hub_date_iso_week(d);
}

void hub_ops_backup_select(const int64_t *time_ms, size_t n, int keep_daily,
			   int keep_weekly, int *keep)
{
	ranked *r;
	int64_t last_day = INT64_MIN, last_week = INT64_MIN, day, week;
	int days = 0, weeks = 0;

	if (!n)
		return;
	r = malloc(n * sizeof(*r));
	for (size_t i = 0; i < n; i++)
		keep[i] = 0;
	if (!r) {
		for (size_t i = 0; i < n; i++)
			keep[i] = 1; /* out of memory: delete nothing */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		r[i].t = time_ms[i];
		r[i].i = i;
	}
	qsort(r, n, sizeof(*r), newest_first);
	keep[r[0].i] = 1;
	for (size_t k = 0; k < n; k++) {
		day_week(r[k].t, &day, &week);
		if (day != last_day) {
			last_day = day;
			if (days < keep_daily) {
				keep[r[k].i] = 1;
				days++;
			}
		}
		if (week != last_week) {
			last_week = week;
			if (weeks < keep_weekly) {
				keep[r[k].i] = 1;
				weeks++;
			}
		}
	}
	free(r);
}

/* Deletes hub-*.db.tmp files older than a day (left by a crash). */
static void remove_stale_tmp(const char *bdir)
{
	DIR *d = opendir(bdir);
	struct dirent *de;
	char path[PATH_MAX];
	time_t now = time(NULL);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat sb;
		if (strncmp(de->d_name, "hub-", 4) != 0 || len < 12 ||
		    (strcmp(de->d_name + len - 7, ".db.tmp") != 0 &&
		     strcmp(de->d_name + len - 11, ".pgdump.tmp") != 0))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", bdir, de->d_name) <
			(int)sizeof(path) &&
		    stat(path, &sb) == 0 && now - sb.st_mtime > 86400)
			unlink(path);
	}
	closedir(d);
}

int hub_ops_backup_rotate(const char *data_dir, int keep_daily, int keep_weekly,
			  int *removed, char *err, size_t errlen)
{
	hub_backup_info *v = NULL;
	int64_t *t = NULL;
	int *keep = NULL, gone = 0, rc = -1;
	char bdir[PATH_MAX];
	size_t n = 0;

	if (removed)
		*removed = 0;
	if (hub_ops_backup_list(data_dir, &v, &n, err, errlen) != 0)
		return -1;
	snprintf(bdir, sizeof(bdir), "%s/backups", data_dir);
	remove_stale_tmp(bdir);
	if (n == 0) {
		rc = 0;
		goto out;
	}
	t = malloc(n * sizeof(*t));
	keep = malloc(n * sizeof(*keep));
	if (!t || !keep) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		t[i] = v[i].time_ms;
	hub_ops_backup_select(t, n, keep_daily, keep_weekly, keep);
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (keep[i])
			continue;
		if (unlink(v[i].path) == 0) {
			gone++;
			hub_logf(HUB_LOG_INFO, "ops", "rotated out %s",
				 v[i].path);
		} else {
			snprintf(err, errlen, "%s: %s", v[i].path,
				 strerror(errno));
			rc = -1;
		}
	}
	if (removed)
		*removed = gone;
out:
	free(v);
	free(t);
	free(keep);
	return rc;
}
