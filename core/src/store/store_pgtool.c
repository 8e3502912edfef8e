/*
 * store_pgtool.c - what PostgreSQL's own tools (pg_dump, pg_restore) need
 * to reach the configured database: the engine in use, the connection
 * string without its password, the password on its own (for PGPASSWORD,
 * never a command line), the schema the hub's tables live in and the
 * server's major version.
 *
 * The engine is read from the settings ([storage] backend, env
 * HUB_STORAGE_BACKEND) without opening the store, so `hubctl backup`
 * can ask before any connection exists.
 */
#define _GNU_SOURCE
#include "store/store.h"
#include "store/store_backend.h"
#include "base/conf.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [storage] key, or env `env` when the configuration has none. */
static const char *setting(const char *key, const char *env)
{
	const char *v = hub_conf_get("storage", key);
	if (!v || !*v)
		v = getenv(env);
	return v && *v ? v : NULL;
}

/* See store.h. */
int hub_store_engine_is_pg(void)
{
	const char *b = setting("backend", "HUB_STORAGE_BACKEND");
	return b && strcmp(b, "postgresql") == 0;
}

/* See store.h. */
const char *hub_store_pg_dsn(void)
{
	const char *dsn = setting("dsn", "HUB_DATABASE_URL");
	return dsn ? dsn : hub_conf_get("storage", "postgres_url");
}

/* Appends key='value' (libpq quoting) to out. Returns 0 or -1 when full. */
static int add_kv(char *out, size_t outlen, const char *k, const char *v)
{
	size_t n = strlen(out);
	int w = snprintf(out + n, outlen - n, "%s%s='", n ? " " : "", k);
	if (w < 0 || (size_t)w >= outlen - n)
		return -1;
	n += (size_t)w;
	for (; *v; v++) {
		if (n + 3 >= outlen)
			return -1;
		if (*v == '\'' || *v == '\\')
			out[n++] = '\\';
		out[n++] = *v;
	}
	if (n + 2 > outlen)
		return -1;
	out[n++] = '\'';
	out[n] = 0;
	return 0;
}

/* Splits `dsn` into t->conninfo (every set option but the password) and
 * t->password. Returns 0 or -1 with err (never quoting the DSN). */
static int split_dsn(const char *dsn, hub_store_pg_target *t, char *err,
		     size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	int rc = 0;
	if (!opts) {
		snprintf(err, errlen, "[storage] dsn: cannot be parsed (%s)",
			 perr ? strtok(perr, "\n") : "out of memory");
		PQfreemem(perr);
		return -1;
	}
	t->conninfo[0] = t->password[0] = 0;
	for (PQconninfoOption *o = opts; o->keyword && rc == 0; o++) {
		if (!o->val || !*o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			if (strlen(o->val) >= sizeof(t->password))
				rc = -1;
			else
				snprintf(t->password, sizeof(t->password), "%s",
					 o->val);
			continue;
		}
		rc = add_kv(t->conninfo, sizeof(t->conninfo), o->keyword,
			    o->val);
	}
	PQconninfoFree(opts);
	if (rc != 0)
		snprintf(err, errlen, "[storage] dsn: too long");
	return rc;
}

/* See store.h. */
hub_db *hub_store_pg_connect(const char *data_dir, char *err, size_t errlen)
{
	const char *dsn = hub_store_pg_dsn();
	hub_db *db = NULL;
	if (!dsn) {
		snprintf(err, errlen,
			 "[storage] dsn: missing (backend postgresql needs a "
			 "libpq URI, or HUB_DATABASE_URL)");
		return NULL;
	}
	hub_store_pg_set_schema(setting("schema", "HUB_STORAGE_SCHEMA"),
				data_dir);
	if (hub_store_backend_pg.open(dsn, 5000, &db, err, errlen) != HUB_DB_OK)
		return NULL;
	return db;
}

/* See store.h. */
void hub_store_pg_disconnect(hub_db *db)
{
	if (db)
		db->be->close(db);
}

/* See store.h. */
int hub_store_pg_target_get(const char *data_dir, hub_store_pg_target *t,
			    char *err, size_t errlen)
{
	const char *dsn = hub_store_pg_dsn();
	hub_db *db;
	hub_stmt *st = NULL;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (dsn && split_dsn(dsn, t, err, errlen) != 0)
		return -1;
	db = hub_store_pg_connect(data_dir, err, errlen);
	if (!db)
		return -1;
	if (hub_store_backend_pg.prepare(
		db,
		"SELECT current_schema(), "
		"current_setting('server_version_num')::int / 10000",
		&st) != HUB_DB_OK ||
	    hub_store_backend_pg.step(st) != HUB_DB_ROW) {
		snprintf(err, errlen, "postgresql: %s",
			 hub_store_backend_pg.errmsg(db));
		goto out;
	}
	snprintf(t->schema, sizeof(t->schema), "%s",
		 hub_store_backend_pg.col_text(st, 0)
		     ? hub_store_backend_pg.col_text(st, 0)
		     : "");
	t->server_major = (int)hub_store_backend_pg.col_int(st, 1);
	if (!t->schema[0]) {
		snprintf(err, errlen, "postgresql: no current schema");
		goto out;
	}
	rc = 0;
out:
	if (st)
		hub_store_backend_pg.finalize(st);
	hub_store_pg_disconnect(db);
	return rc;
}
