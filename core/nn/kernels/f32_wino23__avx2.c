/* Winograd F(2x2, 3x3) transforms, AVX2 (native only): 8 channels per vector, channels past
 * the last multiple of 8 by the reference loop. The body is f32_wino23_simd.h. */
#if defined(NL_AVX2_KERNELS) && defined(__AVX2__)
#define NL_WINO_ISA NL_WINO_AVX2
#define NL_WINO_FN(name) nl_f32_wino23_##name##__avx2
#include "f32_wino23_simd.h"
#else
typedef int nl_not_built_wino23_avx2; /* not built: Wasm, non-x86, or NL_NATIVE_WIDE=OFF */
#endif
