/* Forward and backward of the S8 network over a batch (see nl_net.h). Each layer's forward
 * and backward run as tasks over fixed chunks of NL_CHUNK images; per-chunk partial sums are
 * reduced in chunk order on the calling thread. */
#include "nn/nl_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_big_alloc.h"
#include "base/nl_profile.h"
#include "base/nl_rng.h"
#include "nn/kernels/nl_kernels.h"
#include "nn/nl_relu_norm.h"
#include "nn/nl_weight_std.h"

static size_t shape_size(nl_shape s) { return (size_t)s.c * s.h * s.w; }
static int n_chunks(int n) { return (n + NL_CHUNK - 1) / NL_CHUNK; }

static nl_conv_dims block_dims(const nl_block_layout *B) {
    nl_conv_dims d = {B->in.h, B->in.w, B->ci, B->out.h, B->out.w, B->co, B->k, B->pad};
    return d;
}

static size_t nonzero(size_t n) { return n ? n : 1; }
static int relu_first(const nl_net *net) { return net->L.desc.order == NL_ORDER_RELU_NORM; }
static size_t fan_in(const nl_block_layout *B) { return (size_t)B->k * B->k * B->ci; }

/* The weights block b's conv runs with: standardised (weight_std) or the parameters. */
static const float *conv_weights(const nl_net *net, int b) {
    const float *w = net->L.desc.weight_std ? net->w_hat : net->params;
    return w + net->L.blocks[b].w_off;
}

/* The most memory one network may take: what the Wasm module can address (2 GiB), so a model
 * and batch the page could not run are refused natively too, and a checkpoint or settings
 * file cannot make a loader allocate without bound. Fuzzing builds set it lower. */
#ifndef NL_NET_MAX_BYTES
#define NL_NET_MAX_BYTES ((size_t)2 << 30)
#endif

/* Takes count * size bytes from *budget; 0 (and *over set) if they do not fit. */
static int take(size_t *budget, size_t count, size_t size, int *over) {
    if (count > *budget / size) return !(*over = 1);
    *budget -= count * size;
    return 1;
}

/* ---------------------------------------------------------------- set-up */

void nl_net_init_params(nl_net *net, uint64_t seed) {
    const nl_model_layout *L = &net->L;
    nl_rng r = nl_rng_stream(seed, 0x1417, 0);
    for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L->blocks[b];
        /* PyTorch Conv2d default: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
        size_t fan_in = (size_t)B->k * B->k * B->ci;
        float bound = 1.0f / sqrtf((float)fan_in);
        size_t nw = fan_in * B->co;
        for (size_t i = 0; i < nw; i++) net->params[B->w_off + i] = (2.0f * nl_rng_uniform(&r) - 1.0f) * bound;
        if (b < NL_NUM_BLOCKS) {
            for (int c = 0; c < B->co; c++) {
                net->params[B->gamma_off + c] = 1.0f;
                net->params[B->beta_off + c] = 0.0f;
            }
            if (L->n_bn_state)
                for (int c = 0; c < B->co; c++) {
                    net->bn_state[B->run_mean_off + c] = 0.0f;
                    net->bn_state[B->run_var_off + c] = 1.0f;
                }
        }
    }
    /* zero_init_skip: each skip branch ends with its target block's norm (order relu_norm),
     * so a zero scale makes the branch output 0 and the block start as the identity */
    if (L->desc.zero_init_skip)
        for (int k = 0; k < L->desc.n_skips; k++) {
            const nl_block_layout *B = &L->blocks[nl_layer_block(L->desc.skips[k].to)];
            for (int c = 0; c < B->co; c++) net->params[B->gamma_off + c] = 0.0f;
        }
    net->bn_batches = 0;
}

void nl_net_free(nl_net *net) {
    if (!net) return;
    free(net->params);
    free(net->grads);
    free(net->bn_state);
    free(net->x);
    for (int l = 0; l < NL_NUM_LAYERS; l++) {
        free(net->act[l]);
        free(net->dact[l]);
    }
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        free(net->conv_out[b]);
        free(net->mean[b]);
        free(net->invstd[b]);
        free(net->drop_mask[b]);
        free(net->packed[b]);
        free(net->packed_t[b]);
        nl_conv_plan_free(&net->plan[b]);
    }
    free(net->pool_arg[0]);
    free(net->pool_arg[1]);
    free(net->logits);
    free(net->dlogits);
    free(net->probs);
    free(net->losses);
    free(net->gtmp);
    free(net->scratch);
    free(net->grad_part);
    free(net->stat_part);
    free(net->w_hat);
    memset(net, 0, sizeof *net);
}

