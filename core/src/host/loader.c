/*
 * loader.c - loads the modules of plugins.conf: dlopen, descriptor checks
 * (before any function of the module is called; dlopen has run its ELF
 * constructors, which modules must not have), init with the host API
 * table, settings check, migrations; a failed step rolls back everything
 * the module had registered. Unloads in reverse order.
 */
#define _GNU_SOURCE
#include "host/host.h"
#include "http/http.h"
#include "sched/sched.h"

#include <ctype.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Releases everything a context registered (rollback or unload). */
static void hub_ctx_release(hub_ctx *ctx)
{
	hub_router_remove_owner(ctx);
	hub_sched_remove_owner(ctx->name);
	for (size_t i = 0; i < ctx->nsettings; i++) {
		free((char *)ctx->settings[i].def.key);
		free((char *)ctx->settings[i].def.default_value);
		free((char *)ctx->settings[i].def.help);
	}
	free(ctx->settings);
	free(ctx->migrations);
	free(ctx->checks);
	free(ctx->imports);
	ctx->settings = NULL;
	ctx->migrations = NULL;
	ctx->checks = NULL;
	ctx->imports = NULL;
	ctx->nsettings = ctx->nmigrations = ctx->nchecks = ctx->nimports = 0;
}

/* Resolves the module file: absolute, or relative to [server] module_dir
 * (itself relative to the configuration file's folder), defaulting to the
 * build tree's modules folder. */
static void resolve_path(const char *path, char *out, size_t outlen)
{
	const char *mdir = hub_conf_get("server", "module_dir");
	char confdir[PATH_MAX];
	if (path[0] == '/') {
		snprintf(out, outlen, "%s", path);
		return;
	}
	snprintf(confdir, sizeof(confdir), "%s", hub_conf_path());
	char *cd = dirname(confdir);
	if (!mdir)
		snprintf(out, outlen, "%s/modules/%s", HUB_BUILD_DIR, path);
	else if (mdir[0] == '/')
		snprintf(out, outlen, "%s/%s", mdir, path);
	else
		snprintf(out, outlen, "%s/%s/%s", cd, mdir, path);
}

static int name_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= 48)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Checks the descriptor before any function of the module is called. */
static int check_descriptor(const hub_module *d, const char *section_name,
			    char *why, size_t n)
{
	if (d->abi_version != HUB_ABI_VERSION) {
		snprintf(why, n,
			 "ABI version %u, but this host speaks version %u "
			 "(rebuild the module against this host's "
			 "hub/module.h)",
			 d->abi_version, HUB_ABI_VERSION);
		return -1;
	}
	if (d->size < sizeof(hub_module)) {
		snprintf(why, n,
			 "descriptor size %u is smaller than %zu (not built "
			 "with HUB_MODULE_DEFINE?)",
			 d->size, sizeof(hub_module));
		return -1;
	}
	if (!name_ok(d->name)) {
		snprintf(why, n, "descriptor name is missing or not [a-z0-9_]");
		return -1;
	}
	if (hub_modules_loaded(d->name)) {
		snprintf(why, n, "a module named '%s' is already loaded",
			 d->name);
		return -1;
	}
	if (strcmp(d->name, section_name) != 0) {
		snprintf(why, n,
			 "descriptor name '%s' does not match section "
			 "[module.%s]",
			 d->name, section_name);
		return -1;
	}
	if (!d->init) {
		snprintf(why, n, "descriptor has no init function");
		return -1;
	}
	if (!d->version || !*d->version) {
		snprintf(why, n, "descriptor has no version");
		return -1;
	}
	return 0;
}

/* Checks the module's section against the settings it declared. */
static int check_settings(hub_ctx *ctx, char *why, size_t n)
{
	const char *k;
	hub_conf_mark_used(ctx->section, "path");
	hub_conf_mark_used(ctx->section, "enabled");
	hub_conf_mark_used(ctx->section, "required");
	for (size_t i = 0; i < ctx->nsettings; i++) {
		hub_reg_setting *s = &ctx->settings[i];
		if ((s->def.flags & HUB_SETTING_REQUIRED) && !s->value) {
			snprintf(why, n, "%s:0: [%s] key '%s': required",
				 hub_conf_path(), ctx->section, s->def.key);
			return -1;
		}
	}
	k = hub_conf_first_unused(ctx->section);
	if (k) {
		snprintf(why, n, "%s:%d: [%s] key '%s': unknown key",
			 hub_conf_path(), hub_conf_line(ctx->section, k),
			 ctx->section, k);
		return -1;
	}
	return 0;
}

/* Opens the module file of [section] and checks its descriptor (the
 * module's ELF constructors have run by then; nothing else of it has).
 * Sets *dl (close it with dlclose) and *d. Returns 0, or -1 with the
 * reason in why. */
static int open_module(const char *name, const char *section, char *path,
		       size_t pathlen, void **dl, const hub_module **d,
		       char *why, size_t whylen)
{
	resolve_path(hub_conf_get(section, "path"), path, pathlen);
	if (access(path, R_OK) != 0) {
		snprintf(why, whylen, "cannot read %s", path);
		return -1;
	}
	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl) {
		snprintf(why, whylen, "cannot load %s: %s", path, dlerror());
		return -1;
	}
	*d = dlsym(*dl, HUB_MODULE_SYMBOL);
	if (!*d) {
		snprintf(why, whylen,
			 "%s exports no descriptor '%s' (use "
			 "HUB_MODULE_DEFINE)",
			 path, HUB_MODULE_SYMBOL);
		return -1;
	}
	return check_descriptor(*d, name, why, whylen);
}

