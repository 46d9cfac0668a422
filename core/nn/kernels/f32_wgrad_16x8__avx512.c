/* Weight-gradient GEMM microkernel (A^T read from pixel runs at two strides), 16 rows x 8
 * columns (one __m256 per row), AVX-512VL (native only): the tile for widths that are not
 * multiples of 16. */
#if defined(NL_AVX512_KERNELS) && defined(__AVX512F__)
#define NL_GEMM_ISA NL_GEMM_AVX512_YMM
#define NL_MR 16
#define NL_WGRAD nl_f32_wgrad_16x8__avx512
#include "f32_gemm_simd.h"
#else
typedef int nl_not_built_nl_f32_wgrad_16x8__avx512; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
