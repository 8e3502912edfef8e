/*
 * test_import.c - the import framework of `hubctl import-json DIR` on the
 * fixture directories in fixtures/import (the old system's format): one
 * transaction over the identity part and every module hook in load order,
 * "file:line: reason" errors that import nothing, idempotent re-runs, and
 * clear refusals of a missing or empty directory.
 *
 * The identity import and the module loader belong to other subsystems;
 * this test supplies small doubles of hub_id_import, hub_modules_count and
 * hub_modules_at that parse the fixture files the way the real parts do
 * (upserts keyed on the old system's ids), so what is tested here is the
 * framework's own contract.
 */
#include "testutil.h"
#include "check.h"
#include "host/host.h"
#include "ops/ops.h"

#include <cjson/cJSON.h>

static char dir[512], good[600], bad[600];
static char calls[256]; /* the order parts were called in */

/* ----------------------------------------------------- doubles: identity */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

/* users(username, hash), upserted from user_passwords.json. */
int hub_id_import(hub_db *db, const char *d, char *err, size_t errlen)
{
	char path[700];
	char *text;
	cJSON *root, *it;
	int rc = HUB_DB_OK;
	strcat(calls, "id,");
	snprintf(path, sizeof(path), "%s/user_passwords.json", d);
	text = slurp(path);
	root = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen,
			 "user_passwords.json:1: not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(it, root)
	{
		hub_stmt *st = NULL;
		rc = hub_store_prepare(db,
				       "INSERT INTO users (username, hash) "
				       "VALUES (?, ?) ON CONFLICT (username) "
				       "DO UPDATE SET hash = excluded.hash "
				       "WHERE users.hash <> excluded.hash",
				       &st);
		if (rc == HUB_DB_OK)
			rc = hub_stmt_bind_text(st, 1, it->string);
		if (rc == HUB_DB_OK)
			rc =
			    hub_stmt_bind_text(st, 2, cJSON_GetStringValue(it));
		if (rc == HUB_DB_OK)
			rc = hub_stmt_step(st);
		hub_stmt_finalize(st);
		if (rc != HUB_DB_DONE)
			break;
		rc = HUB_DB_OK;
	}
	cJSON_Delete(root);
	if (rc != HUB_DB_OK)
		snprintf(err, errlen, "user_passwords.json: %s",
			 hub_store_errmsg(db));
	return rc == HUB_DB_OK ? 0 : -1;
}

/* ------------------------------------------------- doubles: module hooks */

/* bookings(old_id, customer, day, tm, booked_by) from bookings.jsonl. */
static int booking_hook(void *ud, hub_db *db, const char *d, char *err,
			size_t errlen)
{
	char path[700], line[8192];
	FILE *f;
	int lineno = 0, rc = 0;
	(void)ud;
	strcat(calls, "booking,");
	snprintf(path, sizeof(path), "%s/tracking/bookings.jsonl", d);
	f = fopen(path, "r");
	if (!f)
		return 0; /* file absent: nothing to import */
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		cJSON *o = cJSON_Parse(line);
		const char *id, *cust, *day, *tm, *user;
		hub_stmt *st = NULL;
		lineno++;
		id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
		cust = cJSON_GetStringValue(cJSON_GetObjectItem(o, "customer"));
		day = cJSON_GetStringValue(cJSON_GetObjectItem(o, "date"));
		tm = cJSON_GetStringValue(cJSON_GetObjectItem(o, "time"));
		user = cJSON_GetStringValue(cJSON_GetObjectItem(o, "user"));
		if (!o || !id || !cust || !day || !tm || !user) {
			snprintf(err, errlen, "tracking/bookings.jsonl:%d: %s",
				 lineno,
				 o ? "missing field" : "malformed JSON");
			rc = -1;
		}
		if (rc == 0 &&
		    (hub_store_prepare(db,
				       "INSERT INTO bookings (old_id, "
				       "customer, day, tm, booked_by) VALUES "
				       "(?, ?, ?, ?, ?) ON CONFLICT (old_id) "
				       "DO NOTHING",
				       &st) != HUB_DB_OK ||
		     hub_stmt_bind_text(st, 1, id) != HUB_DB_OK ||
		     hub_stmt_bind_text(st, 2, cust) != HUB_DB_OK ||
		     hub_stmt_bind_text(st, 3, day) != HUB_DB_OK ||
		     hub_stmt_bind_text(st, 4, tm) != HUB_DB_OK ||
		     hub_stmt_bind_text(st, 5, user) != HUB_DB_OK ||
		     hub_stmt_step(st) != HUB_DB_DONE)) {
			snprintf(err, errlen, "tracking/bookings.jsonl:%d: %s",
				 lineno, hub_store_errmsg(db));
			rc = -1;
		}
		hub_stmt_finalize(st);
		cJSON_Delete(o);
	}
	fclose(f);
	return rc;
}

static int second_hook(void *ud, hub_db *db, const char *d, char *err,
		       size_t errlen)
{
	(void)ud;
	(void)db;
	(void)d;
	(void)err;
	(void)errlen;
	strcat(calls, "analytics,");
	return 0;
}

static hub_reg_import booking_imports[] = {{booking_hook, NULL}};
static hub_reg_import analytics_imports[] = {{second_hook, NULL}};
static hub_ctx g_ctx[3];

