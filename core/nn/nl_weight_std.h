/* Weight standardisation (Qiao et al. 2019, "Micro-Batch Training with Batch-Channel
 * Normalization and Weight Standardization"; timm's StdConv2d): a conv uses
 *   W_hat[k][o] = (W[k][o] - mean_o) / sqrt(var_o + NL_WS_EPS)
 * where mean_o and the biased variance var_o run over output channel o's fan-in k (kh, kw,
 * ci). No parameters are added: the optimiser, checkpoints and safetensors hold the raw W. The
 * network standardises once per pass (not per image); the gradient is the exact backward of
 * the standardisation. Statistics and the backward are in double, rounded once to float, in a
 * fixed order: every ISA and thread count gives the same bits.
 * Which convs: the ten block convs C1 C2 c3 C3 C4 C5 c6 C7 C8 C9 (each has a norm after it, so the norm makes the block invariant to
 * the per-channel scale WS removes; C1 too, as BiT and Qiao et al. standardise the stem conv),
 * not c10 (the classifier: no norm after it, its scale is the logits' scale).
 * PyTorch equivalent: F.batch_norm(W.reshape(1, co, -1), None, None, training=True,
 * eps=1e-5).reshape_as(W) (timm's StdConv2d with eps=1e-5; its default is 1e-6). */
#ifndef NL_WEIGHT_STD_H
#define NL_WEIGHT_STD_H

#include <stddef.h>

#define NL_WS_EPS 1e-5

/* w, w_hat: [fan_in][co] (HWIO flattened); mean, rstd: [co] = mean_o, 1 / sqrt(var_o + eps). */
void nl_weight_std_forward(size_t fan_in, int co, const float *w, float *w_hat, double *mean, double *rstd);
/* dw: in dL/dW_hat, out dL/dW = rstd * (dW_hat - avg(dW_hat) - xhat * avg(dW_hat * xhat)) with
 * xhat = (w - mean) * rstd, the averages over the fan-in of each output channel. */
void nl_weight_std_backward(size_t fan_in, int co, const float *w, const double *mean, const double *rstd, float *dw);

#endif
