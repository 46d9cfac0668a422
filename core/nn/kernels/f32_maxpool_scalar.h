/* The reference max of one 2x2 window over channels [c0, c) (definitions in nl_kernels.h):
 * f32_maxpool__scalar.c runs it on every channel, the SIMD kernel on the channels past its
 * last full vector. The first maximum under > wins, as in PyTorch. */
#ifndef NL_F32_MAXPOOL_SCALAR_H
#define NL_F32_MAXPOOL_SCALAR_H

#include "nl_kernels.h"

static inline void nl_maxpool_window_scalar(size_t c0, size_t c, const float *p00, const float *p01,
                                            const float *p10, const float *p11, float *out, uint8_t *a) {
    for (size_t ch = c0; ch < c; ch++) {
        float m = p00[ch];
        uint8_t i = 0;
        if (p01[ch] > m) { m = p01[ch]; i = 1; }
        if (p10[ch] > m) { m = p10[ch]; i = 2; }
        if (p11[ch] > m) { m = p11[ch]; i = 3; }
        out[ch] = m;
        a[ch] = i;
    }
}

#endif
