/* Microkernels, XNNPACK style: named op_tile__isa, each with a scalar reference that the tests
 * compare against bit for bit (both accumulate in the same order; no FMA contraction). */
#ifndef NL_KERNELS_H
#define NL_KERNELS_H

#include <stddef.h>

/* C[mr x nc] (+)= A[mr x kc] * B[kc x 8], mr <= 4, nc <= 8.
 * A element (r, k) is a[r * a_row_stride + k * a_k_stride] (so A may be transposed in memory).
 * B is one packed panel: element (k, j) is b[k * 8 + j], 8 columns, zero-padded past nc.
 * C element (r, j) is c[r * c_row_stride + j]. accumulate != 0 adds to C, else overwrites.
 * Each C element is summed over k in increasing order, starting from 0 (or from C). */
typedef void (*nl_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                                   size_t a_k_stride, const float *b, float *c, size_t c_row_stride,
                                   int accumulate);

void nl_f32_gemm_4x8__scalar(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                             size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate);
void nl_f32_gemm_4x8__wasmsimd(size_t mr, size_t nc, size_t kc, const float *a, size_t a_row_stride,
                               size_t a_k_stride, const float *b, float *c, size_t c_row_stride, int accumulate);

/* The GEMM used by the layers (the SIMD one; tests may switch to the scalar reference). */
extern nl_gemm_ukernel_fn nl_gemm_4x8;

/* Packs B[k][n] (row stride ldb) into 8-column panels: panel p holds columns 8p..8p+7,
 * element (k, j) at out[p * kc * 8 + k * 8 + j], zero past n. out has ceil(n/8)*kc*8 floats. */
void nl_pack_b_panels(size_t kc, size_t n, const float *b, size_t ldb, float *out);

/* C[m x n] (+)= A[m x k] * B[k x n] with the 4x8 microkernel: A strides as above, B packed. */
void nl_gemm(size_t m, size_t n, size_t k, const float *a, size_t a_row_stride, size_t a_k_stride,
             const float *b_packed, float *c, size_t c_row_stride, int accumulate);

#endif
