/* Normalisation kernels, SIMD128 (lanes = channels of one pixel; see nl_kernels.h for the
 * definitions). Reductions sum each block of NL_STAT_BLOCK pixels in float, 4 channels at a
 * time, then add the block into the double accumulators; channels past the last multiple of
 * 4 take the scalar path. Same bits as the scalar reference. */
#include "nl_kernels.h"
#include "nl_simd128.h"

#define INLINE static inline __attribute__((always_inline))

INLINE v128_t promote_hi(v128_t x) { return wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(x, x, 1, 1)); }

/* Float partial sums of 4 channels, added to the double accumulators acc[0..3] */
INLINE void add_f64(double *acc, v128_t s) {
    wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), wasm_f64x2_promote_low_f32x4(s)));
    wasm_v128_store(acc + 2, wasm_f64x2_add(wasm_v128_load(acc + 2), promote_hi(s)));
}

void nl_f32_chansum__wasmsimd(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    size_t cv = c & ~(size_t)3;
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        size_t ch = 0;
        for (; ch < cv; ch += 4) {
            v128_t s = wasm_f32x4_splat(0.0f), q = s;
            for (size_t p = p0; p < p1; p++) {
                v128_t v = wasm_v128_load(x + p * c + ch);
                s = wasm_f32x4_add(s, v);
                q = wasm_f32x4_add(q, wasm_f32x4_mul(v, v));
            }
            add_f64(sum + ch, s);
            add_f64(sumsq + ch, q);
        }
        for (; ch < c; ch++) {
            float s = 0.0f, q = 0.0f;
            for (size_t p = p0; p < p1; p++) {
                float v = x[p * c + ch];
                s = s + v;
                q = q + v * v;
            }
            sum[ch] += (double)s;
            sumsq[ch] += (double)q;
        }
    }
}

void nl_f32_normrelu__wasmsimd(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                               float *out) {
    const v128_t zero = wasm_f32x4_splat(0.0f);
    size_t cv = c & ~(size_t)3;
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c;
        float *po = out + p * c;
        size_t ch = 0;
        for (; ch < cv; ch += 4) {
            v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(px + ch), wasm_v128_load(scale + ch)),
                                      wasm_v128_load(shift + ch));
            wasm_v128_store(po + ch, wasm_f32x4_pmax(zero, t)); /* 0 < t ? t : 0 */
        }
        for (; ch < c; ch++) {
            float v = px[ch] * scale[ch] + shift[ch];
            po[ch] = v > 0.0f ? v : 0.0f;
        }
    }
}

void nl_f32_normrelu_bwd__wasmsimd(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                   const float *dout, double *sum_g, double *sum_gx) {
    const v128_t zero = wasm_f32x4_splat(0.0f);
    size_t cv = c & ~(size_t)3;
    for (size_t p0 = 0; p0 < npix; p0 += NL_STAT_BLOCK) {
        size_t p1 = npix - p0 < NL_STAT_BLOCK ? npix : p0 + NL_STAT_BLOCK;
        size_t ch = 0;
        for (; ch < cv; ch += 4) {
            v128_t sc = wasm_v128_load(scale + ch), sh = wasm_v128_load(shift + ch);
            v128_t sg = zero, sgx = zero;
            for (size_t p = p0; p < p1; p++) {
                v128_t xv = wasm_v128_load(x + p * c + ch);
                v128_t y = wasm_f32x4_add(wasm_f32x4_mul(xv, sc), sh);
                v128_t g = wasm_v128_and(wasm_f32x4_gt(y, zero), wasm_v128_load(dout + p * c + ch));
                sg = wasm_f32x4_add(sg, g);
                sgx = wasm_f32x4_add(sgx, wasm_f32x4_mul(g, xv));
            }
            add_f64(sum_g + ch, sg);
            add_f64(sum_gx + ch, sgx);
        }
        for (; ch < c; ch++) {
            float sg = 0.0f, sgx = 0.0f;
            for (size_t p = p0; p < p1; p++) {
                float xv = x[p * c + ch];
                float v = xv * scale[ch] + shift[ch];
                float g = v > 0.0f ? dout[p * c + ch] : 0.0f;
                sg = sg + g;
                sgx = sgx + g * xv;
            }
            sum_g[ch] += (double)sg;
            sum_gx[ch] += (double)sgx;
        }
    }
}

void nl_f32_norm_dx__wasmsimd(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                              const float *dout, const float *k2, const float *k3, float *dx) {
    const v128_t zero = wasm_f32x4_splat(0.0f);
    size_t cv = c & ~(size_t)3;
    for (size_t p = 0; p < npix; p++) {
        const float *px = x + p * c, *pd = dout + p * c;
        float *po = dx + p * c;
        size_t ch = 0;
        for (; ch < cv; ch += 4) {
            v128_t xv = wasm_v128_load(px + ch), sc = wasm_v128_load(scale + ch);
            v128_t y = wasm_f32x4_add(wasm_f32x4_mul(xv, sc), wasm_v128_load(shift + ch));
            v128_t g = wasm_v128_and(wasm_f32x4_gt(y, zero), wasm_v128_load(pd + ch));
            v128_t t = wasm_f32x4_add(wasm_f32x4_mul(g, sc), wasm_f32x4_mul(xv, wasm_v128_load(k2 + ch)));
            wasm_v128_store(po + ch, wasm_f32x4_add(t, wasm_v128_load(k3 + ch)));
        }
        for (; ch < c; ch++) {
            float v = px[ch] * scale[ch] + shift[ch];
            float g = v > 0.0f ? pd[ch] : 0.0f;
            po[ch] = (g * scale[ch] + px[ch] * k2[ch]) + k3[ch];
        }
    }
}
