/* 2x2 / stride 2 max pool on NHWC, SIMD128 (lanes = channels). Forward keeps the first
 * maximum (strict >, as the reference and PyTorch) and its index 0..3 as a byte per element;
 * backward writes dy or 0 to all four inputs of every window (no separate zeroing pass). */
#include <string.h>

#include "f32_maxpool_scalar.h"
#include "nl_simd128.h"

/* max and argmax (i32 lanes) of 4 channels */
static inline __attribute__((always_inline)) v128_t pool4(const float *p00, const float *p01, const float *p10,
                                                          const float *p11, v128_t *idx) {
    v128_t m = wasm_v128_load(p00), i = wasm_i32x4_splat(0), v, gt;
    v = wasm_v128_load(p01);
    gt = wasm_f32x4_gt(v, m);
    m = wasm_v128_bitselect(v, m, gt);
    i = wasm_v128_bitselect(wasm_i32x4_splat(1), i, gt);
    v = wasm_v128_load(p10);
    gt = wasm_f32x4_gt(v, m);
    m = wasm_v128_bitselect(v, m, gt);
    i = wasm_v128_bitselect(wasm_i32x4_splat(2), i, gt);
    v = wasm_v128_load(p11);
    gt = wasm_f32x4_gt(v, m);
    m = wasm_v128_bitselect(v, m, gt);
    *idx = wasm_v128_bitselect(wasm_i32x4_splat(3), i, gt);
    return m;
}

void nl_f32_maxpool__wasmsimd(size_t h, size_t w, size_t c, const float *x, float *y, uint8_t *arg) {
    size_t ho = h / 2, wo = w / 2;
    for (size_t oy = 0; oy < ho; oy++)
        for (size_t ox = 0; ox < wo; ox++) {
            const float *p00 = x + ((2 * oy) * w + 2 * ox) * c;
            const float *p01 = p00 + c, *p10 = p00 + w * c, *p11 = p10 + c;
            float *out = y + (oy * wo + ox) * c;
            uint8_t *a = arg + (oy * wo + ox) * c;
            size_t ch = 0;
            for (; ch + 16 <= c; ch += 16) {
                v128_t i0, i1, i2, i3;
                wasm_v128_store(out + ch, pool4(p00 + ch, p01 + ch, p10 + ch, p11 + ch, &i0));
                wasm_v128_store(out + ch + 4, pool4(p00 + ch + 4, p01 + ch + 4, p10 + ch + 4, p11 + ch + 4, &i1));
                wasm_v128_store(out + ch + 8, pool4(p00 + ch + 8, p01 + ch + 8, p10 + ch + 8, p11 + ch + 8, &i2));
                wasm_v128_store(out + ch + 12, pool4(p00 + ch + 12, p01 + ch + 12, p10 + ch + 12, p11 + ch + 12, &i3));
                wasm_v128_store(a + ch, wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(i0, i1),
                                                                wasm_i16x8_narrow_i32x4(i2, i3)));
            }
            for (; ch + 4 <= c; ch += 4) {
                v128_t i0;
                wasm_v128_store(out + ch, pool4(p00 + ch, p01 + ch, p10 + ch, p11 + ch, &i0));
                v128_t b = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(i0, i0), wasm_i16x8_narrow_i32x4(i0, i0));
                wasm_v128_store32_lane(a + ch, b, 0);
            }
            nl_maxpool_window_scalar(ch, c, p00, p01, p10, p11, out, a);
        }
}

void nl_f32_maxpool_bwd__wasmsimd(size_t h, size_t w, size_t c, const float *dy, const uint8_t *arg, float *dx) {
    size_t ho = h / 2, wo = w / 2;
    if (h & 1) memset(dx + (h - 1) * w * c, 0, w * c * sizeof(float)); /* an odd last row gets nothing */
    for (size_t oy = 0; oy < ho; oy++) {
        if (w & 1) { /* nor does an odd last column */
            memset(dx + ((2 * oy) * w + w - 1) * c, 0, c * sizeof(float));
            memset(dx + ((2 * oy + 1) * w + w - 1) * c, 0, c * sizeof(float));
        }
        for (size_t ox = 0; ox < wo; ox++) {
            const float *g = dy + (oy * wo + ox) * c;
            const uint8_t *a = arg + (oy * wo + ox) * c;
            float *d00 = dx + ((2 * oy) * w + 2 * ox) * c, *d01 = d00 + c, *d10 = d00 + w * c, *d11 = d10 + c;
            size_t ch = 0;
            for (; ch + 4 <= c; ch += 4) {
                v128_t gv = wasm_v128_load(g + ch);
                v128_t av = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(a + ch)));
                wasm_v128_store(d00 + ch, wasm_v128_and(gv, wasm_i32x4_eq(av, wasm_i32x4_splat(0))));
                wasm_v128_store(d01 + ch, wasm_v128_and(gv, wasm_i32x4_eq(av, wasm_i32x4_splat(1))));
                wasm_v128_store(d10 + ch, wasm_v128_and(gv, wasm_i32x4_eq(av, wasm_i32x4_splat(2))));
                wasm_v128_store(d11 + ch, wasm_v128_and(gv, wasm_i32x4_eq(av, wasm_i32x4_splat(3))));
            }
            for (; ch < c; ch++) {
                d00[ch] = a[ch] == 0 ? g[ch] : 0.0f;
                d01[ch] = a[ch] == 1 ? g[ch] : 0.0f;
                d10[ch] = a[ch] == 2 ? g[ch] : 0.0f;
                d11[ch] = a[ch] == 3 ? g[ch] : 0.0f;
            }
        }
    }
}
