/* Golden test: the C core against PyTorch 1.13 (fixtures written by tests/golden/make_golden.py,
 * format described there). For each norm kind (bn, gn, ln) on a small model with mixed widths,
 * pads and two skip adds, from the same initial weights and the same 10 CIFAR-format images:
 *
 *   input        nl_prepare_image() == the float32 table computed in numpy   (bit-exact)
 *   logits_train nl_net_forward() in train mode                               (1)
 *   loss         its mean loss, label smoothing 0.1                           (2)
 *   grads        nl_net_backward(), every parameter tensor                    (3)
 *   params_after weights after two trainer steps (SGD momentum 0.9, weight    (4)
 *                decay 5e-4, nesterov for bn, L1 1e-4 for gn, constant LR)
 *   bn_state     BN running mean/var after those steps, num_batches_tracked   (5)
 *   logits_eval  nl_trainer_predict() after the steps (BN: running stats)     (1)
 *   train_loss   the trainer's loss of each of the two steps                  (2)
 *   onecycle     nl_schedule_lr / nl_schedule_momentum vs OneCycleLR           (6)
 *
 * Tolerances. Both sides work in float32 (the core accumulates statistics and the loss in
 * double); PyTorch's own float32 error against a float64 run is ~5e-7 of each quantity's
 * scale (make_golden.py prints it). Each element must satisfy
 *     |c - torch| <= atol * S + rtol * |torch|
 * where S is the largest |torch| value of the compared tensor (one conv weight, one gamma,
 * ...), so small elements of a tensor are judged on the tensor's scale:
 *   (1) logits:        atol 2e-5, rtol 2e-5 (expect ~1e-6 relative)
 *   (2) losses:        rtol 1e-5 on the scalar
 *   (3) gradients:     atol 1e-4, rtol 1e-4 per tensor (expect ~1e-6)
 *   (4) parameters:    compared as the update w_after - w0 (the part the step computes):
 *                      atol 1e-4, rtol 1e-4 of the update's scale, plus 4 float32 ulps of |w|
 *                      for the rounding of w itself
 *   (5) running stats: atol 2e-5, rtol 2e-5 per tensor; num_batches_tracked exact
 *   (6) schedules:     rtol 1e-12 (both in double)
 * The worst difference of every quantity is printed as |diff| / S and as the fraction of
 * the allowed tolerance used; any element over its tolerance fails the test. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/nl_augment.h"
#include "nn/nl_net.h"
#include "nl_synth.h"
#include "nl_test.h"
#include "serialize/nl_config.h"
#include "train/nl_train.h"

/* ---------------------------------------------------------------- fixture files */

#define FX_MAX_RECS 64

typedef struct {
    char name[25], type[5];
    uint32_t count;
    void *data; /* malloc'd copy, aligned for its type */
} fx_rec;

typedef struct {
    char path[600];
    int n;
    fx_rec rec[FX_MAX_RECS];
} fx_file;

static size_t fx_type_size(const char *type) {
    if (!strcmp(type, "f32") || !strcmp(type, "i32")) return 4;
    if (!strcmp(type, "f64")) return 8;
    if (!strcmp(type, "u8")) return 1;
    return 0;
}

static void fx_free(fx_file *f) {
    for (int i = 0; i < f->n; i++) free(f->rec[i].data);
    f->n = 0;
}

