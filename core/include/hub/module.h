/*
 * hub/module.h - the one header a Business Hub module includes (the ABI).
 *
 * A module is a shared object that exports exactly one symbol,
 * `hub_module_descriptor` (use HUB_MODULE_DEFINE). The host checks the
 * descriptor's ABI version and size before it calls any function of the
 * module, then calls init(ctx, api) with a table of host functions. One
 * exception: dlopen itself runs the shared object's ELF constructors
 * (__attribute__((constructor)), C++ static initialisers) before the
 * descriptor can be read, so a module must not have any - a constructor
 * would run even in a module the host then refuses. Modules never link
 * against host symbols: everything they need is reached through `api`.
 *
 * Rules of the road
 *  - Only plain C types and opaque handles cross this boundary. No cJSON,
 *    mbedtls or civetweb type appears here, so library upgrades on either
 *    side never break the ABI.
 *  - Registration (routes, settings, migrations, checks, jobs, hooks) is
 *    allowed during init only. Everything registered is tied to the module's
 *    context: when init fails the host rolls all of it back.
 *  - The API table is append-only. New functions are added at the end under
 *    a comment naming the ABI minor that added them; a module built against
 *    an older table checks api->size before using a newer field
 *    (HUB_API_HAS).
 *  - Every function states who owns returned memory. "borrowed" means valid
 *    until the stated point and not to be freed; "owned" means the caller
 *    frees it with the named function.
 *  - Handlers run concurrently on civetweb worker threads. Module state must
 *    be immutable after init or guarded by the module's own lock.
 */
#ifndef HUB_MODULE_H
#define HUB_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI major: bumped on any incompatible change; the host refuses others. */
#define HUB_ABI_VERSION 1u
/* ABI minor: bumped when fields are appended to hub_api. The host's
 * minor is in the table (hub_api.abi_minor, from minor 1 on), so a module
 * can log what it runs against. */
#define HUB_ABI_MINOR 3u

#if defined(__GNUC__)
#define HUB_EXPORT	 __attribute__((visibility("default")))
#define HUB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HUB_EXPORT
#define HUB_PRINTF(a, b)
#endif

/* ---------------------------------------------------------------- handles */

typedef struct hub_ctx hub_ctx;	  /* a module's registration context */
typedef struct hub_req hub_req;	  /* one HTTP request being served */
typedef struct hub_db hub_db;	  /* a database connection (one per thread) */
typedef struct hub_stmt hub_stmt; /* a prepared statement */
typedef struct hub_api hub_api;

/* ------------------------------------------------------------- constants */

/* Log levels. */
enum hub_log_level {
	HUB_LOG_DEBUG = 0,
	HUB_LOG_INFO = 1,
	HUB_LOG_WARN = 2,
	HUB_LOG_ERROR = 3
};

/* Roles, usable as a bit mask in hub_route.roles. */
enum hub_role {
	HUB_ROLE_NONE = 0,
	HUB_ROLE_ADMIN = 1 << 0,
	HUB_ROLE_STAFF = 1 << 1,
	HUB_ROLE_CONSULTANT = 1 << 2,
	HUB_ROLE_ANY = HUB_ROLE_ADMIN | HUB_ROLE_STAFF | HUB_ROLE_CONSULTANT
};

/* API token scopes, usable as a bit mask in hub_route.scopes. */
enum hub_scope {
	HUB_SCOPE_READ = 1 << 0,
	HUB_SCOPE_BOOK = 1 << 1,
	HUB_SCOPE_ADMIN = 1 << 2
};

/* Route flags. */
enum hub_route_flags {
	HUB_ROUTE_PUBLIC = 1 << 0,	 /* no authentication at all */
	HUB_ROUTE_NO_JSON_BODY = 1 << 1, /* accept any content type on writes */
	/* also for a signed-in user who must still change the password or
	 * set up 2FA (otherwise such a session gets 401 everywhere) */
	HUB_ROUTE_RESTRICTED_OK = 1 << 2
};

