/*
 * memory.h - process-wide malloc settings (core/src/ops/memory.c).
 */
#ifndef HUB_OPS_MEMORY_H
#define HUB_OPS_MEMORY_H

/* Sets the malloc arena count, mmap and trim thresholds for hubd. Call
 * first in main, before any thread starts. Cannot fail. */
void hub_memory_tune(void);

#endif
