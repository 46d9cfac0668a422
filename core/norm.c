/* Normalisation + ReLU on NHWC pixels with per-channel mean/invstd (BN: batch statistics or
 * running ones; GN/LN: the image's group statistics expanded to channels). The statistics
 * are accumulated in double so that sum/sum-of-squares stays accurate. */
#include <math.h>
#include <string.h>

#include "nl_layers.h"

void nl_channel_sums(size_t npix, int c, const float *x, double *sum, double *sumsq) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        for (int ch = 0; ch < c; ch++) {
            double v = px[ch];
            sum[ch] += v;
            sumsq[ch] += v * v;
        }
    }
}

void nl_group_stats(size_t npix, int c, int groups, const float *x, float eps, float *mean, float *invstd) {
    double sum[256], sumsq[256];
    memset(sum, 0, sizeof(double) * (size_t)c);
    memset(sumsq, 0, sizeof(double) * (size_t)c);
    nl_channel_sums(npix, c, x, sum, sumsq);
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

void nl_norm_relu_forward(size_t npix, int c, const float *x, const float *mean, const float *invstd,
                          const float *gamma, const float *beta, float *out) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *po = out + p * c;
        for (int ch = 0; ch < c; ch++) {
            float v = gamma[ch] * ((px[ch] - mean[ch]) * invstd[ch]) + beta[ch];
            po[ch] = v > 0.0f ? v : 0.0f;
        }
    }
}

void nl_norm_relu_backward_g(size_t npix, int c, const float *x, const float *mean, const float *invstd,
                             const float *gamma, const float *beta, const float *dout, float *gout,
                             double *sum_g, double *sum_gx) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        const float *pd = dout + p * c;
        float *pg = gout + p * c;
        for (int ch = 0; ch < c; ch++) {
            float xhat = (px[ch] - mean[ch]) * invstd[ch];
            float v = gamma[ch] * xhat + beta[ch];
            float g = v > 0.0f ? pd[ch] : 0.0f;
            pg[ch] = g;
            sum_g[ch] += g;
            sum_gx[ch] += (double)g * xhat;
        }
    }
}

void nl_norm_backward_dx(size_t npix, int c, const float *x, const float *mean, const float *invstd,
                         const float *gamma, const float *a, const float *b, float *g) {
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *pg = g + p * c;
        for (int ch = 0; ch < c; ch++) {
            float xhat = (px[ch] - mean[ch]) * invstd[ch];
            pg[ch] = invstd[ch] * (gamma[ch] * pg[ch] - a[ch] - xhat * b[ch]);
        }
    }
}
