/* Reference Winograd F(2x2, 3x3) transforms (definitions for the SIMD versions, see
 * nl_kernels.h); the loops are in f32_wino23_scalar.h, shared with the SIMD channel tails. */
#include "f32_wino23_scalar.h"

void nl_f32_wino23_in__scalar(size_t c, const float *x, size_t x_row, float *v, size_t v_stride) {
    nl_wino23_in_scalar(0, c, x, x_row, v, v_stride);
}

void nl_f32_wino23_out__scalar(size_t c, const float *m, size_t m_stride, float *y, size_t y_row, size_t oh,
                               size_t ow) {
    nl_wino23_out_scalar(0, c, m, m_stride, y, y_row, oh, ow);
}

void nl_f32_wino23_dyt__scalar(size_t c, const float *dy, size_t dy_row, size_t dy_px, size_t oh, size_t ow, float *v,
                               size_t v_stride) {
    nl_wino23_dyt_scalar(0, c, dy, dy_row, dy_px, oh, ow, v, v_stride);
}
