/*
 * test_id_twofa.c - the whole 2FA life cycle through the handlers:
 * setup (password required, secret + otpauth URI + QR), enable with a
 * valid code (10 backup codes), sign-in needing the code (401
 * totp_required), a code refused when replayed in its window, the next
 * step's code accepted, backup codes single-use (also 8 threads racing for
 * one: exactly one wins), secrets and codes not readable in the database
 * files, disable (password + code), admin reset ending sessions, and
 * require_2fa sending a user without 2FA to setup.
 */
#define _GNU_SOURCE
#include "check.h"
#include "idtest.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_b32[64];
static unsigned char g_raw[64];
static size_t g_rawlen;
static char g_codes[10][16];

static void code_at(int64_t t, char out[16])
{
	id_totp_code(g_raw, g_rawlen, (uint64_t)t / 30, 6, out);
}

static int count_codes(const char *body)
{
	int n = 0;
	const char *p = strstr(body, "\"backup_codes\":[");
	if (!p)
		return -1;
	for (p += 16; *p && *p != ']'; p++)
		if (*p == '"')
			n++;
	return n / 2;
}

static void test_enable(void)
{
	idt_session s;
	idt_res r;
	char body[256], code[16], uri[256], svg[16];

	idt_user("anna", HUB_ROLE_STAFF, "anna-password-1");
	CHECK_INT(idt_login("anna", "anna-password-1", NULL, &s, &r), 200);
	/* setup needs the password (and CSRF) */
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/setup",
			   "{\"password\":\"wrong-password\"}", (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  403);
	const char *nocsrf[] = {s.cookie, NULL};
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/setup",
			   "{\"password\":\"anna-password-1\"}", (size_t)-1,
			   nocsrf, NULL, NULL, &r),
		  403);
	CHECK(strstr(r.body, "\"csrf\"") != NULL);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/setup",
			   "{\"password\":\"anna-password-1\"}", (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	CHECK(idt_json_str(r.body, "secret", g_b32, sizeof(g_b32)));
	CHECK(idt_json_str(r.body, "otpauth_uri", uri, sizeof(uri)));
	CHECK(strstr(uri, g_b32) != NULL);
	CHECK(strncmp(uri, "otpauth://totp/", 15) == 0);
	CHECK(idt_json_str(r.body, "qr_svg", svg, 5) && !strcmp(svg, "<svg"));
	CHECK_INT(id_base32_decode(g_b32, g_raw, sizeof(g_raw), &g_rawlen), 0);
	CHECK_INT(g_rawlen, 20);
	/* not active before enable: login needs no code yet */
	CHECK_INT(idt_int("SELECT totp_enabled FROM users WHERE username = "
			  "'anna'"),
		  0);
	/* a wrong code does not enable */
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/enable",
			   "{\"code\":\"000000\"}", (size_t)-1, s.hdrs, NULL,
			   NULL, &r),
		  422);
	code_at(idt_now_s, code);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/enable", body, (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	CHECK_INT(count_codes(r.body), 10);
	cJSON *root = cJSON_Parse(r.body);
	cJSON *arr = cJSON_GetObjectItem(root, "backup_codes");
	for (int i = 0; i < 10 && arr; i++)
		snprintf(g_codes[i], sizeof(g_codes[i]), "%s",
			 cJSON_GetArrayItem(arr, i)->valuestring);
	cJSON_Delete(root);
	CHECK_INT(strlen(g_codes[0]), 11);
	CHECK(strcmp(g_codes[0], g_codes[1]) != 0);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM auth_backup_codes"), 10);
	/* a second enable is refused */
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/enable", body, (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  409);
}

static void test_login_replay(void)
{
	idt_session s;
	idt_res r;
	char code[16], next[16];

	idt_now_s += 60; /* two steps after the enable */
	CHECK_INT(idt_login("anna", "anna-password-1", NULL, &s, &r), 401);
	CHECK(strstr(r.body, "\"totp_required\"") != NULL);
	CHECK_INT(idt_login("anna", "anna-password-1", "123456", &s, &r), 401);
	CHECK(strstr(r.body, "\"invalid_credentials\"") != NULL);
	code_at(idt_now_s, code);
	CHECK_INT(idt_login("anna", "wrong-password", code, &s, &r), 401);
	CHECK_INT(idt_login("anna", "anna-password-1", code, &s, &r), 200);
	/* the same code again, same window: refused */
	CHECK_INT(idt_login("anna", "anna-password-1", code, &s, &r), 401);
	CHECK(strstr(r.body, "\"invalid_credentials\"") != NULL);
	/* ... and still refused 29 s later (rest of its window) */
	idt_now_s += 29;
	CHECK_INT(idt_login("anna", "anna-password-1", code, &s, &r), 401);
	/* the next step's code works */
	idt_now_s += 30;
	code_at(idt_now_s, next);
	CHECK(strcmp(code, next) != 0);
	CHECK_INT(idt_login("anna", "anna-password-1", next, &s, &r), 200);
	/* clear the failures counted above */
	id_lock_clear(hub_store_db(), "acct", "anna");
	id_lock_clear(hub_store_db(), "addr", "192.0.2.1");
}

