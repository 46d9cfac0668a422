/* Body of the SIMD normalisation kernels (definitions in nl_kernels.h), included by
 * f32_norm__{wasmsimd,avx2,avx512}.c with NL_NORM_ISA set to NL_NORM_WASMSIMD (f32x4),
 * NL_NORM_AVX2 (__m256) or NL_NORM_AVX512 (__m512) and NL_NORM_FN(name) naming the functions.
 * Lanes are channels of one pixel. Reductions sum each block of NL_STAT_BLOCK pixels in float,
 * NL_W channels at a time, then add it to the double accumulators, so every channel gets the
 * scalar reference's exact sequence of operations. AVX-512 covers a partial last vector with
 * masks; the others run the reference loop (f32_norm_scalar.h) on the channels past it. */
#include "f32_norm_scalar.h"

#define NL_NORM_WASMSIMD 1
#define NL_NORM_AVX2 2
#define NL_NORM_AVX512 3

#define INLINE static inline __attribute__((always_inline))

#if NL_NORM_ISA == NL_NORM_WASMSIMD
#include "nl_simd128.h"
#define NL_W 4
typedef v128_t vec;
typedef int vmask; /* no masks: full vectors only */
#define V_LOAD(p) wasm_v128_load(p)
#define V_STORE(p, v) wasm_v128_store(p, v)
#define V_ZERO() wasm_f32x4_splat(0.0f)
#define V_ADD(a, b) wasm_f32x4_add(a, b)
#define V_MUL(a, b) wasm_f32x4_mul(a, b)
#define V_RELU(t) wasm_f32x4_pmax(V_ZERO(), t) /* 0 < t ? t : 0 */
#define V_IF_POS(y, v) wasm_v128_and(wasm_f32x4_gt(y, V_ZERO()), v)
/* acc[0..3] (double) += the float partial sums s of 4 channels */
INLINE void add_f64(double *acc, vec s, vmask m) {
    (void)m;
    wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), wasm_f64x2_promote_low_f32x4(s)));
    wasm_v128_store(acc + 2, wasm_f64x2_add(wasm_v128_load(acc + 2),
                                            wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(s, s, 1, 1))));
}

#elif NL_NORM_ISA == NL_NORM_AVX2
#include <immintrin.h>
#define NL_W 8
typedef __m256 vec;
typedef int vmask;
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ZERO() _mm256_setzero_ps()
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_RELU(t) _mm256_max_ps(t, V_ZERO()) /* t > 0 ? t : 0 */
#define V_IF_POS(y, v) _mm256_and_ps(_mm256_cmp_ps(y, V_ZERO(), _CMP_GT_OQ), v)
INLINE void add_f64(double *acc, vec s, vmask m) {
    (void)m;
    _mm256_storeu_pd(acc, _mm256_add_pd(_mm256_loadu_pd(acc), _mm256_cvtps_pd(_mm256_castps256_ps128(s))));
    _mm256_storeu_pd(acc + 4, _mm256_add_pd(_mm256_loadu_pd(acc + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(s, 1))));
}

#elif NL_NORM_ISA == NL_NORM_AVX512
#include <immintrin.h>
#define NL_W 16
#define NL_MASKED 1
typedef __m512 vec;
typedef __mmask16 vmask;
#define V_ZERO() _mm512_setzero_ps()
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_RELU(t) _mm512_max_ps(t, V_ZERO()) /* t > 0 ? t : 0 */
#define V_IF_POS(y, v) _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, V_ZERO(), _CMP_GT_OQ), v)
#define V_LOADM(m, p) _mm512_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
INLINE vmask lane_mask(size_t n) { return n >= 16 ? (vmask)0xFFFF : (vmask)((1u << n) - 1u); }
INLINE __m512d lo_pd(__m512 x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
INLINE __m512d hi_pd(__m512 x) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
}
/* acc[0..15] (double) += the float partial sums s of 16 channels (m: valid lanes) */
INLINE void add_f64(double *acc, vec s, vmask m) {
    __mmask8 lo = (__mmask8)(m & 0xFF), hi = (__mmask8)(m >> 8);
    _mm512_mask_storeu_pd(acc, lo, _mm512_add_pd(_mm512_maskz_loadu_pd(lo, acc), lo_pd(s)));
    _mm512_mask_storeu_pd(acc + 8, hi, _mm512_add_pd(_mm512_maskz_loadu_pd(hi, acc + 8), hi_pd(s)));
}
#else
#error "NL_NORM_ISA: one of NL_NORM_WASMSIMD, NL_NORM_AVX2, NL_NORM_AVX512"
#endif

