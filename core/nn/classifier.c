/* The classifier head: c10 as a fully connected layer on the GAP output, and
 * log-softmax + negative log-likelihood with label smoothing (PyTorch's cross_entropy). */
#include <math.h>

#include "nn/nl_layers.h"

void nl_fc_forward(int ci, int co, const float *x, const float *w, float *y) {
    for (int o = 0; o < co; o++) {
        float s = 0.0f;
        for (int i = 0; i < ci; i++) s += x[i] * w[(size_t)i * co + o];
        y[o] = s;
    }
}

void nl_fc_backward(int ci, int co, const float *x, const float *w, const float *dy, float *dx, float *dw) {
    for (int i = 0; i < ci; i++) {
        float s = 0.0f;
        for (int o = 0; o < co; o++) {
            dw[(size_t)i * co + o] += x[i] * dy[o];
            s += w[(size_t)i * co + o] * dy[o];
        }
        if (dx) dx[i] = s;
    }
}

/* target = (1 - eps) onehot + eps / K; loss = -sum target * log_softmax. */
double nl_softmax_xent(int classes, const float *logits, int label, float eps, float scale, float *dlogits,
                       float *prob_out) {
    double mx = logits[0];
    for (int j = 1; j < classes; j++)
        if (logits[j] > mx) mx = logits[j];
    double sum = 0.0;
    for (int j = 0; j < classes; j++) sum += exp((double)logits[j] - mx);
    double lse = mx + log(sum);
    double loss = 0.0;
    for (int j = 0; j < classes; j++) {
        double logp = (double)logits[j] - lse;
        double target = (j == label ? 1.0 - eps : 0.0) + (double)eps / classes;
        loss -= target * logp;
        double p = exp(logp);
        if (prob_out) prob_out[j] = (float)p;
        if (dlogits) dlogits[j] = (float)((p - target) * scale);
    }
    return loss;
}
