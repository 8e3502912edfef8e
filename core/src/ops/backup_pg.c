/*
 * backup_pg.c - backups of a PostgreSQL store with the database server's
 * own tools: pg_dump -Fc of the hub's schema into
 * backups/hub-TIME.pgdump, pg_restore to put one back.
 *
 * The tools are started with posix_spawnp and an argument vector (no
 * shell), found on PATH. The connection string they get carries no
 * password: a password of the DSN goes into the child's environment as
 * PGPASSWORD only, so it is never on a command line (ps) or in a log.
 * Their stderr is read back and its first line becomes the error.
 *
 * create: the pg_dump major version must be at least the server's; the
 *   dump goes to a fresh O_EXCL 0600 temporary file, must exit 0, be
 *   non-empty and pass verify before it is linked to its final name
 *   (backup.c's publish); any failure removes the temporary file.
 * restore: under the data-directory lock and with no other hubd
 *   connected to the database; backs up the current state first, drops
 *   the schema's tables and runs pg_restore --single-transaction over
 *   the archive's table of contents without its SCHEMA entries (the
 *   schema itself stays: it may be `public`, owned by someone else).
 */
#define _GNU_SOURCE
#include "ops/ops.h"
#include "base/log.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define OUT_MAX (4 << 20) /* bytes of a tool's stdout kept */

/* ============================================================ the tools */

/* A tool's captured output. */
typedef struct tool_out {
	char *out;     /* stdout, NUL-terminated (owned), NULL when not kept */
	size_t len;    /* bytes in out */
	char err[512]; /* first line of stderr */
} tool_out;

/* The environment for a child: ours, with PGPASSWORD replaced by
 * `password` when that is set. Owned: free() the array (not the
 * strings, except the last added one, returned in *own). */
static char **child_env(const char *password, char **own)
{
	size_t n = 0, k = 0;
	char **env;
	*own = NULL;
	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!password || !*password ||
		    strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			env[k++] = environ[i];
	if (password && *password) {
		if (asprintf(own, "PGPASSWORD=%s", password) < 0) {
			free(env);
			*own = NULL;
			return NULL;
		}
		env[k++] = *own;
	}
	env[k] = NULL;
	return env;
}

/* Appends up to `room` bytes read from fd to *buf. Returns bytes read, 0
 * at EOF, -1 on error. */
static ssize_t drain(int fd, char **buf, size_t *len, size_t room)
{
	char tmp[8192];
	ssize_t r = read(fd, tmp, sizeof(tmp));
	if (r <= 0)
		return r;
	if (buf && *len < room) {
		size_t take = (size_t)r;
		char *nb;
		if (take > room - *len)
			take = room - *len;
		nb = realloc(*buf, *len + take + 1);
		if (nb) {
			memcpy(nb + *len, tmp, take);
			*len += take;
			nb[*len] = 0;
			*buf = nb;
		}
	}
	return r;
}

/* Runs argv[0] (searched on PATH) with argv and `password` in its
 * environment, keeping its stdout when keep_out. Returns the exit status
 * (0..255), or -1 when it could not run or died of a signal (o->err says
 * which). o->out is owned by the caller. */
