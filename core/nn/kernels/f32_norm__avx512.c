/* Normalisation kernels, AVX-512 (native only; definitions in nl_kernels.h). Lanes are
 * channels; reductions sum each block of NL_STAT_BLOCK pixels in float, 16 channels at a time,
 * then add it to the double accumulators, so every channel gets the scalar reference's exact
 * sequence of operations. Channel counts that are not multiples of 16 use masked loads and
 * stores. */
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

/* acc[0..15] (double) += the float partial sums s of 16 channels (m: valid lanes) */
INLINE void add_f64(double *acc, __m512 s, __mmask16 m) {
    __mmask8 lo = (__mmask8)(m & 0xFF), hi = (__mmask8)(m >> 8);
    _mm512_mask_storeu_pd(acc, lo, _mm512_add_pd(_mm512_maskz_loadu_pd(lo, acc), lo_pd(s)));
    _mm512_mask_storeu_pd(acc + 8, hi, _mm512_add_pd(_mm512_maskz_loadu_pd(hi, acc + 8), hi_pd(s)));
}

void nl_f32_chansum__avx512(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        for (size_t ch = 0; ch < c; ch += 16) {
            __mmask16 m = lane_mask(c, ch);
            __m512 s = _mm512_setzero_ps(), q = s;
            for (size_t p = p0; p < p1; p++) {
                __m512 v = _mm512_maskz_loadu_ps(m, x + p * c + ch);
                s = _mm512_add_ps(s, v);
                q = _mm512_add_ps(q, _mm512_mul_ps(v, v));
            }
            add_f64(sum + ch, s, m);
            add_f64(sumsq + ch, q, m);
        }
    }
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

void nl_f32_normrelu_bwd__avx512(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                 const float *dout, double *sum_g, double *sum_gx) {
    const __m512 zero = _mm512_setzero_ps();
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        for (size_t ch = 0; ch < c; ch += 16) {
            __mmask16 m = lane_mask(c, ch);
            __m512 sc = _mm512_maskz_loadu_ps(m, scale + ch), sh = _mm512_maskz_loadu_ps(m, shift + ch);
            __m512 sg = zero, sgx = zero;
            for (size_t p = p0; p < p1; p++) {
                __m512 xv = _mm512_maskz_loadu_ps(m, x + p * c + ch);
                __m512 y = _mm512_add_ps(_mm512_mul_ps(xv, sc), sh);
                __mmask16 pos = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ) & m;
                __m512 g = _mm512_maskz_loadu_ps(pos, dout + p * c + ch);
                sg = _mm512_add_ps(sg, g);
                sgx = _mm512_add_ps(sgx, _mm512_mul_ps(g, xv));
            }
            add_f64(sum_g + ch, sg, m);
            add_f64(sum_gx + ch, sgx, m);
        }
    }
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
