/* GEMM microkernel, 4 rows x 16 columns (4 f32x4 accumulators per row), SIMD128. */
#define NL_MR 4
#define NL_NV 4
#define NL_NAME nl_f32_gemm_4x16__wasmsimd
#include "f32_gemm_wasmsimd.h"
