/*
 * hubctl - administration of a Business Hub data directory.
 *
 *   hubctl -c FILE user add NAME --role admin|staff|consultant  (stdin)
 *   hubctl -c FILE user list | passwd NAME | role NAME ROLE | disable NAME
 *                       | totp-reset NAME
 *   hubctl -c FILE backup create | list | verify FILE | restore FILE
 *   hubctl -c FILE import-json DIR
 *   hubctl -c FILE copy-to-pg --from SQLITE_FILE_OR_DATA_DIR
 *   hubctl -c FILE config check
 *   hubctl -c FILE report test
 *
 * Exit codes (docs/API.md): 0 success; 1 any failure - a bad configuration or
 * command line included - after one line on stderr.
 *
 * Start-up follows hubd (host/startup.c) so both see the same schema:
 * `user` and `import-json` open the store and apply pending migrations.
 * `backup` and `config check` only validate the configuration and never
 * open the store through the service: a restore must not run migrations
 * on the database it is about to replace, and backups read the database
 * file themselves (or, with PostgreSQL, run pg_dump / pg_restore).
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "host/host.h"
#include "host/startup.h"
#include "identity/identity.h"
#include "ops/ops.h"
#include "ops/sentry.h"
#include "sched/sched.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
	fprintf(to,
		"usage: hubctl -c FILE COMMAND ...\n"
		"  user add NAME --role admin|staff|consultant  (password "
		"on stdin)\n"
		"  user list | passwd NAME | role NAME ROLE | disable NAME | "
		"totp-reset NAME\n"
		"  backup create | list | verify FILE | restore FILE\n"
		"  import-json DIR     the old system's data directory\n"
		"  copy-to-pg --from PATH  copy an SQLite hub.db (or data "
		"directory) into\n"
		"                      the configured PostgreSQL database\n"
		"  config check\n"
		"  report test         send a test error report, print its "
		"id\n");
}

/* Brings the process up in `mode`; prints the error and returns the exit
 * code on failure, 0 on success. */
static int start(const char *conf, int mode)
{
	char err[1024] = "";
	int rc = hub_startup(conf, mode, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "hubctl: %s\n",
			err[0] ? err : "start-up failed");
	return rc;
}

static int cmd_import(const char *conf, const char *dir)
{
	char err[1024] = "";
	int rc = start(conf, HUB_START_CTL);
	if (rc != 0)
		return rc;
	if (hub_ops_import_json(dir, &hub_modules_importers, err,
				sizeof(err)) != 0) {
		fprintf(stderr, "hubctl: import-json: %s\n", err);
		return 1;
	}
	printf("imported %s\n", dir);
	return 0;
}

/* `copy-to-pg --from PATH`: the configuration names the PostgreSQL
 * target; start-up opens it and applies the migrations of the core and
 * every module, the scheduler's (applied by hubd when its jobs start)
 * are added here. */
static int cmd_copy_to_pg(const char *conf, const char *from)
{
	char err[1024] = "";
	int rc = start(conf, HUB_START_CTL);
	if (rc != 0)
		return rc;
	if (hub_sched_migrate(err, sizeof(err)) != 0 ||
	    hub_ops_copy_to_pg(from, err, sizeof(err)) != 0) {
		fprintf(stderr, "hubctl: copy-to-pg: %s\n", err);
		return 1;
	}
	return 0;
}

/* `report test`: one event to the configured DSN, its id on stdout. */
static int cmd_report_test(const char *conf)
{
	char err[1024] = "", id[33];
	hub_sentry_info in;
	int rc = start(conf, HUB_START_CHECK);
	if (rc != 0)
		return 1;
	memset(&in, 0, sizeof(in));
	in.level = "info";
	in.logger = "hubctl";
	in.kind = "test";
	in.message = "test report from hubctl report test";
	if (hub_sentry_send_now(&in, 3, id, err, sizeof(err)) != 0) {
		fprintf(stderr, "hubctl: report test: %s\n", err);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

static int dispatch(const char *conf, int argc, char **argv)
{
	const char *cmd = argv[0];
	int rc;

	if (strcmp(cmd, "user") == 0) {
		rc = start(conf, HUB_START_CTL);
		return rc ? rc : (hub_id_user_cmd(argc, argv) ? 1 : 0);
	}
	if (strcmp(cmd, "backup") == 0) {
		rc = start(conf, HUB_START_CHECK);
		return rc ? rc : hub_ops_backup_cmd(hub_data_dir(), argc, argv);
	}
	if (strcmp(cmd, "report") == 0 && argc == 2 &&
	    strcmp(argv[1], "test") == 0)
		return cmd_report_test(conf);
	if (strcmp(cmd, "copy-to-pg") == 0 && argc == 3 &&
	    strcmp(argv[1], "--from") == 0)
		return cmd_copy_to_pg(conf, argv[2]);
	if (strcmp(cmd, "import-json") == 0 && argc == 2)
		return cmd_import(conf, argv[1]);
	if (strcmp(cmd, "config") == 0 && argc == 2 &&
	    strcmp(argv[1], "check") == 0) {
		rc = start(conf, HUB_START_CHECK);
		if (rc == 0)
			printf("%s: configuration OK\n", conf);
		return rc;
	}
	fprintf(stderr, "hubctl: unknown command '%s' (see hubctl --help)\n",
		cmd);
	return 1;
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int i = 1, rc;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			conf = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("hubctl %s\n", HUB_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr,
				"hubctl: unknown option '%s' (see "
				"hubctl --help)\n",
				argv[i]);
			return 1;
		}
	}
	if (!conf || i >= argc) {
		fprintf(stderr, "hubctl: usage: hubctl -c FILE COMMAND ... "
				"(see hubctl --help)\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = dispatch(conf, argc - i, argv + i);
	hub_shutdown();
	curl_global_cleanup();
	return rc == 0 ? 0 : 1;
}
