/*
 * redis_shared.c - what the cluster shares through Redis: sliding-window
 * rate limits, counters with expiry, and request budgets. Each is one Lua
 * script, so a check and its update are one atomic step on the server, and
 * each reads Redis's own clock (TIME), so servers with skewed clocks still
 * count one window.
 *
 * Keys (all under "hub:"): rate limits hub:rl:CLASS:HASH, where HASH is
 * the first 16 bytes of SHA-256 of the client key in hex (no address or
 * account name is stored in Redis); counters hub:n:NAME; budgets
 * hub:budget:NAME. Every key expires on its own.
 */
#define _GNU_SOURCE
#include "redis/redis.h"
#include "redis/redis_internal.h"

#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* now (ms on Redis's clock) in every script */
#define LUA_NOW                                                                \
	"local t = redis.call('TIME') "                                        \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "     \
	"1000) "

/* KEYS[1] the window set; ARGV window ms, limit, member. Returns
 * {allowed, remaining, ms until the oldest hit leaves the window}. */
static const char lua_rate[] =
    LUA_NOW "local win = tonumber(ARGV[1]) local n = tonumber(ARGV[2]) "
	    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win) "
	    "local c = redis.call('ZCARD', KEYS[1]) "
	    "local allowed = 0 "
	    "if c < n then "
	    " redis.call('ZADD', KEYS[1], now, ARGV[3]) "
	    " redis.call('PEXPIRE', KEYS[1], win) "
	    " c = c + 1 allowed = 1 "
	    "end "
	    "local o = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') "
	    "local reset = 0 "
	    "if o[2] then reset = tonumber(o[2]) + win - now end "
	    "return {allowed, n - c, reset}";

/* KEYS[1] counter; ARGV ttl s. Returns the new value. */
static const char lua_incr[] =
    "local v = redis.call('INCR', KEYS[1]) "
    "if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return v";

/* KEYS[1] budget set; ARGV window ms, limit, member. A taken place is
 * scored one minute ahead (in flight) until the release stamps it.
 * Returns {1, 0} taken or {0, ms until the oldest place frees}. */
static const char lua_take[] =
    LUA_NOW "local win = tonumber(ARGV[1]) "
	    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win) "
	    "if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then "
	    " redis.call('ZADD', KEYS[1], now + 60000, ARGV[3]) "
	    " redis.call('PEXPIRE', KEYS[1], win + 120000) "
	    " return {1, 0} "
	    "end "
	    "local o = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') "
	    "return {0, tonumber(o[2]) + win - now}";

/* KEYS[1] budget set; ARGV member. Stamps the place with now. */
static const char lua_release[] =
    LUA_NOW "redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) return 1";

/* A member unique across servers and threads: pid, thread, counter. */
static void unique_member(char *out, size_t n)
{
	static uint64_t seq;
	uint64_t s = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	snprintf(out, n, "%ld-%lx-%llu", (long)getpid(),
		 (unsigned long)pthread_self(), (unsigned long long)s);
}

/* Runs `script` with one key and up to three arguments. */
static redisReply *eval1(const char *script, const char *key, const char *a1,
			 const char *a2, const char *a3)
{
	const char *argv[7] = {"EVAL", script, "1", key, a1, a2, a3};
	int argc = 4 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);
	redisReply *r = hub_redis_cmdv(argc, argv, NULL);
	if (r && r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static long long elem_int(const redisReply *r, size_t i)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return -1;
	return r->element[i]->type == REDIS_REPLY_INTEGER
		   ? r->element[i]->integer
		   : -1;
}

/* hub:rl:CLASS:HEX of the client key's hash. */
static void rate_key(char *out, size_t n, const char *rate_class,
		     const char *key)
{
	unsigned char h[32];
	char hex[33];
	mbedtls_sha256_ret((const unsigned char *)key, strlen(key), h, 0);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(out, n, "hub:rl:%s:%s", rate_class, hex);
}

int hub_redis_rate_hit(const char *rate_class, const char *key, unsigned count,
		       unsigned window_s, hub_rate_info *info)
{
	char k[128], win[24], lim[24], mem[64];
	redisReply *r;
	long long allowed, remaining, reset_ms;
	if (!hub_redis_enabled())
		return -2;
	rate_key(k, sizeof(k), rate_class, key);
	snprintf(win, sizeof(win), "%u", window_s * 1000u);
	snprintf(lim, sizeof(lim), "%u", count);
	unique_member(mem, sizeof(mem));
	r = eval1(lua_rate, k, win, lim, mem);
	if (!r)
		return -2;
	allowed = elem_int(r, 0);
	remaining = elem_int(r, 1);
	reset_ms = elem_int(r, 2);
	freeReplyObject(r);
	if (allowed < 0)
		return -2;
	memset(info, 0, sizeof(*info));
	info->allowed = allowed == 1;
	info->limit = count;
	info->remaining = remaining > 0 ? (unsigned)remaining : 0;
	info->reset_s = reset_ms > 0 ? (unsigned)((reset_ms + 999) / 1000) : 0;
	info->retry_after =
	    info->allowed ? 0 : (info->reset_s ? info->reset_s : 1);
	return info->allowed;
}

int64_t hub_redis_counter_incr(const char *name, unsigned ttl_s)
{
	char k[200], ttl[24];
	redisReply *r;
	int64_t v = -2;
	snprintf(k, sizeof(k), "hub:n:%s", name);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s ? ttl_s : 1);
	r = eval1(lua_incr, k, ttl, NULL, NULL);
	if (r && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	freeReplyObject(r);
	return v;
}

int64_t hub_redis_counter_get(const char *name)
{
	char k[200];
	const char *argv[] = {"GET", k};
	redisReply *r;
	int64_t v = -2;
	snprintf(k, sizeof(k), "hub:n:%s", name);
	r = hub_redis_cmdv(2, argv, NULL);
	if (r && r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	else if (r && r->type == REDIS_REPLY_NIL)
		v = 0;
	freeReplyObject(r);
	return v;
}

int hub_redis_counter_reset(const char *name)
{
	char k[200];
	const char *argv[] = {"DEL", k};
	redisReply *r;
	snprintf(k, sizeof(k), "hub:n:%s", name);
	r = hub_redis_cmdv(2, argv, NULL);
	freeReplyObject(r);
	return r ? 0 : -2;
}

int hub_redis_budget_take(const char *name, unsigned limit, unsigned window_ms,
			  uint64_t *token, int64_t *wait_ms)
{
	static uint64_t seq;
	char k[200], win[24], lim[24], mem[64];
	redisReply *r;
	long long ok;
	uint64_t tok = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	if (!hub_redis_enabled())
		return -2;
	snprintf(k, sizeof(k), "hub:budget:%s", name);
	snprintf(win, sizeof(win), "%u", window_ms);
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(mem, sizeof(mem), "%ld-%llu", (long)getpid(),
		 (unsigned long long)tok);
	r = eval1(lua_take, k, win, lim, mem);
	if (!r)
		return -2;
	ok = elem_int(r, 0);
	*wait_ms = elem_int(r, 1);
	freeReplyObject(r);
	if (ok < 0)
		return -2;
	*token = tok;
	return ok == 1;
}

void hub_redis_budget_release(const char *name, uint64_t token,
			      unsigned window_ms)
{
	char k[200], mem[64];
	(void)window_ms;
	snprintf(k, sizeof(k), "hub:budget:%s", name);
	snprintf(mem, sizeof(mem), "%ld-%llu", (long)getpid(),
		 (unsigned long long)token);
	freeReplyObject(eval1(lua_release, k, mem, NULL, NULL));
}
