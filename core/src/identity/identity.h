/*
 * identity.h - users, sessions, API tokens, 2FA, lockout, rate limiting and
 * the audit log (core/src/identity). The router calls hub_id_authenticate
 * and hub_rate_hit for every route; the auth HTTP routes register
 * themselves through hub_id_register_routes.
 *
 * Configuration keys read here (for the lead's validator):
 *   [server] secret_key (HUB_SECRET_KEY; >= 16 bytes; absent: a random key
 *            is kept in <data_dir>/secret.key, mode 0600), data_dir,
 *            cookie_secure (bool), tls_certificate (set => Secure cookie)
 *   [auth]   session_absolute_s (28800), session_idle_s (3600),
 *            require_2fa (false), totp_issuer ("Business Hub"),
 *            lockout_account ("5:900,10:3600,15:86400": after N failures
 *            lock for S seconds), lockout_address (same format, default
 *            "20:900,40:3600,60:86400")
 *   [ratelimit] login (30/min per address), login_account (5/min per
 *            account), booking (60/min), api (600/min), admin (300/min)
 *            (per user when signed in, else per address), max_keys (keys
 *            tracked per class, 16384)
 */
#ifndef HUB_IDENTITY_H
#define HUB_IDENTITY_H

#include "hub/module.h"

struct hub_host_ctx;

/* Reads [auth]/[server], seeds the DRBG, calls oath_init, loads the secret
 * key (HUB_SECRET_KEY, or <data dir of the open store>/secret.key created
 * 0600 on first start) and derives the sub-keys, applies [ratelimit]. Once,
 * before serving, after hub_conf_load (and hub_store_open when the key file
 * is used). Returns 0 or -1 with a message in err. */
int hub_id_init(char *err, size_t errlen);
/* Wipes the derived keys, frees the rate limiter, calls oath_done. After
 * the server and jobs have stopped. */
void hub_id_shutdown(void);

/* Core migrations of the identity tables ("core_identity"), then checks
 * that the secret key is the one stored 2FA secrets were sealed with.
 * After hub_id_init. Returns 0 or -1 with a message in err. */
int hub_id_migrate(char *err, size_t errlen);

/* Creates the first admin with a one-time password when no user exists and
 * prints the password once to stdout. Returns 0 or -1. */
int hub_id_bootstrap_admin(void);

/* Result of authenticating a request. */
enum hub_auth_rc {
	HUB_AUTH_NONE = 0,   /* no credentials presented */
	HUB_AUTH_OK = 1,     /* *user filled */
	HUB_AUTH_INVALID = 2 /* credentials presented but invalid/expired */
};

/* Authenticates from the hub_session cookie or an Authorization: Bearer
 * header (a Bearer header wins; other schemes are ignored). `cookie_header`
 * and `authz_header` may be NULL. On HUB_AUTH_OK fills *user and, for
 * cookie sessions, *csrf_out (64 hex chars + NUL, or "" for tokens) so the
 * router can check X-CSRF-Token. A session whose user must still change a
 * one-time password or set up required 2FA answers HUB_AUTH_INVALID here:
 * only routes flagged HUB_ROUTE_RESTRICTED_OK (the /api/v1/auth
 * self-service routes) accept it, through hub_id_authenticate_as.
 * API tokens: user->id is minus the token id, username "token:ID:NAME"
 * (NAME cut at a UTF-8 character boundary to fit),
 * scopes read < book < admin cumulative, role admin for admin scope else
 * staff. Thread-safe (uses the thread's store connection). */
int hub_id_authenticate(const char *cookie_header, const char *authz_header,
			hub_user *user, char csrf_out[65]);

/* Same, and with allow_restricted also accepts the session of a user who
 * must still change the password or set up 2FA (for routes flagged
 * HUB_ROUTE_RESTRICTED_OK: the /api/v1/auth self-service routes).
 * csrf_out may be NULL when the request cannot change state (the CSRF
 * token, an HMAC, is then not computed). */
