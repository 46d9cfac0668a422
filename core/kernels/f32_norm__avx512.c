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

void nl_f32_normrelu__avx512(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                             float *out) {
    const __m512 zero = _mm512_setzero_ps();
    if (c == 16 || c == 32) { /* the usual widths: parameters in registers, no masks */
        __m512 sc0 = _mm512_loadu_ps(scale), sh0 = _mm512_loadu_ps(shift);
        __m512 sc1 = c == 32 ? _mm512_loadu_ps(scale + 16) : sc0, sh1 = c == 32 ? _mm512_loadu_ps(shift + 16) : sh0;
        size_t n = npix * c;
        for (size_t i = 0; i < n; i += c) {
            __m512 t = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), sc0), sh0);
            _mm512_storeu_ps(out + i, _mm512_max_ps(t, zero)); /* t > 0 ? t : 0 */
            if (c == 32) {
                t = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i + 16), sc1), sh1);
                _mm512_storeu_ps(out + i + 16, _mm512_max_ps(t, zero));
            }
        }
        return;
    }
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *po = out + p * c;
        for (size_t ch = 0; ch < c; ch += 16) {
            __mmask16 m = lane_mask(c, ch);
            __m512 t = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, px + ch), _mm512_maskz_loadu_ps(m, scale + ch)),
                                     _mm512_maskz_loadu_ps(m, shift + ch));
            _mm512_mask_storeu_ps(po + ch, m, _mm512_max_ps(t, zero));
        }
    }
}

INLINE void normrelu_bwd_block(const size_t NV, size_t npix, size_t c, size_t c0, const float *x,
                               const float *scale, const float *shift, const float *dout, double *sum_g,
                               double *sum_gx) {
    const __m512 zero = _mm512_setzero_ps();
    __mmask16 mf[2]; /* fixed sizes (not VLAs): NV <= 2 */
    __mmask8 md[4];
    __m512 sc[2], sh[2];
    __m512d sg[4], sx[4];
    NL_UNROLL
    for (size_t v = 0; v < NV; v++) {
        mf[v] = lane_mask(c, c0 + 16 * v);
        md[2 * v] = (__mmask8)(mf[v] & 0xFF);
        md[2 * v + 1] = (__mmask8)(mf[v] >> 8);
        sc[v] = _mm512_maskz_loadu_ps(mf[v], scale + c0 + 16 * v);
        sh[v] = _mm512_maskz_loadu_ps(mf[v], shift + c0 + 16 * v);
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
            __m512 xv = _mm512_maskz_loadu_ps(mf[v], x + off + 16 * v);
            __m512 y = _mm512_add_ps(_mm512_mul_ps(xv, sc[v]), sh[v]);
            __mmask16 pos = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ) & mf[v];
            __m512 g = _mm512_maskz_loadu_ps(pos, dout + off + 16 * v);
            __m512d glo = lo_pd(g), ghi = hi_pd(g);
            sg[2 * v] = _mm512_add_pd(sg[2 * v], glo);
            sg[2 * v + 1] = _mm512_add_pd(sg[2 * v + 1], ghi);
            sx[2 * v] = _mm512_add_pd(sx[2 * v], _mm512_mul_pd(glo, lo_pd(xv)));
            sx[2 * v + 1] = _mm512_add_pd(sx[2 * v + 1], _mm512_mul_pd(ghi, hi_pd(xv)));
        }
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        _mm512_mask_storeu_pd(sum_g + c0 + 8 * i, md[i], sg[i]);
        _mm512_mask_storeu_pd(sum_gx + c0 + 8 * i, md[i], sx[i]);
    }
}

void nl_f32_normrelu_bwd__avx512(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                 const float *dout, double *sum_g, double *sum_gx) {
    size_t c0 = 0;
    for (; c0 + 16 < c; c0 += 32) normrelu_bwd_block(2, npix, c, c0, x, scale, shift, dout, sum_g, sum_gx);
    if (c0 < c) normrelu_bwd_block(1, npix, c, c0, x, scale, shift, dout, sum_g, sum_gx);
}

void nl_f32_norm_dx__avx512(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                            const float *dout, const float *k2, const float *k3, float *dx) {
    const __m512 zero = _mm512_setzero_ps();
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c, *pd = dout + p * c;
        float *po = dx + p * c;
        for (size_t ch = 0; ch < c; ch += 16) {
            __mmask16 m = lane_mask(c, ch);
            __m512 xv = _mm512_maskz_loadu_ps(m, px + ch), sc = _mm512_maskz_loadu_ps(m, scale + ch);
            __m512 y = _mm512_add_ps(_mm512_mul_ps(xv, sc), _mm512_maskz_loadu_ps(m, shift + ch));
            __mmask16 pos = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ) & m;
            __m512 g = _mm512_maskz_loadu_ps(pos, pd + ch);
            __m512 t = _mm512_add_ps(_mm512_mul_ps(g, sc), _mm512_mul_ps(xv, _mm512_maskz_loadu_ps(m, k2 + ch)));
            _mm512_mask_storeu_ps(po + ch, m, _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, k3 + ch)));
        }
    }
}
#else
typedef int nl_no_avx512_norm; /* not built: Wasm, or NL_NATIVE_WIDE=OFF */
#endif
