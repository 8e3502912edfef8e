/*
 * bench_bare.c - the yardstick: a plain civetweb server whose one handler
 * answers every request with a fixed small JSON body, keep-alive on, the
 * same worker count as hubd. Benchmarks report hubd as a ratio to it,
 * measured in the same run on the same machine.
 *
 *   bench_bare PORT [THREADS]    runs until SIGTERM/SIGINT
 */
#define _GNU_SOURCE
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int handler(struct mg_connection *conn, void *ud)
{
	/* one write for head and body: the fastest plain civetweb answer */
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/json; "
				   "charset=utf-8\r\n"
				   "Content-Length: 15\r\n\r\n"
				   "{\"status\":\"ok\"}";
	(void)ud;
	mg_write(conn, resp, sizeof(resp) - 1);
	return 200;
}

int main(int argc, char **argv)
{
	char port[32];
	const char *threads = argc > 2 ? argv[2] : "32";
	if (argc < 2) {
		fprintf(stderr, "usage: bench_bare PORT [THREADS]\n");
		return 2;
	}
	snprintf(port, sizeof(port), "127.0.0.1:%s", argv[1]);
	const char *opts[] = {"listening_ports",
			      port,
			      "num_threads",
			      threads,
			      "enable_keep_alive",
			      "yes",
			      "keep_alive_timeout_ms",
			      "60000",
			      "tcp_nodelay",
			      "1",
			      NULL};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	mg_init_library(0);
	struct mg_context *ctx = mg_start(&cb, NULL, opts);
	if (!ctx) {
		fprintf(stderr, "bench_bare: cannot listen on %s\n", port);
		return 1;
	}
	mg_set_request_handler(ctx, "/", handler, NULL);
	while (!g_stop)
		pause();
	mg_stop(ctx);
	mg_exit_library();
	return 0;
}
