/*
 * copy_pg.c - `hubctl copy-to-pg --from PATH`: copies an SQLite
 * deployment into the PostgreSQL database of the configuration.
 *
 * hubctl has already opened the PostgreSQL store and applied every
 * migration (core and each configured module) before this runs, so the
 * target has the current schema. Then:
 *
 *   1. the source's data directory lock is taken (its hubd must be
 *      stopped), the source opened read-only in one read transaction;
 *   2. every module's schema version must be the same on both sides (an
 *      older source is brought up to date by starting its hubd once);
 *   3. the target must be empty: no rows in any table but hub_migrations
 *      and the *_meta tables migrations seed (those are replaced by the
 *      source's rows); the source's secret-key check must match the
 *      target's (the same secret key, else 2FA secrets become unreadable);
 *   4. in one transaction: user triggers off (the analytics roll-ups are
 *      copied as they are, not counted twice), every source table with a
 *      counterpart copied row by row in a foreign-key-safe order (columns
 *      both sides have), identity counters set past the highest id,
 *      triggers on, row counts compared table by table; any difference
 *      rolls everything back.
 *
 * Table and column names come from the two catalogs and must be plain
 * lower-case identifiers; values always travel as bound parameters.
 */
#define _GNU_SOURCE
#include "ops/ops.h"
#include "base/log.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TABLES 256
#define MAX_COLS   128

typedef struct cp_table {
	char name[64];
	int in_src;	  /* the source has it */
	int64_t src_rows; /* rows in the source */
	int64_t dst_rows; /* rows in the target after the copy */
	int done;	  /* copied (ordering) */
	char deps[8][64]; /* tables its foreign keys point to */
	int ndeps;
} cp_table;

typedef struct cp_run {
	sqlite3 *src;
	hub_db *dst;
	cp_table t[MAX_TABLES];
	int n;
	char *err;
	size_t errlen;
	int64_t total;
} cp_run;

/* 1 when s is a plain identifier ([a-z0-9_], not empty, < 64). */
static int ident_ok(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n < 64;
}

static int is_meta(const char *t)
{
	size_t n = strlen(t);
	return n > 5 && strcmp(t + n - 5, "_meta") == 0;
}

/* err = what: the target's last error (first line). Returns -1. */
static int dst_fail(cp_run *r, const char *what)
{
	const char *m = hub_store_errmsg(r->dst);
	snprintf(r->err, r->errlen, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
	return -1;
}

/* ================================================================ catalogs */

/* The target's tables (current schema) into r->t. */
static int list_tables(cp_run *r)
{
	hub_stmt *st = NULL;
	int rc;
	if (hub_store_prepare(r->dst,
			      "SELECT tablename FROM pg_tables WHERE "
			      "schemaname = current_schema() AND tablename "
			      "<> 'hub_migrations' ORDER BY tablename",
			      &st) != HUB_DB_OK)
		return dst_fail(r, "list tables");
	while ((rc = hub_stmt_step(st)) == HUB_DB_ROW && r->n < MAX_TABLES) {
		cp_table *t = &r->t[r->n];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", hub_col_text(st, 0));
		if (ident_ok(t->name))
			r->n++;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE && rc != HUB_DB_ROW)
		return dst_fail(r, "list tables");
	return 0;
}

/* Foreign-key targets of every table (for the copy order). */
static int list_deps(cp_run *r)
{
	hub_stmt *st = NULL;
	int rc;
	if (hub_store_prepare(
		r->dst,
		"SELECT c.conrelid::regclass::text, "
		"c.confrelid::regclass::text "
		"FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
		"c.connamespace WHERE c.contype = 'f' AND n.nspname = "
		"current_schema()",
		&st) != HUB_DB_OK)
		return dst_fail(r, "foreign keys");
	while ((rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		const char *from = hub_col_text(st, 0),
			   *to = hub_col_text(st, 1);
		for (int i = 0; i < r->n; i++) {
			cp_table *t = &r->t[i];
			if (from && to && strcmp(t->name, from) == 0 &&
			    strcmp(from, to) != 0 && t->ndeps < 8)
				snprintf(t->deps[t->ndeps++], 64, "%s", to);
		}
	}
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? 0 : dst_fail(r, "foreign keys");
}

/* Rows of table `name` in the source (-1 on error). */
static int64_t src_count(sqlite3 *h, const char *name)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM \"%s\"", name);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Rows of table `name` in the target (-1 on error). */
static int64_t dst_count(hub_db *db, const char *name)
{
	char sql[128];
	hub_stmt *st = NULL;
	int64_t n = -1;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM \"%s\"", name);
	if (hub_store_prepare(db, sql, &st) == HUB_DB_OK &&
	    hub_stmt_step(st) == HUB_DB_ROW)
		n = hub_col_int(st, 0);
	hub_stmt_finalize(st);
	return n;
}

