/*
 * test_admin_http.c - the admin API over real HTTP (see test_admin.h):
 * roles, CSRF and anonymous access on every admin route; the server log;
 * backups (made, listed, downloaded, verified, a damaged one found, and
 * path tricks in names refused as 404); jobs; the calendar outbox
 * (a refused write retried); the configuration with secrets masked; the
 * require-2FA switch; a disabled user's login; the audit trail.
 */
#define _GNU_SOURCE
#include "test_admin.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

hubproc H;
bt_session root, alice, carl;

#define SECRET "s3cr3t-0123456789abcdefXYZ"

int ta_sql(const char *sql)
{
	char path[400];
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;
	snprintf(path, sizeof(path), "%s/data/hub.db", H.dir);
	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "sql: %s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

long ta_no_csrf(const bt_session *s, const char *method, const char *path,
		const char *body)
{
	bt_session x = *s;
	x.csrf[0] = 0;
	return bt_req(&H, &x, method, path, body, NULL, NULL, NULL);
}

long ta_bearer(const char *token, const char *method, const char *path,
	       const char *body, cJSON **json)
{
	char hdr[200];
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
	return bt_req(&H, NULL, method, path, body, hdr, json, NULL);
}

/* ================================================================ roles */

void test_roles(void)
{
	static const char *const gets[] = {
	    "/api/v1/admin/logs",	   "/api/v1/admin/backups",
	    "/api/v1/admin/jobs",	   "/api/v1/admin/outbox",
	    "/api/v1/admin/config",	   "/api/v1/admin/settings",
	    "/api/v1/admin/consultants",   "/api/v1/admin/calendar-sync",
	    "/api/v1/admin/blocked-dates", NULL};
	for (int i = 0; gets[i]; i++) {
		CHECK_INT(
		    bt_req(&H, &root, "GET", gets[i], NULL, NULL, NULL, NULL),
		    200);
		CHECK_INT(
		    bt_req(&H, &alice, "GET", gets[i], NULL, NULL, NULL, NULL),
		    403);
		CHECK_INT(
		    bt_req(&H, &carl, "GET", gets[i], NULL, NULL, NULL, NULL),
		    403);
		CHECK_INT(
		    bt_req(&H, NULL, "GET", gets[i], NULL, NULL, NULL, NULL),
		    401);
	}
	/* writes: staff refused, and an admin's cookie without CSRF too */
	CHECK_INT(bt_req(&H, &alice, "POST", "/api/v1/admin/backups", NULL,
			 NULL, NULL, NULL),
		  403);
	CHECK_INT(ta_no_csrf(&root, "POST", "/api/v1/admin/backups", NULL),
		  403);
	CHECK_INT(ta_no_csrf(&root, "PATCH", "/api/v1/admin/settings",
			     "{\"require_2fa\":false}"),
		  403);
	CHECK_INT(ta_no_csrf(&root, "POST", "/api/v1/admin/consultants",
			     "{\"name\":\"Nope\"}"),
		  403);
	CHECK_INT(bt_req(&H, &carl, "POST", "/api/v1/admin/jobs/backup/run",
			 NULL, NULL, NULL, NULL),
		  403);
}

/* ================================================================= logs */

void test_logs(void)
{
	cJSON *j = NULL, *it;
	const char *cur;
	char path[200];
	int n = 0, bad = 0;

	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?limit=1000",
			 NULL, NULL, &j, NULL),
		  200);
	{
		double prev = 1e18;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
		{
			double seq =
			    cJSON_GetObjectItem(it, "seq")->valuedouble;
			n++;
			bad += seq >= prev; /* newest first */
			prev = seq;
			bad +=
			    !cJSON_IsString(cJSON_GetObjectItem(it, "time")) ||
			    !cJSON_IsString(cJSON_GetObjectItem(it, "level")) ||
			    !cJSON_IsString(
				cJSON_GetObjectItem(it, "module")) ||
			    !cJSON_IsString(cJSON_GetObjectItem(it, "message"));
		}
	}
	cJSON_Delete(j);
	CHECK(n >= 3);
	CHECK_INT(bad, 0);
	/* the start-up line is there; q filters case-insensitively */
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?q=LISTENING",
			 NULL, NULL, &j, NULL),
		  200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	cJSON_Delete(j);
	/* level is a minimum */
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?level=error",
			 NULL, NULL, &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) CHECK_STR(
	    cJSON_GetStringValue(cJSON_GetObjectItem(it, "level")), "error");
	cJSON_Delete(j);
	/* since in the future: nothing */
	CHECK_INT(bt_req(&H, &root, "GET",
			 "/api/v1/admin/logs?since=2099-01-01", NULL, NULL, &j,
			 NULL),
		  200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 0);
	cJSON_Delete(j);
	/* paging: two pages of 2 do not overlap */
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?limit=2", NULL,
			 NULL, &j, NULL),
		  200);
	cur = cJSON_GetStringValue(cJSON_GetObjectItem(j, "next_cursor"));
	CHECK(cur != NULL);
	if (cur) {
		double last =
		    cJSON_GetObjectItem(
			cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 1),
			"seq")
			->valuedouble;
		cJSON *k = NULL;
		snprintf(path, sizeof(path),
			 "/api/v1/admin/logs?limit=2&cursor=%s", cur);
		CHECK_INT(bt_req(&H, &root, "GET", path, NULL, NULL, &k, NULL),
			  200);
		CHECK(
		    cJSON_GetObjectItem(
			cJSON_GetArrayItem(cJSON_GetObjectItem(k, "items"), 0),
			"seq")
			->valuedouble < last);
		cJSON_Delete(k);
	}
	cJSON_Delete(j);
	/* bad input names the field */
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?level=loud",
			 NULL, NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "level") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?since=yesterday",
			 NULL, NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?limit=0", NULL,
			 NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/logs?cursor=x", NULL,
			 NULL, NULL, NULL),
		  422);
}

