/*
 * idtest.h - shared set-up for the identity tests: a scratch data
 * directory with a configuration, the store and identity started, an
 * injectable clock, and a fake host (hub_api table + request objects) that
 * calls the identity HTTP handlers directly, doing what the router does
 * (authentication, role/scope, CSRF) for non-public routes.
 *
 * The real router and server are exercised by test_auth_http.c.
 */
#ifndef HUB_IDTEST_H
#define HUB_IDTEST_H

#define _GNU_SOURCE
#include "base/conf.h"
#include "base/log.h"
#include "identity/id_internal.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- set-up */

/* Current injected time (seconds) and the clock functions using it. */
extern int64_t idt_now_s;
extern int64_t idt_now_ms;
int64_t idt_clock_s(void);
int64_t idt_clock_ms(void);

/* Creates a scratch dir, loads `extra_conf` (appended after a [server]
 * section with data_dir and secret_key), opens the store, runs
 * hub_id_init and hub_id_migrate, injects the clocks and registers the
 * identity routes on the fake host. Exits with 2 on failure. */
void idt_setup(const char *tag, const char *extra_conf);
/* Closes everything and removes the directory. */
void idt_teardown(void);
/* The scratch directory. */
const char *idt_dir(void);

/* Creates a user with password `pw` directly. Returns its id (> 0). */
int64_t idt_user(const char *name, int role, const char *pw);

/* Runs one integer query; -999999 on error. */
long long idt_int(const char *sql);

/* ---------------------------------------------------------- fake host */

typedef struct idt_res {
	int status;
	char body[65536];
	char cookie[512];     /* Set-Cookie value, "" if none */
	char retry_after[32]; /* "" if none */
	char ratelimit_limit[32];
} idt_res;

/* Calls route `method pattern` with `body` (NULL = no body, otherwise
 * `len` bytes; len (size_t)-1 means strlen). `hdrs` is a NULL-terminated
 * list of "Name: value" strings (Cookie, Authorization, X-CSRF-Token...).
 * `params` is a NULL-terminated list of "name=value" path parameters;
 * `query` likewise for the query string. Fills *res. Returns res->status
 * (404 when no such route). */
int idt_call(const char *method, const char *pattern, const char *body,
	     size_t len, const char *const *hdrs, const char *const *params,
	     const char *const *query, idt_res *res);

/* The client address the next calls come from (default "192.0.2.1"). */
void idt_set_client(const char *addr);

/* A signed-in browser session from a login reply: "Cookie: ..." and
 * "X-CSRF-Token: ..." header lines. */
typedef struct idt_session {
	char cookie[160];
	char csrf[120];
	const char *hdrs[3]; /* cookie, csrf, NULL */
} idt_session;

/* Logs in (username, password, optional totp) and fills *s. Returns the
 * HTTP status. */
int idt_login(const char *user, const char *pw, const char *totp,
	      idt_session *s, idt_res *res);

/* Value of string member `name` of the top-level (or "user") object of a
 * JSON body into out. Returns 1 when found. */
int idt_json_str(const char *body, const char *path, char *out, size_t n);

#endif
