/*
 * test_loader.c - each ABI fixture gets the exact refusal it deserves from
 * a real hubd (`--check` and a real start), optional modules are skipped,
 * a failed init is rolled back whole, and module settings are checked.
 */
#define _GNU_SOURCE
#include "check.h"
#include "hubproc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[128];

/* Writes a configuration with [server] and the given module sections and
 * runs `hubd -c FILE [--check]`. Returns the exit status; out gets the
 * output. */
static int run_hubd(const char *modules, int check, char *out, size_t outlen)
{
	char path[256], data[256];
	snprintf(path, sizeof(path), "%s/hub.conf", g_dir);
	snprintf(data, sizeof(data), "%s/data", g_dir);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	fprintf(fp,
		"[server]\nlisten = 127.0.0.1:0\ndata_dir = %s\n"
		"module_dir = %s\n\n[module.health]\npath = health.so\n\n%s",
		data, HUB_MODULE_OUTPUT_DIR, modules);
	fclose(fp);
	const char *argv[] = {HUBD_PATH, "-c", path, check ? "--check" : NULL,
			      NULL};
	return hubproc_run(argv, NULL, out, outlen);
}

/* One refusal: exit 2 and a line containing every `want` fragment. */
static void expect_refusal(const char *name, const char *section,
			   const char *w1, const char *w2)
{
	char out[8192];
	for (int check = 1; check >= 0; check--) {
		int rc = run_hubd(section, check, out, sizeof(out));
		CHECK_INT(rc, 2);
		if (!strstr(out, w1) || (w2 && !strstr(out, w2))) {
			fprintf(stderr, "[%s] output:\n%s\nwanted: %s / %s\n",
				name, out, w1, w2 ? w2 : "");
			CHECK(0);
		} else {
			CHECK(1);
		}
	}
}

static void test_refusals(void)
{
	char sec[1024];
	snprintf(sec, sizeof(sec), "[module.bad_abi]\npath = %s/bad_abi.so\n",
		 FIXTURE_DIR);
	expect_refusal("abi", sec,
		       "hub.conf:10: module bad_abi: ABI version 99",
		       "this host speaks version 1");
	snprintf(sec, sizeof(sec), "[module.small]\npath = %s/small.so\n",
		 FIXTURE_DIR);
	expect_refusal("small", sec, "module small: descriptor size 8", NULL);
	snprintf(sec, sizeof(sec),
		 "[module.no_descriptor]\npath = %s/no_descriptor.so\n",
		 FIXTURE_DIR);
	expect_refusal("nodesc", sec, "module no_descriptor:",
		       "exports no descriptor 'hub_module_descriptor'");
	snprintf(sec, sizeof(sec), "[module.bad_name]\npath = %s/bad_name.so\n",
		 FIXTURE_DIR);
	expect_refusal("name", sec, "module bad_name: descriptor name",
		       "not [a-z0-9_]");
	snprintf(sec, sizeof(sec),
		 "[module.dup_health]\npath = %s/dup_health.so\n", FIXTURE_DIR);
	expect_refusal("dup", sec, "module dup_health:",
		       "a module named 'health' is already loaded");
	snprintf(sec, sizeof(sec),
		 "[module.init_fails]\npath = %s/init_fails.so\n", FIXTURE_DIR);
	expect_refusal("init", sec, "module init_fails: init failed",
		       "returned -5): setting 'x': not what we wanted");
	expect_refusal("missing",
		       "[module.ghost]\npath = /nonexistent/ghost.so\n",
		       "hub.conf:10: module ghost: cannot read "
		       "/nonexistent/ghost.so",
		       NULL);
	/* the module's own settings: unknown key, wrong type */
	snprintf(sec, sizeof(sec),
		 "[module.misbehaves]\npath = %s/misbehaves.so\ncount = 4\n"
		 "colour = blue\n",
		 FIXTURE_DIR);
	expect_refusal("unknown", sec,
		       "hub.conf:12: [module.misbehaves] key 'colour': "
		       "unknown key",
		       NULL);
	snprintf(sec, sizeof(sec),
		 "[module.misbehaves]\npath = %s/misbehaves.so\ncount = four\n",
		 FIXTURE_DIR);
	expect_refusal("type", sec,
		       "hub.conf:11: [module.misbehaves] key 'count': must "
		       "be an integer",
		       NULL);
	snprintf(sec, sizeof(sec),
		 "[module.misbehaves]\npath = %s/misbehaves.so\nflag = maybe\n",
		 FIXTURE_DIR);
	expect_refusal("bool", sec, "key 'flag': must be true or false", NULL);
}

static void test_accepts(void)
{
	char sec[1024], out[8192];
	/* a valid module with valid settings passes --check */
	snprintf(sec, sizeof(sec),
		 "[module.misbehaves]\npath = %s/misbehaves.so\ncount = 4\n"
		 "flag = true\ntoken = s3cret-value\n",
		 FIXTURE_DIR);
	CHECK_INT(run_hubd(sec, 1, out, sizeof(out)), 0);
	CHECK(strstr(out, "configuration OK") != NULL);
	/* the secret setting never appears in the output */
	CHECK(strstr(out, "s3cret-value") == NULL);
	/* disabled and optional-but-broken modules do not stop start-up */
	snprintf(sec, sizeof(sec),
		 "[module.bad_abi]\npath = %s/bad_abi.so\nrequired = false\n\n"
		 "[module.ghost]\npath = /nonexistent.so\nenabled = false\n",
		 FIXTURE_DIR);
	CHECK_INT(run_hubd(sec, 1, out, sizeof(out)), 0);
	CHECK(strstr(out, "optional module bad_abi skipped") != NULL);
}

static void test_rollback(void)
{
	/* an optional module whose init fails leaves nothing behind */
	char conf[2048];
	hubproc h;
	http_res r;
	char url[256];
	snprintf(conf, sizeof(conf),
		 "[server]\nlisten = 127.0.0.1:%%PORT%%\ndata_dir = %%DATA%%\n"
		 "module_dir = %%MODULES%%\n\n[module.health]\npath = "
		 "health.so\n\n[module.init_fails]\npath = %s/init_fails.so\n"
		 "required = false\n",
		 FIXTURE_DIR);
	if (hubproc_start(&h, conf, NULL) != 0) {
		CHECK(0);
		return;
	}
	snprintf(url, sizeof(url), "%s/fixture/ok", h.base);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), 0);
	CHECK_INT(r.status, 404);
	http_free(&r);
	snprintf(url, sizeof(url), "%s/health", h.base);
	CHECK_INT(http_do("GET", url, NULL, NULL, 0, &r), 0);
	CHECK(r.body && strstr(r.body, "init_fails") == NULL);
	CHECK(r.body && strstr(r.body, "\"storage\"") != NULL);
	http_free(&r);
	CHECK_INT(hubproc_stop(&h, SIGTERM), 0);
	hubproc_cleanup(&h);
}

int main(void)
{
	char cmd[200];
	snprintf(g_dir, sizeof(g_dir), "/tmp/hubloader-XXXXXX");
	if (!mkdtemp(g_dir))
		return 1;
	test_refusals();
	test_accepts();
	test_rollback();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return check_report("loader");
}