/* Checks the source's tables against the target's: each source table with
 * rows needs a counterpart. Fills in_src and src_rows. */
static int match_tables(cp_run *r)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(r->src,
			       "SELECT name FROM sqlite_master WHERE type = "
			       "'table' AND name NOT LIKE 'sqlite_%' AND name "
			       "<> 'hub_migrations' ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(r->err, r->errlen, "source: %s",
			 sqlite3_errmsg(r->src));
		return -1;
	}
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int found = 0;
		int64_t n = src_count(r->src, name);
		for (int i = 0; i < r->n; i++) {
			if (strcmp(r->t[i].name, name) == 0) {
				r->t[i].in_src = 1;
				r->t[i].src_rows = n;
				found = 1;
			}
		}
		if (!found && n > 0) {
			snprintf(r->err, r->errlen,
				 "source table %s (%lld rows) has no "
				 "counterpart in PostgreSQL: configure the "
				 "module it belongs to",
				 name, (long long)n);
			rc = -1;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The source's schema versions must equal the target's. */
static int same_versions(cp_run *r)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(r->src,
			       "SELECT module, MAX(version) FROM "
			       "hub_migrations GROUP BY module",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(r->err, r->errlen,
			 "source: not a Business Hub database (%s)",
			 sqlite3_errmsg(r->src));
		return -1;
	}
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *mod = (const char *)sqlite3_column_text(st, 0);
		int v = sqlite3_column_int(st, 1);
		int d = hub_store_schema_version(r->dst, mod);
		if (d != v) {
			snprintf(r->err, r->errlen,
				 "module %s: the source is at schema version "
				 "%d, PostgreSQL at %d (%s)",
				 mod, v, d,
				 d < v
				     ? "configure the module here"
				     : "start the SQLite hubd of this version "
				       "once to bring the source up to date");
			rc = -1;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The target must hold no data yet; the secret-key check must agree. */
static int target_empty(cp_run *r)
{
	sqlite3_stmt *st = NULL;
	hub_stmt *ds = NULL;
	char src_key[128] = "", dst_key[128] = "";
	for (int i = 0; i < r->n; i++) {
		int64_t n = dst_count(r->dst, r->t[i].name);
		if (n < 0)
			return dst_fail(r, r->t[i].name);
		if (n > 0 && !is_meta(r->t[i].name)) {
			snprintf(r->err, r->errlen,
				 "the PostgreSQL database is not empty (table "
				 "%s has %lld rows): copy into a new database "
				 "or schema",
				 r->t[i].name, (long long)n);
			return -1;
		}
	}
	if (sqlite3_prepare_v2(r->src,
			       "SELECT value FROM auth_meta WHERE name = "
			       "'key_check'",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(src_key, sizeof(src_key), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (hub_store_prepare(r->dst,
			      "SELECT value FROM auth_meta WHERE name = "
			      "'key_check'",
			      &ds) == HUB_DB_OK &&
	    hub_stmt_step(ds) == HUB_DB_ROW)
		snprintf(dst_key, sizeof(dst_key), "%s", hub_col_text(ds, 0));
	hub_stmt_finalize(ds);
	if (src_key[0] && dst_key[0] && strcmp(src_key, dst_key) != 0) {
		snprintf(r->err, r->errlen,
			 "the secret key differs from the source's: copy the "
			 "source's secret.key into this data directory (or "
			 "set the same HUB_SECRET_KEY)");
		return -1;
	}
	return 0;
}

/* ================================================================== copy */

typedef struct cp_cols {
	char name[MAX_COLS][64];
	int bytea[MAX_COLS];
	int identity[MAX_COLS];
	int n;
} cp_cols;

/* Columns of `table` both sides have, in the target's order. */
static int common_cols(cp_run *r, const char *table, cp_cols *c)
{
	hub_stmt *st = NULL;
	int rc;
	c->n = 0;
	if (hub_store_prepare(r->dst,
			      "SELECT column_name, data_type, is_identity = "
			      "'YES' OR column_default LIKE 'nextval(%' "
			      "FROM information_schema.columns WHERE "
			      "table_schema = current_schema() AND "
			      "table_name = ? ORDER BY ordinal_position",
			      &st) != HUB_DB_OK ||
	    hub_stmt_bind_text(st, 1, table) != HUB_DB_OK)
		return dst_fail(r, "columns");
	while ((rc = hub_stmt_step(st)) == HUB_DB_ROW && c->n < MAX_COLS) {
		const char *col = hub_col_text(st, 0);
		const char *type = hub_col_text(st, 1);
		int counter = (int)hub_col_int(st, 2);
		char sql[200];
		sqlite3_stmt *probe = NULL;
		if (!ident_ok(col))
			continue;
		snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM \"%s\" LIMIT 0",
			 col, table);
		if (sqlite3_prepare_v2(r->src, sql, -1, &probe, NULL) ==
		    SQLITE_OK) {
			snprintf(c->name[c->n], 64, "%s", col);
			c->bytea[c->n] = type && strcmp(type, "bytea") == 0;
			c->identity[c->n] = counter;
			c->n++;
		}
		sqlite3_finalize(probe);
	}
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE || rc == HUB_DB_ROW ? 0
						     : dst_fail(r, "columns");
}

/* Binds source column i of `s` to target parameter i + 1. */
static int bind_value(hub_stmt *ins, sqlite3_stmt *s, int i, int bytea)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return hub_stmt_bind_null(ins, i + 1);
	case SQLITE_INTEGER:
		if (!bytea)
			return hub_stmt_bind_int(ins, i + 1,
						 sqlite3_column_int64(s, i));
		break;
	case SQLITE_FLOAT:
		if (!bytea)
			return hub_stmt_bind_double(
			    ins, i + 1, sqlite3_column_double(s, i));
		break;
	case SQLITE_TEXT:
		if (!bytea)
			return hub_stmt_bind_text(
			    ins, i + 1,
			    (const char *)sqlite3_column_text(s, i));
		break;
	default:
		break;
	}
	return hub_stmt_bind_blob(ins, i + 1, sqlite3_column_blob(s, i),
				  (size_t)sqlite3_column_bytes(s, i));
}

/* Builds "SELECT a, b FROM t" (sqlite) and "INSERT INTO t (a, b) VALUES
 * (?, ?)" for the columns. Returns 0 or -1 when too long. */
static int build_sql(const char *table, const cp_cols *c, char *sel, char *ins,
		     size_t len)
{
	size_t a = (size_t)snprintf(sel, len, "SELECT ");
	size_t b = (size_t)snprintf(ins, len, "INSERT INTO \"%s\" (", table);
	for (int i = 0; i < c->n && a < len && b < len; i++) {
		a += (size_t)snprintf(sel + a, len - a, "%s\"%s\"",
				      i ? ", " : "", c->name[i]);
		b += (size_t)snprintf(ins + b, len - b, "%s\"%s\"",
				      i ? ", " : "", c->name[i]);
	}
	if (a < len)
		a += (size_t)snprintf(sel + a, len - a,
				      " FROM \"%s\" ORDER BY rowid", table);
	if (b < len)
		b += (size_t)snprintf(ins + b, len - b, ") VALUES (");
	for (int i = 0; i < c->n && b < len; i++)
		b += (size_t)snprintf(ins + b, len - b, "%s?", i ? ", " : "");
	if (b < len)
		b += (size_t)snprintf(ins + b, len - b, ")");
	return a < len && b < len ? 0 : -1;
}

/* Copies one table's rows and moves its identity counters past them. */
static int copy_table(cp_run *r, cp_table *t)
{
	static char sel[16384], ins[16384];
	cp_cols c;
	sqlite3_stmt *s = NULL;
	hub_stmt *st = NULL;
	int rc = -1, src_rc;
	char sql[512];

	if (common_cols(r, t->name, &c) != 0)
		return -1;
	if (is_meta(t->name)) {
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", t->name);
		if (hub_store_exec(r->dst, sql) != HUB_DB_OK)
			return dst_fail(r, t->name);
	}
	if (c.n == 0 || build_sql(t->name, &c, sel, ins, sizeof(sel)) != 0) {
		snprintf(r->err, r->errlen, "%s: no columns to copy", t->name);
		return -1;
	}
	if (sqlite3_prepare_v2(r->src, sel, -1, &s, NULL) != SQLITE_OK) {
		/* WITHOUT ROWID tables: no rowid to order by */
		char *o = strstr(sel, " ORDER BY rowid");
		if (o)
			*o = 0;
		if (sqlite3_prepare_v2(r->src, sel, -1, &s, NULL) !=
		    SQLITE_OK) {
			snprintf(r->err, r->errlen, "source %s: %s", t->name,
				 sqlite3_errmsg(r->src));
			return -1;
		}
	}
	if (hub_store_prepare(r->dst, ins, &st) != HUB_DB_OK) {
		dst_fail(r, t->name);
		goto out;
	}
	while ((src_rc = sqlite3_step(s)) == SQLITE_ROW) {
		int brc = HUB_DB_OK;
		for (int i = 0; i < c.n && brc == HUB_DB_OK; i++)
			brc = bind_value(st, s, i, c.bytea[i]);
		if (brc != HUB_DB_OK || hub_stmt_step(st) != HUB_DB_DONE ||
		    hub_stmt_reset(st) != HUB_DB_OK) {
			dst_fail(r, t->name);
			goto out;
		}
	}
	if (src_rc != SQLITE_DONE) {
		snprintf(r->err, r->errlen, "source %s: %s", t->name,
			 sqlite3_errmsg(r->src));
		goto out;
	}
	for (int i = 0; i < c.n; i++) {
		hub_stmt *q = NULL;
		int qrc;
		if (!c.identity[i])
			continue;
		snprintf(sql, sizeof(sql),
			 "SELECT setval(pg_get_serial_sequence(?, ?), "
			 "COALESCE(MAX(\"%s\"), 0) + 1, false) FROM \"%s\"",
			 c.name[i], t->name);
		qrc = hub_store_prepare(r->dst, sql, &q);
		if (qrc == HUB_DB_OK)
			qrc = hub_stmt_bind_text(q, 1, t->name);
		if (qrc == HUB_DB_OK)
			qrc = hub_stmt_bind_text(q, 2, c.name[i]);
		if (qrc == HUB_DB_OK)
			qrc = hub_stmt_step(q);
		hub_stmt_finalize(q);
		if (qrc != HUB_DB_ROW) {
			dst_fail(r, "identity counter");
			goto out;
		}
	}
	rc = 0;
out:
	hub_stmt_finalize(st);
	sqlite3_finalize(s);
	return rc;
}

/* 1 when every table t depends on is copied (or not ours). */
static int deps_done(const cp_run *r, const cp_table *t)
{
	for (int d = 0; d < t->ndeps; d++)
		for (int i = 0; i < r->n; i++)
			if (!strcmp(r->t[i].name, t->deps[d]) &&
			    !r->t[i].done && &r->t[i] != t)
				return 0;
	return 1;
}

/* Switches user triggers of every table off (on = 0) or on. */
static int triggers(cp_run *r, int on)
{
	char sql[160];
	for (int i = 0; i < r->n; i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE \"%s\" %s TRIGGER USER",
			 r->t[i].name, on ? "ENABLE" : "DISABLE");
		if (hub_store_exec(r->dst, sql) != HUB_DB_OK)
			return dst_fail(r, "triggers");
	}
	return 0;
}

/* The transaction: triggers off, tables in dependency order, triggers on,
 * counts compared. */
static int copy_all(cp_run *r)
{
	int left = r->n;
	if (triggers(r, 0) != 0)
		return -1;
	for (int i = 0; i < r->n; i++)
		r->t[i].done = !r->t[i].in_src;
	for (int i = 0; i < r->n; i++)
		if (r->t[i].done)
			left--;
	while (left > 0) {
		int progress = 0;
		for (int i = 0; i < r->n; i++) {
			cp_table *t = &r->t[i];
			if (t->done || !deps_done(r, t))
				continue;
			if (copy_table(r, t) != 0)
				return -1;
			t->done = 1;
			left--;
			progress = 1;
		}
		if (!progress) {
			snprintf(r->err, r->errlen,
				 "foreign keys form a cycle between tables");
			return -1;
		}
	}
	if (triggers(r, 1) != 0)
		return -1;
	r->total = 0;
	for (int i = 0; i < r->n; i++) {
		cp_table *t = &r->t[i];
		t->dst_rows = dst_count(r->dst, t->name);
		if (t->in_src && t->dst_rows != t->src_rows) {
			snprintf(r->err, r->errlen,
				 "%s: %lld rows in the source, %lld copied",
				 t->name, (long long)t->src_rows,
				 (long long)t->dst_rows);
			return -1;
		}
		r->total += t->dst_rows;
	}
	return 0;
}

/* ============================================================== command */

/* The source database file for `from` (a file, or a data directory with
 * hub.db) into path, and its data directory into dir. */
static int source_paths(const char *from, char *path, char *dir, char *err,
			size_t errlen)
{
	struct stat sb;
	if (stat(from, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(dir, PATH_MAX, "%s", from);
		snprintf(path, PATH_MAX, "%s/hub.db", from);
	} else {
		const char *slash = strrchr(from, '/');
		snprintf(path, PATH_MAX, "%s", from);
		if (slash)
			snprintf(dir, PATH_MAX, "%.*s", (int)(slash - from),
				 from);
		else
			snprintf(dir, PATH_MAX, ".");
	}
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: no SQLite database there", path);
		return -1;
	}
	return 0;
}

int hub_ops_copy_to_pg(const char *from, char *err, size_t errlen)
{
	static cp_run r;
	char path[PATH_MAX], dir[PATH_MAX];
	int rc = -1, locked = 0, in_tx = 0;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.errlen = errlen;
	r.dst = hub_store_db();
	if (!r.dst || strcmp(hub_store_dialect(r.dst), "postgresql") != 0) {
		snprintf(err, errlen,
			 "the configuration must name the PostgreSQL target "
			 "([storage] backend = postgresql, dsn)");
		return -1;
	}
	if (source_paths(from, path, dir, err, errlen) != 0)
		return -1;
	if (hub_ops_server_lock(dir, err, errlen) != 0)
		return -1;
	locked = 1;
	if (sqlite3_open_v2(path, &r.src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 r.src ? sqlite3_errmsg(r.src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(r.src, 10000);
	if (sqlite3_exec(r.src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(r.src));
		goto out;
	}
	if (same_versions(&r) != 0 || list_tables(&r) != 0 ||
	    list_deps(&r) != 0 || match_tables(&r) != 0)
		goto out;
	if (hub_store_begin(r.dst) != HUB_DB_OK) {
		dst_fail(&r, "begin");
		goto out;
	}
	in_tx = 1;
	if (target_empty(&r) != 0 || copy_all(&r) != 0)
		goto out;
	in_tx = 0;
	if (hub_store_commit(r.dst) != HUB_DB_OK) {
		dst_fail(&r, "commit");
		goto out;
	}
	for (int i = 0; i < r.n; i++)
		printf("%-28s %8lld\n", r.t[i].name,
		       (long long)r.t[i].dst_rows);
	printf("copied %lld rows in %d tables from %s; row counts "
	       "verified\n",
	       (long long)r.total, r.n, path);
	hub_logf(HUB_LOG_INFO, "ops", "copied %s into postgresql (%lld rows)",
		 path, (long long)r.total);
	rc = 0;
out:
	if (in_tx)
		hub_store_rollback(r.dst);
	if (r.src)
		sqlite3_close_v2(r.src);
	if (locked)
		hub_ops_server_unlock();
	return rc;
}
