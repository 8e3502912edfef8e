/*
 * id_users.c - the users table: names, roles, password hashes, flags, and
 * the first-start admin.
 *
 * A username is looked up by its key (ASCII lower case), so "Anna" and
 * "anna" are one account; the name is shown as it was created.
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"
#include "hub_kit.h"

#include <mbedtls/platform_util.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ================================================================ roles */

const char *id_role_name(int role)
{
	switch (role) {
	case HUB_ROLE_ADMIN:
		return "admin";
	case HUB_ROLE_STAFF:
		return "staff";
	case HUB_ROLE_CONSULTANT:
		return "consultant";
	default:
		return "none";
	}
}

int id_role_parse(const char *s)
{
	if (!s)
		return HUB_ROLE_NONE;
	if (strcmp(s, "admin") == 0)
		return HUB_ROLE_ADMIN;
	if (strcmp(s, "staff") == 0)
		return HUB_ROLE_STAFF;
	if (strcmp(s, "consultant") == 0)
		return HUB_ROLE_CONSULTANT;
	return HUB_ROLE_NONE;
}

int id_username_key(const char *name, char *key, size_t keylen)
{
	size_t n;
	if (!name)
		return -1;
	n = strlen(name);
	if (n == 0 || n >= 64 || n >= keylen || !hubkit_utf8_valid(name, n))
		return -1;
	if (name[0] == ' ' || name[n - 1] == ' ')
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == ':' || c == '/')
			return -1;
		key[i] = (char)tolower(c);
	}
	key[n] = 0;
	return 0;
}

/* ================================================================= rows */

/* by name and by id: the row, then the chosen language (column 11) */
#define USER_COLS ID_USER_COLS ", language"

void id_user_read_row(hub_stmt *st, id_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = hub_col_int(st, 0);
	snprintf(u->username, sizeof(u->username), "%s", hub_col_text(st, 1));
	u->role = id_role_parse(hub_col_text(st, 2));
	u->disabled = hub_col_int(st, 3) != 0;
	u->consultant_id = hub_col_int(st, 4);
	u->must_change = hub_col_int(st, 5) != 0;
	u->must_setup_2fa = hub_col_int(st, 6) != 0;
	u->totp_enabled = hub_col_int(st, 7) != 0;
	u->created_at = hub_col_int(st, 8);
	u->last_login_at = hub_col_int(st, 9);
	snprintf(u->pw_hash, sizeof(u->pw_hash), "%s", hub_col_text(st, 10));
}

void id_user_read_language(hub_stmt *st, int col, id_user *u)
{
	const char *l = hub_col_text(st, col);
	snprintf(u->language, sizeof(u->language), "%s",
		 l && id_language_ok(l) ? l : "");
}

int id_language_ok(const char *l)
{
	return !strcmp(l, "de") || !strcmp(l, "en");
}

int id_user_set_language(hub_db *db, int64_t id, const char *language)
{
	return id_sql(db,
		      "UPDATE users SET language = ?, updated_at = ? "
		      "WHERE id = ?",
		      HUBKIT_ARGS(HUBKIT_TEXT(language), HUBKIT_INT(id_now()),
				  HUBKIT_INT(id)));
}

static int one_row(hub_stmt *st, id_user *u)
{
	int rc = hub_stmt_step(st);
	if (rc == HUB_DB_ROW) {
		id_user_read_row(st, u);
		id_user_read_language(st, 11, u);
		rc = HUB_DB_OK;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_ENOTFOUND;
	}
	hub_stmt_finalize(st);
	return rc;
}

int id_user_by_name(hub_db *db, const char *name, id_user *u)
{
	char key[64];
	hub_stmt *st = NULL;
	int rc;
	if (id_username_key(name, key, sizeof(key)) != 0)
		return HUB_DB_ENOTFOUND;
	rc = hubkit_prepare(&id_sql_ops, db,
			    "SELECT " USER_COLS
			    " FROM users WHERE username_key = ?",
			    HUBKIT_ARGS(HUBKIT_TEXT(key)), &st);
	return rc == HUB_DB_OK ? one_row(st, u) : rc;
}

int id_user_by_id(hub_db *db, int64_t id, id_user *u)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(&id_sql_ops, db,
				"SELECT " USER_COLS " FROM users WHERE id = ?",
				HUBKIT_ARGS(HUBKIT_INT(id)), &st);
	return rc == HUB_DB_OK ? one_row(st, u) : rc;
}

int hub_id_user_get(int64_t id, hub_user *out)
{
	hub_db *db = hub_store_db();
	id_user u;
	memset(out, 0, sizeof(*out));
	if (!db || id_user_by_id(db, id, &u) != HUB_DB_OK || u.disabled)
		return -1;
	out->id = u.id;
	snprintf(out->username, sizeof(out->username), "%s", u.username);
	out->role = u.role;
	out->consultant_id = u.consultant_id;
	return 0;
}

#define INSERT_USER                                                            \
	"INSERT INTO users (username, username_key, role, password_hash, "     \
	"must_change, consultant_id, created_at, updated_at) VALUES (?, ?, "   \
	"?, ?, ?, "

