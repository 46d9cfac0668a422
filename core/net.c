/* Forward and backward of the S8 network over a batch (see nl_net.h). Each layer's forward
 * and backward run as tasks over fixed chunks of NL_CHUNK images; per-chunk partial sums are
 * reduced in chunk order on the calling thread. */
#include "nl_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/nl_kernels.h"
#include "nl_rng.h"

static size_t shape_size(nl_shape s) { return (size_t)s.c * s.h * s.w; }
static int n_chunks(int n) { return (n + NL_CHUNK - 1) / NL_CHUNK; }

static nl_conv_dims block_dims(const nl_block_layout *B) {
    nl_conv_dims d = {B->in.h, B->in.w, B->ci, B->out.h, B->out.w, B->co, B->k, B->pad};
    return d;
}

static size_t nonzero(size_t n) { return n ? n : 1; }

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
    memset(net, 0, sizeof *net);
}

int nl_net_init(nl_net *net, const nl_model_desc *d, int cap, nl_pool *pool, uint64_t seed, nl_status *st) {
    memset(net, 0, sizeof *net);
    if (cap < 1 || cap > 4096) return nl_fail(st, NL_EINVAL, "batch size must be 1..4096, got %d", cap);
    int rc = nl_model_layout_init(&net->L, d, st);
    if (rc) return rc;
    const nl_model_layout *L = &net->L;
    net->cap = cap;
    net->pool = pool;
    int nch = n_chunks(cap);
    int ok = 1;
#define ALLOC(p, count) ok = ok && ((p) = calloc(nonzero(count), sizeof *(p))) != NULL
    ALLOC(net->params, L->n_params);
    ALLOC(net->grads, L->n_params);
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
        ok = ok && nl_conv_plan_init(&net->plan[b], &cd) == 0;
    }
    ALLOC(net->pool_arg[0], (size_t)cap * shape_size(L->shapes[NL_L_P1]));
    ALLOC(net->pool_arg[1], (size_t)cap * shape_size(L->shapes[NL_L_P2]));
    ALLOC(net->logits, (size_t)cap * d->classes);
    ALLOC(net->dlogits, (size_t)cap * d->classes);
    ALLOC(net->probs, (size_t)cap * d->classes);
    ALLOC(net->losses, (size_t)cap);
    ALLOC(net->gtmp, (size_t)cap * max_block);
    net->scratch_floats = max_scratch;
    ALLOC(net->scratch, (size_t)nch * max_scratch);
    ALLOC(net->grad_part, (size_t)nch * L->n_params);
    ALLOC(net->stat_part, (size_t)nch * 2 * NL_MAX_WIDTH);
#undef ALLOC
    if (!ok) {
        nl_net_free(net);
        return nl_fail(st, NL_ENOMEM, "out of memory allocating the network for batch %d", cap);
    }
    nl_net_init_params(net, seed);
    return NL_OK;
}

/* ---------------------------------------------------------------- forward */

typedef struct {
    nl_net *net;
    int layer, block;
    int phase; /* conv blocks: 0 = conv (+ GN norm), 1 = BN norm */
} layer_job;

static const float *layer_input(const nl_net *net, int layer) {
    return layer == 0 ? net->x : net->act[layer - 1];
}

