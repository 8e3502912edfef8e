/*
 * conf.h - the process configuration (INI via libinih): loading,
 * validation, environment overrides and typed reads. The bottom floor:
 * includes nothing of core/src.
 */
#ifndef HUB_BASE_CONF_H
#define HUB_BASE_CONF_H

#include <stddef.h>

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

#endif