int nl_net_init(nl_net *net, const nl_model_desc *d, int cap, nl_thread_pool *pool, uint64_t seed, nl_status *st) {
    memset(net, 0, sizeof *net);
    if (cap < 1 || cap > 4096) return nl_fail(st, NL_EINVAL, "batch size must be 1..4096, got %d", cap);
    int rc = nl_model_layout_init(&net->L, d, st);
    if (rc) return rc;
    const nl_model_layout *L = &net->L;
    net->cap = cap;
    net->pool = pool;
    int nch = n_chunks(cap);
    int ok = 1, over = 0;
    /* Pass 0 only adds up the sizes against the limit; pass 1 allocates. */
    for (int pass = 0; pass < 2 && ok; pass++) {
        size_t budget = NL_NET_MAX_BYTES;
#define ALLOC(p, count)                                                  \
    ok = ok && take(&budget, nonzero(count), sizeof *(p), &over) && \
         (pass == 0 || ((p) = nl_big_calloc(nonzero(count), sizeof *(p))) != NULL)
        ALLOC(net->params, L->n_params);
        ALLOC(net->grads, L->n_params);
        ALLOC(net->w_hat, d->weight_std ? L->n_params : 0);
        ALLOC(net->bn_state, L->n_bn_state);
        ALLOC(net->x, (size_t)cap * shape_size(L->input));
        size_t max_block = 0, max_scratch = 0;
        for (int l = 0; l < NL_NUM_LAYERS; l++) {
            size_t sz = (size_t)cap * shape_size(L->shapes[l]);
            ALLOC(net->act[l], sz);
            ALLOC(net->dact[l], sz);
        }
        for (int b = 0; b < NL_NUM_BLOCKS; b++) {
            const nl_block_layout *B = &L->blocks[b];
            size_t sz = shape_size(B->out);
            if (sz > max_block) max_block = sz;
            nl_conv_dims cd = block_dims(B);
            size_t s = nl_conv_scratch_floats(&cd);
            if (s > max_scratch) max_scratch = s;
            ALLOC(net->conv_out[b], (size_t)cap * sz);
            size_t nstat = d->norm == NL_NORM_BN ? (size_t)B->co : (size_t)cap * B->groups;
            ALLOC(net->mean[b], nstat);
            ALLOC(net->invstd[b], nstat);
            if (d->dropout > 0.0f) ALLOC(net->drop_mask[b], (size_t)cap * sz);
            ALLOC(net->packed[b], nl_conv_packed_floats(&cd));
            ALLOC(net->packed_t[b], nl_conv_packed_t_floats(&cd));
            ok = ok && (pass == 0 || nl_conv_plan_init(&net->plan[b], &cd) == 0);
        }
        ALLOC(net->pool_arg[0], (size_t)cap * shape_size(L->shapes[NL_L_P1]));
        ALLOC(net->pool_arg[1], (size_t)cap * shape_size(L->shapes[NL_L_P2]));
        ALLOC(net->logits, (size_t)cap * d->classes);
        ALLOC(net->dlogits, (size_t)cap * d->classes);
        ALLOC(net->probs, (size_t)cap * d->classes);
        ALLOC(net->losses, (size_t)cap);
        ALLOC(net->gtmp, (size_t)cap * max_block);
        net->gtmp_stride = max_block;
        net->scratch_floats = max_scratch;
        ALLOC(net->scratch, (size_t)nch * max_scratch);
        ALLOC(net->grad_part, (size_t)nch * L->n_params);
        ALLOC(net->stat_part, (size_t)nch * 2 * NL_MAX_WIDTH);
    }
#undef ALLOC
    if (!ok) {
        nl_net_free(net);
        if (over)
            return nl_fail(st, NL_EINVAL, "the model with batch %d needs more than %zu MiB (the limit): use a smaller batch or narrower layers",
                           cap, (size_t)NL_NET_MAX_BYTES >> 20);
        return nl_fail(st, NL_ENOMEM, "out of memory allocating the network for batch %d", cap);
    }
    nl_net_init_params(net, seed);
    return NL_OK;
}

/* ---------------------------------------------------------------- forward
 * The work of a pass is cut at BatchNorm's batch statistics only: a stage runs, chunk by chunk
 * and image by image, every layer from the normalisation of one BN block to the conv (and
 * statistics) of the next, so an image's activations are still in cache for the next layer
 * and the thread pool synchronises once per BN block. GN/LN (and BN in inference, which uses
 * the running statistics) run the whole network in one stage. Every per-channel sum still
 * runs over the chunk's images in order and the chunks are reduced in order. */

static const float *layer_input(const nl_net *net, int layer) {
    return layer == 0 ? net->x : net->act[layer - 1];
}

