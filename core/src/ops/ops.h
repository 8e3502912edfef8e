/*
 * ops.h - operations (core/src/ops): the data-directory lock a server
 * holds, backups (create, list, verify, restore, rotation, the daily job)
 * and the import of the old system's JSON files.
 *
 * Backups are SQLite files <data_dir>/backups/hub-YYYYMMDDTHHMMSS.mmmZ.db
 * (UTC, milliseconds), mode 0600, made with SQLite's online backup API
 * from one read snapshot (consistent while the server writes), switched
 * to rollback-journal mode so a backup is one self-contained file, and
 * integrity-checked before they get their final name. With PostgreSQL
 * they are pg_dump archives hub-...Z.pgdump instead (backup_pg.c).
 */
#ifndef HUB_OPS_H
#define HUB_OPS_H

#include "hub/module.h"

#include <stddef.h>
#include <stdint.h>

/* ============================================================ server lock */

/* Opens and write-locks <data_dir>/hub.lock for the caller alone (an
 * open-file-description lock, so it conflicts with hub_ops_server_lock
 * even in this process; the error names the holder's pid). Returns the
 * descriptor, which the caller closes to unlock, or -1 with err. */
int hub_ops_dir_lock(const char *data_dir, char *err, size_t errlen);

/* Takes the exclusive lock on <data_dir>/hub.lock (an open-file-description
 * fcntl lock, held until hub_ops_server_unlock or process exit) and writes
 * the pid into the file. hubd calls it at start-up; `backup restore`
 * refuses while it is held. Returns 0, or -1 with "data directory DIR is
 * in use by another server (pid N)" or the system error in err. */
int hub_ops_server_lock(const char *data_dir, char *err, size_t errlen);

/* Releases the lock taken by hub_ops_server_lock (no-op when none). */
void hub_ops_server_unlock(void);

/* ================================================================ backups */

/* One backup file. */
typedef struct hub_backup_info {
	char path[4096]; /* absolute path */
	int64_t size;	 /* bytes */
	int64_t time_ms; /* UTC milliseconds from the file name */
} hub_backup_info;

/* Makes a backup of <data_dir>/hub.db. On success writes the absolute path
 * of the new file into path (may be NULL) and returns 0; returns -1 with a
 * message in err otherwise (no partial file is left behind). Safe while
 * other connections and processes write. */
int hub_ops_backup_create(const char *data_dir, char *path, size_t pathlen,
			  char *err, size_t errlen);

/* Lists the backups of data_dir, oldest first. *out is owned: free().
 * Returns 0 (also with *n == 0 when there are none) or -1 with err. */
int hub_ops_backup_list(const char *data_dir, hub_backup_info **out, size_t *n,
			char *err, size_t errlen);

/* Checks that `file` is a sound Business Hub database: opens it read-only,
 * runs PRAGMA integrity_check and looks for hub_migrations. Returns 0, or
 * -1 with the first problem in err. */
int hub_ops_backup_verify(const char *file, char *err, size_t errlen);

/* Replaces the database of data_dir with the contents of `file`. Refuses
 * while a server holds the data directory (hub_ops_server_lock) and when
 * `file` fails hub_ops_backup_verify. First backs up the current database
 * and names that file in `saved` (may be NULL; "" when there was nothing
 * to save); a current database too damaged to back up has its raw files
 * saved as backups/hub-TIME.db.broken (and -wal) instead. Returns 0 or -1
 * with err. */
int hub_ops_backup_restore(const char *data_dir, const char *file, char *saved,
			   size_t savedlen, char *err, size_t errlen);

/* ------------------------------------------------- backups on PostgreSQL
 * With [storage] backend = postgresql, hub_ops_backup_create and
 * hub_ops_backup_restore use pg_dump / pg_restore (backup_pg.c) and the
 * files are <data_dir>/backups/hub-YYYYMMDDTHHMMSS.mmmZ.pgdump (pg_dump's
 * custom format of the hub's schema), listed, rotated and downloaded like
 * the SQLite ones. hub_ops_backup_verify picks the check by suffix. */

#define HUB_OPS_PG_SUFFIX ".pgdump"

/* pg_dump -Fc of the configured schema into a new backup file. The
 * password goes to pg_dump in its environment (PGPASSWORD) only. Fails
 * with a clear message when the pg_dump found on PATH is older than the
 * server. A failed or empty dump leaves no file. Returns 0 with the
 * absolute path in path (may be NULL), or -1 with err. */
int hub_ops_pg_backup_create(const char *data_dir, char *path, size_t pathlen,
			     char *err, size_t errlen);

/* Reads the whole archive (pg_restore to /dev/null) and checks that it
 * holds the hub_migrations table's data. Returns 0 or -1 with err. */
int hub_ops_pg_backup_verify(const char *file, char *err, size_t errlen);

/* Puts a .pgdump back into the configured schema: refuses while a server
 * holds data_dir or any hubd is connected to the database, or when the
 * dump is of another schema or not a .pgdump; backs up the current
 * database first (path in saved; "" when the schema has no hub_migrations
 * table, so there is nothing to save), drops the schema's tables and
 * functions and runs pg_restore in one transaction. Returns 0 or -1 with
 * err. */
