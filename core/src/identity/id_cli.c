/*
 * id_cli.c - `hubctl user ...`: add, list, passwd, role, disable, enable,
 * totp-reset, unlock (docs/API.md "The programs"). Passwords come from stdin
 * (one line; echo is turned off when stdin is a terminal). Exit code 0 on
 * success, 1 after exactly one line on stderr. Every change is audited
 * with the actor "hubctl:<login name>".
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"

#include <mbedtls/platform_util.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* "hubctl:<login name>", per thread (tests run commands concurrently) */
static __thread char g_actor[96];

static int fail(const char *fmt, ...) HUB_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hubctl: user: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Reads one line from stdin into buf (without the line end). Returns 0 or
 * -1 when there is none or it is too long. */
static int read_password(char *buf, size_t len)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), rc = -1;
	size_t n;
	if (tty) {
		fprintf(stderr, "Password: ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)len, stdin)) {
		n = strlen(buf);
		if (n > 0 && buf[n - 1] == '\n') {
			buf[--n] = 0;
			if (n > 0 && buf[n - 1] == '\r')
				buf[--n] = 0;
			rc = 0;
		} else if (feof(stdin)) {
			rc = 0; /* last line without a newline */
		}
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return rc;
}

static int find_user(hub_db *db, const char *name, id_user *u)
{
	int rc = id_user_by_name(db, name, u);
	if (rc == HUB_DB_ENOTFOUND)
		return fail("no such user '%s'", name);
	if (rc != HUB_DB_OK)
		return fail("storage error: %s", hub_store_errmsg(db));
	return 0;
}

/* ============================================================ commands */

static int cmd_add(hub_db *db, const char *name, const char *role_s)
{
	char pw[1024], hash[256], key[64];
	const char *why;
	int role = id_role_parse(role_s), rc;
	if (id_username_key(name, key, sizeof(key)) != 0)
		return fail("'%s' is not a valid user name", name);
	if (role == HUB_ROLE_NONE)
		return fail("role must be admin, staff or consultant, not "
			    "'%s'",
			    role_s);
	if (read_password(pw, sizeof(pw)) != 0)
		return fail("no password on stdin");
	if ((why = id_pw_policy(pw)) != NULL) {
		mbedtls_platform_zeroize(pw, sizeof(pw));
		return fail("password %s", why);
	}
	rc = id_pw_hash(pw, hash, sizeof(hash));
	mbedtls_platform_zeroize(pw, sizeof(pw));
	if (rc != 0)
		return fail("cannot hash the password");
	rc = id_user_insert(db, name, role, hash, 0, 0, NULL);
	mbedtls_platform_zeroize(hash, sizeof(hash));
	if (rc == HUB_DB_ECONSTRAINT)
		return fail("user '%s' exists", name);
	if (rc != HUB_DB_OK)
		return fail("storage error: %s", hub_store_errmsg(db));
	hub_id_audit(db, g_actor, NULL, NULL, "user.create", name, role_s);
	return 0;
}

static int cmd_list(hub_db *db)
{
	hub_stmt *st = NULL;
	int64_t now = id_now();
	int rc =
	    hubkit_prepare(&id_sql_ops, db,
			   "SELECT " ID_USER_COLS ", f.locked_until FROM users "
			   "LEFT JOIN auth_failures f ON f.kind = 'acct' AND "
			   "f.key = users.username_key ORDER BY "
			   "users.username_key",
			   NULL, 0, &st);
	while (rc == HUB_DB_OK && (rc = hub_stmt_step(st)) == HUB_DB_ROW) {
		id_user u;
		id_user_read_row(st, &u);
		printf("%s\t%s\t%s%s%s%s\n", u.username, id_role_name(u.role),
		       u.disabled ? "disabled" : "active",
		       u.totp_enabled ? ",2fa" : "",
		       u.must_change ? ",must-change-password" : "",
		       hub_col_int(st, 11) > now ? ",locked" : "");
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	if (rc != HUB_DB_DONE)
		return fail("storage error: %s", hub_store_errmsg(db));
	return 0;
}

static int cmd_passwd(hub_db *db, const char *name)
{
	char pw[1024];
	const char *why;
	id_user u;
	int rc;
	if (find_user(db, name, &u) != 0)
		return 1;
	if (read_password(pw, sizeof(pw)) != 0)
		return fail("no password on stdin");
	if ((why = id_pw_policy(pw)) != NULL) {
		mbedtls_platform_zeroize(pw, sizeof(pw));
		return fail("password %s", why);
	}
	rc = id_user_change_password(db, u.id, pw, 0);
	mbedtls_platform_zeroize(pw, sizeof(pw));
	if (rc != HUB_DB_OK)
		return fail("storage error: %s", hub_store_errmsg(db));
	hub_id_audit(db, g_actor, NULL, NULL, "password.set", u.username,
		     "sessions ended");
	return 0;
}

typedef struct upd_ctx {
	int64_t id;
	const char *sql; /* one UPDATE with parameters (text or int, id) */
	const char *text;
	int64_t num;
	int guard; /* demotes or disables: the last-admin rule applies */
} upd_ctx;

static int upd_tx(hub_db *db, void *ud)
{
	upd_ctx *c = ud;
	/* inside the write transaction, so concurrent changes serialise */
	int rc = c->guard ? id_admin_guard(db, c->id) : HUB_DB_OK;
	if (rc == HUB_DB_OK)
		rc = c->text ? id_sql(db, c->sql,
				      HUBKIT_ARGS(HUBKIT_TEXT(c->text),
						  HUBKIT_INT(c->id)))
			     : id_sql(db, c->sql,
				      HUBKIT_ARGS(HUBKIT_INT(c->num),
						  HUBKIT_INT(c->id)));
	if (rc == HUB_DB_OK)
		rc = id_sessions_end_user(db, c->id);
	return rc;
}

/* Runs upd_tx; reports a refusal or an error. Returns 0 or 1. */
static int update(hub_db *db, const id_user *u, upd_ctx *c)
{
	int rc;
	c->id = u->id;
	rc = hub_store_transaction(db, upd_tx, c);
	if (rc == ID_RC_LAST_ADMIN)
		return fail("'%s' is the last enabled admin", u->username);
	if (rc == HUB_DB_ENOTFOUND)
		return fail("no such user '%s'", u->username);
	if (rc != HUB_DB_OK)
		return fail("storage error: %s", hub_store_errmsg(db));
	return 0;
}

static int cmd_role(hub_db *db, const char *name, const char *role_s)
{
	int role = id_role_parse(role_s);
	upd_ctx c = {0, "UPDATE users SET role = ? WHERE id = ?", role_s, 0,
		     role != HUB_ROLE_ADMIN};
	id_user u;
	if (role == HUB_ROLE_NONE)
		return fail("role must be admin, staff or consultant, not "
			    "'%s'",
			    role_s);
	if (find_user(db, name, &u) != 0 || update(db, &u, &c) != 0)
		return 1;
	hub_id_audit(db, g_actor, NULL, NULL, "user.update", u.username,
		     role_s);
	return 0;
}

static int cmd_disable(hub_db *db, const char *name, int disable)
{
	upd_ctx c = {0, "UPDATE users SET disabled = ? WHERE id = ?", NULL,
		     disable, disable};
	id_user u;
	if (find_user(db, name, &u) != 0 || update(db, &u, &c) != 0)
		return 1;
	hub_id_audit(db, g_actor, NULL, NULL, "user.update", u.username,
		     disable ? "disabled; sessions ended" : "enabled");
	return 0;
}

static int reset_tx(hub_db *db, void *ud)
{
	int64_t id = *(int64_t *)ud;
	int rc = id_2fa_clear(db, id);
	if (rc == HUB_DB_OK)
		rc = id_sessions_end_user(db, id);
	return rc;
}

static int cmd_totp_reset(hub_db *db, const char *name)
{
	id_user u;
	if (find_user(db, name, &u) != 0)
		return 1;
	if (hub_store_transaction(db, reset_tx, &u.id) != HUB_DB_OK)
		return fail("storage error: %s", hub_store_errmsg(db));
	hub_id_audit(db, g_actor, NULL, NULL, "totp.reset", u.username,
		     "2FA and backup codes removed; sessions ended");
	return 0;
}

static int cmd_unlock(hub_db *db, const char *name)
{
	char key[64];
	id_user u;
	if (find_user(db, name, &u) != 0)
		return 1;
	id_username_key(u.username, key, sizeof(key));
	if (id_lock_clear(db, "acct", key) != HUB_DB_OK)
		return fail("storage error: %s", hub_store_errmsg(db));
	hub_id_audit(db, g_actor, NULL, NULL, "user.unlock", u.username, NULL);
	return 0;
}

/* ============================================================ dispatch */

int hub_id_user_cmd(int argc, char **argv)
{
	const char *who = getenv("SUDO_USER");
	const char *sub;
	hub_db *db;
	if (!who || !*who)
		who = getenv("USER");
	snprintf(g_actor, sizeof(g_actor), "hubctl:%.80s",
		 who && *who ? who : "unknown");
	if (argc > 0 && strcmp(argv[0], "user") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1)
		return fail("missing command (add, list, passwd, role, "
			    "disable, enable, totp-reset, unlock)");
	sub = argv[0];
	if (!(db = hub_store_db()) || !g_idk.ready)
		return fail("storage or identity not initialised");
	if (strcmp(sub, "list") == 0 && argc == 1)
		return cmd_list(db);
	if (strcmp(sub, "add") == 0 && argc == 4 &&
	    strcmp(argv[2], "--role") == 0)
		return cmd_add(db, argv[1], argv[3]);
	if (strcmp(sub, "add") == 0 && argc == 4 &&
	    strcmp(argv[1], "--role") == 0)
		return cmd_add(db, argv[3], argv[2]);
	if (strcmp(sub, "passwd") == 0 && argc == 2)
		return cmd_passwd(db, argv[1]);
	if (strcmp(sub, "role") == 0 && argc == 3)
		return cmd_role(db, argv[1], argv[2]);
	if (strcmp(sub, "disable") == 0 && argc == 2)
		return cmd_disable(db, argv[1], 1);
	if (strcmp(sub, "enable") == 0 && argc == 2)
		return cmd_disable(db, argv[1], 0);
	if (strcmp(sub, "totp-reset") == 0 && argc == 2)
		return cmd_totp_reset(db, argv[1]);
	if (strcmp(sub, "unlock") == 0 && argc == 2)
		return cmd_unlock(db, argv[1]);
	return fail("usage: user add NAME --role ROLE | list | passwd NAME | "
		    "role NAME ROLE | disable NAME | enable NAME | totp-reset "
		    "NAME | unlock NAME");
}