static void test_backup_codes(void)
{
	idt_session s;
	idt_res r;
	char upper[16];
	CHECK_INT(idt_login("anna", "anna-password-1", g_codes[0], &s, &r),
		  200);
	CHECK_INT(idt_login("anna", "anna-password-1", g_codes[0], &s, &r),
		  401);
	/* typed in upper case without the dash: same code */
	snprintf(upper, sizeof(upper), "%.5s%.5s", g_codes[1], g_codes[1] + 6);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	CHECK_INT(idt_login("anna", "anna-password-1", upper, &s, &r), 200);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM auth_backup_codes WHERE used "
			  "= 1"),
		  2);
	id_lock_clear(hub_store_db(), "acct", "anna");
	id_lock_clear(hub_store_db(), "addr", "192.0.2.1");
}

/* ------------------------------------------------ 8 threads, one code */

static int64_t g_anna_id;
static int g_wins[8];
static pthread_barrier_t g_bar;

static void *racer(void *arg)
{
	long i = (long)arg;
	hub_db *db = hub_store_db(); /* this thread's own connection */
	pthread_barrier_wait(&g_bar);
	g_wins[i] = id_2fa_use_backup(db, g_anna_id, g_codes[2]);
	return NULL;
}

static void test_race(void)
{
	pthread_t th[8];
	int wins = 0, errors = 0;
	g_anna_id = idt_int("SELECT id FROM users WHERE username = 'anna'");
	pthread_barrier_init(&g_bar, NULL, 8);
	for (long i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, racer, (void *)i);
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		wins += g_wins[i] == 1;
		errors += g_wins[i] < 0;
	}
	pthread_barrier_destroy(&g_bar);
	CHECK_INT(wins, 1);
	CHECK_INT(errors, 0);
	CHECK_INT(id_2fa_use_backup(hub_store_db(), g_anna_id, g_codes[2]), 0);
}

/* ----------------------------------------------- encryption at rest */

static int file_has(const char *path, const void *needle, size_t n)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;
	int found;
	if (!fp)
		return 0;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		fclose(fp);
		free(buf);
		return 0;
	}
	fclose(fp);
	found = memmem(buf, (size_t)len, needle, n) != NULL;
	free(buf);
	return found;
}

static void test_at_rest(void)
{
	char db[512], wal[512], norm[16];
	long long nblob;
	snprintf(db, sizeof(db), "%s/hub.db", idt_dir());
	snprintf(wal, sizeof(wal), "%s/hub.db-wal", idt_dir());
	nblob = idt_int("SELECT length(totp_secret) FROM users WHERE "
			"username = 'anna'");
	CHECK_INT(nblob, 1 + 12 + 20 + 16);
	/* the database files contain neither form of the secret ... */
	CHECK(!file_has(db, g_b32, strlen(g_b32)));
	CHECK(!file_has(wal, g_b32, strlen(g_b32)));
	CHECK(!file_has(db, g_raw, g_rawlen));
	CHECK(!file_has(wal, g_raw, g_rawlen));
	/* ... nor a backup code (the sanity check: the name is there) */
	id_backup_normalise(g_codes[5], norm, sizeof(norm));
	CHECK(!file_has(db, norm, strlen(norm)) &&
	      !file_has(wal, norm, strlen(norm)));
	CHECK(!file_has(db, g_codes[5], 11) && !file_has(wal, g_codes[5], 11));
	CHECK(file_has(db, "anna", 4) || file_has(wal, "anna", 4));
}

/* ----------------------------------------------------- disable, reset */

