/* The training loop, step-wise: batches are drawn from a per-epoch permutation of the
 * training set; each image's augmentation is a function of (seed, epoch, position) and runs in
 * the thread pool, so runs are reproducible for any thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/nl_augment.h"
#include "base/nl_profile.h"
#include "base/nl_rng.h"
#include "base/nl_thread_pool.h"
#include "nn/nl_net.h"
#include "serialize/nl_config.h"
#include "train/nl_train.h"

struct nl_trainer {
    nl_train_config cfg;
    nl_net net;
    nl_thread_pool *pool;
    float *velocity;        /* SGD momentum buffers [n_params] */
    const nl_cifar *data;   /* borrowed */
    int n_train;            /* size of the training set the schedule was laid out for */
    int *train_index;       /* [n_train] data->train images used (val and train_fraction) */
    nl_cifar_set val;       /* held-out images (copied), n = 0 without cfg.val */
    int *perm;              /* shuffled order of the current epoch, into train_index */
    int perm_epoch;         /* epoch perm belongs to, -1 = none */
    uint8_t *batch_labels;  /* [batch] */
    int *batch_index;       /* [batch] data->train image of each batch position */
    /* progress, saved in checkpoints */
    long global_step;
    int epoch, step_in_epoch;
    double epoch_loss_sum;
    long epoch_correct, epoch_seen;
    double last_loss, lr, mom;
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

nl_trainer *nl_trainer_create(const nl_model_desc *d, const nl_train_config *c, nl_status *st) {
    if (nl_config_validate_train(c, st)) return NULL;
    if (nl_model_desc_validate(d, st)) return NULL;
    if (d->in_hw != NL_CIFAR_HW || d->in_channels != 3) {
        /* the trainer feeds CIFAR images: 3 x 32 x 32 */
        nl_fail(st, NL_EINVAL, "trainer: the model input must be 3x32x32 for CIFAR-10, got %dx%dx%d", d->in_channels,
                d->in_hw, d->in_hw);
        return NULL;
    }
    nl_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        nl_fail(st, NL_ENOMEM, "out of memory creating the trainer");
        return NULL;
    }
    t->cfg = *c;
    t->perm_epoch = -1;
    t->pool = nl_thread_pool_create(c->threads, st);
    if (!t->pool) {
        free(t);
        return NULL;
    }
    if (nl_net_init(&t->net, d, c->batch, t->pool, c->seed, st)) {
        nl_thread_pool_free(t->pool);
        free(t);
        return NULL;
    }
    t->velocity = calloc(t->net.L.n_params, sizeof(float));
    t->batch_labels = calloc((size_t)c->batch, 1);
    t->batch_index = calloc((size_t)c->batch, sizeof(int));
    if (!t->velocity || !t->batch_labels || !t->batch_index) {
        nl_trainer_free(t);
        nl_fail(st, NL_ENOMEM, "out of memory creating the trainer");
        return NULL;
    }
    return t;
}

void nl_trainer_free(nl_trainer *t) {
    if (!t) return;
    nl_net_free(&t->net);
    nl_thread_pool_free(t->pool);
    free(t->velocity);
    free(t->perm);
    free(t->train_index);
    free(t->val.labels);
    free(t->val.pixels);
    free(t->batch_labels);
    free(t->batch_index);
    free(t);
}

/* The last partial batch is dropped (BatchNorm is unreliable on a tiny batch). */
static int steps_per_epoch(int n_train, int batch) {
    if (n_train <= 0) return 0;
    return n_train >= batch ? n_train / batch : 1;
}

/* Splits the training set: the last val/10 images of each class (file order) are held out,
 * then the first train_fraction of each class's remaining images are kept, in file order. */