/* Block output = relu(norm(conv)) [* dropout] [+ skip sources] of image i (order relu_norm:
 * norm(r) with r = relu(conv), already in conv_out, so no activation after it). scale/shift: the
 * per-channel affine form of the norm (BN), or NULL for the image's group statistics (GN/LN). */
static void block_output(nl_net *net, int b, int i, const float *scale, const float *shift) {
    const nl_model_layout *L = &net->L;
    const nl_block_layout *B = &L->blocks[b];
    int layer = nl_block_layer(b);
    size_t npix = (size_t)B->out.h * B->out.w, sz = npix * B->co;
    const float *gamma = net->params + B->gamma_off, *beta = net->params + B->beta_off;
    float mc[NL_MAX_WIDTH], ic[NL_MAX_WIDTH], sc[NL_MAX_WIDTH], sh[NL_MAX_WIDTH];
    if (!scale) { /* expand the image's group stats to channels */
        int cg = B->co / B->groups;
        for (int c = 0; c < B->co; c++) {
            mc[c] = net->mean[b][(size_t)i * B->groups + c / cg];
            ic[c] = net->invstd[b][(size_t)i * B->groups + c / cg];
        }
        nl_norm_affine(B->co, mc, ic, gamma, beta, sc, sh);
        scale = sc;
        shift = sh;
    }
    float *out = net->act[layer] + (size_t)i * sz;
    if (relu_first(net)) nl_norm_affine_forward(npix, B->co, net->conv_out[b] + (size_t)i * sz, scale, shift, out);
    else nl_norm_relu_forward(net->ks, npix, B->co, net->conv_out[b] + (size_t)i * sz, scale, shift, out);
    if (net->train && L->desc.dropout > 0.0f) {
        float p = L->desc.dropout, keep_scale = 1.0f / (1.0f - p);
        nl_rng r = nl_rng_stream(net->dropout_seed, (uint64_t)b, (uint64_t)i);
        uint8_t *mask = net->drop_mask[b] + (size_t)i * sz;
        for (size_t e = 0; e < sz; e++) {
            mask[e] = nl_rng_uniform(&r) >= p;
            out[e] = mask[e] ? out[e] * keep_scale : 0.0f;
        }
    }
    for (int k = 0; k < L->desc.n_skips; k++)
        if (L->desc.skips[k].to == layer) {
            const float *src = net->act[L->desc.skips[k].from] + (size_t)i * sz;
            for (size_t e = 0; e < sz; e++) out[e] += src[e];
        }
}

/* Layer l of image i. A block: its conv, then either the BN sums of the chunk (batch
 * statistics, normalised in the next stage) or the normalisation itself (inline). */
static void forward_layer(nl_net *net, int l, int i, int chunk, int inline_norm) {
    const nl_model_layout *L = &net->L;
    const float *in = layer_input(net, l);
    size_t in_sz = shape_size(l == 0 ? L->input : L->shapes[l - 1]);
    size_t out_sz = shape_size(L->shapes[l]);
    int b = nl_layer_block(l);
    if (b >= 0) {
        const nl_block_layout *B = &L->blocks[b];
        size_t npix = (size_t)B->out.h * B->out.w;
        float *scratch = net->scratch + (size_t)chunk * net->scratch_floats;
        float *y = net->conv_out[b] + (size_t)i * out_sz;
        double t0 = nl_prof_begin();
        nl_conv_forward(net->ks, &net->plan[b], in + (size_t)i * in_sz, net->packed[b], y, scratch);
        nl_prof_end(l, NL_PROF_FORWARD, t0);
        t0 = nl_prof_begin();
        if (relu_first(net)) nl_relu_inplace(out_sz, y); /* the norm's statistics are of relu(conv) */
        if (L->desc.norm == NL_NORM_BN) {
            if (inline_norm) {
                block_output(net, b, i, net->bn_scale[b], net->bn_shift[b]);
            } else { /* the chunk's sums, image after image (pixels in order) while y is in cache */
                double *sum = net->stat_part + (size_t)chunk * 2 * NL_MAX_WIDTH, *sumsq = sum + NL_MAX_WIDTH;
                nl_channel_sums(net->ks, npix, B->co, y, sum, sumsq);
            }
        } else {
            nl_group_stats(net->ks, npix, B->co, B->groups, y, L->desc.norm_eps, net->mean[b] + (size_t)i * B->groups,
                           net->invstd[b] + (size_t)i * B->groups);
            block_output(net, b, i, NULL, NULL);
        }
        nl_prof_end(l, NL_PROF_NORM, t0);
        return;
    }
    double t0 = nl_prof_begin();
    nl_shape s_in = L->shapes[l - 1];
    if (l == NL_L_P1 || l == NL_L_P2) {
        uint8_t *arg = net->pool_arg[l == NL_L_P2];
        nl_maxpool_forward(net->ks, s_in.h, s_in.w, s_in.c, in + (size_t)i * in_sz, net->act[l] + (size_t)i * out_sz,
                           arg + (size_t)i * out_sz);
    } else if (l == NL_L_GAP) {
        nl_gap_forward(s_in.h * s_in.w, s_in.c, in + (size_t)i * in_sz, net->act[l] + (size_t)i * out_sz);
    } else { /* c10 */
        const nl_block_layout *B = &L->blocks[NL_NUM_BLOCKS];
        nl_fc_forward(B->ci, B->co, in + (size_t)i * in_sz, net->params + B->w_off, net->act[l] + (size_t)i * out_sz);
    }
    nl_prof_end(l, l == NL_L_c10 ? NL_PROF_FORWARD : NL_PROF_POOL, t0);
}

