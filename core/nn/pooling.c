/* 2x2 max pool (stride 2; kernels/f32_maxpool__*.c) and global average pool on NHWC images. */
#include <string.h>

#include "nn/kernels/nl_kernels.h"
#include "nn/nl_layers.h"

void nl_maxpool_forward(const nl_kernel_set *ks, int h, int w, int c, const float *x, float *y, uint8_t *arg) {
    ks->maxpool((size_t)h, (size_t)w, (size_t)c, x, y, arg);
}

void nl_maxpool_backward(const nl_kernel_set *ks, int h, int w, int c, const float *dy, const uint8_t *arg,
                         float *dx) {
    ks->maxpool_bwd((size_t)h, (size_t)w, (size_t)c, dy, arg, dx);
}

/* x[hw][c] -> y[c] = mean over pixels (summed in pixel order, in double) */
void nl_gap_forward(int hw, int c, const float *x, float *y) {
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0;
        for (int p = 0; p < hw; p++) s += x[(size_t)p * c + ch];
        y[ch] = (float)(s / hw);
    }
}

void nl_gap_backward(int hw, int c, const float *dy, float *dx) {
    float inv = 1.0f / (float)hw;
    for (int p = 0; p < hw; p++)
        for (int ch = 0; ch < c; ch++) dx[(size_t)p * c + ch] = dy[ch] * inv;
}
