/* Indirect GEMM microkernel (convolution forward / backward data), 4 rows x 8 columns
 * (2 f32x4 accumulators per row), SIMD128. */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_MR 4
#define NL_NV 2
#define NL_IGEMM nl_f32_igemm_4x8__wasmsimd
#include "f32_gemm_simd.h"
