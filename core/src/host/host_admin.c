/*
 * host_admin.c - the host functions behind the admin console (hub_api
 * v1.2): the log ring, backups by name, running a job now, the calendar
 * outbox, the effective configuration with secrets masked, and run-time
 * settings stored in the database.
 *
 * Backups are addressed by bare file name only: a name is accepted when
 * it is one of the names the listing returns (hub_ops_backup_list of the
 * data directory), so no path a client sends is ever opened.
 */
#define _GNU_SOURCE
#include "host/host_admin.h"

#include "calendar/calendar.h"
#include "hub_time.h"
#include "identity/identity.h"
#include "ops/ops.h"
#include "sched/sched.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BACKUP_READ_MAX ((int64_t)1 << 30) /* bytes a download may have */

/* ================================================================= logs */

char *hub_admin_log_query(int min_level, int64_t since_ms, const char *q,
			  uint64_t before, size_t limit, uint64_t *next)
{
	if (limit < 1)
		limit = 1;
	if (limit > 1000)
		limit = 1000;
	return hub_log_ring_query(min_level, since_ms, q, before, limit, next);
}

/* ============================================================== backups */

/* Results of verifications asked for through the console, by name. */
#define VERIFY_MEMO 64
static struct {
	pthread_mutex_t lock;
	struct {
		char name[64];
		int ok;
	} e[VERIFY_MEMO];
	unsigned n;
} g_verify = {PTHREAD_MUTEX_INITIALIZER, {{"", 0}}, 0};

static void verify_note(const char *name, int ok)
{
	unsigned i;
	pthread_mutex_lock(&g_verify.lock);
	for (i = 0; i < VERIFY_MEMO && i < g_verify.n; i++)
		if (!strcmp(g_verify.e[i].name, name))
			break;
	if (i == VERIFY_MEMO || i == g_verify.n)
		i = g_verify.n++ % VERIFY_MEMO;
	snprintf(g_verify.e[i].name, sizeof(g_verify.e[i].name), "%s", name);
	g_verify.e[i].ok = ok;
	pthread_mutex_unlock(&g_verify.lock);
}

/* 1 when verified (at creation every backup is integrity-checked before
 * it gets its name), 0 when a later verification failed. */
static int verify_state(const char *name)
{
	int ok = 1;
	pthread_mutex_lock(&g_verify.lock);
	for (unsigned i = 0; i < VERIFY_MEMO && i < g_verify.n; i++)
		if (!strcmp(g_verify.e[i].name, name))
			ok = g_verify.e[i].ok;
	pthread_mutex_unlock(&g_verify.lock);
	return ok;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static cJSON *backup_item(const hub_backup_info *b)
{
	cJSON *o = cJSON_CreateObject();
	char t[40];
	const char *name = base_name(b->path);
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "size", (double)b->size);
	if (hub_time_format(b->time_ms / 1000, t) == 0)
		cJSON_AddStringToObject(o, "created_at", t);
	else
		cJSON_AddNullToObject(o, "created_at");
	cJSON_AddBoolToObject(o, "verified", verify_state(name));
	return o;
}

/* The data directory holding the backups (SQLite files, or pg_dump
 * archives with PostgreSQL), or NULL with err set. */
static const char *backup_dir(char *err, size_t errlen)
{
	const char *dir = hub_store_data_dir();
	hub_db *db = hub_store_db();
	if (!dir || !db) {
		snprintf(err, errlen, "storage unavailable");
		return NULL;
	}
	return dir;
}

char *hub_admin_backups(char *err, size_t errlen)
{
	hub_backup_info *v = NULL;
	size_t n = 0;
	cJSON *arr;
	char *out = NULL;
	const char *dir = backup_dir(err, errlen);
	if (!dir || hub_ops_backup_list(dir, &v, &n, err, errlen) != 0)
		return NULL;
	arr = cJSON_CreateArray();
	for (size_t i = n; arr && i > 0; i--) /* newest first */
		cJSON_AddItemToArray(arr, backup_item(&v[i - 1]));
	out = arr ? cJSON_PrintUnformatted(arr) : NULL;
	if (!out)
		snprintf(err, errlen, "out of memory");
	cJSON_Delete(arr);
	free(v);
	return out;
}

/* Finds backup `name` in the listing; fills *out. Returns 0, -2 when it
 * is not a listed backup, -1 on error (err set). */
static int find_backup(const char *name, hub_backup_info *out, char *err,
		       size_t errlen)
{
	hub_backup_info *v = NULL;
	size_t n = 0;
	int rc = -2;
	const char *dir = backup_dir(err, errlen);
	if (!dir || hub_ops_backup_list(dir, &v, &n, err, errlen) != 0)
		return -1;
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(base_name(v[i].path), name)) {
			*out = v[i];
			rc = 0;
			break;
		}
	free(v);
	if (rc == -2)
		snprintf(err, errlen, "no such backup");
	return rc;
}

char *hub_admin_backup_create(char *err, size_t errlen)
{
	char path[4096];
	hub_backup_info b;
	struct stat sb;
	cJSON *o;
	char *out;
	const char *dir = backup_dir(err, errlen);
	if (!dir ||
	    hub_ops_backup_create(dir, path, sizeof(path), err, errlen) != 0)
		return NULL;
	if (hub_ops_backup_verify(path, err, errlen) != 0) {
		verify_note(base_name(path), 0);
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	snprintf(b.path, sizeof(b.path), "%s", path);
	b.size = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
	hub_ops_backup_name_time(base_name(path), &b.time_ms);
	verify_note(base_name(path), 1);
	o = backup_item(&b);
	out = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!out)
		snprintf(err, errlen, "out of memory");
	return out;
}

