/*
 * memory.c - malloc settings for a server with many worker threads.
 *
 * glibc gives threads their own arenas (up to 8 per processor) and raises
 * the mmap threshold each time a large block is freed, so a 16 MiB
 * yescrypt buffer, once freed, makes later ones come from an arena that
 * then cannot shrink below what sits above them. Fixed settings keep
 * resident memory close to what is in use: few arenas, large blocks always
 * mapped and unmapped, free memory at an arena's top given back early.
 * MALLOC_ARENA_MAX and friends in the environment still win (glibc reads
 * them before main; we only set what the environment left unset).
 */
#include "ops/memory.h"

#include <malloc.h>
#include <stdlib.h>

void hub_memory_tune(void)
{
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);
	if (!getenv("MALLOC_MMAP_THRESHOLD_"))
		mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (!getenv("MALLOC_TRIM_THRESHOLD_"))
		mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}
