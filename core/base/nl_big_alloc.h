/* Zeroed allocation of large (batch-sized) buffers; free them with free(). */
#ifndef NL_BIG_ALLOC_H
#define NL_BIG_ALLOC_H

#include <stddef.h>

/* calloc, but natively on Linux buffers of 4 MB or more are 2 MB-aligned and marked for
 * transparent huge pages. Returns NULL on overflow or when out of memory. */
void *nl_big_calloc(size_t n, size_t size);

#endif