static int fx_load(fx_file *f, const char *name) {
    memset(f, 0, sizeof *f);
    const char *dir = getenv("NL_SOURCE_DIR");
    snprintf(f->path, sizeof f->path, "%s/tests/golden/fixtures/%s", dir && *dir ? dir : ".", name);
    FILE *fp = fopen(f->path, "rb");
    CHECK_MSG(fp != NULL, "cannot open %s (run tests/golden/make_golden.py)", f->path);
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    size_t got = buf ? fread(buf, 1, (size_t)len, fp) : 0;
    fclose(fp);
    int ok = buf && len >= 8 && got == (size_t)len && !memcmp(buf, "NLGOLD01", 8);
    size_t off = 8;
    while (ok && off < (size_t)len) {
        if (off + 32 > (size_t)len || f->n >= FX_MAX_RECS) {
            ok = 0;
            break;
        }
        fx_rec *r = &f->rec[f->n];
        memcpy(r->name, buf + off, 24);
        memcpy(r->type, buf + off + 24, 4);
        r->count = (uint32_t)buf[off + 28] | (uint32_t)buf[off + 29] << 8 | (uint32_t)buf[off + 30] << 16 |
                   (uint32_t)buf[off + 31] << 24;
        off += 32;
        size_t bytes = fx_type_size(r->type) * r->count;
        if (!fx_type_size(r->type) || off + bytes > (size_t)len) {
            ok = 0;
            break;
        }
        r->data = malloc(bytes ? bytes : 1);
        if (!r->data) {
            ok = 0;
            break;
        }
        memcpy(r->data, buf + off, bytes); /* the fixtures are little-endian, like every target we build */
        off += bytes;
        f->n++;
    }
    free(buf);
    CHECK_MSG(ok, "%s: not a valid golden fixture", f->path);
    if (!ok) fx_free(f);
    return ok ? 0 : -1;
}

/* The record name of type type; expect > 0 requires that many elements. NULL (and a failed
 * check) when missing. */
static const void *fx_get(const fx_file *f, const char *name, const char *type, size_t expect, size_t *count) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->rec[i].name, name)) {
            const fx_rec *r = &f->rec[i];
            int ok = !strcmp(r->type, type) && (expect == 0 || r->count == expect);
            CHECK_MSG(ok, "%s: record %s is %s[%u], expected %s[%zu]", f->path, name, r->type, r->count, type,
                      expect);
            if (!ok) return NULL;
            if (count) *count = r->count;
            return r->data;
        }
    CHECK_MSG(0, "%s: no record %s", f->path, name);
    return NULL;
}

static int fx_has(const fx_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->rec[i].name, name)) return 1;
    return 0;
}

static int fx_int(const fx_file *f, const char *name) {
    const int32_t *v = fx_get(f, name, "i32", 1, NULL);
    return v ? v[0] : 0;
}
static float fx_float(const fx_file *f, const char *name) {
    const float *v = fx_get(f, name, "f32", 1, NULL);
    return v ? v[0] : 0.0f;
}

/* ---------------------------------------------------------------- comparisons */

typedef struct {
    const char *what;
    double worst_rel;   /* max |diff| / S over the quantity's tensors */
    double worst_used;  /* max |diff| / tolerance (<= 1 passes) */
    char where[64];     /* the tensor and element of worst_used */
} quantity;

static void q_init(quantity *q, const char *what) {
    memset(q, 0, sizeof *q);
    q->what = what;
}

/* Compares one tensor: |got - ref| <= atol * S + rtol * |ref| + ulps * ulp(|base|), with S =
 * max |ref| (base may be NULL). Returns the number of elements over tolerance. */
static int compare_tensor(quantity *q, const char *variant, const char *tensor, const float *got, const float *ref,
                          const float *base, size_t n, double atol, double rtol, double ulps) {
    double S = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(ref[i]) > S) S = fabs(ref[i]);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        double tol = atol * S + rtol * fabs(ref[i]) + (base ? ulps * 1.1920929e-7 * fabs(base[i]) : 0.0) + 1e-30;
        if (!(d <= tol)) {
            if (bad < 5)
                fprintf(stderr, "  MISMATCH %s %s %s[%zu]: C %.9g, PyTorch %.9g (|diff| %.3g, tolerance %.3g)\n",
                        variant, q->what, tensor, i, got[i], ref[i], d, tol);
            bad++;
        }
        double rel = S > 0.0 ? d / S : d;
        if (rel > q->worst_rel || d != d) q->worst_rel = d != d ? INFINITY : rel;
        double used = d / tol;
        if (used > q->worst_used || d != d) {
            q->worst_used = d != d ? INFINITY : used;
            snprintf(q->where, sizeof q->where, "%s[%zu]", tensor, i);
        }
    }
    CHECK_MSG(bad == 0, "%s: %s of %s: %d of %zu elements differ from PyTorch beyond tolerance", variant, q->what,
              tensor, bad, n);
    return bad;
}

