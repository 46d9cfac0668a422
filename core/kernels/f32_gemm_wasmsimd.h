/* Body of the SIMD128 GEMM microkernels (included by f32_gemm_MRxNR__wasmsimd.c with
 * NL_MR, NL_NV (f32x4 vectors per row, NR = 4 NV) and NL_NAME defined). Per k: one splat of
 * A per row, NV loads of B, then acc += a * b as a separate multiply and add (no FMA), so the
 * bits equal the scalar reference. Rows past mr alias the last valid row: computed, never
 * stored. */
#include <string.h>

#include "nl_kernels.h"
#include "nl_simd128.h"

void NL_NAME(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride, size_t a_k_stride,
             const float *b, float *c, size_t c_row_stride, int accumulate) {
    const float *ap[NL_MR];
    NL_UNROLL
    for (size_t r = 0; r < NL_MR; r++) ap[r] = a + (r < mr ? r : mr - 1) * a_row_stride;
    v128_t acc[NL_MR][NL_NV];
    if (accumulate) {
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++) {
            const float *cr = c + (r < mr ? r : mr - 1) * c_row_stride;
            if (nc == 4 * NL_NV) {
                NL_UNROLL
                for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_v128_load(cr + 4 * v);
            } else {
                float tmp[4 * NL_NV];
                memset(tmp, 0, sizeof tmp);
                memcpy(tmp, cr, nc * sizeof(float));
                NL_UNROLL
                for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_v128_load(tmp + 4 * v);
            }
        }
    } else {
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++)
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
    }
    for (size_t k = 0; k < kc; k++) {
        v128_t vb[NL_NV];
        NL_UNROLL
        for (size_t v = 0; v < NL_NV; v++) vb[v] = wasm_v128_load(b + 4 * v);
        b += 4 * NL_NV;
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++) {
            const v128_t va = wasm_v128_load32_splat(ap[r]);
            ap[r] += a_k_stride;
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(va, vb[v]));
        }
    }
    if (nc == 4 * NL_NV) {
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++) {
            if (r >= mr) break;
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) wasm_v128_store(c + r * c_row_stride + 4 * v, acc[r][v]);
        }
    } else {
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++) {
            if (r >= mr) break;
            float out[4 * NL_NV];
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) wasm_v128_store(out + 4 * v, acc[r][v]);
            memcpy(c + r * c_row_stride, out, nc * sizeof(float));
        }
    }
}
