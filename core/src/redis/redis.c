/*
 * redis.c - connections to the cluster's Redis and the state everyone
 * reads from them (up / down / why), plus the invalidation listener.
 *
 * Connections. One hiredis context per thread, opened on first use with a
 * 300 ms connect time-out and a 500 ms command time-out. Any error closes
 * the thread's context and marks Redis down for a second: callers then get
 * "unavailable" at once instead of each waiting for a time-out, and the
 * first call after that second tries again. A success marks it up.
 * A password of the URL is sent with AUTH (with the ACL user when one is
 * given) on every new connection, the listener's too, then SELECT of the
 * database number; it is never formatted into a message or a log line.
 *
 * Invalidations. hub_cache_invalidate(ns) on one server publishes ns on
 * channel hub:invalidate; a listener thread on every server subscribes and
 * drops that namespace from its own cache (the sender's is dropped
 * locally first). While the listener is disconnected it retries every
 * second and, on reconnecting, drops every cache entry, since it may have
 * missed messages.
 */
#define _GNU_SOURCE
#include "redis/redis.h"
#include "redis/redis_internal.h"
#include "base/conf.h"
#include "base/log.h"
#include "cache/cache.h"

#include <ctype.h>
#include <hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHANNEL "hub:invalidate"

static struct {
	int enabled;
	char host[256];
	int port;
	int dbnum;
	char user[128];	  /* ACL user of the URL, "" = default */
	char pass[512];	  /* password of the URL, "" = no AUTH; never logged */
	int up;		  /* last command succeeded */
	int64_t retry_at; /* while down: no attempt before this (ms) */
	char why[160];	  /* last failure */
	pthread_mutex_t lock; /* guards why */
	pthread_t listener;
	int listening;
	volatile int stop;
	unsigned epoch; /* bumped by stop: stale thread contexts are dropped */
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .port = 6379};

static __thread redisContext *t_ctx;
static __thread unsigned t_epoch;
static pthread_key_t g_key; /* frees a thread's context at its exit */
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void ctx_destroy(void *p)
{
	redisFree(p);
}

static void key_init(void)
{
	pthread_key_create(&g_key, ctx_destroy);
}

/* Replaces the thread's context (NULL: none), freeing the old one. */
static void ctx_set(redisContext *c)
{
	pthread_once(&g_key_once, key_init);
	if (t_ctx && t_ctx != c)
		redisFree(t_ctx);
	t_ctx = c;
	pthread_setspecific(g_key, c);
}

int64_t hub_redis_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies n bytes of `in` into out (outlen) decoding %XX. Returns 0, or -1
 * when too long or malformed. */
static int pct_decode(const char *in, size_t n, char *out, size_t outlen)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			char hex[3];
			if (i + 2 >= n || !isxdigit((unsigned char)in[i + 1]) ||
			    !isxdigit((unsigned char)in[i + 2]))
				return -1;
			hex[0] = in[i + 1];
			hex[1] = in[i + 2];
			hex[2] = 0;
			c = (int)strtol(hex, NULL, 16);
			i += 2;
		}
		if (k + 1 >= outlen)
			return -1;
		out[k++] = (char)c;
	}
	out[k] = 0;
	return 0;
}

/* Parses redis://[[user]:password@]host[:port][/db] into g (the password
 * %-decoded). rediss:// (TLS) is refused: Debian 12's hiredis 0.14 has no
 * TLS. Returns 0 or -1 with one line in err that never holds the
 * password. */
