/* GEMM microkernel, 4 rows x 8 columns (two f32x4 accumulators per row), SIMD128.
 * Per k: broadcast one A value per row, multiply by the 8-wide B row, add (no FMA, so the
 * bits equal the scalar reference). */
#include <string.h>

#include "nl_kernels.h"
#include "nl_simd128.h"

void nl_f32_gemm_4x8__wasmsimd(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                               size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate) {
    /* Rows past mr alias the last valid row: computed, never stored. */
    const float *a0 = a;
    const float *a1 = mr > 1 ? a0 + a_row_stride : a0;
    const float *a2 = mr > 2 ? a1 + a_row_stride : a1;
    const float *a3 = mr > 3 ? a2 + a_row_stride : a2;
    v128_t acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h;
    if (accumulate) {
        float tmp[4][8];
        for (size_t r = 0; r < 4; r++) {
            size_t rr = r < mr ? r : mr - 1;
            memset(tmp[r], 0, sizeof tmp[r]);
            memcpy(tmp[r], c + rr * c_row_stride, nc * sizeof(float));
        }
        acc0l = wasm_v128_load(tmp[0]); acc0h = wasm_v128_load(tmp[0] + 4);
        acc1l = wasm_v128_load(tmp[1]); acc1h = wasm_v128_load(tmp[1] + 4);
        acc2l = wasm_v128_load(tmp[2]); acc2h = wasm_v128_load(tmp[2] + 4);
        acc3l = wasm_v128_load(tmp[3]); acc3h = wasm_v128_load(tmp[3] + 4);
    } else {
        acc0l = acc0h = acc1l = acc1h = acc2l = acc2h = acc3l = acc3h = wasm_f32x4_splat(0.0f);
    }
    for (size_t k = 0; k < kc; k++) {
        const v128_t bl = wasm_v128_load(b);
        const v128_t bh = wasm_v128_load(b + 4);
        b += 8;
        const v128_t va0 = wasm_f32x4_splat(*a0);
        const v128_t va1 = wasm_f32x4_splat(*a1);
        const v128_t va2 = wasm_f32x4_splat(*a2);
        const v128_t va3 = wasm_f32x4_splat(*a3);
        a0 += a_k_stride; a1 += a_k_stride; a2 += a_k_stride; a3 += a_k_stride;
        acc0l = wasm_f32x4_add(acc0l, wasm_f32x4_mul(va0, bl));
        acc0h = wasm_f32x4_add(acc0h, wasm_f32x4_mul(va0, bh));
        acc1l = wasm_f32x4_add(acc1l, wasm_f32x4_mul(va1, bl));
        acc1h = wasm_f32x4_add(acc1h, wasm_f32x4_mul(va1, bh));
        acc2l = wasm_f32x4_add(acc2l, wasm_f32x4_mul(va2, bl));
        acc2h = wasm_f32x4_add(acc2h, wasm_f32x4_mul(va2, bh));
        acc3l = wasm_f32x4_add(acc3l, wasm_f32x4_mul(va3, bl));
        acc3h = wasm_f32x4_add(acc3h, wasm_f32x4_mul(va3, bh));
    }
    float out[4][8];
    wasm_v128_store(out[0], acc0l); wasm_v128_store(out[0] + 4, acc0h);
    wasm_v128_store(out[1], acc1l); wasm_v128_store(out[1] + 4, acc1h);
    wasm_v128_store(out[2], acc2l); wasm_v128_store(out[2] + 4, acc2h);
    wasm_v128_store(out[3], acc3l); wasm_v128_store(out[3] + 4, acc3h);
    if (nc == 8) {
        for (size_t r = 0; r < mr; r++) {
            float *cr = c + r * c_row_stride;
            wasm_v128_store(cr, wasm_v128_load(out[r]));
            wasm_v128_store(cr + 4, wasm_v128_load(out[r] + 4));
        }
    } else {
        for (size_t r = 0; r < mr; r++) memcpy(c + r * c_row_stride, out[r], nc * sizeof(float));
    }
}
