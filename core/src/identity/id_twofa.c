/*
 * id_twofa.c - two-factor state of a user: the pending and the active
 * TOTP secret (AES-256-GCM sealed, bound to the user id), replay
 * protection and the single-use backup codes.
 *
 * Replay: users.totp_last_step holds the last accepted time step; a code
 * is accepted only for a later step, and the step is advanced with
 * "UPDATE ... WHERE totp_last_step < ?", so of two concurrent uses of one
 * code exactly one wins. Backup codes are stored as HMAC-SHA256 under a
 * derived key (a 50-bit code's plain hash could be brute-forced from a
 * stolen database) and consumed with one "UPDATE ... WHERE used = 0".
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"

#include <mbedtls/platform_util.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char backup_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

void id_2fa_aad(int64_t user_id, char out[48])
{
	snprintf(out, 48, "hub-totp-secret:user:%lld", (long long)user_id);
}

int id_2fa_store_secret(hub_db *db, int64_t user_id,
			const unsigned char *secret, size_t n, int enabled)
{
	char aad[48];
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	int rc;
	id_2fa_aad(user_id, aad);
	if (id_seal(secret, n, aad, &blob, &bloblen) != 0)
		return HUB_DB_ERROR;
	if (enabled)
		rc = id_sql(db,
			    "UPDATE users SET totp_secret = ?, totp_pending = "
			    "NULL, totp_enabled = 1, totp_last_step = 0, "
			    "updated_at = ? WHERE id = ?",
			    HUBKIT_ARGS(HUBKIT_BLOB(blob, bloblen),
					HUBKIT_INT(id_now()),
					HUBKIT_INT(user_id)));
	else
		rc = id_sql(db,
			    "UPDATE users SET totp_pending = ?, updated_at = ? "
			    "WHERE id = ?",
			    HUBKIT_ARGS(HUBKIT_BLOB(blob, bloblen),
					HUBKIT_INT(id_now()),
					HUBKIT_INT(user_id)));
	free(blob);
	return rc;
}

/* Loads and decrypts the active (col "totp_secret") or pending secret.
 * Returns HUB_DB_OK with *out owned (zero and free), HUB_DB_ENOTFOUND
 * when there is none, or an error. *last_step gets totp_last_step. */
static int load_secret(hub_db *db, int64_t user_id, int pending,
		       unsigned char **out, size_t *n, int64_t *last_step)
{
	char aad[48];
	hub_stmt *st = NULL;
	const void *blob;
	size_t bloblen = 0;
	int rc =
	    hubkit_prepare(&id_sql_ops, db,
			   pending ? "SELECT totp_pending, totp_last_step "
				     "FROM users WHERE id = ?"
				   : "SELECT totp_secret, totp_last_step FROM "
				     "users WHERE id = ? AND totp_enabled = 1",
			   HUBKIT_ARGS(HUBKIT_INT(user_id)), &st);
	*out = NULL;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	if (rc == HUB_DB_ROW) {
		blob = hub_col_blob(st, 0, &bloblen);
		*last_step = hub_col_int(st, 1);
		id_2fa_aad(user_id, aad);
		if (!blob || bloblen == 0)
			rc = HUB_DB_ENOTFOUND;
		else if (id_open(blob, bloblen, aad, out, n) != 0)
			rc = HUB_DB_ERROR;
		else
			rc = HUB_DB_OK;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_ENOTFOUND;
	}
	hub_stmt_finalize(st);
	return rc;
}

static void free_secret(unsigned char *s, size_t n)
{
	if (s) {
		mbedtls_platform_zeroize(s, n);
		free(s);
	}
}

/* ================================================================ setup */

int id_2fa_setup(hub_db *db, const id_user *u, char b32[64])
{
	unsigned char secret[ID_TOTP_SECRET_BYTES];
	int rc = HUB_DB_ERROR;
	if (hub_random(secret, sizeof(secret)) == 0 &&
	    id_base32_encode(secret, sizeof(secret), b32, 64) == 0)
		rc = id_2fa_store_secret(db, u->id, secret, sizeof(secret), 0);
	mbedtls_platform_zeroize(secret, sizeof(secret));
	return rc;
}

/* ============================================================ backup codes */

int id_backup_normalise(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = in; *p; p++) {
		int c = tolower((unsigned char)*p);
		if (c == '-' || c == ' ')
			continue;
		if (!isalnum(c) || o + 1 >= outlen)
			return -1;
		if (c == 'o')
			c = '0';
		else if (c == 'i' || c == 'l')
			c = '1';
		out[o++] = (char)c;
	}
	out[o] = 0;
	return o >= 6 ? 0 : -1;
}

int id_backup_store(hub_db *db, int64_t user_id, const char *norm, int used)
{
	char h[65];
	id_hmac_hex(g_idk.backup, norm, strlen(norm), h);
	return id_sql(
	    db,
	    "INSERT INTO auth_backup_codes (user_id, code_hash, used) "
	    "VALUES (?, ?, ?) ON CONFLICT (user_id, code_hash) DO "
	    "NOTHING",
	    HUBKIT_ARGS(HUBKIT_INT(user_id), HUBKIT_TEXT(h),
			HUBKIT_INT((int64_t)(used != 0))));
}

typedef struct use_ctx {
	int64_t user_id;
	const char *hash;
	int won;
} use_ctx;

static int use_tx(hub_db *db, void *ud)
{
	use_ctx *c = ud;
	int rc =
	    id_sql(db,
		   "UPDATE auth_backup_codes SET used = 1, used_at = ? "
		   "WHERE user_id = ? AND code_hash = ? AND used = 0",
		   HUBKIT_ARGS(HUBKIT_INT(id_now()), HUBKIT_INT(c->user_id),
			       HUBKIT_TEXT(c->hash)));
	c->won = rc == HUB_DB_OK && hub_store_changes(db) == 1;
	return rc;
}

