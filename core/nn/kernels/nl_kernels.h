/* Microkernels, XNNPACK style: named op_tile__isa, each with a scalar reference that the tests
 * (tests/c/test_kernels.c) compare against bit for bit. The SIMD versions compute every output
 * element with exactly the reference's sequence of float operations (same order, separate
 * multiply and add: the build uses -ffp-contract=off), so every ISA gives the same bits:
 *
 *   scalar    plain C, the definition
 *   wasmsimd  WebAssembly SIMD128 intrinsics (nl_simd128.h): real ones under Emscripten, SIMDe
 *             natively. What the browser runs; also the portable native fallback.
 *   avx2      native-only 8-wide kernels (<immintrin.h>, multiply and add, no FMA), for the
 *             CPUs without AVX-512 (Zen 2/3, Intel consumer chips).
 *   avx512    native-only 16-wide kernels (AVX-512F/VL/DQ/BW).
 * The x86 ones are compiled with their ISA's flags whatever -march says (CMake option
 * NL_NATIVE_WIDE) and chosen at run time by CPU features: avx512 > avx2 > wasmsimd. Same bits
 * as the others.
 *
 * The SIMD GEMM kernels are instances of one template (f32_gemm_simd.h), the SIMD norm kernels
 * of another (f32_norm_simd.h, whose channel tails run the reference loops of
 * f32_norm_scalar.h); each f32_<op>_<tile>__<isa>.c names the ISA and tile.
 * A kernel set (nl_kernel_set) groups one ISA's kernels; the layers use the current set. */
#ifndef NL_KERNELS_H
#define NL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Full unrolling of the register-tile loops (constant trip counts) at any -O level, so the
 * accumulator arrays live in registers (GCC -O2 would otherwise keep them in memory). */
#define NL_UNROLL _Pragma("GCC unroll 32")

/* ---------------------------------------------------------------- convolution GEMMs
 * Both work on NHWC images without an im2col copy: A's rows are input pixels reached through
 * int32 offsets into x (in floats), a negative offset meaning a row of zeros (padding); the
 * offset tables are built once per layer shape (conv.c). Every output element is
 * (C or +0) + a0*b0 + a1*b1 + ... summed in the order given below, one rounding per multiply
 * and per add (as the scalar references).
 *
 * IGEMM (indirect GEMM, as XNNPACK's): C[mr x nc] (+)= A[mr x ks*kc] * B[ks*kc x nc].
 * Row r of A is the concatenation over taps t = 0..ks-1 of the kc floats at x + a[r*ks + t];
 * k runs over taps, then channels.
 * B is one packed panel NR columns wide: element (k, j) at b[k * NR + j], zero past nc.
 * C element (r, j) at c[r * c_row_stride + j]; accumulate != 0 adds to C, else overwrites. */
typedef void (*nl_igemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a,
                                    const float *b, float *c, size_t c_row_stride, int accumulate);
/* WGRAD (weight gradient): C[mr x nc] += A[mr x K] * B[K x nc] with K = ko * ki, summed in
 * increasing k = o * ki + i, where A[r][k] = a[o * a_outer + i * a_inner + r]: the rows are
 * consecutive floats (a pixel run's channels), k walks the pixels of ko output rows of ki
 * pixels (stride a_inner within a row, a_outer between rows). Rows past mr repeat the last
 * row. B is a packed panel as above. Always accumulates. */
typedef void (*nl_wgrad_ukernel_fn)(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer,
                                    size_t a_inner, const float *b, float *c, size_t c_row_stride);

#define NL_GEMM_MAX_NR 32 /* widest panel of any kernel: packed buffers are sized for it */

/* The scalar definitions, for any tile (the tests call them with each kernel's MR, NR). */
void nl_f32_igemm_ref__scalar(size_t NR, size_t mr, size_t nc, size_t kc, size_t ks, const float *x,
                              const int32_t *a, const float *b, float *c, size_t c_row_stride, int accumulate);
void nl_f32_wgrad_ref__scalar(size_t NR, size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer,
                              size_t a_inner, const float *b, float *c, size_t c_row_stride);

#define NL_DECLARE_IGEMM(name)                                                                                    \
    void name(size_t mr, size_t nc, size_t kc, size_t ks, const float *x, const int32_t *a, const float *b,    \
              float *c, size_t c_row_stride, int accumulate)
#define NL_DECLARE_WGRAD(name)                                                                                    \
    void name(size_t mr, size_t nc, size_t ko, size_t ki, const float *a, size_t a_outer, size_t a_inner,       \
              const float *b, float *c, size_t c_row_stride)
