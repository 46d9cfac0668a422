/* Per-layer, per-pass time accumulators (see nl_profile.h): relaxed atomic adds, so the
 * threads of the pool can all add to one table; the order of adds does not matter. */
#include "base/nl_profile.h"

#include <stdatomic.h>
#include <time.h>

int nl_prof_enabled;
const char *const nl_prof_pass_names[NL_PROF_PASSES] = {"forward", "bwd-data", "wgrad",   "norm", "pool",
                                                        "optimizer", "augment", "copy", "other"};
static _Atomic uint64_t table[NL_PROF_LAYERS][NL_PROF_PASSES];

double nl_prof_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nl_prof_add(int layer, nl_prof_pass pass, double seconds) {
    if (layer < 0 || layer >= NL_PROF_LAYERS || seconds < 0.0) return;
    atomic_fetch_add_explicit(&table[layer][pass], (uint64_t)(seconds * 1e9), memory_order_relaxed);
}

void nl_prof_start(int on) {
    for (int l = 0; l < NL_PROF_LAYERS; l++)
        for (int p = 0; p < NL_PROF_PASSES; p++) atomic_store(&table[l][p], 0);
    nl_prof_enabled = on;
}

double nl_prof_seconds(int layer, nl_prof_pass pass) {
    if (layer < 0 || layer >= NL_PROF_LAYERS) return 0.0;
    return 1e-9 * (double)atomic_load(&table[layer][pass]);
}
