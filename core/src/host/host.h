/*
 * host.h - the host's internals shared between core/src/host files and the
 * programs on top: module contexts and their registrations, the loader,
 * health, error reports. Configuration and logging live in base/.
 */
#ifndef HUB_HOST_H
#define HUB_HOST_H

#include "hub/module.h"
#include "base/conf.h"
#include "base/log.h"
#include "ops/ops.h"
#include "store/store.h"
#include <stdarg.h>

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

/* ============================================ the list (modules.c) */

/* The built-in context for routes and checks the core registers itself. */
hub_ctx *hub_core_ctx(void);

/* Loaded contexts, in load order (the core ctx first). */
size_t hub_modules_count(void);
hub_ctx *hub_modules_at(size_t i);
/* 1 when no further module fits. */
int hub_modules_full(void);
/* 1 when a module called `name` is loaded. */
int hub_modules_loaded(const char *name);
/* Appends a loaded module (the list keeps ctx until hub_modules_pop).
 * Returns 0, or -1 when full. */
int hub_modules_add(hub_ctx *ctx);
/* Takes the last loaded module off the list; NULL when none is left. */
hub_ctx *hub_modules_pop(void);

/* The modules' import hooks for hub_ops_import_json (imports.c). */
extern const hub_ops_importers hub_modules_importers;

/* ============================================ loader, API table, health */

/* The host API table (process lifetime). */
const hub_api *hub_host_api(void);

/* Loads every enabled [module.NAME] of the configuration in order: dlopen,
 * descriptor checks, init, settings check, migrations. A required module
 * that fails stops the load: returns 2 (configuration or module problem)
 * or 1 (failed migration) with "FILE:LINE: module NAME: reason" in err.
 * An optional one is skipped with a warning. `api` is the table handed
 * to each init; `run_migrations` is 0 for `hubd --check`. */
int hub_modules_load(const hub_api *api, int run_migrations, char *err,
		     size_t errlen);

/* Calls shutdown in reverse load order and unloads. */
void hub_modules_unload(void);

/* Runs every registered health check within its budget and builds the
 * GET /health document. Owned: free(). *http_status gets 200 or 503. */
char *hub_health_report(int *http_status);

/* Registers GET /api/v1/openapi.json on the core context. */
int hub_openapi_register(hub_ctx *core, const hub_api *api);

/* Waits up to timeout_ms for health-check threads that overran their
 * budget. Returns 0 when none is left, -1 otherwise (then module code may
 * still run: do not unload modules). */
int hub_health_wait_idle(unsigned timeout_ms);

/* Registers the core's checks (storage, disk, cache, jobs) through api
 * on the core context. Returns 0 or -1. */
int hub_health_register_core(const hub_api *api);

/* 1 when storage answers a trivial query. */
int hub_health_storage_ready(void);

/* Error reports: always logged (scrubbed); queued for Sentry when a DSN
 * is set (through ops/sentry.h). Defined in host_api.c. */
void hub_report_error(hub_ctx *ctx, const char *message);

#endif