static void compare_scalar(quantity *q, const char *variant, double got, double ref, double rtol) {
    double d = fabs(got - ref), tol = rtol * fabs(ref) + 1e-300;
    q->worst_rel = fmax(q->worst_rel, fabs(ref) > 0 ? d / fabs(ref) : d);
    if (d / tol > q->worst_used) {
        q->worst_used = d / tol;
        snprintf(q->where, sizeof q->where, "scalar");
    }
    CHECK_MSG(d <= tol, "%s: %s: C %.12g, PyTorch %.12g (|diff| %.3g, tolerance %.3g)", variant, q->what, got, ref,
              d, tol);
}

static void q_print(const char *variant, const quantity *q) {
    printf("  %-3s %-14s worst |diff|/scale %.3g  (%.3f of tolerance, at %s)\n", variant, q->what, q->worst_rel,
           q->worst_used, q->where[0] ? q->where : "-");
}

/* Per-tensor comparison of a flat parameter-layout array (grads or parameter updates). */
static void compare_params(quantity *q, const char *variant, const nl_model_layout *L, const float *got,
                           const float *ref, const float *base, double atol, double rtol, double ulps) {
    char name[48];
    for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L->blocks[b];
        const char *ln = nl_layer_names[b < NL_NUM_BLOCKS ? nl_block_layer(b) : NL_L_c10];
        size_t nw = (size_t)B->k * B->k * B->ci * B->co;
        snprintf(name, sizeof name, "%s.weight", ln);
        compare_tensor(q, variant, name, got + B->w_off, ref + B->w_off, base ? base + B->w_off : NULL, nw, atol,
                       rtol, ulps);
        if (b == NL_NUM_BLOCKS) continue;
        snprintf(name, sizeof name, "%s.gamma", ln);
        compare_tensor(q, variant, name, got + B->gamma_off, ref + B->gamma_off, base ? base + B->gamma_off : NULL,
                       (size_t)B->co, atol, rtol, ulps);
        snprintf(name, sizeof name, "%s.beta", ln);
        compare_tensor(q, variant, name, got + B->beta_off, ref + B->beta_off, base ? base + B->beta_off : NULL,
                       (size_t)B->co, atol, rtol, ulps);
    }
}

/* ---------------------------------------------------------------- the shared inputs */

typedef struct {
    fx_file f;
    int n;
    const uint8_t *images, *labels;
    const float *table, *params0;
    size_t n_params;
} common_fx;

static int load_common(common_fx *c) {
    memset(c, 0, sizeof *c);
    if (fx_load(&c->f, "common.bin")) return -1;
    size_t nimg = 0;
    c->labels = fx_get(&c->f, "labels", "u8", 0, &nimg);
    c->n = (int)nimg;
    c->images = fx_get(&c->f, "images", "u8", nimg * NL_CIFAR_IMAGE_BYTES, NULL);
    c->table = fx_get(&c->f, "input_table", "f32", 3 * 256, NULL);
    c->params0 = fx_get(&c->f, "params0", "f32", 0, &c->n_params);
    return c->labels && c->images && c->table && c->params0 ? 0 : -1;
}