/* A new context for descriptor d loaded from path; NULL when out of
 * memory. Owned: hub_ctx_release, then free. */
static hub_ctx *new_ctx(const hub_module *d, void *dl, const char *section,
			const char *path)
{
	char dirbuf[PATH_MAX];
	hub_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	snprintf(ctx->name, sizeof(ctx->name), "%s", d->name);
	snprintf(ctx->section, sizeof(ctx->section), "%s", section);
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	snprintf(ctx->dir, sizeof(ctx->dir), "%s/%s", dirname(dirbuf), d->name);
	ctx->dl = dl;
	ctx->desc = d;
	return ctx;
}

/* Runs the module's init with the API table and checks what it declared.
 * Returns 0, or -1 with the reason in why (*located = 1 when why already
 * names file, line and key). */
static int init_module(hub_ctx *ctx, const hub_api *api, char *why,
		       size_t whylen, int *located)
{
	ctx->in_init = 1;
	int irc = ctx->desc->init(ctx, api);
	ctx->in_init = 0;
	/* init ran to the end: shutdown must run on any later failure */
	ctx->initialised = irc == 0;
	if (ctx->error[0]) {
		snprintf(why, whylen, "%s", ctx->error);
		*located = 1;
		return -1;
	}
	if (irc != 0) {
		snprintf(why, whylen, "init failed (returned %d)%s%s", irc,
			 ctx->last_error[0] ? ": " : "", ctx->last_error);
		return -1;
	}
	if (check_settings(ctx, why, whylen) != 0) {
		*located = 1;
		return -1;
	}
	return 0;
}

/* Undoes a failed load and reports it: into err for a required module
 * (returning rc), as a warning for an optional one (returning 0). */
static int load_failed(hub_ctx *ctx, void *dl, const char *name,
		       const char *section, int required, const char *why,
		       int located, int rc, char *err, size_t errlen)
{
	if (ctx) {
		if (ctx->initialised && ctx->desc->shutdown)
			ctx->desc->shutdown(ctx);
		hub_ctx_release(ctx);
		free(ctx);
	}
	if (dl)
		dlclose(dl);
	if (!required) {
		hub_logf(HUB_LOG_WARN, "loader",
			 "optional module %s skipped: %s", name, why);
		return 0;
	}
	if (located)
		snprintf(err, errlen, "%s (module %s)", why, name);
	else
		snprintf(err, errlen, "%s:%d: module %s: %s", hub_conf_path(),
			 hub_conf_line(section, "path"), name, why);
	return rc;
}

/* Loads one module. Returns 0; 2 for a configuration or module problem;
 * 1 for a failed migration (err names file, line, module and reason). */
static int load_one(const hub_api *api, const char *name, int run_migrations,
		    char *err, size_t errlen)
{
	char section[96], path[PATH_MAX], why[768] = "";
	hub_ctx *ctx = NULL;
	void *dl = NULL;
	const hub_module *d = NULL;
	int located = 0, required;

	snprintf(section, sizeof(section), "module.%s", name);
	required = hub_conf_bool(section, "required", 1);
	if (!hub_conf_bool(section, "enabled", 1)) {
		hub_conf_mark_used(section, "path");
		hub_logf(HUB_LOG_INFO, "loader", "module %s disabled", name);
		return 0;
	}
	if (hub_modules_full()) {
		snprintf(why, sizeof(why), "too many modules");
		return load_failed(NULL, NULL, name, section, required, why, 0,
				   2, err, errlen);
	}
	if (open_module(name, section, path, sizeof(path), &dl, &d, why,
			sizeof(why)) != 0)
		return load_failed(NULL, dl, name, section, required, why, 0, 2,
				   err, errlen);
	ctx = new_ctx(d, dl, section, path);
	if (!ctx) {
		snprintf(why, sizeof(why), "out of memory");
		return load_failed(NULL, dl, name, section, required, why, 0, 2,
				   err, errlen);
	}
	if (init_module(ctx, api, why, sizeof(why), &located) != 0)
		return load_failed(ctx, dl, name, section, required, why,
				   located, 2, err, errlen);
	if (run_migrations && ctx->nmigrations > 0 &&
	    hub_store_migrate(ctx->name, ctx->migrations, ctx->nmigrations, why,
			      sizeof(why)) != 0)
		return load_failed(ctx, dl, name, section, required, why, 0, 1,
				   err, errlen);
	hub_modules_add(ctx);
	hub_logf(HUB_LOG_INFO, "loader", "module %s %s loaded", d->name,
		 d->version);
	return 0;
}

int hub_modules_load(const hub_api *api, int run_migrations, char *err,
		     size_t errlen)
{
	for (size_t i = 0; i < hub_conf_module_count(); i++) {
		int rc = load_one(api, hub_conf_module_name(i), run_migrations,
				  err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void hub_modules_unload(void)
{
	hub_ctx *ctx;
	while ((ctx = hub_modules_pop()) != NULL) {
		if (ctx->desc->shutdown)
			ctx->desc->shutdown(ctx);
		hub_ctx_release(ctx);
		/* dlclose after release: registered strings are copies.
		 * HUB_KEEP_MODULES_MAPPED keeps symbols for leak reports. */
		if (!getenv("HUB_KEEP_MODULES_MAPPED"))
			dlclose(ctx->dl);
		free(ctx);
	}
	hub_ctx_release(hub_core_ctx());
}
