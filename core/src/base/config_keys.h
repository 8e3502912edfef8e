/*
 * config_keys.h - the rules of the core's configuration keys (used by
 * config.c when it validates what it read).
 */
#ifndef HUB_CONFIG_KEYS_H
#define HUB_CONFIG_KEYS_H

#include <stddef.h>

/* Checks one entry: `section` and `key` against the keys the core knows
 * (and the fixed keys of [module.NAME] sections), and `value` against
 * that key's rule. Returns 1 when the key is known and its value valid,
 * 0 for a module's own key (the loader checks those), -1 with the reason
 * in why ("unknown key", or what the value must be). */
int hub_conf_check_key(const char *section, const char *key, const char *value,
		       char *why, size_t n);

#endif
