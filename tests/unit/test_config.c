/*
 * test_config.c - plugins.conf parsing: values, environment overrides, and
 * the one-line "FILE:LINE: [section] key 'K': reason" for every kind of
 * broken configuration.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "check.h"
#include "base/conf.h"

#include <stdlib.h>

static char err[1024];

static int load(const char *text)
{
	err[0] = 0;
	return hub_conf_load_string("test.conf", text, err, sizeof(err));
}

/* Loads text that must fail and checks the error mentions `want`. */
static void expect_error(const char *text, const char *want)
{
	int rc = load(text);
	CHECK_INT(rc, -1);
	if (!strstr(err, want)) {
		fprintf(stderr, "  error was: %s\n  wanted: %s\n", err, want);
		CHECK(0);
	} else {
		CHECK(1);
	}
}

static void test_good(void)
{
	CHECK_INT(load("; comment\n"
		       "[server]\n"
		       "listen = 127.0.0.1:9000\n"
		       "threads = 8\n"
		       "timezone = Europe/Berlin\n"
		       "trusted_proxies = 10.0.0.0/8, ::1\n"
		       "[ratelimit]\n"
		       "login = 5/min\n"
		       "[auth]\n"
		       "lockout_account = 5:900,10:3600,15:86400\n"
		       "[module.health]\n"
		       "path = health.so\n"
		       "[module.booking]\n"
		       "path = booking.so\n"
		       "consultants = A:a@x\n"),
		  0);
	CHECK_STR(hub_conf_get("server", "listen"), "127.0.0.1:9000");
	CHECK_INT(hub_conf_int("server", "threads", 1), 8);
	CHECK_INT(hub_conf_line("server", "threads"), 4);
	CHECK_STR(hub_conf_get("auth", "lockout_account"),
		  "5:900,10:3600,15:86400");
	CHECK_INT(hub_conf_module_count(), 2);
	CHECK_STR(hub_conf_module_name(0), "health");
	CHECK_STR(hub_conf_module_name(1), "booking");
	CHECK(hub_conf_get("server", "data_dir") == NULL);
	/* module keys are left for the loader to check */
	CHECK_STR(hub_conf_first_unused("module.booking"), "consultants");
}

static void test_env(void)
{
	setenv("HUB_LISTEN", "127.0.0.1:7000", 1);
	setenv("HUB_DATA_DIR", "/tmp/hubdata", 1);
	setenv("HUB_CONSULTANTS", "Z:z@x", 1);
	CHECK_INT(load("[server]\nlisten = 1.2.3.4:1\n"
		       "[module.booking]\npath = b.so\nconsultants = A:a\n"),
		  0);
	CHECK_STR(hub_conf_get("server", "listen"), "127.0.0.1:7000");
	CHECK_INT(hub_conf_line("server", "listen"), 0);
	CHECK_STR(hub_conf_get("server", "data_dir"), "/tmp/hubdata");
	CHECK_STR(hub_conf_get("module.booking", "consultants"), "Z:z@x");
	setenv("HUB_LISTEN", "nonsense:port", 1);
	expect_error("[server]\n", "[server] key 'listen'");
	unsetenv("HUB_LISTEN");
	unsetenv("HUB_DATA_DIR");
	unsetenv("HUB_CONSULTANTS");
}

