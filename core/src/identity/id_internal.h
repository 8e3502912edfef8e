/*
 * id_internal.h - declarations shared by the files of core/src/identity
 * (not part of the contract other subsystems use; that is identity.h).
 *
 *   id_core.c       configuration, clock, secret key and derived keys
 *   id_crypto.c     DRBG, SHA-256/HMAC, AES-256-GCM, hex, compares
 *   id_password.c   crypt(3) hashing and verification
 *   id_totp.c       TOTP codes, secrets, otpauth URI, QR code SVG
 *   id_users.c      the users table
 *   id_session.c    sessions, API tokens, hub_id_authenticate
 *   id_twofa.c      2FA state, replay protection, backup codes
 *   id_lockout.c    failed-login counting and lockout
 *   id_ratelimit.c  the rate limiter
 *   id_audit.c      the audit log
 *   id_migrate.c    the identity tables
 *   id_http_*.c     HTTP handlers; id_cli.c hubctl; id_import.c import
 */
#ifndef HUB_ID_INTERNAL_H
#define HUB_ID_INTERNAL_H

#include "identity/identity.h"
#include "store/store.h"
#include "hub_sql.h"

#include <stddef.h>
#include <stdint.h>

/* ============================================================= id_sql.c */

/* The store's functions as the kit's prepare-and-bind wants them:
 * hubkit_prepare(&id_sql_ops, db, sql, HUBKIT_ARGS(...), &st). */
extern const hubkit_sql_ops id_sql_ops;
/* Runs a statement with args bound to completion. Returns HUB_DB_OK or an
 * error. */
int id_sql(hub_db *db, const char *sql, const hubkit_arg *args, int n);
/* First column of the first row; HUB_DB_ENOTFOUND when no row. */
int id_sql_int(hub_db *db, int64_t *out, const char *sql,
	       const hubkit_arg *args, int n);

/* ============================================================ id_core.c */

/* A lockout schedule: after `fails[i]` failures, lock for `secs[i]`. */
#define ID_LOCK_STEPS 4
typedef struct id_lock_schedule {
	unsigned n;
	unsigned fails[ID_LOCK_STEPS];
	unsigned secs[ID_LOCK_STEPS];
} id_lock_schedule;

/* Process-wide identity settings, fixed after hub_id_init. */
typedef struct id_config {
	int64_t session_absolute_s;    /* [auth] session_absolute_s (28800) */
	int64_t session_idle_s;	       /* [auth] session_idle_s (3600) */
	int require_2fa;	       /* [auth] require_2fa (false) */
	int cookie_secure;	       /* Secure cookie attribute */
	char issuer[64];	       /* [auth] totp_issuer */
	id_lock_schedule lock_account; /* [auth] lockout_account */
	id_lock_schedule lock_address; /* [auth] lockout_address */
} id_config;

extern id_config g_idc;

/* Sub-keys derived (HKDF-SHA256) from the secret key at init. */
typedef struct id_keys {
	int ready;
	unsigned char totp[32];	  /* AES-256-GCM key for TOTP secrets */
	unsigned char csrf[32];	  /* HMAC key: CSRF token from session */
	unsigned char backup[32]; /* HMAC key: backup code hashes */
	unsigned char check[32];  /* key check value stored in the DB */
} id_keys;

extern id_keys g_idk;

/* Derives the keys from `ikm` (tests may call it directly). */
int id_keys_derive(const void *ikm, size_t n);

/* Parses "5:900,10:3600,15:86400" into *out. Returns 0 or -1. */
int id_parse_lock_schedule(const char *text, id_lock_schedule *out);

/* Wall clock in seconds (injectable via hub_id_set_clock). */
int64_t id_now(void);

/* ========================================================== id_crypto.c */

/* SHA-256 of s[0..n) as 64 lower-case hex characters + NUL. */
void id_sha256_hex(const void *s, size_t n, char out[65]);
/* HMAC-SHA256 under `key` (32 bytes) as hex. */
void id_hmac_hex(const unsigned char key[32], const void *s, size_t n,
		 char out[65]);
void id_hex(const void *p, size_t n, char *out);
/* n random bytes as 2n hex characters + NUL. Returns 0 or -1. */
int id_random_hex(size_t n, char *out);
/* Random string of `len` characters drawn uniformly from `alphabet`.
 * Returns 0 or -1. */
