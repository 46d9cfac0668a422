/* The S8 network family: C1 C2 c3 P1 C3 C4 C5 c6 P2 C7 C8 C9 GAP c10
 * (CN = 3x3 conv, cN = 1x1 conv, PN = 2x2 max pool, GAP = global average pool).
 * Every conv but c10 is conv (no bias) -> norm -> ReLU [-> dropout] [+ skip] (or ReLU before
 * the norm: nl_order_kind).
 * c10 is a plain 1x1 conv to the class logits. Tensors are NHWC inside the core;
 * conv weights are stored HWIO ([kh][kw][ci][co]) and converted at the PyTorch boundary. */
#ifndef NL_MODEL_H
#define NL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

/* Layer indices in the fixed layout. */
enum {
    NL_L_C1 = 0, NL_L_C2, NL_L_c3, NL_L_P1, NL_L_C3, NL_L_C4, NL_L_C5, NL_L_c6, NL_L_P2,
    NL_L_C7, NL_L_C8, NL_L_C9, NL_L_GAP, NL_L_c10,
    NL_NUM_LAYERS /* 14 */
};

/* The ten normalised convs (C1 C2 c3 C3 C4 C5 c6 C7 C8 C9), in order. */
#define NL_NUM_BLOCKS 10
#define NL_MAX_SKIPS 8
#define NL_MAX_WIDTH 256

typedef enum { NL_NORM_BN = 0, NL_NORM_GN = 1, NL_NORM_LN = 2 } nl_norm_kind;

/* Order of norm and ReLU in every normalised block (the skip add and dropout come after both):
 *   NORM_RELU  conv -> norm -> ReLU [-> dropout] [+ skip]   (the default)
 *   RELU_NORM  conv -> ReLU -> norm [-> dropout] [+ skip]   (as the public GN/LN nets do; the
 *              block output is then not rectified, and a skip adds a norm's output directly) */
typedef enum { NL_ORDER_NORM_RELU = 0, NL_ORDER_RELU_NORM = 1 } nl_order_kind;

/* out[to] += out[from]: the output of layer `from` (any layer index < to) is added to the
 * output of conv block `to` (after its ReLU / dropout). Shapes must be equal. */
typedef struct {
    int from, to;
} nl_skip;

typedef struct {
    nl_norm_kind norm;
    int groups;       /* GN: number of groups in every layer (must divide each width), or 0 */
    int group_size;   /* GN when groups == 0: channels per group, else 4 if 8 doesn't divide */
    int width[NL_NUM_BLOCKS]; /* output channels of C1 C2 c3 C3 C4 C5 c6 C7 C8 C9 */
    int pad[NL_NUM_BLOCKS];   /* padding of each block's conv: 0 or 1 (1x1 convs: 0) */
    int n_skips;
    nl_skip skips[NL_MAX_SKIPS];
    float dropout;    /* after each block's ReLU in training, 0 = off */
    float bn_momentum;/* PyTorch BatchNorm momentum, 0.1 by default */
    float norm_eps;   /* 1e-5 */
    nl_order_kind order; /* norm/ReLU order of every block (above) */
    int weight_std;   /* 1: the ten normalised convs (C1 too, c10 not) use standardised weights
                       * (W - mean) / sqrt(var + NL_WS_EPS) per output channel (nl_weight_std.h) */
    int zero_init_skip; /* 1: gamma of each skip's target block starts at 0 (needs RELU_NORM) */
    int in_channels;  /* 3 */
    int in_hw;        /* 32 */
    int classes;      /* 10 */
} nl_model_desc;

/* Kernel size of a block (3 or 1) and the layer index of block b. */
int nl_block_kernel(int block);
int nl_block_layer(int block);
/* Block index of a layer index, or -1 for pools/GAP/c10. */
int nl_layer_block(int layer);
extern const char *const nl_layer_names[NL_NUM_LAYERS];

/* The reference network of ../shared/bench/reference-model.md with the given norm. */
void nl_model_desc_reference(nl_model_desc *d, nl_norm_kind norm);
/* The tuned default for each norm kind (< 50,000 parameters). */
void nl_model_desc_default(nl_model_desc *d, nl_norm_kind norm);
/* Checks every field; explains the first problem found. */
int nl_model_desc_validate(const nl_model_desc *d, nl_status *st);
/* Number of GroupNorm groups of a block (1 for LN, 0 for BN). */
int nl_model_desc_groups(const nl_model_desc *d, int block);
int nl_norm_parse(const char *s, nl_norm_kind *out);
const char *nl_norm_name(nl_norm_kind k);

/* ---- Shapes and the model report ---- */
typedef struct {
    int c, h, w;
} nl_shape;

typedef struct {
    char name[8];
    char op[32];       /* e.g. "conv3x3+bn+relu", "maxpool2x2", "gap", "conv1x1" */
    nl_shape in, out;
    int params;        /* trainable parameters of this layer (conv weight + norm affine) */
    /* receptive field after this layer: r = size, n = output size, j = jump, s = stride, k */
    int rf_r, rf_n, rf_j, rf_k, rf_s, rf_p;
} nl_layer_info;

/* Fills info[NL_NUM_LAYERS]; returns the total trainable parameter count, or -1 (st set). */
int nl_model_report(const nl_model_desc *d, nl_layer_info info[NL_NUM_LAYERS], nl_status *st);

/* ---- Parameters ----
 * All trainable parameters live in one float array, in this order per block:
 * conv weight [k][k][ci][co], norm gamma [co], norm beta [co]; then c10 weight [1][1][ci][10].
 * BatchNorm running mean/var live in a separate array (bn_state): per block mean [co], var [co]. */
typedef struct {
    size_t w_off, gamma_off, beta_off; /* offsets into params; gamma/beta = (size_t)-1 for c10 */
    size_t run_mean_off, run_var_off;  /* offsets into bn_state (BN only) */
    int k, ci, co, pad, groups;
    nl_shape in, out;
} nl_block_layout;

typedef struct {
    nl_model_desc desc;
    nl_block_layout blocks[NL_NUM_BLOCKS + 1]; /* [10] is c10 */
    nl_shape shapes[NL_NUM_LAYERS];            /* output shape of each layer */
    nl_shape input;
    size_t n_params;
    size_t n_bn_state;
} nl_model_layout;

int nl_model_layout_init(nl_model_layout *L, const nl_model_desc *d, nl_status *st);

#endif