NL_DECLARE_IGEMM(nl_f32_igemm_4x8__scalar);
NL_DECLARE_IGEMM(nl_f32_igemm_4x8__wasmsimd);
NL_DECLARE_IGEMM(nl_f32_igemm_2x16__wasmsimd);
NL_DECLARE_IGEMM(nl_f32_igemm_4x8__wasmsimd_unroll4);
NL_DECLARE_IGEMM(nl_f32_igemm_2x16__wasmsimd_unroll4);
NL_DECLARE_IGEMM(nl_f32_igemm_12x16__avx512);
NL_DECLARE_IGEMM(nl_f32_igemm_12x8__avx512);
NL_DECLARE_IGEMM(nl_f32_igemm_12x8__avx2);
NL_DECLARE_WGRAD(nl_f32_wgrad_4x8__scalar);
NL_DECLARE_WGRAD(nl_f32_wgrad_4x8__wasmsimd);
NL_DECLARE_WGRAD(nl_f32_wgrad_2x16__wasmsimd);
NL_DECLARE_WGRAD(nl_f32_wgrad_4x8__wasmsimd_unroll4);
NL_DECLARE_WGRAD(nl_f32_wgrad_2x16__wasmsimd_unroll4);
NL_DECLARE_WGRAD(nl_f32_wgrad_16x16__avx512);
NL_DECLARE_WGRAD(nl_f32_wgrad_16x8__avx512);
NL_DECLARE_WGRAD(nl_f32_wgrad_12x8__avx2);

typedef struct {
    size_t mr, nr;
    nl_igemm_ukernel_fn fn;
    const char *name;
} nl_igemm_ukernel;
typedef struct {
    size_t mr, nr;
    nl_wgrad_ukernel_fn fn;
    const char *name;
} nl_wgrad_ukernel;

/* ---------------------------------------------------------------- normalisation
 * NHWC: npix pixels of c channels; per-channel vectors of c. Statistics: per channel, the
 * pixels are taken in blocks of NL_STAT_BLOCK (the last one shorter); each block is summed in
 * float from +0 in pixel order, then added to the double accumulator, blocks in order. */
#define NL_STAT_BLOCK 8

/* sum[ch] += x; sumsq[ch] += x*x (x*x rounded to float; blocks as above). */
typedef void (*nl_chansum_fn)(size_t npix, size_t c, const float *x, double *sum, double *sumsq);
/* out = relu(x * scale + shift) (scale = gamma * invstd, shift = beta - mean * scale, per
 * channel); relu(v) = v > 0 ? v : +0. */
typedef void (*nl_normrelu_fn)(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                               float *out);
/* Backward of relu(x * scale + shift) up to the norm: g = x * scale + shift > 0 ? dout : 0 (the
 * ReLU's mask); adds sum_g[ch] += g and sum_gx[ch] += g * x (g * x rounded to float; blocks as
 * above). Writes nothing else. */
typedef void (*nl_normrelu_bwd_fn)(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                                   const float *dout, double *sum_g, double *sum_gx);
/* dx = (g * scale + x * k2) + k3 per channel, g recomputed as above; dx may be dout. */
typedef void (*nl_norm_dx_fn)(size_t npix, size_t c, const float *x, const float *scale, const float *shift,
                              const float *dout, const float *k2, const float *k3, float *dx);

#define NL_DECLARE_NORM(isa)                                                                                      \
    void nl_f32_chansum__##isa(size_t npix, size_t c, const float *x, double *sum, double *sumsq);              \
    void nl_f32_normrelu__##isa(size_t npix, size_t c, const float *x, const float *scale, const float *shift,  \
                                float *out);                                                                    \
    void nl_f32_normrelu_bwd__##isa(size_t npix, size_t c, const float *x, const float *scale,                   \
                                    const float *shift, const float *dout, double *sum_g, double *sum_gx);      \
    void nl_f32_norm_dx__##isa(size_t npix, size_t c, const float *x, const float *scale, const float *shift,   \
                               const float *dout, const float *k2, const float *k3, float *dx)
NL_DECLARE_NORM(scalar);
NL_DECLARE_NORM(wasmsimd);
NL_DECLARE_NORM(avx2);
NL_DECLARE_NORM(avx512);

/* ---------------------------------------------------------------- 2x2 max pool, stride 2
 * x[h][w][c] -> y[h/2][w/2][c]; arg = which of the 4 inputs won (0 p00, 1 p01, 2 p10, 3 p11;
 * the first maximum under >, as PyTorch). Backward: dx[h][w][c] = dy at the winner, 0 elsewhere
 * (including an odd last row / column). */
typedef void (*nl_maxpool_fn)(size_t h, size_t w, size_t c, const float *x, float *y, uint8_t *arg);
typedef void (*nl_maxpool_bwd_fn)(size_t h, size_t w, size_t c, const float *dy, const uint8_t *arg, float *dx);
void nl_f32_maxpool__scalar(size_t h, size_t w, size_t c, const float *x, float *y, uint8_t *arg);
void nl_f32_maxpool__wasmsimd(size_t h, size_t w, size_t c, const float *x, float *y, uint8_t *arg);
void nl_f32_maxpool_bwd__scalar(size_t h, size_t w, size_t c, const float *dy, const uint8_t *arg, float *dx);
void nl_f32_maxpool_bwd__wasmsimd(size_t h, size_t w, size_t c, const float *dy, const uint8_t *arg, float *dx);

