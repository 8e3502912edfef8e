/*
 * upkeep.h - jobs the server runs for itself (core/src/ops/upkeep.c).
 */
#ifndef HUB_OPS_UPKEEP_H
#define HUB_OPS_UPKEEP_H

#include <stddef.h>

/* Registers the "core"/"upkeep" job: every [cache] sweep_interval_s
 * (default 60) it sweeps expired cache entries and refreshes the gauges
 * hub_disk_free_bytes, hub_disk_size_bytes and
 * hub_process_resident_memory_bytes. Call before hub_sched_start.
 * Returns 0 or -1. */
int hub_upkeep_register(void);

#endif