static int parse_url(const char *url, char *err, size_t errlen)
{
	const char *p = url + 8, *at, *slash, *colon, *end;
	size_t hl;
	g.user[0] = g.pass[0] = 0;
	if (strncmp(url, "rediss://", 9) == 0) {
		snprintf(err, errlen,
			 "[redis] url: rediss:// (TLS) is not supported by "
			 "this build (hiredis without TLS); reach Redis "
			 "through a local TLS tunnel (stunnel, spiped) with "
			 "redis://");
		return -1;
	}
	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	end = p + strcspn(p, "/");
	at = memrchr(p, '@', (size_t)(end - p)); /* the last: '@' may be in
						     the password */
	if (at) {
		const char *sep = memchr(p, ':', (size_t)(at - p));
		if (!sep || sep + 1 == at) {
			snprintf(err, errlen,
				 "[redis] url: user information without a "
				 "password (redis://:PASSWORD@host or "
				 "redis://USER:PASSWORD@host)");
			return -1;
		}
		if (pct_decode(p, (size_t)(sep - p), g.user, sizeof(g.user)) ||
		    pct_decode(sep + 1, (size_t)(at - sep - 1), g.pass,
			       sizeof(g.pass))) {
			snprintf(err, errlen,
				 "[redis] url: user or password too long or "
				 "badly %%-encoded");
			return -1;
		}
		p = at + 1;
	}
	slash = strchr(p, '/');
	colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
	hl = colon ? (size_t)(colon - p)
		   : (slash ? (size_t)(slash - p) : strlen(p));
	if (hl == 0 || hl >= sizeof(g.host))
		goto bad;
	memcpy(g.host, p, hl);
	g.host[hl] = 0;
	g.port = colon ? atoi(colon + 1) : 6379;
	g.dbnum = slash && slash[1] ? atoi(slash + 1) : 0;
	if (g.port <= 0 || g.port > 65535 || g.dbnum < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "[redis] url: must be redis://[[USER]:PASSWORD@]HOST[:PORT]"
		 "[/DB]");
	return -1;
}

static void set_down(const char *why)
{
	pthread_mutex_lock(&g.lock);
	if (__atomic_load_n(&g.up, __ATOMIC_RELAXED))
		hub_logf(HUB_LOG_WARN, "redis",
			 "unavailable (%s): falling back to per-process "
			 "limits and caches",
			 why);
	snprintf(g.why, sizeof(g.why), "%s", why);
	__atomic_store_n(&g.up, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g.retry_at, hub_redis_now_ms() + 1000,
			 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&g.lock);
}

static void set_up(void)
{
	if (!__atomic_exchange_n(&g.up, 1, __ATOMIC_RELAXED))
		hub_logf(HUB_LOG_INFO, "redis", "connected to %s:%d", g.host,
			 g.port);
}

/* A fresh connection with the time-outs and the database selected. */
static redisContext *connect_new(char *why, size_t whylen)
{
	struct timeval ct = {0, 300000}, rt = {0, 500000};
	redisContext *c = redisConnectWithTimeout(g.host, g.port, ct);
	redisReply *r;
	if (!c || c->err) {
		snprintf(why, whylen, "%s", c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, rt);
	if (g.pass[0]) {
		/* the password goes as an argument of its own, never into a
		 * formatted string or a message */
		const char *argv[3] = {"AUTH", g.user, g.pass};
		int argc = g.user[0] ? 3 : 2;
		if (argc == 2)
			argv[1] = g.pass;
		r = redisCommandArgv(c, argc, argv, NULL);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, whylen, "AUTH refused%s%.80s",
				 r && r->str ? ": " : "",
				 r && r->str ? r->str : "");
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (g.dbnum > 0) {
		r = redisCommand(c, "SELECT %d", g.dbnum);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, whylen, "SELECT %d failed", g.dbnum);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

/* The calling thread's context, or NULL while Redis is down. */
static redisContext *thread_ctx(void)
{
	char why[160];
	if (!g.enabled)
		return NULL;
	if (t_ctx && t_epoch == __atomic_load_n(&g.epoch, __ATOMIC_RELAXED))
		return t_ctx;
	ctx_set(NULL);
	if (!__atomic_load_n(&g.up, __ATOMIC_RELAXED) &&
	    hub_redis_now_ms() < __atomic_load_n(&g.retry_at, __ATOMIC_RELAXED))
		return NULL;
	ctx_set(connect_new(why, sizeof(why)));
	if (!t_ctx) {
		set_down(why);
		return NULL;
	}
	t_epoch = __atomic_load_n(&g.epoch, __ATOMIC_RELAXED);
	return t_ctx;
}

/* See redis_internal.h. */
redisReply *hub_redis_cmdv(int argc, const char **argv, const size_t *lens)
{
	redisContext *c = thread_ctx();
	redisReply *r;
	if (!c)
		return NULL;
	r = redisCommandArgv(c, argc, argv, lens);
	if (!r || c->err) {
		set_down(c->err ? c->errstr : "no reply");
		freeReplyObject(r);
		ctx_set(NULL);
		return NULL;
	}
	set_up();
	return r;
}

int hub_redis_enabled(void)
{
	return g.enabled;
}

int hub_redis_up(void)
{
	return g.enabled && __atomic_load_n(&g.up, __ATOMIC_RELAXED);
}

void hub_redis_check(void *ud, hub_health_result *out)
{
	redisReply *r;
	const char *argv[] = {"PING"};
	(void)ud;
	if (!g.enabled) {
		out->status = HUB_HEALTH_OK;
		snprintf(out->detail, sizeof(out->detail), "not configured");
		return;
	}
	r = hub_redis_cmdv(1, argv, NULL);
	if (r) {
		out->status = HUB_HEALTH_OK;
		snprintf(out->detail, sizeof(out->detail), "%s:%d answers",
			 g.host, g.port);
		freeReplyObject(r);
		return;
	}
	out->status = HUB_HEALTH_DEGRADED;
	pthread_mutex_lock(&g.lock);
	snprintf(out->detail, sizeof(out->detail),
		 "%s:%d unreachable (%s): limits and caches per process",
		 g.host, g.port, g.why[0] ? g.why : "down");
	pthread_mutex_unlock(&g.lock);
}

/* ------------------------------------------------------- invalidations */

static void publish_invalidation(const char *ns)
{
	const char *argv[] = {"PUBLISH", CHANNEL, ns};
	freeReplyObject(hub_redis_cmdv(3, argv, NULL));
}

/* Reads messages of one subscribed connection until it fails or stop. */
static void listen_on(redisContext *c)
{
	while (!g.stop) {
		redisReply *r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			if (c->err == REDIS_ERR_IO && !g.stop &&
			    (c->errstr[0] == 0 ||
			     strstr(c->errstr, "temporarily") ||
			     strstr(c->errstr, "timed out"))) {
				c->err = 0; /* read time-out: poll stop */
				continue;
			}
			set_down(c->errstr[0] ? c->errstr : "listener lost");
			return;
		}
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[2]->type == REDIS_REPLY_STRING &&
		    !strcmp(r->element[0]->str, "message"))
			hub_cache_invalidate_local(r->element[2]->str);
		freeReplyObject(r);
	}
}

