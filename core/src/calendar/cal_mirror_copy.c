/*
 * cal_mirror_copy.c - an in-process copy of what hub_cal_events_many last
 * read for a set of calendars and a range.
 *
 * The slot listing reads the mirror for every consultant on every listing
 * its own cache cannot answer, and that cache misses after every booking
 * although a booking never changes the mirror. The mirror changes only
 * when a sync applies a page (cal_mirror.c) or idle calendars are
 * forgotten (cal_sync.c); both call hub_cal_mirror_changed after their
 * transaction, which bumps a version here and invalidates the namespace
 * on every server (through Redis). A copy's key carries the version (and
 * the namespace's cache epoch) taken before its read, so a copy read
 * while a change committed is never found again: copies are exact, not
 * merely recent.
 *
 * SQLite: one process owns the database (the data-directory lock), the
 * version alone suffices. PostgreSQL: another server's sync is seen only
 * through the epoch, so nothing is copied while the Redis listener is
 * down (epoch 0), and a copy lives at most 1 s against a lost message.
 */
#include "calendar/cal_internal.h"
#include "calendar/calendar.h"
#include "cache/cache.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_NS	     "calendar.mirror"
#define TTL_SQLITE_S 600 /* bounds the memory of copies nobody asks for */
#define TTL_PG_S     1

static uint64_t g_version = 1; /* bumped after every change of the mirror */

/* The header of a stored copy; first[n], counts[n] and the events follow. */
typedef struct copy_head {
	int n, total;
} copy_head;

void hub_cal_mirror_changed(void)
{
	__atomic_add_fetch(&g_version, 1, __ATOMIC_RELEASE);
	hub_cache_invalidate(COPY_NS);
}

int hub_cal_copy_key(const char *const *ids, int n, int64_t from_utc,
		     int64_t to_utc, hub_cal_copy_keybuf *k)
{
	uint64_t epoch = 0, ver = __atomic_load_n(&g_version, __ATOMIC_ACQUIRE);
	size_t o;
	int w;

	k->key[0] = 0;
	k->ttl_s = TTL_SQLITE_S;
	if (hub_store_engine_is_pg()) {
		epoch = hub_cache_epoch(COPY_NS);
		if (epoch == 0)
			return -1; /* other servers' syncs would go unseen */
		k->ttl_s = TTL_PG_S;
	}
	w = snprintf(k->key, sizeof(k->key), "%llx.%llx|%lld|%lld",
		     (unsigned long long)ver, (unsigned long long)epoch,
		     (long long)from_utc, (long long)to_utc);
	o = (size_t)w;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(ids[i]);
		if (o + len + 2 > sizeof(k->key)) {
			k->key[0] = 0;
			return -1; /* too many ids to copy: read them each time
				    */
		}
		k->key[o++] = '|';
		memcpy(k->key + o, ids[i], len + 1);
		o += len;
	}
	return 0;
}

int hub_cal_copy_get(const hub_cal_copy_keybuf *k, int n, hub_cal_event *buf,
		     int cap, int *first, int *counts)
{
	size_t len = 0, want;
	char *v;
	copy_head h;
	int total = -1;

	if (!k->key[0] || !(v = hub_cache_get(COPY_NS, k->key, &len)))
		return -1;
	if (len < sizeof(h))
		goto out;
	memcpy(&h, v, sizeof(h));
	want = sizeof(h) + 2 * (size_t)n * sizeof(int) +
	       (size_t)(h.total > 0 ? h.total : 0) * sizeof(hub_cal_event);
	if (h.n != n || h.total < 0 || h.total > cap || len != want)
		goto out;
	memcpy(first, v + sizeof(h), (size_t)n * sizeof(int));
	memcpy(counts, v + sizeof(h) + (size_t)n * sizeof(int),
	       (size_t)n * sizeof(int));
	if (h.total > 0)
		memcpy(buf, v + sizeof(h) + 2 * (size_t)n * sizeof(int),
		       (size_t)h.total * sizeof(hub_cal_event));
	total = h.total;
out:
	hub_cache_free(v);
	return total;
}

void hub_cal_copy_put(const hub_cal_copy_keybuf *k, int n, int total,
		      const hub_cal_event *buf, int cap, const int *first,
		      const int *counts)
{
	copy_head h = {n, total};
	size_t ints = 2 * (size_t)n * sizeof(int), len;
	char *v;

	/* a result that did not fit the caller's buffer is not whole */
	if (!k->key[0] || total < 0 || total > cap)
		return;
	len = sizeof(h) + ints + (size_t)total * sizeof(hub_cal_event);
	if (!(v = malloc(len)))
		return; /* no copy: the next listing reads the mirror */
	memcpy(v, &h, sizeof(h));
	memcpy(v + sizeof(h), first, (size_t)n * sizeof(int));
	memcpy(v + sizeof(h) + (size_t)n * sizeof(int), counts,
	       (size_t)n * sizeof(int));
	if (total > 0)
		memcpy(v + sizeof(h) + ints, buf,
		       (size_t)total * sizeof(hub_cal_event));
	hub_cache_put(COPY_NS, k->key, v, len, k->ttl_s);
	free(v);
}