size_t hub_modules_count(void)
{
	return 3;
}

hub_ctx *hub_modules_at(size_t i)
{
	return i < 3 ? &g_ctx[i] : NULL;
}

static void setup_modules(void)
{
	snprintf(g_ctx[0].name, sizeof(g_ctx[0].name), "core");
	snprintf(g_ctx[1].name, sizeof(g_ctx[1].name), "booking");
	g_ctx[1].imports = booking_imports;
	g_ctx[1].nimports = 1;
	snprintf(g_ctx[2].name, sizeof(g_ctx[2].name), "analytics");
	g_ctx[2].imports = analytics_imports;
	g_ctx[2].nimports = 1;
}

/* ------------------------------------------------------------------ tests */

/* A text fingerprint of both tables, to compare runs. */
static void snapshot(hub_db *db, char *out, size_t n)
{
	hub_stmt *st = NULL;
	size_t o = 0;
	out[0] = 0;
	hub_store_prepare(db,
			  "SELECT 'u', username, hash, '' FROM users UNION ALL "
			  "SELECT 'b', old_id, customer, booked_by FROM "
			  "bookings ORDER BY 1, 2",
			  &st);
	while (st && hub_stmt_step(st) == HUB_DB_ROW && o < n)
		o += (size_t)snprintf(out + o, n - o, "%s|%s|%s|%s\n",
				      hub_col_text(st, 0), hub_col_text(st, 1),
				      hub_col_text(st, 2), hub_col_text(st, 3));
	hub_stmt_finalize(st);
}

static void test_import(void)
{
	char err[512], snap1[16384], snap2[16384];
	hub_db *db = hub_store_db();

	CHECK_INT(
	    hub_ops_import_json(good, &hub_modules_importers, err, sizeof(err)),
	    0);
	CHECK_STR(calls, "id,booking,analytics,");
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM users"), 3);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM bookings"), 4);
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM bookings WHERE customer = "
			     "'Özdemir, Ayşe' AND booked_by = 'anna'"),
		  1);
	snapshot(db, snap1, sizeof(snap1));
	CHECK(strstr(snap1, "$2b$04$I0V0") != NULL);

	/* idempotent: a second run changes nothing */
	calls[0] = 0;
	CHECK_INT(
	    hub_ops_import_json(good, &hub_modules_importers, err, sizeof(err)),
	    0);
	snapshot(db, snap2, sizeof(snap2));
	CHECK_STR(snap2, snap1);

	/* a bad line: error names file and line, nothing is imported --
	 * not even user dora, whom the identity part had already written */
	calls[0] = 0;
	CHECK_INT(
	    hub_ops_import_json(bad, &hub_modules_importers, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "tracking/bookings.jsonl:3: malformed JSON");
	CHECK_STR(calls, "id,booking,"); /* stopped at the failing hook */
	CHECK_INT(tu_int(db, "SELECT COUNT(*) FROM users WHERE username = "
			     "'dora'"),
		  0);
	snapshot(db, snap2, sizeof(snap2));
	CHECK_STR(snap2, snap1);
	CHECK(!hub_store_in_transaction(db));

	/* bookings present but no module to import them: refused, rather
	 * than importing the users alone */
	g_ctx[1].nimports = 0;
	g_ctx[2].nimports = 0;
	calls[0] = 0;
	CHECK_INT(
	    hub_ops_import_json(good, &hub_modules_importers, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "blocked_dates.json is there but no loaded module "
			  "imports it") != NULL);
	CHECK_STR(calls, "");
	g_ctx[1].nimports = 1;
	g_ctx[2].nimports = 1;

	/* directories that cannot be an old data directory */
	CHECK_INT(hub_ops_import_json("/nonexistent/dir",
				      &hub_modules_importers, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "/nonexistent/dir: No such file") != NULL);
	CHECK_INT(
	    hub_ops_import_json(dir, &hub_modules_importers, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "none of the old system's files") != NULL);
	char file[700];
	snprintf(file, sizeof(file), "%s/user_passwords.json", good);
	CHECK_INT(
	    hub_ops_import_json(file, &hub_modules_importers, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "not a directory") != NULL);
}

int main(void)
{
	char err[256];
	const char *fx = getenv("HUB_TEST_FIXTURES");
	if (!fx) {
		fprintf(stderr, "HUB_TEST_FIXTURES not set\n");
		return 1;
	}
	snprintf(good, sizeof(good), "%s/import/good", fx);
	snprintf(bad, sizeof(bad), "%s/import/bad", fx);
	tu_mkdtemp(dir, sizeof(dir), "import");
	setup_modules();
	CHECK_INT(hub_store_open(dir, err, sizeof(err)), 0);
	CHECK_INT(hub_store_exec(hub_store_db(),
				 "CREATE TABLE users (username TEXT PRIMARY "
				 "KEY, hash TEXT NOT NULL);"
				 "CREATE TABLE bookings (old_id TEXT PRIMARY "
				 "KEY, customer TEXT NOT NULL, day TEXT NOT "
				 "NULL, tm TEXT NOT NULL, booked_by TEXT NOT "
				 "NULL)"),
		  HUB_DB_OK);
	test_import();
	hub_store_close();
	tu_rmtree(dir);
	return check_report("import");
}
