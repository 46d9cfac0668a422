/* Checkpoints: one little-endian binary blob
 *   "NLCKPT\r\n" | u32 version | u32 payload length | payload | u32 CRC-32 of all before
 * payload = model description, training settings, progress, parameters, BN running
 * statistics, SGD momentum buffers. Everything is validated before any trainer is built,
 * so a bad file never yields a half-loaded model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_crc32.h"
#include "base/nl_file.h"
#include "train/nl_trainer_impl.h"
#include "serialize/nl_checkpoint.h"

#define CKPT_MAGIC "NLCKPT\r\n"
#define CKPT_VERSION 1u
#define CKPT_MAX_BYTES (64u << 20)

/* ---- a growing little-endian writer ---- */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} wbuf;

static void w_bytes(wbuf *w, const void *src, size_t n) {
    if (w->oom) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        uint8_t *p = realloc(w->p, cap);
        if (!p) {
            w->oom = 1;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}
static void w_u32(wbuf *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    w_bytes(w, b, 4);
}
static void w_u64(wbuf *w, uint64_t v) {
    w_u32(w, (uint32_t)v);
    w_u32(w, (uint32_t)(v >> 32));
}
static void w_i32(wbuf *w, int v) { w_u32(w, (uint32_t)v); }
static void w_f32(wbuf *w, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    w_u32(w, u);
}
static void w_f64(wbuf *w, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    w_u64(w, u);
}
static void w_f32s(wbuf *w, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) w_f32(w, v[i]);
}

/* ---- a bounds-checked reader ---- */
typedef struct {
    const uint8_t *p;
    size_t len, pos;
    int short_read;
} rbuf;

