/* Reference normalisation kernels (definitions for the SIMD versions, see nl_kernels.h). */
#include "nl_kernels.h"

void nl_f32_chansum__scalar(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        for (size_t ch = 0; ch < c; ch++) {
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
}

void nl_f32_normrelu__scalar(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                             float *out) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *po = out + p * c;
        for (size_t ch = 0; ch < c; ch++) {
            float v = px[ch] * scale[ch] + shift[ch];
            po[ch] = v > 0.0f ? v : 0.0f;
        }
    }
}

void nl_f32_normrelu_bwd__scalar(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                 const float *dout, double *sum_g, double *sum_gx) {
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        for (size_t ch = 0; ch < c; ch++) {
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
}

void nl_f32_norm_dx__scalar(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                            const float *dout, const float *k2, const float *k3, float *dx) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        const float *pd = dout + p * c;
        float *po = dx + p * c;
        for (size_t ch = 0; ch < c; ch++) {
            float v = px[ch] * scale[ch] + shift[ch];
            float g = v > 0.0f ? pd[ch] : 0.0f;
            po[ch] = (g * scale[ch] + px[ch] * k2[ch]) + k3[ch];
        }
    }
}
