/* Reference 2x2 / stride 2 max pool on NHWC (definitions for the SIMD versions). */
#include <string.h>

#include "f32_maxpool_scalar.h"

void nl_f32_maxpool__scalar(size_t h, size_t w, size_t c, const float *x, float *y, uint8_t *arg) {
    size_t ho = h / 2, wo = w / 2;
    for (size_t oy = 0; oy < ho; oy++)
        for (size_t ox = 0; ox < wo; ox++) {
            const float *p00 = x + ((2 * oy) * w + 2 * ox) * c;
            const float *p01 = p00 + c, *p10 = p00 + w * c, *p11 = p10 + c;
            float *out = y + (oy * wo + ox) * c;
            uint8_t *a = arg + (oy * wo + ox) * c;
            nl_maxpool_window_scalar(0, c, p00, p01, p10, p11, out, a);
        }
}

void nl_f32_maxpool_bwd__scalar(size_t h, size_t w, size_t c, const float *dy, const uint8_t *arg, float *dx) {
    size_t ho = h / 2, wo = w / 2;
    memset(dx, 0, h * w * c * sizeof(float));
    for (size_t oy = 0; oy < ho; oy++)
        for (size_t ox = 0; ox < wo; ox++) {
            const float *g = dy + (oy * wo + ox) * c;
            const uint8_t *a = arg + (oy * wo + ox) * c;
            for (size_t ch = 0; ch < c; ch++) {
                size_t iy = 2 * oy + (a[ch] >> 1), ix = 2 * ox + (a[ch] & 1);
                dx[(iy * w + ix) * c + ch] = g[ch];
            }
        }
}