typedef struct {
    nl_net *net;
    int post_block;   /* >= 0: first normalise this BN block (batch statistics ready) */
    int l0, l1;       /* then layers l0..l1-1 */
    int inline_norm;  /* norms computed in place (GN/LN, or BN with fixed statistics) */
    int bn_sums;      /* the stage ends with a BN block's conv: clear the chunk's sums first */
    const uint8_t *labels; /* non-NULL: the loss of each image after the last layer */
} fwd_stage;

static void forward_stage_task(void *ctx, int chunk) {
    fwd_stage *st = ctx;
    nl_net *net = st->net;
    int i0 = chunk * NL_CHUNK, i1 = i0 + NL_CHUNK < net->n ? i0 + NL_CHUNK : net->n;
    if (st->bn_sums) memset(net->stat_part + (size_t)chunk * 2 * NL_MAX_WIDTH, 0, sizeof(double) * 2 * NL_MAX_WIDTH);
    int K = net->L.desc.classes;
    float eps = net->train ? net->label_smoothing : 0.0f;
    for (int i = i0; i < i1; i++) {
        if (st->post_block >= 0) {
            double t0 = nl_prof_begin();
            block_output(net, st->post_block, i, net->bn_scale[st->post_block], net->bn_shift[st->post_block]);
            nl_prof_end(nl_block_layer(st->post_block), NL_PROF_NORM, t0);
        }
        for (int l = st->l0; l < st->l1; l++) forward_layer(net, l, i, chunk, st->inline_norm);
        if (st->labels) {
            double t0 = nl_prof_begin();
            net->losses[i] = nl_softmax_xent(K, net->act[NL_L_c10] + (size_t)i * K, st->labels[i], eps,
                                             1.0f / (float)net->n, net->dlogits + (size_t)i * K,
                                             net->probs + (size_t)i * K);
            nl_prof_end(NL_L_c10, NL_PROF_OTHER, t0);
        }
    }
}

/* BatchNorm: reduce the chunks' sums in order, set batch mean/invstd, update running stats. */
static void bn_finish_stats(nl_net *net, int b) {
    const nl_block_layout *B = &net->L.blocks[b];
    int nch = n_chunks(net->n);
    double count = (double)net->n * B->out.h * B->out.w;
    float mom = net->L.desc.bn_momentum, eps = net->L.desc.norm_eps;
    for (int c = 0; c < B->co; c++) {
        double s = 0.0, s2 = 0.0;
        for (int k = 0; k < nch; k++) {
            s += net->stat_part[(size_t)k * 2 * NL_MAX_WIDTH + c];
            s2 += net->stat_part[(size_t)k * 2 * NL_MAX_WIDTH + NL_MAX_WIDTH + c];
        }
        double m = s / count, var = s2 / count - m * m;
        if (var < 0.0) var = 0.0;
        net->mean[b][c] = (float)m;
        net->invstd[b][c] = (float)(1.0 / sqrt(var + eps));
        /* PyTorch: running = (1 - momentum) running + momentum * batch, with unbiased variance */
        double unbiased = count > 1.0 ? var * count / (count - 1.0) : var;
        float *rm = net->bn_state + B->run_mean_off, *rv = net->bn_state + B->run_var_off;
        rm[c] = (1.0f - mom) * rm[c] + mom * (float)m;
        rv[c] = (1.0f - mom) * rv[c] + mom * (float)unbiased;
    }
    nl_norm_affine(B->co, net->mean[b], net->invstd[b], net->params + B->gamma_off, net->params + B->beta_off,
                   net->bn_scale[b], net->bn_shift[b]);
}

