/* Winograd F(2x2, 3x3) transforms, SIMD128: 4 channels per vector, channels past the last
 * multiple of 4 by the reference loop. The body is f32_wino23_simd.h. */
#define NL_WINO_ISA NL_WINO_WASMSIMD
#define NL_WINO_FN(name) nl_f32_wino23_##name##__wasmsimd
#include "f32_wino23_simd.h"
