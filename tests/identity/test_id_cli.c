/*
 * test_id_cli.c - `hubctl user ...` (hub_id_user_cmd): add with the
 * password from stdin, list, passwd, role, disable/enable, totp-reset,
 * unlock; exit code 0, or 1 with exactly one line on stderr; the changes
 * take effect (sessions ended, sign-in works) and are audited.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_out[8192], g_err[8192];

static void slurp(const char *path, char *out, size_t n)
{
	FILE *fp = fopen(path, "r");
	size_t len = fp ? fread(out, 1, n - 1, fp) : 0;
	out[len] = 0;
	if (fp)
		fclose(fp);
}

/* Runs hub_id_user_cmd with `in` on stdin; stdout/stderr captured. */
static int run(const char *in, int argc, char **argv)
{
	char pin[600], pout[600], perr[600];
	int s_in = dup(0), s_out = dup(1), s_err = dup(2), rc, fd;
	snprintf(pin, sizeof(pin), "%s/in.txt", idt_dir());
	snprintf(pout, sizeof(pout), "%s/out.txt", idt_dir());
	snprintf(perr, sizeof(perr), "%s/err.txt", idt_dir());
	fd = open(pin, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in && write(fd, in, strlen(in)) < 0)
		perror("write");
	close(fd);
	fflush(stdout);
	fflush(stderr);
	if (!freopen(pin, "r", stdin) || !freopen(pout, "w", stdout) ||
	    !freopen(perr, "w", stderr))
		abort();
	rc = hub_id_user_cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(s_in, 0);
	dup2(s_out, 1);
	dup2(s_err, 2);
	close(s_in);
	close(s_out);
	close(s_err);
	clearerr(stdin);
	slurp(pout, g_out, sizeof(g_out));
	slurp(perr, g_err, sizeof(g_err));
	return rc;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define RUN(in, ...)                                                           \
	({                                                                     \
		char *argv_[] = {__VA_ARGS__};                                 \
		run(in, (int)(sizeof(argv_) / sizeof(argv_[0])), argv_);       \
	})

static void test_commands(void)
{
	idt_session s;
	idt_res r;

	CHECK_INT(
	    RUN("greta-password\n", "user", "add", "greta", "--role", "staff"),
	    0);
	CHECK_STR(g_err, "");
	CHECK_INT(idt_login("greta", "greta-password", NULL, &s, &r), 200);
	/* refusals: one line on stderr, exit 1 */
	CHECK_INT(
	    RUN("greta-password\n", "user", "add", "greta", "--role", "staff"),
	    1);
	CHECK_INT(lines(g_err), 1);
	CHECK(strstr(g_err, "exists") != NULL);
	CHECK_INT(RUN("short\n", "user", "add", "hans", "--role", "staff"), 1);
	CHECK_INT(lines(g_err), 1);
	CHECK(strstr(g_err, "at least 10") != NULL);
	CHECK_INT(RUN("", "user", "add", "hans", "--role", "staff"), 1);
	CHECK(strstr(g_err, "no password") != NULL);
	CHECK_INT(
	    RUN("hans-password\n", "user", "add", "hans", "--role", "boss"), 1);
	CHECK_INT(lines(g_err), 1);
	CHECK_INT(RUN(NULL, "user", "frobnicate"), 1);
	CHECK_INT(lines(g_err), 1);
	CHECK_INT(RUN(NULL, "user"), 1);
	CHECK_INT(lines(g_err), 1);
	CHECK_INT(RUN(NULL, "user", "passwd", "nobody"), 1);
	CHECK(strstr(g_err, "no such user") != NULL);
	/* a password without a final newline, CRLF accepted */
	CHECK_INT(
	    RUN("hans-password", "user", "add", "hans", "--role", "admin"), 0);
	CHECK_INT(RUN("ida-password\r\n", "add", "ida", "--role", "consultant"),
		  0);
	CHECK_INT(idt_login("ida", "ida-password", NULL, &s, &r), 200);

	/* list */
	CHECK_INT(RUN(NULL, "user", "list"), 0);
	CHECK_INT(lines(g_out), 3);
	CHECK(strstr(g_out, "greta\tstaff\tactive\n") != NULL);
	CHECK(strstr(g_out, "hans\tadmin\tactive\n") != NULL);

	/* passwd ends sessions */
	CHECK_INT(idt_login("greta", "greta-password", NULL, &s, &r), 200);
	CHECK_INT(RUN("greta-new-password\n", "user", "passwd", "greta"), 0);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    401);
	CHECK_INT(idt_login("greta", "greta-new-password", NULL, &s, &r), 200);

	/* role */
	CHECK_INT(RUN(NULL, "user", "role", "greta", "admin"), 0);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    401);
	CHECK_INT(idt_login("greta", "greta-new-password", NULL, &s, &r), 200);
	CHECK(strstr(r.body, "\"role\":\"admin\"") != NULL);
	CHECK_INT(RUN(NULL, "user", "role", "greta", "pope"), 1);

	/* disable / enable; the last admin stays */
	CHECK_INT(RUN(NULL, "user", "disable", "greta"), 0);
	CHECK_INT(idt_login("greta", "greta-new-password", NULL, &s, &r), 401);
	CHECK_INT(RUN(NULL, "user", "list"), 0);
	CHECK(strstr(g_out, "greta\tadmin\tdisabled") != NULL);
	CHECK_INT(RUN(NULL, "user", "disable", "hans"), 1);
	CHECK(strstr(g_err, "last enabled admin") != NULL);
	CHECK_INT(RUN(NULL, "user", "role", "hans", "staff"), 1);
	CHECK_INT(RUN(NULL, "user", "enable", "greta"), 0);
	CHECK_INT(idt_login("greta", "greta-new-password", NULL, &s, &r), 200);

	/* totp-reset and unlock */
	CHECK_INT(RUN(NULL, "user", "totp-reset", "greta"), 0);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    401);
	for (int i = 0; i < 5; i++)
		idt_login("ida", "wrong-password", NULL, &s, &r);
	CHECK_INT(idt_login("ida", "ida-password", NULL, &s, &r), 423);
	CHECK_INT(RUN(NULL, "user", "list"), 0);
	CHECK(strstr(g_out, "ida\tconsultant\tactive,locked") != NULL);
	CHECK_INT(RUN(NULL, "user", "unlock", "ida"), 0);
	CHECK_INT(idt_login("ida", "ida-password", NULL, &s, &r), 200);

	CHECK(idt_int("SELECT COUNT(*) FROM audit_log WHERE actor LIKE "
		      "'hubctl:%'") >= 8);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE detail LIKE "
			  "'%password%' AND detail LIKE '%greta-%'"),
		  0);
}

int main(void)
{
	idt_setup("cli",
		  "[ratelimit]\nlogin = 1000/min\nlogin_account = 1000/min\n");
	test_commands();
	idt_teardown();
	return check_report("identity.cli");
}
