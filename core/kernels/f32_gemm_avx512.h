/* Body of the AVX-512 GEMM microkernels (native only, see nl_kernels.h). One __m512 holds 16
 * columns; per k: NV loads of B, one broadcast of A per row, acc = acc + a * b with a separate
 * multiply and add (no FMA), in increasing k: every element gets exactly the scalar
 * reference's operations, so the bits equal the wasmsimd kernels'. Columns past nc are
 * computed on B's zero padding and masked off at the store. */
#include <immintrin.h>

#include "nl_kernels.h"

static inline __attribute__((always_inline)) void nl_gemm_avx512_tile(
    const size_t MR, const size_t NV, size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
    size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate) {
    const float *ap[16]; /* fixed sizes (not VLAs): MR <= 16, NV <= 2 */
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) ap[r] = a + (r < mr ? r : mr - 1) * a_row_stride;
    __mmask16 mask[2];
    NL_UNROLL
    for (size_t v = 0; v < NV; v++) {
        size_t lanes = nc > 16 * v ? nc - 16 * v : 0;
        mask[v] = lanes >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << lanes) - 1u);
    }
    __m512 acc[16][2];
    NL_UNROLL
    for (size_t r = 0; r < MR; r++)
        NL_UNROLL
        for (size_t v = 0; v < NV; v++)
            acc[r][v] = accumulate ? _mm512_maskz_loadu_ps(mask[v], c + (r < mr ? r : mr - 1) * c_row_stride + 16 * v)
                                   : _mm512_setzero_ps();
    if (a_k_stride == 1) {
        for (size_t k = 0; k < kc; k++) {
            __m512 vb[2];
            NL_UNROLL
            for (size_t v = 0; v < NV; v++) vb[v] = _mm512_loadu_ps(b + 16 * v);
            b += 16 * NV;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++) {
                const __m512 va = _mm512_set1_ps(ap[r][k]);
                NL_UNROLL
                for (size_t v = 0; v < NV; v++) acc[r][v] = _mm512_add_ps(acc[r][v], _mm512_mul_ps(va, vb[v]));
            }
        }
    } else {
        for (size_t k = 0; k < kc; k++) {
            __m512 vb[2];
            NL_UNROLL
            for (size_t v = 0; v < NV; v++) vb[v] = _mm512_loadu_ps(b + 16 * v);
            b += 16 * NV;
            NL_UNROLL
            for (size_t r = 0; r < MR; r++) {
                const __m512 va = _mm512_set1_ps(*ap[r]);
                ap[r] += a_k_stride;
                NL_UNROLL
                for (size_t v = 0; v < NV; v++) acc[r][v] = _mm512_add_ps(acc[r][v], _mm512_mul_ps(va, vb[v]));
            }
        }
    }
    NL_UNROLL
    for (size_t r = 0; r < MR; r++) {
        if (r >= mr) break;
        NL_UNROLL
        for (size_t v = 0; v < NV; v++) _mm512_mask_storeu_ps(c + r * c_row_stride + 16 * v, mask[v], acc[r][v]);
    }
}
