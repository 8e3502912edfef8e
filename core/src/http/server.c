/*
 * server.c - the civetweb server: options, worker thread set-up, start and
 * a draining stop. Every request goes through hub_dispatch.
 */
#define _GNU_SOURCE
#include "http/dispatch.h"
#include "http/request.h"
#include "base/log.h"
#include "http/stack.h"
#include "hub_kit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
	struct mg_context *ctx;
	int port;
} g_srv = {NULL, 0};

static int on_begin_request(struct mg_connection *conn)
{
	return hub_dispatch(conn);
}

static int on_log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	hub_logf(HUB_LOG_WARN, "civetweb", "%s", message);
	return 1;
}

/* Each worker gets an alternate signal stack so that the crash guard can
 * run even when a handler overflowed its stack. */
static void *on_init_thread(const struct mg_context *ctx, int thread_type)
{
	(void)ctx;
	if (thread_type != 1)
		return NULL;
	size_t have = hub_stack_thread_paint();
	if (have && have < HUBKIT_WORKER_STACK_BYTES)
		hub_logf(HUB_LOG_WARN, "http",
			 "worker stack is %zu bytes, wanted %d", have,
			 HUBKIT_WORKER_STACK_BYTES);
	stack_t ss;
	size_t sz = 64 * 1024;
	ss.ss_sp = malloc(sz);
	ss.ss_size = sz;
	ss.ss_flags = 0;
	if (ss.ss_sp && sigaltstack(&ss, NULL) != 0) {
		free(ss.ss_sp);
		return NULL;
	}
	return ss.ss_sp;
}

static void on_exit_thread(const struct mg_context *ctx, int thread_type,
			   void *thread_pointer)
{
	(void)ctx;
	if (thread_type == 1)
		hub_stack_thread_peak();
	if (thread_type == 1 && thread_pointer) {
		stack_t ss;
		memset(&ss, 0, sizeof(ss));
		ss.ss_flags = SS_DISABLE;
		sigaltstack(&ss, NULL);
		free(thread_pointer);
	}
}

int hub_server_start(const hub_server_opts *o, char *err, size_t errlen)
{
	char threads[16], timeout[16], idle[16], ports[300];
	const char *options[32];
	size_t n = 0;
	struct mg_callbacks cb;
	struct mg_init_data init;
	struct mg_error_data ed;
	char ebuf[256] = "";

	hub_dispatch_configure(o->max_body ? o->max_body : 1024 * 1024,
			       o->report_error);
	snprintf(threads, sizeof(threads), "%u", o->threads ? o->threads : 16);
	snprintf(timeout, sizeof(timeout), "%u",
		 o->request_timeout_ms ? o->request_timeout_ms : 30000);
	snprintf(idle, sizeof(idle), "%u",
		 o->keep_alive_timeout_ms ? o->keep_alive_timeout_ms : 5000);
	snprintf(ports, sizeof(ports), "%s%s", o->listen,
		 o->tls_certificate ? "s" : "");
	if (hub_proxy_configure(o->trusted_proxies, err, errlen) != 0)
		return -1;
	options[n++] = "listening_ports";
	options[n++] = ports;
	options[n++] = "num_threads";
	options[n++] = threads;
	options[n++] = "request_timeout_ms";
	options[n++] = timeout;
	options[n++] = "enable_keep_alive";
	options[n++] = "yes";
	/* civetweb serves a connection on one worker thread until it
	 * closes: an idle keep-alive connection pins that thread, so idle
	 * ones must go soon or a few browsers (or nginx's upstream pool)
	 * leave no thread for new clients */
	options[n++] = "keep_alive_timeout_ms";
	options[n++] = idle;
	options[n++] = "tcp_nodelay";
	options[n++] = "1";
	options[n++] = "decode_url";
	options[n++] = "yes";
	if (o->tls_certificate) {
		options[n++] = "ssl_certificate";
		options[n++] = o->tls_certificate;
		options[n++] = "ssl_protocol_version";
		options[n++] = "4"; /* TLS 1.2+ */
	}
	options[n] = NULL;

	memset(&cb, 0, sizeof(cb));
	cb.begin_request = on_begin_request;
	cb.log_message = on_log_message;
	cb.init_thread = on_init_thread;
	cb.exit_thread = on_exit_thread;
	memset(&init, 0, sizeof(init));
	init.callbacks = &cb;
	init.configuration_options = options;
	memset(&ed, 0, sizeof(ed));
	unsigned ecode = 0;
	ed.code = &ecode;
	ed.text = ebuf;
	ed.text_buffer_size = sizeof(ebuf);

	hub_dispatch_install_crash_guard();
	hub_stack_floor_enable();
	g_srv.ctx = mg_start2(&init, &ed);
	if (!g_srv.ctx) {
		snprintf(err, errlen, "cannot listen on %s: %s", o->listen,
			 ebuf[0] ? ebuf : "civetweb failed to start");
		return -1;
	}
	struct mg_server_port sp[4];
	int np = mg_get_server_ports(g_srv.ctx, 4, sp);
	g_srv.port = np > 0 ? sp[0].port : 0;
	return 0;
}

int hub_server_port(void)
{
	return g_srv.port;
}

void hub_server_stop(void)
{
	/* civetweb refuses writes once mg_stop has begun, so requests in
	 * flight are finished first: new ones get 503 meanwhile. */
	if (!g_srv.ctx)
		return;
	hub_dispatch_drain();
	for (int i = 0; i < 3000 && hub_dispatch_inflight() > 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (hub_dispatch_inflight() > 0)
		hub_logf(HUB_LOG_WARN, "http",
			 "%ld requests still running after 30 s; stopping",
			 hub_dispatch_inflight());
	mg_stop(g_srv.ctx);
	g_srv.ctx = NULL;
	size_t peak, size;
	hub_stack_report(&peak, &size);
	if (size)
		hub_logf(HUB_LOG_INFO, "http",
			 "worker stacks: peak use %zu of %zu bytes", peak,
			 size);
}
