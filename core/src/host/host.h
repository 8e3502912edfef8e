/*
 * host.h - the host's internals shared between core/src files: the parsed
 * configuration, module contexts and their registrations, logging.
 */
#ifndef HUB_HOST_H
#define HUB_HOST_H

#include "hub/module.h"
#include "store/store.h"
#include "store/store.h"
#include <stdarg.h>

/* ================================================================ config */

/* Parses `path` (INI via libinih) into the process configuration, then
 * applies the environment overrides (HUB_LISTEN, HUB_DATA_DIR,
 * HUB_SECRET_KEY, HUB_CONSULTANTS, SENTRY_DSN) and validates every known
 * section. Returns 0, or -1 with one line "FILE:LINE: key 'K': reason" in
 * err. Not thread-safe; call once before any thread starts. */
int hub_conf_load(const char *path, char *err, size_t errlen);

/* Same as hub_conf_load for configuration text in memory (tests, the
 * fuzzer); `name` stands for the file in error messages. */
int hub_conf_load_string(const char *name, const char *text, char *err,
			 size_t errlen);

/* Frees the configuration. */
void hub_conf_free(void);

/* A value; borrowed for the life of the configuration; NULL if unset. */
const char *hub_conf_get(const char *section, const char *key);
long long hub_conf_int(const char *section, const char *key, long long def);
int hub_conf_bool(const char *section, const char *key, int def);

/* The one reading of setting values everywhere: a boolean is true, yes,
 * on, 1 / false, no, off, 0 (any case): returns 1, 0, or -1 for anything
 * else. An integer is a whole decimal: returns 0 with *out, or -1. */
int hub_parse_bool(const char *v);
int hub_parse_ll(const char *v, long long *out);

/* Line of a key in the file (0 when it came from the environment or is
 * absent) and the file's path. */
int hub_conf_line(const char *section, const char *key);
const char *hub_conf_path(void);

/* Marks a key as known (so the unknown-key check passes). */
void hub_conf_mark_used(const char *section, const char *key);

/* Calls fn for each key of `section` starting with `prefix`, in file
 * order; marks them used. Returns the count. */
int hub_conf_each(const char *section, const char *prefix,
		  void (*fn)(void *ud, const char *key, const char *value),
		  void *ud);

/* Finds the first key of `section` not marked used. Returns its name
 * (borrowed) or NULL. */
const char *hub_conf_first_unused(const char *section);

/* Number of [module.NAME] sections and the NAME of the i-th, in file
 * order. Borrowed. */
size_t hub_conf_module_count(void);
const char *hub_conf_module_name(size_t i);

/* Parses "N/s", "N/min", "N/h" into a count and a window in seconds.
 * Returns 0 or -1. */
int hub_conf_parse_rate(const char *text, unsigned *count, unsigned *window_s);

/* =============================================================== logging */

/* Opens `path` for appending (NULL = stderr). Returns 0 or -1. */
int hub_log_open(const char *path);
/* Re-opens the log file (SIGHUP); safe to call from a normal thread. */
void hub_log_reopen(void);
void hub_log_set_level(int level);
/* Lets info lines wait in the buffer until hub_log_flush (the server
 * calls it once a second); call before any other thread writes. */
void hub_log_buffered(int on);
void hub_log_flush(void);
/* Writes one JSON line {"ts","level","module","msg"}. Thread-safe. */
void hub_logf(int level, const char *module, const char *fmt, ...)
    HUB_PRINTF(3, 4);
void hub_logv(int level, const char *module, const char *fmt, va_list ap);
/* Writes a pre-built JSON object text as one line (access log). */
void hub_log_raw(const char *json_line);
/* Escapes `s` as JSON string contents into out (always NUL-terminated). */
void hub_json_escape(char *out, size_t outlen, const char *s);

/* ======================================================= module contexts */

typedef struct hub_reg_check {
	char name[64];
	hub_check_fn fn;
	void *userdata;
	unsigned budget_ms;
	int running; /* a run is still going (health.c's lock guards it) */
} hub_reg_check;

typedef struct hub_reg_setting {
	hub_setting def;   /* strings copied */
	const char *value; /* resolved value or NULL; owned by ctx */
} hub_reg_setting;

typedef struct hub_reg_import {
	hub_import_fn fn;
	void *userdata;
} hub_reg_import;

struct hub_ctx {
	char name[64];
	char dir[4096];	  /* <directory of the .so>/<name> */
	char section[96]; /* "module.NAME" */
	void *dl;	  /* dlopen handle; NULL for the built-in core ctx */
	const hub_module *desc;
	int in_init;	      /* registration allowed */
	int initialised;      /* init returned 0 */
	char error[512];      /* first registration error ("" = none) */
	char last_error[256]; /* last error the module logged during init */
	hub_reg_setting *settings;
	size_t nsettings;
	hub_migration_def *migrations;
	size_t nmigrations;
	hub_reg_check *checks;
	size_t nchecks;
	hub_reg_import *imports;
	size_t nimports;
};

/* The built-in context for routes and checks the core registers itself. */
hub_ctx *hub_core_ctx(void);

/* The host API table (process lifetime). */
const hub_api *hub_host_api(void);

/* Loads every enabled [module.NAME] of the configuration in order: dlopen,
 * descriptor checks, init, settings check, migrations. A required module
 * that fails stops the load: returns 2 (configuration or module problem)
 * or 1 (failed migration) with "FILE:LINE: module NAME: reason" in err.
 * An optional one is skipped with a warning. `run_migrations` is 0 for
 * `hubd --check`. */
int hub_modules_load(int run_migrations, char *err, size_t errlen);

/* Calls shutdown in reverse load order and unloads. */
void hub_modules_unload(void);

/* Loaded contexts, in load order (the core ctx first). */
size_t hub_modules_count(void);
hub_ctx *hub_modules_at(size_t i);

/* Runs every registered health check within its budget and builds the
 * GET /health document. Owned: free(). *http_status gets 200 or 503. */
char *hub_health_report(int *http_status);

/* Registers GET /api/v1/openapi.json on the core context. */
int hub_openapi_register(hub_ctx *core, const hub_api *api);

/* Waits up to timeout_ms for health-check threads that overran their
 * budget. Returns 0 when none is left, -1 otherwise (then module code may
 * still run: do not unload modules). */
int hub_health_wait_idle(unsigned timeout_ms);

/* Registers the core's checks (storage, disk, cache, jobs). */
int hub_health_register_core(void);

/* 1 when storage answers a trivial query. */
int hub_health_storage_ready(void);

/* Error reports (Sentry when SENTRY_DSN is set, always logged). */
void hub_report_error(hub_ctx *ctx, const char *message);
/* Starts the background sender when `dsn` is set; -1 with a reason for a
 * malformed DSN. */
int hub_report_start(const char *dsn, char *err, size_t errlen);
/* Flushes the queue (bounded) and stops the sender. */
void hub_report_stop(void);

/* Seconds since start-up. */
double hub_uptime_s(void);

#endif
