/*
 * service.c - sd_notify for hubd under systemd (see service.h).
 */
#include "ops/service.h"
#include "base/log.h"

#include <stdint.h>

#ifdef HUB_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void hub_service_ready(int port)
{
	int rc = sd_notifyf(0, "READY=1\nSTATUS=listening on port %d", port);
	if (rc > 0)
		hub_logf(HUB_LOG_INFO, "service", "told systemd: ready");
}

void hub_service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=draining requests");
}

unsigned hub_service_watchdog_ms(void)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	usec /= 2000; /* half the period, in ms */
	return usec ? (unsigned)usec : 1;
}

void hub_service_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

#else

void hub_service_ready(int port)
{
	(void)port;
}

void hub_service_stopping(void)
{
}

unsigned hub_service_watchdog_ms(void)
{
	return 0;
}

void hub_service_watchdog(void)
{
}

#endif
