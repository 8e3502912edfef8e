/*
 * backup_files.c - what every kind of backup shares: the data-directory
 * lock that keeps a second server (and an offline restore) away, the
 * backup file names (hub-YYYYMMDDTHHMMSS.mmmZ.db or .pgdump, UTC), a
 * fresh O_EXCL 0600 temporary file beside the final name, and publishing
 * a finished file: fsync, link() to its final name (never replacing a
 * file), a copy of the secret key beside it, fsync of the directory.
 *
 * backup.c (SQLite) and backup_pg.c (PostgreSQL) both build on this file
 * and on nothing of each other's.
 */
#define _GNU_SOURCE
#include "ops/ops.h"
#include "base/log.h"
#include "hub_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ===================================================== data-directory lock */

static int g_lock_fd = -1; /* hub_ops_server_lock's descriptor */

int hub_ops_dir_lock(const char *data_dir, char *err, size_t errlen)
{
	char path[PATH_MAX], pid[32] = "?";
	struct flock fl;
	int fd, rc;
	ssize_t n;

	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/hub.lock", data_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/* open-file-description locks conflict even within one process and
	 * are not dropped when another descriptor of the file closes */
	rc = fcntl(fd, F_OFD_SETLK, &fl);
	if (rc != 0 && errno == EINVAL)
		rc = fcntl(fd, F_SETLK, &fl);
	if (rc != 0) {
		int e = errno;
		if (e == EAGAIN || e == EACCES) {
			n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = 0;
			pid[strcspn(pid, "\n")] = 0;
			snprintf(err, errlen,
				 "data directory %s is in use by another "
				 "server (pid %s)",
				 data_dir, pid[0] ? pid : "?");
		} else {
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		}
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		hub_logf(HUB_LOG_WARN, "ops", "%s: cannot record pid", path);
	return fd;
}

int hub_ops_server_lock(const char *data_dir, char *err, size_t errlen)
{
	int fd;
	if (g_lock_fd >= 0) {
		snprintf(err, errlen, "data directory lock already held");
		return -1;
	}
	fd = hub_ops_dir_lock(data_dir, err, errlen);
	if (fd < 0)
		return -1;
	g_lock_fd = fd;
	return 0;
}

void hub_ops_server_unlock(void)
{
	if (g_lock_fd >= 0) {
		if (ftruncate(g_lock_fd, 0) != 0)
			hub_logf(HUB_LOG_DEBUG, "ops", "lock file not cleared");
		close(g_lock_fd);
		g_lock_fd = -1;
	}
}

/* ================================================================== names */

int hub_ops_backup_name_time(const char *name, int64_t *time_ms)
{
	int v[7], pos = 4;
	static const int width[7] = {4, 2, 2, 2, 2, 2, 3};
	static const char after[7] = {0, 0, 'T', 0, 0, '.', 'Z'};
	hub_date d;

	size_t len = name ? strlen(name) : 0;

	if (!name || strncmp(name, "hub-", 4) != 0 ||
	    !((len == 27 && strcmp(name + 24, ".db") == 0) ||
	      (len == 31 && strcmp(name + 24, HUB_OPS_PG_SUFFIX) == 0)))
		return -1;
	for (int i = 0; i < 7; i++) {
		v[i] = 0;
		for (int k = 0; k < width[i]; k++, pos++) {
			if (name[pos] < '0' || name[pos] > '9')
				return -1;
			v[i] = v[i] * 10 + (name[pos] - '0');
		}
		if (after[i] && name[pos++] != after[i])
			return -1;
	}
	d.y = v[0];
	d.m = v[1];
	d.d = v[2];
	if (!hub_date_valid(d) || v[3] > 23 || v[4] > 59 || v[5] > 59)
		return -1;
	*time_ms =
	    (hub_date_to_days(d) * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) *
		1000 +
	    v[6];
	return 0;
}

/* Formats the file name for UTC ms `t` with suffix `sfx` (".db") into out
 * (at least 40 bytes). */
static void backup_name_sfx(int64_t t, const char *sfx, char *out, size_t n)
{
	int64_t s = t / 1000, days = s / 86400, rem = s % 86400;
	hub_date d = hub_date_from_days(days);
	snprintf(out, n, "hub-%04d%02d%02dT%02d%02d%02d.%03dZ%s", d.y % 10000,
		 d.m % 100, d.d % 100, (int)(rem / 3600), (int)(rem / 60 % 60),
		 (int)(rem % 60), (int)(t % 1000), sfx);
}

void hub_ops_backup_name_now(const char *sfx, char *out, size_t n)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	backup_name_sfx((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, sfx, out,
			n);
}

static int64_t now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* fsyncs a file or directory by path. Returns 0 or -1. */
static int fsync_path(const char *path, int dir)
{
	int fd =
	    open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	int rc;
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* ================================================================= create */

/* Makes <data_dir>/backups and a fresh temporary file in it named after
 * the current time. Fills final and tmp. Returns 0 or -1. */
static int make_tmp_sfx(const char *data_dir, const char *sfx, char *bdir,
			char *final, char *tmp, char *err, size_t errlen)
{
	char name[48];
	snprintf(bdir, PATH_MAX, "%s/backups", data_dir);
	if (mkdir(bdir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", bdir, strerror(errno));
		return -1;
	}
	for (int attempt = 0; attempt < 50; attempt++) {
		int fd;
		backup_name_sfx(now_ms(), sfx, name, sizeof(name));
		if (snprintf(final, PATH_MAX, "%s/%s", bdir, name) >=
			PATH_MAX - 4 ||
		    snprintf(tmp, PATH_MAX, "%s.tmp", final) >= PATH_MAX) {
			snprintf(err, errlen, "%s: path too long", bdir);
			return -1;
		}
		if (access(final, F_OK) == 0) {
			usleep(1000);
			continue;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			return -1;
		}
		usleep(1000);
	}
	snprintf(err, errlen, "%s: no free backup name", bdir);
	return -1;
}

int hub_ops_backup_new_file(const char *data_dir, const char *sfx, char *final,
			    char *tmp, char *err, size_t errlen)
{
	char bdir[PATH_MAX];
	return make_tmp_sfx(data_dir, sfx, bdir, final, tmp, err, errlen);
}

/* Copies src to dst (0600) through a temporary file and rename. */
static int copy_0600(const char *src, const char *dst, char *err, size_t errlen)
{
	char tmp[4200], buf[4096];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	ssize_t n;
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	if (in < 0)
		goto out;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || fchmod(out, 0600) != 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto out;
	if (n < 0 || fsync(out) != 0)
		goto out;
	if (close(out) != 0) {
		out = -1;
		goto out;
	}
	out = -1;
	rc = rename(tmp, dst);
out:
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		unlink(tmp);
	}
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	return rc;
}

/* Copies <data_dir>/secret.key to <data_dir>/backups/secret.key (0600,
 * replaced atomically): without it the 2FA secrets of a restored database
 * cannot be opened. Returns 1 when copied, 0 when there is no key file
 * (the key then comes from HUB_SECRET_KEY or [server] secret_key), -1
 * with a reason in err. */
static int backup_key(const char *data_dir, char *err, size_t errlen)
{
	char src[4096], dst[4096];
	struct stat sb;
	snprintf(src, sizeof(src), "%s/secret.key", data_dir);
	snprintf(dst, sizeof(dst), "%s/backups/secret.key", data_dir);
	if (stat(src, &sb) != 0)
		return 0; /* the key comes from HUB_SECRET_KEY or the config */
	return copy_0600(src, dst, err, errlen) == 0 ? 1 : -1;
}

int hub_ops_backup_publish(const char *data_dir, const char *tmp,
			   const char *final, char *path, size_t pathlen,
			   char *err, size_t errlen)
{
	char bdir[PATH_MAX], abs[PATH_MAX], keyerr[512];
	if (fsync_path(tmp, 0) != 0 || link(tmp, final) != 0) {
		snprintf(err, errlen, "%s: %s", final, strerror(errno));
		return -1;
	}
	if (backup_key(data_dir, keyerr, sizeof(keyerr)) < 0)
		hub_logf(HUB_LOG_ERROR, "ops", "backup of the secret key: %s",
			 keyerr);
	snprintf(bdir, sizeof(bdir), "%s/backups", data_dir);
	fsync_path(bdir, 1);
	if (path && pathlen)
		snprintf(path, pathlen, "%s",
			 realpath(final, abs) ? abs : final);
	return 0;
}