/* Setting types and flags. */
enum hub_setting_type {
	HUB_SETTING_STRING = 0,
	HUB_SETTING_INT = 1,
	HUB_SETTING_BOOL = 2
};
enum hub_setting_flags {
	HUB_SETTING_SECRET = 1 << 0,  /* never logged, never exported */
	HUB_SETTING_REQUIRED = 1 << 1 /* start-up fails when absent */
};

/* Storage result codes. Errors are negative. */
enum hub_db_rc {
	HUB_DB_OK = 0,
	HUB_DB_ROW = 100,	 /* hub_db_step: a row is ready */
	HUB_DB_DONE = 101,	 /* hub_db_step: statement finished */
	HUB_DB_ERROR = -1,	 /* anything not listed below */
	HUB_DB_ECONSTRAINT = -2, /* unique / check / foreign-key violation */
	HUB_DB_EBUSY = -3,	 /* locked by another writer; retry */
	HUB_DB_EFULL = -4,	 /* disk or quota full */
	HUB_DB_EIO = -5,	 /* I/O error or corruption */
	HUB_DB_EMISUSE = -6,	 /* bad SQL or API misuse */
	HUB_DB_ENOTFOUND = -7	 /* convenience: no such row */
};

/* Column types as reported by column_type. */
enum hub_db_type {
	HUB_DB_NULL = 0,
	HUB_DB_INT = 1,
	HUB_DB_FLOAT = 2,
	HUB_DB_TEXT = 3,
	HUB_DB_BLOB = 4
};

/* Health states. */
enum hub_health {
	HUB_HEALTH_OK = 0,
	HUB_HEALTH_DEGRADED = 1,
	HUB_HEALTH_FAIL = 2
};

/* ------------------------------------------------------- registered items */

/* A request handler. Must answer through api->reply* exactly once; a handler
 * that returns without answering gets a 500 from the router. The return
 * value is ignored (reserved). */
typedef int (*hub_handler_fn)(hub_req *req, void *userdata);

/* A route. `pattern` is an absolute path whose segments may be named
 * parameters, e.g. "/api/v1/bookings/{id}/cancel"; a last segment "{*rest}"
 * matches the remainder of the path. Strings are copied at registration. */
typedef struct hub_route {
	const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *pattern; /* see above */
	hub_handler_fn handler;
	void *userdata;
	unsigned roles;		/* HUB_ROLE_* mask allowed; 0 = any signed-in */
	unsigned scopes;	/* HUB_SCOPE_* mask for API tokens; 0 = none */
	const char *rate_class; /* "login", "booking", "api", "admin" or NULL */
	unsigned flags;		/* HUB_ROUTE_* */
} hub_route;

/* A typed setting of the module's [module.NAME] section. */
typedef struct hub_setting {
	const char *key;
	int type;		   /* HUB_SETTING_* */
	const char *default_value; /* as text; NULL = no default */
	unsigned flags;		   /* HUB_SETTING_* flags */
	const char *help;
} hub_setting;

/* One health check result. `detail` is a short human sentence. */
typedef struct hub_health_result {
	int status; /* HUB_HEALTH_* */
	char detail[256];
} hub_health_result;

/* A health check. It must return within budget_ms; one that does not is
 * reported as failed ("timed out") and its late answer discarded. */
typedef void (*hub_check_fn)(void *userdata, hub_health_result *out);

/* A scheduled job: returns 0 on success; on failure writes a message into
 * err (NUL-terminated, at most errlen bytes) and returns non-zero. */
typedef int (*hub_job_fn)(void *userdata, char *err, size_t errlen);

typedef struct hub_job {
	const char *name;     /* unique per module */
	unsigned interval_s;  /* run every N seconds; 0 when daily_at is set */
	const char *daily_at; /* "HH:MM" in the business time zone, or NULL */
	unsigned jitter_s;    /* random delay 0..jitter_s added to each run */
	int cluster_once;     /* 1: only one server of a cluster runs it */
	hub_job_fn fn;
	void *userdata;
} hub_job;

