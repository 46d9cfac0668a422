/* The reference Winograd F(2x2, 3x3) transforms over a channel range [c0, c) (definitions in
 * nl_kernels.h): f32_wino23__scalar.c runs them on every channel, the SIMD kernels
 * (f32_wino23_simd.h) on the channels past their last full vector. */
#ifndef NL_F32_WINO23_SCALAR_H
#define NL_F32_WINO23_SCALAR_H

#include "nl_kernels.h"

/* v = B^T d B of one 4x4 tile: along each row first, then down each column */
static inline void nl_wino23_in_scalar(size_t c0, size_t c, const float *x, size_t x_row, float *v,
                                       size_t v_stride) {
    for (size_t ch = c0; ch < c; ch++) {
        float t[4][4];
        for (size_t i = 0; i < 4; i++) {
            const float *r = x + i * x_row + ch;
            float d0 = r[0], d1 = r[c], d2 = r[2 * c], d3 = r[3 * c];
            t[i][0] = d0 - d2;
            t[i][1] = d1 + d2;
            t[i][2] = d2 - d1;
            t[i][3] = d1 - d3;
        }
        for (size_t j = 0; j < 4; j++) {
            v[(0 + j) * v_stride + ch] = t[0][j] - t[2][j];
            v[(4 + j) * v_stride + ch] = t[1][j] + t[2][j];
            v[(8 + j) * v_stride + ch] = t[2][j] - t[1][j];
            v[(12 + j) * v_stride + ch] = t[1][j] - t[3][j];
        }
    }
}

/* y = A^T m A of one tile: down each column first, then along each row; oh x ow pixels kept */
static inline void nl_wino23_out_scalar(size_t c0, size_t c, const float *m, size_t m_stride, float *y,
                                        size_t y_row, size_t oh, size_t ow) {
    for (size_t ch = c0; ch < c; ch++) {
        float s[2][4];
        for (size_t j = 0; j < 4; j++) {
            float m0 = m[j * m_stride + ch], m1 = m[(4 + j) * m_stride + ch];
            float m2 = m[(8 + j) * m_stride + ch], m3 = m[(12 + j) * m_stride + ch];
            s[0][j] = (m0 + m1) + m2;
            s[1][j] = (m1 - m2) - m3;
        }
        for (size_t i = 0; i < oh; i++) {
            float y0 = (s[i][0] + s[i][1]) + s[i][2], y1 = (s[i][1] - s[i][2]) - s[i][3];
            y[i * y_row + ch] = y0;
            if (ow > 1) y[i * y_row + c + ch] = y1;
        }
    }
}

/* v = A g A^T of one 2x2 tile of dy (zeros past oh x ow): along each row first, then down */
static inline void nl_wino23_dyt_scalar(size_t c0, size_t c, const float *dy, size_t dy_row, size_t dy_px, size_t oh, size_t ow,
                                        float *v, size_t v_stride) {
    for (size_t ch = c0; ch < c; ch++) {
        float t[2][4];
        for (size_t i = 0; i < 2; i++) {
            float g0 = i < oh ? dy[i * dy_row + ch] : 0.0f;
            float g1 = i < oh && ow > 1 ? dy[i * dy_row + dy_px + ch] : 0.0f;
            t[i][0] = g0;
            t[i][1] = g0 + g1;
            t[i][2] = g0 - g1;
            t[i][3] = -g1;
        }
        for (size_t j = 0; j < 4; j++) {
            v[(0 + j) * v_stride + ch] = t[0][j];
            v[(4 + j) * v_stride + ch] = t[0][j] + t[1][j];
            v[(8 + j) * v_stride + ch] = t[0][j] - t[1][j];
            v[(12 + j) * v_stride + ch] = -t[1][j];
        }
    }
}

#endif
