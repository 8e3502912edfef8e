/*
 * config_keys.c - the keys of the core's configuration sections and the
 * rule each value must follow (integers in a range, booleans, addresses,
 * rates, time zones, URLs...), and the fixed keys of every
 * [module.NAME] section. config.c runs every entry it read through
 * hub_conf_check_key; a module's own keys are checked by the loader.
 * The value parsers the rules share with the rest of the core
 * (hub_parse_bool, hub_parse_ll, hub_conf_parse_rate; conf.h) live here
 * too, so this file needs nothing of config.c.
 */
#define _GNU_SOURCE
#include "base/config_keys.h"
#include "base/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ------------------------------------------------------ value parsers */

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

/* ---------------------------------------------------------- rules */

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

int hub_conf_check_key(const char *section, const char *key, const char *value,
		       char *why, size_t n)
{
	const known_key *k = NULL;
	if (strncmp(section, "module.", 7) == 0) {
		for (size_t j = 0;
		     j < sizeof(module_keys) / sizeof(module_keys[0]); j++)
			if (!strcmp(module_keys[j].key, key))
				k = &module_keys[j];
		if (!k)
			return 0; /* the module's own key */
	} else {
		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			if (!strcmp(known[j].section, section) &&
			    !strcmp(known[j].key, key))
				k = &known[j];
		if (!k) {
			snprintf(why, n, "unknown key");
			return -1;
		}
	}
	return k->check(value, why, n) == 0 ? 1 : -1;
}