int hub_id_authenticate_as(const char *cookie_header, const char *authz_header,
			   int allow_restricted, hub_user *user,
			   char csrf_out[65]);

/* Constant-time string equality. Returns 1 when equal. */
int hub_ct_streq(const char *a, const char *b);

/* Fills buf with n cryptographically random bytes (thread-safe DRBG).
 * Returns 0 or -1. */
int hub_random(void *buf, size_t n);

/* See hub_api.user_get: the active user `id` into *out; 0 or -1. */
int hub_id_user_get(int64_t id, hub_user *out);

/* Rate limiting: see hub_api.rate_hit. */
int hub_rate_hit(const char *rate_class, const char *key, hub_rate_info *info);

/* Appends an audit entry: `actor` (NULL: "system"), the client address
 * and the request id (NULL when there is none: hubctl, jobs), what was
 * done to what, and a short detail without secrets. Text is clipped and
 * cleaned of control characters. `db` NULL means the thread's
 * connection. Returns 0 or -1. (hub_api.audit, which takes the request,
 * is http's hub_audit.) */
int hub_id_audit(hub_db *db, const char *actor, const char *client,
		 const char *request_id, const char *action, const char *target,
		 const char *detail);

/* Registers the /api/v1/auth routes and the login pages under the
 * built-in "core" context. Returns 0 or -1. */
int hub_id_register_routes(hub_ctx *core_ctx, const hub_api *api);

/* hubctl: `user add NAME --role R` (password from stdin), `user list`,
 * `user passwd NAME` (stdin), `user role NAME ROLE`, `user disable NAME`,
 * `user enable NAME`, `user totp-reset NAME`, `user unlock NAME`. argv[0]
 * may be "user" or the sub-command. Needs hub_conf_load, hub_store_open,
 * hub_id_init and hub_id_migrate done. Returns the exit code: 0, or 1
 * after one line on stderr. */
int hub_id_user_cmd(int argc, char **argv);

/* Imports the old system's user_passwords.json and user_2fa.json from
 * `dir` (absent files are skipped) on `db`, inside the caller's
 * transaction: bcrypt hashes are kept, plaintext passwords hashed, 2FA
 * secrets encrypted, backup codes hashed. Existing users are left as they
 * are, so a second import changes nothing. Returns 0, or -1 with
 * "file:line: reason" in err. */
int hub_id_import(hub_db *db, const char *dir, char *err, size_t errlen);

/* ------------------------------------------------------------ rate limits */

/* A rate-limit backend (in-process by default; Redis can implement it).
 * hit: counts one hit of `key` under a limit of `count` per `window_s`
 * sliding seconds at time now_ms and fills *info; returns 1 allowed,
 * 0 limited, -1 error. */
typedef struct hub_rate_backend {
	const char *name;
	int (*hit)(void *self, const char *rate_class, const char *key,
		   unsigned count, unsigned window_s, int64_t now_ms,
		   hub_rate_info *info);
	void (*destroy)(void *self);
	void *self;
} hub_rate_backend;

/* Replaces the backend (NULL restores the in-process one). Before
 * serving. The previous custom backend is destroyed. */
void hub_rate_set_backend(const hub_rate_backend *b);

/* (Re)configures the in-process limiter: `max_keys` keys per class
 * (memory is allocated once for that many) and the rate of a class
 * ("5/min" ...). Before serving. Returns 0 or -1. */
int hub_rate_configure(size_t max_keys);
int hub_rate_set_class(const char *rate_class, const char *rate);

/* Keys currently tracked and bytes allocated by the in-process limiter. */
void hub_rate_stats(size_t *keys, size_t *bytes);

/* ------------------------------------------------------------- test hooks */

/* Replaces the wall clock (seconds) used for sessions, TOTP, lockout and
 * the audit log; NULL restores time(). */
void hub_id_set_clock(int64_t (*now_s)(void));
/* Replaces the rate limiter's monotonic clock (milliseconds). */
void hub_rate_set_clock(int64_t (*now_ms)(void));

#endif
