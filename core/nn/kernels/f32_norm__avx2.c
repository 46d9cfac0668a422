/* Normalisation kernels, AVX2 without FMA (native only): 8 channels per vector, channels past
 * the last multiple of 8 by the reference loop. The body is f32_norm_simd.h. */
#if defined(NL_AVX2_KERNELS) && defined(__AVX2__)
#define NL_NORM_ISA NL_NORM_AVX2
#define NL_NORM_FN(name) nl_f32_##name##__avx2
#include "f32_norm_simd.h"
#else
typedef int nl_not_built_norm_avx2; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
