/* Zeroed allocation of large buffers. Natively on Linux, buffers of 4 MB or more are aligned
 * to 2 MB and marked for transparent huge pages (fewer TLB misses when a pass streams through
 * a batch of activations); elsewhere it is calloc. Free with free(). */
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/nl_big_alloc.h"

void *nl_big_calloc(size_t n, size_t size) {
    if (size && n > ((size_t)-1) / size) return NULL;
    size_t bytes = n * size;
    if (bytes < ((size_t)4 << 20)) return calloc(n ? n : 1, size ? size : 1);
    size_t huge = (size_t)2 << 20, rounded = (bytes + huge - 1) / huge * huge;
    void *p = NULL;
    if (posix_memalign(&p, huge, rounded)) return NULL;
    madvise(p, rounded, MADV_HUGEPAGE); /* a hint: failure is harmless */
    memset(p, 0, rounded);
    return p;
}
#else
#include <stdlib.h>

#include "base/nl_big_alloc.h"

void *nl_big_calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
#endif
