/*
 * redis_internal.h - shared by the files of core/src/redis.
 */
#ifndef HUB_REDIS_INTERNAL_H
#define HUB_REDIS_INTERNAL_H

#include <hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* Runs one command on the calling thread's connection. Returns the reply
 * (owned: freeReplyObject), or NULL while Redis is unavailable (the
 * failure is recorded and the connection dropped). lens may be NULL for
 * NUL-terminated arguments. */
redisReply *hub_redis_cmdv(int argc, const char **argv, const size_t *lens);

/* Monotonic milliseconds. */
int64_t hub_redis_now_ms(void);

#endif
