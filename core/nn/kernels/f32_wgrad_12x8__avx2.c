/* Weight-gradient GEMM microkernel (A^T read from pixel runs at two strides), 12 rows x 8
 * columns (one __m256 per row), AVX2 without FMA (native only). */
#if defined(NL_AVX2_KERNELS) && defined(__AVX2__)
#define NL_GEMM_ISA NL_GEMM_AVX2
#define NL_MR 12
#define NL_WGRAD nl_f32_wgrad_12x8__avx2
#include "f32_gemm_simd.h"
#else
typedef int nl_not_built_nl_f32_wgrad_12x8__avx2; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