static int select_images(const nl_cifar_set *train, const nl_train_config *c, int *index, int *n_index,
                         uint8_t *is_val, nl_status *st) {
    int count[NL_CIFAR_CLASSES] = {0}, seen[NL_CIFAR_CLASSES] = {0}, keep[NL_CIFAR_CLASSES];
    int per_class_val = c->val / NL_CIFAR_CLASSES;
    for (int i = 0; i < train->n; i++) count[train->labels[i]]++;
    for (int k = 0; k < NL_CIFAR_CLASSES; k++) {
        int rest = count[k] - per_class_val;
        if (per_class_val && rest < 1)
            return nl_fail(st, NL_EINVAL, "val %d: class %d has %d training images, too few to hold out %d", c->val, k,
                           count[k], per_class_val);
        keep[k] = (int)((double)rest * (double)c->train_fraction);
        if (keep[k] < 1 && rest > 0) keep[k] = 1;
    }
    int n = 0;
    for (int i = 0; i < train->n; i++) {
        int k = train->labels[i], pos = seen[k]++;
        is_val[i] = pos >= count[k] - per_class_val;
        if (!is_val[i] && pos < keep[k]) index[n++] = i;
    }
    *n_index = n;
    return NL_OK;
}

int nl_trainer_set_data(nl_trainer *t, const nl_cifar *data, nl_status *st) {
    if (!t || !data) return nl_fail(st, NL_EINVAL, "set_data: no trainer or no data");
    if (data->train.n < 1) return nl_fail(st, NL_EINVAL, "set_data: the training set is empty");
    size_t n = (size_t)data->train.n;
    int *index = malloc(sizeof(int) * n), *perm = malloc(sizeof(int) * n);
    uint8_t *is_val = malloc(n);
    nl_cifar_set val = {0};
    int n_index = 0, rc = NL_OK;
    if (!index || !perm || !is_val) rc = nl_fail(st, NL_ENOMEM, "out of memory for %zu training indices", n);
    if (!rc) rc = select_images(&data->train, &t->cfg, index, &n_index, is_val, st);
    if (!rc && n_index < 1) rc = nl_fail(st, NL_EINVAL, "set_data: no training images left after val and train_fraction");
    if (!rc && t->cfg.val) {
        val.labels = malloc((size_t)t->cfg.val);
        val.pixels = malloc((size_t)t->cfg.val * NL_CIFAR_IMAGE_BYTES);
        if (!val.labels || !val.pixels) rc = nl_fail(st, NL_ENOMEM, "out of memory for the validation set");
        for (size_t i = 0; !rc && i < n; i++) {
            if (!is_val[i]) continue;
            val.labels[val.n] = data->train.labels[i];
            memcpy(val.pixels + (size_t)val.n * NL_CIFAR_IMAGE_BYTES,
                   data->train.pixels + i * NL_CIFAR_IMAGE_BYTES, NL_CIFAR_IMAGE_BYTES);
            val.n++;
        }
    }
    free(is_val);
    if (rc) {
        free(index);
        free(perm);
        free(val.labels);
        free(val.pixels);
        return rc;
    }
    free(t->perm);
    free(t->train_index);
    free(t->val.labels);
    free(t->val.pixels);
    t->perm = perm;
    t->train_index = index;
    t->val = val;
    t->perm_epoch = -1;
    t->data = data;
    t->n_train = n_index;
    if (t->step_in_epoch >= steps_per_epoch(t->n_train, t->cfg.batch)) t->step_in_epoch = 0;
    return NL_OK;
}

const nl_cifar_set *nl_trainer_val_set(const nl_trainer *t) { return t->val.n ? &t->val : NULL; }
int nl_trainer_train_count(const nl_trainer *t) { return t->n_train; }

static void ensure_permutation(nl_trainer *t) {
    if (t->perm_epoch == t->epoch) return;
    int n = t->n_train;
    for (int i = 0; i < n; i++) t->perm[i] = i;
    nl_rng r = nl_rng_stream(t->cfg.seed, 0x5EED5, (uint64_t)t->epoch);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)nl_rng_below(&r, (uint32_t)i + 1);
        int tmp = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = tmp;
    }
    t->perm_epoch = t->epoch;
}

typedef struct {
    nl_trainer *t;
    const nl_cifar_set *set;
    const int *index;       /* image index per batch position (NULL: first + position) */
    const uint8_t *images;  /* raw images instead of a set (predict) */
    int first, n;
    int augment;
} prep_job;

