/* A small counter-based PRNG: every random draw is a pure function of (seed, stream, counter),
 * so augmentation and dropout for image i of step s are the same whichever thread runs them. */
#ifndef NL_RNG_H
#define NL_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} nl_rng;

/* splitmix64 step: good statistical quality for this use, trivially seekable. */
static inline uint64_t nl_rng_next(nl_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* An independent stream for (seed, a, b): e.g. (seed, epoch, image) or (seed, purpose, 0). */
static inline nl_rng nl_rng_stream(uint64_t seed, uint64_t a, uint64_t b) {
    nl_rng r = {seed ^ 0x6A09E667F3BCC908ull};
    r.state = nl_rng_next(&r) ^ (a * 0xD1B54A32D192ED03ull);
    r.state = nl_rng_next(&r) ^ (b * 0x8CB92BA72F3D8DD7ull);
    nl_rng_next(&r);
    return r;
}

/* Uniform in [0, 1) with 24 random bits (exact in float). */
static inline float nl_rng_uniform(nl_rng *r) {
    return (float)(nl_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply; bias < 2^-32 for our n). */
static inline uint32_t nl_rng_below(nl_rng *r, uint32_t n) {
    return (uint32_t)(((nl_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif
