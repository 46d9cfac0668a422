/* Indirect GEMM microkernel (convolution forward / backward data), 4 rows x 8 columns
 * (2 f32x4 accumulators per row), SIMD128, "splat" variant: A read four values at a time,
 * lanes broadcast by shuffles (the kernel set Firefox uses; see NL_LANE in f32_gemm_simd.h). */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_GEMM_SPLAT 1
#define NL_MR 4
#define NL_NV 2
#define NL_IGEMM nl_f32_igemm_4x8__wasmsimd_splat
#include "f32_gemm_simd.h"
