/* Winograd F(2x2, 3x3) for the stride-1 3x3 convolutions (conv_winograd.c), used by conv.c for
 * the layers where it pays (nl_conv_winograd). Internal to core/nn. */
#ifndef NL_CONV_WINOGRAD_H
#define NL_CONV_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "nn/nl_layers.h"

/* Tiles (of 2x2 outputs) transformed and multiplied together: V and M of one block stay in L2. */
#define NL_WINO_TILES 64

/* 1 if the conv runs through Winograd: k = 3 and at least 8 channels in and out (a few
 * channels make the 16 GEMMs too short: C1 with 3 inputs stays direct); 0 for every layer
 * when the environment has NL_WINOGRAD=0 (native measurements of the direct path). */
int nl_conv_winograd(const nl_conv_dims *d);
/* Scratch floats of any Winograd pass of d. */
size_t nl_wino_scratch_floats(const nl_conv_dims *d);
/* Packed floats of the transformed weights of a rows x cols GEMM (any set). */
size_t nl_wino_packed_floats(size_t rows, size_t cols);
/* w: [3][3][ci][co] -> U[e] = G g G^T (e = 0..15, 4x4) of every (ci, co), packed in the set's
 * panels for co columns; transposed (flip != 0): of the flipped, transposed kernel
 * wt[kh][kw][co][ci] = w[2-kh][2-kw][ci][co] (backward data), panels for ci columns. */
void nl_wino_pack(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, int flip, float *packed);
/* out[ho][wo][cout] = conv3x3(in[h][w][cin] zero-padded by pad, the packed kernel); offs: the
 * NL_WINO_TILES row offsets r * cin. */
void nl_wino_conv(const nl_kernel_set *ks, int h, int w, int cin, int pad, int ho, int wo, int cout,
                  const float *in, const float *packed, const int32_t *offs, float *out, float *scratch);
/* dw[3][3][ci][co] += G^T dU G, dU[e][ci][co] = sum over tiles (in order) of V[e][tile][ci] *
 * (A dy A^T)[e][tile][co]; V = B^T d B of x's tiles as in the forward pass. */
void nl_wino_wgrad(const nl_kernel_set *ks, const nl_conv_dims *d, const float *x, const float *dy, float *dw,
                   float *scratch);

#endif
