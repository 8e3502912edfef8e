/*
 * example module - a small, complete module that shows every part of the
 * ABI an integrator needs (see docs/MODULES.md for the walk-through):
 *
 *   settings      greeting (string), max_notes (int), shout (bool),
 *                 api_key (secret)
 *   migrations    1: the example_notes table, 2: an index
 *   routes        GET  /api/v1/example/hello/{name}      (public)
 *                 POST /api/v1/example/notes             (signed in)
 *                 GET  /api/v1/example/notes/{id}        (signed in)
 *   static files  web/ under /example/
 *   health check  "example": notes table reachable
 *   job           "prune": keeps at most max_notes notes, every 10 min
 */
#include "hub/module.h"
#include "hub_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Module state: set in init, read-only afterwards (handlers run
 * concurrently on many threads). */
static const hub_api *api;
static hub_ctx *self;

/* ------------------------------------------------------------ routes */

static int h_hello(hub_req *req, void *ud)
{
	const char *name = api->req_param(req, "name");
	const char *greeting = api->setting_str(self, "greeting");
	char text[200];
	cJSON *o = cJSON_CreateObject();
	(void)ud;
	snprintf(text, sizeof(text), "%s, %s!", greeting, name);
	if (api->setting_bool(self, "shout", 0))
		for (char *p = text; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	cJSON_AddStringToObject(o, "message", text);
	return hubkit_reply_cjson(api, req, 200, o);
}

static int h_add_note(hub_req *req, void *ud)
{
	static const char *const fields[] = {"text", NULL};
	cJSON *body = NULL;
	const char *text;
	hub_user user;
	hub_stmt *st = NULL;
	int64_t id = 0;
	int rc;
	(void)ud;

	if (hubkit_read_json(api, req, &body) != 0)
		return 0; /* answered: 400 */
	if (hubkit_only_fields(api, req, body, fields) != 0 ||
	    hubkit_str_field(api, req, body, "text", 1, 1, 500, &text) != 0)
		goto out; /* answered: 422 */
	api->req_user(req, &user);
	hub_db *db = api->db();
	rc = db ? api->db_prepare(db,
				  "INSERT INTO example_notes(author, text) "
				  "VALUES (?, ?) RETURNING id",
				  &st)
		: HUB_DB_ERROR;
	if (rc == HUB_DB_OK)
		rc = api->stmt_bind_text(st, 1, user.username);
	if (rc == HUB_DB_OK)
		rc = api->stmt_bind_text(st, 2, text);
	if (rc == HUB_DB_OK)
		rc = api->stmt_step(st);
	if (rc == HUB_DB_ROW) {
		id = api->col_int(st, 0);
		/* step to done: only then is the (autocommit) INSERT
		 * committed, so only then may we answer 201 */
		rc = api->stmt_step(st);
	}
	if (rc != HUB_DB_DONE) {
		api->reply_error(req, 503, "storage",
				 "could not store the note", NULL);
		goto out;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "text", text);
	cJSON_AddStringToObject(o, "author", user.username);
	hubkit_reply_cjson(api, req, 201, o);
out:
	api->stmt_finalize(st);
	cJSON_Delete(body);
	return 0;
}

static int h_get_note(hub_req *req, void *ud)
{
	long long id;
	hub_stmt *st = NULL;
	(void)ud;
	if (hubkit_parse_int(api->req_param(req, "id"), 1, 1LL << 53, &id))
		return api->reply_error(req, 404, "not_found", "no such note",
					NULL);
	hub_db *db = api->db();
	if (!db || api->db_prepare(db,
				   "SELECT id, author, text FROM "
				   "example_notes WHERE id = ?",
				   &st) != HUB_DB_OK)
		return api->reply_error(req, 503, "storage",
					"storage unavailable", NULL);
	api->stmt_bind_int(st, 1, id);
	if (api->stmt_step(st) != HUB_DB_ROW) {
		api->stmt_finalize(st);
		return api->reply_error(req, 404, "not_found", "no such note",
					NULL);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)api->col_int(st, 0));
	cJSON_AddStringToObject(o, "author", api->col_text(st, 1));
	cJSON_AddStringToObject(o, "text", api->col_text(st, 2));
	api->stmt_finalize(st);
	return hubkit_reply_cjson(api, req, 200, o);
}

/* ------------------------------------------------------ check and job */

