/* Checkpoints: one little-endian binary blob
 *   "NLCKPT\r\n" | u32 version | u32 payload length | payload | u32 CRC-32 of all before
 * payload (version 2) = u32 length + the configuration JSON (serialize/nl_config.h: the model
 * and every training setting, so a checkpoint says exactly how it was made), the progress
 * counters, parameters, BN running statistics, SGD momentum buffers. Everything is validated
 * (every counter against what the settings allow) before the trainer is handed out, so a bad
 * file never yields a half-loaded model. Version 1 (before the configuration JSON) is
 * recognised and refused with a message saying so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_buf.h"
#include "base/nl_crc32.h"
#include "base/nl_file.h"
#include "serialize/nl_checkpoint.h"
#include "serialize/nl_config.h"

#define CKPT_MAGIC "NLCKPT\r\n"
#define CKPT_VERSION NL_CHECKPOINT_VERSION
#define CKPT_MAX_BYTES (64u << 20)
#define CKPT_MAX_CONFIG (64u << 10)

/* ---- little-endian writing on top of nl_buf ---- */
static void w_i32(nl_buf *w, int v) { nl_buf_u32(w, (uint32_t)v); }
static void w_f64(nl_buf *w, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    nl_buf_u64(w, u);
}
static void w_f32s(nl_buf *w, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        nl_buf_u32(w, u);
    }
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

