/* Weight-gradient GEMM microkernel (A^T read from pixel runs at two strides), 2 rows x 16
 * columns (4 f32x4 accumulators per row), SIMD128. */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_MR 2
#define NL_NV 4
#define NL_WGRAD nl_f32_wgrad_2x16__wasmsimd
#include "f32_gemm_simd.h"