static void test_errors(void)
{
	expect_error("[server]\nlisten = 1.2.3.4:1\nbogus = 1\n",
		     "test.conf:3: [server] key 'bogus': unknown key");
	expect_error("[server]\nthreads = many\n",
		     "test.conf:2: [server] key 'threads': must be an integer");
	expect_error("[server]\nthreads = 0\n", "key 'threads'");
	expect_error("[server]\nlisten = 127.0.0.1:99999\n", "key 'listen'");
	expect_error("[server]\ntimezone = Mars/Olympus\n",
		     "unknown time zone");
	expect_error("[server]\ntimezone = ../../etc/passwd\n",
		     "unknown time zone");
	expect_error("[server]\ntrusted_proxies = 10.0.0.0/33\n",
		     "key 'trusted_proxies'");
	expect_error("[server]\ntls_certificate = /nonexistent.pem\n",
		     "key 'tls_certificate': cannot read");
	expect_error("[ratelimit]\nlogin = 5/fortnight\n", "key 'login'");
	expect_error("[ratelimit]\nlogin = 0/min\n", "key 'login'");
	expect_error("[calendar]\nbackend = outlook\n", "key 'backend'");
	expect_error("[auth]\nlockout_account = 5:900,3:60\n",
		     "key 'lockout_account': must be like");
	expect_error("[auth]\nlockout_account = 5\n", "key 'lockout_account'");
	expect_error("[calendar]\napi_base = ftp://x\n", "key 'api_base'");
	expect_error("[nonsense]\na = b\n",
		     "test.conf:2: unknown section [nonsense]");
	expect_error("[Module.X]\npath = x\n", "unknown section");
	expect_error("orphan = 1\n", "test.conf:1: key 'orphan' outside");
	expect_error("[server]\nlisten = 1\nlisten = 2\n",
		     "test.conf:3: [server] key 'listen': duplicate key");
	expect_error("[server]\nthis line has no equals sign\n",
		     "test.conf:2:");
	expect_error("[module.booking]\nconsultants = x\n",
		     "[module.booking] key 'path': missing");
	expect_error("[module.booking]\npath = b.so\nenabled = perhaps\n",
		     "key 'enabled': must be true or false");
	err[0] = 0;
	CHECK_INT(hub_conf_load("/nonexistent/plugins.conf", err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "/nonexistent/plugins.conf:0: cannot open") != NULL);
}

static void test_long_lines(void)
{
	char text[8192];
	size_t o = (size_t)snprintf(text, sizeof(text),
				    "[server]\nthreads = 4\n"
				    "trusted_proxies = ");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "10.0.%d.0/24,", i);
	o += (size_t)snprintf(text + o, sizeof(text) - o,
			      "10.9.9.9\nlisten = 127.0.0.1:1\nbad = 1\n");
	/* a 3000-byte line is fine and the line numbers after it are right */
	expect_error(text, "test.conf:5: [server] key 'bad': unknown key");
	text[strlen(text) - strlen("bad = 1\n")] = 0;
	CHECK_INT(load(text), 0);
	CHECK(strlen(hub_conf_get("server", "trusted_proxies")) > 2500);
	CHECK_INT(hub_conf_line("server", "listen"), 4);
	/* continuation lines are not a thing: an indented line is an error */
	expect_error("[server]\nthreads = 4\n  8\n", "test.conf:3:");
}

static void test_rates(void)
{
	unsigned c, w;
	CHECK_INT(hub_conf_parse_rate("5/min", &c, &w), 0);
	CHECK_INT(c, 5);
	CHECK_INT(w, 60);
	CHECK_INT(hub_conf_parse_rate("10/s", &c, &w), 0);
	CHECK_INT(w, 1);
	CHECK_INT(hub_conf_parse_rate("500/h", &c, &w), 0);
	CHECK_INT(c, 500);
	CHECK_INT(w, 3600);
	CHECK_INT(hub_conf_parse_rate("-5/min", &c, &w), -1);
	CHECK_INT(hub_conf_parse_rate("5", &c, &w), -1);
	CHECK_INT(hub_conf_parse_rate("5/min/x", &c, &w), -1);
	CHECK_INT(hub_conf_parse_rate("99999999999/s", &c, &w), -1);
}

static void count_key(void *ud, const char *key, const char *value)
{
	(void)key;
	(void)value;
	(*(int *)ud)++;
}

static void test_each(void)
{
	int n = 0;
	CHECK_INT(load("[module.booking]\npath = b.so\nplan.Anna = mon 09:00-"
		       "12:00\nplan.Jonas = fri 09:00-16:00\nstate = NW\n"),
		  0);
	CHECK_INT(hub_conf_each("module.booking", "plan.", count_key, &n), 2);
	CHECK_INT(n, 2);
	hub_conf_mark_used("module.booking", "path");
	CHECK_STR(hub_conf_first_unused("module.booking"), "state");
	hub_conf_mark_used("module.booking", "state");
	CHECK(hub_conf_first_unused("module.booking") == NULL);
	CHECK_INT(hub_conf_bool("module.booking", "missing", 7), 7);
}

int main(void)
{
	unsetenv("HUB_LISTEN");
	unsetenv("HUB_DATA_DIR");
	unsetenv("HUB_CONSULTANTS");
	unsetenv("HUB_SECRET_KEY");
	unsetenv("SENTRY_DSN");
	unsetenv("HUB_MODULE_DIR");
	unsetenv("HUB_LOG_LEVEL");
	test_good();
	test_env();
	test_errors();
	test_rates();
	test_long_lines();
	test_each();
	hub_conf_free();
	return check_report("config");
}
