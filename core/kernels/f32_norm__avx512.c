/* Normalisation kernels, AVX-512 (native only; definitions in nl_kernels.h). Lanes are
 * channels; reductions hold 32 channels' double accumulators in registers and walk the pixels
 * in order, so every channel gets the scalar reference's exact sequence of operations. Channel
 * counts that are not multiples of 16 use masked loads and stores. */
#if defined(NL_WIDE_KERNELS) && defined(__AVX512F__)
#include <immintrin.h>

#include "nl_kernels.h"

#define INLINE static inline __attribute__((always_inline))

INLINE __mmask16 lane_mask(size_t c, size_t c0) {
    size_t n = c > c0 ? c - c0 : 0;
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}
INLINE __m512d lo_pd(__m512 x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
INLINE __m512d hi_pd(__m512 x) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
}

/* channels [c0, c0 + 16 NV) */
INLINE void chansum_block(const size_t NV, size_t npix, size_t c, size_t c0, const float *x, double *sum,
                          double *sumsq) {
    __mmask16 mf[2]; /* fixed sizes (not VLAs): NV <= 2 */
    __mmask8 md[4];
    __m512d s[4], q[4];
    NL_UNROLL
    for (size_t v = 0; v < NV; v++) {
        mf[v] = lane_mask(c, c0 + 16 * v);
        md[2 * v] = (__mmask8)(mf[v] & 0xFF);
        md[2 * v + 1] = (__mmask8)(mf[v] >> 8);
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        s[i] = _mm512_maskz_loadu_pd(md[i], sum + c0 + 8 * i);
        q[i] = _mm512_maskz_loadu_pd(md[i], sumsq + c0 + 8 * i);
    }
    const float *px = x + c0;
    for (size_t p = 0; p < npix; p++, px += c)
        NL_UNROLL
        for (size_t v = 0; v < NV; v++) {
            __m512 xv = _mm512_maskz_loadu_ps(mf[v], px + 16 * v);
            __m512d lo = lo_pd(xv), hi = hi_pd(xv);
            s[2 * v] = _mm512_add_pd(s[2 * v], lo);
            q[2 * v] = _mm512_add_pd(q[2 * v], _mm512_mul_pd(lo, lo));
            s[2 * v + 1] = _mm512_add_pd(s[2 * v + 1], hi);
            q[2 * v + 1] = _mm512_add_pd(q[2 * v + 1], _mm512_mul_pd(hi, hi));
        }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        _mm512_mask_storeu_pd(sum + c0 + 8 * i, md[i], s[i]);
        _mm512_mask_storeu_pd(sumsq + c0 + 8 * i, md[i], q[i]);
    }
}

void nl_f32_chansum__avx512(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    size_t c0 = 0;
    for (; c0 + 16 < c; c0 += 32) chansum_block(2, npix, c, c0, x, sum, sumsq);
    if (c0 < c) chansum_block(1, npix, c, c0, x, sum, sumsq);
}

void nl_f32_normrelu__avx512(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,
                             const float *gamma, const float *beta, float *out) {
    const __m512 zero = _mm512_setzero_ps();
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *po = out + p * c;
        for (size_t ch = 0; ch < c; ch += 16) {
            __mmask16 m = lane_mask(c, ch);
            __m512 t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, px + ch), _mm512_maskz_loadu_ps(m, mean + ch));
            t = _mm512_mul_ps(t, _mm512_maskz_loadu_ps(m, invstd + ch));
            t = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, gamma + ch), t), _mm512_maskz_loadu_ps(m, beta + ch));
            _mm512_mask_storeu_ps(po + ch, m, _mm512_max_ps(t, zero)); /* t > 0 ? t : 0 */
        }
    }
}

