/*
 * config.c - the process configuration: plugins.conf parsed with libinih,
 * environment overrides, and validation of every core section (against
 * the rules of config_keys.c).
 *
 * Every entry remembers the line it came from so that an error names
 * "FILE:LINE: key 'K': reason". Module sections ([module.NAME]) are checked
 * for their fixed keys here and for the module's own keys by the loader,
 * once the module has declared its settings.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "base/conf.h"
#include "base/config_keys.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- state */

typedef struct conf_entry {
	char *section;
	char *key;
	char *value;
	int line; /* 0 = environment */
	int used; /* a validator or module claimed it */
} conf_entry;

static struct {
	char path[4096];
	conf_entry *v;
	size_t n, cap;
	char **modules; /* module section names in file order */
	size_t nmodules;
	/* parse-time state */
	int cur_line;
	int at_line_start;
	char err[512];
} g_conf;

/* ------------------------------------------------------------ storage */

static conf_entry *find(const char *section, const char *key)
{
	for (size_t i = 0; i < g_conf.n; i++)
		if (strcmp(g_conf.v[i].section, section) == 0 &&
		    strcmp(g_conf.v[i].key, key) == 0)
			return &g_conf.v[i];
	return NULL;
}

/* Adds or replaces an entry. Returns 0 or -1 on OOM. */
static int put(const char *section, const char *key, const char *value,
	       int line)
{
	conf_entry *e = find(section, key);
	char *nv = strdup(value);
	if (!nv)
		return -1;
	if (e) {
		free(e->value);
		e->value = nv;
		e->line = line;
		return 0;
	}
	if (g_conf.n == g_conf.cap) {
		size_t cap = g_conf.cap ? g_conf.cap * 2 : 32;
		conf_entry *v = realloc(g_conf.v, cap * sizeof(*v));
		if (!v) {
			free(nv);
			return -1;
		}
		g_conf.v = v;
		g_conf.cap = cap;
	}
	e = &g_conf.v[g_conf.n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = nv;
	e->line = line;
	e->used = 0;
	if (!e->section || !e->key) {
		free(e->section);
		free(e->key);
		free(nv);
		return -1;
	}
	g_conf.n++;
	return 0;
}

static int add_module_section(const char *name)
{
	for (size_t i = 0; i < g_conf.nmodules; i++)
		if (strcmp(g_conf.modules[i], name) == 0)
			return 0;
	char **m = realloc(g_conf.modules, (g_conf.nmodules + 1) * sizeof(*m));
	if (!m)
		return -1;
	g_conf.modules = m;
	m[g_conf.nmodules] = strdup(name);
	if (!m[g_conf.nmodules])
		return -1;
	g_conf.nmodules++;
	return 0;
}

/* ------------------------------------------------------------ parsing */

static void set_err(int line, const char *section, const char *key,
		    const char *fmt, ...) HUB_PRINTF(4, 5);

static void set_err(int line, const char *section, const char *key,
		    const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(g_conf.err, sizeof(g_conf.err),
			 "%s:%d: [%s] key '%s': %s", g_conf.path, line, section,
			 key, why);
	else
		snprintf(g_conf.err, sizeof(g_conf.err), "%s:%d: %s",
			 g_conf.path, line, why);
}

/* inih reader: counts lines for error messages. A long line arrives in
 * several pieces (inih grows its buffer), so only a piece that starts a
 * new line counts. */
static char *reader(char *str, int num, void *stream)
{
	char *r = fgets(str, num, (FILE *)stream);
	if (r) {
		size_t len = strlen(r);
		if (g_conf.at_line_start)
			g_conf.cur_line++;
		g_conf.at_line_start = len > 0 && r[len - 1] == '\n';
	}
	return r;
}

static int valid_section(const char *s)
{
	static const char *const fixed[] = {
	    "server", "calendar", "ratelimit", "auth",	 "cache", "storage",
	    "backup", "webhooks", "redis",     "sentry", NULL};
	for (size_t i = 0; fixed[i]; i++)
		if (strcmp(s, fixed[i]) == 0)
			return 1;
	if (strncmp(s, "module.", 7) == 0 && s[7]) {
		for (const char *p = s + 7; *p; p++)
			if (!islower((unsigned char)*p) &&
			    !isdigit((unsigned char)*p) && *p != '_')
				return 0;
		return 1;
	}
	return 0;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	(void)user;
	if (!*section) {
		set_err(g_conf.cur_line, section, NULL,
			"key '%s' outside of any [section]", name);
		return 0;
	}
	if (!valid_section(section)) {
		set_err(g_conf.cur_line, section, NULL, "unknown section [%s]",
			section);
		return 0;
	}
	if (!name || !*name) {
		if (strncmp(section, "module.", 7) == 0)
			return add_module_section(section + 7) == 0;
		return 1; /* an empty [section] */
	}
	if (find(section, name)) {
		set_err(g_conf.cur_line, section, name, "duplicate key");
		return 0;
	}
	if (strncmp(section, "module.", 7) == 0 &&
	    add_module_section(section + 7) != 0)
		return 0;
	if (put(section, name, value ? value : "", g_conf.cur_line) != 0) {
		set_err(g_conf.cur_line, section, name, "out of memory");
		return 0;
	}
	return 1;
}

/* Checks every entry against the known keys and their rules
 * (config_keys.c). Returns 0, or -1 with the first problem in g_conf.err. */
static int validate(void)
{
	char why[256];
	for (size_t i = 0; i < g_conf.n; i++) {
		conf_entry *e = &g_conf.v[i];
		int rc = hub_conf_check_key(e->section, e->key, e->value, why,
					    sizeof(why));
		if (rc < 0) {
			set_err(e->line, e->section, e->key, "%s", why);
			return -1;
		}
		if (rc > 0)
			e->used = 1;
	}
	return 0;
}

/* ------------------------------------------------------------- public */

static void apply_env(const char *var, const char *section, const char *key)
{
	const char *v = getenv(var);
	if (v && *v) {
		put(section, key, v, 0);
		if (!strncmp(section, "module.", 7))
			add_module_section(section + 7);
	}
}

/* Parses an open stream named `name` into the configuration. */
static int load_stream(FILE *fp, const char *name, char *err, size_t errlen)
{
	int rc;
	hub_conf_free();
	snprintf(g_conf.path, sizeof(g_conf.path), "%s", name);
	g_conf.err[0] = 0;
	g_conf.cur_line = 0;
	g_conf.at_line_start = 1;
	/* long values (consultant lists, proxy lists) are normal: let inih
	 * grow its line buffer; no continuation lines, stop at the first
	 * error so the line named is the first bad one */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 64 * 1024;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(reader, fp, handler, NULL);
	if (rc != 0) {
		if (!g_conf.err[0])
			snprintf(g_conf.err, sizeof(g_conf.err),
				 "%s:%d: syntax error", name, rc > 0 ? rc : 0);
		snprintf(err, errlen, "%s", g_conf.err);
		return -1;
	}
	apply_env("HUB_LISTEN", "server", "listen");
	apply_env("HUB_DATA_DIR", "server", "data_dir");
	apply_env("HUB_SECRET_KEY", "server", "secret_key");
	apply_env("SENTRY_DSN", "sentry", "dsn");
	apply_env("HUB_MODULE_DIR", "server", "module_dir");
	apply_env("HUB_WEB_DIR", "server", "web_dir");
	apply_env("HUB_LOG_LEVEL", "server", "log_level");
	apply_env("HUB_STORAGE_BACKEND", "storage", "backend");
	apply_env("HUB_DATABASE_URL", "storage", "dsn");
	apply_env("HUB_STORAGE_SCHEMA", "storage", "schema");
	apply_env("HUB_REDIS_URL", "redis", "url");
	if (getenv("HUB_CONSULTANTS") && find("module.booking", "path"))
		apply_env("HUB_CONSULTANTS", "module.booking", "consultants");
	if (validate() != 0) {
		snprintf(err, errlen, "%s", g_conf.err);
		return -1;
	}
	for (size_t i = 0; i < g_conf.nmodules; i++) {
		char sec[96];
		snprintf(sec, sizeof(sec), "module.%s", g_conf.modules[i]);
		if (!find(sec, "path")) {
			snprintf(err, errlen, "%s:0: [%s] key 'path': missing",
				 name, sec);
			return -1;
		}
	}
	return 0;
}

int hub_conf_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	int rc;
	if (!fp) {
		snprintf(err, errlen, "%s:0: cannot open: %s", path,
			 strerror(errno));
		return -1;
	}
	rc = load_stream(fp, path, err, errlen);
	fclose(fp);
	return rc;
}

