/*
 * id_lockout.c - failed sign-ins, counted three ways so that protection
 * does not become a denial of service (OWASP's authentication guidance):
 *
 *   pair     (account, client address): [auth] lockout_pair, default
 *            5 -> 15 min, 10 -> 60 min, 15 -> 24 h. The address that
 *            fails is the one locked out of that account (423); the right
 *            password from any other address still works.
 *   account  all addresses together: [auth] lockout_account, default
 *            50 -> 1 min, 100 -> 5 min, 200 -> 15 min. Much higher, and
 *            it slows rather than locks: sign-ins to the account get 429
 *            with Retry-After for that short time, then guessing resumes
 *            at the slowed pace.
 *   address  all accounts from one address: [auth] lockout_address,
 *            default 20/40/60 failures (offices share an address); 423.
 *
 * A failure that reaches a threshold locks (or slows) the key for that
 * step's time; from the last threshold on, every further failure does so
 * again for the last step's time. A successful sign-in clears its own
 * pair; an admin unlock clears the account and all its pairs. Counters
 * are forgotten after ID_FAIL_RESET_S without a failure and without a
 * lock. Unknown user names are counted like real ones, so a lock reveals
 * nothing about which accounts exist.
 *
 * An address is counted under the key of id_addr_key: "ip:A.B.C.D" for
 * IPv4 and "ip6:PREFIX/64" for IPv6, since one subscriber holds a whole
 * /64 and could otherwise step through its addresses to escape the lock.
 * It is the router's per-address rate-limit key (hub_client_key).
 */
#include "identity/id_internal.h"
#include "hub_net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ID_FAIL_RESET_S 86400 /* a day without failures forgets them */
#define ADDR_KEY_LEN	96    /* an address's counter key */
#define PAIR_KEY_LEN	(64 + 1 + ADDR_KEY_LEN)

/* Address keys are hub_client_key's (core/kit/hub_net.h): the same rule
 * as the router's per-address rate limit. */
void id_addr_key(const char *client, char *out, size_t outlen)
{
	hub_client_key(client, out, outlen);
}

/* The counter key of a client address into out; NULL when there is no
 * address. */
static const char *addr_key(const char *address, char out[ADDR_KEY_LEN])
{
	if (!address || !*address)
		return NULL;
	id_addr_key(address, out, ADDR_KEY_LEN);
	return out;
}

/* id_lock_state on a counter key as stored. */
static int lock_state(hub_db *db, const char *kind, const char *key,
		      int64_t *fails, int64_t *locked_until)
{
	hub_stmt *st = NULL;
	int rc = hubkit_prepare(
	    &id_sql_ops, db,
	    "SELECT fails, locked_until, last_fail FROM "
	    "auth_failures WHERE kind = ? AND key = ?",
	    HUBKIT_ARGS(HUBKIT_TEXT(kind), HUBKIT_TEXT(key)), &st);
	*fails = 0;
	*locked_until = 0;
	if (rc == HUB_DB_OK)
		rc = hub_stmt_step(st);
	if (rc == HUB_DB_ROW) {
		int64_t last = hub_col_int(st, 2), now = id_now();
		*fails = hub_col_int(st, 0);
		*locked_until = hub_col_int(st, 1);
		/* forgotten after a quiet day that began when the last
		 * failure was made or the last lock ended, whichever is
		 * later */
		if (now - (last > *locked_until ? last : *locked_until) >=
		    ID_FAIL_RESET_S)
			*fails = 0;
		rc = HUB_DB_OK;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_OK;
	}
	hub_stmt_finalize(st);
	return rc;
}

int id_lock_state(hub_db *db, const char *kind, const char *key, int64_t *fails,
		  int64_t *locked_until)
{
	char ak[ADDR_KEY_LEN];
	if (key && strcmp(kind, "addr") == 0)
		key = addr_key(key, ak);
	if (!key) {
		*fails = 0;
		*locked_until = 0;
		return HUB_DB_OK;
	}
	return lock_state(db, kind, key, fails, locked_until);
}

/* "ACCOUNT|ADDRESSKEY" into out; NULL when either is missing. */
static const char *pair_key(const char *account_key, const char *akey,
			    char out[PAIR_KEY_LEN])
{
	if (!account_key || !akey)
		return NULL;
	snprintf(out, PAIR_KEY_LEN, "%s|%s", account_key, akey);
	return out;
}

/* Seconds `kind`/`key` is still locked, raised into *rem. */
static void remaining_into(hub_db *db, const char *kind, const char *key,
			   int64_t *rem)
{
	int64_t f, until, now = id_now();
	if (key && lock_state(db, kind, key, &f, &until) == HUB_DB_OK &&
	    until - now > *rem)
		*rem = until - now;
}

int64_t id_lock_remaining(hub_db *db, const char *account_key,
			  const char *address)
{
	int64_t rem = 0;
	char ak[ADDR_KEY_LEN], pk[PAIR_KEY_LEN];
	const char *akey = addr_key(address, ak);
	remaining_into(db, "pair", pair_key(account_key, akey, pk), &rem);
	remaining_into(db, "addr", akey, &rem);
	return rem;
}

