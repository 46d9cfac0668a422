/* Indirect GEMM microkernel (convolution forward / backward data), 12 rows x 16 columns, AVX-512
 * (native only). 12 rows keep the row pointers in general registers (16 spill). */
#if defined(NL_AVX512_KERNELS) && defined(__AVX512F__)
#define NL_GEMM_ISA NL_GEMM_AVX512
#define NL_MR 12
#define NL_IGEMM nl_f32_igemm_12x16__avx512
#include "f32_gemm_simd.h"
#else
typedef int nl_not_built_nl_f32_igemm_12x16__avx512; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