int id_user_insert(hub_db *db, const char *name, int role, const char *pw_hash,
		   int must_change, int64_t consultant_id, int64_t *id_out)
{
	char key[64];
	int64_t now = id_now();
	int rc;
	if (id_username_key(name, key, sizeof(key)) != 0 ||
	    role == HUB_ROLE_NONE)
		return HUB_DB_EMISUSE;
	if (consultant_id > 0)
		rc = id_sql(db, INSERT_USER "?, ?, ?)",
			    HUBKIT_ARGS(HUBKIT_TEXT(name), HUBKIT_TEXT(key),
					HUBKIT_TEXT(id_role_name(role)),
					HUBKIT_TEXT(pw_hash),
					HUBKIT_INT((int64_t)(must_change != 0)),
					HUBKIT_INT(consultant_id),
					HUBKIT_INT(now), HUBKIT_INT(now)));
	else
		rc = id_sql(db, INSERT_USER "NULL, ?, ?)",
			    HUBKIT_ARGS(HUBKIT_TEXT(name), HUBKIT_TEXT(key),
					HUBKIT_TEXT(id_role_name(role)),
					HUBKIT_TEXT(pw_hash),
					HUBKIT_INT((int64_t)(must_change != 0)),
					HUBKIT_INT(now), HUBKIT_INT(now)));
	if (rc == HUB_DB_OK && id_out)
		*id_out = hub_store_last_id(db);
	return rc;
}

int id_user_set_hash(hub_db *db, int64_t id, const char *hash, int must_change)
{
	return id_sql(db,
		      "UPDATE users SET password_hash = ?, must_change = ?, "
		      "updated_at = ? WHERE id = ?",
		      HUBKIT_ARGS(HUBKIT_TEXT(hash),
				  HUBKIT_INT((int64_t)(must_change != 0)),
				  HUBKIT_INT(id_now()), HUBKIT_INT(id)));
}

int id_user_count(hub_db *db, int64_t *n)
{
	return id_sql_int(db, n, "SELECT COUNT(*) FROM users", NULL, 0);
}

int id_admins_other(hub_db *db, int64_t except_id, int64_t *n)
{
	return id_sql_int(db, n,
			  "SELECT COUNT(*) FROM users WHERE role = 'admin' "
			  "AND disabled = 0 AND id <> ?",
			  HUBKIT_ARGS(HUBKIT_INT(except_id)));
}

int id_admin_guard(hub_db *db, int64_t id)
{
	int64_t exists = 0, enabled_admin = 0, others = 0;
	int rc =
	    id_sql_int(db, &exists, "SELECT COUNT(*) FROM users WHERE id = ?",
		       HUBKIT_ARGS(HUBKIT_INT(id)));
	if (rc == HUB_DB_OK && exists == 0)
		rc = HUB_DB_ENOTFOUND;
	if (rc == HUB_DB_OK)
		rc = id_sql_int(db, &enabled_admin,
				"SELECT COUNT(*) FROM users WHERE id = ? AND "
				"role = 'admin' AND disabled = 0",
				HUBKIT_ARGS(HUBKIT_INT(id)));
	if (rc == HUB_DB_OK && enabled_admin > 0)
		rc = id_admins_other(db, id, &others);
	if (rc == HUB_DB_OK && enabled_admin > 0 && others == 0)
		rc = ID_RC_LAST_ADMIN;
	return rc;
}

int id_user_needs_2fa_setup(const id_user *u)
{
	return !u->totp_enabled && (g_idc.require_2fa || u->must_setup_2fa);
}

/* ====================================================== first start */

/* Readable one-time passwords: no 0/O, 1/l/I. 20 characters ~ 115 bits. */
static const char otp_alphabet[] =
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

typedef struct boot {
	const char *hash;
	int created;
} boot;

static int boot_tx(hub_db *db, void *ud)
{
	boot *b = ud;
	int64_t n = 0;
	int rc = id_user_count(db, &n);
	if (rc != HUB_DB_OK || n > 0)
		return rc;
	rc = id_user_insert(db, "admin", HUB_ROLE_ADMIN, b->hash, 1, 0, NULL);
	if (rc == HUB_DB_OK)
		rc = hub_id_audit(db, "system", NULL, NULL, "user.create",
				  "admin",
				  "first start: admin with one-time password");
	b->created = rc == HUB_DB_OK;
	return rc;
}

/* Creates "admin" with a random one-time password when the users table is
 * empty and prints the password once to stdout. Returns 0 (also when users
 * exist) or -1. */
int hub_id_bootstrap_admin(void)
{
	hub_db *db = hub_store_db();
	char pw[21], hash[256];
	boot b = {hash, 0};
	int64_t n = 0;
	int rc;
	if (!db || id_user_count(db, &n) != HUB_DB_OK)
		return -1;
	if (n > 0)
		return 0;
	if (id_random_chars(otp_alphabet, 20, pw) != 0 ||
	    id_pw_hash(pw, hash, sizeof(hash)) != 0)
		return -1;
	rc = hub_store_transaction(db, boot_tx, &b);
	if (rc == HUB_DB_OK && b.created) {
		printf("hubd: created user 'admin' with the one-time password "
		       "%s (shown only now; it must be changed at the first "
		       "sign-in)\n",
		       pw);
		fflush(stdout);
	}
	mbedtls_platform_zeroize(pw, sizeof(pw));
	mbedtls_platform_zeroize(hash, sizeof(hash));
	return rc == HUB_DB_OK ? 0 : -1;
}
