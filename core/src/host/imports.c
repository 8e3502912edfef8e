/*
 * imports.c - the modules' part of `hubctl import-json DIR`: every import
 * hook the loaded modules registered, in load order, inside the one import
 * transaction that ops/import.c opens (hub_modules_importers).
 */
#include "host/host.h"

#include <stdio.h>

/* Number of import hooks registered by loaded modules. */
static size_t hooks_count(void)
{
	size_t n = 0;
	for (size_t i = 0; i < hub_modules_count(); i++) {
		hub_ctx *ctx = hub_modules_at(i);
		n += ctx ? ctx->nimports : 0;
	}
	return n;
}

/* Runs every hook on db; stops at the first that fails (its message, or
 * "module NAME: import failed", in err). Returns 0 or -1; *ran counts the
 * hooks that succeeded. */
static int hooks_run(hub_db *db, const char *dir, char *err, size_t errlen,
		     int *ran)
{
	for (size_t i = 0; i < hub_modules_count(); i++) {
		hub_ctx *ctx = hub_modules_at(i);
		for (size_t k = 0; ctx && k < ctx->nimports; k++) {
			hub_reg_import *h = &ctx->imports[k];
			err[0] = 0;
			if (h->fn(h->userdata, db, dir, err, errlen) != 0) {
				if (!err[0])
					snprintf(err, errlen,
						 "module %s: import failed",
						 ctx->name);
				return -1;
			}
			(*ran)++;
		}
	}
	return 0;
}

const hub_ops_importers hub_modules_importers = {hooks_count, hooks_run};
