/*
 * modules.c - the list of module contexts: the built-in core context and
 * the loaded modules in load order. The loader adds and removes entries;
 * the API table, health and imports read them.
 */
#include "host/host.h"

#include <stdio.h>
#include <string.h>

#define MAX_MODULES 64

static struct {
	hub_ctx core;		    /* the built-in context */
	hub_ctx *mods[MAX_MODULES]; /* loaded modules, load order */
	size_t n;
} g_mods;

hub_ctx *hub_core_ctx(void)
{
	if (!g_mods.core.name[0]) {
		snprintf(g_mods.core.name, sizeof(g_mods.core.name), "core");
		snprintf(g_mods.core.section, sizeof(g_mods.core.section),
			 "core");
		snprintf(g_mods.core.dir, sizeof(g_mods.core.dir), "%s/core",
			 HUB_SOURCE_DIR);
	}
	return &g_mods.core;
}

size_t hub_modules_count(void)
{
	return g_mods.n + 1;
}

hub_ctx *hub_modules_at(size_t i)
{
	if (i == 0)
		return hub_core_ctx();
	return i - 1 < g_mods.n ? g_mods.mods[i - 1] : NULL;
}

int hub_modules_full(void)
{
	return g_mods.n == MAX_MODULES;
}

int hub_modules_loaded(const char *name)
{
	for (size_t i = 0; i < g_mods.n; i++)
		if (!strcmp(g_mods.mods[i]->name, name))
			return 1;
	return 0;
}

int hub_modules_add(hub_ctx *ctx)
{
	if (hub_modules_full())
		return -1;
	g_mods.mods[g_mods.n++] = ctx;
	return 0;
}

hub_ctx *hub_modules_pop(void)
{
	return g_mods.n > 0 ? g_mods.mods[--g_mods.n] : NULL;
}
