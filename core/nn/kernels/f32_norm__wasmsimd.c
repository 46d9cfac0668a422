/* Normalisation kernels, SIMD128: 4 channels per vector, channels past the last multiple of 4
 * by the reference loop. The body is f32_norm_simd.h. */
#define NL_NORM_ISA NL_NORM_WASMSIMD
#define NL_NORM_FN(name) nl_f32_##name##__wasmsimd
#include "f32_norm_simd.h"
