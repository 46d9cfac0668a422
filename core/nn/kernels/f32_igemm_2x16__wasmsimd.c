/* Indirect GEMM microkernel (convolution forward / backward data), 2 rows x 16 columns
 * (4 f32x4 accumulators per row), SIMD128. */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_MR 2
#define NL_NV 4
#define NL_IGEMM nl_f32_igemm_2x16__wasmsimd
#include "f32_gemm_simd.h"
