/*
 * id_runtime.c - identity settings an admin changes at run time, stored in
 * auth_meta so that every server of a cluster sees them: today the
 * "require 2FA for everyone" switch (auth_meta name 'require_2fa', value
 * 'true' or 'false'; absent = the configuration's [auth] require_2fa).
 *
 * The value is asked for on every authenticated request, so each process
 * keeps the stored value and re-reads it at most every REFRESH_MS (one
 * indexed point query); a change made through this process applies at
 * once, on other servers within REFRESH_MS.
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"
#include "base/conf.h"
#include "identity/identity.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define REFRESH_MS 2000

/* -1 = no stored value (the configuration applies), 0 or 1 */
static int g_stored = -1;
static int64_t g_read_ms; /* when g_stored was last read; 0 = never */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the stored value (-1 when none). Returns HUB_DB_OK or an error. */
static int read_stored(hub_db *db, int *out)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(&id_sql_ops, db,
				"SELECT value FROM auth_meta WHERE name = ?",
				HUBKIT_ARGS(HUBKIT_TEXT("require_2fa")), &st);
	*out = -1;
	if (rc == HUB_DB_OK) {
		rc = hub_stmt_step(st);
		if (rc == HUB_DB_ROW) {
			*out = strcmp(hub_col_text(st, 0), "true") == 0;
			rc = HUB_DB_OK;
		} else if (rc == HUB_DB_DONE) {
			rc = HUB_DB_OK;
		}
	}
	hub_stmt_finalize(st);
	return rc;
}

int id_require_2fa(void)
{
	int64_t now = mono_ms();
	int64_t at = __atomic_load_n(&g_read_ms, __ATOMIC_RELAXED);
	if (at == 0 || now - at >= REFRESH_MS) {
		hub_db *db = hub_store_db();
		int v;
		/* on a storage error the last known value stays */
		if (db && read_stored(db, &v) == HUB_DB_OK)
			__atomic_store_n(&g_stored, v, __ATOMIC_RELAXED);
		__atomic_store_n(&g_read_ms, now ? now : 1, __ATOMIC_RELAXED);
	}
	{
		int v = __atomic_load_n(&g_stored, __ATOMIC_RELAXED);
		return v >= 0 ? v : g_idc.require_2fa;
	}
}

int hub_id_runtime_get(const char *key, char *out, size_t outlen)
{
	if (!key || strcmp(key, "auth.require_2fa") != 0)
		return -1;
	__atomic_store_n(&g_read_ms, 0, __ATOMIC_RELAXED); /* fresh */
	snprintf(out, outlen, "%s", id_require_2fa() ? "true" : "false");
	return __atomic_load_n(&g_stored, __ATOMIC_RELAXED) >= 0 ? 1 : 0;
}

int hub_id_runtime_set(hub_db *db, const char *key, const char *value)
{
	int b = hub_parse_bool(value);
	int rc;
	if (!db || !key || strcmp(key, "auth.require_2fa") != 0 || b < 0)
		return HUB_DB_EMISUSE;
	rc = id_sql(db,
		    "INSERT INTO auth_meta (name, value) VALUES (?, ?) ON "
		    "CONFLICT (name) DO UPDATE SET value = excluded.value",
		    HUBKIT_ARGS(HUBKIT_TEXT("require_2fa"),
				HUBKIT_TEXT(b ? "true" : "false")));
	if (rc == HUB_DB_OK) {
		__atomic_store_n(&g_stored, b, __ATOMIC_RELAXED);
		__atomic_store_n(&g_read_ms, mono_ms(), __ATOMIC_RELAXED);
	}
	return rc;
}