int hub_admin_backup_verify(const char *name, char *err, size_t errlen)
{
	hub_backup_info b;
	int rc = find_backup(name, &b, err, errlen);
	if (rc != 0)
		return rc;
	rc = hub_ops_backup_verify(b.path, err, errlen) == 0 ? 0 : -3;
	verify_note(name, rc == 0);
	return rc;
}

char *hub_admin_backup_read(const char *name, size_t *len, char *err,
			    size_t errlen, int *notfound)
{
	hub_backup_info b;
	FILE *f = NULL;
	char *buf = NULL;
	int rc = find_backup(name, &b, err, errlen);
	*notfound = rc == -2;
	*len = 0;
	if (rc != 0)
		return NULL;
	if (b.size > BACKUP_READ_MAX) {
		snprintf(err, errlen,
			 "backup larger than 1 GiB: copy it from "
			 "the server");
		return NULL;
	}
	f = fopen(b.path, "rbe");
	buf = f ? malloc((size_t)b.size + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)b.size, f) == (size_t)b.size) {
		*len = (size_t)b.size;
	} else {
		snprintf(err, errlen, "cannot read the backup");
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/* ================================================================= jobs */

int hub_admin_job_run(const char *module, const char *name)
{
	hub_sched_stats st;
	if (!module || !name || hub_sched_stats_get(module, name, &st) != 0)
		return -1;
	hub_sched_kick(module, name);
	return 0;
}

/* =============================================================== outbox */

char *hub_admin_outbox(const char *state, int64_t after_id, int limit,
		       int64_t *next)
{
	hub_db *db = hub_store_db();
	*next = 0;
	if (!db)
		return NULL;
	return hub_cal_outbox_list(db, state, after_id, limit, next);
}

int hub_admin_outbox_retry(int64_t id)
{
	hub_db *db = hub_store_db();
	return db ? hub_cal_outbox_retry(db, id) : HUB_DB_ERROR;
}

char *hub_admin_calendar_sync(void)
{
	hub_db *db = hub_store_db();
	return db ? hub_cal_sync_status(db) : NULL;
}

/* =============================================================== config */

/* 1 when a key of a core section or an undeclared module key holds a
 * secret: its name says so, or it is a URL/DSN that may carry one. */
static int secret_name(const char *section, const char *key)
{
	static const char *const words[] = {
	    "secret", "password", "passwd", "token",  "credential",
	    "dsn",    "url",	  "key",    "cookie", NULL};
	if (!strcmp(section, "calendar") && !strcmp(key, "api_base"))
		return 0;
	if (!strcmp(section, "server") && !strcmp(key, "public_url"))
		return 0;
	for (int i = 0; words[i]; i++)
		if (strcasestr(key, words[i]))
			return 1;
	return 0;
}

typedef struct dump_ctx {
	cJSON *sec;
	const char *section;
	hub_ctx *mod; /* the module of a [module.NAME] section, or NULL */
} dump_ctx;

/* 1 when module ctx declared `key` (or a prefix of it) as secret; 0 when
 * declared not secret; -1 when not declared. */
static int declared_secret(hub_ctx *ctx, const char *key)
{
	for (size_t i = 0; ctx && i < ctx->nsettings; i++) {
		const hub_setting *d = &ctx->settings[i].def;
		size_t kl = strlen(d->key);
		int match =
		    !strcmp(d->key, key) || (kl > 0 && d->key[kl - 1] == '*' &&
					     !strncmp(d->key, key, kl - 1));
		if (match)
			return (d->flags & HUB_SETTING_SECRET) ? 1 : 0;
	}
	return -1;
}

static void dump_key(void *ud, const char *key, const char *value)
{
	dump_ctx *d = ud;
	int secret = d->mod ? declared_secret(d->mod, key) : -1;
	if (secret < 0)
		secret = secret_name(d->section, key);
	if (!strcmp(key, "path") || !strcmp(key, "enabled") ||
	    !strcmp(key, "required"))
		secret = 0;
	cJSON_DeleteItemFromObjectCaseSensitive(d->sec, key);
	cJSON_AddStringToObject(d->sec, key, secret ? "***" : value);
}

/* Adds section `name` to root when it has keys. */
static void dump_section(cJSON *root, const char *name, hub_ctx *mod)
{
	dump_ctx d = {cJSON_CreateObject(), name, mod};
	if (!d.sec)
		return;
	hub_conf_each(name, "", dump_key, &d);
	if (cJSON_GetArraySize(d.sec) > 0)
		cJSON_AddItemToObject(root, name, d.sec);
	else
		cJSON_Delete(d.sec);
}

char *hub_admin_config(void)
{
	static const char *const core[] = {
	    "server", "storage", "redis",     "calendar", "sentry", "auth",
	    "cache",  "backup",	 "ratelimit", "webhooks", "log",    NULL};
	cJSON *root = cJSON_CreateObject();
	char *out;
	if (!root)
		return NULL;
	for (int i = 0; core[i]; i++)
		dump_section(root, core[i], NULL);
	for (size_t i = 0; i < hub_conf_module_count(); i++) {
		char sec[96];
		hub_ctx *mod = NULL;
		const char *name = hub_conf_module_name(i);
		for (size_t k = 0; k < hub_modules_count(); k++)
			if (!strcmp(hub_modules_at(k)->name, name))
				mod = hub_modules_at(k);
		snprintf(sec, sizeof(sec), "module.%s", name);
		dump_section(root, sec, mod);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

/* ====================================================== run-time settings */

int hub_admin_runtime_get(const char *key, char *out, size_t outlen)
{
	return hub_id_runtime_get(key, out, outlen);
}

int hub_admin_runtime_set(hub_db *db, const char *key, const char *value)
{
	return hub_id_runtime_set(db, key, value);
}
