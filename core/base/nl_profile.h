/* Where a training step's time goes: per layer and per pass, summed over threads (nanoseconds).
 * Off by default: each hook is then one branch on a global flag. `normlab bench --profile`
 * turns it on around its timed steps and prints the table.
 *
 *   double t0 = nl_prof_begin();  ...work...  nl_prof_end(layer, NL_PROF_FORWARD, t0);
 *
 * layer: 0..NL_PROF_LAYERS-2 a network layer (nn/nl_model.h), NL_PROF_STEP the whole-batch
 * work outside the layers (optimizer, batch preparation, gradient reduction). */
#ifndef NL_PROFILE_H
#define NL_PROFILE_H

#include <stdint.h>

typedef enum {
    NL_PROF_FORWARD,   /* convolution forward (and c10) */
    NL_PROF_BWD_DATA,  /* convolution backward data */
    NL_PROF_WGRAD,     /* convolution weight gradient */
    NL_PROF_NORM,      /* normalisation + ReLU, forward and backward, statistics */
    NL_PROF_POOL,      /* max pool, global average pool, forward and backward */
    NL_PROF_OPTIMIZER, /* SGD update */
    NL_PROF_AUGMENT,   /* batch preparation with augmentation */
    NL_PROF_COPY,      /* batch preparation without augmentation (bytes to floats) */
    NL_PROF_OTHER,     /* loss, skip adds, weight packing, gradient reduction, BN statistics */
    NL_PROF_PASSES
} nl_prof_pass;

#define NL_PROF_LAYERS 15 /* NL_NUM_LAYERS + 1 */
#define NL_PROF_STEP (NL_PROF_LAYERS - 1)

extern int nl_prof_enabled;
extern const char *const nl_prof_pass_names[NL_PROF_PASSES];

double nl_prof_now(void); /* monotonic seconds */
void nl_prof_add(int layer, nl_prof_pass pass, double seconds);
static inline double nl_prof_begin(void) { return nl_prof_enabled ? nl_prof_now() : 0.0; }
static inline void nl_prof_end(int layer, nl_prof_pass pass, double t0) {
    if (nl_prof_enabled) nl_prof_add(layer, pass, nl_prof_now() - t0);
}
/* Clears the table and turns the hooks on or off (not while a step runs). */
void nl_prof_start(int on);
/* Accumulated seconds of (layer, pass), all threads together. */
double nl_prof_seconds(int layer, nl_prof_pass pass);

#endif
