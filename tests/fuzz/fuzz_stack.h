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

typedef struct hub_fuzz_input {
	const uint8_t *data;
	size_t size;
	int (*fn)(const uint8_t *, size_t);
} hub_fuzz_input;

static void *hub_fuzz_thread(void *arg)
{
	hub_fuzz_input *in = arg;
	in->fn(in->data, in->size);
	return NULL;
}

/* Runs fn(data, size) on a worker-sized thread and waits for it. */
static inline int hub_fuzz_on_worker_stack(int (*fn)(const uint8_t *, size_t),
					   const uint8_t *data, size_t size)
{
	hub_fuzz_input in = {data, size, fn};
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, HUBKIT_WORKER_STACK_BYTES);
	if (pthread_create(&t, &a, hub_fuzz_thread, &in) != 0)
		abort(); /* the fuzzer must not silently test nothing */
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	return 0;
}

#define HUB_FUZZ_ON_WORKER_STACK                                               \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);          \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)           \
	{                                                                      \
		return hub_fuzz_on_worker_stack(fuzz_one, data, size);         \
	}

#endif