/* Import hook for `hubctl import-json DIR`: runs inside the one import
 * transaction on `db`. Returns 0 on success; on failure writes
 * "file:line: reason" into err and returns non-zero (the whole import is
 * rolled back). */
typedef int (*hub_import_fn)(void *userdata, hub_db *db, const char *dir,
			     char *err, size_t errlen);

/* The signed-in principal of a request. */
typedef struct hub_user {
	int64_t id;
	char username[64];
	int role;	       /* one HUB_ROLE_* value */
	unsigned scopes;       /* API token scopes; 0 for browser sessions */
	int via_token;	       /* 1 when authenticated by an API token */
	int64_t consultant_id; /* linked consultant record, 0 if none */
} hub_user;

/* A calendar event as mirrored locally (times are UTC seconds). */
typedef struct hub_cal_event {
	char id[128];
	char summary[256];
	char color_id[8];
	char hub_key[64]; /* our own key for events written by the outbox */
	int64_t start_utc;
	int64_t end_utc;
	int all_day;
} hub_cal_event;

/* A rate-limit decision. */
typedef struct hub_rate_info {
	int allowed;
	unsigned limit;
	unsigned remaining;
	unsigned reset_s;     /* seconds until a place frees up */
	unsigned retry_after; /* seconds; 0 when allowed */
} hub_rate_info;

/* ------------------------------------------------------- the API table */

struct hub_api {
	uint32_t abi_version; /* HUB_ABI_VERSION of the host */
	uint32_t size;	      /* sizeof(hub_api) of the host */

	/* ---- logging (v1.0) ---- */

	/* Writes one JSON log line tagged with the module name. Never pass
	 * secrets. Fails silently. */
	void (*log)(hub_ctx *ctx, int level, const char *fmt, ...)
	    HUB_PRINTF(3, 4);

	/* ---- registration, init only (v1.0) ----
	 * Each returns 0 on success, -1 on error (after logging why). */

	int (*route)(hub_ctx *ctx, const hub_route *route);
	/* Serves the files of `dir` (relative paths resolve against the
	 * module's own directory) under URL `prefix`. */
	int (*static_dir)(hub_ctx *ctx, const char *prefix, const char *dir);
	int (*setting)(hub_ctx *ctx, const hub_setting *setting);
	/* Registers migration `version` (1, 2, ... strictly increasing).
	 * `sql` is portable SQL run in one transaction; `sql_pg` replaces it
	 * on PostgreSQL when not NULL. Strings must be static. */
	int (*migration)(hub_ctx *ctx, int version, const char *sql,
			 const char *sql_pg);
	int (*health_check)(hub_ctx *ctx, const char *name, hub_check_fn fn,
			    void *userdata, unsigned budget_ms);
	int (*job)(hub_ctx *ctx, const hub_job *job);
	int (*import_hook)(hub_ctx *ctx, hub_import_fn fn, void *userdata);

	/* ---- settings (any time) ---- */

	/* The value of a declared setting (file, environment or default).
	 * Borrowed, valid until the module's shutdown returns. NULL when the
	 * key was not declared or has no value. */
	const char *(*setting_str)(hub_ctx *ctx, const char *key);
	/* Integer / boolean value of a declared setting; `def` if unset. */
	long long (*setting_int)(hub_ctx *ctx, const char *key, long long def);
	int (*setting_bool)(hub_ctx *ctx, const char *key, int def);
	/* A core setting: "KEY" of [server] (e.g. "timezone", "data_dir")
	 * or "SECTION.KEY" of another core section (e.g.
	 * "calendar.central_calendar_id"). Secrets (secret_key, sentry_dsn,
	 * URLs with passwords) are never returned. Borrowed, valid for the
	 * life of the process. NULL when unset. */
	const char *(*server_setting)(const char *key);
	/* The directory the module's shared object was loaded from.
	 * Borrowed, valid until shutdown returns. */
	const char *(*module_dir)(hub_ctx *ctx);

	/* ---- request (handler thread only) ---- */