static void bn_running_stats(nl_net *net, int b) {
    const nl_block_layout *B = &net->L.blocks[b];
    const float *rm = net->bn_state + B->run_mean_off, *rv = net->bn_state + B->run_var_off;
    for (int c = 0; c < B->co; c++) {
        net->mean[b][c] = rm[c];
        net->invstd[b][c] = (float)(1.0 / sqrt((double)rv[c] + net->L.desc.norm_eps));
    }
    nl_norm_affine(B->co, net->mean[b], net->invstd[b], net->params + B->gamma_off, net->params + B->beta_off,
                   net->bn_scale[b], net->bn_shift[b]);
}

double nl_net_forward(nl_net *net, int n, const uint8_t *labels, int train) {
    const nl_model_layout *L = &net->L;
    net->n = n;
    net->train = train;
    net->ks = nl_kernels();
    double t0 = nl_prof_begin();
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L->blocks[b];
        if (L->desc.weight_std) /* once per pass; the backward uses these too */
            nl_weight_std_forward(fan_in(B), B->co, net->params + B->w_off, net->w_hat + B->w_off, net->ws_mean[b],
                                  net->ws_rstd[b]);
        nl_conv_dims cd = block_dims(B);
        nl_conv_pack_weights(net->ks, &cd, conv_weights(net, b), net->packed[b]);
    }
    nl_prof_end(NL_PROF_STEP, NL_PROF_OTHER, t0);
    int nch = n_chunks(n);
    int bn = L->desc.norm == NL_NORM_BN;
    fwd_stage st = {net, -1, 0, NL_NUM_LAYERS, 1, 0, labels};
    if (bn && !train)
        for (int b = 0; b < NL_NUM_BLOCKS; b++) bn_running_stats(net, b);
    if (bn && train) { /* one stage per BN block: ... -> conv + sums | batch stats | normalise -> ... */
        st.inline_norm = 0;
        st.bn_sums = 1;
        st.labels = NULL;
        for (int b = 0; b < NL_NUM_BLOCKS; b++) {
            st.l1 = nl_block_layer(b) + 1;
            nl_thread_pool_run(net->pool, nch, forward_stage_task, &st);
            double t1 = nl_prof_begin();
            bn_finish_stats(net, b);
            nl_prof_end(nl_block_layer(b), NL_PROF_NORM, t1);
            st.post_block = b;
            st.l0 = st.l1;
        }
        st.l1 = NL_NUM_LAYERS;
        st.bn_sums = 0;
        st.labels = labels;
        net->bn_batches++;
    }
    nl_thread_pool_run(net->pool, nch, forward_stage_task, &st);
    memcpy(net->logits, net->act[NL_L_c10], sizeof(float) * (size_t)n * L->desc.classes);
    if (!labels) return 0.0;
    double total = 0.0;
    for (int i = 0; i < n; i++) total += net->losses[i];
    return total / n;
}

/* ---------------------------------------------------------------- backward
 * Stages as in the forward pass, in reverse: a stage runs, image by image, the BN block whose
 * coefficients are ready (its dx, then its conv's backward), the layers below it, and the
 * per-channel sums of the next BN block down. */

/* Image i's slice of gtmp, the gradient of a block's conv output. Images of a stage may be at
 * different blocks (in other threads), so every image has its own slice. */
static float *gtmp_of(const nl_net *net, int i) { return net->gtmp + (size_t)i * net->gtmp_stride; }

/* gradient of block b's output for image i, masked by dropout (into image i's gtmp) */
static const float *block_grad(nl_net *net, int b, int i, int apply_mask) {
    int layer = nl_block_layer(b);
    size_t sz = shape_size(net->L.shapes[layer]), off = (size_t)i * sz;
    if (!(net->L.desc.dropout > 0.0f)) return net->dact[layer] + off;
    float *g = gtmp_of(net, i);
    if (apply_mask) {
        float keep_scale = 1.0f / (1.0f - net->L.desc.dropout);
        const uint8_t *mask = net->drop_mask[b] + off;
        const float *d = net->dact[layer] + off;
        for (size_t e = 0; e < sz; e++) g[e] = mask[e] ? d[e] * keep_scale : 0.0f;
    }
    return g;
}

/* conv backward of image i given d(conv output) in its gtmp slice: weights into the chunk's
 * gradient, data into dact of the layer below (except for the first layer) */
static void conv_backward_image(nl_net *net, int b, int chunk, int i) {
    const nl_block_layout *B = &net->L.blocks[b];
    int layer = nl_block_layer(b);
    size_t in_sz = shape_size(B->in);
    const float *in = layer_input(net, layer);
    float *scratch = net->scratch + (size_t)chunk * net->scratch_floats;
    float *dw = net->grad_part + (size_t)chunk * net->L.n_params + B->w_off;
    const float *g = gtmp_of(net, i);
    double t0 = nl_prof_begin();
    nl_conv_backward_weights(net->ks, &net->plan[b], in + (size_t)i * in_sz, g, dw, scratch);
    nl_prof_end(layer, NL_PROF_WGRAD, t0);
    t0 = nl_prof_begin();
    if (layer > 0)
        nl_conv_backward_data(net->ks, &net->plan[b], g, net->packed_t[b], net->dact[layer - 1] + (size_t)i * in_sz,
                              scratch);
    nl_prof_end(layer, NL_PROF_BWD_DATA, t0);
}