static void prep_task(void *ctx, int chunk) {
    prep_job *job = ctx;
    nl_trainer *t = job->t;
    nl_augment aug = {t->cfg.aug_crop_pad, t->cfg.aug_flip, t->cfg.aug_cutout};
    size_t in_sz = (size_t)NL_CIFAR_HW * NL_CIFAR_HW * 3;
    int i0 = chunk * NL_CHUNK, i1 = i0 + NL_CHUNK < job->n ? i0 + NL_CHUNK : job->n;
    for (int i = i0; i < i1; i++) {
        const uint8_t *src;
        if (job->images) {
            src = job->images + (size_t)i * NL_CIFAR_IMAGE_BYTES;
        } else {
            int idx = job->index ? job->index[i] : job->first + i;
            src = job->set->pixels + (size_t)idx * NL_CIFAR_IMAGE_BYTES;
        }
        if (job->augment) {
            long pos = (long)t->step_in_epoch * t->cfg.batch + i;
            nl_rng r = nl_rng_stream(t->cfg.seed ^ 0xA5A5A5A5ull, (uint64_t)t->epoch, (uint64_t)pos);
            nl_prepare_image(src, t->net.x + (size_t)i * in_sz, &aug, &r);
        } else {
            nl_prepare_image(src, t->net.x + (size_t)i * in_sz, NULL, NULL);
        }
    }
}

static void prepare_batch(nl_trainer *t, prep_job *job) {
    nl_thread_pool_run(t->pool, (job->n + NL_CHUNK - 1) / NL_CHUNK, prep_task, job);
}

/* SGD with momentum (PyTorch semantics), weight decay as L2 and an L1 subgradient, on params
 * [j0, j1); penalise = 0 leaves the penalties out (norm gamma/beta with norm_decay off). */
static void sgd_range(nl_trainer *t, size_t j0, size_t j1, int penalise, float flr, float m) {
    float *w = t->net.params, *g = t->net.grads, *v = t->velocity;
    float l1 = penalise ? t->cfg.l1 : 0.0f, l2 = penalise ? t->cfg.l2 : 0.0f;
    int first = t->global_step == 0;
    for (size_t j = j0; j < j1; j++) {
        float d = g[j];
        if (l2 != 0.0f) d += l2 * w[j];
        if (l1 != 0.0f) d += l1 * (float)((w[j] > 0.0f) - (w[j] < 0.0f));
        if (m != 0.0f) {
            v[j] = first ? d : m * v[j] + d;
            d = t->cfg.nesterov ? d + m * v[j] : v[j];
        }
        w[j] -= flr * d;
    }
}

static void sgd_update(nl_trainer *t, double lr, double mom) {
    const nl_model_layout *L = &t->net.L;
    float m = (float)mom, flr = (float)lr;
    if (t->cfg.norm_decay) {
        sgd_range(t, 0, L->n_params, 1, flr, m);
        return;
    }
    /* each block's params are contiguous: conv weight, then gamma and beta (none for c10) */
    for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L->blocks[b];
        size_t nw = (size_t)B->k * B->k * B->ci * B->co;
        sgd_range(t, B->w_off, B->w_off + nw, 1, flr, m);
        if (b < NL_NUM_BLOCKS) {
            sgd_range(t, B->gamma_off, B->gamma_off + (size_t)B->co, 0, flr, m);
            sgd_range(t, B->beta_off, B->beta_off + (size_t)B->co, 0, flr, m);
        }
    }
}