int id_random_chars(const char *alphabet, size_t len, char *out);

/* Encrypts pt under g_idk.totp with `aad`. *out (owned, free()) receives
 * version(1) || nonce(12) || ciphertext || tag(16). Returns 0 or -1. */
int id_seal(const void *pt, size_t ptlen, const char *aad, unsigned char **out,
	    size_t *outlen);
/* Inverse of id_seal; *out owned (free(), zero it first), NUL-terminated.
 * Returns 0, or -1 when the blob was tampered with or the key differs. */
int id_open(const void *blob, size_t bloblen, const char *aad,
	    unsigned char **out, size_t *outlen);

/* ======================================================== id_password.c */

#define ID_PW_MIN_CHARS 10
#define ID_PW_MAX_BYTES 256

/* Hashes `pw` with yescrypt. out must hold 256 bytes. Returns 0 or -1. */
int id_pw_hash(const char *pw, char *out, size_t outlen);
/* 1 when `pw` matches `stored` ($y$ or $2a/b/y$), 0 otherwise. Any other
 * stored text never matches. */
int id_pw_verify(const char *pw, const char *stored);
/* Spends the time of one verification against a dummy hash. */
void id_pw_dummy_verify(const char *pw);
/* 1 when `stored` should be re-hashed with the current scheme. */
int id_pw_needs_rehash(const char *stored);
/* 1 when `stored` looks like a crypt hash this module accepts. */
int id_pw_is_hash(const char *stored);
/* Checks a new password; NULL when acceptable, else a reason. */
const char *id_pw_policy(const char *pw);
/* Prepares the dummy hash (init). Returns 0 or -1. */
int id_pw_init(void);

/* ============================================================ id_totp.c */

#define ID_TOTP_STEP	     30
#define ID_TOTP_DIGITS	     6
#define ID_TOTP_SECRET_BYTES 20

/* Generates the code of counter step `step` with `digits` digits from the
 * raw secret. out holds digits+1. Returns 0 or -1. */
int id_totp_code(const unsigned char *secret, size_t n, uint64_t step,
		 unsigned digits, char *out);
/* Finds the step within +-1 of `now` whose 6-digit code is `code`
 * (compared in constant time). Returns 1 and *step, or 0. */
int id_totp_match(const unsigned char *secret, size_t n, int64_t now,
		  const char *code, uint64_t *step);
/* Base32 (RFC 4648, no padding) of raw bytes / back. Returns 0 or -1. */
int id_base32_encode(const unsigned char *in, size_t n, char *out,
		     size_t outlen);
int id_base32_decode(const char *in, unsigned char *out, size_t outlen,
		     size_t *n);
/* otpauth://totp/ISSUER:USER?secret=...&issuer=... into out. */
int id_totp_uri(const char *user, const char *b32, char *out, size_t outlen);
/* QR code of `text` as an SVG document. Owned: free(). NULL on error. */
char *id_qr_svg(const char *text);

/* =========================================================== id_users.c */

/* One user row (the secrets stay in the database). */
typedef struct id_user {
	int64_t id;
	char username[64];
	int role; /* HUB_ROLE_* */
	int disabled;
	int64_t consultant_id;
	int must_change;
	int must_setup_2fa;
	int totp_enabled;
	int64_t created_at;
	int64_t last_login_at;
	char pw_hash[256];
	char language[8]; /* "de", "en", or "" when not chosen */
} id_user;

const char *id_role_name(int role);
int id_role_parse(const char *s);
/* Lower-case ASCII key of a username for lookup; -1 when the name is not
 * acceptable (1..63 bytes, UTF-8, no control characters, ':' or '/', no
 * leading/trailing space). */
int id_username_key(const char *name, char *key, size_t keylen);

/* The columns id_user_read_row reads, in its order (columns 0..10). */
#define ID_USER_COLS                                                           \
	"id, username, role, disabled, consultant_id, must_change, "           \
	"must_setup_2fa, totp_enabled, created_at, last_login_at, "            \
	"password_hash"