/* BN, first half: the chunk's sums of g (the ReLU-masked gradient) and g * x, image i */
static void bn_backward_sums(nl_net *net, int b, int chunk, int i) {
    const nl_block_layout *B = &net->L.blocks[b];
    size_t npix = (size_t)B->out.h * B->out.w, off = (size_t)i * npix * B->co;
    double *sg = net->stat_part + (size_t)chunk * 2 * NL_MAX_WIDTH, *sgx = sg + NL_MAX_WIDTH;
    double t0 = nl_prof_begin();
    if (relu_first(net))
        nl_norm_affine_backward_sums(npix, B->co, net->conv_out[b] + off, block_grad(net, b, i, 1), sg, sgx);
    else
        nl_norm_relu_backward_sums(net->ks, npix, B->co, net->conv_out[b] + off, net->bn_scale[b], net->bn_shift[b],
                                   block_grad(net, b, i, 1), sg, sgx);
    nl_prof_end(nl_block_layer(b), NL_PROF_NORM, t0);
}

/* BN, second half: dx (g recomputed) into gtmp, then the conv's backward, image i */
static void bn_backward_dx(nl_net *net, int b, int chunk, int i, const float *k2, const float *k3) {
    const nl_block_layout *B = &net->L.blocks[b];
    size_t npix = (size_t)B->out.h * B->out.w, off = (size_t)i * npix * B->co;
    double t0 = nl_prof_begin();
    if (relu_first(net))
        nl_norm_affine_relu_backward_dx(npix, B->co, net->conv_out[b] + off, net->bn_scale[b], block_grad(net, b, i, 0),
                                        k2, k3, gtmp_of(net, i));
    else
        nl_norm_backward_dx(net->ks, npix, B->co, net->conv_out[b] + off, net->bn_scale[b], net->bn_shift[b],
                            block_grad(net, b, i, 0), k2, k3, gtmp_of(net, i));
    nl_prof_end(nl_block_layer(b), NL_PROF_NORM, t0);
    conv_backward_image(net, b, chunk, i);
}

/* GN / LN: the whole block backward of image i */
static void gn_backward(nl_net *net, int b, int chunk, int i) {
    const nl_model_layout *L = &net->L;
    const nl_block_layout *B = &L->blocks[b];
    size_t npix = (size_t)B->out.h * B->out.w, off = (size_t)i * npix * B->co;
    const float *gamma = net->params + B->gamma_off, *beta = net->params + B->beta_off;
    float *dgamma = net->grad_part + (size_t)chunk * L->n_params + B->gamma_off;
    float *dbeta = net->grad_part + (size_t)chunk * L->n_params + B->beta_off;
    int G = B->groups, cg = B->co / G;
    double t0 = nl_prof_begin();
    const float *dout = block_grad(net, b, i, 1);
    float mc[NL_MAX_WIDTH], ic[NL_MAX_WIDTH], sc[NL_MAX_WIDTH], sh[NL_MAX_WIDTH], k2[NL_MAX_WIDTH], k3[NL_MAX_WIDTH];
    double sg[NL_MAX_WIDTH], sgx[NL_MAX_WIDTH];
    for (int c = 0; c < B->co; c++) {
        mc[c] = net->mean[b][(size_t)i * G + c / cg];
        ic[c] = net->invstd[b][(size_t)i * G + c / cg];
        sg[c] = sgx[c] = 0.0;
    }
    nl_norm_affine(B->co, mc, ic, gamma, beta, sc, sh);
    if (relu_first(net)) nl_norm_affine_backward_sums(npix, B->co, net->conv_out[b] + off, dout, sg, sgx);
    else nl_norm_relu_backward_sums(net->ks, npix, B->co, net->conv_out[b] + off, sc, sh, dout, sg, sgx);
    double cnt = (double)npix * cg;
    for (int g = 0; g < G; g++) {
        double A = 0.0, Bs = 0.0;
        for (int c = g * cg; c < (g + 1) * cg; c++) {
            sgx[c] = (double)ic[c] * (sgx[c] - (double)mc[c] * sg[c]); /* sum of g * xhat */
            A += (double)gamma[c] * sg[c];
            Bs += (double)gamma[c] * sgx[c];
        }
        for (int c = g * cg; c < (g + 1) * cg; c++) nl_norm_dx_coefs(ic[c], mc[c], A / cnt, Bs / cnt, &k2[c], &k3[c]);
    }
    for (int c = 0; c < B->co; c++) {
        dgamma[c] += (float)sgx[c];
        dbeta[c] += (float)sg[c];
    }
    if (relu_first(net))
        nl_norm_affine_relu_backward_dx(npix, B->co, net->conv_out[b] + off, sc, dout, k2, k3, gtmp_of(net, i));
    else nl_norm_backward_dx(net->ks, npix, B->co, net->conv_out[b] + off, sc, sh, dout, k2, k3, gtmp_of(net, i));
    nl_prof_end(nl_block_layer(b), NL_PROF_NORM, t0);
    conv_backward_image(net, b, chunk, i);
}