/* Block output = relu(norm(conv)) [* dropout] [+ skip sources], images i0..i1. */
static void block_output(nl_net *net, int b, int i0, int i1, const float *mean_c, const float *invstd_c,
                         int per_image_stats) {
    const nl_model_layout *L = &net->L;
    const nl_block_layout *B = &L->blocks[b];
    int layer = nl_block_layer(b);
    size_t npix = (size_t)B->out.h * B->out.w, sz = npix * B->co;
    const float *gamma = net->params + B->gamma_off, *beta = net->params + B->beta_off;
    float mc[NL_MAX_WIDTH], ic[NL_MAX_WIDTH];
    for (int i = i0; i < i1; i++) {
        const float *m = mean_c, *s = invstd_c;
        if (per_image_stats) { /* expand the image's group stats to channels */
            int cg = B->co / B->groups;
            for (int c = 0; c < B->co; c++) {
                mc[c] = net->mean[b][(size_t)i * B->groups + c / cg];
                ic[c] = net->invstd[b][(size_t)i * B->groups + c / cg];
            }
            m = mc;
            s = ic;
        }
        float *out = net->act[layer] + (size_t)i * sz;
        nl_norm_relu_forward(net->ks, npix, B->co, net->conv_out[b] + (size_t)i * sz, m, s, gamma, beta, out);
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
}

static void forward_task(void *ctx, int chunk) {
    layer_job *job = ctx;
    nl_net *net = job->net;
    const nl_model_layout *L = &net->L;
    int i0 = chunk * NL_CHUNK, i1 = i0 + NL_CHUNK < net->n ? i0 + NL_CHUNK : net->n;
    int l = job->layer;
    const float *in = layer_input(net, l);
    size_t in_sz = shape_size(l == 0 ? L->input : L->shapes[l - 1]);
    size_t out_sz = shape_size(L->shapes[l]);
    if (job->block >= 0) {
        int b = job->block;
        const nl_block_layout *B = &L->blocks[b];
        size_t npix = (size_t)B->out.h * B->out.w;
        if (job->phase == 1) { /* BN: batch (or running) statistics are ready */
            block_output(net, b, i0, i1, net->mean[b], net->invstd[b], 0);
            return;
        }
        float *scratch = net->scratch + (size_t)chunk * net->scratch_floats;
        int bn_stats = L->desc.norm == NL_NORM_BN && net->train;
        double *sum = net->stat_part + (size_t)chunk * 2 * NL_MAX_WIDTH, *sumsq = sum + NL_MAX_WIDTH;
        if (bn_stats) memset(sum, 0, sizeof(double) * 2 * NL_MAX_WIDTH);
        for (int i = i0; i < i1; i++) {
            float *y = net->conv_out[b] + (size_t)i * out_sz;
            nl_conv_forward(net->ks, &net->plan[b], in + (size_t)i * in_sz, net->packed[b], y, scratch);
            /* BN: the chunk's sums, image after image (pixels in order) while y is in cache */
            if (bn_stats) nl_channel_sums(net->ks, npix, B->co, y, sum, sumsq);
        }
        if (L->desc.norm == NL_NORM_BN) return; /* normalised in phase 1 */
        for (int i = i0; i < i1; i++)
            nl_group_stats(net->ks, npix, B->co, B->groups, net->conv_out[b] + (size_t)i * out_sz, L->desc.norm_eps,
                           net->mean[b] + (size_t)i * B->groups, net->invstd[b] + (size_t)i * B->groups);
        block_output(net, b, i0, i1, NULL, NULL, 1);
        return;
    }
    nl_shape s_in = L->shapes[l - 1];
    if (l == NL_L_P1 || l == NL_L_P2) {
        uint8_t *arg = net->pool_arg[l == NL_L_P2];
        for (int i = i0; i < i1; i++)
            nl_maxpool_forward(net->ks, s_in.h, s_in.w, s_in.c, in + (size_t)i * in_sz, net->act[l] + (size_t)i * out_sz,
                               arg + (size_t)i * out_sz);
    } else if (l == NL_L_GAP) {
        for (int i = i0; i < i1; i++)
            nl_gap_forward(s_in.h * s_in.w, s_in.c, in + (size_t)i * in_sz, net->act[l] + (size_t)i * out_sz);
    } else { /* c10 */
        const nl_block_layout *B = &L->blocks[NL_NUM_BLOCKS];
        for (int i = i0; i < i1; i++)
            nl_fc_forward(B->ci, B->co, in + (size_t)i * in_sz, net->params + B->w_off,
                          net->act[l] + (size_t)i * out_sz);
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
}

static void bn_running_stats(nl_net *net, int b) {
    const nl_block_layout *B = &net->L.blocks[b];
    const float *rm = net->bn_state + B->run_mean_off, *rv = net->bn_state + B->run_var_off;
    for (int c = 0; c < B->co; c++) {
        net->mean[b][c] = rm[c];
        net->invstd[b][c] = (float)(1.0 / sqrt((double)rv[c] + net->L.desc.norm_eps));
    }
}

typedef struct {
    nl_net *net;
    const uint8_t *labels;
} loss_job;

static void loss_task(void *ctx, int chunk) {
    loss_job *job = ctx;
    nl_net *net = job->net;
    int K = net->L.desc.classes;
    int i0 = chunk * NL_CHUNK, i1 = i0 + NL_CHUNK < net->n ? i0 + NL_CHUNK : net->n;
    float eps = net->train ? net->label_smoothing : 0.0f;
    for (int i = i0; i < i1; i++)
        net->losses[i] = nl_softmax_xent(K, net->act[NL_L_c10] + (size_t)i * K, job->labels[i], eps,
                                         1.0f / (float)net->n, net->dlogits + (size_t)i * K,
                                         net->probs + (size_t)i * K);
}

double nl_net_forward(nl_net *net, int n, const uint8_t *labels, int train) {
    const nl_model_layout *L = &net->L;
    net->n = n;
    net->train = train;
    net->ks = nl_kernels();
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        nl_conv_dims cd = block_dims(&L->blocks[b]);
        nl_conv_pack_weights(net->ks, &cd, net->params + L->blocks[b].w_off, net->packed[b]);
    }
    int nch = n_chunks(n);
    for (int l = 0; l < NL_NUM_LAYERS; l++) {
        layer_job job = {net, l, nl_layer_block(l), 0};
        nl_pool_run(net->pool, nch, forward_task, &job);
        if (job.block >= 0 && L->desc.norm == NL_NORM_BN) {
            if (train) bn_finish_stats(net, job.block);
            else bn_running_stats(net, job.block);
            job.phase = 1;
            nl_pool_run(net->pool, nch, forward_task, &job);
        }
    }
    if (train && L->desc.norm == NL_NORM_BN) net->bn_batches++;
    memcpy(net->logits, net->act[NL_L_c10], sizeof(float) * (size_t)n * L->desc.classes);
    if (!labels) return 0.0;
    loss_job lj = {net, labels};
    nl_pool_run(net->pool, nch, loss_task, &lj);
    double total = 0.0;
    for (int i = 0; i < n; i++) total += net->losses[i];
    return total / n;
}

/* ---------------------------------------------------------------- backward */

typedef struct {
    nl_net *net;
    int layer, block, phase;
    float a[NL_MAX_WIDTH], bcoef[NL_MAX_WIDTH]; /* BN: per-channel backward coefficients */
} back_job;

/* g = block output gradient masked by dropout, into net->gtmp, images i0..i1 */
static const float *masked_grad(nl_net *net, int b, int i0, int i1) {
    int layer = nl_block_layer(b);
    size_t sz = shape_size(net->L.shapes[layer]);
    if (!(net->L.desc.dropout > 0.0f)) return net->dact[layer];
    float keep_scale = 1.0f / (1.0f - net->L.desc.dropout);
    for (size_t e = (size_t)i0 * sz; e < (size_t)i1 * sz; e++)
        net->gtmp[e] = net->drop_mask[b][e] ? net->dact[layer][e] * keep_scale : 0.0f;
    return net->gtmp;
}

/* conv backward for images i0..i1 given d(conv output) in net->gtmp */
static void conv_backward_chunk(nl_net *net, int b, int chunk, int i0, int i1) {
    const nl_block_layout *B = &net->L.blocks[b];
    int layer = nl_block_layer(b);
    size_t in_sz = shape_size(B->in), out_sz = shape_size(B->out);
    const float *in = layer_input(net, layer);
    float *scratch = net->scratch + (size_t)chunk * net->scratch_floats;
    float *dw = net->grad_part + (size_t)chunk * net->L.n_params + B->w_off;
    for (int i = i0; i < i1; i++) {
        const float *g = net->gtmp + (size_t)i * out_sz;
        nl_conv_backward_weights(net->ks, &net->plan[b], in + (size_t)i * in_sz, g, dw, scratch);
        if (layer > 0)
            nl_conv_backward_data(net->ks, &net->plan[b], g, net->packed_t[b], net->dact[layer - 1] + (size_t)i * in_sz,
                                  scratch);
    }
}

static void backward_task(void *ctx, int chunk) {
    back_job *job = ctx;
    nl_net *net = job->net;
    const nl_model_layout *L = &net->L;
    int i0 = chunk * NL_CHUNK, i1 = i0 + NL_CHUNK < net->n ? i0 + NL_CHUNK : net->n;
    int l = job->layer;
    if (job->block >= 0) {
        int b = job->block;
        const nl_block_layout *B = &L->blocks[b];
        size_t npix = (size_t)B->out.h * B->out.w, sz = npix * B->co;
        const float *gamma = net->params + B->gamma_off, *beta = net->params + B->beta_off;
        if (L->desc.norm == NL_NORM_BN) {
            if (job->phase == 0) { /* per-channel sums of g (the ReLU-masked gradient) */
                const float *dout = masked_grad(net, b, i0, i1);
                double *sg = net->stat_part + (size_t)chunk * 2 * NL_MAX_WIDTH, *sgx = sg + NL_MAX_WIDTH;
                memset(sg, 0, sizeof(double) * 2 * NL_MAX_WIDTH);
                size_t off = (size_t)i0 * sz;
                for (int i = i0; i < i1; i++, off += sz) /* image by image: same order, in cache */
                    nl_norm_relu_backward_sums(net->ks, npix, B->co, net->conv_out[b] + off, net->mean[b],
                                               net->invstd[b], gamma, beta, dout + off, sg, sgx);
            } else { /* per image: dx (g recomputed) into gtmp, then the conv's backward while in cache */
                const float *dout = L->desc.dropout > 0.0f ? net->gtmp : net->dact[nl_block_layer(b)];
                for (int i = i0; i < i1; i++) {
                    size_t off = (size_t)i * sz;
                    nl_norm_backward_dx(net->ks, npix, B->co, net->conv_out[b] + off, net->mean[b], net->invstd[b],
                                        gamma, beta, dout + off, job->a, job->bcoef, net->gtmp + off);
                    conv_backward_chunk(net, b, chunk, i, i + 1);
                }
            }
            return;
        }
        /* GN / LN: everything per image */
        const float *dout = masked_grad(net, b, i0, i1);
        float *dgamma = net->grad_part + (size_t)chunk * L->n_params + B->gamma_off;
        float *dbeta = net->grad_part + (size_t)chunk * L->n_params + B->beta_off;
        int G = B->groups, cg = B->co / G;
        for (int i = i0; i < i1; i++) {
            size_t off = (size_t)i * sz;
            float mc[NL_MAX_WIDTH], ic[NL_MAX_WIDTH], a[NL_MAX_WIDTH], bc[NL_MAX_WIDTH];
            double sg[NL_MAX_WIDTH], sgx[NL_MAX_WIDTH];
            for (int c = 0; c < B->co; c++) {
                mc[c] = net->mean[b][(size_t)i * G + c / cg];
                ic[c] = net->invstd[b][(size_t)i * G + c / cg];
                sg[c] = sgx[c] = 0.0;
            }
            nl_norm_relu_backward_sums(net->ks, npix, B->co, net->conv_out[b] + off, mc, ic, gamma, beta, dout + off,
                                       sg, sgx);
            double cnt = (double)npix * cg;
            for (int g = 0; g < G; g++) {
                double A = 0.0, Bs = 0.0;
                for (int c = g * cg; c < (g + 1) * cg; c++) {
                    A += (double)gamma[c] * sg[c];
                    Bs += (double)gamma[c] * sgx[c];
                }
                for (int c = g * cg; c < (g + 1) * cg; c++) {
                    a[c] = (float)(A / cnt);
                    bc[c] = (float)(Bs / cnt);
                }
            }
            for (int c = 0; c < B->co; c++) {
                dgamma[c] += (float)sgx[c];
                dbeta[c] += (float)sg[c];
            }
            nl_norm_backward_dx(net->ks, npix, B->co, net->conv_out[b] + off, mc, ic, gamma, beta, dout + off, a, bc,
                                net->gtmp + off);
            conv_backward_chunk(net, b, chunk, i, i + 1);
        }
        return;
    }
    nl_shape s_in = L->shapes[l - 1];
    size_t in_sz = shape_size(s_in), out_sz = shape_size(L->shapes[l]);
    if (l == NL_L_P1 || l == NL_L_P2) {
        const uint8_t *arg = net->pool_arg[l == NL_L_P2];
        for (int i = i0; i < i1; i++)
            nl_maxpool_backward(net->ks, s_in.h, s_in.w, s_in.c, net->dact[l] + (size_t)i * out_sz, arg + (size_t)i * out_sz,
                                net->dact[l - 1] + (size_t)i * in_sz);
    } else if (l == NL_L_GAP) {
        for (int i = i0; i < i1; i++)
            nl_gap_backward(s_in.h * s_in.w, s_in.c, net->dact[l] + (size_t)i * out_sz,
                            net->dact[l - 1] + (size_t)i * in_sz);
    } else { /* c10 */
        const nl_block_layout *B = &L->blocks[NL_NUM_BLOCKS];
        float *dw = net->grad_part + (size_t)chunk * L->n_params + B->w_off;
        for (int i = i0; i < i1; i++)
            nl_fc_backward(B->ci, B->co, net->act[l - 1] + (size_t)i * in_sz, net->params + B->w_off,
                           net->dlogits + (size_t)i * B->co, net->dact[l - 1] + (size_t)i * in_sz, dw);
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
    for (size_t j = j0; j < j1; j++) {
        float s = 0.0f;
        for (int k = 0; k < job->nch; k++) s += net->grad_part[(size_t)k * np + j];
        net->grads[j] = s;
    }
}

void nl_net_backward(nl_net *net, const uint8_t *labels) {
    (void)labels; /* dlogits were computed with the loss in nl_net_forward */
    const nl_model_layout *L = &net->L;
    int nch = n_chunks(net->n);
    memset(net->grad_part, 0, sizeof(float) * (size_t)nch * L->n_params);
    net->ks = nl_kernels();
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        nl_conv_dims cd = block_dims(&L->blocks[b]);
        if (nl_block_layer(b) > 0) nl_conv_pack_weights_t(net->ks, &cd, net->params + L->blocks[b].w_off, net->packed_t[b]);
    }
    for (int l = NL_NUM_LAYERS - 1; l >= 0; l--) {
        back_job job;
        job.net = net;
        job.layer = l;
        job.block = nl_layer_block(l);
        job.phase = 0;
        nl_pool_run(net->pool, nch, backward_task, &job);
        if (job.block >= 0 && L->desc.norm == NL_NORM_BN) {
            int b = job.block;
            const nl_block_layout *B = &L->blocks[b];
            double count = (double)net->n * B->out.h * B->out.w;
            const float *gamma = net->params + B->gamma_off;
            for (int c = 0; c < B->co; c++) {
                double sg = 0.0, sgx = 0.0;
                for (int k = 0; k < nch; k++) {
                    sg += net->stat_part[(size_t)k * 2 * NL_MAX_WIDTH + c];
                    sgx += net->stat_part[(size_t)k * 2 * NL_MAX_WIDTH + NL_MAX_WIDTH + c];
                }
                job.a[c] = (float)(gamma[c] * sg / count);
                job.bcoef[c] = (float)(gamma[c] * sgx / count);
                net->grad_part[B->gamma_off + c] = (float)sgx; /* chunk 0 holds the whole sum */
                net->grad_part[B->beta_off + c] = (float)sg;
            }
            job.phase = 1;
            nl_pool_run(net->pool, nch, backward_task, &job);
        }
        /* skip adds: the source's gradient also receives the target's output gradient */
        if (l > 0) {
            for (int k = 0; k < L->desc.n_skips; k++)
                if (L->desc.skips[k].from == l - 1) {
                    size_t total = (size_t)net->n * shape_size(L->shapes[l - 1]);
                    float *d = net->dact[l - 1];
                    const float *s = net->dact[L->desc.skips[k].to];
                    for (size_t e = 0; e < total; e++) d[e] += s[e];
                }
        }
    }
    reduce_job rj = {net, nch, 16};
    nl_pool_run(net->pool, rj.ntasks, reduce_task, &rj);
}
