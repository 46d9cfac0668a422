/* Weight-gradient GEMM microkernel, 1 row x 8 columns (2 f32x4 accumulators), SIMD128: one
 * broadcast load per k (the weight-gradient tile of the wasmsimd_splat set, for Firefox). */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_MR 1
#define NL_NV 2
#define NL_WGRAD nl_f32_wgrad_1x8__wasmsimd
#include "f32_gemm_simd.h"
