/* Layer kernels on NHWC tensors, each forward beside its backward. They work on one image
 * or a range of images; the network (net.c) splits a batch into fixed chunks of images and
 * runs those in the thread pool. Shapes are given in the comments as [n][h][w][c]. */
#ifndef NL_LAYERS_H
#define NL_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* The microkernels the layers run (kernels/nl_kernels.h); the caller picks the set once per
 * pass (nl_kernels()) and hands it down, so a pass never mixes sets. */
struct nl_kernel_set;
typedef struct nl_kernel_set nl_kernel_set;

/* ---- convolution, stride 1, square kernel k, zero padding pad ---- */
typedef struct {
    int h, w, ci;     /* input */
    int ho, wo, co;   /* output: ho = h + 2 pad - k + 1 */
    int k, pad;
} nl_conv_dims;

/* Offset tables of one conv layer, built once per shape: for every output pixel and kernel row
 * kh, the offset in floats of the k*c-float run it reads in the zero-padded input. */
typedef struct {
    nl_conv_dims d;
    int32_t *fwd; /* [ho*wo][k]: into x padded by pad (forward, backward weights) */
    int32_t *bwd; /* [h*w][k]: into dy padded by k-1-pad (backward data) */
    int wino;     /* runs through Winograd F(2x2, 3x3) (conv_winograd.c) */
    int32_t *wofs; /* Winograd GEMM rows: [NL_WINO_TILES] r * ci, then [NL_WINO_TILES] r * co */
} nl_conv_plan;
/* Returns 0, or -1 when out of memory. */
int nl_conv_plan_init(nl_conv_plan *p, const nl_conv_dims *d);
void nl_conv_plan_free(nl_conv_plan *p);

/* Scratch floats one thread needs for any of the conv functions below. */
size_t nl_conv_scratch_floats(const nl_conv_dims *d);
/* w: [k][k][ci][co] -> column panels (the set's GEMM tile for co) of the [k*k*ci][co] matrix,
 * size nl_conv_packed_floats (enough for any set). */
size_t nl_conv_packed_floats(const nl_conv_dims *d);
void nl_conv_pack_weights(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed);
/* w: [k][k][ci][co] -> panels of the flipped, transposed [k][k][co][ci] (backward data). */
size_t nl_conv_packed_t_floats(const nl_conv_dims *d);
void nl_conv_pack_weights_t(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed_t);

/* y[ho][wo][co] = conv(x[h][w][ci], w) for one image (weights packed with the same set). */
void nl_conv_forward(const nl_kernel_set *ks, const nl_conv_plan *p, const float *x, const float *w_packed, float *y,
                     float *scratch);
/* dx[h][w][ci] = conv_transpose(dy[ho][wo][co], w) for one image (overwrites dx). */
void nl_conv_backward_data(const nl_kernel_set *ks, const nl_conv_plan *p, const float *dy,
                           const float *w_packed_t, float *dx, float *scratch);
/* dw[k][k][ci][co] += sum over pixels (in order) of x patch * dy, for one image. */
void nl_conv_backward_weights(const nl_kernel_set *ks, const nl_conv_plan *p, const float *x, const float *dy,
                              float *dw, float *scratch);

/* ---- 2x2 max pool, stride 2 (floor), NHWC; argmax index 0..3 saved for backward ---- */
void nl_maxpool_forward(const nl_kernel_set *ks, int h, int w, int c, const float *x, float *y, uint8_t *arg);
void nl_maxpool_backward(const nl_kernel_set *ks, int h, int w, int c, const float *dy, const uint8_t *arg,
                         float *dx);

/* ---- global average pool [h][w][c] -> [c] ---- */
void nl_gap_forward(int hw, int c, const float *x, float *y);
void nl_gap_backward(int hw, int c, const float *dy, float *dx);

/* ---- fully connected (the 1x1 conv c10 after GAP): y[co] = sum_ci x[ci] w[ci][co] ---- */
void nl_fc_forward(int ci, int co, const float *x, const float *w, float *y);
/* dx[ci] = sum_co w[ci][co] dy[co] (dx may be NULL); dw[ci][co] += x[ci] dy[co] */
void nl_fc_backward(int ci, int co, const float *x, const float *w, const float *dy, float *dx, float *dw);

/* ---- log-softmax + NLL with label smoothing eps, one image ----
 * Returns the loss; writes dlogits = (softmax - target) * scale; *prob_out = softmax. */
double nl_softmax_xent(int classes, const float *logits, int label, float eps, float scale, float *dlogits,
                       float *prob_out);

/* ---- normalisation: y = gamma * (x - mean) * invstd + beta = x * scale + shift, then ReLU ----
 * Statistics accumulate in double: per channel (BN) or per image and group (GN/LN). */
/* Adds sum and sum of squares of x[npix][c] per channel into sum[c], sumsq[c]. */
void nl_channel_sums(const nl_kernel_set *ks, size_t npix, int c, const float *x, double *sum, double *sumsq);
/* Per group of c/groups channels over npix pixels: mean[g], invstd[g] of one image. */
void nl_group_stats(const nl_kernel_set *ks, size_t npix, int c, int groups, const float *x, float eps, float *mean,
                    float *invstd);
/* The norm as a per-channel affine map: scale = gamma * invstd, shift = beta - mean * scale
 * (shift in double, rounded once). mean/invstd are per channel. */
void nl_norm_affine(int c, const float *mean, const float *invstd, const float *gamma, const float *beta, float *scale,
                    float *shift);
/* out = relu(x * scale + shift) for npix pixels. */
void nl_norm_relu_forward(const nl_kernel_set *ks, size_t npix, int c, const float *x, const float *scale,
                          const float *shift, float *out);
/* Backward of relu(norm(x)) up to the norm output: g = dout where the ReLU was active.
 * Adds sum(g) and sum(g * x) per channel into sum_g / sum_gx (g itself is not stored);
 * sum(g * xhat) = invstd * (sum_gx - mean * sum_g). */
void nl_norm_relu_backward_sums(const nl_kernel_set *ks, size_t npix, int c, const float *x, const float *scale,
                                const float *shift, const float *dout, double *sum_g, double *sum_gx);
/* dx = invstd * (gamma * g - A - xhat * B) per channel, with g recomputed from dout as above
 * and A, B the means of gamma*g and gamma*g*xhat over the normalisation set (BN: the channel
 * over the batch; GN: the group over one image), computed as g * scale + x * k2 + k3 with
 * k2 = -invstd^2 B and k3 = invstd^2 B mean - invstd A (nl_norm_dx_coefs). dx may be dout. */
void nl_norm_dx_coefs(double invstd, double mean, double A, double B, float *k2, float *k3);
void nl_norm_backward_dx(const nl_kernel_set *ks, size_t npix, int c, const float *x, const float *scale,
                         const float *shift, const float *dout, const float *k2, const float *k3, float *dx);

#endif
