/* WebAssembly SIMD128 intrinsics: the real ones under Emscripten, SIMDe's portable
 * implementation natively, so one kernel source serves the browser and the CI tests. */
#ifndef NL_SIMD128_H
#define NL_SIMD128_H

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_WASM_SIMD128_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

#endif
