/*
 * hubd - the Business Hub server.
 *
 *   hubd -c plugins.conf [--check]
 *
 * Exit codes: 0 after a clean stop (SIGTERM/SIGINT drain in-flight
 * requests first), 1 on a start-up failure, 2 on a bad configuration
 * (one line naming file, line and key). SIGHUP reopens the log file.
 */
#define _GNU_SOURCE
#include "base/conf.h"
#include "base/log.h"
#include "host/host.h"
#include "host/startup.h"
#include "http/http.h"
#include "ops/memory.h"
#include "ops/service.h"

#include <civetweb.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *to)
{
	fprintf(to, "usage: hubd -c FILE [--check]\n"
		    "  -c FILE   configuration (plugins.conf)\n"
		    "  --check   validate the configuration and modules, then "
		    "exit\n"
		    "  --routes  like --check, then list every route "
		    "(METHOD PATTERN OWNER)\n"
		    "  --version print the version\n");
}

/* Blocks the control signals in this and every later thread; the main
 * thread collects them with sigtimedwait. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void print_route(void *ud, const char *method, const char *pattern,
			const char *owner)
{
	(void)ud;
	printf("%s %s %s\n", method, pattern, owner);
}

static int serve(void)
{
	hub_server_opts o;
	char err[1024];
	const char *listen = hub_conf_get("server", "listen");
	memset(&o, 0, sizeof(o));
	o.listen = listen ? listen : "127.0.0.1:8080";
	o.threads = (unsigned)hub_conf_int("server", "threads", 32);
	o.max_body =
	    (size_t)hub_conf_int("server", "max_body_bytes", 1024 * 1024);
	o.request_timeout_ms =
	    (unsigned)hub_conf_int("server", "request_timeout_ms", 30000);
	o.keep_alive_timeout_ms =
	    (unsigned)hub_conf_int("server", "keep_alive_timeout_ms", 5000);
	o.tls_certificate = hub_conf_get("server", "tls_certificate");
	o.trusted_proxies = hub_conf_get("server", "trusted_proxies");
	o.report_error = hub_report_error;
	hub_dispatch_access_log(hub_conf_bool("server", "access_log", 1));
	if (hub_server_start(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "hubd: %s\n", err);
		return 1;
	}
	hub_logf(HUB_LOG_INFO, "hubd", "listening on %s (port %d), %u threads",
		 o.listen, hub_server_port(), o.threads);
	hub_service_ready(hub_server_port());
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int check = 0, rc;
	char err[1024] = "";
	sigset_t set;

	hub_memory_tune();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			conf = argv[++i];
		} else if (!strcmp(argv[i], "--check")) {
			check = 1;
		} else if (!strcmp(argv[i], "--routes")) {
			check = 2;
		} else if (!strcmp(argv[i], "--version")) {
			printf("hubd %s\n", HUB_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!conf) {
		usage(stderr);
		return 2;
	}
	block_signals(&set);
	mg_init_library(0);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	rc = hub_startup(conf, check ? HUB_START_CHECK : HUB_START_SERVER, err,
			 sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hubd: %s\n", err);
		hub_shutdown();
		return rc;
	}
	if (check == 2)
		hub_router_each(print_route, NULL);
	if (check) {
		printf("%s: configuration OK\n", conf);
		hub_shutdown();
		return 0;
	}
	if (serve() != 0) {
		hub_shutdown();
		return 1;
	}
	hub_log_buffered(1);
	unsigned wd_ms = hub_service_watchdog_ms();
	for (;;) {
		/* one tick a second, shorter when the watchdog wants it */
		unsigned tick_ms = wd_ms && wd_ms < 1000 ? wd_ms : 1000;
		struct timespec tick = {tick_ms / 1000,
					(long)(tick_ms % 1000) * 1000000L};
		int sig = sigtimedwait(&set, NULL, &tick);
		hub_log_flush();
		if (wd_ms)
			hub_service_watchdog();
		if (sig == SIGHUP) {
			hub_log_reopen();
			hub_logf(HUB_LOG_INFO, "hubd", "log file reopened");
		} else if (sig == SIGTERM || sig == SIGINT) {
			hub_logf(HUB_LOG_INFO, "hubd",
				 "signal %d: draining requests", sig);
			hub_service_stopping();
			break;
		}
	}
	hub_server_stop();
	hub_shutdown();
	hub_logf(HUB_LOG_INFO, "hubd", "stopped");
	hub_log_flush();
	curl_global_cleanup();
	mg_exit_library();
	return 0;
}
