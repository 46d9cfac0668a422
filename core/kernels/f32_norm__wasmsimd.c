/* Normalisation kernels, SIMD128 (lanes = channels of one pixel; see nl_kernels.h for the
 * definitions). Reductions keep one double accumulator per channel and walk the pixels in
 * order, a block of channels at a time so the accumulators stay in registers; channels past
 * the last multiple of 4 take the scalar path. Same bits as the scalar reference. */
#include "nl_kernels.h"
#include "nl_simd128.h"

#define INLINE static inline __attribute__((always_inline))

INLINE v128_t promote_hi(v128_t x) { return wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(x, x, 1, 1)); }

/* channels [c0, c0 + 4 NV) of every pixel */
INLINE void chansum_block(const size_t NV, size_t npix, size_t c, size_t c0, const float *x, double *sum,
                          double *sumsq) {
    v128_t s[4], q[4]; /* fixed sizes (not VLAs): NV <= 2 */
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        s[i] = wasm_v128_load(sum + c0 + 2 * i);
        q[i] = wasm_v128_load(sumsq + c0 + 2 * i);
    }
    const float *px = x + c0;
    for (size_t p = 0; p < npix; p++, px += c) {
        NL_UNROLL
        for (size_t v = 0; v < NV; v++) {
            v128_t xv = wasm_v128_load(px + 4 * v);
            v128_t lo = wasm_f64x2_promote_low_f32x4(xv), hi = promote_hi(xv);
            s[2 * v] = wasm_f64x2_add(s[2 * v], lo);
            q[2 * v] = wasm_f64x2_add(q[2 * v], wasm_f64x2_mul(lo, lo));
            s[2 * v + 1] = wasm_f64x2_add(s[2 * v + 1], hi);
            q[2 * v + 1] = wasm_f64x2_add(q[2 * v + 1], wasm_f64x2_mul(hi, hi));
        }
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        wasm_v128_store(sum + c0 + 2 * i, s[i]);
        wasm_v128_store(sumsq + c0 + 2 * i, q[i]);
    }
}

void nl_f32_chansum__wasmsimd(size_t npix, size_t c, const float *x, double *sum, double *sumsq) {
    size_t c0 = 0;
    for (; c0 + 8 <= c; c0 += 8) chansum_block(2, npix, c, c0, x, sum, sumsq);
    for (; c0 + 4 <= c; c0 += 4) chansum_block(1, npix, c, c0, x, sum, sumsq);
    if (c0 < c)
        for (size_t p = 0; p < npix; p++)
            for (size_t ch = c0; ch < c; ch++) {
                double v = x[p * c + ch];
                sum[ch] += v;
                sumsq[ch] += v * v;
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

INLINE void normrelu_bwd_block(const size_t NV, size_t npix, size_t c, size_t c0, const float *x,
                               const float *scale, const float *shift, const float *dout, double *sum_g,
                               double *sum_gx) {
    const v128_t zero = wasm_f32x4_splat(0.0f);
    v128_t sc[2], sh[2], sg[4], sx[4]; /* NV <= 2 */
    NL_UNROLL
    for (size_t v = 0; v < NV; v++) {
        sc[v] = wasm_v128_load(scale + c0 + 4 * v);
        sh[v] = wasm_v128_load(shift + c0 + 4 * v);
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        sg[i] = wasm_v128_load(sum_g + c0 + 2 * i);
        sx[i] = wasm_v128_load(sum_gx + c0 + 2 * i);
    }
    for (size_t p = 0; p < npix; p++) {
        size_t off = p * c + c0;
        NL_UNROLL
        for (size_t v = 0; v < NV; v++) {
            v128_t xv = wasm_v128_load(x + off + 4 * v);
            v128_t y = wasm_f32x4_add(wasm_f32x4_mul(xv, sc[v]), sh[v]);
            v128_t g = wasm_v128_and(wasm_f32x4_gt(y, zero), wasm_v128_load(dout + off + 4 * v));
            v128_t glo = wasm_f64x2_promote_low_f32x4(g), ghi = promote_hi(g);
            sg[2 * v] = wasm_f64x2_add(sg[2 * v], glo);
            sg[2 * v + 1] = wasm_f64x2_add(sg[2 * v + 1], ghi);
            sx[2 * v] = wasm_f64x2_add(sx[2 * v], wasm_f64x2_mul(glo, wasm_f64x2_promote_low_f32x4(xv)));
            sx[2 * v + 1] = wasm_f64x2_add(sx[2 * v + 1], wasm_f64x2_mul(ghi, promote_hi(xv)));
        }
    }
    NL_UNROLL
    for (size_t i = 0; i < 2 * NV; i++) {
        wasm_v128_store(sum_g + c0 + 2 * i, sg[i]);
        wasm_v128_store(sum_gx + c0 + 2 * i, sx[i]);
    }
}

void nl_f32_normrelu_bwd__wasmsimd(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                   const float *dout, double *sum_g, double *sum_gx) {
    size_t c0 = 0;
    for (; c0 + 8 <= c; c0 += 8) normrelu_bwd_block(2, npix, c, c0, x, scale, shift, dout, sum_g, sum_gx);
    for (; c0 + 4 <= c; c0 += 4) normrelu_bwd_block(1, npix, c, c0, x, scale, shift, dout, sum_g, sum_gx);
    if (c0 < c)
        for (size_t p = 0; p < npix; p++)
            for (size_t ch = c0; ch < c; ch++) {
                size_t i = p * c + ch;
                float v = x[i] * scale[ch] + shift[ch];
                float g = v > 0.0f ? dout[i] : 0.0f;
                sum_g[ch] += (double)g;
                sum_gx[ch] += (double)g * (double)x[i];
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
