/* Bodies of the AVX-512 IGEMM and WGRAD microkernels (native only; see nl_kernels.h). One
 * __m512 holds 16 columns; per k: one load of B, one broadcast of A per row, acc = acc + a * b
 * with a separate multiply and add (no FMA), in the reference's order: the bits equal the
 * scalar and wasmsimd kernels'. Columns past nc are computed on B's zero padding and masked
 * off. MR is a compile-time constant after inlining (arrays have fixed sizes, not VLAs). */
#include <immintrin.h>

#include "nl_kernels.h"

#define NL_AVX512_MAX_MR 16

static inline __attribute__((always_inline)) __mmask16 nl_nc_mask(size_t nc) {
    return nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1u);
}

static inline __attribute__((always_inline)) void nl_igemm_avx512_tile(const size_t MR, size_t mr, size_t nc,
                                                                       size_t kc, size_t ks, const float *x,
                                                                       const int32_t *a, const float *b, float *c,
                                                                       size_t c_row_stride, int accumulate) {
    const __mmask16 mask = nl_nc_mask(nc);
    __m512 acc[NL_AVX512_MAX_MR];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++)
        acc[r] = accumulate ? _mm512_maskz_loadu_ps(mask, c + (r < mr ? r : mr - 1) * c_row_stride)
                            : _mm512_setzero_ps();
    const int32_t *ar[NL_AVX512_MAX_MR]; /* offset rows; rows past mr repeat the last one */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * ks;
    for (size_t t = 0; t < ks; t++) {
        const float *ap[NL_AVX512_MAX_MR];
        NL_UNROLL
        for (size_t r = 0; r < MR; r++) ap[r] = nl_row(x, ar[r][t]);
        for (size_t k = 0; k < kc; k++) {
            const __m512 vb = _mm512_loadu_ps(b);
            b += 16;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++) acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(_mm512_set1_ps(ap[r][k]), vb));
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        _mm512_mask_storeu_ps(c + r * c_row_stride, mask, acc[r]);
    }
}

static inline __attribute__((always_inline)) void nl_wgrad_avx512_tile(const size_t MR, size_t mr, size_t nc,
                                                                       size_t ko, size_t ki, const float *a,
                                                                       size_t a_outer, size_t a_inner,
                                                                       const float *b, float *c,
                                                                       size_t c_row_stride) {
    const __mmask16 mask = nl_nc_mask(nc);
    __m512 acc[NL_AVX512_MAX_MR];
    size_t ro[NL_AVX512_MAX_MR]; /* row offsets; rows past mr repeat the last row */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        ro[r] = r < mr ? r : mr - 1;
        acc[r] = _mm512_maskz_loadu_ps(mask, c + ro[r] * c_row_stride);
    }
    for (size_t o = 0; o < ko; o++, a += a_outer) {
        const float *ak = a;
        for (size_t i = 0; i < ki; i++, ak += a_inner) {
            const __m512 vb = _mm512_loadu_ps(b);
            b += 16;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++)
                acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(_mm512_set1_ps(ak[ro[r]]), vb));
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        _mm512_mask_storeu_ps(c + r * c_row_stride, mask, acc[r]);
    }
}

/* 8-column versions (__m256 with AVX-512VL masks), for panels of 8: on cores that split 512-bit
 * operations in two halves they run at the same FLOP rate as the 16-column tile, and a width
 * of 24 then needs no zero-padded half panel. */
static inline __attribute__((always_inline)) __mmask8 nl_nc_mask8(size_t nc) {
    return nc >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << nc) - 1u);
}

static inline __attribute__((always_inline)) void nl_igemm_avx512_tile8(const size_t MR, size_t mr, size_t nc,
                                                                        size_t kc, size_t ks, const float *x,
                                                                        const int32_t *a, const float *b, float *c,
                                                                        size_t c_row_stride, int accumulate) {
    const __mmask8 mask = nl_nc_mask8(nc);
    __m256 acc[NL_AVX512_MAX_MR];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++)
        acc[r] = accumulate ? _mm256_maskz_loadu_ps(mask, c + (r < mr ? r : mr - 1) * c_row_stride)
                            : _mm256_setzero_ps();
    const int32_t *ar[NL_AVX512_MAX_MR];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) ar[r] = a + (r < mr ? r : mr - 1) * ks;
    for (size_t t = 0; t < ks; t++) {
        const float *ap[NL_AVX512_MAX_MR];
        NL_UNROLL
        for (size_t r = 0; r < MR; r++) ap[r] = nl_row(x, ar[r][t]);
        for (size_t k = 0; k < kc; k++) {
            const __m256 vb = _mm256_loadu_ps(b);
            b += 8;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++) acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(_mm256_set1_ps(ap[r][k]), vb));
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        _mm256_mask_storeu_ps(c + r * c_row_stride, mask, acc[r]);
    }
}

static inline __attribute__((always_inline)) void nl_wgrad_avx512_tile8(const size_t MR, size_t mr, size_t nc,
                                                                        size_t ko, size_t ki, const float *a,
                                                                        size_t a_outer, size_t a_inner,
                                                                        const float *b, float *c,
                                                                        size_t c_row_stride) {
    const __mmask8 mask = nl_nc_mask8(nc);
    __m256 acc[NL_AVX512_MAX_MR];
    size_t ro[NL_AVX512_MAX_MR];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        ro[r] = r < mr ? r : mr - 1;
        acc[r] = _mm256_maskz_loadu_ps(mask, c + ro[r] * c_row_stride);
    }
    for (size_t o = 0; o < ko; o++, a += a_outer) {
        const float *ak = a;
        for (size_t i = 0; i < ki; i++, ak += a_inner) {
            const __m256 vb = _mm256_loadu_ps(b);
            b += 8;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++)
                acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(_mm256_set1_ps(ak[ro[r]]), vb));
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        _mm256_mask_storeu_ps(c + r * c_row_stride, mask, acc[r]);
    }
}