/* ============================================================== backups */

static int backup_count(void)
{
	cJSON *j = NULL;
	int n = -1;
	if (bt_req(&H, &root, "GET", "/api/v1/admin/backups", NULL, NULL, &j,
		   NULL) == 200)
		n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "items"));
	cJSON_Delete(j);
	return n;
}

void test_backups(void)
{
	static const char *const tricks[] = {"..%2Fhub.db",
					     "%2e%2e",
					     "hub.db",
					     "secret.key",
					     "%252e%252e%252fhub.db",
					     "hub-20260101T000000.000Z.db",
					     "..",
					     "hub-x.db%00",
					     "%2Fetc%2Fpasswd",
					     NULL};
	cJSON *j = NULL;
	char name[64] = "", path[200], disp[200], file[400];
	http_res r;
	int before = backup_count();

	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/backups", NULL, NULL,
			 &j, NULL),
		  201);
	snprintf(name, sizeof(name), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(j, "name"))
		     ? cJSON_GetStringValue(cJSON_GetObjectItem(j, "name"))
		     : "");
	CHECK(strncmp(name, "hub-", 4) == 0);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "verified")));
	CHECK(cJSON_GetObjectItem(j, "size")->valuedouble > 1000);
	CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "created_at")));
	cJSON_Delete(j);
	CHECK_INT(backup_count(), before + 1);

	/* download: the database file, as an attachment */
	snprintf(path, sizeof(path), "/api/v1/admin/backups/%s", name);
	CHECK_INT(bt_req(&H, &root, "GET", path, NULL, NULL, NULL, &r), 200);
	CHECK(r.body_len > 1000 && memcmp(r.body, "SQLite format 3", 15) == 0);
	CHECK(http_header(&r, "Content-Disposition", disp, sizeof(disp)) &&
	      strstr(disp, "attachment") && strstr(disp, name));
	CHECK(http_header(&r, "Content-Type", disp, sizeof(disp)) &&
	      !strcmp(disp, "application/octet-stream"));
	http_free(&r);
	CHECK_INT(bt_req(&H, &alice, "GET", path, NULL, NULL, NULL, NULL), 403);

	/* names that are not listed backups: 404 whatever they contain */
	for (int i = 0; tricks[i]; i++) {
		long st;
		snprintf(path, sizeof(path), "/api/v1/admin/backups/%s",
			 tricks[i]);
		st = bt_req(&H, &root, "GET", path, NULL, NULL, NULL, &r);
		if (st != 404)
			fprintf(stderr, "backup name %s: %ld\n", tricks[i], st);
		CHECK_INT(st, 404);
		CHECK(!r.body || !strstr(r.body, "SQLite format"));
		http_free(&r);
		snprintf(path, sizeof(path), "/api/v1/admin/backups/%s/verify",
			 tricks[i]);
		st = bt_req(&H, &root, "POST", path, NULL, NULL, NULL, NULL);
		/* a NUL ends the path early, leaving no verify route: 405 */
		if (st != 404 && st != 405)
			fprintf(stderr, "verify %s: %ld\n", tricks[i], st);
		CHECK(st == 404 || st == 405);
	}

	/* verify: sound; then damage the file and verify again */
	snprintf(path, sizeof(path), "/api/v1/admin/backups/%s/verify", name);
	CHECK_INT(bt_req(&H, &root, "POST", path, NULL, NULL, &j, NULL), 200);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "verified")));
	cJSON_Delete(j);
	snprintf(file, sizeof(file), "%s/data/backups/%s", H.dir, name);
	{
		FILE *f = fopen(file, "r+b");
		char junk[4096];
		memset(junk, 0x5a, sizeof(junk));
		CHECK(f != NULL);
		if (f) {
			fseek(f, 4096, SEEK_SET);
			fwrite(junk, 1, sizeof(junk), f);
			fseek(f, 0, SEEK_SET);
			fwrite(junk, 1, 100, f);
			fclose(f);
		}
	}
	CHECK_INT(bt_req(&H, &root, "POST", path, NULL, NULL, &j, NULL), 200);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "verified")));
	CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "error")));
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/backups", NULL, NULL,
			 &j, NULL),
		  200);
	{
		cJSON *it;
		int seen = 0;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) if (
		    !strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
			name))
		{
			seen = 1;
			CHECK(
			    cJSON_IsFalse(cJSON_GetObjectItem(it, "verified")));
		}
		CHECK(seen);
	}
	cJSON_Delete(j);
}

