/* GEMM microkernel, 8 rows x 32 columns (two __m512 per row), AVX-512 (native only). */
#if defined(NL_WIDE_KERNELS) && defined(__AVX512F__)
#include "f32_gemm_avx512.h"

void nl_f32_gemm_8x32__avx512(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                              size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate) {
    if (mr > 4) nl_gemm_avx512_tile(8, 2, mr, nc, kc, a, a_row_stride, a_k_stride, b, c, c_row_stride, accumulate);
    else if (mr > 2) nl_gemm_avx512_tile(4, 2, mr, nc, kc, a, a_row_stride, a_k_stride, b, c, c_row_stride, accumulate);
    else nl_gemm_avx512_tile(2, 2, mr, nc, kc, a, a_row_stride, a_k_stride, b, c, c_row_stride, accumulate);
}
#else
typedef int nl_no_avx512_gemm_8x32; /* not built: Wasm, or NL_NATIVE_WIDE=OFF */
#endif