/* (a) the trainer's input normalisation is bit-identical to numpy's float32. */
static void check_input(const common_fx *c) {
    enum { P = NL_CIFAR_HW * NL_CIFAR_HW };
    float *x = malloc(sizeof(float) * 3 * P);
    long differ = 0;
    for (int i = 0; i < c->n; i++) {
        const uint8_t *src = c->images + (size_t)i * NL_CIFAR_IMAGE_BYTES;
        nl_prepare_image(src, x, NULL, NULL);
        for (int p = 0; p < P; p++)
            for (int ch = 0; ch < 3; ch++) {
                float want = c->table[ch * 256 + src[ch * P + p]];
                if (memcmp(&x[p * 3 + ch], &want, sizeof want)) {
                    if (differ < 3)
                        fprintf(stderr, "  MISMATCH input image %d pixel %d channel %d: C %.9g, numpy %.9g\n", i, p,
                                ch, x[p * 3 + ch], want);
                    differ++;
                }
            }
    }
    printf("  input: %d images, %ld of %d values differ from the float32 table\n", c->n, differ, c->n * 3 * P);
    CHECK_MSG(differ == 0, "input normalisation: %ld values differ from PyTorch's input", differ);
    free(x);
}

/* ---------------------------------------------------------------- one norm variant */

static int desc_from_fixture(const fx_file *f, nl_model_desc *d) {
    memset(d, 0, sizeof *d);
    d->norm = (nl_norm_kind)fx_int(f, "norm");
    d->groups = fx_int(f, "groups");
    d->group_size = fx_int(f, "group_size");
    const int32_t *w = fx_get(f, "width", "i32", NL_NUM_BLOCKS, NULL);
    const int32_t *p = fx_get(f, "pad", "i32", NL_NUM_BLOCKS, NULL);
    size_t ns = 0;
    const int32_t *s = fx_get(f, "skips", "i32", 0, &ns);
    if (!w || !p || !s || ns % 2 || ns / 2 > NL_MAX_SKIPS) return -1;
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        d->width[b] = w[b];
        d->pad[b] = p[b];
    }
    d->n_skips = (int)(ns / 2);
    for (int k = 0; k < d->n_skips; k++) d->skips[k] = (nl_skip){s[2 * k], s[2 * k + 1]};
    d->in_channels = fx_int(f, "in_channels");
    d->in_hw = fx_int(f, "in_hw");
    d->classes = fx_int(f, "classes");
    d->bn_momentum = fx_float(f, "bn_momentum");
    d->norm_eps = fx_float(f, "norm_eps");
    d->dropout = fx_float(f, "dropout");
    /* the levers (issue 15), in their own fixtures only */
    if (fx_has(f, "order")) d->order = (nl_order_kind)fx_int(f, "order");
    if (fx_has(f, "weight_std")) d->weight_std = fx_int(f, "weight_std");
    nl_status st;
    int rc = nl_model_desc_validate(d, &st);
    CHECK_MSG(rc == 0, "fixture model description: %s", st.msg);
    return rc ? -1 : 0;
}

