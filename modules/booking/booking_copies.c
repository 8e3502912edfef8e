/*
 * booking_copies.c - in-process copies of what only an admin changes: the
 * stored generation of the slots cache, the active consultants and the
 * custom blocks of recent ranges (booking_mod.h, docs/SCALING.md).
 *
 * A copy carries the host's cache epoch of BOOKING_ADMIN_NS taken before
 * its read and the time of the read. It is handed out while the epoch is
 * still that one (no change of consultants or blocks was announced here
 * since: booking_admin_changed invalidates that namespace on every server
 * after the change committed) and for at most BOOKING_COPY_MS, the bound
 * for changes that announce nothing (another process without Redis). An
 * epoch of 0 (PostgreSQL without Redis, or its listener not subscribed)
 * keeps no copy.
 * Copies go in and out by value: no caller holds a pointer into them.
 *
 * What makes listings and copies stale is said here too (booking_changed,
 * booking_admin_changed), and blocks are freed here (booking_blocks_free):
 * the storage and HTTP files build on this one, never the other way.
 */
#include "booking_mod.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_RANGES 8 /* ranges of blocks kept */

typedef struct block_range {
	booking_copy_tag tag; /* epoch 0 = empty */
	hub_date from, to;
	booking_block *v; /* reasons owned */
	int n;
} block_range;