int64_t id_lock_slowed(hub_db *db, const char *account_key)
{
	int64_t rem = 0;
	remaining_into(db, "acct", account_key, &rem);
	return rem;
}

/* The lock (seconds) a failure count earns under schedule s; 0 = none. */
static int64_t lock_for(const id_lock_schedule *s, int64_t fails)
{
	if (s->n == 0)
		return 0;
	if (fails >= s->fails[s->n - 1])
		return s->secs[s->n - 1];
	for (unsigned i = 0; i < s->n; i++)
		if (fails == s->fails[i])
			return s->secs[i];
	return 0;
}

typedef struct fail_ctx {
	const char *account_key;
	const char *addr_key; /* the address's counter key, or NULL */
	const char *pair_key; /* account|address, or NULL */
	int64_t lock;	      /* out: longest lock now in force (423) */
	int64_t slow;	      /* out: the account's slow-down (429) */
} fail_ctx;

static int count_one(hub_db *db, const char *kind, const char *key,
		     const id_lock_schedule *s, int64_t *lock)
{
	int64_t fails, until, now = id_now(), add;
	int rc = lock_state(db, kind, key, &fails, &until);
	if (rc != HUB_DB_OK)
		return rc;
	fails++;
	add = lock_for(s, fails);
	if (add > 0 && now + add > until)
		until = now + add;
	if (until - now > *lock)
		*lock = until - now;
	return id_sql(db,
		      "INSERT INTO auth_failures (kind, key, fails, "
		      "locked_until, last_fail) VALUES (?, ?, ?, ?, ?) ON "
		      "CONFLICT (kind, key) DO UPDATE SET fails = "
		      "excluded.fails, locked_until = excluded.locked_until, "
		      "last_fail = excluded.last_fail",
		      HUBKIT_ARGS(HUBKIT_TEXT(kind), HUBKIT_TEXT(key),
				  HUBKIT_INT(fails), HUBKIT_INT(until),
				  HUBKIT_INT(now)));
}

static int fail_tx(hub_db *db, void *ud)
{
	fail_ctx *c = ud;
	int64_t now = id_now();
	int rc = HUB_DB_OK;
	c->lock = 0;
	c->slow = 0;
	if (c->account_key)
		rc = count_one(db, "acct", c->account_key, &g_idc.lock_account,
			       &c->slow);
	if (rc == HUB_DB_OK && c->pair_key)
		rc = count_one(db, "pair", c->pair_key, &g_idc.lock_pair,
			       &c->lock);
	if (rc == HUB_DB_OK && c->addr_key)
		rc = count_one(db, "addr", c->addr_key, &g_idc.lock_address,
			       &c->lock);
	/* forget stale rows so the table stays small */
	if (rc == HUB_DB_OK)
		rc = id_sql(db,
			    "DELETE FROM auth_failures WHERE last_fail < ? AND "
			    "locked_until < ?",
			    HUBKIT_ARGS(HUBKIT_INT(now - 2 * ID_FAIL_RESET_S),
					HUBKIT_INT(now)));
	return rc;
}

int64_t id_lock_fail(hub_db *db, const char *account_key, const char *address)
{
	char ak[ADDR_KEY_LEN], pk[PAIR_KEY_LEN];
	fail_ctx c = {account_key, addr_key(address, ak), NULL, 0, 0};
	c.pair_key = pair_key(account_key, c.addr_key, pk);
	if (hub_store_transaction(db, fail_tx, &c) != HUB_DB_OK)
		return 0;
	return c.lock;
}

int id_lock_clear(hub_db *db, const char *kind, const char *key)
{
	char ak[ADDR_KEY_LEN], prefix[PAIR_KEY_LEN];
	if (key && strcmp(kind, "addr") == 0)
		key = addr_key(key, ak);
	if (!key)
		return HUB_DB_OK;
	if (strcmp(kind, "acct") == 0) {
		/* the account and every (account, address) pair of it */
		snprintf(prefix, sizeof(prefix), "%s|", key);
		return id_sql(db,
			      "DELETE FROM auth_failures WHERE (kind = 'acct' "
			      "AND key = ?) OR (kind = 'pair' AND "
			      "substr(key, 1, ?) = ?)",
			      HUBKIT_ARGS(HUBKIT_TEXT(key),
					  HUBKIT_INT(strlen(prefix)),
					  HUBKIT_TEXT(prefix)));
	}
	return id_sql(db,
		      "DELETE FROM auth_failures WHERE kind = ? AND key = ?",
		      HUBKIT_ARGS(HUBKIT_TEXT(kind), HUBKIT_TEXT(key)));
}

int id_lock_clear_pair(hub_db *db, const char *account_key, const char *address)
{
	char ak[ADDR_KEY_LEN], pk[PAIR_KEY_LEN];
	const char *k = pair_key(account_key, addr_key(address, ak), pk);
	return k ? id_lock_clear(db, "pair", k) : HUB_DB_OK;
}
