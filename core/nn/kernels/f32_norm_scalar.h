/* The reference normalisation loops over a channel range [c0, c) (definitions in
 * nl_kernels.h): f32_norm__scalar.c runs them on every channel, the SIMD kernels
 * (f32_norm_simd.h) on the channels past their last full vector. */
#ifndef NL_F32_NORM_SCALAR_H
#define NL_F32_NORM_SCALAR_H

#include "nl_kernels.h"

/* pixels p0..p1-1 (one statistics block) */
static inline void nl_chansum_block_scalar(size_t p0, size_t p1, size_t c0, size_t c, const float *x, double *sum,
                                           double *sumsq) {
    for (size_t ch = c0; ch < c; ch++) {
        float s = 0.0f, q = 0.0f;
        for (size_t p = p0; p < p1; p++) {
            float v = x[p * c + ch];
            s = s + v;
            q = q + v * v;
        }
        sum[ch] += (double)s;
        sumsq[ch] += (double)q;
    }
}

/* one pixel */
static inline void nl_normrelu_px_scalar(size_t c0, size_t c, const float *px, const float *scale,
                                         const float *shift, float *po) {
    for (size_t ch = c0; ch < c; ch++) {
        float v = px[ch] * scale[ch] + shift[ch];
        po[ch] = v > 0.0f ? v : 0.0f;
    }
}

/* pixels p0..p1-1 (one statistics block) */
static inline void nl_normrelu_bwd_block_scalar(size_t p0, size_t p1, size_t c0, size_t c, const float *x,
                                                const float *scale, const float *shift, const float *dout,
                                                double *sum_g, double *sum_gx) {
    for (size_t ch = c0; ch < c; ch++) {
        float sg = 0.0f, sgx = 0.0f;
        for (size_t p = p0; p < p1; p++) {
            float xv = x[p * c + ch];
            float v = xv * scale[ch] + shift[ch];
            float g = v > 0.0f ? dout[p * c + ch] : 0.0f;
            sg = sg + g;
            sgx = sgx + g * xv;
        }
        sum_g[ch] += (double)sg;
        sum_gx[ch] += (double)sgx;
    }
}

/* one pixel; po may be pd */
static inline void nl_norm_dx_px_scalar(size_t c0, size_t c, const float *px, const float *scale,
                                        const float *shift, const float *pd, const float *k2, const float *k3,
                                        float *po) {
    for (size_t ch = c0; ch < c; ch++) {
        float v = px[ch] * scale[ch] + shift[ch];
        float g = v > 0.0f ? pd[ch] : 0.0f;
        po[ch] = (g * scale[ch] + px[ch] * k2[ch]) + k3[ch];
    }
}

/* the end of the statistics block that starts at pixel p0 */
static inline size_t nl_stat_block_end(size_t npix, size_t p0) {
    return npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
}

#endif
