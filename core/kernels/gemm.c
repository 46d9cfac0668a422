/* Drives the 4x8 microkernel over a whole matrix, and packs B into 8-column panels. */
#include <string.h>

#include "nl_kernels.h"

nl_gemm_ukernel_fn nl_gemm_4x8 = nl_f32_gemm_4x8__wasmsimd;

void nl_pack_b_panels(size_t kc, size_t n, const float *b, size_t ldb, float *out) {
    size_t panels = (n + 7) / 8;
    for (size_t p = 0; p < panels; p++) {
        size_t nc = n - p * 8 < 8 ? n - p * 8 : 8;
        float *dst = out + p * kc * 8;
        for (size_t k = 0; k < kc; k++) {
            const float *src = b + k * ldb + p * 8;
            size_t j = 0;
            for (; j < nc; j++) dst[k * 8 + j] = src[j];
            for (; j < 8; j++) dst[k * 8 + j] = 0.0f;
        }
    }
}

void nl_gemm(size_t m, size_t n, size_t k, const float *a, size_t a_row_stride, size_t a_k_stride,
             const float *b_packed, float *c, size_t c_row_stride, int accumulate) {
    for (size_t p = 0; p * 8 < n; p++) {
        size_t nc = n - p * 8 < 8 ? n - p * 8 : 8;
        const float *bp = b_packed + p * k * 8;
        for (size_t i = 0; i < m; i += 4) {
            size_t mr = m - i < 4 ? m - i : 4;
            nl_gemm_4x8(mr, nc, k, a + i * a_row_stride, a_row_stride, a_k_stride, bp,
                        c + i * c_row_stride + p * 8, c_row_stride, accumulate);
        }
    }
}
