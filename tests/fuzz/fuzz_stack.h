/*
 * fuzz_stack.h - runs one fuzz input on a thread with exactly the stack
 * a civetweb worker of hubd has (HUBKIT_WORKER_STACK_BYTES), not on the
 * fuzzer's 8 MiB main thread: a parser that recurses too deep for a
 * worker then crashes here too, as it would in the server.
 *
 * A target defines `static int fuzz_one(const uint8_t *data, size_t
 * size)` and then `HUB_FUZZ_ON_WORKER_STACK` after it, which defines
 * LLVMFuzzerTestOneInput.
 */
#ifndef HUB_FUZZ_STACK_H
#define HUB_FUZZ_STACK_H

#include "hub_kit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* One long-lived thread of the worker's stack size takes the inputs one
 * at a time (creating a thread per input would cost more than most
 * parsers do). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int (*fn)(const uint8_t *, size_t);
	const uint8_t *data;
	size_t size;
	int pending; /* an input waits for the thread */
	int started;
} hub_fuzz_w = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0};

static void *hub_fuzz_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hub_fuzz_w.mu);
	for (;;) {
		while (!hub_fuzz_w.pending)
			pthread_cond_wait(&hub_fuzz_w.cv, &hub_fuzz_w.mu);
		pthread_mutex_unlock(&hub_fuzz_w.mu);
		hub_fuzz_w.fn(hub_fuzz_w.data, hub_fuzz_w.size);
		pthread_mutex_lock(&hub_fuzz_w.mu);
		hub_fuzz_w.pending = 0;
		pthread_cond_broadcast(&hub_fuzz_w.cv);
	}
	return NULL;
}

/* Runs fn(data, size) on the worker-sized thread and waits for it. */
static inline int hub_fuzz_on_worker_stack(int (*fn)(const uint8_t *, size_t),
					   const uint8_t *data, size_t size)
{
	pthread_mutex_lock(&hub_fuzz_w.mu);
	if (!hub_fuzz_w.started) {
		pthread_attr_t a;
		pthread_t t;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, HUBKIT_WORKER_STACK_BYTES);
		if (pthread_create(&t, &a, hub_fuzz_thread, NULL) != 0)
			abort(); /* must not silently test nothing */
		pthread_attr_destroy(&a);
		hub_fuzz_w.started = 1;
	}
	hub_fuzz_w.fn = fn;
	hub_fuzz_w.data = data;
	hub_fuzz_w.size = size;
	hub_fuzz_w.pending = 1;
	pthread_cond_broadcast(&hub_fuzz_w.cv);
	while (hub_fuzz_w.pending)
		pthread_cond_wait(&hub_fuzz_w.cv, &hub_fuzz_w.mu);
	pthread_mutex_unlock(&hub_fuzz_w.mu);
	return 0;
}

#define HUB_FUZZ_ON_WORKER_STACK                                               \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);          \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)           \
	{                                                                      \
		return hub_fuzz_on_worker_stack(fuzz_one, data, size);         \
	}

#endif