static int run_tool(char *const argv[], const char *password, int keep_out,
		    tool_out *o)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, st = 0, rc = -1;
	posix_spawn_file_actions_t fa;
	char **env = NULL, *own = NULL, *errbuf = NULL;
	size_t errlen = 0;
	pid_t pid;
	int e;

	memset(o, 0, sizeof(*o));
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		snprintf(o->err, sizeof(o->err), "pipe: %s", strerror(errno));
		goto out;
	}
	env = child_env(password, &own);
	if (!env) {
		snprintf(o->err, sizeof(o->err), "out of memory");
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	/* none of hubd's sockets or files reach the tool */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		snprintf(o->err, sizeof(o->err),
			 "%s: %s (install postgresql-client)", argv[0],
			 strerror(e));
		goto out;
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t r;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			r = i == 0 ? drain(po[0], keep_out ? &o->out : NULL,
					   &o->len, OUT_MAX)
				   : drain(pe[0], &errbuf, &errlen, 4096);
			if (r <= 0) {
				close(i == 0 ? po[0] : pe[0]);
				if (i == 0)
					po[0] = -1;
				else
					pe[0] = -1;
				open_fds--;
			}
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (errbuf) {
		char *line = errbuf + strspn(errbuf, "\n");
		line[strcspn(line, "\n")] = 0;
		snprintf(o->err, sizeof(o->err), "%s", line);
	}
	if (WIFEXITED(st))
		rc = WEXITSTATUS(st);
	else
		snprintf(o->err, sizeof(o->err), "%s died of signal %d",
			 argv[0], WTERMSIG(st));
	if (rc > 0 && !o->err[0])
		snprintf(o->err, sizeof(o->err), "%s failed (exit status %d)",
			 argv[0], rc);
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(errbuf);
	free(env);
	if (own)
		explicit_bzero(own, strlen(own));
	free(own);
	return rc;
}

/* The major version of the pg_dump on PATH ("pg_dump (PostgreSQL) 15.18"),
 * or -1 with err. */
static int tool_major(const char *tool, char *err, size_t errlen)
{
	char *argv[] = {(char *)tool, "--version", NULL};
	tool_out o;
	int v = -1;
	const char *p;
	if (run_tool(argv, NULL, 1, &o) != 0) {
		snprintf(err, errlen, "%s", o.err);
		free(o.out);
		return -1;
	}
	p = o.out ? strstr(o.out, ") ") : NULL;
	if (p)
		v = atoi(p + 2);
	if (v <= 0)
		snprintf(err, errlen, "%s --version: unexpected answer", tool);
	free(o.out);
	return v > 0 ? v : -1;
}

/* ================================================================ verify */

/* The schema of the archive's hub_migrations data (from pg_restore -l's
 * "NNN; 0 OID TABLE DATA SCHEMA hub_migrations OWNER" line) into schema;
 * with list (may be NULL) the whole listing (owned). Returns 0 or -1. */
static int archive_schema(const char *file, char *schema, size_t slen,
			  char **list, char *err, size_t errlen)
{
	char *argv[] = {"pg_restore", "-l", (char *)file, NULL};
	tool_out o;
	int rc = run_tool(argv, NULL, 1, &o);
	const char *p;
	if (list)
		*list = NULL;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", file, o.err);
		free(o.out);
		return -1;
	}
	for (p = o.out; p && (p = strstr(p, " TABLE DATA ")) != NULL; p++) {
		const char *s = p + 12, *e = strchr(s, ' ');
		if (e && strncmp(e, " hub_migrations ", 16) == 0 &&
		    (size_t)(e - s) < slen) {
			snprintf(schema, slen, "%.*s", (int)(e - s), s);
			break;
		}
	}
	if (!p) {
		snprintf(err, errlen,
			 "%s: not a Business Hub dump (no hub_migrations "
			 "data)",
			 file);
		free(o.out);
		return -1;
	}
	if (list)
		*list = o.out;
	else
		free(o.out);
	return 0;
}