int hub_ops_pg_backup_restore(const char *data_dir, const char *file,
			      char *saved, size_t savedlen, char *err,
			      size_t errlen);

/* For backup.c and backup_pg.c: makes <data_dir>/backups and a fresh empty 0600
 * temporary file named after the current time with suffix `sfx`; fills
 * final and tmp (PATH_MAX each). Returns 0 or -1 with err. */
int hub_ops_backup_new_file(const char *data_dir, const char *sfx, char *final,
			    char *tmp, char *err, size_t errlen);

/* For backup.c and backup_pg.c: fsyncs `tmp`, links it to `final` (never
 * replacing a file), copies the secret key beside it and fsyncs the directory.
 * The caller removes tmp. Writes the absolute path into path (may be NULL).
 * Returns 0 or -1 with err. */
int hub_ops_backup_publish(const char *data_dir, const char *tmp,
			   const char *final, char *path, size_t pathlen,
			   char *err, size_t errlen);

/* Rotation policy: marks in keep[i] (1 keep, 0 delete) which of the n
 * backups taken at time_ms[i] (UTC ms, any order) to keep: the newest of
 * each of the keep_daily most recent days that have a backup, and the
 * newest of each of the keep_weekly most recent ISO weeks that have one
 * (days and weeks in the business time zone). The newest backup is always
 * kept. */
void hub_ops_backup_select(const int64_t *time_ms, size_t n, int keep_daily,
			   int keep_weekly, int *keep);

/* Applies hub_ops_backup_select to data_dir's backups, deletes the rest
 * and stale temporary files. *removed (may be NULL) gets the count.
 * Returns 0 or -1 with err. */
int hub_ops_backup_rotate(const char *data_dir, int keep_daily, int keep_weekly,
			  int *removed, char *err, size_t errlen);

/* Parses a backup file name ("hub-20261128T004512.123Z.db", no directory)
 * into UTC milliseconds. Returns 0 or -1 when the name is not one. */
int hub_ops_backup_name_time(const char *name, int64_t *time_ms);

/* Writes the backup file name for the current time with suffix `sfx`
 * (".db", ".pgdump") into out (at least 40 bytes). Cannot fail. */
void hub_ops_backup_name_now(const char *sfx, char *out, size_t n);

/* Registers the daily backup job ("core"/"backup") with the scheduler,
 * reading [backup] daily_at (default 03:00), keep_daily (7), keep_weekly (4),
 * enabled (true). The job backs up hub_store_data_dir(), then rotates.
 * Call before hub_sched_start. Returns 0 or -1 (logged). */
int hub_ops_register_jobs(void);

/* `hubctl backup ...`: argv[0] is "backup", argv[1] the subcommand
 * (create, list, verify FILE, restore FILE). Prints results to stdout and
 * one error line to stderr. Returns the process exit code (0 or 1). */
int hub_ops_backup_cmd(const char *data_dir, int argc, char **argv);

/* ============================================================ copy-to-pg */

/* `hubctl copy-to-pg --from PATH` (copy_pg.c): copies the SQLite database
 * PATH (a hub.db file or a data directory holding one) into the store
 * this process has open, which must be PostgreSQL with every migration
 * applied. Refuses while a server holds the source's data directory, when
 * a module's schema version differs between the two, when the target
 * holds any data (tables named *_meta, which migrations seed, excepted)
 * or its secret-key check differs from the source's. Copies in one
 * transaction, sets identity counters past the copied ids, compares the
 * row counts and prints one line per table and a summary to stdout.
 * Returns 0, or -1 with one line in err (nothing copied). */
int hub_ops_copy_to_pg(const char *from, char *err, size_t errlen);

/* ================================================================= import */

/* The modules' part of an import, as the host hands it over (ops knows
 * no module): how many import hooks there are, and running them all in
 * module load order on db (0, or -1 with "file:line: reason" in err;
 * *ran counts the hooks that succeeded). */
typedef struct hub_ops_importers {
	size_t (*count)(void);
	int (*run)(hub_db *db, const char *dir, char *err, size_t errlen,
		   int *ran);
} hub_ops_importers;

/* `hubctl import-json DIR`: runs the identity import (hub_id_import) and
 * the modules' import hooks (`mods`), inside one write transaction on the
 * calling thread's connection. Returns 0, or -1 with "file:line: reason"
 * (or another one-line reason) in err, in which case nothing was
 * imported. Hooks must be idempotent (upserts keyed on the old system's
 * ids), so running an import twice changes nothing. */
int hub_ops_import_json(const char *dir, const hub_ops_importers *mods,
			char *err, size_t errlen);

/* The identity part of the import (users, password hashes, 2FA state);
 * implemented in core/src/identity. Same contract as hub_import_fn. */
int hub_id_import(hub_db *db, const char *dir, char *err, size_t errlen);

#endif
