/* Weight-gradient GEMM microkernel (A^T read from pixel runs at two strides), 16 rows x 8
 * columns (one __m256 per row), AVX-512VL (native only): the tile for widths that are not
 * multiples of 16. Partial row blocks run a 12-, 8- or 4-row body. */
#if defined(NL_WIDE_KERNELS) && defined(__AVX512F__)
#include "f32_igemm_avx512.h"

void nl_f32_wgrad_16x8__avx512(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer,
                               size_t a_inner, const float *b, float *c, size_t c_row_stride) {
    if (mr > 12) nl_wgrad_avx512_tile8(16, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride);
    else if (mr > 8) nl_wgrad_avx512_tile8(12, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride);
    else if (mr > 4) nl_wgrad_avx512_tile8(8, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride);
    else nl_wgrad_avx512_tile8(4, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride);
}
#else
typedef int nl_no_avx512_wgrad8; /* not built: Wasm, or NL_NATIVE_WIDE=OFF */
#endif