int hub_ops_pg_backup_verify(const char *file, char *err, size_t errlen)
{
	char schema[128];
	char *argv[] = {"pg_restore", "-f", "/dev/null", (char *)file, NULL};
	tool_out o;
	int rc;
	if (access(file, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (archive_schema(file, schema, sizeof(schema), NULL, err, errlen))
		return -1;
	/* reading every data block catches a truncated or damaged file */
	rc = run_tool(argv, NULL, 0, &o);
	free(o.out);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", file, o.err);
		return -1;
	}
	return 0;
}

/* ================================================================ create */

int hub_ops_pg_backup_create(const char *data_dir, char *path, size_t pathlen,
			     char *err, size_t errlen)
{
	hub_store_pg_target t;
	char final[PATH_MAX], tmp[PATH_MAX], nsp[80];
	char *argv[] = {"pg_dump", "-Fc", "-n",	      nsp, "-f",
			tmp,	   "-d",  t.conninfo, NULL};
	tool_out o;
	struct stat sb;
	int major, rc = -1;

	if (hub_store_pg_target_get(data_dir, &t, err, errlen) != 0)
		return -1;
	major = tool_major("pg_dump", err, errlen);
	if (major < 0)
		goto out0;
	if (major < t.server_major) {
		snprintf(err, errlen,
			 "pg_dump %d is older than the PostgreSQL %d server: "
			 "install postgresql-client-%d (or put its pg_dump "
			 "first on PATH)",
			 major, t.server_major, t.server_major);
		goto out0;
	}
	/* a quoted pattern matches the name exactly */
	snprintf(nsp, sizeof(nsp), "\"%s\"", t.schema);
	if (hub_ops_backup_new_file(data_dir, HUB_OPS_PG_SUFFIX, final, tmp,
				    err, errlen) != 0)
		goto out0;
	if (run_tool(argv, t.password, 0, &o) != 0) {
		snprintf(err, errlen, "pg_dump: %s", o.err);
		free(o.out);
		goto out;
	}
	free(o.out);
	if (stat(tmp, &sb) != 0 || sb.st_size == 0) {
		snprintf(err, errlen, "pg_dump wrote an empty file");
		goto out;
	}
	if (hub_ops_pg_backup_verify(tmp, err, errlen) != 0)
		goto out;
	if (hub_ops_backup_publish(data_dir, tmp, final, path, pathlen, err,
				   errlen) != 0)
		goto out;
	rc = 0;
out:
	unlink(tmp);
out0:
	explicit_bzero(t.password, sizeof(t.password));
	return rc;
}

/* =============================================================== restore */

/* err = "postgresql: " and the first line of db's last error. */
static void db_err(hub_db *db, char *err, size_t errlen)
{
	const char *m = hub_store_errmsg(db);
	snprintf(err, errlen, "postgresql: %.*s", (int)strcspn(m, "\n"), m);
}

/* Fails when another hubd is connected to the database. */
static int others_connected(hub_db *db, char *err, size_t errlen)
{
	hub_stmt *st = NULL;
	int64_t n = -1;
	if (hub_store_prepare(db,
			      "SELECT COUNT(*) FROM pg_stat_activity WHERE "
			      "datname = current_database() AND "
			      "application_name = 'hubd' AND pid <> "
			      "pg_backend_pid()",
			      &st) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		n = hub_col_int(st, 0);
	hub_stmt_finalize(st);
	if (n < 0) {
		db_err(db, err, errlen);
		return -1;
	}
	if (n > 0) {
		snprintf(err, errlen,
			 "%lld hubd connection(s) to the database are open: "
			 "stop every server first",
			 (long long)n);
		return -1;
	}
	return 0;
}

/* 1 when the current schema has a hub_migrations table, 0 when not, -1
 * on error. */
static int has_hub_tables(hub_db *db, char *err, size_t errlen)
{
	hub_stmt *st = NULL;
	int rc = -1;
	if (hub_store_prepare(db,
			      "SELECT to_regclass('hub_migrations') IS NOT "
			      "NULL",
			      &st) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		rc = hub_col_int(st, 0) ? 1 : 0;
	else
		db_err(db, err, errlen);
	hub_stmt_finalize(st);
	return rc;
}

/* Drops every table, view, sequence and function of the current schema
 * (one DO statement: all or nothing). */
static int drop_tables(hub_db *db, char *err, size_t errlen)
{
	static const char sql[] =
	    "DO $$DECLARE r record; BEGIN "
	    "FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN "
	    "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
	    "current_schema() AND c.relkind IN ('r','p','v','m','S') ORDER BY "
	    "c.relkind = 'S' LOOP "
	    "EXECUTE format(CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS "
	    "%I CASCADE' WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS %I "
	    "CASCADE' WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS %I CASCADE' ELSE "
	    "'DROP TABLE IF EXISTS %I CASCADE' END, r.relname); END LOOP; "
	    "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN "
	    "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = "
	    "current_schema() LOOP "
	    "EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.f); "
	    "END LOOP; END$$";
	if (hub_store_exec(db, sql) != HUB_DB_OK) {
		db_err(db, err, errlen);
		return -1;
	}
	return 0;
}

/* Writes pg_restore's listing without the SCHEMA entries into a new 0600
 * file `path`. Returns 0 or -1 with err. */
static int write_list(const char *list, const char *path, char *err,
		      size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	const char *p = list;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, "\n");
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (!strstr(line, " SCHEMA - ") &&
		    !strstr(line, " COMMENT - SCHEMA "))
			fprintf(f, "%s\n", line);
		p += n + (p[n] == '\n');
	}
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int hub_ops_pg_backup_restore(const char *data_dir, const char *file,
			      char *saved, size_t savedlen, char *err,
			      size_t errlen)
{
	hub_store_pg_target t;
	char schema[128], lpath[PATH_MAX];
	char *list = NULL, *argv[] = {"pg_restore",
				      "--single-transaction",
				      "--exit-on-error",
				      "--no-owner",
				      "--no-acl",
				      "-L",
				      lpath,
				      "-d",
				      t.conninfo,
				      (char *)file,
				      NULL};
	hub_db *db = NULL;
	tool_out o;
	int rc = -1, locked = 0, has;

	lpath[0] = 0;
	memset(&t, 0, sizeof(t));
	if (saved && savedlen)
		saved[0] = 0;
	if (strlen(file) < 8 ||
	    strcmp(file + strlen(file) - 7, HUB_OPS_PG_SUFFIX) != 0) {
		snprintf(err, errlen,
			 "%s is not a PostgreSQL dump (*%s); SQLite data is "
			 "moved with hubctl copy-to-pg",
			 file, HUB_OPS_PG_SUFFIX);
		return -1;
	}
	if (hub_ops_server_lock(data_dir, err, errlen) != 0)
		return -1;
	locked = 1;
	if (hub_ops_pg_backup_verify(file, err, errlen) != 0 ||
	    archive_schema(file, schema, sizeof(schema), &list, err, errlen))
		goto out;
	if (hub_store_pg_target_get(data_dir, &t, err, errlen) != 0)
		goto out;
	if (strcmp(schema, t.schema) != 0) {
		snprintf(err, errlen,
			 "%s is a dump of schema %s; the configured schema "
			 "is %s",
			 file, schema, t.schema);
		goto out;
	}
	db = hub_store_pg_connect(data_dir, err, errlen);
	if (!db || others_connected(db, err, errlen) != 0)
		goto out;
	has = has_hub_tables(db, err, errlen);
	if (has < 0)
		goto out;
	/* an empty schema (a new database after a loss) has nothing to save */
	if (has &&
	    hub_ops_pg_backup_create(data_dir, saved, savedlen, err, errlen)) {
		char why[600];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen,
			 "the current database could not be backed up "
			 "first: %s",
			 why);
		goto out;
	}
	snprintf(lpath, sizeof(lpath), "%s/backups/restore-%d.list", data_dir,
		 (int)getpid());
	unlink(lpath);
	if (write_list(list, lpath, err, errlen) != 0 ||
	    drop_tables(db, err, errlen) != 0)
		goto out;
	hub_store_pg_disconnect(db);
	db = NULL;
	if (run_tool(argv, t.password, 0, &o) != 0) {
		snprintf(err, errlen, "pg_restore: %s%s%s", o.err,
			 saved && saved[0] ? "; the state before is in " : "",
			 saved && saved[0] ? saved : "");
		free(o.out);
		goto out;
	}
	free(o.out);
	hub_logf(HUB_LOG_INFO, "ops", "restored schema %s from %s", t.schema,
		 file);
	rc = 0;
out:
	if (lpath[0])
		unlink(lpath);
	hub_store_pg_disconnect(db);
	free(list);
	explicit_bzero(t.password, sizeof(t.password));
	if (locked)
		hub_ops_server_unlock();
	return rc;
}