static void test_disable_reset(void)
{
	idt_session s, admin;
	idt_res r;
	char code[16], body[128];
	const char *p[] = {"name=anna", NULL};

	idt_now_s += 90;
	code_at(idt_now_s, code);
	CHECK_INT(idt_login("anna", "anna-password-1", code, &s, &r), 200);
	idt_now_s += 30;
	code_at(idt_now_s, code);
	snprintf(body, sizeof(body),
		 "{\"password\":\"wrong-password\",\"code\":\"%s\"}", code);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/disable", body,
			   (size_t)-1, s.hdrs, NULL, NULL, &r),
		  403);
	snprintf(body, sizeof(body),
		 "{\"password\":\"anna-password-1\",\"code\":\"000000\"}");
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/disable", body,
			   (size_t)-1, s.hdrs, NULL, NULL, &r),
		  403);
	snprintf(body, sizeof(body),
		 "{\"password\":\"anna-password-1\",\"code\":\"%s\"}", code);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/disable", body,
			   (size_t)-1, s.hdrs, NULL, NULL, &r),
		  200);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM users WHERE username = 'anna' "
			  "AND totp_enabled = 0 AND totp_secret IS NULL"),
		  1);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM auth_backup_codes"), 0);
	id_lock_clear(hub_store_db(), "acct", "anna");
	id_lock_clear(hub_store_db(), "addr", "192.0.2.1");

	/* enable again, then an admin resets it: sessions end */
	CHECK_INT(idt_login("anna", "anna-password-1", NULL, &s, &r), 200);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/setup",
			   "{\"password\":\"anna-password-1\"}", (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	CHECK(idt_json_str(r.body, "secret", g_b32, sizeof(g_b32)));
	id_base32_decode(g_b32, g_raw, sizeof(g_raw), &g_rawlen);
	idt_now_s += 30;
	code_at(idt_now_s, code);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/enable", body, (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	idt_user("boss", HUB_ROLE_ADMIN, "boss-password-1");
	CHECK_INT(idt_login("boss", "boss-password-1", NULL, &admin, &r), 200);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    200);
	CHECK_INT(idt_call("POST", "/api/v1/admin/users/{name}/totp-reset",
			   NULL, 0, admin.hdrs, p, NULL, &r),
		  200);
	CHECK(strstr(r.body, "\"totp_enabled\":false") != NULL);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    401);
	CHECK_INT(idt_int("SELECT COUNT(*) FROM audit_log WHERE action = "
			  "'totp.reset' AND actor = 'boss' AND target = "
			  "'anna'"),
		  1);
	/* no code needed any more */
	CHECK_INT(idt_login("anna", "anna-password-1", NULL, &s, &r), 200);
}

/* require_2fa: a user without 2FA gets a session only for setup. */
static void test_required(void)
{
	idt_session s;
	idt_res r;
	hub_user u;
	char csrf[65], flag[8], tok[80], cookie[120], code[16], body[64];
	g_idc.require_2fa = 1;
	CHECK_INT(idt_login("anna", "anna-password-1", NULL, &s, &r), 200);
	CHECK(idt_json_str(r.body, "user.must_setup_2fa", flag, sizeof(flag)));
	CHECK_STR(flag, "true");
	sscanf(s.cookie, "Cookie: %100s", cookie);
	/* the router refuses the session; the auth routes take it */
	CHECK_INT(hub_id_authenticate(cookie, NULL, &u, csrf),
		  HUB_AUTH_INVALID);
	CHECK_INT(
	    idt_call("GET", "/api/v1/auth/me", NULL, 0, s.hdrs, NULL, NULL, &r),
	    200);
	CHECK_INT(idt_call("GET", "/api/v1/admin/users", NULL, 0, s.hdrs, NULL,
			   NULL, &r),
		  401);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/setup",
			   "{\"password\":\"anna-password-1\"}", (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	CHECK(idt_json_str(r.body, "secret", g_b32, sizeof(g_b32)));
	id_base32_decode(g_b32, g_raw, sizeof(g_raw), &g_rawlen);
	idt_now_s += 30;
	code_at(idt_now_s, code);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/enable", body, (size_t)-1,
			   s.hdrs, NULL, NULL, &r),
		  200);
	/* now the same session is a full one */
	CHECK_INT(hub_id_authenticate(cookie, NULL, &u, csrf), HUB_AUTH_OK);
	CHECK_STR(u.username, "anna");
	(void)tok;
	/* and 2FA cannot be turned off while it is required */
	idt_now_s += 30;
	code_at(idt_now_s, code);
	snprintf(body, sizeof(body),
		 "{\"password\":\"anna-password-1\",\"code\":\"%s\"}", code);
	CHECK_INT(idt_call("POST", "/api/v1/auth/totp/disable", body,
			   (size_t)-1, s.hdrs, NULL, NULL, &r),
		  409);
	g_idc.require_2fa = 0;
}

/* A different secret key cannot start over sealed secrets. */
static void test_key_check(void)
{
	char err[256];
	CHECK_INT(id_keys_derive("another-secret-key-xyz", 22), 0);
	CHECK_INT(hub_id_migrate(err, sizeof(err)), -1);
	CHECK(strstr(err, "secret key") != NULL);
	CHECK_INT(id_keys_derive("test-secret-key-0123456789abcdef", 32), 0);
	CHECK_INT(hub_id_migrate(err, sizeof(err)), 0);
}

int main(void)
{
	idt_setup("2fa",
		  "[ratelimit]\nlogin = 1000/min\nlogin_account = 1000/min\n");
	test_enable();
	test_login_replay();
	test_backup_codes();
	test_race();
	test_at_rest();
	test_disable_reset();
	test_required();
	test_key_check();
	idt_teardown();
	return check_report("identity.twofa");
}
