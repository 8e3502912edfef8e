/*
 * hubproc.h - integration-test helpers: start a real hubd on a free
 * loopback port with a temporary data directory and a configuration text,
 * talk HTTP to it with libcurl, stop it with a signal.
 *
 * Link with hub_testproc (tests/harness/CMakeLists.txt). HUBD_PATH and
 * HUB_MODULE_OUTPUT_DIR are compile definitions pointing into the build.
 */
#ifndef HUB_HUBPROC_H
#define HUB_HUBPROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct hubproc {
	pid_t pid;
	int port;
	char dir[256];	/* temporary directory (data/, hub.conf, log) */
	char conf[300]; /* path of the configuration file */
	char log[300];	/* hubd's stderr and stdout */
	char base[64];	/* "http://127.0.0.1:PORT" */
} hubproc;

/* Starts hubd with `conf_text` (a "%PORT%" and "%DATA%" and "%MODULES%"
 * in it are replaced by the chosen port, data directory and module output
 * directory) and waits until GET /health/live answers (up to 20 s).
 * `env` is a NULL-terminated list of "NAME=value" added to hubd's
 * environment (may be NULL). Returns 0, or -1 (hubd's log is printed). */
int hubproc_start(hubproc *h, const char *conf_text, const char *const *env);

/* Sends `sig` and waits for the exit. Returns the exit status (0..255),
 * 128+N when killed by signal N, -1 when it did not exit within 20 s (it is
 * then killed). Removes nothing: call hubproc_cleanup for that. */
int hubproc_stop(hubproc *h, int sig);

/* When set, hubproc_start and hubproc_restart take any HTTP answer of
 * /health/live (not only 200) as "started". Default 0. */
extern int hubproc_any_live_status;

/* Starts hubd again on the same directory, configuration and port after
 * it stopped (hubproc_stop), and waits for /health/live like
 * hubproc_start. Returns 0 or -1 (hubd's log is printed). */
int hubproc_restart(hubproc *h, const char *const *env);

/* Removes the temporary directory. */
void hubproc_cleanup(hubproc *h);

/* Runs `hubd ARGS...` (or any program) to completion with stdout and
 * stderr captured into `out` (NUL-terminated, truncated to outlen).
 * Returns the exit status or -1. */
int hubproc_run(const char *const *argv, const char *stdin_text, char *out,
		size_t outlen);

/* A response. Body and headers are owned: free with http_free. */
typedef struct http_res {
	long status;
	char *body;
	size_t body_len;
	char *headers; /* raw header block, lines "Name: value\r\n" */
} http_res;

/* Performs a request. `headers` is a NULL-terminated list of "Name: value"
 * (may be NULL); `body` may be NULL. Returns 0 (status in res->status) or
 * -1 on a transport error. */
int http_do(const char *method, const char *url, const char *const *headers,
	    const char *body, size_t body_len, http_res *res);

/* Value of response header `name` (case-insensitive) copied into out.
 * Returns 1 when present. */
int http_header(const http_res *res, const char *name, char *out,
		size_t outlen);

void http_free(http_res *res);

#endif
