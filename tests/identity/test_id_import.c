/*
 * test_id_import.c - importing the old system's user_passwords.json and
 * user_2fa.json: bcrypt hashes kept and working (re-hashed at sign-in),
 * plaintext hashed (weak ones must be changed), 2FA secrets sealed and
 * working with TOTP codes, backup codes hashed and single-use, nothing in
 * clear in the database files, a second import changing nothing, and
 * "file:line: reason" errors that roll the whole import back; only exact
 * bcrypt/yescrypt hashes taken as hashes ("$ommer2019!" is a password),
 * damaged or foreign crypt hashes refused.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char g_fix[512];

typedef struct imp {
	const char *dir;
	char err[512];
	int rc;
} imp;

static int import_tx(hub_db *db, void *ud)
{
	imp *c = ud;
	c->rc = hub_id_import(db, c->dir, c->err, sizeof(c->err));
	return c->rc == 0 ? HUB_DB_OK : HUB_DB_ERROR;
}

/* Runs the import inside one transaction, as `hubctl import-json` does. */
static int run_import(const char *sub, char *err, size_t n)
{
	char dir[600];
	imp c;
	if (sub[0] == '/')
		snprintf(dir, sizeof(dir), "%s", sub);
	else
		snprintf(dir, sizeof(dir), "%s/%s", g_fix, sub);
	memset(&c, 0, sizeof(c));
	c.dir = dir;
	hub_store_transaction(hub_store_db(), import_tx, &c);
	snprintf(err, n, "%s", c.err);
	return c.rc;
}

static void snapshot(char *out, size_t n)
{
	hub_stmt *st = NULL;
	size_t o = 0;
	out[0] = 0;
	if (hub_store_prepare(hub_store_db(),
			      "SELECT username, role, password_hash, "
			      "must_change, totp_enabled, hex(totp_secret), "
			      "(SELECT COUNT(*) FROM auth_backup_codes b WHERE "
			      "b.user_id = users.id) FROM users ORDER BY id",
			      &st) != HUB_DB_OK)
		return;
	while (hub_stmt_step(st) == HUB_DB_ROW && o < n)
		o += (size_t)snprintf(
		    out + o, n - o, "%s|%s|%s|%lld|%lld|%s|%lld\n",
		    hub_col_text(st, 0), hub_col_text(st, 1),
		    hub_col_text(st, 2), (long long)hub_col_int(st, 3),
		    (long long)hub_col_int(st, 4), hub_col_text(st, 5),
		    (long long)hub_col_int(st, 6));
	hub_stmt_finalize(st);
}

static int file_has(const char *name, const char *needle)
{
	char path[600];
	FILE *fp;
	char *buf;
	long len;
	int found;
	snprintf(path, sizeof(path), "%s/%s", idt_dir(), name);
	if (!(fp = fopen(path, "rb")))
		return 0;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	found = buf && fread(buf, 1, (size_t)len, fp) == (size_t)len &&
		memmem(buf, (size_t)len, needle, strlen(needle)) != NULL;
	free(buf);
	fclose(fp);
	return found;
}

static void test_errors(void)
{
	char err[512];
	CHECK_INT(run_import("import-bad-json", err, sizeof(err)), -1);
	CHECK_STR(err, "user_passwords.json:4: invalid JSON");
	CHECK_INT(run_import("import-bad-entry", err, sizeof(err)), -1);
	CHECK_STR(err, "user_passwords.json:5: password of 'carl' must be a "
		       "non-empty string");
	/* the valid entries before it were rolled back with it */
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users"), 0);
	CHECK_INT(run_import("import-bad-2fa", err, sizeof(err)), -1);
	CHECK_STR(err, "user_2fa.json:2: secret must be base32 of at least 80 "
		       "bits");
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users"), 0);
	CHECK_INT(run_import("no-such-dir", err, sizeof(err)), 0);
}

static void test_import(void)
{
	char err[512], before[8192], after[8192], code[16];
	unsigned char raw[64];
	size_t n;
	idt_session s;
	idt_res r;

	CHECK_INT(run_import("import-ok", err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users"), 4);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username = "
			  "'anna' AND password_hash LIKE '$2b$10$%' AND "
			  "totp_enabled = 1 AND role = 'staff'"),
		  1);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username = "
			  "'admin' AND role = 'admin' AND password_hash LIKE "
			  "'$y$%' AND must_change = 0"),
		  1);
	/* "kurz" is below today's minimum: must be changed */
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username = 'bob' "
			  "AND password_hash LIKE '$y$%' AND must_change = 1 "
			  "AND totp_enabled = 0 AND totp_secret IS NULL"),
		  1);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM auth_backup_codes"), 3);
	CHECK(!file_has("hub.db", "Klartext-Passwort-99") &&
	      !file_has("hub.db-wal", "Klartext-Passwort-99"));
	CHECK(!file_has("hub.db", "JBSWY3DPEHPK3PXP") &&
	      !file_has("hub.db-wal", "JBSWY3DPEHPK3PXP"));
	CHECK(!file_has("hub.db", "a1b2c3d4") &&
	      !file_has("hub.db-wal", "a1b2c3d4") &&
	      !file_has("hub.db-wal", "A1B2C3D4"));

	/* idempotent */
	snapshot(before, sizeof(before));
	CHECK_INT(run_import("import-ok", err, sizeof(err)), 0);
	snapshot(after, sizeof(after));
	CHECK_STR(after, before);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE action = "
			  "'import.users'"),
		  3); /* the empty one in test_errors, and these two */

	/* they can sign in: bcrypt + imported TOTP */
	CHECK_INT(idt_login("anna", "Sommer-2023-alt", NULL, &s, &r), 401);
	CHECK(strstr(r.body, "totp_required") != NULL);
	CHECK_INT(id_base32_decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", raw,
				   sizeof(raw), &n),
		  0);
	id_totp_code(raw, n, (uint64_t)idt_now_s / 30, 6, code);
	CHECK_INT(idt_login("anna", "Sommer-2023-alt", code, &s, &r), 200);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username = "
			  "'anna' AND password_hash LIKE '$y$%'"),
		  1);
	/* an imported backup code, typed differently, works once */
	idt_now_s += 30;
	CHECK_INT(idt_login("anna", "Sommer-2023-alt", "a1b2-c3d4", &s, &r),
		  200);
	CHECK_INT(idt_login("anna", "Sommer-2023-alt", "A1B2C3D4", &s, &r),
		  401);
	CHECK_INT(idt_login("bob", "kurz", NULL, &s, &r), 200);
	CHECK(strstr(r.body, "\"must_change_password\":true") != NULL);
	CHECK_INT(
	    idt_login("Jürgen Müller", "Klartext-Passwort-99", NULL, &s, &r),
	    200);
	CHECK_INT(
	    idt_login("jürgen müller", "Klartext-Passwort-99", NULL, &s, &r),
	    200);
	CHECK_INT(idt_login("admin", "Klartext-Admin-Passwort", NULL, &s, &r),
		  200);
	CHECK(strstr(r.body, "\"role\":\"admin\"") != NULL);
}