/* ================================================================= jobs */

/* The name of the newest backup ("" when none) into out; returns out. */
static const char *newest_backup(char *out, size_t n)
{
	cJSON *j = NULL;
	const char *s = NULL;
	if (bt_req(&H, &root, "GET", "/api/v1/admin/backups", NULL, NULL, &j,
		   NULL) == 200)
		s = cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0),
		    "name"));
	snprintf(out, n, "%s", s ? s : "");
	cJSON_Delete(j);
	return out;
}

void test_jobs(void)
{
	cJSON *j = NULL, *it;
	int found = 0;
	char first[64], name[64];

	newest_backup(first, sizeof(first));
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/jobs", NULL, NULL, &j,
			 NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		static const char *const keys[] = {
		    "name",	   "module",	 "schedule", "last_run",
		    "last_status", "last_error", "next_run", NULL};
		for (int k = 0; keys[k]; k++)
			CHECK(cJSON_GetObjectItem(it, keys[k]) != NULL);
		if (!strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
			"backup") &&
		    !strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "module")),
			"core"))
			found = 1;
	}
	cJSON_Delete(j);
	CHECK(found);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/jobs/nope/run", NULL,
			 NULL, NULL, NULL),
		  404);
	CHECK_INT(bt_req(&H, &root, "POST",
			 "/api/v1/admin/jobs/backup/run?module=booking", NULL,
			 NULL, NULL, NULL),
		  404);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/jobs/backup/run",
			 NULL, NULL, &j, NULL),
		  202);
	cJSON_Delete(j);
	/* it runs soon: a new backup is the newest (rotation keeps one a
	 * day, so the count may stay) and the job records its run */
	for (int i = 0;
	     i < 100 && !strcmp(newest_backup(name, sizeof(name)), first); i++)
		usleep(100000);
	CHECK(strcmp(newest_backup(name, sizeof(name)), first) != 0);
	found = 0;
	for (int i = 0; i < 50 && !found; i++) {
		CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/jobs", NULL,
				 NULL, &j, NULL),
			  200);
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) if (
		    !strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
			"backup") &&
		    cJSON_IsString(cJSON_GetObjectItem(it, "last_status")))
		{
			found = 1;
			CHECK_STR(cJSON_GetStringValue(
				      cJSON_GetObjectItem(it, "last_status")),
				  "ok");
			CHECK(cJSON_IsString(
			    cJSON_GetObjectItem(it, "last_run")));
		}
		cJSON_Delete(j);
		if (!found)
			usleep(100000);
	}
	CHECK(found);
}

