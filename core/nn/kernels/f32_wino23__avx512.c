/* Winograd F(2x2, 3x3) transforms, AVX-512 (native only): 16 channels per vector, channels
 * past the last multiple of 16 by the reference loop. The body is f32_wino23_simd.h. */
#if defined(NL_AVX512_KERNELS) && defined(__AVX512F__)
#define NL_WINO_ISA NL_WINO_AVX512
#define NL_WINO_FN(name) nl_f32_wino23_##name##__avx512
#include "f32_wino23_simd.h"
#else
typedef int nl_not_built_wino23_avx512; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