int nl_trainer_train_steps(nl_trainer *t, int max_steps, nl_progress *p, nl_status *st) {
    if (!t) return nl_fail(st, NL_EINVAL, "train: no trainer");
    if (!t->data) return nl_fail(st, NL_EINVAL, "train: no data set loaded");
    if (max_steps < 1) return nl_fail(st, NL_EINVAL, "train: steps must be >= 1, got %d", max_steps);
    int spe = steps_per_epoch(t->n_train, t->cfg.batch);
    long total = (long)spe * t->cfg.epochs;
    double t0 = now_seconds();
    long images = 0;
    int done = 0, epoch_done = 0;
    while (done < max_steps && t->global_step < total && !epoch_done) {
        ensure_permutation(t);
        int n = t->n_train < t->cfg.batch ? t->n_train : t->cfg.batch;
        const int *order = t->perm + (size_t)t->step_in_epoch * t->cfg.batch;
        for (int i = 0; i < n; i++) t->batch_index[i] = t->train_index[order[i]];
        const int *index = t->batch_index;
        for (int i = 0; i < n; i++) t->batch_labels[i] = t->data->train.labels[index[i]];
        prep_job job = {t, &t->data->train, index, NULL, 0, n, 1};
        double tp = nl_prof_begin();
        prepare_batch(t, &job);
        int augmented = t->cfg.aug_crop_pad || t->cfg.aug_flip || t->cfg.aug_cutout;
        nl_prof_end(NL_PROF_STEP, augmented ? NL_PROF_AUGMENT : NL_PROF_COPY, tp);
        double lr = nl_schedule_lr(&t->cfg, t->global_step, total, spe);
        double mom = nl_schedule_momentum(&t->cfg, t->global_step, total);
        t->net.dropout_seed = nl_rng_stream(t->cfg.seed, 0xD40, (uint64_t)t->global_step).state;
        t->net.label_smoothing = t->cfg.label_smoothing;
        double loss = nl_net_forward(&t->net, n, t->batch_labels, 1);
        nl_net_backward(&t->net, t->batch_labels);
        if (!isfinite(loss))
            return nl_fail(st, NL_EINVAL, "train: loss became %g at step %ld (learning rate %g too high?)", loss,
                           t->global_step, lr);
        tp = nl_prof_begin();
        sgd_update(t, lr, mom);
        nl_prof_end(NL_PROF_STEP, NL_PROF_OPTIMIZER, tp);
        int K = t->net.L.desc.classes, correct = 0;
        for (int i = 0; i < n; i++) {
            const float *lg = t->net.logits + (size_t)i * K;
            int best = 0;
            for (int j = 1; j < K; j++)
                if (lg[j] > lg[best]) best = j;
            correct += best == t->batch_labels[i];
        }
        t->last_loss = loss;
        t->lr = lr;
        t->mom = mom;
        t->epoch_loss_sum += loss * n;
        t->epoch_correct += correct;
        t->epoch_seen += n;
        t->global_step++;
        t->step_in_epoch++;
        images += n;
        done++;
        if (t->step_in_epoch >= spe) {
            epoch_done = 1;
        }
    }
    double dt = now_seconds() - t0;
    if (p) {
        nl_trainer_progress(t, p);
        p->epoch_done = epoch_done;
        p->images_per_sec = dt > 0.0 ? (double)images / dt : 0.0;
    }
    if (epoch_done) { /* the next call starts a new epoch */
        t->epoch++;
        t->step_in_epoch = 0;
        t->epoch_loss_sum = 0.0;
        t->epoch_correct = t->epoch_seen = 0;
    }
    return NL_OK;
}

int nl_trainer_set_epochs(nl_trainer *t, int epochs, nl_status *st) {
    if (!t) return nl_fail(st, NL_EINVAL, "set epochs: no trainer");
    nl_train_config c = t->cfg;
    c.epochs = epochs;
    int rc = nl_config_validate_train(&c, st); /* the table's range: 1..1000 */
    if (rc) return rc;
    int begun = t->epoch + (t->step_in_epoch > 0);
    if (epochs < begun)
        return nl_fail(st, NL_EINVAL, "epochs must be at least the %d already trained, got %d", begun, epochs);
    t->cfg.epochs = epochs;
    return NL_OK;
}

void nl_trainer_progress(const nl_trainer *t, nl_progress *p) {
    memset(p, 0, sizeof *p);
    int spe = steps_per_epoch(t->n_train, t->cfg.batch);
    p->epoch = t->epoch;
    p->step_in_epoch = t->step_in_epoch;
    p->steps_per_epoch = spe;
    p->global_step = t->global_step;
    p->total_steps = (long)spe * t->cfg.epochs;
    p->lr = t->lr;
    p->momentum = t->mom;
    p->last_loss = t->last_loss;
    p->epoch_loss = t->epoch_seen ? t->epoch_loss_sum / t->epoch_seen : 0.0;
    p->epoch_acc = t->epoch_seen ? (double)t->epoch_correct / t->epoch_seen : 0.0;
    p->finished = p->total_steps > 0 && t->global_step >= p->total_steps;
}