static void run_variant(const common_fx *cm, const char *variant) {
    char file[32];
    snprintf(file, sizeof file, "%s.bin", variant);
    fx_file f;
    if (fx_load(&f, file)) return;
    nl_model_desc d;
    nl_status st;
    nl_thread_pool *pool = NULL;
    nl_net net;
    memset(&net, 0, sizeof net);
    nl_trainer *t = NULL;
    float *pred = NULL;
    if (desc_from_fixture(&f, &d)) goto done;
    const int n = cm->n, K = d.classes;
    CHECK_MSG(fx_int(&f, "batch") == n, "%s: batch %d, %d images", variant, fx_int(&f, "batch"), n);
    CHECK_MSG(d.in_hw == NL_CIFAR_HW && d.in_channels == 3, "%s: the trainer needs 32x32x3 inputs", variant);

    quantity q_logits, q_loss, q_grads, q_params, q_bn, q_eval, q_tloss;
    q_init(&q_logits, "logits_train");
    q_init(&q_loss, "loss");
    q_init(&q_grads, "grads");
    q_init(&q_params, "params_after");
    q_init(&q_bn, "bn_state_after");
    q_init(&q_eval, "logits_eval");
    q_init(&q_tloss, "train_loss");

    /* ---- forward + backward through nl_net (two chunks of images, two threads) ---- */
    pool = nl_thread_pool_create(2, &st);
    CHECK_MSG(pool != NULL, "pool: %s", st.msg);
    if (!pool) goto done;
    int rc = nl_net_init(&net, &d, n, pool, 1, &st);
    CHECK_MSG(rc == 0, "%s: nl_net_init: %s", variant, st.msg);
    if (rc) goto done;
    const nl_model_layout *L = &net.L;
    CHECK_MSG(L->n_params == cm->n_params, "%s: %zu parameters in the core, %zu in the fixture", variant,
              L->n_params, cm->n_params);
    if (L->n_params != cm->n_params) goto done;
    const float *logits_ref = fx_get(&f, "logits_train", "f32", (size_t)n * K, NULL);
    const double *loss_ref = fx_get(&f, "loss", "f64", 1, NULL);
    const float *grads_ref = fx_get(&f, "grads", "f32", L->n_params, NULL);
    const double *tloss_ref = fx_get(&f, "train_loss", "f64", 2, NULL);
    const float *after_ref = fx_get(&f, "params_after", "f32", L->n_params, NULL);
    const float *bn_ref = fx_get(&f, "bn_state_after", "f32", L->n_bn_state, NULL);
    const float *eval_ref = fx_get(&f, "logits_eval", "f32", (size_t)n * K, NULL);
    if (!logits_ref || !loss_ref || !grads_ref || !tloss_ref || !after_ref || !bn_ref || !eval_ref) goto done;

    memcpy(net.params, cm->params0, sizeof(float) * L->n_params);
    size_t in_sz = (size_t)NL_CIFAR_HW * NL_CIFAR_HW * 3;
    for (int i = 0; i < n; i++) nl_prepare_image(cm->images + (size_t)i * NL_CIFAR_IMAGE_BYTES, net.x + i * in_sz, NULL, NULL);
    net.label_smoothing = fx_float(&f, "label_smoothing");
    net.dropout_seed = 0;
    double loss = nl_net_forward(&net, n, cm->labels, 1);
    nl_net_backward(&net, cm->labels);
    compare_tensor(&q_logits, variant, "logits", net.logits, logits_ref, NULL, (size_t)n * K, 2e-5, 2e-5, 0);
    compare_scalar(&q_loss, variant, loss, loss_ref[0], 1e-5);
    compare_params(&q_grads, variant, L, net.grads, grads_ref, NULL, 1e-4, 1e-4, 0);

    /* ---- two SGD steps through the trainer ---- */
    nl_train_config c;
    nl_synth_train_defaults(&c);
    c.epochs = 2; /* one step per epoch: the training set is exactly one batch */
    c.batch = n;
    c.schedule = NL_SCHED_CONST;
    c.max_lr = fx_float(&f, "lr");
    c.momentum = fx_float(&f, "momentum");
    c.nesterov = fx_int(&f, "nesterov");
    c.l1 = fx_float(&f, "l1");
    c.l2 = fx_float(&f, "l2");
    c.label_smoothing = fx_float(&f, "label_smoothing");
    c.cycle_momentum = 0;
    c.aug_crop_pad = c.aug_flip = c.aug_cutout = 0;
    c.threads = 2;
    c.seed = 77;
    t = nl_trainer_create(&d, &c, &st);
    CHECK_MSG(t != NULL, "%s: nl_trainer_create: %s", variant, st.msg);
    if (!t) goto done;
    memcpy(nl_trainer_params(t), cm->params0, sizeof(float) * L->n_params);
    nl_cifar data;
    memset(&data, 0, sizeof data);
    data.train.n = n;
    data.train.labels = (uint8_t *)cm->labels; /* borrowed, never written */
    data.train.pixels = (uint8_t *)cm->images;
    rc = nl_trainer_set_data(t, &data, &st);
    CHECK_MSG(rc == 0, "%s: set_data: %s", variant, st.msg);
    if (rc) goto done;
    nl_progress p;
    double step_loss[2] = {0, 0};
    for (int s = 0; s < 2; s++) {
        rc = nl_trainer_train_steps(t, 1, &p, &st);
        CHECK_MSG(rc == 0, "%s: train step %d: %s", variant, s, st.msg);
        if (rc) goto done;
        step_loss[s] = p.last_loss;
        CHECK_MSG(p.lr == (double)c.max_lr, "%s: step %d used LR %.9g", variant, s, p.lr);
    }
    CHECK_MSG(p.global_step == 2 && p.finished, "%s: %ld steps done", variant, p.global_step);
    compare_scalar(&q_tloss, variant, step_loss[0], tloss_ref[0], 1e-5);
    compare_scalar(&q_tloss, variant, step_loss[1], tloss_ref[1], 1e-5);
    /* the update each side made, per tensor */
    float *upd = malloc(sizeof(float) * L->n_params), *upd_ref = malloc(sizeof(float) * L->n_params);
    const float *w = nl_trainer_params(t);
    for (size_t j = 0; j < L->n_params; j++) {
        upd[j] = (float)((double)w[j] - cm->params0[j]);
        upd_ref[j] = (float)((double)after_ref[j] - cm->params0[j]);
    }
    compare_params(&q_params, variant, L, upd, upd_ref, after_ref, 1e-4, 1e-4, 4.0);
    free(upd);
    free(upd_ref);
    if (d.norm == NL_NORM_BN) {
        const float *bs = nl_trainer_bn_state(t);
        char name[48];
        for (int b = 0; b < NL_NUM_BLOCKS; b++) {
            const nl_block_layout *B = &L->blocks[b];
            snprintf(name, sizeof name, "%s.running_mean", nl_layer_names[nl_block_layer(b)]);
            compare_tensor(&q_bn, variant, name, bs + B->run_mean_off, bn_ref + B->run_mean_off, NULL,
                           (size_t)B->co, 2e-5, 2e-5, 0);
            snprintf(name, sizeof name, "%s.running_var", nl_layer_names[nl_block_layer(b)]);
            compare_tensor(&q_bn, variant, name, bs + B->run_var_off, bn_ref + B->run_var_off, NULL,
                           (size_t)B->co, 2e-5, 2e-5, 0);
        }
    }
    CHECK_MSG(nl_trainer_bn_batches(t) == fx_int(&f, "bn_batches"), "%s: num_batches_tracked %lld, PyTorch %d",
              variant, (long long)nl_trainer_bn_batches(t), fx_int(&f, "bn_batches"));

    /* ---- inference after the steps ---- */
    pred = malloc(sizeof(float) * (size_t)n * K);
    rc = nl_trainer_predict(t, cm->images, n, pred, &st);
    CHECK_MSG(rc == 0, "%s: predict: %s", variant, st.msg);
    if (!rc) compare_tensor(&q_eval, variant, "logits", pred, eval_ref, NULL, (size_t)n * K, 2e-5, 2e-5, 0);

    q_print(variant, &q_logits);
    q_print(variant, &q_loss);
    q_print(variant, &q_grads);
    q_print(variant, &q_tloss);
    q_print(variant, &q_params);
    if (d.norm == NL_NORM_BN) q_print(variant, &q_bn);
    printf("  %-3s %-14s C %lld, PyTorch %d\n", variant, "bn_batches", (long long)nl_trainer_bn_batches(t),
           fx_int(&f, "bn_batches"));
    q_print(variant, &q_eval);

done:
    free(pred);
    nl_trainer_free(t);
    nl_net_free(&net);
    nl_thread_pool_free(pool);
    fx_free(&f);
}

