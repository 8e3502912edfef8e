/*
 * stack.c - worker stack size floor and high-water probe; see stack.h.
 */
#define _GNU_SOURCE
#include "http/stack.h"
#include "hub_kit.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define PAINT 0xA5u

typedef int (*setstacksize_fn)(pthread_attr_t *, size_t);

/* Set once on the main thread before any worker exists. */
static setstacksize_fn g_real;
static size_t g_floor;

static size_t g_peak; /* __atomic builtins */
static size_t g_size;

static __thread unsigned char *t_low; /* lowest usable stack byte */
static __thread size_t t_size;

void hub_stack_floor_enable(void)
{
	if (!g_real)
		g_real = (setstacksize_fn)dlsym(RTLD_NEXT,
						"pthread_attr_setstacksize");
	g_floor = HUBKIT_WORKER_STACK_BYTES;
}

/* Replaces the C library's for the whole process (see stack.h). */
__attribute__((visibility("default"))) int
pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
	setstacksize_fn real = g_real;
	if (!real) /* a call before hub_stack_floor_enable: look it up */
		real = (setstacksize_fn)dlsym(RTLD_NEXT,
					      "pthread_attr_setstacksize");
	if (!real)
		return 22; /* EINVAL: cannot happen with glibc */
	if (size < g_floor)
		size = g_floor;
	return real(attr, size);
}

/* Writes the pattern from the bottom of the stack up to `top`. Not
 * instrumented: these bytes are below every live frame. */
__attribute__((no_sanitize("address"), no_sanitize("thread"),
	       noinline)) static void
paint(unsigned char *low, unsigned char *top)
{
	for (volatile unsigned char *p = low; p < top; p++)
		*p = PAINT;
}

__attribute__((no_sanitize("address"), no_sanitize("thread"),
	       noinline)) static size_t
untouched(const unsigned char *low, size_t size)
{
	size_t i = 0;
	while (i < size && low[i] == PAINT)
		i++;
	return i;
}

size_t hub_stack_thread_paint(void)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return 0;
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	unsigned char *low = addr;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (!low || sp < (uintptr_t)low || sp >= (uintptr_t)low + size)
		return 0;
	/* leave 4 KiB below this frame alone: the callers' frames */
	size_t below = (size_t)(sp - (uintptr_t)low);
	if (below > 8192)
		paint(low, low + (below - 4096));
	t_low = low;
	t_size = size;
	return size;
}

size_t hub_stack_thread_peak(void)
{
	if (!t_low)
		return 0;
	size_t used = t_size - untouched(t_low, t_size);
	size_t prev = __atomic_load_n(&g_peak, __ATOMIC_SEQ_CST);
	while (used > prev &&
	       !__atomic_compare_exchange_n(&g_peak, &prev, used, 0,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	__atomic_store_n(&g_size, t_size, __ATOMIC_SEQ_CST);
	return used;
}

void hub_stack_report(size_t *peak, size_t *size)
{
	*peak = __atomic_load_n(&g_peak, __ATOMIC_SEQ_CST);
	*size = __atomic_load_n(&g_size, __ATOMIC_SEQ_CST);
}