/* ---------------------------------------------------------------- evaluation */

static int check_images(const uint8_t *labels, int n, nl_status *st) {
    for (int i = 0; i < n; i++)
        if (labels && labels[i] > 9) return nl_fail(st, NL_EINVAL, "label %d of image %d is not 0..9", labels[i], i);
    return NL_OK;
}

int nl_trainer_evaluate(nl_trainer *t, const nl_cifar_set *set, nl_eval_result *r, nl_status *st) {
    if (!t || !set || !r) return nl_fail(st, NL_EINVAL, "evaluate: missing argument");
    memset(r, 0, sizeof *r);
    if (set->n < 1) return nl_fail(st, NL_EINVAL, "evaluate: the data set is empty");
    if (check_images(set->labels, set->n, st)) return st ? st->code : NL_EINVAL;
    int K = t->net.L.desc.classes;
    r->n = set->n;
    r->pred = malloc((size_t)set->n);
    r->conf = malloc(sizeof(float) * (size_t)set->n);
    if (!r->pred || !r->conf) {
        nl_eval_result_free(r);
        return nl_fail(st, NL_ENOMEM, "evaluate: out of memory");
    }
    double loss = 0.0;
    long correct = 0;
    int per_class_n[10] = {0};
    for (int first = 0; first < set->n; first += t->cfg.batch) {
        int n = set->n - first < t->cfg.batch ? set->n - first : t->cfg.batch;
        prep_job job = {t, set, NULL, NULL, first, n, 0};
        prepare_batch(t, &job);
        loss += nl_net_forward(&t->net, n, set->labels + first, 0) * n;
        for (int i = 0; i < n; i++) {
            const float *pr = t->net.probs + (size_t)i * K;
            int best = 0;
            for (int j = 1; j < K; j++)
                if (pr[j] > pr[best]) best = j;
            int y = set->labels[first + i];
            r->pred[first + i] = (uint8_t)best;
            r->conf[first + i] = pr[best];
            if (y < 10 && best < 10) r->confusion[y][best]++;
            per_class_n[y]++;
            correct += best == y;
        }
    }
    r->loss = loss / set->n;
    r->acc = (double)correct / set->n;
    for (int c = 0; c < 10; c++) r->class_acc[c] = per_class_n[c] ? (double)r->confusion[c][c] / per_class_n[c] : 0.0;
    return NL_OK;
}

void nl_eval_result_free(nl_eval_result *r) {
    if (!r) return;
    free(r->pred);
    free(r->conf);
    r->pred = NULL;
    r->conf = NULL;
}

int nl_eval_misclassified(const nl_eval_result *r, const nl_cifar_set *set, int k, int by_confidence,
                          int *out_index) {
    int count = 0;
    for (int i = 0; i < r->n && (by_confidence || count < k); i++) {
        if (r->pred[i] == set->labels[i]) continue;
        if (!by_confidence) {
            out_index[count++] = i;
            continue;
        }
        /* keep the k most confident mistakes, sorted by confidence (ties: lower index first) */
        int pos = count < k ? count : k;
        while (pos > 0 && r->conf[out_index[pos - 1]] < r->conf[i]) pos--;
        if (pos >= k) continue;
        int last = count < k ? count : k - 1;
        for (int j = last; j > pos; j--) out_index[j] = out_index[j - 1];
        out_index[pos] = i;
        if (count < k) count++;
    }
    return count;
}

int nl_trainer_predict(nl_trainer *t, const uint8_t *images, int n, float *logits, nl_status *st) {
    if (!t || !images || !logits || n < 1) return nl_fail(st, NL_EINVAL, "predict: bad arguments");
    int K = t->net.L.desc.classes;
    for (int first = 0; first < n; first += t->cfg.batch) {
        int m = n - first < t->cfg.batch ? n - first : t->cfg.batch;
        prep_job job = {t, NULL, NULL, images + (size_t)first * NL_CIFAR_IMAGE_BYTES, 0, m, 0};
        prepare_batch(t, &job);
        nl_net_forward(&t->net, m, NULL, 0);
        memcpy(logits + (size_t)first * K, t->net.logits, sizeof(float) * (size_t)m * K);
    }
    return NL_OK;
}

