/*
 * dispatch.h - what the civetweb server (server.c) and the request
 * pipeline (dispatch.c) share: the server sets the pipeline up, hands it
 * every request, and drains it on stop.
 */
#ifndef HUB_DISPATCH_H
#define HUB_DISPATCH_H

#include "http/http.h"

#include <civetweb.h>
#include <stddef.h>

/* Sets the body limit (bytes) and the function that reports a handler's
 * crash (may be NULL: logged only). Call before the server starts. */
void hub_dispatch_configure(size_t max_body, hub_report_fn report);

/* Installs the fatal-signal handlers once (process start). */
void hub_dispatch_install_crash_guard(void);

/* Dispatches one request (the civetweb begin_request callback body).
 * Returns the HTTP status sent, or 0 to let civetweb answer. */
int hub_dispatch(struct mg_connection *conn);

/* Starts draining: new requests get 503, in-flight ones finish. */
void hub_dispatch_drain(void);

/* Number of requests being handled right now. */
long hub_dispatch_inflight(void);

#endif