/* =============================================================== outbox */

void test_outbox(void)
{
	cJSON *j = NULL, *it;
	char path[100];
	int64_t id = 0;

	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/outbox?state=lost",
			 NULL, NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "state") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/outbox/999999/retry",
			 NULL, NULL, NULL, NULL),
		  404);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/outbox/abc/retry",
			 NULL, NULL, NULL, NULL),
		  404);
	/* a write the calendar refused for good, as the delivery job leaves
	 * it */
	CHECK_INT(ta_sql("INSERT INTO cal_outbox (hub_key, op, event_json, "
			 "state, attempts, next_attempt_at, last_error, "
			 "created_at) VALUES ('test-refused', 'delete', "
			 "NULL, 'failed', 3, 0, 'HTTP 400: invalid', "
			 "strftime('%s','now'))"),
		  0);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/outbox?state=failed",
			 NULL, NULL, &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) if (
	    !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "hub_key")),
		    "test-refused"))
	{
		id = (int64_t)cJSON_GetObjectItem(it, "id")->valuedouble;
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(it, "op")),
			  "delete");
		CHECK_INT(cJSON_GetObjectItem(it, "attempts")->valuedouble, 3);
		CHECK_STR(
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "last_error")),
		    "HTTP 400: invalid");
	}
	cJSON_Delete(j);
	CHECK(id > 0);
	snprintf(path, sizeof(path), "/api/v1/admin/outbox/%lld/retry",
		 (long long)id);
	CHECK_INT(bt_req(&H, &alice, "POST", path, NULL, NULL, NULL, NULL),
		  403);
	CHECK_INT(bt_req(&H, &root, "POST", path, NULL, NULL, NULL, NULL), 202);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/outbox?state=pending",
			 NULL, NULL, &j, NULL),
		  200);
	{
		int pending = 0;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
		    pending +=
		    (int64_t)cJSON_GetObjectItem(it, "id")->valuedouble == id;
		CHECK_INT(pending, 1);
	}
	cJSON_Delete(j);
	/* a delivered write cannot be retried */
	CHECK_INT(ta_sql("UPDATE cal_outbox SET state = 'delivered' WHERE "
			 "hub_key = 'test-refused'"),
		  0);
	CHECK_INT(bt_req(&H, &root, "POST", path, NULL, NULL, NULL, NULL), 404);
}

/* ============================================== configuration, settings */

void test_config_settings(void)
{
	cJSON *j = NULL;
	http_res r;
	char tok[128] = "";

	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/config", NULL, NULL,
			 NULL, &r),
		  200);
	CHECK(r.body && !strstr(r.body, SECRET));
	j = r.body ? cJSON_Parse(r.body) : NULL;
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
		      cJSON_GetObjectItem(j, "server"), "secret_key")),
		  "***");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
		      cJSON_GetObjectItem(j, "server"), "sentry_dsn")),
		  "***");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
		      cJSON_GetObjectItem(j, "calendar"), "backend")),
		  "local");
	CHECK(cJSON_GetObjectItem(j, "module.booking") != NULL);
	cJSON_Delete(j);
	http_free(&r);

	/* require 2FA: from the configuration, then stored */
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/settings", NULL, NULL,
			 &j, NULL),
		  200);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "require_2fa")));
	CHECK_STR(
	    cJSON_GetStringValue(cJSON_GetObjectItem(j, "require_2fa_source")),
	    "config");
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/settings",
			 "{\"require_2fa\":\"yes\"}", NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "require_2fa") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/settings",
			 "{\"require_2fa\":true,\"x\":1}", NULL, NULL, NULL),
		  422);
	/* switched by an admin token (a session would itself be held to
	 * set up 2FA at once) */
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/tokens",
			 "{\"name\":\"settings\",\"scope\":\"admin\"}", NULL,
			 &j, NULL),
		  201);
	snprintf(tok, sizeof(tok), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(j, "token"))
		     ? cJSON_GetStringValue(cJSON_GetObjectItem(j, "token"))
		     : "");
	cJSON_Delete(j);
	CHECK_INT(ta_bearer(tok, "PATCH", "/api/v1/admin/settings",
			    "{\"require_2fa\":true}", &j),
		  200);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "require_2fa")));
	CHECK_STR(
	    cJSON_GetStringValue(cJSON_GetObjectItem(j, "require_2fa_source")),
	    "database");
	cJSON_Delete(j);
	/* alice (no 2FA) is now held to set it up before anything else */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/consultants", NULL, NULL,
			 NULL, NULL),
		  401);
	CHECK_INT(ta_bearer(tok, "PATCH", "/api/v1/admin/settings",
			    "{\"require_2fa\":false}", NULL),
		  200);
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/consultants", NULL, NULL,
			 NULL, NULL),
		  200);
}