void id_user_read_row(hub_stmt *st, id_user *u);
/* Reads the language column `col` into u->language ("" unless "de"/"en"). */
void id_user_read_language(hub_stmt *st, int col, id_user *u);
/* 1 when `l` is a language the pages offer ("de", "en"). */
int id_language_ok(const char *l);
/* Stores the user's language (an id_language_ok one). Returns HUB_DB_*. */
int id_user_set_language(hub_db *db, int64_t id, const char *language);

/* Loads the user named `name` (or id). Returns 0, HUB_DB_ENOTFOUND or an
 * error. */
int id_user_by_name(hub_db *db, const char *name, id_user *u);
int id_user_by_id(hub_db *db, int64_t id, id_user *u);
/* Inserts a user with a password hash (already hashed). Returns 0,
 * HUB_DB_ECONSTRAINT when the name exists, or an error. *id_out set. */
int id_user_insert(hub_db *db, const char *name, int role, const char *pw_hash,
		   int must_change, int64_t consultant_id, int64_t *id_out);
int id_user_set_hash(hub_db *db, int64_t id, const char *hash, int must_change);
int id_user_count(hub_db *db, int64_t *n);
/* Number of enabled admins other than `except_id`. */
int id_admins_other(hub_db *db, int64_t except_id, int64_t *n);
/* Returned by id_admin_guard (and so by the transactions that call it):
 * the change would leave no enabled admin. Not a HUB_DB_* code. */
#define ID_RC_LAST_ADMIN 1001
/* The last-enabled-admin rule, for a transaction that is about to demote,
 * disable or delete user `id`: reads the user and the other enabled
 * admins as they are now. Call it inside the write transaction that makes
 * the change (BEGIN IMMEDIATE serialises writers, so two admins disabling
 * each other cannot both pass). Returns HUB_DB_OK when the change may go
 * ahead (the user is not an enabled admin, or another one exists),
 * ID_RC_LAST_ADMIN when it may not, HUB_DB_ENOTFOUND when there is no
 * such user, or another HUB_DB_* error. */
int id_admin_guard(hub_db *db, int64_t id);
/* 1 when user `u` must set up 2FA before a full session. */
int id_user_needs_2fa_setup(const id_user *u);

/* ========================================================= id_session.c */

#define ID_TOKEN_HEX 64 /* session token: 32 random bytes as hex */

/* Sets a new password (policy checked by the caller), ends every session
 * of the user. Returns a HUB_DB_* code (id_session.c). */
int id_user_change_password(hub_db *db, int64_t id, const char *pw,
			    int must_change);

/* A session or API token lookup result. */
typedef struct id_auth {
	int kind;	/* 0 none, 1 session, 2 token */
	int restricted; /* session of a user who must change pw / set up 2FA */
	hub_user user;
	id_user row; /* session: the user row */
	char csrf[65];
	char token_hash[65];
} id_auth;

/* Creates a session for `user_id`; writes the cookie token (64 hex + NUL)
 * and the CSRF token. Returns 0 or a HUB_DB_* error. */
int id_session_create(hub_db *db, int64_t user_id, const char *client,
		      char token[65], char csrf[65]);
/* Deletes every session of the user. Returns a HUB_DB_* code. */
int id_sessions_end_user(hub_db *db, int64_t user_id);
/* Deletes the session with this token hash. */
int id_session_end(hub_db *db, const char *token_hash);
/* Authenticates, also restricted sessions (the auth routes use it).
 * Returns HUB_AUTH_*. */
int id_auth_lookup(const char *cookie_header, const char *authz_header,
		   id_auth *a);
/* Same; want_csrf = 0 skips computing the CSRF token (a.csrf stays ""),
 * which only state-changing requests need. */
int id_auth_lookup_opts(const char *cookie_header, const char *authz_header,
			int want_csrf, id_auth *a);
/* CSRF token of a session token. */
void id_csrf_of(const char *token, char out[65]);
/* Extracts the hub_session cookie value into out (65 bytes). Returns 1
 * when present and well formed, 0 when absent, -1 when malformed. */
int id_cookie_token(const char *cookie_header, char out[65]);
/* The Set-Cookie value for a new session / for logout. */
void id_cookie_set(const char *token, char *out, size_t outlen);
void id_cookie_clear(char *out, size_t outlen);