/* Writes `json` as <scratch>/<sub>/user_passwords.json; the directory
 * into dir. */
static void write_passwords(const char *sub, const char *json, char *dir,
			    size_t n)
{
	char path[700];
	FILE *fp;
	snprintf(dir, n, "%s/%s", idt_dir(), sub);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/user_passwords.json", dir);
	fp = fopen(path, "w");
	if (!fp || fputs(json, fp) < 0) {
		perror(path);
		exit(2);
	}
	fclose(fp);
}

static void test_dollar_passwords(void)
{
	static const char bcrypt_anna[] =
	    "$2b$10$m8WPCj1Otcb36mLlo3BXR.OEo5uVPuQqpSoakarU0nDy9i3.KbsWa";
	char yes[256], json[2048], dir[600], err[512], sql[512];
	idt_session s;
	idt_res r;
	CHECK_INT(id_pw_hash("yescrypt-pass-1", yes, sizeof(yes)), 0);
	snprintf(json, sizeof(json),
		 "{\n"
		 "  \"sommer\": \"$ommer2019!\",\n"
		 "  \"cash\": \"$$ money $$ 2020\",\n"
		 "  \"bea\": \"%s\",\n"
		 "  \"yuri\": \"%s\"\n"
		 "}\n",
		 bcrypt_anna, yes);
	write_passwords("dollar", json, dir, sizeof(dir));
	CHECK_INT(run_import(dir, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* exact hashes kept as they are ... */
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM users WHERE username = 'bea' AND "
		 "password_hash = '%s'",
		 bcrypt_anna);
	CHECK_INT(idt_int(sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM users WHERE username = 'yuri' AND "
		 "password_hash = '%s'",
		 yes);
	CHECK_INT(idt_int(sql), 1);
	/* ... everything else hashed as the password it is */
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username IN "
			  "('sommer', 'cash') AND password_hash LIKE '$y$%' "
			  "AND must_change = 0"),
		  2);
	CHECK_INT(idt_login("sommer", "$ommer2019!", NULL, &s, &r), 200);
	CHECK_INT(idt_login("cash", "$$ money $$ 2020", NULL, &s, &r), 200);
	CHECK_INT(idt_login("bea", "Sommer-2023-alt", NULL, &s, &r), 200);
	CHECK_INT(idt_login("yuri", "yescrypt-pass-1", NULL, &s, &r), 200);
}

/* A damaged or foreign crypt hash is an error naming the line, never a
 * password (its text would otherwise open the account). */
static void test_bad_hashes(void)
{
	static const char *const bad[] = {
	    /* bcrypt one character short, bad cost, bad alphabet */
	    "$2b$10$m8WPCj1Otcb36mLlo3BXR.OEo5uVPuQqpSoakarU0nDy9i3.KbsW",
	    "$2b$99$m8WPCj1Otcb36mLlo3BXR.OEo5uVPuQqpSoakarU0nDy9i3.KbsWa",
	    "$2b$10$m8WPCj1Otcb36mLlo3BXR.OEo5uVPuQqpSoakarU0nDy9i3.Kbs!a",
	    "$y$j9T$short",
	    "$6$saltsalt$abcdefghijklmnop",
	    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"};
	char json[512], dir[600], err[512], want[128], sub[32];
	long long users = idt_int("SELECT COUNT(*) FROM users");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json),
			 "{\n  \"okay\": \"fine-password-1\",\n"
			 "  \"broken\": \"%s\"\n}\n",
			 bad[i]);
		snprintf(sub, sizeof(sub), "badhash%zu", i);
		write_passwords(sub, json, dir, sizeof(dir));
		CHECK_INT(run_import(dir, err, sizeof(err)), -1);
		snprintf(want, sizeof(want),
			 "user_passwords.json:3: 'broken': unsupported or "
			 "malformed password hash");
		CHECK_STR(err, want);
	}
	/* rolled back whole */
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users"), users);
}

int main(void)
{
	snprintf(g_fix, sizeof(g_fix), "%s", HUB_ID_FIXTURES);
	idt_setup("import",
		  "[ratelimit]\nlogin = 1000/min\nlogin_account = 1000/min\n");
	test_errors();
	test_import();
	test_dollar_passwords();
	test_bad_hashes();
	idt_teardown();
	return check_report("identity.import");
}
