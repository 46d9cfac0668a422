/* 2x2 max pool (stride 2) and global average pool on NHWC images. */
#include <string.h>

#include "nl_layers.h"

/* x[h][w][c] -> y[h/2][w/2][c]; arg = which of the 4 inputs won (first maximum wins, as PyTorch). */
void nl_maxpool_forward(int h, int w, int c, const float *x, float *y, uint8_t *arg) {
    int ho = h / 2, wo = w / 2;
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++) {
            const float *p00 = x + ((size_t)(2 * oy) * w + 2 * ox) * c;
            const float *p01 = p00 + c;
            const float *p10 = p00 + (size_t)w * c;
            const float *p11 = p10 + c;
            float *out = y + ((size_t)oy * wo + ox) * c;
            uint8_t *a = arg + ((size_t)oy * wo + ox) * c;
            for (int ch = 0; ch < c; ch++) {
                float m = p00[ch];
                uint8_t i = 0;
                if (p01[ch] > m) { m = p01[ch]; i = 1; }
                if (p10[ch] > m) { m = p10[ch]; i = 2; }
                if (p11[ch] > m) { m = p11[ch]; i = 3; }
                out[ch] = m;
                a[ch] = i;
            }
        }
}

/* dx[h][w][c] = dy routed to the winning input; zero elsewhere (including an odd last row/col). */
void nl_maxpool_backward(int h, int w, int c, const float *dy, const uint8_t *arg, float *dx) {
    int ho = h / 2, wo = w / 2;
    memset(dx, 0, (size_t)h * w * c * sizeof(float));
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++) {
            const float *g = dy + ((size_t)oy * wo + ox) * c;
            const uint8_t *a = arg + ((size_t)oy * wo + ox) * c;
            for (int ch = 0; ch < c; ch++) {
                int iy = 2 * oy + (a[ch] >> 1), ix = 2 * ox + (a[ch] & 1);
                dx[((size_t)iy * w + ix) * c + ch] = g[ch];
            }
        }
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