int id_2fa_use_backup(hub_db *db, int64_t user_id, const char *code)
{
	char norm[72], h[65];
	use_ctx c = {user_id, h, 0};
	int rc;
	if (strlen(code) > 64 || id_backup_normalise(code, norm, sizeof(norm)))
		return 0;
	id_hmac_hex(g_idk.backup, norm, strlen(norm), h);
	rc = hub_store_transaction(db, use_tx, &c);
	if (rc != HUB_DB_OK)
		return rc < 0 ? rc : HUB_DB_ERROR;
	return c.won;
}

/* =============================================================== enable */

typedef struct enable_ctx {
	int64_t user_id;
	uint64_t step;
	char (*codes)[12];
	int done;
} enable_ctx;

static int enable_tx(hub_db *db, void *ud)
{
	enable_ctx *c = ud;
	char norm[16];
	int rc =
	    id_sql(db,
		   "UPDATE users SET totp_secret = totp_pending, "
		   "totp_pending = NULL, totp_enabled = 1, "
		   "totp_last_step = ?, must_setup_2fa = 0, updated_at = ? "
		   "WHERE id = ? AND totp_pending IS NOT NULL",
		   HUBKIT_ARGS(HUBKIT_INT((int64_t)c->step),
			       HUBKIT_INT(id_now()), HUBKIT_INT(c->user_id)));
	c->done = 0;
	if (rc == HUB_DB_OK && hub_store_changes(db) != 1)
		return HUB_DB_OK; /* someone else enabled meanwhile */
	if (rc == HUB_DB_OK)
		rc = id_sql(db,
			    "DELETE FROM auth_backup_codes WHERE user_id = ?",
			    HUBKIT_ARGS(HUBKIT_INT(c->user_id)));
	for (int i = 0; i < ID_BACKUP_CODES && rc == HUB_DB_OK; i++) {
		id_backup_normalise(c->codes[i], norm, sizeof(norm));
		rc = id_backup_store(db, c->user_id, norm, 0);
	}
	c->done = rc == HUB_DB_OK;
	return rc;
}

int id_2fa_enable(hub_db *db, const id_user *u, const char *code,
		  char codes[][12])
{
	unsigned char *secret = NULL;
	size_t n = 0;
	int64_t last = 0;
	enable_ctx c = {u->id, 0, codes, 0};
	int rc = load_secret(db, u->id, 1, &secret, &n, &last);
	if (rc == HUB_DB_ENOTFOUND)
		return 0;
	if (rc != HUB_DB_OK)
		return rc;
	if (!id_totp_match(secret, n, id_now(), code, &c.step)) {
		free_secret(secret, n);
		return 0;
	}
	free_secret(secret, n);
	for (int i = 0; i < ID_BACKUP_CODES; i++) {
		char raw[ID_BACKUP_LEN + 1];
		if (id_random_chars(backup_alphabet, ID_BACKUP_LEN, raw) != 0)
			return HUB_DB_ERROR;
		snprintf(codes[i], 12, "%.5s-%.5s", raw, raw + 5);
	}
	rc = hub_store_transaction(db, enable_tx, &c);
	if (rc != HUB_DB_OK)
		return rc < 0 ? rc : HUB_DB_ERROR;
	return c.done;
}

/* ================================================================ checks */

int id_2fa_check_totp(hub_db *db, int64_t user_id, const char *code)
{
	unsigned char *secret = NULL;
	size_t n = 0;
	int64_t last = 0;
	uint64_t step = 0;
	int ok, rc = load_secret(db, user_id, 0, &secret, &n, &last);
	if (rc == HUB_DB_ENOTFOUND)
		return 0;
	if (rc != HUB_DB_OK)
		return rc;
	ok = id_totp_match(secret, n, id_now(), code, &step);
	free_secret(secret, n);
	if (!ok || (int64_t)step <= last)
		return 0; /* wrong, or replayed within its window */
	rc = id_sql(db,
		    "UPDATE users SET totp_last_step = ? WHERE id = ? AND "
		    "totp_last_step < ?",
		    HUBKIT_ARGS(HUBKIT_INT((int64_t)step), HUBKIT_INT(user_id),
				HUBKIT_INT((int64_t)step)));
	if (rc != HUB_DB_OK)
		return rc;
	return hub_store_changes(db) == 1;
}

int id_2fa_check(hub_db *db, int64_t user_id, const char *code)
{
	char clean[72];
	size_t o = 0;
	int digits = 1;
	if (!code || strlen(code) > 64)
		return 0;
	for (const char *p = code; *p; p++) {
		if (*p == ' ')
			continue;
		if (!isdigit((unsigned char)*p))
			digits = 0;
		clean[o++] = *p;
	}
	clean[o] = 0;
	if (digits && o == ID_TOTP_DIGITS)
		return id_2fa_check_totp(db, user_id, clean);
	return id_2fa_use_backup(db, user_id, clean);
}

/* ================================================================= clear */

/* Two statements: call it inside the caller's transaction. */
int id_2fa_clear(hub_db *db, int64_t user_id)
{
	int rc =
	    id_sql(db,
		   "UPDATE users SET totp_enabled = 0, totp_secret = NULL, "
		   "totp_pending = NULL, totp_last_step = 0, updated_at = ? "
		   "WHERE id = ?",
		   HUBKIT_ARGS(HUBKIT_INT(id_now()), HUBKIT_INT(user_id)));
	if (rc == HUB_DB_OK)
		rc = id_sql(db,
			    "DELETE FROM auth_backup_codes WHERE user_id = ?",
			    HUBKIT_ARGS(HUBKIT_INT(user_id)));
	return rc;
}
