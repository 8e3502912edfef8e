/*
 * config.c - the process configuration: plugins.conf parsed with libinih,
 * environment overrides, and validation of every core section.
 *
 * Every entry remembers the line it came from so that an error names
 * "FILE:LINE: key 'K': reason". Module sections ([module.NAME]) are checked
 * for their fixed keys here and for the module's own keys by the loader,
 * once the module has declared its settings.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "base/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---------------------------------------------------------- validators */

typedef int (*check_fn)(const char *v, char *why, size_t n);

static int check_int_range(const char *v, long long lo, long long hi, char *why,
			   size_t n)
{
	char *end = NULL;
	long long x;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (!*v || errno || *end || x < lo || x > hi) {
		snprintf(why, n, "must be an integer from %lld to %lld", lo,
			 hi);
		return -1;
	}
	return 0;
}

static int chk_threads(const char *v, char *why, size_t n)
{
	return check_int_range(v, 1, 512, why, n);
}

static int chk_count(const char *v, char *why, size_t n)
{
	return check_int_range(v, 1, 1000000, why, n);
}

static int chk_keep(const char *v, char *why, size_t n)
{
	return check_int_range(v, 0, 10000, why, n);
}

static int chk_bytes(const char *v, char *why, size_t n)
{
	return check_int_range(v, 1024, 1024LL * 1024 * 1024, why, n);
}

static int chk_ms(const char *v, char *why, size_t n)
{
	return check_int_range(v, 100, 3600000, why, n);
}

static int chk_seconds(const char *v, char *why, size_t n)
{
	return check_int_range(v, 1, 86400 * 365, why, n);
}

static int chk_bool(const char *v, char *why, size_t n)
{
	if (hub_parse_bool(v) >= 0)
		return 0;
	snprintf(why, n, "must be true or false");
	return -1;
}

static int chk_nonempty(const char *v, char *why, size_t n)
{
	if (!*v) {
		snprintf(why, n, "must not be empty");
		return -1;
	}
	return 0;
}

static int chk_listen(const char *v, char *why, size_t n)
{
	/* "PORT", "HOST:PORT" or "[V6]:PORT"; civetweb's own syntax with a
	 * trailing 's' for TLS is also accepted. */
	const char *port = strrchr(v, ':');
	char buf[16];
	size_t len;
	port = port ? port + 1 : v;
	len = strlen(port);
	if (len > 0 && port[len - 1] == 's')
		len--;
	if (len == 0 || len >= sizeof(buf)) {
		snprintf(why, n, "must be HOST:PORT or PORT");
		return -1;
	}
	memcpy(buf, port, len);
	buf[len] = 0;
	if (check_int_range(buf, 0, 65535, why, n) != 0) {
		snprintf(why, n, "port must be 0..65535 (HOST:PORT)");
		return -1;
	}
	return 0;
}

static int chk_file(const char *v, char *why, size_t n)
{
	if (access(v, R_OK) != 0) {
		snprintf(why, n, "cannot read file '%s': %s", v,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int chk_timezone(const char *v, char *why, size_t n)
{
	char path[512];
	if (strcmp(v, "UTC") == 0)
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", v);
	if (!*v || strstr(v, "..") || access(path, R_OK) != 0) {
		snprintf(why, n, "unknown time zone '%s'", v);
		return -1;
	}
	return 0;
}

static int chk_log_level(const char *v, char *why, size_t n)
{
	if (!strcmp(v, "debug") || !strcmp(v, "info") || !strcmp(v, "warn") ||
	    !strcmp(v, "error"))
		return 0;
	snprintf(why, n, "must be debug, info, warn or error");
	return -1;
}

/* One address or CIDR, v4 or v6. */
static int cidr_ok(const char *item)
{
	char buf[64];
	unsigned char tmp[16];
	const char *slash = strchr(item, '/');
	size_t len = slash ? (size_t)(slash - item) : strlen(item);
	int v6;
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, item, len);
	buf[len] = 0;
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, tmp) != 1)
		return 0;
	if (slash) {
		char *end = NULL;
		long bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || bits < 0 || bits > (v6 ? 128 : 32))
			return 0;
	}
	return 1;
}

