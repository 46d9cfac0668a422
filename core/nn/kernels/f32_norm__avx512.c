/* Normalisation kernels, AVX-512 (native only): 16 channels per vector, a partial last vector
 * masked. The body is f32_norm_simd.h. */
#if defined(NL_AVX512_KERNELS) && defined(__AVX512F__)
#define NL_NORM_ISA NL_NORM_AVX512
#define NL_NORM_FN(name) nl_f32_##name##__avx512
#include "f32_norm_simd.h"
#else
typedef int nl_not_built_norm_avx512; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