#ifdef NL_MASKED /* every channel in vectors, the last one masked */
#define LD(m, p) V_LOADM(m, p)
#define ST(p, m, v) V_STOREM(p, m, v)
#define VEC_END(c) (c)
#define MASK(n) lane_mask(n)
#else /* full vectors, then the reference loop */
#define LD(m, p) ((void)(m), V_LOAD(p))
#define ST(p, m, v) ((void)(m), V_STORE(p, v))
#define VEC_END(c) ((c) - (c) % NL_W)
#define MASK(n) 0
#endif

void NL_NORM_FN(chansum)(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    const size_t cv = VEC_END(c);
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = nl_stat_block_end(npix, p0), ch = 0;
        for (; ch < cv; ch += NL_W) {
            vmask m = MASK(c - ch);
            vec s = V_ZERO(), q = s;
            for (size_t p = p0; p < p1; p++) {
                vec v = LD(m, x + p * c + ch);
                s = V_ADD(s, v);
                q = V_ADD(q, V_MUL(v, v));
            }
            add_f64(sum + ch, s, m);
            add_f64(sumsq + ch, q, m);
        }
        nl_chansum_block_scalar(p0, p1, ch, c, x, sum, sumsq);
    }
}

/* c = NV full vectors: the parameters stay in registers */
INLINE void normrelu_regs(const size_t NV, size_t npix, size_t c, const float *x, const float *scale,
                          const float *shift, float *out) {
    vec sc[4], sh[4];
    NL_UNROLL
    for (size_t v = 0; v < NV; v++) {
        sc[v] = V_LOAD(scale + v * NL_W);
        sh[v] = V_LOAD(shift + v * NL_W);
    }
    const size_t n = npix * c;
    for (size_t i = 0; i < n; i += c) {
        NL_UNROLL
        for (size_t v = 0; v < NV; v++)
            V_STORE(out + i + v * NL_W, V_RELU(V_ADD(V_MUL(V_LOAD(x + i + v * NL_W), sc[v]), sh[v])));
    }
}

void NL_NORM_FN(normrelu)(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                          float *out) {
    if (c % NL_W == 0 && c <= 4 * NL_W) { /* the usual widths */
        switch (c / NL_W) {
        case 1: normrelu_regs(1, npix, c, x, scale, shift, out); return;
        case 2: normrelu_regs(2, npix, c, x, scale, shift, out); return;
        case 3: normrelu_regs(3, npix, c, x, scale, shift, out); return;
        case 4: normrelu_regs(4, npix, c, x, scale, shift, out); return;
        default: break;
        }
    }
    const size_t cv = VEC_END(c);
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *po = out + p * c;
        size_t ch = 0;
        for (; ch < cv; ch += NL_W) {
            vmask m = MASK(c - ch);
            vec t = V_ADD(V_MUL(LD(m, px + ch), LD(m, scale + ch)), LD(m, shift + ch));
            ST(po + ch, m, V_RELU(t));
        }
        nl_normrelu_px_scalar(ch, c, px, scale, shift, po);
    }
}

void NL_NORM_FN(normrelu_bwd)(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                              const float *dout, double *sum_g, double *sum_gx) {
    const size_t cv = VEC_END(c);
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = nl_stat_block_end(npix, p0), ch = 0;
        for (; ch < cv; ch += NL_W) {
            vmask m = MASK(c - ch);
            vec sc = LD(m, scale + ch), sh = LD(m, shift + ch);
            vec sg = V_ZERO(), sgx = sg;
            for (size_t p = p0; p < p1; p++) {
                vec xv = LD(m, x + p * c + ch);
                vec y = V_ADD(V_MUL(xv, sc), sh);
                vec g = V_IF_POS(y, LD(m, dout + p * c + ch));
                sg = V_ADD(sg, g);
                sgx = V_ADD(sgx, V_MUL(g, xv));
            }
            add_f64(sum_g + ch, sg, m);
            add_f64(sum_gx + ch, sgx, m);
        }
        nl_normrelu_bwd_block_scalar(p0, p1, ch, c, x, scale, shift, dout, sum_g, sum_gx);
    }
}

void NL_NORM_FN(norm_dx)(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                         const float *dout, const float *k2, const float *k3, float *dx) {
    const size_t cv = VEC_END(c);
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c, *pd = dout + p * c;
        float *po = dx + p * c;
        size_t ch = 0;
        for (; ch < cv; ch += NL_W) {
            vmask m = MASK(c - ch);
            vec xv = LD(m, px + ch), sc = LD(m, scale + ch);
            vec y = V_ADD(V_MUL(xv, sc), LD(m, shift + ch));
            vec g = V_IF_POS(y, LD(m, pd + ch));
            vec t = V_ADD(V_MUL(g, sc), V_MUL(xv, LD(m, k2 + ch)));
            ST(po + ch, m, V_ADD(t, LD(m, k3 + ch)));
        }
        nl_norm_dx_px_scalar(ch, c, px, scale, shift, pd, k2, k3, po);
    }
}
