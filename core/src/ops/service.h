/*
 * service.h - telling the service manager how hubd is doing (systemd's
 * sd_notify protocol: READY, STOPPING, WATCHDOG, STATUS). Built against
 * libsystemd when it is found at build time (HUB_HAVE_SYSTEMD); otherwise
 * every call does nothing. Without NOTIFY_SOCKET (not run by systemd
 * with Type=notify) the calls do nothing either.
 */
#ifndef HUB_OPS_SERVICE_H
#define HUB_OPS_SERVICE_H

/* READY=1 with a STATUS line naming the listening port. */
void hub_service_ready(int port);

/* STOPPING=1: the server drains in-flight requests. */
void hub_service_stopping(void);

/* Milliseconds between watchdog pings (half of WatchdogSec), or 0 when
 * the watchdog is off. */
unsigned hub_service_watchdog_ms(void);

/* WATCHDOG=1 (call at least every hub_service_watchdog_ms). */
void hub_service_watchdog(void);

#endif