/* ---------------------------------------------------------------- Winograd F(2x2, 3x3)
 * Transforms of the stride-1 3x3 convolutions (conv_winograd.c), on NHWC pixels; lanes are
 * channels, so each channel gets the scalar reference's (f32_wino23_scalar.h) exact sequence
 * of float adds and subtractions (B and A hold only 0 and +-1: no multiplies). A tile is 4x4
 * input pixels for 2x2 outputs; its 16 transformed values e = 4 * i + j (row i, column j) are
 * c floats each, at v + e * v_stride (or m + e * m_stride).
 *   in:  d[i][j] = the c floats at x + i * x_row + j * c; v = B^T d B, along each row first,
 *        t[i][.] = (d0 - d2, d1 + d2, d2 - d1, d1 - d3) of (d0..d3) = d[i][0..3], then the
 *        same combination of t[0..3][j] down each column.
 *   out: y = A^T m A, down each column first, s[.][j] = ((m0 + m1) + m2, (m1 - m2) - m3) of
 *        (m0..m3) = m[0..3][j], then the same along each row s[i][0..3]; y[i][j] at
 *        y + i * y_row + j * c, only for i < oh, j < ow.
 *   dyt: (weight gradient) g[i][j] = the c floats at dy + i * dy_row + j * dy_px for i < oh,
 *        j < ow, else 0; v = A g A^T, along each row first, (g0, g0 + g1, g0 - g1, -g1) of
 *        (g0, g1) = g[i][0..1], then the same down each column. */
typedef void (*nl_wino_in_fn)(size_t c, const float *x, size_t x_row, float *v, size_t v_stride);
typedef void (*nl_wino_out_fn)(size_t c, const float *m, size_t m_stride, float *y, size_t y_row, size_t oh,
                               size_t ow);
typedef void (*nl_wino_dyt_fn)(size_t c, const float *dy, size_t dy_row, size_t dy_px, size_t oh, size_t ow, float *v,
                               size_t v_stride);
#define NL_DECLARE_WINO(isa)                                                                                      \
    void nl_f32_wino23_in__##isa(size_t c, const float *x, size_t x_row, float *v, size_t v_stride);            \
    void nl_f32_wino23_out__##isa(size_t c, const float *m, size_t m_stride, float *y, size_t y_row, size_t oh, \
                                  size_t ow);                                                                   \
    void nl_f32_wino23_dyt__##isa(size_t c, const float *dy, size_t dy_row, size_t dy_px, size_t oh, size_t ow, float *v,     \
                                  size_t v_stride)
NL_DECLARE_WINO(scalar);
NL_DECLARE_WINO(wasmsimd);
NL_DECLARE_WINO(avx2);
NL_DECLARE_WINO(avx512);

/* ---------------------------------------------------------------- kernel sets */
typedef struct nl_kernel_set {
    const char *isa;
    /* tiles: `wide` when n (output columns) is a multiple of its NR, else `narrow` */
    nl_igemm_ukernel igemm_narrow, igemm_wide;
    nl_wgrad_ukernel wgrad_narrow, wgrad_wide;
    nl_chansum_fn chansum;
    nl_normrelu_fn normrelu;
    nl_normrelu_bwd_fn normrelu_bwd;
    nl_norm_dx_fn norm_dx;
    nl_maxpool_fn maxpool;
    nl_maxpool_bwd_fn maxpool_bwd;
    nl_wino_in_fn wino_in;
    nl_wino_out_fn wino_out;
    nl_wino_dyt_fn wino_dyt;
} nl_kernel_set;

/* The set the layers use now (the best available one unless changed). */
const nl_kernel_set *nl_kernels(void);
/* The set of an ISA name ("scalar", "wasmsimd" (alias "simd128"), "wasmsimd_unroll4", "avx2",
 * "avx512"), or NULL if not built in or not supported by this CPU. "auto"/"best" = the best
 * available. wasmsimd_unroll4 = wasmsimd's tiles with k loops unrolled by 4, for Firefox's engine. */
const nl_kernel_set *nl_kernels_find(const char *isa);
/* Makes `isa` current (also reads NL_ISA from the environment at first use). Returns 0, or -1
 * if unavailable (the current set is unchanged). Not thread-safe: call between steps. */
int nl_kernels_select(const char *isa);
/* Comma-separated names of the available sets, best last. */
const char *nl_kernels_available(void);

/* ---------------------------------------------------------------- helpers */
/* The tiles the set uses for n output columns (they decide the packing of B). */
const nl_igemm_ukernel *nl_igemm_pick(const nl_kernel_set *ks, size_t n);
const nl_wgrad_ukernel *nl_wgrad_pick(const nl_kernel_set *ks, size_t n);
/* Floats of B[k x n] packed in panels of nr: ceil(n / nr) * nr * k. */
size_t nl_packed_floats(size_t k, size_t n, size_t nr);
/* Packs B[k][n] (row stride ldb) into panels of nr columns: panel p holds columns nr*p..,
 * element (k, j) at out[p * kc * nr + k * nr + j], zero past n. */
void nl_pack_b_panels(size_t nr, size_t kc, size_t n, const float *b, size_t ldb, float *out);
/* NL_MAX_WIDTH zeros: the row a negative offset stands for. */
extern const float nl_zero_floats[256];
static inline const float *nl_row(const float *x, int32_t off) { return off < 0 ? nl_zero_floats : x + off; }

#endif
