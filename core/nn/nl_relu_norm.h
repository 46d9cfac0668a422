/* The pieces of a ReLU-before-norm block (order relu_norm, nl_model.h):
 *   r = relu(conv)          in place on the conv output (r > 0 is the ReLU's mask later)
 *   out = r * scale + shift the norm as a per-channel affine map, no activation after it
 * Statistics of r are taken with the kernel set's chansum as for the other order. These loops
 * are plain C (one rounding per multiply and per add, -ffp-contract=off), so every ISA and
 * thread count gives the same bits; they cost little beside the convs. NHWC: npix pixels of
 * c channels, per-channel vectors of c. */
#ifndef NL_RELU_NORM_H
#define NL_RELU_NORM_H

#include <stddef.h>

/* x = x > 0 ? x : +0 over n floats. */
void nl_relu_inplace(size_t n, float *x);
/* out = x * scale + shift. */
void nl_norm_affine_forward(size_t npix, int c, const float *x, const float *scale, const float *shift, float *out);
/* Backward sums of the affine norm (no activation after it, so g = dout): sum_g[ch] += g,
 * sum_gx[ch] += g * x, blocked as the kernels' statistics (NL_STAT_BLOCK pixels summed in
 * float in pixel order, then added to the double accumulator). */
void nl_norm_affine_backward_sums(size_t npix, int c, const float *x, const float *dout, double *sum_g,
                                  double *sum_gx);
/* d(conv output) = r > 0 ? (g * scale + r * k2) + k3 : 0, with r the rectified conv output
 * the norm read (its own ReLU mask; relu'(0) = 0 as in PyTorch) and k2, k3 from
 * nl_norm_dx_coefs. dx may be dout. */
void nl_norm_affine_relu_backward_dx(size_t npix, int c, const float *r, const float *scale, const float *dout,
                                     const float *k2, const float *k3, float *dx);

#endif