	/* Borrowed strings valid until the handler returns. */
	const char *(*req_method)(hub_req *req);
	const char *(*req_path)(hub_req *req);
	/* A named path parameter, percent-decoded; NULL if absent. */
	const char *(*req_param)(hub_req *req, const char *name);
	/* A query parameter, percent-decoded; NULL if absent. */
	const char *(*req_query)(hub_req *req, const char *name);
	/* A request header; NULL if absent. */
	const char *(*req_header)(hub_req *req, const char *name);
	/* The request body (NUL-terminated; *len excludes the NUL). The
	 * router has already enforced the body limit. */
	const char *(*req_body)(hub_req *req, size_t *len);
	/* The real client address (X-Forwarded-For honoured only from
	 * trusted proxies). */
	const char *(*req_client)(hub_req *req);
	const char *(*req_id)(hub_req *req);
	/* Copies the principal into *out. Returns 0 when the request is
	 * authenticated, -1 otherwise. */
	int (*req_user)(hub_req *req, hub_user *out);
	/* Memory freed automatically after the handler returns. NULL on
	 * out of memory. */
	void *(*req_alloc)(hub_req *req, size_t n);

	/* ---- replies (handler thread only, exactly one per request) ---- */

	/* Adds a response header; before the reply. Returns 0 or -1. */
	int (*reply_header)(hub_req *req, const char *name, const char *value);
	/* Sends `len` bytes of `body` with `status`. */
	int (*reply)(hub_req *req, int status, const char *content_type,
		     const char *body, size_t len);
	/* Sends a JSON text (not checked). */
	int (*reply_json)(hub_req *req, int status, const char *json);
	/* Sends the error envelope {"error":{"code","message","request_id"}}.
	 * `extra_members`, when not NULL, is a JSON object text whose members
	 * are added to the error object (e.g. {"alternatives":[...]}). */
	int (*reply_error)(hub_req *req, int status, const char *code,
			   const char *message, const char *extra_members);

	/* ---- storage ---- */

	/* The calling thread's connection, opened on first use and kept for
	 * the thread's life. Borrowed; NULL when storage is unavailable. */
	hub_db *(*db)(void);
	/* Prepares `sql` (placeholders `?`). Statements are cached per
	 * connection: always hand them back with stmt_finalize. */
	int (*db_prepare)(hub_db *db, const char *sql, hub_stmt **out);
	int (*db_exec)(hub_db *db, const char *sql);
	/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
	int (*db_begin)(hub_db *db);
	int (*db_commit)(hub_db *db);
	int (*db_rollback)(hub_db *db);
	/* Runs fn inside a write transaction; retries the whole transaction
	 * on HUB_DB_EBUSY with backoff. fn returns a hub_db_rc; anything but
	 * HUB_DB_OK rolls back and is returned. */
	int (*db_transaction)(hub_db *db, int (*fn)(hub_db *db, void *ud),
			      void *ud);
	int64_t (*db_last_id)(hub_db *db);
	int (*db_changes)(hub_db *db);
	/* Last error text of the connection. Borrowed until the next call. */
	const char *(*db_errmsg)(hub_db *db);
	/* "sqlite" or "postgresql". */
	const char *(*db_dialect)(hub_db *db);

	int (*stmt_bind_text)(hub_stmt *st, int idx, const char *s);
	int (*stmt_bind_int)(hub_stmt *st, int idx, int64_t v);
	int (*stmt_bind_double)(hub_stmt *st, int idx, double v);
	int (*stmt_bind_null)(hub_stmt *st, int idx);
	int (*stmt_bind_blob)(hub_stmt *st, int idx, const void *p, size_t n);
	/* HUB_DB_ROW, HUB_DB_DONE or an error code. A write outside a
	 * transaction (e.g. INSERT ... RETURNING) is committed only when it
	 * is stepped to HUB_DB_DONE: step to done, and check that, before
	 * answering that the write succeeded. */
	int (*stmt_step)(hub_stmt *st);
	int (*stmt_reset)(hub_stmt *st);
	/* Returns the statement to the connection's cache. Accepts NULL. */
	void (*stmt_finalize)(hub_stmt *st);
	int (*col_count)(hub_stmt *st);
	int (*col_type)(hub_stmt *st, int col);
	int64_t (*col_int)(hub_stmt *st, int col);
	double (*col_double)(hub_stmt *st, int col);
	/* Borrowed until the next step/reset/finalize; "" for NULL. */
	const char *(*col_text)(hub_stmt *st, int col);
	const void *(*col_blob)(hub_stmt *st, int col, size_t *len);

