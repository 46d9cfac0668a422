/* Indirect GEMM microkernel (convolution forward / backward data), 12 rows x 16 columns, AVX-512
 * (native only). 12 rows keep the row pointers in general registers (16 spill). Partial row
 * blocks run an 8- or 4-row body. */
#if defined(NL_WIDE_KERNELS) && defined(__AVX512F__)
#include "f32_igemm_avx512.h"

void nl_f32_igemm_12x16__avx512(size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a,
                                const float *b, float *c, size_t c_row_stride, int accumulate) {
    if (mr > 8) nl_igemm_avx512_tile(12, mr, nc, kc, ks, x, a, b, c, c_row_stride, accumulate);
    else if (mr > 4) nl_igemm_avx512_tile(8, mr, nc, kc, ks, x, a, b, c, c_row_stride, accumulate);
    else nl_igemm_avx512_tile(4, mr, nc, kc, ks, x, a, b, c, c_row_stride, accumulate);
}
#else
typedef int nl_no_avx512_igemm; /* not built: Wasm, or NL_NATIVE_WIDE=OFF */
#endif