static struct {
	pthread_mutex_t lock;
	booking_copy_tag gen_tag;
	int64_t gen;
	booking_copy_tag cons_tag;
	booking_consultant *cons;
	int ncons;
	block_range blocks[BLOCK_RANGES];
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

booking_copy_tag booking_copy_now(void)
{
	booking_copy_tag t;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t.read_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	t.epoch =
	    HUB_API_HAS(BOOKING_API, cache_epoch) && BOOKING_API->cache_epoch
		? BOOKING_API->cache_epoch(BOOKING_ADMIN_NS)
		: 0;
	return t;
}

/* 1 when a copy tagged `have` may be used at `now`. */
static int fresh(const booking_copy_tag *have, const booking_copy_tag *now)
{
	return now->epoch != 0 && have->epoch == now->epoch &&
	       now->read_ms - have->read_ms < BOOKING_COPY_MS;
}

void booking_changed(void)
{
	__atomic_add_fetch(&booking_m.gen, 1, __ATOMIC_RELAXED);
	/* the other servers of a cluster drop their listings too */
	if (HUB_API_HAS(BOOKING_API, cache_invalidate))
		BOOKING_API->cache_invalidate("booking.slots");
}

void booking_admin_changed(void)
{
	/* first the copies, so a listing built between the two messages
	 * already reads the new consultants and blocks */
	if (HUB_API_HAS(BOOKING_API, cache_invalidate))
		BOOKING_API->cache_invalidate(BOOKING_ADMIN_NS);
	booking_changed();
}

void booking_blocks_free(booking_block *b, int n)
{
	for (int i = 0; b && i < n; i++)
		free((char *)b[i].reason);
	free(b);
}

/* ======================================================== generation */

int booking_copy_gen_get(const booking_copy_tag *now, int64_t *gen)
{
	int hit;
	pthread_mutex_lock(&g.lock);
	hit = fresh(&g.gen_tag, now);
	if (hit)
		*gen = g.gen;
	pthread_mutex_unlock(&g.lock);
	return hit;
}

void booking_copy_gen_put(const booking_copy_tag *tag, int64_t gen)
{
	if (!tag->epoch)
		return;
	pthread_mutex_lock(&g.lock);
	g.gen_tag = *tag;
	g.gen = gen;
	pthread_mutex_unlock(&g.lock);
}

/* ======================================================== consultants */

int booking_copy_cons_get(const booking_copy_tag *now, booking_consultant **out,
			  int *n)
{
	int hit;
	pthread_mutex_lock(&g.lock);
	hit = fresh(&g.cons_tag, now);
	if (hit) {
		*out = NULL;
		*n = g.ncons;
		if (g.ncons > 0) {
			*out = malloc(sizeof(**out) * (size_t)g.ncons);
			if (*out)
				memcpy(*out, g.cons,
				       sizeof(**out) * (size_t)g.ncons);
			else
				hit = 0; /* read it instead */
		}
	}
	pthread_mutex_unlock(&g.lock);
	return hit;
}

void booking_copy_cons_put(const booking_copy_tag *tag,
			   const booking_consultant *v, int n)
{
	booking_consultant *c = NULL;
	if (!tag->epoch)
		return;
	if (n > 0 && !(c = malloc(sizeof(*c) * (size_t)n)))
		return;
	if (c)
		memcpy(c, v, sizeof(*c) * (size_t)n);
	pthread_mutex_lock(&g.lock);
	free(g.cons);
	g.cons = c;
	g.ncons = n;
	g.cons_tag = *tag;
	pthread_mutex_unlock(&g.lock);
}

/* ============================================================= blocks */

/* A copy of n blocks with their reasons, or NULL (n 0, or out of memory:
 * *ok 0). */
static booking_block *blocks_dup(const booking_block *v, int n, int *ok)
{
	booking_block *c;
	*ok = 1;
	if (n <= 0)
		return NULL;
	c = calloc((size_t)n, sizeof(*c));
	for (int i = 0; c && i < n; i++) {
		c[i] = v[i];
		c[i].reason = strdup(v[i].reason ? v[i].reason : "");
		if (!c[i].reason) {
			booking_blocks_free(c, i);
			c = NULL;
		}
	}
	*ok = c != NULL;
	return c;
}

static int same_range(const block_range *r, hub_date from, hub_date to)
{
	return hub_date_diff(r->from, from) == 0 &&
	       hub_date_diff(r->to, to) == 0;
}

int booking_copy_blocks_get(const booking_copy_tag *now, hub_date from,
			    hub_date to, booking_block **out, int *n)
{
	int hit = 0, ok = 1;
	pthread_mutex_lock(&g.lock);
	for (int i = 0; i < BLOCK_RANGES && !hit; i++) {
		block_range *r = &g.blocks[i];
		if (!fresh(&r->tag, now) || !same_range(r, from, to))
			continue;
		*out = blocks_dup(r->v, r->n, &ok);
		*n = r->n;
		hit = ok;
	}
	pthread_mutex_unlock(&g.lock);
	return hit;
}

void booking_copy_blocks_put(const booking_copy_tag *tag, hub_date from,
			     hub_date to, const booking_block *v, int n)
{
	block_range *slot = NULL;
	booking_block *c;
	int ok;
	if (!tag->epoch)
		return;
	c = blocks_dup(v, n, &ok);
	if (!ok)
		return;
	pthread_mutex_lock(&g.lock);
	/* the same range, else the oldest (empty ones are oldest) */
	for (int i = 0; i < BLOCK_RANGES; i++) {
		block_range *r = &g.blocks[i];
		if (r->tag.epoch && same_range(r, from, to)) {
			slot = r;
			break;
		}
		if (!slot || !r->tag.epoch ||
		    (slot->tag.epoch && r->tag.read_ms < slot->tag.read_ms))
			slot = r;
	}
	booking_blocks_free(slot->v, slot->n);
	slot->v = c;
	slot->n = n;
	slot->from = from;
	slot->to = to;
	slot->tag = *tag;
	pthread_mutex_unlock(&g.lock);
}

void booking_copies_free(void)
{
	pthread_mutex_lock(&g.lock);
	free(g.cons);
	g.cons = NULL;
	g.ncons = 0;
	memset(&g.cons_tag, 0, sizeof(g.cons_tag));
	memset(&g.gen_tag, 0, sizeof(g.gen_tag));
	for (int i = 0; i < BLOCK_RANGES; i++) {
		booking_blocks_free(g.blocks[i].v, g.blocks[i].n);
		memset(&g.blocks[i], 0, sizeof(g.blocks[i]));
	}
	pthread_mutex_unlock(&g.lock);
}
