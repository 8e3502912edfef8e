/*
 * import.c - `hubctl import-json DIR`: the old system's data directory
 * into the store, in one transaction.
 *
 * The core does not read the files itself: the identity service imports
 * users, password hashes and 2FA state (hub_id_import), and each module
 * that owns imported data (bookings, outcomes, blocked dates) registered an
 * import hook. Here they run in module load order inside one write
 * transaction, so a bad line anywhere imports nothing at all and the
 * message ("file:line: reason") says where. Every part upserts on the old
 * system's keys, so a second run changes nothing.
 */
#define _GNU_SOURCE
#include "ops/ops.h"
#include "base/log.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The page cache of the import's connection, KiB (SQLite). */
#define IMPORT_CACHE_KIB "1048576"

/* The old system's files (relative to DIR); the first two are the
 * identity service's, the others the modules'. */
static const char *const known_files[] = {
    "user_passwords.json",     "user_2fa.json",		  "blocked_dates.json",
    "tracking/bookings.jsonl", "tracking/outcomes.jsonl", NULL};

typedef struct import_run {
	const char *dir;
	const hub_ops_importers *mods;
	char *err;
	size_t errlen;
	int hooks; /* hooks called, for the log */
} import_run;

/* The transaction body: identity first, then every module's hooks. */
static int import_tx(hub_db *db, void *ud)
{
	import_run *r = ud;
	r->hooks = 0;
	r->err[0] = 0;
	if (hub_id_import(db, r->dir, r->err, r->errlen) != 0) {
		if (!r->err[0])
			snprintf(r->err, r->errlen, "users: import failed");
		return HUB_DB_ERROR;
	}
	if (r->mods->run(db, r->dir, r->err, r->errlen, &r->hooks) != 0)
		return HUB_DB_ERROR;
	return HUB_DB_OK;
}

/* Finds the first file of DIR that only modules import (everything but
 * the identity files); writes its path into path. Returns 1 when found. */
static int module_files(const char *dir, char *path, size_t n)
{
	for (size_t i = 2; known_files[i]; i++) {
		snprintf(path, n, "%s/%s", dir, known_files[i]);
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

/* Imports DIR; see ops.h. */
int hub_ops_import_json(const char *dir, const hub_ops_importers *mods,
			char *err, size_t errlen)
{
	import_run r = {dir, mods, err, errlen, 0};
	hub_db *db = hub_store_db();
	char path[PATH_MAX];
	struct stat sb;
	int found = 0, rc;

	if (!dir || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", dir ? dir : "(none)",
			 dir && stat(dir, &sb) == 0 ? "not a directory"
						    : strerror(errno));
		return -1;
	}
	for (size_t i = 0; known_files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, known_files[i]);
		found += access(path, R_OK) == 0;
	}
	if (!found) {
		snprintf(err, errlen,
			 "%s: none of the old system's files found "
			 "(user_passwords.json, user_2fa.json, "
			 "blocked_dates.json, tracking/bookings.jsonl, "
			 "tracking/outcomes.jsonl)",
			 dir);
		return -1;
	}
	if (!db) {
		snprintf(err, errlen, "storage is not open");
		return -1;
	}
	if (!mods->count() && module_files(dir, path, sizeof(path))) {
		snprintf(err, errlen,
			 "%s is there but no loaded module imports it (is the "
			 "booking module enabled in the configuration?)",
			 path);
		return -1;
	}
	/* SQLite's default page cache (2 MiB) is far smaller than a big
	 * history: inside the one import transaction it would spill dirty
	 * pages to the WAL and read them back on every row (minutes for a
	 * few hundred thousand bookings). Memory grows only as used. */
	if (strcmp(hub_store_dialect(db), "sqlite") == 0)
		hub_store_exec(db, "PRAGMA cache_size = -" IMPORT_CACHE_KIB
				   "; PRAGMA temp_store = MEMORY");
	rc = hub_store_transaction(db, import_tx, &r);
	if (strcmp(hub_store_dialect(db), "sqlite") == 0)
		hub_store_exec(db, "PRAGMA cache_size = -2000; "
				   "PRAGMA temp_store = DEFAULT");
	if (rc != HUB_DB_OK) {
		if (!err[0] || rc != HUB_DB_ERROR)
			snprintf(err, errlen, "import rolled back: %s (%s)",
				 hub_store_rc_name(rc), hub_store_errmsg(db));
		return -1; /* the caller reports err */
	}
	hub_logf(HUB_LOG_INFO, "ops",
		 "imported %s (%d of %d known files present, %d module "
		 "hook(s))",
		 dir, found, 5, r.hooks);
	return 0;
}
