/* Body of the SIMD IGEMM and WGRAD microkernels (definitions in nl_kernels.h), included by
 * f32_{igemm,wgrad}_MRxNR__{wasmsimd,avx2,avx512}.c with:
 *   NL_GEMM_ISA  NL_GEMM_WASMSIMD (f32x4; NL_NV vectors per row), NL_GEMM_AVX512 (one __m512 of
 *                16 columns per row), NL_GEMM_AVX512_YMM (one __m256, AVX-512VL masks) or
 *                NL_GEMM_AVX2 (one __m256, AVX2 masks)
 *   NL_MR        the tile's rows; the x86 kernels run a 4-, 8-, 12- or 16-row body (at most
 *                NL_MR), the smallest that holds mr
 *   NL_IGEMM / NL_WGRAD  the function to define.
 * Per k: NV loads of B, one broadcast of A per row, then acc = acc + a * b as a separate
 * multiply and add (no FMA), in the reference's order: the bits equal the scalar kernels'.
 * NL_GEMM_KUNROLL U (default 1): U values of k per loop iteration (see below).
 * Rows past mr repeat the last row and columns past nc run on B's zero padding: computed,
 * never stored. Row counts are compile-time constants after inlining (fixed-size arrays,
 * fully unrolled loops). */
#include "nl_kernels.h"

#define NL_GEMM_WASMSIMD 1
#define NL_GEMM_AVX512 2
#define NL_GEMM_AVX512_YMM 3
#define NL_GEMM_AVX2 4

#define INLINE static inline __attribute__((always_inline))

#if NL_GEMM_ISA == NL_GEMM_WASMSIMD
#include <string.h>

#include "nl_simd128.h"
#define NL_W 4
#define NL_ARR_MR NL_MR
typedef v128_t vec;
#define V_LOAD(p) wasm_v128_load(p)
#define V_STORE(p, v) wasm_v128_store(p, v)
#define V_ZERO() wasm_f32x4_splat(0.0f)
#define V_SPLAT(p) wasm_v128_load32_splat(p)
#define V_ADD(a, b) wasm_f32x4_add(a, b)
#define V_MUL(a, b) wasm_f32x4_mul(a, b)
#define NL_BY_ROW_BLOCK(mr, TILE) TILE(NL_MR)
/* partial rows through a buffer (no masked moves in SIMD128) */
INLINE void load_row(vec *acc, size_t nc, const float *cr) {
    if (nc == 4 * NL_NV) {
        NL_UNROLL
        for (size_t v = 0; v < NL_NV; v++) acc[v] = V_LOAD(cr + 4 * v);
    } else {
        float tmp[4 * NL_NV];
        memset(tmp, 0, sizeof tmp);
        memcpy(tmp, cr, nc * sizeof(float));
        NL_UNROLL
        for (size_t v = 0; v < NL_NV; v++) acc[v] = V_LOAD(tmp + 4 * v);
    }
}
INLINE void store_row(const vec *acc, size_t nc, float *cr) {
    if (nc == 4 * NL_NV) {
        NL_UNROLL
        for (size_t v = 0; v < NL_NV; v++) V_STORE(cr + 4 * v, acc[v]);
    } else {
        float out[4 * NL_NV];
        NL_UNROLL
        for (size_t v = 0; v < NL_NV; v++) V_STORE(out + 4 * v, acc[v]);
        memcpy(cr, out, nc * sizeof(float));
    }
}

#else /* x86: one vector per row, partial rows by masked moves */
#include <immintrin.h>
#define NL_NV 1
#define NL_ARR_MR 16
/* TILE(R) for the smallest row block R in {4, 8, 12, 16} (up to NL_MR) that holds mr rows;
 * the branches past NL_MR are compiled out. */
#define NL_BY_ROW_BLOCK(mr, TILE)                                                                                 \
    do {                                                                                                          \
        if (NL_MR >= 16 && (mr) > 12) TILE(16);                                                                   \
        else if (NL_MR >= 12 && (mr) > 8) TILE(12);                                                               \
        else if ((mr) > 4) TILE(8);                                                                               \
        else TILE(4);                                                                                             \
    } while (0)
#if NL_GEMM_ISA == NL_GEMM_AVX512
#define NL_W 16
typedef __m512 vec;
typedef __mmask16 vmask;
#define V_MASK(nc) ((nc) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (nc)) - 1u))
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_LOADM(m, p) _mm512_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define V_ZERO() _mm512_setzero_ps()
#define V_SPLAT(p) _mm512_set1_ps(*(p))
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#else
#define NL_W 8
typedef __m256 vec;
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ZERO() _mm256_setzero_ps()
#define V_SPLAT(p) _mm256_set1_ps(*(p))
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#if NL_GEMM_ISA == NL_GEMM_AVX512_YMM
typedef __mmask8 vmask;
#define V_MASK(nc) ((nc) >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (nc)) - 1u))
#define V_LOADM(m, p) _mm256_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm256_mask_storeu_ps(p, m, v)
#elif NL_GEMM_ISA == NL_GEMM_AVX2 /* lane masks in vectors; masked moves only for partial rows (slow stores on Zen 2/3) */
typedef __m256i vmask;
#define V_MASK(nc) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(nc)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_LOADM(m, p) _mm256_maskload_ps(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#else
#error "NL_GEMM_ISA: one of NL_GEMM_WASMSIMD, NL_GEMM_AVX512, NL_GEMM_AVX512_YMM, NL_GEMM_AVX2"
#endif
#endif
INLINE void load_row(vec *acc, size_t nc, const float *cr) { acc[0] = nc == NL_W ? V_LOAD(cr) : V_LOADM(V_MASK(nc), cr); }
INLINE void store_row(const vec *acc, size_t nc, float *cr) {
    if (nc == NL_W) V_STORE(cr, acc[0]);
    else V_STOREM(cr, V_MASK(nc), acc[0]);
}
#endif

