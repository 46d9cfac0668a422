/* Reference GEMM: the definition every SIMD GEMM kernel must match bit for bit. */
#include "nl_kernels.h"

void nl_f32_gemm_ref__scalar(size_t nr, size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                             size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate) {
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nc; j++) {
            float acc = accumulate ? c[r * c_row_stride + j] : 0.0f;
            for (size_t k = 0; k < kc; k++) acc = acc + a[r * a_row_stride + k * a_k_stride] * b[k * nr + j];
            c[r * c_row_stride + j] = acc;
        }
}

/* The scalar kernel set's tile (same definition, loops ordered for speed). */
void nl_f32_gemm_4x8__scalar(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                             size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate) {
    float acc[4][8];
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < 8; j++) acc[r][j] = (accumulate && j < nc) ? c[r * c_row_stride + j] : 0.0f;
    for (size_t k = 0; k < kc; k++) {
        const float *bk = b + k * 8;
        for (size_t r = 0; r < mr; r++) {
            float av = a[r * a_row_stride + k * a_k_stride];
            for (size_t j = 0; j < 8; j++) acc[r][j] = acc[r][j] + av * bk[j];
        }
    }
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nc; j++) c[r * c_row_stride + j] = acc[r][j];
}
