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

/* An event in a stored copy: its times, then its four strings each with
 * their NUL, only as long as they are (a hub_cal_event is ~480 bytes,
 * its strings rarely 60: the listing copies a week's events twice per
 * request, once out of the cache and once into its buffer). */
typedef struct copy_ev {
	int64_t start_utc, end_utc;
	int32_t all_day;
} copy_ev;

/* Reads one NUL-terminated string of at most `room` - 1 characters from
 * *p (before end) into dst. Returns 0, or -1 when it is malformed. */
static int take_str(const char **p, const char *end, char *dst, size_t room)
{
	size_t len = strnlen(*p, (size_t)(end - *p));
	if (*p + len == end || len >= room)
		return -1;
	memcpy(dst, *p, len + 1);
	*p += len + 1;
	return 0;
}

/* Decodes a stored copy into the caller's arrays. Returns the number of
 * events, or -1 when it does not match (n, cap) or is malformed. */
static int decode(const char *v, size_t len, int n, hub_cal_event *buf, int cap,
		  int *first, int *counts)
{
	const char *p = v, *end = v + len;
	copy_head h;
	size_t ints = 2 * (size_t)n * sizeof(int);

	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	p += sizeof(h);
	if (h.n != n || h.total < 0 || h.total > cap ||
	    (size_t)(end - p) < ints)
		return -1;
	memcpy(first, p, ints / 2);
	memcpy(counts, p + ints / 2, ints / 2);
	p += ints;
	for (int i = 0; i < h.total; i++) {
		hub_cal_event *e = &buf[i];
		copy_ev ev;
		if ((size_t)(end - p) < sizeof(ev))
			return -1;
		memcpy(&ev, p, sizeof(ev));
		p += sizeof(ev);
		e->start_utc = ev.start_utc;
		e->end_utc = ev.end_utc;
		e->all_day = ev.all_day;
		if (take_str(&p, end, e->id, sizeof(e->id)) != 0 ||
		    take_str(&p, end, e->summary, sizeof(e->summary)) != 0 ||
		    take_str(&p, end, e->color_id, sizeof(e->color_id)) != 0 ||
		    take_str(&p, end, e->hub_key, sizeof(e->hub_key)) != 0)
			return -1;
	}
	return p == end ? h.total : -1;
}

int hub_cal_copy_get(const hub_cal_copy_keybuf *k, int n, hub_cal_event *buf,
		     int cap, int *first, int *counts)
{
	size_t len = 0;
	char *v;
	int total;

	if (!k->key[0] || !(v = hub_cache_get(COPY_NS, k->key, &len)))
		return -1;
	total = decode(v, len, n, buf, cap, first, counts);
	hub_cache_free(v);
	return total;
}

/* Appends the string s with its NUL at *o. */
static void put_str(char *v, size_t *o, const char *s)
{
	size_t len = strlen(s) + 1;
	memcpy(v + *o, s, len);
	*o += len;
}

void hub_cal_copy_put(const hub_cal_copy_keybuf *k, int n, int total,
		      const hub_cal_event *buf, int cap, const int *first,
		      const int *counts)
{
	copy_head h = {n, total};
	size_t ints = 2 * (size_t)n * sizeof(int), len, o;
	char *v;

	/* a result that did not fit the caller's buffer is not whole */
	if (!k->key[0] || total < 0 || total > cap)
		return;
	len = sizeof(h) + ints;
	for (int i = 0; i < total; i++)
		len += sizeof(copy_ev) + strlen(buf[i].id) +
		       strlen(buf[i].summary) + strlen(buf[i].color_id) +
		       strlen(buf[i].hub_key) + 4;
	if (!(v = malloc(len)))
		return; /* no copy: the next listing reads the mirror */
	memcpy(v, &h, sizeof(h));
	memcpy(v + sizeof(h), first, ints / 2);
	memcpy(v + sizeof(h) + ints / 2, counts, ints / 2);
	o = sizeof(h) + ints;
	for (int i = 0; i < total; i++) {
		copy_ev ev;
		memset(&ev, 0, sizeof(ev)); /* its padding too */
		ev.start_utc = buf[i].start_utc;
		ev.end_utc = buf[i].end_utc;
		ev.all_day = (int32_t)buf[i].all_day;
		memcpy(v + o, &ev, sizeof(ev));
		o += sizeof(ev);
		put_str(v, &o, buf[i].id);
		put_str(v, &o, buf[i].summary);
		put_str(v, &o, buf[i].color_id);
		put_str(v, &o, buf[i].hub_key);
	}
	hub_cache_put(COPY_NS, k->key, v, len, k->ttl_s);
	free(v);
}