/* Backward of a pool / GAP / c10 layer l for image i: d(input) into dact[l - 1]. */
static void backward_other(nl_net *net, int l, int chunk, int i) {
    const nl_model_layout *L = &net->L;
    nl_shape s_in = L->shapes[l - 1];
    size_t in_sz = shape_size(s_in), out_sz = shape_size(L->shapes[l]);
    double t0 = nl_prof_begin();
    if (l == NL_L_P1 || l == NL_L_P2) {
        const uint8_t *arg = net->pool_arg[l == NL_L_P2];
        nl_maxpool_backward(net->ks, s_in.h, s_in.w, s_in.c, net->dact[l] + (size_t)i * out_sz,
                            arg + (size_t)i * out_sz, net->dact[l - 1] + (size_t)i * in_sz);
    } else if (l == NL_L_GAP) {
        nl_gap_backward(s_in.h * s_in.w, s_in.c, net->dact[l] + (size_t)i * out_sz, net->dact[l - 1] + (size_t)i * in_sz);
    } else { /* c10 */
        const nl_block_layout *B = &L->blocks[NL_NUM_BLOCKS];
        float *dw = net->grad_part + (size_t)chunk * L->n_params + B->w_off;
        nl_fc_backward(B->ci, B->co, net->act[l - 1] + (size_t)i * in_sz, net->params + B->w_off,
                       net->dlogits + (size_t)i * B->co, net->dact[l - 1] + (size_t)i * in_sz, dw);
    }
    nl_prof_end(l, l == NL_L_c10 ? NL_PROF_BWD_DATA : NL_PROF_POOL, t0); /* c10: with its weight gradient */
}

/* skip adds: the source layer's gradient also receives the target's output gradient */
static void skip_grads(nl_net *net, int src, int i) {
    const nl_model_layout *L = &net->L;
    double t0 = nl_prof_begin();
    for (int k = 0; k < L->desc.n_skips; k++)
        if (L->desc.skips[k].from == src) {
            size_t sz = shape_size(L->shapes[src]);
            float *d = net->dact[src] + (size_t)i * sz;
            const float *s = net->dact[L->desc.skips[k].to] + (size_t)i * sz;
            for (size_t e = 0; e < sz; e++) d[e] += s[e];
        }
    nl_prof_end(src, NL_PROF_OTHER, t0);
}

typedef struct {
    nl_net *net;
    int dx_block;   /* >= 0: first this BN block's dx and conv backward (coefficients below) */
    int l_hi, l_lo; /* then the layers l_hi down to l_lo + 1 (block layers: whole GN/LN backward) */
    int sums_block; /* >= 0: then this BN block's sums (clears the chunk's sums first) */
    float k2[NL_MAX_WIDTH], k3[NL_MAX_WIDTH]; /* BN dx coefficients of dx_block */
} bwd_stage;

static void backward_stage_task(void *ctx, int chunk) {
    bwd_stage *st = ctx;
    nl_net *net = st->net;
    int i0 = chunk * NL_CHUNK, i1 = i0 + NL_CHUNK < net->n ? i0 + NL_CHUNK : net->n;
    if (st->sums_block >= 0) memset(net->stat_part + (size_t)chunk * 2 * NL_MAX_WIDTH, 0, sizeof(double) * 2 * NL_MAX_WIDTH);
    for (int i = i0; i < i1; i++) {
        if (st->dx_block >= 0) {
            int l = nl_block_layer(st->dx_block);
            bn_backward_dx(net, st->dx_block, chunk, i, st->k2, st->k3);
            if (l > 0) skip_grads(net, l - 1, i);
        }
        for (int l = st->l_hi; l > st->l_lo; l--) {
            int b = nl_layer_block(l);
            if (b >= 0) gn_backward(net, b, chunk, i);
            else backward_other(net, l, chunk, i);
            if (l > 0) skip_grads(net, l - 1, i);
        }
        if (st->sums_block >= 0) bn_backward_sums(net, st->sums_block, chunk, i);
    }
}

