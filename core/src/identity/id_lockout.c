/*
 * id_lockout.c - failed sign-ins counted per account and per client
 * address, with a lockout schedule for each ([auth] lockout_account,
 * default 5 -> 15 min, 10 -> 60 min, 15 -> 24 h; lockout_address, default
 * 20/40/60 because many people may share one office address).
 *
 * A failure that reaches a threshold locks the key for that step's time;
 * from the last threshold on, every further failure locks again for the
 * last step's time. Failures reset after a successful sign-in (account
 * only; an address is never reset by someone signing in from it) or after
 * ID_FAIL_RESET_S without a failure and without a lock. Unknown user names are
 * counted like real ones, so a lock reveals nothing about which accounts exist.
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

int64_t id_lock_remaining(hub_db *db, const char *account_key,
			  const char *address)
{
	int64_t f, until, now = id_now(), rem = 0;
	char ak[ADDR_KEY_LEN];
	const char *akey = addr_key(address, ak);
	if (account_key &&
	    lock_state(db, "acct", account_key, &f, &until) == HUB_DB_OK &&
	    until - now > rem)
		rem = until - now;
	if (akey && lock_state(db, "addr", akey, &f, &until) == HUB_DB_OK &&
	    until - now > rem)
		rem = until - now;
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
	int64_t lock;	      /* out: longest lock now in force */
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
	if (c->account_key)
		rc = count_one(db, "acct", c->account_key, &g_idc.lock_account,
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
	char ak[ADDR_KEY_LEN];
	fail_ctx c = {account_key, addr_key(address, ak), 0};
	if (hub_store_transaction(db, fail_tx, &c) != HUB_DB_OK)
		return 0;
	return c.lock;
}

int id_lock_clear(hub_db *db, const char *kind, const char *key)
{
	char ak[ADDR_KEY_LEN];
	if (key && strcmp(kind, "addr") == 0)
		key = addr_key(key, ak);
	if (!key)
		return HUB_DB_OK;
	return id_sql(db,
		      "DELETE FROM auth_failures WHERE kind = ? AND key = ?",
		      HUBKIT_ARGS(HUBKIT_TEXT(kind), HUBKIT_TEXT(key)));
}
