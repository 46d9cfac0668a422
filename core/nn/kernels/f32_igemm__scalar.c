/* Reference convolution GEMMs: the definitions every SIMD IGEMM / WGRAD kernel must match bit
 * for bit (see nl_kernels.h), and the scalar kernel set's 4x8 tiles. */
#include "nl_kernels.h"

const float nl_zero_floats[256];

void nl_f32_igemm_ref__scalar(size_t NR, size_t mr, size_t nc, size_t kc, size_t ks, const float *x,
                              const int32_t *a, const float *b, float *c, size_t c_row_stride, int accumulate) {
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nc; j++) {
            float acc = accumulate ? c[r * c_row_stride + j] : 0.0f;
            for (size_t t = 0; t < ks; t++) {
                const float *ar = nl_row(x, a[r * ks + t]);
                for (size_t k = 0; k < kc; k++) acc = acc + ar[k] * b[(t * kc + k) * NR + j];
            }
            c[r * c_row_stride + j] = acc;
        }
}

void nl_f32_wgrad_ref__scalar(size_t NR, size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer,
                              size_t a_inner, const float *b, float *c, size_t c_row_stride) {
    for (size_t r = 0; r < mr; r++)
        for (size_t j = 0; j < nc; j++) {
            float acc = c[r * c_row_stride + j];
            for (size_t o = 0; o < ko; o++)
                for (size_t i = 0; i < ki; i++) acc = acc + a[o * a_outer + i * a_inner + r] * b[(o * ki + i) * NR + j];
            c[r * c_row_stride + j] = acc;
        }
}

void nl_f32_igemm_4x8__scalar(size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a,
                              const float *b, float *c, size_t c_row_stride, int accumulate) {
    nl_f32_igemm_ref__scalar(8, mr, nc, kc, ks, x, a, b, c, c_row_stride, accumulate);
}

void nl_f32_wgrad_4x8__scalar(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer,
                              size_t a_inner, const float *b, float *c, size_t c_row_stride) {
    nl_f32_wgrad_ref__scalar(8, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride);
}
