/* Body of the SIMD128 IGEMM and WGRAD microkernels (see nl_kernels.h), included by
 * f32_{igemm,wgrad}_MRxNR__wasmsimd.c with NL_MR, NL_NV (f32x4 vectors per row, NR = 4 NV) and
 * NL_IGEMM / NL_WGRAD (the function names) defined. Per k: NV loads of B, one splat of A per
 * row, then acc = acc + a * b as a separate multiply and add (no FMA): the bits equal the
 * scalar references'. Rows past mr repeat the last row: computed, never stored. */
#include <string.h>

#include "nl_kernels.h"
#include "nl_simd128.h"

#define NL_NR (4 * NL_NV)

static inline __attribute__((always_inline)) void load_c(v128_t acc[NL_MR][NL_NV], size_t mr, size_t nc,
                                                         const float *c, size_t c_row_stride) {
    NL_UNROLL
    for (size_t r = 0; r < NL_MR; r++) {
        const float *cr = c + (r < mr ? r : mr - 1) * c_row_stride;
        if (nc == NL_NR) {
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_v128_load(cr + 4 * v);
        } else {
            float tmp[NL_NR];
            memset(tmp, 0, sizeof tmp);
            memcpy(tmp, cr, nc * sizeof(float));
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_v128_load(tmp + 4 * v);
        }
    }
}

static inline __attribute__((always_inline)) void store_c(v128_t acc[NL_MR][NL_NV], size_t mr, size_t nc, float *c,
                                                          size_t c_row_stride) {
    NL_UNROLL
    for (size_t r = 0; r < NL_MR; r++) {
        if (r >= mr) break;
        float *cr = c + r * c_row_stride;
        if (nc == NL_NR) {
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) wasm_v128_store(cr + 4 * v, acc[r][v]);
        } else {
            float out[NL_NR];
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) wasm_v128_store(out + 4 * v, acc[r][v]);
            memcpy(cr, out, nc * sizeof(float));
        }
    }
}

#ifdef NL_IGEMM
void NL_IGEMM(size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a, const float *b,
              float *c, size_t c_row_stride, int accumulate) {
    v128_t acc[NL_MR][NL_NV];
    if (accumulate) {
        load_c(acc, mr, nc, c, c_row_stride);
    } else {
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++)
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
    }
    const int32_t *ar[NL_MR]; /* offset rows; rows past mr repeat the last one */
    NL_UNROLL
    for (size_t r = 0; r < NL_MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * ks;
    for (size_t t = 0; t < ks; t++) {
        const float *ap[NL_MR];
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++) ap[r] = nl_row(x, ar[r][t]);
        for (size_t k = 0; k < kc; k++) {
            v128_t vb[NL_NV];
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) vb[v] = wasm_v128_load(b + 4 * v);
            b += NL_NR;
            NL_UNROLL
            for (size_t r = 0; r < NL_MR; r++) {
                const v128_t va = wasm_v128_load32_splat(ap[r] + k);
                NL_UNROLL
                for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(va, vb[v]));
            }
        }
    }
    store_c(acc, mr, nc, c, c_row_stride);
}
#endif

#ifdef NL_WGRAD
void NL_WGRAD(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer, size_t a_inner,
              const float *b, float *c, size_t c_row_stride) {
    v128_t acc[NL_MR][NL_NV];
    load_c(acc, mr, nc, c, c_row_stride);
    if (mr == NL_MR) { /* full tile: rows at constant offsets from one pointer */
        for (size_t o = 0; o < ko; o++, a += a_outer) {
            const float *ak = a;
            for (size_t i = 0; i < ki; i++, ak += a_inner) {
                v128_t vb[NL_NV];
                NL_UNROLL
                for (size_t v = 0; v < NL_NV; v++) vb[v] = wasm_v128_load(b + 4 * v);
                b += NL_NR;
                NL_UNROLL
                for (size_t r = 0; r < NL_MR; r++) {
                    const v128_t va = wasm_v128_load32_splat(ak + r);
                    NL_UNROLL
                    for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(va, vb[v]));
                }
            }
        }
    } else {
        size_t ro[NL_MR]; /* rows past mr repeat the last row */
        NL_UNROLL
        for (size_t r = 0; r < NL_MR; r++) ro[r] = r < mr ? r : mr - 1;
        for (size_t o = 0; o < ko; o++, a += a_outer) {
            const float *ak = a;
            for (size_t i = 0; i < ki; i++, ak += a_inner) {
                v128_t vb[NL_NV];
                NL_UNROLL
                for (size_t v = 0; v < NL_NV; v++) vb[v] = wasm_v128_load(b + 4 * v);
                b += NL_NR;
                NL_UNROLL
                for (size_t r = 0; r < NL_MR; r++) {
                    const v128_t va = wasm_v128_load32_splat(ak + ro[r]);
                    NL_UNROLL
                    for (size_t v = 0; v < NL_NV; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(va, vb[v]));
                }
            }
        }
    }
    store_c(acc, mr, nc, c, c_row_stride);
}
#endif
