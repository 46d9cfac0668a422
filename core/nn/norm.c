/* Normalisation + ReLU on NHWC pixels as a per-channel affine map from mean/invstd (BN: batch
 * statistics or running ones; GN/LN: the image's group statistics expanded to channels). The statistics
 * are accumulated in double so that sum/sum-of-squares stays accurate. The per-pixel work is
 * done by the kernel set's microkernels (kernels/f32_norm__*.c). */
#include <math.h>
#include <string.h>

#include "nn/kernels/nl_kernels.h"
#include "nn/nl_layers.h"

void nl_channel_sums(const nl_kernel_set *ks, size_t npix, int c, const float *x, double *sum, double *sumsq) {
    ks->chansum(npix, (size_t)c, x, sum, sumsq);
}

void nl_group_stats(const nl_kernel_set *ks, size_t npix, int c, int groups, const float *x, float eps, float *mean,
                    float *invstd) {
    double sum[256], sumsq[256];
    memset(sum, 0, sizeof(double) * (size_t)c);
    memset(sumsq, 0, sizeof(double) * (size_t)c);
    ks->chansum(npix, (size_t)c, x, sum, sumsq);
    int cg = c / groups;
    for (int g = 0; g < groups; g++) {
        double s = 0.0, s2 = 0.0;
        for (int ch = g * cg; ch < (g + 1) * cg; ch++) {
            s += sum[ch];
            s2 += sumsq[ch];
        }
        double n = (double)npix * cg;
        double m = s / n;
        double var = s2 / n - m * m;
        if (var < 0.0) var = 0.0;
        mean[g] = (float)m;
        invstd[g] = (float)(1.0 / sqrt(var + eps));
    }
}

void nl_norm_affine(int c, const float *mean, const float *invstd, const float *gamma, const float *beta, float *scale,
                    float *shift) {
    for (int ch = 0; ch < c; ch++) {
        scale[ch] = gamma[ch] * invstd[ch];
        shift[ch] = (float)((double)beta[ch] - (double)mean[ch] * (double)scale[ch]);
    }
}

void nl_norm_relu_forward(const nl_kernel_set *ks, size_t npix, int c, const float *x, const float *scale,
                          const float *shift, float *out) {
    ks->normrelu(npix, (size_t)c, x, scale, shift, out);
}

void nl_norm_relu_backward_sums(const nl_kernel_set *ks, size_t npix, int c, const float *x, const float *scale,
                                const float *shift, const float *dout, double *sum_g, double *sum_gx) {
    ks->normrelu_bwd(npix, (size_t)c, x, scale, shift, dout, sum_g, sum_gx);
}

void nl_norm_dx_coefs(double invstd, double mean, double A, double B, float *k2, float *k3) {
    *k2 = (float)(-invstd * invstd * B);
    *k3 = (float)(invstd * invstd * B * mean - invstd * A);
}

void nl_norm_backward_dx(const nl_kernel_set *ks, size_t npix, int c, const float *x, const float *scale,
                         const float *shift, const float *dout, const float *k2, const float *k3, float *dx) {
    ks->norm_dx(npix, (size_t)c, x, scale, shift, dout, k2, k3, dx);
}
