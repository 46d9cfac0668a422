/* Reference normalisation kernels (definitions for the SIMD versions, see nl_kernels.h); the
 * loops themselves are in f32_norm_scalar.h, shared with the SIMD kernels' channel tails. */
#include "f32_norm_scalar.h"

void nl_f32_chansum__scalar(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK)
        nl_chansum_block_scalar(p0, nl_stat_block_end(npix, p0), 0, c, x, sum, sumsq);
}

void nl_f32_normrelu__scalar(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                             float *out) {
    for (size_t p = 0; p < npix; p++) nl_normrelu_px_scalar(0, c, x + p * c, scale, shift, out + p * c);
}

void nl_f32_normrelu_bwd__scalar(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                 const float *dout, double *sum_g, double *sum_gx) {
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK)
        nl_normrelu_bwd_block_scalar(p0, nl_stat_block_end(npix, p0), 0, c, x, scale, shift, dout, sum_g, sum_gx);
}

void nl_f32_norm_dx__scalar(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                            const float *dout, const float *k2, const float *k3, float *dx) {
    for (size_t p = 0; p < npix; p++)
        nl_norm_dx_px_scalar(0, c, x + p * c, scale, shift, dout + p * c, k2, k3, dx + p * c);
}
