/*
 * admin_mod.h - the admin module's shared parts: the host API table and
 * the route handlers of its files (admin_ops.c: backups, jobs, outbox;
 * admin_logs.c: server log, configuration, run-time settings).
 */
#ifndef ADMIN_MOD_H
#define ADMIN_MOD_H

#include "hub/module.h"
#include "hub_kit.h"
#include "hub_time.h"

/* The host API table and the module's context, set at init (read-only
 * afterwards). */
extern const hub_api *admin_api;
extern hub_ctx *admin_ctx;

/* Answers with a JSON text the host returned (owned; freed here), as
 * {"items": TEXT, "next_cursor": CURSOR|null} when `list` is 1, else as
 * it is. A NULL text answers 503 naming `what`. Returns 0. */
int admin_reply_text(hub_req *req, int status, char *text, int list,
		     const char *cursor, const char *what);

/* limit (1..1000, default 100); answers 422 and returns -1 when bad. */
int admin_limit(hub_req *req, long long *limit);

int admin_h_logs(hub_req *req, void *ud);
int admin_h_config(hub_req *req, void *ud);
int admin_h_settings_get(hub_req *req, void *ud);
int admin_h_settings_patch(hub_req *req, void *ud);
int admin_h_backups(hub_req *req, void *ud);
int admin_h_backup_create(hub_req *req, void *ud);
int admin_h_backup_get(hub_req *req, void *ud);
int admin_h_backup_verify(hub_req *req, void *ud);
int admin_h_jobs(hub_req *req, void *ud);
int admin_h_job_run(hub_req *req, void *ud);
int admin_h_outbox(hub_req *req, void *ud);
int admin_h_outbox_retry(hub_req *req, void *ud);
int admin_h_calendar_sync(hub_req *req, void *ud);

#endif
