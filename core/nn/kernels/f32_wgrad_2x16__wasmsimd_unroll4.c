/* Weight-gradient GEMM microkernel, 2 rows x 16 columns (4 f32x4 accumulators per row),
 * SIMD128, k loop unrolled by 4: the tile of the wasmsimd_unroll4 set,
 * which SpiderMonkey (Firefox) runs ~1.6x faster than the one-k loop (NL_GEMM_KUNROLL). */
#define NL_GEMM_ISA NL_GEMM_WASMSIMD
#define NL_GEMM_KUNROLL 4
#define NL_MR 2
#define NL_NV 4
#define NL_WGRAD nl_f32_wgrad_2x16__wasmsimd_unroll4
#include "f32_gemm_simd.h"
