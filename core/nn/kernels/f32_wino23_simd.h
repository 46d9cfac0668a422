/* Body of the SIMD Winograd F(2x2, 3x3) transforms (definitions in nl_kernels.h), included by
 * f32_wino23__{wasmsimd,avx2,avx512}.c with NL_WINO_ISA set to NL_WINO_WASMSIMD (f32x4),
 * NL_WINO_AVX2 (__m256) or NL_WINO_AVX512 (__m512) and NL_WINO_FN(name) naming the functions.
 * Lanes are channels: every channel gets the reference's adds in the reference's order
 * (f32_wino23_scalar.h), whose loops also run the channels past the last full vector. */
#include "f32_wino23_scalar.h"

#define NL_WINO_WASMSIMD 1
#define NL_WINO_AVX2 2
#define NL_WINO_AVX512 3

#if NL_WINO_ISA == NL_WINO_WASMSIMD
#include "nl_simd128.h"
#define NL_W 4
typedef v128_t vec;
#define V_LOAD(p) wasm_v128_load(p)
#define V_STORE(p, v) wasm_v128_store(p, v)
#define V_ZERO() wasm_f32x4_splat(0.0f)
#define V_ADD(a, b) wasm_f32x4_add(a, b)
#define V_SUB(a, b) wasm_f32x4_sub(a, b)
#define V_NEG(a) wasm_f32x4_neg(a)
#elif NL_WINO_ISA == NL_WINO_AVX2
#include <immintrin.h>
#define NL_W 8
typedef __m256 vec;
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ZERO() _mm256_setzero_ps()
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_NEG(a) _mm256_xor_ps(a, _mm256_set1_ps(-0.0f))
#elif NL_WINO_ISA == NL_WINO_AVX512
#include <immintrin.h>
#define NL_W 16
typedef __m512 vec;
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ZERO() _mm512_setzero_ps()
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_NEG(a) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u)))
#else
#error "NL_WINO_ISA: one of NL_WINO_WASMSIMD, NL_WINO_AVX2, NL_WINO_AVX512"
#endif

void NL_WINO_FN(in)(size_t c, const float *x, size_t x_row, float *v, size_t v_stride) {
    const size_t cv = c - c % NL_W;
    size_t ch = 0;
    for (; ch < cv; ch += NL_W) {
        vec t[4][4];
        NL_UNROLL
        for (size_t i = 0; i < 4; i++) {
            const float *r = x + i * x_row + ch;
            vec d0 = V_LOAD(r), d1 = V_LOAD(r + c), d2 = V_LOAD(r + 2 * c), d3 = V_LOAD(r + 3 * c);
            t[i][0] = V_SUB(d0, d2);
            t[i][1] = V_ADD(d1, d2);
            t[i][2] = V_SUB(d2, d1);
            t[i][3] = V_SUB(d1, d3);
        }
        NL_UNROLL
        for (size_t j = 0; j < 4; j++) {
            V_STORE(v + (0 + j) * v_stride + ch, V_SUB(t[0][j], t[2][j]));
            V_STORE(v + (4 + j) * v_stride + ch, V_ADD(t[1][j], t[2][j]));
            V_STORE(v + (8 + j) * v_stride + ch, V_SUB(t[2][j], t[1][j]));
            V_STORE(v + (12 + j) * v_stride + ch, V_SUB(t[1][j], t[3][j]));
        }
    }
    nl_wino23_in_scalar(ch, c, x, x_row, v, v_stride);
}

void NL_WINO_FN(out)(size_t c, const float *m, size_t m_stride, float *y, size_t y_row, size_t oh, size_t ow) {
    const size_t cv = c - c % NL_W;
    size_t ch = 0;
    for (; ch < cv; ch += NL_W) { /* straight-line code: no array indexed at run time (Wasm locals) */
        vec s0[4], s1[4];
        NL_UNROLL
        for (size_t j = 0; j < 4; j++) {
            vec m0 = V_LOAD(m + j * m_stride + ch), m1 = V_LOAD(m + (4 + j) * m_stride + ch);
            vec m2 = V_LOAD(m + (8 + j) * m_stride + ch), m3 = V_LOAD(m + (12 + j) * m_stride + ch);
            s0[j] = V_ADD(V_ADD(m0, m1), m2);
            s1[j] = V_SUB(V_SUB(m1, m2), m3);
        }
        vec y00 = V_ADD(V_ADD(s0[0], s0[1]), s0[2]), y01 = V_SUB(V_SUB(s0[1], s0[2]), s0[3]);
        vec y10 = V_ADD(V_ADD(s1[0], s1[1]), s1[2]), y11 = V_SUB(V_SUB(s1[1], s1[2]), s1[3]);
        V_STORE(y + ch, y00);
        if (ow > 1) V_STORE(y + c + ch, y01);
        if (oh > 1) {
            V_STORE(y + y_row + ch, y10);
            if (ow > 1) V_STORE(y + y_row + c + ch, y11);
        }
    }
    nl_wino23_out_scalar(ch, c, m, m_stride, y, y_row, oh, ow);
}

void NL_WINO_FN(dyt)(size_t c, const float *dy, size_t dy_row, size_t dy_px, size_t oh, size_t ow, float *v, size_t v_stride) {
    const size_t cv = c - c % NL_W;
    size_t ch = 0;
    for (; ch < cv; ch += NL_W) { /* straight-line code, as above */
        vec g00 = V_LOAD(dy + ch), g01 = ow > 1 ? V_LOAD(dy + dy_px + ch) : V_ZERO();
        vec g10 = oh > 1 ? V_LOAD(dy + dy_row + ch) : V_ZERO();
        vec g11 = oh > 1 && ow > 1 ? V_LOAD(dy + dy_row + dy_px + ch) : V_ZERO();
        vec t0[4] = {g00, V_ADD(g00, g01), V_SUB(g00, g01), V_NEG(g01)};
        vec t1[4] = {g10, V_ADD(g10, g11), V_SUB(g10, g11), V_NEG(g11)};
        NL_UNROLL
        for (size_t j = 0; j < 4; j++) {
            V_STORE(v + (0 + j) * v_stride + ch, t0[j]);
            V_STORE(v + (4 + j) * v_stride + ch, V_ADD(t0[j], t1[j]));
            V_STORE(v + (8 + j) * v_stride + ch, V_SUB(t0[j], t1[j]));
            V_STORE(v + (12 + j) * v_stride + ch, V_NEG(t1[j]));
        }
    }
    nl_wino23_dyt_scalar(ch, c, dy, dy_row, dy_px, oh, ow, v, v_stride);
}