static void *listener_main(void *arg)
{
	char why[160];
	(void)arg;
	while (!g.stop) {
		redisContext *c = connect_new(why, sizeof(why));
		redisReply *r = NULL;
		if (c) {
			struct timeval rt = {1, 0};
			r = redisCommand(c, "SUBSCRIBE %s", CHANNEL);
			redisSetTimeout(c, rt);
		}
		if (c && r && !c->err) {
			freeReplyObject(r);
			/* messages may have been missed while away */
			hub_cache_invalidate_local(NULL);
			hub_cache_set_listening(1);
			listen_on(c);
			hub_cache_set_listening(0);
		} else {
			freeReplyObject(r);
			set_down(c ? c->errstr : why);
		}
		redisFree(c);
		for (int i = 0; i < 10 && !g.stop; i++) {
			struct timespec ts = {0, 100000000L};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

/* See redis.h. */
int hub_redis_url_check(char *err, size_t errlen)
{
	const char *url = hub_conf_get("redis", "url");
	int rc;
	if (!url || !*url)
		url = hub_conf_get("cache", "redis_url");
	if (!url || !*url)
		return 0;
	rc = parse_url(url, err, errlen);
	explicit_bzero(g.pass, sizeof(g.pass));
	return rc;
}

int hub_redis_start(char *err, size_t errlen)
{
	const char *url = hub_conf_get("redis", "url");
	if (!url || !*url)
		url = hub_conf_get("cache", "redis_url");
	if (!url || !*url)
		return 0;
	if (parse_url(url, err, errlen) != 0)
		return -1;
	g.enabled = 1;
	g.up = 0;
	g.retry_at = 0;
	g.stop = 0;
	hub_cache_set_broadcast(publish_invalidation);
	if (pthread_create(&g.listener, NULL, listener_main, NULL) == 0)
		g.listening = 1;
	freeReplyObject(hub_redis_cmdv(1, (const char *[]){"PING"}, NULL));
	return 0;
}

void hub_redis_stop(void)
{
	if (!g.enabled)
		return;
	g.stop = 1;
	if (g.listening)
		pthread_join(g.listener, NULL);
	g.listening = 0;
	hub_cache_set_broadcast(NULL);
	__atomic_add_fetch(&g.epoch, 1, __ATOMIC_RELAXED);
	ctx_set(NULL);
	g.enabled = 0;
	explicit_bzero(g.pass, sizeof(g.pass));
}
