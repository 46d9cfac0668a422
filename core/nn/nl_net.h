/* The network's forward and backward pass over a batch, on the fixed S8 layout. Internal to
 * the core (the trainer and the tests use it). A batch is split into chunks of NL_CHUNK
 * images; chunks are the unit of work for the thread pool and of every reduction, so the
 * result never depends on the number of threads. */
#ifndef NL_NET_H
#define NL_NET_H

#include <stdint.h>

#include "nn/nl_layers.h"
#include "nn/nl_model.h"
#include "base/nl_thread_pool.h"

#define NL_CHUNK 8

typedef struct {
    nl_model_layout L;
    int cap;                 /* batch capacity */
    nl_thread_pool *pool;
    const nl_kernel_set *ks; /* the microkernels of the current pass (set at its start) */
    float *params, *grads;   /* [n_params] */
    float *bn_state;         /* [n_bn_state] running mean/var */
    int64_t bn_batches;      /* num_batches_tracked */

    /* per-batch state */
    int n;                   /* images in the current batch */
    int train;               /* 1: batch statistics, dropout; 0: inference */
    uint64_t dropout_seed;   /* dropout masks are a function of (seed, image index in batch) */
    float label_smoothing;

    float *x;                           /* input [cap][h][w][c] */
    float *act[NL_NUM_LAYERS];          /* layer outputs */
    float *dact[NL_NUM_LAYERS];         /* gradients w.r.t. layer outputs */
    float *conv_out[NL_NUM_BLOCKS];     /* conv outputs before the norm */
    float *mean[NL_NUM_BLOCKS], *invstd[NL_NUM_BLOCKS]; /* BN: [co]; GN: [cap][groups] */
    float bn_scale[NL_NUM_BLOCKS][NL_MAX_WIDTH];        /* BN as x * scale + shift (nl_norm_affine) */
    float bn_shift[NL_NUM_BLOCKS][NL_MAX_WIDTH];
    uint8_t *drop_mask[NL_NUM_BLOCKS];  /* 1 = kept (only with dropout) */
    uint8_t *pool_arg[2];
    float *logits, *dlogits, *probs;    /* [cap][classes] */
    double *losses;                     /* [cap] */
    float *gtmp;                        /* [cap][gtmp_stride]: one slice per image */
    size_t gtmp_stride;                 /* the largest block output (floats) */
    float *packed[NL_NUM_BLOCKS], *packed_t[NL_NUM_BLOCKS];
    nl_conv_plan plan[NL_NUM_BLOCKS];   /* conv offset tables */
    float *scratch;                     /* [n_chunks_cap][scratch_floats] */
    size_t scratch_floats;
    float *grad_part;                   /* [n_chunks_cap][n_params] */
    double *stat_part;                  /* [n_chunks_cap][2 * NL_MAX_WIDTH] */
    /* weight standardisation (desc.weight_std): the standardised conv weights of the current
     * pass at the params' offsets, and each block's per-output-channel mean and 1/std */
    float *w_hat;                       /* [n_params] (only the blocks' conv weights used) */
    double ws_mean[NL_NUM_BLOCKS][NL_MAX_WIDTH], ws_rstd[NL_NUM_BLOCKS][NL_MAX_WIDTH];
} nl_net;

/* Allocates buffers for batches of up to cap images and initialises parameters as PyTorch
 * does (Kaiming-uniform conv weights from seed, gamma 1, beta 0, running var 1). */
int nl_net_init(nl_net *net, const nl_model_desc *d, int cap, nl_thread_pool *pool, uint64_t seed, nl_status *st);
void nl_net_free(nl_net *net);
/* Re-initialises the parameters (as at creation) for seed. */
void nl_net_init_params(nl_net *net, uint64_t seed);

/* Forward over net->x[0..n); returns the mean loss when labels != NULL (else 0). With train
 * set, BatchNorm uses and updates batch statistics. Logits are in net->logits. */
double nl_net_forward(nl_net *net, int n, const uint8_t *labels, int train);
/* Backward of the last train-mode forward (with labels): fills net->grads (overwrites). */
void nl_net_backward(nl_net *net, const uint8_t *labels);

#endif