/* API tokens. Scope text "read", "book", "admin". */
unsigned id_scope_mask(const char *scope);
/* Creates a token; writes its clear text (shown once) into token_out
 * (80 bytes). Returns 0, HUB_DB_ECONSTRAINT for a duplicate name, or an
 * error. */
int id_token_create(hub_db *db, const char *name, const char *scope,
		    const char *created_by, int64_t *id_out, char token_out[80],
		    int64_t *created_at);
int id_token_delete(hub_db *db, int64_t id);

/* =========================================================== id_twofa.c */

#define ID_BACKUP_CODES 10
#define ID_BACKUP_LEN	10 /* characters without the dash */

/* Stores a new pending secret for the user and returns it in base32.
 * Returns 0 or a HUB_DB_* error. */
int id_2fa_setup(hub_db *db, const id_user *u, char b32[64]);
/* Verifies `code` against the pending secret; on success activates it,
 * replaces the backup codes and writes them (owned by caller) to codes
 * (ID_BACKUP_CODES entries of 12 bytes). Returns 1 enabled, 0 wrong code
 * or no pending secret, negative HUB_DB_* error. */
int id_2fa_enable(hub_db *db, const id_user *u, const char *code,
		  char codes[][12]);
/* Checks a TOTP code (replay-protected) or a backup code (consumed).
 * Returns 1 accepted, 0 refused, negative HUB_DB_* error. */
int id_2fa_check(hub_db *db, int64_t user_id, const char *code);
/* Checks only a TOTP code with replay protection. */
int id_2fa_check_totp(hub_db *db, int64_t user_id, const char *code);
/* Consumes a backup code atomically. 1 consumed, 0 not valid. */
int id_2fa_use_backup(hub_db *db, int64_t user_id, const char *code);
/* Turns 2FA off and deletes the secret and codes (disable or reset).
 * Runs two statements: call it inside a transaction. */
int id_2fa_clear(hub_db *db, int64_t user_id);
/* Normalised form of a backup code (lower case, no dashes/spaces,
 * Crockford substitutions). Returns 0 or -1 when not plausible. */
int id_backup_normalise(const char *in, char *out, size_t outlen);
/* Stores the hash of an already normalised backup code. */
int id_backup_store(hub_db *db, int64_t user_id, const char *norm, int used);
/* Stores an active secret (raw bytes) for the user, encrypted. */
int id_2fa_store_secret(hub_db *db, int64_t user_id,
			const unsigned char *secret, size_t n, int enabled);
/* AAD binding a sealed secret to its user. */
void id_2fa_aad(int64_t user_id, char out[48]);

/* ========================================================= id_lockout.c */

/* Addresses given to these functions are client addresses as the router
 * reports them ("198.51.100.7", "2001:db8::1"); they are counted under
 * id_addr_key, so every address of one IPv6 /64 shares one counter.
 * `account_key` is id_username_key's form. */

/* The counter key of a client address into out: "ip:A.B.C.D" for IPv4
 * (also IPv4-mapped IPv6), "ip6:PREFIX/64" for IPv6 - the rule of the
 * router's hub_client_key (core/src/http/http.h). */
void id_addr_key(const char *client, char *out, size_t outlen);

/* Seconds the account key or address is still locked (0 = not). Either
 * may be NULL. */
int64_t id_lock_remaining(hub_db *db, const char *account_key,
			  const char *address);
/* Counts one failure for both (either may be NULL); returns the lock
 * seconds now in force. */
int64_t id_lock_fail(hub_db *db, const char *account_key, const char *address);
/* Clears a counter: kind "acct" with an account key (successful login,
 * admin unlock) or "addr" with a client address. */
int id_lock_clear(hub_db *db, const char *kind, const char *key);
/* Current failure count and lock end of an account key ("acct") or a
 * client address ("addr"). */
int id_lock_state(hub_db *db, const char *kind, const char *key, int64_t *fails,
		  int64_t *locked_until);

/* =========================================================== id_audit.c */

/* ============================================================ id_http_*.c */

int id_http_auth_register(hub_ctx *ctx, const hub_api *api);
int id_http_admin_register(hub_ctx *ctx, const hub_api *api);

#endif