/* ---------------------------------------------------------------- OneCycle */

static void check_onecycle(void) {
    fx_file f;
    if (fx_load(&f, "onecycle.bin")) return;
    quantity q_lr, q_mom;
    q_init(&q_lr, "onecycle lr");
    q_init(&q_mom, "onecycle mom");
    for (int k = 0;; k++) {
        char name[32];
        snprintf(name, sizeof name, "oc%d_cfg", k);
        int present = 0;
        for (int i = 0; i < f.n; i++) present |= !strcmp(f.rec[i].name, name);
        if (!present) {
            CHECK_MSG(k > 0, "onecycle.bin holds no settings");
            break;
        }
        const double *cfg = fx_get(&f, name, "f64", 8, NULL);
        if (!cfg) break;
        long total = (long)cfg[0];
        snprintf(name, sizeof name, "oc%d_lr", k);
        const double *lr = fx_get(&f, name, "f64", (size_t)total, NULL);
        snprintf(name, sizeof name, "oc%d_mom", k);
        const double *mom = fx_get(&f, name, "f64", (size_t)total, NULL);
        if (!lr || !mom) break;
        nl_train_config c;
        nl_synth_train_defaults(&c);
        c.schedule = NL_SCHED_ONECYCLE;
        c.max_lr = (float)cfg[1];
        c.pct_start = (float)cfg[2];
        c.div_factor = (float)cfg[3];
        c.final_div_factor = (float)cfg[4];
        c.cycle_momentum = (int)cfg[5];
        c.base_momentum = (float)cfg[6];
        c.max_momentum = (float)cfg[7];
        c.momentum = (float)cfg[6];
        nl_status st;
        CHECK_MSG(nl_config_validate_train(&c, &st) == 0, "onecycle setting %d: %s", k, st.msg);
        for (long s = 0; s < total; s++) {
            char v[48];
            snprintf(v, sizeof v, "oc%d step %ld", k, s);
            double got_lr = nl_schedule_lr(&c, s, total, 1), got_m = nl_schedule_momentum(&c, s, total);
            double d = fabs(got_lr - lr[s]), dm = fabs(got_m - mom[s]);
            double tl = 1e-12 * fabs(lr[s]) + 1e-300, tm = 1e-12 * fabs(mom[s]) + 1e-300;
            if (d / fabs(lr[s]) > q_lr.worst_rel) q_lr.worst_rel = d / fabs(lr[s]);
            if (d / tl > q_lr.worst_used) {
                q_lr.worst_used = d / tl;
                snprintf(q_lr.where, sizeof q_lr.where, "%s", v);
            }
            if (dm / fabs(mom[s]) > q_mom.worst_rel) q_mom.worst_rel = dm / fabs(mom[s]);
            if (dm / tm > q_mom.worst_used) {
                q_mom.worst_used = dm / tm;
                snprintf(q_mom.where, sizeof q_mom.where, "%s", v);
            }
            CHECK_MSG(d <= tl, "%s: lr C %.17g, PyTorch %.17g", v, got_lr, lr[s]);
            CHECK_MSG(dm <= tm, "%s: momentum C %.17g, PyTorch %.17g", v, got_m, mom[s]);
        }
    }
    q_print("all", &q_lr);
    q_print("all", &q_mom);
    fx_free(&f);
}

int main(void) {
    common_fx cm;
    if (load_common(&cm) == 0) {
        check_input(&cm);
        run_variant(&cm, "bn");
        run_variant(&cm, "gn");
        run_variant(&cm, "ln");
        run_variant(&cm, "bn_ws");
        run_variant(&cm, "gn_rn_ws");
        run_variant(&cm, "ln_rn");
    }
    fx_free(&cm.f);
    check_onecycle();
    return nl_test_finish("test_golden_torch");
}
