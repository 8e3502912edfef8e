/*
 * hooks.h - webhooks (core/src/hooks): endpoints registered by admins,
 * events recorded inside the caller's transaction (hub_wh_event_put, the
 * host API's event_put), deliveries sent by a scheduled job with Standard
 * Webhooks signatures, retried with backoff, in order per subject, and an
 * outbound guard that refuses loopback, private and link-local targets.
 *
 * Thread model: init, migrate and register run on the start-up thread;
 * hub_wh_event_put is safe from any thread.
 */
#ifndef HUB_HOOKS_H
#define HUB_HOOKS_H

#include "hub/module.h"

/* Reads the [webhooks] section (allow_private, timeout_ms, interval_s,
 * retry_first_s, retry_max_s, retry_for_s). Returns 0, or -1 with a
 * message in err. */
int hub_wh_init(char *err, size_t errlen);

/* Core migrations of the webhook tables (module "core_webhooks").
 * Returns 0, or -1 with the reason in err. */
int hub_wh_migrate(char *err, size_t errlen);

/* Registers the admin routes /api/v1/admin/webhooks..., the delivery job
 * "webhook_deliveries" and the health check "webhooks" under the core
 * context. Returns 0 or -1. */
int hub_wh_register(hub_ctx *core_ctx, const hub_api *api);

/* See hub_api.event_put in hub/module.h. */
int hub_wh_event_put(hub_db *db, const char *type, const char *subject,
		     const char *data_json);

#endif
