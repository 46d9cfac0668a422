/* Weight-gradient GEMM microkernel (A^T read from pixel runs at two strides), 4 rows x 8
 * columns (2 f32x4 accumulators per row), SIMD128. */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_MR 4
#define NL_NV 2
#define NL_WGRAD nl_f32_wgrad_4x8__wasmsimd
#include "f32_gemm_simd.h"
