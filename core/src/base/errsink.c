/*
 * errsink.c - the hand-over point for error reports (see errsink.h).
 */
#include "base/errsink.h"

#include <stdatomic.h>
#include <stddef.h>

static _Atomic(hub_err_sink_fn) g_sink;

void hub_err_sink_set(hub_err_sink_fn fn)
{
	atomic_store(&g_sink, fn);
}

void hub_err_report(const hub_err_event *ev)
{
	hub_err_sink_fn fn = atomic_load(&g_sink);
	if (fn && ev)
		fn(ev);
}