static void check_notes(void *ud, hub_health_result *out)
{
	hub_stmt *st = NULL;
	hub_db *db = api->db();
	(void)ud;
	out->status = HUB_HEALTH_FAIL;
	snprintf(out->detail, sizeof(out->detail), "notes table unreadable");
	if (db &&
	    api->db_prepare(db, "SELECT COUNT(*) FROM example_notes", &st) ==
		HUB_DB_OK &&
	    api->stmt_step(st) == HUB_DB_ROW) {
		out->status = HUB_HEALTH_OK;
		snprintf(out->detail, sizeof(out->detail), "%lld notes",
			 (long long)api->col_int(st, 0));
	}
	api->stmt_finalize(st);
}

static int prune(void *ud, char *err, size_t errlen)
{
	hub_stmt *st = NULL;
	hub_db *db = api->db();
	int rc;
	(void)ud;
	rc = db ? api->db_prepare(db,
				  "DELETE FROM example_notes WHERE id NOT IN "
				  "(SELECT id FROM example_notes ORDER BY id "
				  "DESC LIMIT ?)",
				  &st)
		: HUB_DB_ERROR;
	if (rc == HUB_DB_OK)
		rc = api->stmt_bind_int(
		    st, 1, api->setting_int(self, "max_notes", 1000));
	if (rc == HUB_DB_OK)
		rc = api->stmt_step(st);
	api->stmt_finalize(st);
	if (rc != HUB_DB_DONE) {
		snprintf(err, errlen, "prune failed: %s",
			 db ? api->db_errmsg(db) : "no database");
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- init */

static int example_init(hub_ctx *ctx, const hub_api *a)
{
	static const hub_setting settings[] = {
	    {"greeting", HUB_SETTING_STRING, "Hello", 0, "greeting word"},
	    {"max_notes", HUB_SETTING_INT, "1000", 0, "notes kept by prune"},
	    {"shout", HUB_SETTING_BOOL, "false", 0, "upper-case greetings"},
	    {"api_key", HUB_SETTING_STRING, NULL, HUB_SETTING_SECRET,
	     "an example secret: never logged"},
	};
	static const hub_route routes[] = {
	    {"GET", "/api/v1/example/hello/{name}", h_hello, NULL, 0, 0, "api",
	     HUB_ROUTE_PUBLIC},
	    {"POST", "/api/v1/example/notes", h_add_note, NULL, HUB_ROLE_ANY,
	     HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN, "api", 0},
	    {"GET", "/api/v1/example/notes/{id}", h_get_note, NULL,
	     HUB_ROLE_ANY, HUB_SCOPE_READ | HUB_SCOPE_BOOK | HUB_SCOPE_ADMIN,
	     "api", 0},
	};
	static const hub_job job = {"prune", 600, NULL, 30, 1, prune, NULL};
	int rc = 0;

	if (a->abi_version != HUB_ABI_VERSION || !HUB_API_HAS(a, setting_each))
		return -1; /* host too old for what we use */
	api = a;
	self = ctx;
	/* what we run against: the minor is in the table from v1.1 on */
	api->log(ctx, HUB_LOG_DEBUG, "host ABI %u.%u, built for %u.%u",
		 (unsigned)a->abi_version,
		 HUB_API_HAS(a, abi_minor) ? (unsigned)a->abi_minor : 0u,
		 HUB_ABI_VERSION, HUB_ABI_MINOR);
	for (size_t i = 0; rc == 0 && i < sizeof(settings) / sizeof(*settings);
	     i++)
		rc = api->setting(ctx, &settings[i]);
	if (rc == 0)
		rc = api->migration(ctx, 1,
				    "CREATE TABLE example_notes ("
				    " id INTEGER PRIMARY KEY,"
				    " author TEXT NOT NULL,"
				    " text TEXT NOT NULL)",
				    "CREATE TABLE example_notes ("
				    " id BIGSERIAL PRIMARY KEY,"
				    " author TEXT NOT NULL,"
				    " text TEXT NOT NULL)");
	if (rc == 0)
		rc = api->migration(ctx, 2,
				    "CREATE INDEX example_notes_author ON "
				    "example_notes(author)",
				    NULL);
	for (size_t i = 0; rc == 0 && i < sizeof(routes) / sizeof(*routes); i++)
		rc = api->route(ctx, &routes[i]);
	if (rc == 0)
		rc = api->static_dir(ctx, "/example", "web");
	if (rc == 0)
		rc = api->health_check(ctx, "example", check_notes, NULL, 500);
	if (rc == 0)
		rc = api->job(ctx, &job);
	if (rc == 0)
		api->log(ctx, HUB_LOG_INFO, "example ready (greeting '%s')",
			 api->setting_str(ctx, "greeting"));
	return rc;
}

static void example_shutdown(hub_ctx *ctx)
{
	api->log(ctx, HUB_LOG_INFO, "example stopped");
}

HUB_MODULE_DEFINE("example", "1.0.0", "a walk-through of the module ABI",
		  example_init, example_shutdown);
