/*
 * test_id_password.c - yescrypt hashing and verification, a "$2b$" hash
 * made by crypt(3) with bcrypt verifying and being re-hashed to yescrypt
 * at the next successful sign-in, foreign "hashes" (DES) never accepted,
 * the password policy (10 characters .. 256 bytes).
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_hash_verify(void)
{
	char h1[256], h2[256];
	CHECK_INT(id_pw_hash("correct horse battery", h1, sizeof(h1)), 0);
	CHECK_INT(id_pw_hash("correct horse battery", h2, sizeof(h2)), 0);
	CHECK(strncmp(h1, "$y$", 3) == 0);
	CHECK(strcmp(h1, h2) != 0); /* salted */
	CHECK(strstr(h1, "correct") == NULL);
	CHECK_INT(id_pw_verify("correct horse battery", h1), 1);
	CHECK_INT(id_pw_verify("correct horse batterY", h1), 0);
	CHECK_INT(id_pw_verify("", h1), 0);
	CHECK_INT(id_pw_needs_rehash(h1), 0);
	CHECK_INT(id_pw_hash("x", h1, 10), -1); /* output too small */
}

static void test_foreign(void)
{
	struct crypt_data cd;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *des;
	/* crypt() would run DES for an arbitrary "salt": never accepted */
	memset(&cd, 0, sizeof(cd));
	des = crypt_r("password", "ab", &cd);
	CHECK(des != NULL && des[0] != '$');
	CHECK_INT(id_pw_verify("password", des), 0);
	CHECK_INT(id_pw_verify("password", "password"), 0);
	CHECK_INT(id_pw_verify("x", ""), 0);
	CHECK_INT(id_pw_verify("x", NULL), 0);
	memset(&cd, 0, sizeof(cd));
	CHECK(crypt_gensalt_rn("$1$", 0, NULL, 0, setting, sizeof(setting)));
	des = crypt_r("password", setting, &cd); /* md5-crypt */
	CHECK(des && strncmp(des, "$1$", 3) == 0);
	CHECK_INT(id_pw_verify("password", des), 0);
	CHECK_INT(id_pw_is_hash("$1$abc"), 0);
}

static void test_policy(void)
{
	char big[300];
	CHECK(id_pw_policy("123456789") != NULL);
	CHECK(id_pw_policy("1234567890") == NULL);
	CHECK(id_pw_policy("äöüäöüäöüä") == NULL); /* 10 chars, 20 bytes */
	CHECK(id_pw_policy("äöüäöüäöü") != NULL);  /* 9 chars */
	memset(big, 'a', 256);
	big[256] = 0;
	CHECK(id_pw_policy(big) == NULL);
	big[256] = 'a';
	big[257] = 0;
	CHECK(id_pw_policy(big) != NULL);
	CHECK(id_pw_policy("abc\x01"
			   "defghijk") != NULL);
	CHECK(id_pw_policy("abc\xff\xfe"
			   "defghijk") != NULL);
	CHECK(id_pw_policy(NULL) != NULL);
}

/* A bcrypt hash made by crypt(3), as the old system stored them. */
static void test_bcrypt_rehash(void)
{
	struct crypt_data cd;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], hash[256], stored[256];
	const char *h;
	idt_session s;
	idt_res r;
	hub_stmt *st = NULL;
	int64_t id = 0;

	memset(&cd, 0, sizeof(cd));
	CHECK(crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof(setting)));
	h = crypt_r("old-system-pass", setting, &cd);
	CHECK(h && strncmp(h, "$2b$10$", 7) == 0);
	snprintf(hash, sizeof(hash), "%s", h);
	CHECK_INT(id_pw_verify("old-system-pass", hash), 1);
	CHECK_INT(id_pw_verify("old-system-pasS", hash), 0);
	CHECK_INT(id_pw_needs_rehash(hash), 1);

	CHECK_INT(id_user_insert(hub_store_db(), "legacy", HUB_ROLE_STAFF, hash,
				 0, 0, &id),
		  HUB_DB_OK);
	/* a wrong password keeps the old hash */
	CHECK_INT(idt_login("legacy", "wrong-password", NULL, &s, &r), 401);
	CHECK_INT(idt_login("legacy", "old-system-pass", NULL, &s, &r), 200);
	CHECK(hub_store_prepare(hub_store_db(),
				"SELECT password_hash FROM users WHERE "
				"username = 'legacy'",
				&st) == HUB_DB_OK &&
	      hub_stmt_step(st) == HUB_DB_ROW);
	snprintf(stored, sizeof(stored), "%s", hub_col_text(st, 0));
	hub_stmt_finalize(st);
	CHECK(strncmp(stored, "$y$", 3) == 0);
	CHECK_INT(id_pw_verify("old-system-pass", stored), 1);
	/* and the new hash works for the next sign-in */
	CHECK_INT(idt_login("legacy", "old-system-pass", NULL, &s, &r), 200);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE action = "
			  "'password.rehash'"),
		  1);
}

int main(void)
{
	idt_setup("pw", NULL);
	test_hash_verify();
	test_foreign();
	test_policy();
	test_bcrypt_rehash();
	idt_teardown();
	return check_report("identity.password");
}