INLINE void normrelu_bwd_block(const size_t NV, size_t npix, size_t c, size_t c0, const float *x,
                               const float *mean, const float *invstd, const float *gamma, const float *beta,
                               const float *dout, double *sum_g, double *sum_gx) {
    const __m512 zero = _mm512_setzero_ps();
    __mmask16 mf[2]; /* fixed sizes (not VLAs): NV <= 2 */
    __mmask8 md[4];
    __m512 m[2], s[2], ga[2], be[2];
    __m512d sg[4], sx[4];
    NL_UNROLL
    for (size_t v = 0; v < NV; v++) {
        mf[v] = lane_mask(c, c0 + 16 * v);
        md[2 * v] = (__mmask8)(mf[v] & 0xFF);
        md[2 * v + 1] = (__mmask8)(mf[v] >> 8);
        m[v] = _mm512_maskz_loadu_ps(mf[v], mean + c0 + 16 * v);
        s[v] = _mm512_maskz_loadu_ps(mf[v], invstd + c0 + 16 * v);
        ga[v] = _mm512_maskz_loadu_ps(mf[v], gamma + c0 + 16 * v);
        be[v] = _mm512_maskz_loadu_ps(mf[v], beta + c0 + 16 * v);
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        sg[i] = _mm512_maskz_loadu_pd(md[i], sum_g + c0 + 8 * i);
        sx[i] = _mm512_maskz_loadu_pd(md[i], sum_gx + c0 + 8 * i);
    }
    for (size_t p = 0; p < npix; p++) {
        size_t off = p * c + c0;
        NL_UNROLL
        for (size_t v = 0; v < NV; v++) {
            __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mf[v], x + off + 16 * v), m[v]), s[v]);
            __m512 y = _mm512_add_ps(_mm512_mul_ps(ga[v], xhat), be[v]);
            __mmask16 pos = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ) & mf[v];
            __m512 g = _mm512_maskz_loadu_ps(pos, dout + off + 16 * v);
            __m512d glo = lo_pd(g), ghi = hi_pd(g);
            sg[2 * v] = _mm512_add_pd(sg[2 * v], glo);
            sg[2 * v + 1] = _mm512_add_pd(sg[2 * v + 1], ghi);
            sx[2 * v] = _mm512_add_pd(sx[2 * v], _mm512_mul_pd(glo, lo_pd(xhat)));
            sx[2 * v + 1] = _mm512_add_pd(sx[2 * v + 1], _mm512_mul_pd(ghi, hi_pd(xhat)));
        }
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        _mm512_mask_storeu_pd(sum_g + c0 + 8 * i, md[i], sg[i]);
        _mm512_mask_storeu_pd(sum_gx + c0 + 8 * i, md[i], sx[i]);
    }
}

void nl_f32_normrelu_bwd__avx512(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,
                                 const float *gamma, const float *beta, const float *dout, double *sum_g,
                                 double *sum_gx) {
    size_t c0 = 0;
    for (; c0 + 16 < c; c0 += 32) normrelu_bwd_block(2, npix, c, c0, x, mean, invstd, gamma, beta, dout, sum_g, sum_gx);
    if (c0 < c) normrelu_bwd_block(1, npix, c, c0, x, mean, invstd, gamma, beta, dout, sum_g, sum_gx);
}

void nl_f32_norm_dx__avx512(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,
                            const float *gamma, const float *beta, const float *dout, const float *a, const float *b,
                            float *dx) {
    const __m512 zero = _mm512_setzero_ps();
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c, *pd = dout + p * c;
        float *po = dx + p * c;
        for (size_t ch = 0; ch < c; ch += 16) {
            __mmask16 m = lane_mask(c, ch);
            __m512 s = _mm512_maskz_loadu_ps(m, invstd + ch), ga = _mm512_maskz_loadu_ps(m, gamma + ch);
            __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, px + ch), _mm512_maskz_loadu_ps(m, mean + ch)), s);
            __m512 y = _mm512_add_ps(_mm512_mul_ps(ga, xhat), _mm512_maskz_loadu_ps(m, beta + ch));
            __mmask16 pos = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ) & m;
            __m512 g = _mm512_maskz_loadu_ps(pos, pd + ch);
            __m512 t = _mm512_sub_ps(_mm512_mul_ps(ga, g), _mm512_maskz_loadu_ps(m, a + ch));
            t = _mm512_sub_ps(t, _mm512_mul_ps(xhat, _mm512_maskz_loadu_ps(m, b + ch)));
            _mm512_mask_storeu_ps(po + ch, m, _mm512_mul_ps(s, t));
        }
    }
}
#else
typedef int nl_no_avx512_norm; /* not built: Wasm, or NL_NATIVE_WIDE=OFF */
#endif