static int chk_proxies(const char *v, char *why, size_t n)
{
	char *copy = strdup(v), *save = NULL, *tok;
	int rc = 0;
	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (!cidr_ok(tok)) {
			snprintf(why, n, "'%s' is not an address or CIDR", tok);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

static int chk_rate(const char *v, char *why, size_t n)
{
	unsigned c, w;
	if (hub_conf_parse_rate(v, &c, &w) != 0) {
		snprintf(why, n, "must be a rate like 5/min, 10/s or 500/h");
		return -1;
	}
	return 0;
}

static int chk_backend_cal(const char *v, char *why, size_t n)
{
	if (!strcmp(v, "local") || !strcmp(v, "google") || !strcmp(v, "caldav"))
		return 0;
	snprintf(why, n, "must be local, google or caldav");
	return -1;
}

static int chk_backend_store(const char *v, char *why, size_t n)
{
	if (!strcmp(v, "sqlite") || !strcmp(v, "postgresql"))
		return 0;
	snprintf(why, n, "must be sqlite or postgresql");
	return -1;
}

/* A PostgreSQL schema name: lower-case letters, digits, underscores. */
static int chk_schema(const char *v, char *why, size_t n)
{
	size_t len = strlen(v);
	if (len > 0 && len < 60 &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		      "0123456789_-") == len)
		return 0;
	snprintf(why, n, "must be a schema name (a-z, 0-9, _)");
	return -1;
}

/* A libpq URI or a key=value connection string. */
static int chk_dsn(const char *v, char *why, size_t n)
{
	if (!strncmp(v, "postgresql://", 13) ||
	    !strncmp(v, "postgres://", 11) || strchr(v, '='))
		return 0;
	snprintf(why, n,
		 "must be a libpq URI (postgresql://user@host/db) or "
		 "key=value string");
	return -1;
}

static int chk_redis_url(const char *v, char *why, size_t n)
{
	if (!strncmp(v, "redis://", 8) || !strncmp(v, "unix:", 5))
		return 0;
	if (!strncmp(v, "rediss://", 9)) {
		snprintf(why, n,
			 "rediss:// (TLS) is not supported by this build "
			 "(hiredis without TLS); use redis:// through a local "
			 "TLS tunnel (stunnel, spiped)");
		return -1;
	}
	snprintf(why, n,
		 "must be a redis://[[USER]:PASSWORD@]HOST:PORT/DB URL");
	return -1;
}

static int chk_backend_cache(const char *v, char *why, size_t n)
{
	if (!strcmp(v, "memory") || !strcmp(v, "redis"))
		return 0;
	snprintf(why, n, "must be memory or redis");
	return -1;
}

static int chk_url(const char *v, char *why, size_t n)
{
	if (!strncmp(v, "http://", 7) || !strncmp(v, "https://", 8))
		return 0;
	snprintf(why, n, "must be an http:// or https:// URL");
	return -1;
}

static int chk_hhmm(const char *v, char *why, size_t n)
{
	if (strlen(v) == 5 && isdigit((unsigned char)v[0]) &&
	    isdigit((unsigned char)v[1]) && v[2] == ':' &&
	    isdigit((unsigned char)v[3]) && isdigit((unsigned char)v[4]) &&
	    (v[0] - '0') * 10 + (v[1] - '0') < 24 &&
	    (v[3] - '0') * 10 + (v[4] - '0') < 60)
		return 0;
	snprintf(why, n, "must be HH:MM");
	return -1;
}

/* "N:S,N:S,...": after N failures lock for S seconds, N increasing. */
static int chk_lockout(const char *v, char *why, size_t n)
{
	const char *p = v;
	long last = 0;
	while (*p) {
		char *end = NULL;
		long count = strtol(p, &end, 10), secs;
		if (end == p || *end != ':' || count <= last)
			goto bad;
		p = end + 1;
		secs = strtol(p, &end, 10);
		if (end == p || secs <= 0 || secs > 86400L * 365)
			goto bad;
		last = count;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (last > 0)
		return 0;
bad:
	snprintf(why, n,
		 "must be like 5:900,10:3600 (failures:seconds, "
		 "increasing)");
	return -1;
}

static int chk_any(const char *v, char *why, size_t n)
{
	(void)v;
	(void)why;
	(void)n;
	return 0;
}

typedef struct known_key {
	const char *section;
	const char *key;
	check_fn check;
} known_key;

static const known_key known[] = {
    {"server", "listen", chk_listen},
    {"server", "data_dir", chk_nonempty},
    {"server", "threads", chk_threads},
    {"server", "timezone", chk_timezone},
    {"server", "trusted_proxies", chk_proxies},
    {"server", "tls_certificate", chk_file},
    {"server", "log_file", chk_nonempty},
    {"server", "log_level", chk_log_level},
    {"server", "access_log", chk_bool},
    {"server", "max_body_bytes", chk_bytes},
    {"server", "request_timeout_ms", chk_ms},
    {"server", "keep_alive_timeout_ms", chk_ms},
    {"server", "module_dir", chk_nonempty},
    {"server", "web_dir", chk_nonempty},
    {"server", "secret_key", chk_nonempty},
    {"server", "sentry_dsn", chk_any},
    {"server", "cookie_secure", chk_bool},
    {"server", "bootstrap_admin", chk_bool},
    {"server", "public_url", chk_url},
    {"calendar", "backend", chk_backend_cal},
    {"calendar", "credentials_file", chk_file},
    {"calendar", "api_base", chk_url},
    {"calendar", "central_calendar_id", chk_nonempty},
    {"calendar", "quota_per_minute", chk_count},
    {"calendar", "sync_interval_s", chk_seconds},
    {"calendar", "request_timeout_ms", chk_ms},
    {"calendar", "caldav_url", chk_url},
    {"calendar", "caldav_username", chk_nonempty},
    {"calendar", "caldav_password_file", chk_file},
    {"ratelimit", "login", chk_rate},
    {"ratelimit", "login_account", chk_rate},
    {"ratelimit", "booking", chk_rate},
    {"ratelimit", "api", chk_rate},
    {"ratelimit", "admin", chk_rate},
    {"ratelimit", "max_keys", chk_count},
    {"auth", "session_absolute_s", chk_seconds},
    {"auth", "session_idle_s", chk_seconds},
    {"auth", "require_2fa", chk_bool},
    {"auth", "totp_issuer", chk_nonempty},
    {"auth", "lockout_account", chk_lockout},
    {"auth", "lockout_pair", chk_lockout},
    {"auth", "lockout_address", chk_lockout},
    {"cache", "backend", chk_backend_cache},
    {"cache", "max_bytes", chk_bytes},
    {"cache", "sweep_interval_s", chk_seconds},
    {"cache", "redis_url", chk_nonempty},
    {"storage", "backend", chk_backend_store},
    {"storage", "postgres_url", chk_nonempty},
    {"storage", "dsn", chk_dsn},
    {"storage", "schema", chk_schema},
    {"storage", "statement_timeout_ms", chk_ms},
    {"redis", "url", chk_redis_url},
    {"backup", "keep_daily", chk_keep},
    {"backup", "keep_weekly", chk_keep},
    {"backup", "daily_at", chk_hhmm},
    {"backup", "enabled", chk_bool},
    {"webhooks", "allow_private", chk_bool},
    {"webhooks", "timeout_ms", chk_ms},
    {"webhooks", "interval_s", chk_seconds},
    {"webhooks", "retry_first_s", chk_seconds},
    {"webhooks", "retry_max_s", chk_seconds},
    {"webhooks", "retry_for_s", chk_seconds},
    {"sentry", "dsn", chk_any},
    {"sentry", "environment", chk_nonempty},
    {"sentry", "release", chk_nonempty},
    {"sentry", "server_name", chk_nonempty},
    {"sentry", "rate_per_minute", chk_count},
    {"sentry", "burst", chk_count},
};

/* Fixed keys of every [module.NAME] section. */
static const known_key module_keys[] = {
    {"", "path", chk_nonempty},
    {"", "enabled", chk_bool},
    {"", "required", chk_bool},
};

static int validate(void)
{
	char why[256];
	for (size_t i = 0; i < g_conf.n; i++) {
		conf_entry *e = &g_conf.v[i];
		int is_module = strncmp(e->section, "module.", 7) == 0;
		const known_key *k = NULL;
		if (is_module) {
			for (size_t j = 0;
			     j < sizeof(module_keys) / sizeof(module_keys[0]);
			     j++)
				if (!strcmp(module_keys[j].key, e->key))
					k = &module_keys[j];
			if (!k)
				continue; /* the module's own key */
		} else {
			for (size_t j = 0; j < sizeof(known) / sizeof(known[0]);
			     j++)
				if (!strcmp(known[j].section, e->section) &&
				    !strcmp(known[j].key, e->key))
					k = &known[j];
			if (!k) {
				set_err(e->line, e->section, e->key,
					"unknown key");
				return -1;
			}
		}
		e->used = 1;
		if (k->check(e->value, why, sizeof(why)) != 0) {
			set_err(e->line, e->section, e->key, "%s", why);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- public */

int hub_conf_parse_rate(const char *text, unsigned *count, unsigned *window_s)
{
	char *end = NULL;
	unsigned long c;
	if (!text || !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	c = strtoul(text, &end, 10);
	if (errno || c == 0 || c > 1000000 || *end != '/')
		return -1;
	end++;
	if (!strcmp(end, "s") || !strcmp(end, "sec"))
		*window_s = 1;
	else if (!strcmp(end, "min") || !strcmp(end, "m"))
		*window_s = 60;
	else if (!strcmp(end, "h") || !strcmp(end, "hour"))
		*window_s = 3600;
	else
		return -1;
	*count = (unsigned)c;
	return 0;
}

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

int hub_parse_bool(const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; v && i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -1;
}

int hub_parse_ll(const char *v, long long *out)
{
	char *end = NULL;
	long long x;
	if (!v || !*v)
		return -1;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
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