	/* ---- rate limiting ---- */

	/* Counts one hit of `key` in route class `rate_class` and fills
	 * *info. Returns 1 when allowed, 0 when limited, -1 on error. */
	int (*rate_hit)(const char *rate_class, const char *key,
			hub_rate_info *info);

	/* ---- audit log ---- */

	/* Appends an audit entry (actor and address from `req` when given).
	 * `detail` is short text without secrets. Returns 0 or -1. */
	int (*audit)(hub_req *req, hub_db *db, const char *action,
		     const char *target, const char *detail);

	/* ---- cache (in-process, or Redis when configured) ---- */

	/* Copies a cached value into a new buffer. Owned: free with
	 * cache_free. NULL on miss. */
	char *(*cache_get)(const char *ns, const char *key, size_t *len);
	int (*cache_put)(const char *ns, const char *key, const char *val,
			 size_t len, unsigned ttl_s);
	void (*cache_del)(const char *ns, const char *key);
	void (*cache_free)(char *p);

	/* ---- calendar ---- */

	/* "local" or "google". Borrowed, process lifetime. */
	const char *(*cal_backend)(void);
	/* Events of `calendar_id` overlapping [from_utc, to_utc) from the
	 * local mirror. *out is owned: free with cal_free. Returns the count
	 * (>= 0) or -1 on error. */
	int (*cal_events)(const char *calendar_id, int64_t from_utc,
			  int64_t to_utc, hub_cal_event **out);
	void (*cal_free)(hub_cal_event *events);
	/* Queues a calendar write in the caller's transaction on `db`.
	 * `op` is "upsert" or "delete"; `hub_key` names the event stably
	 * (the outbox derives the Google event id from it); `event_json` is
	 * the event resource (summary, description, start, end, colorId) or
	 * NULL for delete. Returns 0 or a HUB_DB_* error. */
	int (*cal_outbox_put)(hub_db *db, const char *op, const char *hub_key,
			      const char *event_json);
	/* Asks the sync job to run soon. */
	void (*cal_sync_soon)(void);

	/* ---- errors and metrics ---- */

	/* Sends an error report (Sentry when SENTRY_DSN is set) and logs
	 * it. Never pass secrets. */
	void (*report_error)(hub_ctx *ctx, const char *message);
	/* Adds `delta` to counter `name` with optional label text such as
	 * `outcome="appeared"` (NULL for none). */
	void (*metric_add)(const char *name, const char *labels, double delta);

	/* ---- host status (for the health and admin modules) ---- */

	/* Runs every registered health check (each within its budget) and
	 * returns the JSON document of GET /health; *http_status gets 200
	 * or 503. Owned: free with free_text. NULL on out of memory. */
	char *(*health_report)(int *http_status);
	/* 1 when storage answers a trivial query, else 0. */
	int (*storage_ready)(void);
	/* Prometheus text of every metric. Owned: free with free_text. */
	char *(*metrics_text)(void);
	/* JSON array of scheduled jobs with last/next run. Owned: free with
	 * free_text. */
	char *(*jobs_status)(void);
	void (*free_text)(char *text);

	/* ---- settings with dynamic names ---- */

	/* Calls fn for every key of the module's section that starts with
	 * `prefix` (e.g. "plan." for plan.NAME keys), in file order. Such
	 * keys are accepted when the module declared a setting named
	 * "PREFIX*" (e.g. "plan.*"). Returns the number of keys visited. */
	int (*setting_each)(hub_ctx *ctx, const char *prefix,
			    void (*fn)(void *ud, const char *key,
				       const char *value),
			    void *ud);

	/* ---- v1.1 ---- */