/* grads[j] = sum over chunks (in order) of grad_part[chunk][j]; tasks split j. */
typedef struct {
    nl_net *net;
    int nch, ntasks;
} reduce_job;

static void reduce_task(void *ctx, int task) {
    reduce_job *job = ctx;
    nl_net *net = job->net;
    size_t np = net->L.n_params;
    size_t j0 = np * task / job->ntasks, j1 = np * (task + 1) / job->ntasks;
    double t0 = nl_prof_begin();
    for (size_t j = j0; j < j1; j++) {
        float s = 0.0f;
        for (int k = 0; k < job->nch; k++) s += net->grad_part[(size_t)k * np + j];
        net->grads[j] = s;
    }
    nl_prof_end(NL_PROF_STEP, NL_PROF_OTHER, t0);
}

/* BN: reduce the chunks' sums of block b, set the dx coefficients and dgamma/dbeta */
static void bn_backward_coefficients(nl_net *net, int b, float *k2, float *k3) {
    const nl_block_layout *B = &net->L.blocks[b];
    int nch = n_chunks(net->n);
    double count = (double)net->n * B->out.h * B->out.w;
    const float *gamma = net->params + B->gamma_off;
    for (int c = 0; c < B->co; c++) {
        double sg = 0.0, sgx = 0.0;
        for (int k = 0; k < nch; k++) {
            sg += net->stat_part[(size_t)k * 2 * NL_MAX_WIDTH + c];
            sgx += net->stat_part[(size_t)k * 2 * NL_MAX_WIDTH + NL_MAX_WIDTH + c];
        }
        double m = net->mean[b][c], s = net->invstd[b][c];
        double sgxhat = s * (sgx - m * sg); /* sum of g * xhat */
        nl_norm_dx_coefs(s, m, gamma[c] * sg / count, gamma[c] * sgxhat / count, &k2[c], &k3[c]);
        net->grad_part[B->gamma_off + c] = (float)sgxhat; /* chunk 0 holds the whole sum */
        net->grad_part[B->beta_off + c] = (float)sg;
    }
}

void nl_net_backward(nl_net *net, const uint8_t *labels) {
    (void)labels; /* dlogits were computed with the loss in nl_net_forward */
    const nl_model_layout *L = &net->L;
    int nch = n_chunks(net->n);
    memset(net->grad_part, 0, sizeof(float) * (size_t)nch * L->n_params);
    net->ks = nl_kernels();
    double t0 = nl_prof_begin();
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        nl_conv_dims cd = block_dims(&L->blocks[b]);
        if (nl_block_layer(b) > 0) nl_conv_pack_weights_t(net->ks, &cd, conv_weights(net, b), net->packed_t[b]);
    }
    nl_prof_end(NL_PROF_STEP, NL_PROF_OTHER, t0);
    bwd_stage st;
    st.net = net;
    st.dx_block = -1;
    st.l_hi = NL_NUM_LAYERS - 1;
    if (L->desc.norm == NL_NORM_BN) {
        for (int b = NL_NUM_BLOCKS - 1; b >= 0; b--) {
            st.l_lo = nl_block_layer(b);
            st.sums_block = b;
            nl_thread_pool_run(net->pool, nch, backward_stage_task, &st);
            double t1 = nl_prof_begin();
            bn_backward_coefficients(net, b, st.k2, st.k3);
            nl_prof_end(nl_block_layer(b), NL_PROF_NORM, t1);
            st.dx_block = b;
            st.l_hi = st.l_lo - 1;
        }
        st.sums_block = -1;
        st.l_lo = -1; /* nothing below block 0 */
        nl_thread_pool_run(net->pool, nch, backward_stage_task, &st);
    } else {
        st.l_lo = -1;
        st.sums_block = -1;
        nl_thread_pool_run(net->pool, nch, backward_stage_task, &st);
    }
    reduce_job rj = {net, nch, 16};
    nl_thread_pool_run(net->pool, rj.ntasks, reduce_task, &rj);
    if (L->desc.weight_std) { /* dL/dW_hat -> dL/dW, with the statistics of the forward pass */
        t0 = nl_prof_begin();
        for (int b = 0; b < NL_NUM_BLOCKS; b++) {
            const nl_block_layout *B = &L->blocks[b];
            nl_weight_std_backward(fan_in(B), B->co, net->params + B->w_off, net->ws_mean[b], net->ws_rstd[b],
                                   net->grads + B->w_off);
        }
        nl_prof_end(NL_PROF_STEP, NL_PROF_OTHER, t0);
    }
}
