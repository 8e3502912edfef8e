/*
 * host_admin.h - the host functions behind the admin console, handed to
 * modules through hub_api v1.2 (see hub/module.h for their contracts).
 */
#ifndef HUB_HOST_ADMIN_H
#define HUB_HOST_ADMIN_H

#include "host/host.h"

#include <stddef.h>
#include <stdint.h>

char *hub_admin_log_query(int min_level, int64_t since_ms, const char *q,
			  uint64_t before, size_t limit, uint64_t *next);
char *hub_admin_backups(char *err, size_t errlen);
char *hub_admin_backup_create(char *err, size_t errlen);
int hub_admin_backup_verify(const char *name, char *err, size_t errlen);
char *hub_admin_backup_read(const char *name, size_t *len, char *err,
			    size_t errlen, int *notfound);
int hub_admin_job_run(const char *module, const char *name);
char *hub_admin_outbox(const char *state, int64_t after_id, int limit,
		       int64_t *next);
int hub_admin_outbox_retry(int64_t id);
char *hub_admin_calendar_sync(void);
char *hub_admin_config(void);
int hub_admin_runtime_get(const char *key, char *out, size_t outlen);
int hub_admin_runtime_set(hub_db *db, const char *key, const char *value);

#endif