	/* HUB_ABI_MINOR of the host (check with HUB_API_HAS first: a v1.0
	 * host has no such field). */
	uint32_t abi_minor;

	/* ---- events for webhooks (v1.1) ---- */

	/* Records event `type` (e.g. "booking.created") about `subject` (a
	 * stable key such as "booking-42": deliveries about one subject keep
	 * their order) with `data_json` (a JSON object, at most 64 KiB) on
	 * `db` inside the caller's open transaction: one delivery row per
	 * webhook subscribed to `type`, committed or rolled back with the
	 * change and sent later by a job. Returns HUB_DB_OK (also when no
	 * webhook listens), HUB_DB_EMISUSE for bad arguments (logged), or the
	 * storage error. */
	int (*event_put)(hub_db *db, const char *type, const char *subject,
			 const char *data_json);

	/* ---- users (v1.1) ---- */

	/* The user `id` when it exists and is not disabled: fills *out
	 * (scopes and via_token 0). For routes without a session, such as a
	 * secret feed URL. Returns 0, or -1 when there is no such active
	 * user or storage fails. */
	int (*user_get)(int64_t id, hub_user *out);

	/* ---- calendar, in one read (v1.2) ---- */

	/* Events of the n calendars ids[0..n) overlapping [from_utc,
	 * to_utc) from the local mirror, read with one query into the
	 * caller's buf (cap entries; no allocation): those of ids[i] are
	 * buf[first[i]] .. buf[first[i] + counts[i] - 1], by start time
	 * (first and counts: the caller's arrays of n). Returns the total;
	 * when it exceeds cap only cap were written: call again with a
	 * buffer of at least that many. -1 on error. */
	int (*cal_events_many)(const char *const *calendar_ids, int n,
			       int64_t from_utc, int64_t to_utc,
			       hub_cal_event *buf, int cap, int *first,
			       int *counts);

	/* ---- cluster (v1.2) ---- */

	/* Drops every cached entry of namespace `ns` on this server and,
	 * when the cluster shares a Redis, on every other server too. */
	void (*cache_invalidate)(const char *ns);

	/* ---- admin console (v1.2) ----
	 * Every text returned is owned: free it with free_text. */

	/* This server's latest log records (a bounded in-memory ring,
	 * credential- looking text masked), newest first: a JSON array of at
	 * most `limit` (1..1000) records
	 * {"seq","time","level","module","message", "request_id"?} with level
	 * >= min_level, time >= since_ms (UTC ms), `q` (NULL = any) in message
	 * or module, older than record `before` when not 0. *next gets `before`
	 * for the next page or 0. NULL when out of memory. */
	char *(*log_query)(int min_level, int64_t since_ms, const char *q,
			   uint64_t before, size_t limit, uint64_t *next);
	/* Backups of the data directory, newest first: a JSON array of
	 * {"name","size","created_at","verified"}. NULL with err on error
	 * (also on PostgreSQL, which is backed up with its own tools). */
	char *(*backup_list)(char *err, size_t errlen);
	/* Makes and verifies a backup; the JSON object of it, or NULL with
	 * err. */
	char *(*backup_create)(char *err, size_t errlen);
	/* Verifies backup `name` (a name of the listing, nothing else).
	 * Returns 0 (sound), -2 (not a listed backup), -3 (damaged: err
	 * says how) or -1 (error, err). */
	int (*backup_verify)(const char *name, char *err, size_t errlen);
	/* The bytes of backup `name` (a name of the listing) in *len. NULL
	 * with *notfound = 1 when it is not a listed backup, else NULL with
	 * err. */
	char *(*backup_read)(const char *name, size_t *len, char *err,
			     size_t errlen, int *notfound);
	/* Asks job `name` of `module` ("core" for the host's) to run soon.
	 * Returns 0, or -1 when there is no such job. */
	int (*job_run)(const char *module, const char *name);
	/* Undelivered calendar writes in id order: a JSON array of {"id",
	 * "op","hub_key","state","attempts","last_error","created_at",
	 * "next_attempt_at"} with id > after_id, `state` "pending", "failed"
	 * or NULL (both); *next gets the after_id of the next page or 0.
	 * NULL on a storage error. */
	char *(*outbox_list)(const char *state, int64_t after_id, int limit,
			     int64_t *next);
	/* Puts an undelivered (pending or failed) calendar write back in
	 * line now. Returns HUB_DB_OK, HUB_DB_ENOTFOUND or an error. */
	int (*outbox_retry)(int64_t id);
	/* The effective configuration as a JSON object of sections of
	 * key/value texts, every secret shown as "***". NULL when out of
	 * memory. */
	char *(*config_dump)(void);
	/* Run-time settings stored in the database, overriding the
	 * configuration on every server. Keys: "auth.require_2fa".
	 * runtime_get writes the effective value into out and returns 1
	 * (stored value), 0 (from the configuration) or -1 (unknown key);
	 * runtime_set returns HUB_DB_OK, HUB_DB_EMISUSE (unknown key or bad
	 * value) or a storage error. */
	int (*runtime_get)(const char *key, char *out, size_t outlen);
	int (*runtime_set)(hub_db *db, const char *key, const char *value);
	/* The calendar mirror's sync state per calendar: a JSON array of
	 * {"calendar_id","last_ok","last_attempt","last_error"} (empty for
	 * the local backend). NULL on a storage error. */
	char *(*calendar_sync)(void);

