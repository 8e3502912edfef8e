/*
 * store_migrate.c - numbered schema migrations per module.
 *
 * hub_migrations(module, version, applied_at) records what has run. Each
 * pending migration runs in its own write transaction together with the
 * insert of its record, so a migration is either applied and recorded or
 * neither: a failing one leaves the database exactly as it was before it
 * and stops start-up with a message naming module and version. Both
 * engines run DDL transactionally (SQLite and PostgreSQL alike).
 */
#define _GNU_SOURCE
#include "store/store.h"
#include "store/store_backend.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char migrations_table[] =
    "CREATE TABLE IF NOT EXISTS hub_migrations ("
    " module TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " applied_at INTEGER NOT NULL,"
    " PRIMARY KEY (module, version))";

/* Highest version of `module` in hub_migrations; see store.h. */
int hub_store_schema_version(hub_db *db, const char *module)
{
	hub_stmt *st = NULL;
	int rc, version = 0;

	if (!db || !module)
		return HUB_DB_EMISUSE;
	rc = hub_store_prepare(db,
			       "SELECT MAX(version) FROM hub_migrations "
			       "WHERE module = ?",
			       &st);
	if (rc == HUB_DB_EMISUSE) /* no such table yet */
		return 0;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, module);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	if (rc == HUB_DB_ROW) {
		version = (int)hub_col_int(st, 0);
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	return rc == HUB_DB_OK ? version : rc;
}

/* What one migration transaction needs. */
typedef struct mig_run {
	const char *module;
	const hub_migration_def *def;
	const char *sql; /* the text for this engine */
	char why[512];	 /* the engine's message when a step failed */
	int skipped;	 /* applied meanwhile by another process */
} mig_run;

/* Transaction body: the migration's SQL, then its record. */
static int apply_one(hub_db *db, void *ud)
{
	mig_run *m = ud;
	hub_stmt *st = NULL;
	/* Re-read under the write lock: another process (a second server,
	 * a hubctl run) may have applied it since we looked. */
	int done = hub_store_schema_version(db, m->module);
	if (done >= m->def->version) {
		m->skipped = 1;
		return HUB_DB_OK;
	}
	int rc = hub_store_exec(db, m->sql);
	if (rc == HUB_DB_OK)
		rc = hub_store_prepare(db,
				       "INSERT INTO hub_migrations "
				       "(module, version, applied_at) "
				       "VALUES (?, ?, ?)",
				       &st);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_text(st, 1, m->module);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 2, m->def->version);
	if (rc == HUB_DB_OK)
		rc = hub_stmt_bind_int(st, 3, (int64_t)time(NULL));
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	if (rc == HUB_DB_DONE)
		rc = HUB_DB_OK;
	if (rc != HUB_DB_OK)
		snprintf(m->why, sizeof(m->why), "%s", hub_store_errmsg(db));
	hub_stmt_finalize(st);
	return rc;
}

/* Checks the list: versions >= 1, strictly increasing, SQL present. */
static int defs_valid(const char *module, const hub_migration_def *defs,
		      size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (defs[i].version < 1 || !defs[i].sql ||
		    (i > 0 && defs[i].version <= defs[i - 1].version)) {
			snprintf(err, errlen,
				 "module %s migration %d: versions must be "
				 ">= 1 and strictly increasing, with SQL",
				 module, defs[i].version);
			return -1;
		}
	}
	return 0;
}

static int migrate(hub_db *db, const char *module,
		   const hub_migration_def *defs, size_t n, char *err,
		   size_t errlen);

/* Applies the pending migrations of `module`; see store.h. On PostgreSQL
 * the servers of a cluster starting together take turns: a session-level
 * advisory lock is held around the whole run, so each migration's
 * transaction starts after the previous holder's commits. */
int hub_store_migrate(const char *module, const hub_migration_def *defs,
		      size_t n, char *err, size_t errlen)
{
	hub_db *db = hub_store_db();
	int pg, rc;
	if (!db) {
		snprintf(err, errlen, "module %s: storage is not open",
			 module ? module : "?");
		return -1;
	}
	pg = strcmp(hub_store_dialect(db), "postgresql") == 0;
	if (pg && hub_store_exec(db, "SELECT pg_advisory_lock(4807731)") !=
		      HUB_DB_OK) {
		snprintf(err, errlen, "module %s: migration lock: %s",
			 module ? module : "?", hub_store_errmsg(db));
		return -1;
	}
	rc = migrate(db, module, defs, n, err, errlen);
	if (pg)
		hub_store_exec(db, "SELECT pg_advisory_unlock(4807731)");
	return rc;
}

static int migrate(hub_db *db, const char *module,
		   const hub_migration_def *defs, size_t n, char *err,
		   size_t errlen)
{
	int current, rc, pg;
	char why[160];

	if (!module || !*module || (n && !defs)) {
		snprintf(err, errlen, "migrations: no module name or list");
		return -1;
	}
	if (defs_valid(module, defs, n, err, errlen) != 0)
		return -1;
	rc = hub_store_exec(db, migrations_table);
	if (rc != HUB_DB_OK) {
		snprintf(err, errlen, "module %s: creating hub_migrations: %s",
			 module, hub_store_errmsg(db));
		return -1;
	}
	current = hub_store_schema_version(db, module);
	if (current < 0) {
		snprintf(err, errlen, "module %s: reading hub_migrations: %s",
			 module, hub_store_errmsg(db));
		return -1;
	}
	if (n && current > defs[n - 1].version) {
		snprintf(err, errlen,
			 "module %s: the database is at migration %d, newer "
			 "than this build knows (%d); refusing to run an "
			 "older build on it",
			 module, current, defs[n - 1].version);
		return -1;
	}
	pg = strcmp(hub_store_dialect(db), "postgresql") == 0;
	for (size_t i = 0; i < n; i++) {
		mig_run m = {module, &defs[i], defs[i].sql, "", 0};
		char *pgsql = NULL;
		if (defs[i].version <= current)
			continue;
		if (!defs[i].sql_pg &&
		    hub_store_sql_lint(defs[i].sql, why, sizeof(why)) != 0)
			hub_logf(HUB_LOG_WARN, "store",
				 "module %s migration %d is not portable SQL "
				 "(%s); give it a PostgreSQL variant",
				 module, defs[i].version, why);
		if (pg && defs[i].sql_pg)
			m.sql = defs[i].sql_pg;
		else if (pg &&
			 !(m.sql = pgsql = hub_store_sql_to_pg(defs[i].sql))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rc = hub_store_transaction(db, apply_one, &m);
		free(pgsql);
		if (rc != HUB_DB_OK) {
			snprintf(err, errlen, "module %s migration %d: %s",
				 module, defs[i].version,
				 m.why[0] ? m.why : hub_store_rc_name(rc));
			hub_logf(HUB_LOG_ERROR, "store", "%s", err);
			return -1;
		}
		if (!m.skipped)
			hub_logf(HUB_LOG_INFO, "store",
				 "module %s: applied migration %d", module,
				 defs[i].version);
	}
	return 0;
}
