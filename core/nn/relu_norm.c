/* ReLU-before-norm blocks (see nl_relu_norm.h). */
#include "nn/nl_relu_norm.h"

#include "nn/kernels/nl_kernels.h"

void nl_relu_inplace(size_t n, float *x) {
    for (size_t e = 0; e < n; e++) x[e] = x[e] > 0.0f ? x[e] : 0.0f;
}

void nl_norm_affine_forward(size_t npix, int c, const float *x, const float *scale, const float *shift, float *out) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * (size_t)c;
        float *po = out + p * (size_t)c;
        for (int ch = 0; ch < c; ch++) po[ch] = px[ch] * scale[ch] + shift[ch];
    }
}

void nl_norm_affine_backward_sums(size_t npix, int c, const float *x, const float *dout, double *sum_g,
                                  double *sum_gx) {
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        for (int ch = 0; ch < c; ch++) {
            float sg = 0.0f, sgx = 0.0f;
            for (size_t p = p0; p < p1; p++) {
                float g = dout[p * (size_t)c + ch];
                sg = sg + g;
                sgx = sgx + g * x[p * (size_t)c + ch];
            }
            sum_g[ch] += (double)sg;
            sum_gx[ch] += (double)sgx;
        }
    }
}

void nl_norm_affine_relu_backward_dx(size_t npix, int c, const float *r, const float *scale, const float *dout,
                                     const float *k2, const float *k3, float *dx) {
    for (size_t p = 0; p < npix; p++) {
        const float *pr = r + p * (size_t)c, *pd = dout + p * (size_t)c;
        float *po = dx + p * (size_t)c;
        for (int ch = 0; ch < c; ch++) {
            float v = (pd[ch] * scale[ch] + pr[ch] * k2[ch]) + k3[ch];
            po[ch] = pr[ch] > 0.0f ? v : 0.0f;
        }
    }
}