	/* ---- v1.3 ---- */

	/* db_transaction for a transaction whose fn first takes a row lock
	 * that every competing transaction takes too (an upsert of a lock
	 * row): on PostgreSQL it runs at READ COMMITTED without the
	 * process's writer queue, so transactions of different lock rows
	 * run and commit concurrently; each statement sees what was
	 * committed before it began, after the lock all of the previous
	 * holder's work. Only what is read after the lock is exact. On
	 * SQLite it is db_transaction. */
	int (*db_transaction_rowlocked)(hub_db *db,
					int (*fn)(hub_db *db, void *ud),
					void *ud);
	/* A number that changes whenever namespace `ns` of this server's
	 * cache is invalidated (locally, or by another server through
	 * Redis; also by an invalidation of everything), or 0 while
	 * invalidations of other servers do not reach this one (no Redis
	 * configured, or its listener not subscribed). While it is not 0 and
	 * unchanged, nothing invalidated `ns` here since: a module may keep
	 * an in-process copy of a stored value whose every change
	 * invalidates `ns` (see docs/SCALING.md). NULL: any namespace. */
	uint64_t (*cache_epoch)(const char *ns);
};

/* True when the host's table is new enough to hold `field`. */
#define HUB_API_HAS(api, field)                                                \
	((api)->size >= offsetof(hub_api, field) + sizeof((api)->field))

/* ------------------------------------------------------- the descriptor */

typedef struct hub_module {
	uint32_t abi_version; /* HUB_ABI_VERSION the module was built for */
	uint32_t size;	      /* sizeof(hub_module) */
	const char *name;     /* [a-z0-9_]+, unique among loaded modules */
	const char *version;  /* the module's own version */
	const char *description;
	/* Registers everything and sets up state. Returns 0 on success;
	 * anything else fails the load and rolls back registrations. */
	int (*init)(hub_ctx *ctx, const hub_api *api);
	/* Releases state; called in reverse load order after the server
	 * has stopped. May be NULL. */
	void (*shutdown)(hub_ctx *ctx);
} hub_module;

#define HUB_MODULE_SYMBOL "hub_module_descriptor"

/* Defines the exported descriptor. Use once per module. */
#define HUB_MODULE_DEFINE(name_, version_, description_, init_, shutdown_)     \
	HUB_EXPORT const hub_module hub_module_descriptor = {                  \
	    HUB_ABI_VERSION, (uint32_t)sizeof(hub_module),                     \
	    name_,	     version_,                                         \
	    description_,    init_,                                            \
	    shutdown_}

#ifdef __cplusplus
}
#endif
#endif /* HUB_MODULE_H */
