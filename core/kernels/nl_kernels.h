/* Microkernels, XNNPACK style: named op_tile__isa, each with a scalar reference that the tests
 * (tests/c/test_kernels.c) compare against bit for bit. The SIMD versions compute every output
 * element with exactly the reference's sequence of float operations (same order, separate
 * multiply and add: the build uses -ffp-contract=off), so every ISA gives the same bits:
 *
 *   scalar    plain C, the definition
 *   wasmsimd  WebAssembly SIMD128 intrinsics (nl_simd128.h): real ones under Emscripten, SIMDe
 *             natively. What the browser runs; also the portable native fallback.
 *   avx512    native-only wider kernels (<immintrin.h>, CMake option NL_NATIVE_WIDE, chosen at
 *             run time when the CPU has AVX-512F/VL/DQ/BW). Same bits as the others.
 *
 * A kernel set (nl_kernel_set) groups one ISA's kernels; the layers use the current set. */
#ifndef NL_KERNELS_H
#define NL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Full unrolling of the register-tile loops (constant trip counts) at any -O level, so the
 * accumulator arrays live in registers (GCC -O2 would otherwise keep them in memory). */
#define NL_UNROLL _Pragma("GCC unroll 32")

/* ---------------------------------------------------------------- GEMM
 * C[mr x nc] (+)= A[mr x kc] * B[kc x nc], mr <= MR, nc <= NR of the kernel's tile.
 * A element (r, k) is a[r * a_row_stride + k * a_k_stride] (so A may be transposed in memory).
 * B is one packed panel NR columns wide: element (k, j) is b[k * NR + j], zero-padded past nc.
 * C element (r, j) is c[r * c_row_stride + j]. accumulate != 0 adds to C, else overwrites.
 * Every C element is (C or +0) + a0*b0 + a1*b1 + ... summed over k in increasing order, one
 * rounding per multiply and per add. */
typedef void (*nl_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                                   size_t a_k_stride, const float *b, float *c, size_t c_row_stride,
                                   int accumulate);

#define NL_GEMM_MAX_NR 32 /* widest panel of any kernel: packed buffers are sized for it */

/* The scalar definition, for any panel width nr (the tests call it with each kernel's NR). */
void nl_f32_gemm_ref__scalar(size_t nr, size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                             size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate);
void nl_f32_gemm_4x8__scalar(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                             size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate);
#define NL_DECLARE_GEMM(name)                                                                                     \
    void name(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride, size_t a_k_stride,           \
              const float *b, float *c, size_t c_row_stride, int accumulate)
NL_DECLARE_GEMM(nl_f32_gemm_4x8__wasmsimd);
NL_DECLARE_GEMM(nl_f32_gemm_6x8__wasmsimd);
NL_DECLARE_GEMM(nl_f32_gemm_4x16__wasmsimd);
NL_DECLARE_GEMM(nl_f32_gemm_8x32__avx512);
NL_DECLARE_GEMM(nl_f32_gemm_16x16__avx512);

typedef struct {
    size_t mr, nr;
    nl_gemm_ukernel_fn fn;
    const char *name;
} nl_gemm_ukernel;

/* ---------------------------------------------------------------- normalisation
 * NHWC: npix pixels of c channels; per-channel vectors of c. Statistics accumulate in double,
 * per channel over the pixels in order. */

/* sum[ch] += x; sumsq[ch] += x*x (both in double). */
typedef void (*nl_chansum_fn)(size_t npix, size_t c, const float *x, double *sum, double *sumsq);
/* out = relu(gamma * ((x - mean) * invstd) + beta), in that operation order. */
typedef void (*nl_normrelu_fn)(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,
                               const float *gamma, const float *beta, float *out);
/* xhat = (x - mean) * invstd; g = gamma * xhat + beta > 0 ? dout : 0; gout = g;
 * sum_g[ch] += g; sum_gx[ch] += (double)g * (double)xhat. */
typedef void (*nl_normrelu_bwd_fn)(size_t npix, size_t c, const float *x, const float *mean,
                                   const float *invstd, const float *gamma, const float *beta,
                                   const float *dout, float *gout, double *sum_g, double *sum_gx);
/* g = invstd * ((gamma * g - a) - xhat * b), xhat = (x - mean) * invstd; in place on g. */
typedef void (*nl_norm_dx_fn)(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,
                              const float *gamma, const float *a, const float *b, float *g);

#define NL_DECLARE_NORM(isa)                                                                                      \
    void nl_f32_chansum__##isa(size_t npix, size_t c, const float *x, double *sum, double *sumsq);              \
    void nl_f32_normrelu__##isa(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,  \
                                const float *gamma, const float *beta, float *out);                             \
    void nl_f32_normrelu_bwd__##isa(size_t npix, size_t c, const float *x, const float *mean,                    \
                                    const float *invstd, const float *gamma, const float *beta,                 \
                                    const float *dout, float *gout, double *sum_g, double *sum_gx);             \
    void nl_f32_norm_dx__##isa(size_t npix, size_t c, const float *x, const float *mean, const float *invstd,   \
                               const float *gamma, const float *a, const float *b, float *g)
NL_DECLARE_NORM(scalar);
NL_DECLARE_NORM(wasmsimd);
NL_DECLARE_NORM(avx512);

/* ---------------------------------------------------------------- kernel sets */
typedef struct nl_kernel_set {
    const char *isa;
    /* GEMM tiles: `wide` for n that is a multiple of its NR (or larger), `narrow` otherwise */
    nl_gemm_ukernel gemm_narrow, gemm_wide;
    nl_chansum_fn chansum;
    nl_normrelu_fn normrelu;
    nl_normrelu_bwd_fn normrelu_bwd;
    nl_norm_dx_fn norm_dx;
} nl_kernel_set;

/* The set the layers use now (the best available one unless changed). */
const nl_kernel_set *nl_kernels(void);
/* The set of an ISA name ("scalar", "wasmsimd", "avx512"), or NULL if not built in or not
 * supported by this CPU. "auto"/"best" = the best available. */
const nl_kernel_set *nl_kernels_find(const char *isa);
/* Makes `isa` current (also reads NL_ISA from the environment at first use). Returns 0, or -1
 * if unavailable (the current set is unchanged). Not thread-safe: call between steps. */
int nl_kernels_select(const char *isa);
/* Comma-separated names of the available sets, best last. */
const char *nl_kernels_available(void);

/* ---------------------------------------------------------------- GEMM driver */
/* The tile the set uses for n output columns (decides the packing of B). */
const nl_gemm_ukernel *nl_gemm_pick(const nl_kernel_set *ks, size_t n);
/* Floats of B[k x n] packed in panels of nr: ceil(n / nr) * nr * k. */
size_t nl_packed_floats(size_t k, size_t n, size_t nr);
/* Packs B[k][n] (row stride ldb) into panels of nr columns: panel p holds columns nr*p..,
 * element (k, j) at out[p * kc * nr + k * nr + j], zero past n. */
void nl_pack_b_panels(size_t nr, size_t kc, size_t n, const float *b, size_t ldb, float *out);
/* C[m x n] (+)= A[m x k] * B[k x n]: A strides as above, B packed with nl_gemm_pick(ks, n)->nr. */
void nl_gemm(const nl_kernel_set *ks, size_t m, size_t n, size_t k, const float *a, size_t a_row_stride,
             size_t a_k_stride, const float *b_packed, float *c, size_t c_row_stride, int accumulate);

#endif