int hub_conf_load_string(const char *name, const char *text, char *err,
			 size_t errlen)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;
	if (!fp) {
		snprintf(err, errlen, "%s:0: cannot read", name);
		return -1;
	}
	rc = load_stream(fp, name, err, errlen);
	fclose(fp);
	return rc;
}

void hub_conf_free(void)
{
	for (size_t i = 0; i < g_conf.n; i++) {
		free(g_conf.v[i].section);
		free(g_conf.v[i].key);
		free(g_conf.v[i].value);
	}
	free(g_conf.v);
	for (size_t i = 0; i < g_conf.nmodules; i++)
		free(g_conf.modules[i]);
	free(g_conf.modules);
	g_conf.v = NULL;
	g_conf.n = g_conf.cap = 0;
	g_conf.modules = NULL;
	g_conf.nmodules = 0;
}

const char *hub_conf_get(const char *section, const char *key)
{
	conf_entry *e = find(section, key);
	return e ? e->value : NULL;
}

long long hub_conf_int(const char *section, const char *key, long long def)
{
	long long x;
	return hub_parse_ll(hub_conf_get(section, key), &x) == 0 ? x : def;
}

int hub_conf_bool(const char *section, const char *key, int def)
{
	int b = hub_parse_bool(hub_conf_get(section, key));
	return b < 0 ? def : b;
}

int hub_conf_line(const char *section, const char *key)
{
	conf_entry *e = find(section, key);
	return e ? e->line : 0;
}

const char *hub_conf_path(void)
{
	return g_conf.path;
}

void hub_conf_mark_used(const char *section, const char *key)
{
	conf_entry *e = find(section, key);
	if (e)
		e->used = 1;
}

const char *hub_conf_first_unused(const char *section)
{
	for (size_t i = 0; i < g_conf.n; i++)
		if (!g_conf.v[i].used &&
		    strcmp(g_conf.v[i].section, section) == 0)
			return g_conf.v[i].key;
	return NULL;
}

int hub_conf_each(const char *section, const char *prefix,
		  void (*fn)(void *ud, const char *key, const char *value),
		  void *ud)
{
	int n = 0;
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < g_conf.n; i++) {
		conf_entry *e = &g_conf.v[i];
		if (strcmp(e->section, section) == 0 &&
		    strncmp(e->key, prefix, plen) == 0) {
			e->used = 1;
			if (fn)
				fn(ud, e->key, e->value);
			n++;
		}
	}
	return n;
}

size_t hub_conf_module_count(void)
{
	return g_conf.nmodules;
}

const char *hub_conf_module_name(size_t i)
{
	return i < g_conf.nmodules ? g_conf.modules[i] : NULL;
}