#define NL_NR (NL_W * NL_NV)

/* acc[r] += a_r[k] * B[k] for one k: NV loads of B, then per row the broadcast load of a_r[k] = *ak(r). */
#define NL_TILE_STEP(MR, ak)                                                                                      \
    do {                                                                                                          \
        vec vb[NL_NV];                                                                                            \
        NL_UNROLL                                                                                                 \
        for (size_t v = 0; v < NL_NV; v++) vb[v] = V_LOAD(b + NL_W * v);                                         \
        b += NL_NR;                                                                                               \
        NL_UNROLL                                                                                                 \
        for (size_t r = 0; r < MR; r++) {                                                                         \
            const vec va = V_SPLAT(ak(r));                                                                        \
            NL_UNROLL                                                                                             \
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = V_ADD(acc[r][v], V_MUL(va, vb[v]));                   \
        }                                                                                                         \
    } while (0)

/* NL_GEMM_KUNROLL: the k loops (the IGEMM's, the weight gradient's full tiles') take U values
 * of k per iteration (the steps written out, b's offsets constant). SpiderMonkey (Firefox) runs
 * the one-k loops at ~0.6x V8's speed and the four-k ones at about V8's; V8 runs the four-k ones
 * slower (bench/README.md, "Firefox at Chromium's pace"). The same multiplies and adds in the
 * same order: the same bits. */
#ifndef NL_GEMM_KUNROLL
#define NL_GEMM_KUNROLL 1
#endif

INLINE void store_tile(const size_t MR, vec acc[][NL_NV], size_t mr, size_t nc, float *c, size_t c_row_stride) {
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        store_row(acc[r], nc, c + r * c_row_stride);
    }
}

#ifdef NL_IGEMM
INLINE void igemm_tile(const size_t MR, size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a,
                       const float *b, float *c, size_t c_row_stride, int accumulate) {
    vec acc[NL_ARR_MR][NL_NV];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (accumulate) {
            load_row(acc[r], nc, c + (r < mr ? r : mr - 1) * c_row_stride);
        } else {
            NL_UNROLL
            for (size_t v = 0; v < NL_NV; v++) acc[r][v] = V_ZERO();
        }
    }
    const int32_t *ar[NL_ARR_MR]; /* offset rows; rows past mr repeat the last one */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * ks;
    for (size_t t = 0; t < ks; t++) {
        const float *ap[NL_ARR_MR];
        NL_UNROLL
        for (size_t r = 0; r < MR; r++) ap[r] = nl_row(x, ar[r][t]);
        size_t k = 0;
#if NL_GEMM_KUNROLL > 1
#define AKU(r) (ap[r] + k + u)
        for (; k + NL_GEMM_KUNROLL <= kc; k += NL_GEMM_KUNROLL) {
            NL_UNROLL
            for (size_t u = 0; u < NL_GEMM_KUNROLL; u++) NL_TILE_STEP(MR, AKU);
        }
#undef AKU
#endif
#define AK(r) (ap[r] + k)
        for (; k < kc; k++) NL_TILE_STEP(MR, AK);
#undef AK
    }
    store_tile(MR, acc, mr, nc, c, c_row_stride);
}

void NL_IGEMM(size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a, const float *b, float *c,
              size_t c_row_stride, int accumulate) {
#define TILE(R) igemm_tile(R, mr, nc, kc, ks, x, a, b, c, c_row_stride, accumulate)
    NL_BY_ROW_BLOCK(mr, TILE);
#undef TILE
}
#endif

#ifdef NL_WGRAD
INLINE void wgrad_tile(const size_t MR, size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer,
                       size_t a_inner, const float *b, float *c, size_t c_row_stride) {
    vec acc[NL_ARR_MR][NL_NV];
    size_t ro[NL_ARR_MR]; /* row offsets; rows past mr repeat the last row */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        ro[r] = r < mr ? r : mr - 1;
        load_row(acc[r], nc, c + ro[r] * c_row_stride);
    }
    if (mr == MR) { /* full tile: rows at constant offsets from one pointer */
#define AK(r) (ak + (r))
        for (size_t o = 0; o < ko; o++, a += a_outer) {
            const float *ak = a;
            size_t i = 0;
#if NL_GEMM_KUNROLL > 1
#define AKU(r) (ak + u * a_inner + (r))
            for (; i + NL_GEMM_KUNROLL <= ki; i += NL_GEMM_KUNROLL, ak += NL_GEMM_KUNROLL * a_inner) {
                NL_UNROLL
                for (size_t u = 0; u < NL_GEMM_KUNROLL; u++) NL_TILE_STEP(MR, AKU);
            }
#undef AKU
#endif
            for (; i < ki; i++, ak += a_inner) NL_TILE_STEP(MR, AK);
        }
#undef AK
    } else {
#define AK(r) (ak + ro[r])
        for (size_t o = 0; o < ko; o++, a += a_outer) {
            const float *ak = a;
            for (size_t i = 0; i < ki; i++, ak += a_inner) NL_TILE_STEP(MR, AK);
        }
#undef AK
    }
    store_tile(MR, acc, mr, nc, c, c_row_stride);
}

void NL_WGRAD(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer, size_t a_inner,
              const float *b, float *c, size_t c_row_stride) {
#define TILE(R) wgrad_tile(R, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride)
    NL_BY_ROW_BLOCK(mr, TILE);
#undef TILE
}
#endif
