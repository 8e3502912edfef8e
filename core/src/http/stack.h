/*
 * stack.h - the stacks of civetweb's worker threads: their size, and a
 * high-water probe that tells how much of them handlers really use.
 *
 * civetweb 1.15 (Debian 12's libcivetweb) has no option for the worker
 * stack size: it asks pthread_attr_setstacksize for a fixed 100 KiB. hubd
 * defines pthread_attr_setstacksize itself (stack.c), which the dynamic
 * linker binds civetweb's call to; it passes every request on to the C
 * library's, raised to at least HUBKIT_WORKER_STACK_BYTES. Nothing ever
 * gets a smaller stack than it asked for.
 */
#ifndef HUB_HTTP_STACK_H
#define HUB_HTTP_STACK_H

#include <stddef.h>

/* Turns the floor on (HUBKIT_WORKER_STACK_BYTES). Call on the main thread
 * before the server starts. */
void hub_stack_floor_enable(void);

/* On a worker thread at its start: fills the unused part of its stack
 * with a pattern so that hub_stack_thread_peak can find the deepest byte
 * ever written. Also returns the thread's stack size (0 when unknown). */
size_t hub_stack_thread_paint(void);

/* On the same thread at its end: bytes of its stack ever used (0 when not
 * painted). Records the process-wide maximum. */
size_t hub_stack_thread_peak(void);

/* The largest peak any finished worker reported, and the worker stack
 * size seen (both 0 before the first worker ended). */
void hub_stack_report(size_t *peak, size_t *size);

#endif