/* ======================================================= disabled user */

void test_disabled_user(void)
{
	bt_session d;
	CHECK_INT(bt_user_add(&H, "dora", "staff"), 0);
	CHECK_INT(bt_login(&H, "dora", &d), 0);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/users/dora",
			 "{\"disabled\":true}", NULL, NULL, NULL),
		  200);
	/* her session ended and she cannot sign in again */
	CHECK_INT(
	    bt_req(&H, &d, "GET", "/api/v1/auth/me", NULL, NULL, NULL, NULL),
	    401);
	CHECK(bt_login(&H, "dora", &d) != 0);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/users/nobody",
			 "{\"disabled\":true}", NULL, NULL, NULL),
		  404);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/users/dora",
			 "{\"disabled\":false}", NULL, NULL, NULL),
		  200);
	CHECK_INT(bt_login(&H, "dora", &d), 0);
}

/* =========================================================== the audit */

/* 1 when the audit log has `action` by root from 127.0.0.1. */
static int audited(const char *action)
{
	char path[160];
	cJSON *j = NULL, *it;
	int ok = 0;
	snprintf(path, sizeof(path), "/api/v1/admin/audit?action=%s", action);
	if (bt_req(&H, &root, "GET", path, NULL, NULL, &j, NULL) == 200)
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
		{
			const char *actor = cJSON_GetStringValue(
			    cJSON_GetObjectItem(it, "actor"));
			const char *client = cJSON_GetStringValue(
			    cJSON_GetObjectItem(it, "client"));
			ok |= actor && client && strstr(actor, "root") &&
			      !strcmp(client, "127.0.0.1");
		}
	cJSON_Delete(j);
	if (!ok)
		fprintf(stderr, "not audited: %s\n", action);
	return ok;
}

void test_audit_trail(void)
{
	static const char *const actions[] = {"backup.create",
					      "backup.download",
					      "backup.verify",
					      "job.run",
					      "outbox.retry",
					      "booking.consultant.add",
					      "booking.consultant.update",
					      "booking.block.add",
					      "user.update",
					      "token.create",
					      NULL};
	cJSON *j = NULL;
	for (int i = 0; actions[i]; i++)
		CHECK(audited(actions[i]));
	/* the settings change was made with a token: actor names it */
	CHECK_INT(bt_req(&H, &root, "GET",
			 "/api/v1/admin/audit?action=settings.update", NULL,
			 NULL, &j, NULL),
		  200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 2);
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(
			 cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0),
			 "actor")),
		     "settings") != NULL);
	cJSON_Delete(j);
}

/* ================================================================= main */

int main(void)
{
	const char *extra = "\n[module.admin]\npath = admin.so\n"
			    "[server]\nsecret_key = " SECRET "\n"
			    "sentry_dsn = http://abc@127.0.0.1:9/1\n";
	setenv("TZ", "Europe/Berlin", 1);
	hub_time_init("Europe/Berlin");
	if (bt_start(&H, "Anna:anna@example.com,Ben:ben@example.com", extra) !=
		0 ||
	    bt_user_add(&H, "root", "admin") ||
	    bt_user_add(&H, "alice", "staff") ||
	    bt_user_add(&H, "carl", "consultant") ||
	    bt_login(&H, "root", &root) || bt_login(&H, "alice", &alice) ||
	    bt_login(&H, "carl", &carl)) {
		CHECK(0);
		return check_report("admin.http");
	}
	test_roles();
	test_logs();
	test_backups();
	test_jobs();
	test_outbox();
	test_config_settings();
	test_disabled_user();
	test_consultants_api();
	test_consultants_in_slots();
	test_blocks_start();
	test_concurrent_booking();
	test_audit_trail();
	CHECK_INT(hubproc_stop(&H, SIGTERM), 0);
	if (check_failed == 0)
		hubproc_cleanup(&H);
	return check_report("admin.http");
}