const nl_model_layout *nl_trainer_layout(const nl_trainer *t) { return &t->net.L; }
const nl_train_config *nl_trainer_config(const nl_trainer *t) { return &t->cfg; }
float *nl_trainer_params(const nl_trainer *t) { return t->net.params; }
float *nl_trainer_bn_state(const nl_trainer *t) { return t->net.bn_state; }
int64_t nl_trainer_bn_batches(const nl_trainer *t) { return t->net.bn_batches; }

float *nl_trainer_velocity(const nl_trainer *t) { return t->velocity; }
void nl_trainer_set_bn_batches(nl_trainer *t, int64_t n) { t->net.bn_batches = n; }

void nl_trainer_get_state(const nl_trainer *t, nl_trainer_state *s) {
    memset(s, 0, sizeof *s);
    s->global_step = t->global_step;
    s->epoch = t->epoch;
    s->step_in_epoch = t->step_in_epoch;
    s->n_train = t->n_train;
    s->epoch_loss_sum = t->epoch_loss_sum;
    s->epoch_correct = t->epoch_correct;
    s->epoch_seen = t->epoch_seen;
    s->last_loss = t->last_loss;
    s->lr = t->lr;
    s->momentum = t->mom;
    s->bn_batches = t->net.bn_batches;
}

int nl_trainer_set_state(nl_trainer *t, const nl_trainer_state *s, nl_status *st) {
    /* Every counter within what the settings allow: a bad one would overflow later. */
    const nl_train_config *c = &t->cfg;
    if (s->n_train < 0 || s->n_train > NL_TRAIN_MAX_IMAGES)
        return nl_fail(st, NL_EINVAL, "progress: %d training images is outside 0..%d", s->n_train, NL_TRAIN_MAX_IMAGES);
    int spe = steps_per_epoch(s->n_train, c->batch);
    long total = (long)spe * c->epochs;
    if (s->epoch < 0 || s->epoch > c->epochs)
        return nl_fail(st, NL_EINVAL, "progress: epoch %d is outside 0..%d (the settings' epochs)", s->epoch, c->epochs);
    if (s->global_step < 0 || s->global_step > total)
        return nl_fail(st, NL_EINVAL, "progress: step %ld is outside 0..%ld (epochs x steps per epoch)", s->global_step,
                       total);
    if (s->step_in_epoch < 0 || s->step_in_epoch > spe)
        return nl_fail(st, NL_EINVAL, "progress: step %d of the epoch is outside 0..%d", s->step_in_epoch, spe);
    if (s->epoch_seen < 0 || s->epoch_seen > (long)s->n_train || s->epoch_correct < 0 ||
        s->epoch_correct > s->epoch_seen)
        return nl_fail(st, NL_EINVAL, "progress: %ld correct of %ld images seen this epoch is impossible with %d images",
                       s->epoch_correct, s->epoch_seen, s->n_train);
    if (s->bn_batches < 0) return nl_fail(st, NL_EINVAL, "progress: negative BatchNorm batch count");
    if (!(s->epoch_loss_sum >= 0.0 && isfinite(s->epoch_loss_sum)) || !(s->last_loss >= 0.0 && isfinite(s->last_loss)) ||
        !(s->lr >= 0.0 && isfinite(s->lr)) || !(s->momentum >= 0.0 && s->momentum < 1.0))
        return nl_fail(st, NL_EINVAL, "progress: loss, learning rate or momentum is not a finite value in range");
    t->global_step = s->global_step;
    t->epoch = s->epoch;
    t->step_in_epoch = s->step_in_epoch;
    t->n_train = s->n_train;
    t->epoch_loss_sum = s->epoch_loss_sum;
    t->epoch_correct = s->epoch_correct;
    t->epoch_seen = s->epoch_seen;
    t->last_loss = s->last_loss;
    t->lr = s->lr;
    t->mom = s->momentum;
    t->net.bn_batches = s->bn_batches;
    return NL_OK;
}