int nl_checkpoint_save_buffer(const nl_trainer *t, uint8_t **out, size_t *len, nl_status *st) {
    if (!t || !out || !len) return nl_fail(st, NL_EINVAL, "checkpoint: missing argument");
    const nl_model_layout *L = nl_trainer_layout(t);
    nl_config cfg;
    nl_config_of(&cfg, &L->desc, nl_trainer_config(t));
    nl_buf json = {0}, w = {0};
    if (nl_config_to_json(&cfg, &json, 0, st)) {
        nl_buf_free(&json);
        return st ? st->code : NL_EINVAL;
    }
    nl_trainer_state s;
    nl_trainer_get_state(t, &s);
    nl_buf_add(&w, CKPT_MAGIC, 8);
    nl_buf_u32(&w, CKPT_VERSION);
    nl_buf_u32(&w, 0); /* payload length, patched below */
    size_t start = w.len;
    nl_buf_u32(&w, (uint32_t)json.len);
    nl_buf_add(&w, json.p, json.len);
    nl_buf_free(&json);
    nl_buf_u64(&w, (uint64_t)s.global_step);
    w_i32(&w, s.epoch);
    w_i32(&w, s.step_in_epoch);
    w_i32(&w, s.n_train);
    w_f64(&w, s.epoch_loss_sum);
    nl_buf_u64(&w, (uint64_t)s.epoch_correct);
    nl_buf_u64(&w, (uint64_t)s.epoch_seen);
    w_f64(&w, s.last_loss);
    w_f64(&w, s.lr);
    w_f64(&w, s.momentum);
    nl_buf_u64(&w, (uint64_t)s.bn_batches);
    nl_buf_u64(&w, L->n_params);
    w_f32s(&w, nl_trainer_params(t), L->n_params);
    nl_buf_u64(&w, L->n_bn_state);
    w_f32s(&w, nl_trainer_bn_state(t), L->n_bn_state);
    w_f32s(&w, nl_trainer_velocity(t), L->n_params);
    if (!w.oom) {
        uint32_t payload = (uint32_t)(w.len - start);
        for (int i = 0; i < 4; i++) w.p[12 + i] = (uint8_t)(payload >> (8 * i));
        nl_buf_u32(&w, nl_crc32(0, w.p, w.len));
    }
    if (w.oom) {
        nl_buf_free(&w);
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

/* Magic, version, length and checksum; leaves r positioned at the payload. */
static int check_envelope(const uint8_t *buf, size_t len, rbuf *r, nl_status *st) {
    if (len < 20 || memcmp(buf, CKPT_MAGIC, 8) != 0)
        return nl_fail(st, NL_EFORMAT, "checkpoint: not a normlab checkpoint (bad magic or only %zu bytes)", len);
    *r = (rbuf){buf, len, 8, 0};
    uint32_t version = r_u32(r);
    if (version == 1)
        return nl_fail(st, NL_EMISMATCH,
                       "checkpoint: format version 1 is from an older normlab (this build reads version %u, which "
                       "embeds the configuration JSON); retrain, or export its weights with the older build",
                       CKPT_VERSION);
    if (version != CKPT_VERSION)
        return nl_fail(st, NL_EMISMATCH, "checkpoint: version %u is not supported (this build reads version %u)", version,
                       CKPT_VERSION);
    uint32_t payload = r_u32(r);
    if ((size_t)payload + 20 != len)
        return nl_fail(st, NL_EFORMAT, "checkpoint: truncated or padded (%zu bytes, header says %zu)", len,
                       (size_t)payload + 20);
    uint32_t stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 | (uint32_t)buf[len - 2] << 16 |
                      (uint32_t)buf[len - 1] << 24;
    if (nl_crc32(0, buf, len - 4) != stored)
        return nl_fail(st, NL_EFORMAT, "checkpoint: checksum mismatch (the file is corrupted)");
    r->len = len - 4;
    return NL_OK;
}

nl_trainer *nl_checkpoint_load_buffer(const uint8_t *buf, size_t len, int threads, nl_status *st) {
    if (!buf) {
        nl_fail(st, NL_EINVAL, "checkpoint: no data");
        return NULL;
    }
    rbuf r;
    if (check_envelope(buf, len, &r, st)) return NULL;
    uint32_t json_len = r_u32(&r);
    const uint8_t *json = json_len <= CKPT_MAX_CONFIG ? r_take(&r, json_len) : NULL;
    if (!json) {
        nl_fail(st, NL_EFORMAT, "checkpoint: the configuration record is too short or too long (%u bytes)", json_len);
        return NULL;
    }
    nl_config cfg;
    nl_status inner;
    if (nl_config_from_json((const char *)json, json_len, &cfg, &inner)) {
        nl_fail(st, NL_EFORMAT, "checkpoint: invalid configuration: %.200s", inner.msg);
        return NULL;
    }
    if (threads > 0) cfg.train.threads = threads;
    nl_model_layout L;
    nl_model_layout_init(&L, &cfg.model, NULL);
    nl_trainer_state s;
    s.global_step = (long)r_u64(&r);
    s.epoch = r_i32(&r);
    s.step_in_epoch = r_i32(&r);
    s.n_train = r_i32(&r);
    s.epoch_loss_sum = r_f64(&r);
    s.epoch_correct = (long)r_u64(&r);
    s.epoch_seen = (long)r_u64(&r);
    s.last_loss = r_f64(&r);
    s.lr = r_f64(&r);
    s.momentum = r_f64(&r);
    s.bn_batches = (int64_t)r_u64(&r);
    uint64_t n_params = r_u64(&r);
    if (r.short_read || n_params != L.n_params) {
        nl_fail(st, NL_EMISMATCH, "checkpoint: holds %llu parameters but its model description needs %zu",
                (unsigned long long)n_params, L.n_params);
        return NULL;
    }
    /* The rest is the parameters, the BN statistics (with their count) and the momentum
     * buffers: its size is checked before the trainer, whose memory the settings decide, is
     * allocated (fuzzing found a 9 KB file that made the loader take 1 GB first). */
    if (r.len - r.pos != 8 * (size_t)L.n_params + 8 + 4 * (size_t)L.n_bn_state) {
        nl_fail(st, NL_EFORMAT, "checkpoint: payload size does not match its contents");
        return NULL;
    }
    nl_trainer *t = nl_trainer_create(&cfg.model, &cfg.train, st);
    if (!t) return NULL;
    if (nl_trainer_set_state(t, &s, &inner)) {
        nl_trainer_free(t);
        nl_fail(st, NL_EFORMAT, "checkpoint: %.200s", inner.msg);
        return NULL;
    }
    r_f32s(&r, nl_trainer_params(t), L.n_params);
    uint64_t n_bn = r_u64(&r);
    if (n_bn != L.n_bn_state) {
        nl_trainer_free(t);
        nl_fail(st, NL_EMISMATCH, "checkpoint: holds %llu BatchNorm statistics, the model needs %zu",
                (unsigned long long)n_bn, L.n_bn_state);
        return NULL;
    }
    r_f32s(&r, nl_trainer_bn_state(t), L.n_bn_state);
    r_f32s(&r, nl_trainer_velocity(t), L.n_params);
    if (r.short_read || r.pos != r.len) {
        nl_trainer_free(t);
        nl_fail(st, NL_EFORMAT, "checkpoint: payload size does not match its contents");
        return NULL;
    }
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
