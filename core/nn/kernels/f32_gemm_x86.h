/* Body of the x86 IGEMM and WGRAD microkernels (native only; definitions in nl_kernels.h),
 * included by f32_{igemm,wgrad}_MRxNR__{avx512,avx2}.c with:
 *   NL_X86_ISA   NL_X86_AVX512 (one __m512 of 16 columns per row), NL_X86_AVX512_YMM (one
 *                __m256 of 8 columns, AVX-512VL masks) or NL_X86_AVX2 (one __m256, AVX2 masks)
 *   NL_MR        the largest row block, 12 or 16 (fewer rows run the 4-, 8- or 12-row body)
 *   NL_IGEMM / NL_WGRAD  the function to define.
 * One vector per row; per k: one load of B, one broadcast of A per row, acc = acc + a * b as a
 * separate multiply and add (no FMA), in the reference's order: the bits equal the scalar and
 * wasmsimd kernels'. Columns past nc are computed on B's zero padding and never stored. Rows
 * past mr repeat the last row: computed, never stored. The row count is a compile-time
 * constant after inlining (fixed-size arrays, fully unrolled). */
#include <immintrin.h>

#include "nl_kernels.h"

#define NL_X86_AVX512 1
#define NL_X86_AVX512_YMM 2
#define NL_X86_AVX2 3

#if NL_X86_ISA == NL_X86_AVX512
#define NL_W 16
typedef __m512 vec;
typedef __mmask16 vmask;
#define V_MASK(nc) ((nc) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (nc)) - 1u))
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_LOADM(m, p) _mm512_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(f) _mm512_set1_ps(f)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#else
#define NL_W 8
typedef __m256 vec;
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(f) _mm256_set1_ps(f)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#if NL_X86_ISA == NL_X86_AVX512_YMM
typedef __mmask8 vmask;
#define V_MASK(nc) ((nc) >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (nc)) - 1u))
#define V_LOADM(m, p) _mm256_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm256_mask_storeu_ps(p, m, v)
#else /* AVX2: lane masks in vectors; masked moves only for partial tiles (slow stores on Zen 2/3) */
typedef __m256i vmask;
#define V_MASK(nc) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(nc)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_LOADM(m, p) _mm256_maskload_ps(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#endif
#endif

#define INLINE static inline __attribute__((always_inline))
#define NL_X86_MAX_MR 16

/* TILE(R) for the smallest row block R in {4, 8, 12, 16} (up to NL_MR) that holds mr rows;
 * the branches past NL_MR are compiled out. */
#define NL_BY_ROW_BLOCK(mr, TILE)                                                                                 \
    do {                                                                                                          \
        if (NL_MR >= 16 && (mr) > 12) TILE(16);                                                                   \
        else if (NL_MR >= 12 && (mr) > 8) TILE(12);                                                               \
        else if ((mr) > 4) TILE(8);                                                                               \
        else TILE(4);                                                                                             \
    } while (0)

/* C rows in and out (nc < NL_W: masked) */
INLINE vec load_c(size_t nc, vmask m, const float *p) { return nc == NL_W ? V_LOAD(p) : V_LOADM(m, p); }
INLINE void store_c(size_t nc, vmask m, float *p, vec v) {
    if (nc == NL_W) {
#if NL_W == 16
        _mm512_storeu_ps(p, v);
#else
        _mm256_storeu_ps(p, v);
#endif
    } else {
        V_STOREM(p, m, v);
    }
}

#ifdef NL_IGEMM
INLINE void igemm_tile(const size_t MR, size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a,
                       const float *b, float *c, size_t c_row_stride, int accumulate) {
    const vmask mask = V_MASK(nc);
    vec acc[NL_X86_MAX_MR];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++)
        acc[r] = accumulate ? load_c(nc, mask, c + (r < mr ? r : mr - 1) * c_row_stride) : V_ZERO();
    const int32_t *ar[NL_X86_MAX_MR]; /* offset rows; rows past mr repeat the last one */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * ks;
    for (size_t t = 0; t < ks; t++) {
        const float *ap[NL_X86_MAX_MR];
        NL_UNROLL
        for (size_t r = 0; r < MR; r++) ap[r] = nl_row(x, ar[r][t]);
        for (size_t k = 0; k < kc; k++) {
            const vec vb = V_LOAD(b);
            b += NL_W;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++) acc[r] = V_ADD(acc[r], V_MUL(V_SET1(ap[r][k]), vb));
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        store_c(nc, mask, c + r * c_row_stride, acc[r]);
    }
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
    const vmask mask = V_MASK(nc);
    vec acc[NL_X86_MAX_MR];
    size_t ro[NL_X86_MAX_MR]; /* row offsets; rows past mr repeat the last row */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        ro[r] = r < mr ? r : mr - 1;
        acc[r] = load_c(nc, mask, c + ro[r] * c_row_stride);
    }
    for (size_t o = 0; o < ko; o++, a += a_outer) {
        const float *ak = a;
        for (size_t i = 0; i < ki; i++, ak += a_inner) {
            const vec vb = V_LOAD(b);
            b += NL_W;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++) acc[r] = V_ADD(acc[r], V_MUL(V_SET1(ak[ro[r]]), vb));
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        store_c(nc, mask, c + r * c_row_stride, acc[r]);
    }
}

void NL_WGRAD(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer, size_t a_inner,
              const float *b, float *c, size_t c_row_stride) {
#define TILE(R) wgrad_tile(R, mr, nc, ko, ki, a, a_outer, a_inner, b, c, c_row_stride)
    NL_BY_ROW_BLOCK(mr, TILE);
#undef TILE
}
#endif