static const uint8_t *r_take(rbuf *r, size_t n) {
    if (r->short_read || r->len - r->pos < n) {
        r->short_read = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}
static uint32_t r_u32(rbuf *r) {
    const uint8_t *b = r_take(r, 4);
    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0;
}
static uint64_t r_u64(rbuf *r) {
    uint64_t lo = r_u32(r);
    return lo | (uint64_t)r_u32(r) << 32;
}
static int r_i32(rbuf *r) { return (int)r_u32(r); }
static float r_f32(rbuf *r) {
    uint32_t u = r_u32(r);
    float v;
    memcpy(&v, &u, 4);
    return v;
}
static double r_f64(rbuf *r) {
    uint64_t u = r_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}
static void r_f32s(rbuf *r, float *v, size_t n) {
    for (size_t i = 0; i < n; i++) v[i] = r_f32(r);
}

/* ---- the payload ---- */
static void write_desc(wbuf *w, const nl_model_desc *d) {
    w_i32(w, (int)d->norm);
    w_i32(w, d->groups);
    w_i32(w, d->group_size);
    for (int b = 0; b < NL_NUM_BLOCKS; b++) w_i32(w, d->width[b]);
    for (int b = 0; b < NL_NUM_BLOCKS; b++) w_i32(w, d->pad[b]);
    w_i32(w, d->n_skips);
    for (int i = 0; i < NL_MAX_SKIPS; i++) {
        w_i32(w, d->skips[i].from);
        w_i32(w, d->skips[i].to);
    }
    w_f32(w, d->dropout);
    w_f32(w, d->bn_momentum);
    w_f32(w, d->norm_eps);
    w_i32(w, d->in_channels);
    w_i32(w, d->in_hw);
    w_i32(w, d->classes);
}

static void read_desc(rbuf *r, nl_model_desc *d) {
    memset(d, 0, sizeof *d);
    d->norm = (nl_norm_kind)r_i32(r);
    d->groups = r_i32(r);
    d->group_size = r_i32(r);
    for (int b = 0; b < NL_NUM_BLOCKS; b++) d->width[b] = r_i32(r);
    for (int b = 0; b < NL_NUM_BLOCKS; b++) d->pad[b] = r_i32(r);
    d->n_skips = r_i32(r);
    for (int i = 0; i < NL_MAX_SKIPS; i++) {
        d->skips[i].from = r_i32(r);
        d->skips[i].to = r_i32(r);
    }
    d->dropout = r_f32(r);
    d->bn_momentum = r_f32(r);
    d->norm_eps = r_f32(r);
    d->in_channels = r_i32(r);
    d->in_hw = r_i32(r);
    d->classes = r_i32(r);
}

static void write_config(wbuf *w, const nl_train_config *c) {
    w_i32(w, c->epochs);
    w_i32(w, c->batch);
    w_i32(w, (int)c->schedule);
    w_f32(w, c->max_lr);
    w_f32(w, c->momentum);
    w_i32(w, c->nesterov);
    w_f32(w, c->l1);
    w_f32(w, c->l2);
    w_f32(w, c->label_smoothing);
    w_f32(w, c->pct_start);
    w_f32(w, c->div_factor);
    w_f32(w, c->final_div_factor);
    w_i32(w, c->cycle_momentum);
    w_f32(w, c->base_momentum);
    w_f32(w, c->max_momentum);
    w_i32(w, c->step_epochs);
    w_f32(w, c->step_gamma);
    w_i32(w, c->aug_crop_pad);
    w_i32(w, c->aug_flip);
    w_i32(w, c->aug_cutout);
    w_u64(w, c->seed);
    w_i32(w, c->threads);
}

static void read_config(rbuf *r, nl_train_config *c) {
    memset(c, 0, sizeof *c);
    c->epochs = r_i32(r);
    c->batch = r_i32(r);
    c->schedule = (nl_schedule_kind)r_i32(r);
    c->max_lr = r_f32(r);
    c->momentum = r_f32(r);
    c->nesterov = r_i32(r);
    c->l1 = r_f32(r);
    c->l2 = r_f32(r);
    c->label_smoothing = r_f32(r);
    c->pct_start = r_f32(r);
    c->div_factor = r_f32(r);
    c->final_div_factor = r_f32(r);
    c->cycle_momentum = r_i32(r);
    c->base_momentum = r_f32(r);
    c->max_momentum = r_f32(r);
    c->step_epochs = r_i32(r);
    c->step_gamma = r_f32(r);
    c->aug_crop_pad = r_i32(r);
    c->aug_flip = r_i32(r);
    c->aug_cutout = r_i32(r);
    c->seed = r_u64(r);
    c->threads = r_i32(r);
}

int nl_checkpoint_save_buffer(const nl_trainer *t, uint8_t **out, size_t *len, nl_status *st) {
    if (!t || !out || !len) return nl_fail(st, NL_EINVAL, "checkpoint: missing argument");
    const nl_model_layout *L = &t->net.L;
    wbuf w = {0};
    w_bytes(&w, CKPT_MAGIC, 8);
    w_u32(&w, CKPT_VERSION);
    w_u32(&w, 0); /* payload length, patched below */
    size_t start = w.len;
    write_desc(&w, &L->desc);
    write_config(&w, &t->cfg);
    w_u64(&w, (uint64_t)t->global_step);
    w_i32(&w, t->epoch);
    w_i32(&w, t->step_in_epoch);
    w_i32(&w, t->n_train);
    w_f64(&w, t->epoch_loss_sum);
    w_u64(&w, (uint64_t)t->epoch_correct);
    w_u64(&w, (uint64_t)t->epoch_seen);
    w_f64(&w, t->last_loss);
    w_f64(&w, t->lr);
    w_f64(&w, t->mom);
    w_u64(&w, (uint64_t)t->net.bn_batches);
    w_u64(&w, L->n_params);
    w_f32s(&w, t->net.params, L->n_params);
    w_u64(&w, L->n_bn_state);
    w_f32s(&w, t->net.bn_state, L->n_bn_state);
    w_f32s(&w, t->velocity, L->n_params);
    if (w.oom) {
        free(w.p);
        return nl_fail(st, NL_ENOMEM, "checkpoint: out of memory");
    }
    uint32_t payload = (uint32_t)(w.len - start);
    for (int i = 0; i < 4; i++) w.p[12 + i] = (uint8_t)(payload >> (8 * i));
    w_u32(&w, nl_crc32(0, w.p, w.len));
    if (w.oom) {
        free(w.p);
        return nl_fail(st, NL_ENOMEM, "checkpoint: out of memory");
    }
    *out = w.p;
    *len = w.len;
    return NL_OK;
}

int nl_checkpoint_save_file(const nl_trainer *t, const char *path, nl_status *st) {
    uint8_t *buf;
    size_t len;
    int rc = nl_checkpoint_save_buffer(t, &buf, &len, st);
    if (rc) return rc;
    rc = nl_file_write_atomic(path, buf, len, st);
    free(buf);
    return rc;
}

nl_trainer *nl_checkpoint_load_buffer(const uint8_t *buf, size_t len, int threads, nl_status *st) {
    if (!buf) {
        nl_fail(st, NL_EINVAL, "checkpoint: no data");
        return NULL;
    }
    if (len < 20 || memcmp(buf, CKPT_MAGIC, 8) != 0) {
        nl_fail(st, NL_EFORMAT, "checkpoint: not a normlab checkpoint (bad magic or only %zu bytes)", len);
        return NULL;
    }
    rbuf r = {buf, len, 8, 0};
    uint32_t version = r_u32(&r);
    if (version != CKPT_VERSION) {
        nl_fail(st, NL_EMISMATCH, "checkpoint: version %u is not supported (this build reads version %u)", version,
                CKPT_VERSION);
        return NULL;
    }
    uint32_t payload = r_u32(&r);
    if ((size_t)payload + 20 != len) {
        nl_fail(st, NL_EFORMAT, "checkpoint: truncated or padded (%zu bytes, header says %zu)", len,
                (size_t)payload + 20);
        return NULL;
    }
    uint32_t stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 | (uint32_t)buf[len - 2] << 16 |
                      (uint32_t)buf[len - 1] << 24;
    if (nl_crc32(0, buf, len - 4) != stored) {
        nl_fail(st, NL_EFORMAT, "checkpoint: checksum mismatch (the file is corrupted)");
        return NULL;
    }
    r.len = len - 4;
    nl_model_desc d;
    nl_train_config c;
    read_desc(&r, &d);
    read_config(&r, &c);
    if (threads > 0) c.threads = threads;
    nl_status inner;
    if (r.short_read || nl_model_desc_validate(&d, &inner) || nl_train_config_validate(&c, &inner)) {
        nl_fail(st, NL_EFORMAT, "checkpoint: invalid model or settings: %s",
                r.short_read ? "record too short" : inner.msg);
        return NULL;
    }
    nl_model_layout L;
    nl_model_layout_init(&L, &d, NULL);
    long global_step = (long)r_u64(&r);
    int epoch = r_i32(&r), step_in_epoch = r_i32(&r), n_train = r_i32(&r);
    double epoch_loss_sum = r_f64(&r);
    long epoch_correct = (long)r_u64(&r), epoch_seen = (long)r_u64(&r);
    double last_loss = r_f64(&r), lr = r_f64(&r), mom = r_f64(&r);
    int64_t bn_batches = (int64_t)r_u64(&r);
    uint64_t n_params = r_u64(&r);
    if (r.short_read || n_params != L.n_params) {
        nl_fail(st, NL_EMISMATCH, "checkpoint: holds %llu parameters but its model description needs %zu",
                (unsigned long long)n_params, L.n_params);
        return NULL;
    }
    if (global_step < 0 || epoch < 0 || step_in_epoch < 0 || n_train < 0 || epoch_seen < 0 || bn_batches < 0) {
        nl_fail(st, NL_EFORMAT, "checkpoint: negative progress counters");
        return NULL;
    }
    /* The rest is the parameters, the BN statistics (with their count) and the momentum
     * buffers: its size is checked before the trainer, whose memory the settings decide, is
     * allocated (fuzzing found a 9 KB file that made the loader take 1 GB first). */
    if (r.len - r.pos != 8 * (size_t)L.n_params + 8 + 4 * (size_t)L.n_bn_state) {
        nl_fail(st, NL_EFORMAT, "checkpoint: payload size does not match its contents");
        return NULL;
    }
    nl_trainer *t = nl_trainer_alloc(&d, &c, st);
    if (!t) return NULL;
    r_f32s(&r, t->net.params, L.n_params);
    uint64_t n_bn = r_u64(&r);
    if (n_bn != L.n_bn_state) {
        nl_trainer_free(t);
        nl_fail(st, NL_EMISMATCH, "checkpoint: holds %llu BatchNorm statistics, the model needs %zu",
                (unsigned long long)n_bn, L.n_bn_state);
        return NULL;
    }
    r_f32s(&r, t->net.bn_state, L.n_bn_state);
    r_f32s(&r, t->velocity, L.n_params);
    if (r.short_read || r.pos != r.len) {
        nl_trainer_free(t);
        nl_fail(st, NL_EFORMAT, "checkpoint: payload size does not match its contents");
        return NULL;
    }
    t->global_step = global_step;
    t->epoch = epoch;
    t->step_in_epoch = step_in_epoch;
    t->n_train = n_train;
    t->epoch_loss_sum = epoch_loss_sum;
    t->epoch_correct = epoch_correct;
    t->epoch_seen = epoch_seen;
    t->last_loss = last_loss;
    t->lr = lr;
    t->mom = mom;
    t->net.bn_batches = bn_batches;
    return t;
}

nl_trainer *nl_checkpoint_load_file(const char *path, int threads, nl_status *st) {
    uint8_t *buf;
    size_t len;
    if (nl_file_read_all(path, &buf, &len, CKPT_MAX_BYTES, st)) return NULL;
    nl_trainer *t = nl_checkpoint_load_buffer(buf, len, threads, st);
    free(buf);
    if (!t && st) {
        char msg[sizeof st->msg];
        memcpy(msg, st->msg, sizeof msg);
        nl_fail(st, st->code, "%.120s: %.130s", path, msg);
    }
    return t;
}
