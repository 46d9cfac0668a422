/* Weight standardisation forward and backward (see nl_weight_std.h). */
#include "nn/nl_weight_std.h"

#include <math.h>

void nl_weight_std_forward(size_t fan_in, int co, const float *w, float *w_hat, double *mean, double *rstd) {
    for (int o = 0; o < co; o++) {
        double s = 0.0;
        for (size_t k = 0; k < fan_in; k++) s += w[k * (size_t)co + o];
        double m = s / (double)fan_in, v = 0.0;
        for (size_t k = 0; k < fan_in; k++) {
            double d = w[k * (size_t)co + o] - m;
            v += d * d;
        }
        double r = 1.0 / sqrt(v / (double)fan_in + NL_WS_EPS);
        mean[o] = m;
        rstd[o] = r;
        for (size_t k = 0; k < fan_in; k++) w_hat[k * (size_t)co + o] = (float)((w[k * (size_t)co + o] - m) * r);
    }
}

void nl_weight_std_backward(size_t fan_in, int co, const float *w, const double *mean, const double *rstd, float *dw) {
    for (int o = 0; o < co; o++) {
        double m = mean[o], r = rstd[o], a = 0.0, b = 0.0;
        for (size_t k = 0; k < fan_in; k++) {
            double g = dw[k * (size_t)co + o], xh = (w[k * (size_t)co + o] - m) * r;
            a += g;
            b += g * xh;
        }
        a /= (double)fan_in;
        b /= (double)fan_in;
        for (size_t k = 0; k < fan_in; k++) {
            size_t j = k * (size_t)co + o;
            double xh = (w[j] - m) * r;
            dw[j] = (float)(r * ((double)dw[j] - a - xh * b));
        }
    }
}
