/* safetensors export/import of the trainer's weights, named and shaped as the state_dict() of
 * the PyTorch reference module (see nl_safetensors.h). Import checks the whole file against
 * the model before it creates the trainer, so a bad file never yields a half-loaded model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_file.h"
#include "serialize/nl_json.h"
#include "serialize/nl_model_json.h"
#include "serialize/nl_safetensors.h"
#include "base/nl_buf.h"
#include "serialize/nl_config.h"

/* ---- the expected tensors of a model ---- */
enum { P_WEIGHT, P_GAMMA, P_BETA, P_RMEAN, P_RVAR, P_NBT };
enum { DT_F32, DT_I64 };
#define MAX_TENSORS (6 * NL_NUM_BLOCKS + 1)

typedef struct {
    char name[32];
    int block; /* 0..NL_NUM_BLOCKS-1, NL_NUM_BLOCKS = c10 */
    int part;
    int dtype;
    int ndim;
    int64_t shape[4];
    size_t count; /* elements */
} spec;

static int make_specs(const nl_model_layout *L, spec *s) {
    static const char *const part_names[] = {"conv.weight", "norm.weight", "norm.bias", "norm.running_mean",
                                             "norm.running_var", "norm.num_batches_tracked"};
    int n = 0;
    int bn = L->desc.norm == NL_NORM_BN;
    for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L->blocks[b];
        int parts = b == NL_NUM_BLOCKS ? 1 : bn ? 6 : 3;
        for (int p = 0; p < parts; p++) {
            spec *x = &s[n++];
            memset(x, 0, sizeof *x);
            if (b == NL_NUM_BLOCKS) snprintf(x->name, sizeof x->name, "c10.weight");
            else snprintf(x->name, sizeof x->name, "%s.%s", nl_layer_names[nl_block_layer(b)], part_names[p]);
            x->block = b;
            x->part = p;
            x->dtype = p == P_NBT ? DT_I64 : DT_F32;
            if (p == P_WEIGHT) {
                x->ndim = 4;
                x->shape[0] = B->co;
                x->shape[1] = B->ci;
                x->shape[2] = x->shape[3] = B->k;
                x->count = (size_t)B->co * B->ci * B->k * B->k;
            } else if (p == P_NBT) {
                x->ndim = 0;
                x->count = 1;
            } else {
                x->ndim = 1;
                x->shape[0] = B->co;
                x->count = (size_t)B->co;
            }
        }
    }
    return n;
}

static const char *dtype_name(int dt) { return dt == DT_I64 ? "I64" : "F32"; }

static void shape_str(char *out, size_t n, const int64_t *shape, int ndim) {
    size_t k = 0;
    k += (size_t)snprintf(out + k, n - k, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(out + k, n - k, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (k < n) snprintf(out + k, n - k, "]");
}

/* ---- little-endian scalars (data may be unaligned) ---- */
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static void put_f32(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
}
static float get_f32(const uint8_t *p) {
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- export ---- */
/* The tensor's values in PyTorch order, as little-endian bytes. */
static void write_tensor(uint8_t *dst, const spec *x, const nl_trainer *t) {
    const nl_model_layout *L = nl_trainer_layout(t);
    const nl_block_layout *B = &L->blocks[x->block];
    const float *params = nl_trainer_params(t), *bn_state = nl_trainer_bn_state(t);
    switch (x->part) {
    case P_WEIGHT: {
        int k = B->k, ci = B->ci, co = B->co;
        const float *w = params + B->w_off; /* HWIO [kh][kw][ci][co] -> OIHW [co][ci][kh][kw] */
        size_t i = 0;
        for (int o = 0; o < co; o++)
            for (int c = 0; c < ci; c++)
                for (int kh = 0; kh < k; kh++)
                    for (int kw = 0; kw < k; kw++) put_f32(dst + 4 * i++, w[(((size_t)kh * k + kw) * ci + c) * co + o]);
        break;
    }
    case P_GAMMA:
    case P_BETA:
    case P_RMEAN:
    case P_RVAR: {
        const float *src = x->part == P_GAMMA  ? params + B->gamma_off
                           : x->part == P_BETA ? params + B->beta_off
                           : x->part == P_RMEAN ? bn_state + B->run_mean_off
                                                : bn_state + B->run_var_off;
        for (size_t i = 0; i < x->count; i++) put_f32(dst + 4 * i, src[i]);
        break;
    }
    case P_NBT: put_u64(dst, (uint64_t)nl_trainer_bn_batches(t)); break;
    }
}

int nl_safetensors_export(const nl_trainer *t, uint8_t **out, size_t *len, nl_status *st) {
    if (!t || !out || !len) return nl_fail(st, NL_EINVAL, "safetensors: missing argument");
    *out = NULL;
    *len = 0;
    const nl_model_layout *L = nl_trainer_layout(t);
    char desc[NL_MODEL_JSON_MAX];
    int rc = nl_model_desc_to_json(&L->desc, desc, sizeof desc, st);
    if (rc) return rc;
    nl_config cfg;
    nl_config_of(&cfg, &L->desc, nl_trainer_config(t));
    nl_buf config = {0}, h = {0};
    rc = nl_config_to_json(&cfg, &config, 0, st);
    if (rc) {
        nl_buf_free(&config);
        return rc;
    }
    spec specs[MAX_TENSORS];
    int n = make_specs(L, specs);

    /* the model description (read by PyTorch) and the whole configuration (how it was made) */
    nl_buf_str(&h, "{\"__metadata__\":{\"format\":\"pt\",\"normlab_model\":");
    nl_json_put_string(&h, desc);
    nl_buf_str(&h, ",\"normlab_config\":");
    nl_json_put_string(&h, nl_buf_text(&config));
    nl_buf_free(&config);
    nl_buf_str(&h, "}");
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        char shape[96];
        shape_str(shape, sizeof shape, specs[i].shape, specs[i].ndim);
        size_t bytes = specs[i].count * (specs[i].dtype == DT_I64 ? 8 : 4);
        nl_buf_printf(&h, ",\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}", specs[i].name,
                      dtype_name(specs[i].dtype), shape, off, off + bytes);
        off += bytes;
    }
    nl_buf_str(&h, "}");
    while (!h.oom && h.len % 8) nl_buf_str(&h, " "); /* data starts 8-byte aligned */
    if (h.oom) {
        nl_buf_free(&h);
        return nl_fail(st, NL_ENOMEM, "safetensors: out of memory");
    }
    size_t total = 8 + h.len + off;
    uint8_t *buf = malloc(total);
    if (!buf) {
        nl_buf_free(&h);
        return nl_fail(st, NL_ENOMEM, "safetensors: out of memory (%zu bytes)", total);
    }
    put_u64(buf, (uint64_t)h.len);
    memcpy(buf + 8, h.p, h.len);
    uint8_t *data = buf + 8 + h.len;
    nl_buf_free(&h);
    off = 0;
    for (int i = 0; i < n; i++) {
        write_tensor(data + off, &specs[i], t);
        off += specs[i].count * (specs[i].dtype == DT_I64 ? 8 : 4);
    }
    *out = buf;
    *len = total;
    return NL_OK;
}

int nl_safetensors_export_file(const nl_trainer *t, const char *path, nl_status *st) {
    uint8_t *buf;
    size_t len;
    int rc = nl_safetensors_export(t, &buf, &len, st);
    if (rc) return rc;
    rc = nl_file_write_atomic(path, buf, len, st);
    free(buf);
    return rc;
}

/* ---- reading the header ---- */
#define MAX_DIMS 8

typedef struct {
    const char *name;
    const char *dtype;
    size_t elsize;
    int ndim;
    int64_t shape[MAX_DIMS];
    uint64_t begin, end;
} entry;

typedef struct {
    nl_json *root;
    entry *e;
    size_t n;
    const nl_json *meta;
    const uint8_t *data;
    size_t data_len;
} header;

static void header_free(header *h) {
    nl_json_free(h->root);
    free(h->e);
    memset(h, 0, sizeof *h);
}

static size_t dtype_size(const char *s) {
    static const struct {
        const char *name;
        size_t size;
    } table[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},     {"I32", 4},     {"I16", 2},
                 {"I8", 1},  {"U64", 8}, {"U32", 4}, {"U16", 2},  {"U8", 1},   {"BOOL", 1}, {"F8_E5M2", 1},
                 {"F8_E4M3", 1}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].name, s)) return table[i].size;
    return 0;
}

static int read_entry(const char *name, const nl_json *v, size_t data_len, entry *e, nl_status *st) {
    memset(e, 0, sizeof *e);
    e->name = name;
    if (v->type != NL_JSON_OBJECT)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s: expected an object with dtype, shape and data_offsets",
                       name);
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") && strcmp(v->keys[i], "data_offsets"))
            return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s has an unknown field '%.40s'", name, v->keys[i]);
    const nl_json *dt = nl_json_get(v, "dtype"), *shape = nl_json_get(v, "shape"), *offs = nl_json_get(v, "data_offsets");
    if (!dt || !shape || !offs)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s lacks %s", name,
                       !dt ? "dtype" : !shape ? "shape" : "data_offsets");
    if (dt->type != NL_JSON_STRING) return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s: dtype must be a string", name);
    e->dtype = dt->str;
    e->elsize = dtype_size(dt->str);
    if (!e->elsize) return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s has unknown dtype '%.20s'", name, dt->str);
    if (shape->type != NL_JSON_ARRAY)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s: shape must be a list of integers", name);
    if (shape->len > MAX_DIMS)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s has %zu dimensions (at most %d supported)", name,
                       shape->len, MAX_DIMS);
    e->ndim = (int)shape->len;
    uint64_t count = 1;
    int too_big = 0;
    for (int i = 0; i < e->ndim; i++) {
        const nl_json *d = &shape->items[i];
        if (d->type != NL_JSON_NUMBER || !d->is_int || d->integer < 0)
            return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s: shape must be a list of non-negative integers", name);
        e->shape[i] = d->integer;
        if (d->integer == 0) count = 0;
        else if (!too_big && count > (uint64_t)data_len / (uint64_t)d->integer) too_big = 1;
        else if (!too_big) count *= (uint64_t)d->integer;
    }
    if (count == 0) too_big = 0;
    if (offs->type != NL_JSON_ARRAY || offs->len != 2 || offs->items[0].type != NL_JSON_NUMBER ||
        !offs->items[0].is_int || offs->items[0].integer < 0 || offs->items[1].type != NL_JSON_NUMBER ||
        !offs->items[1].is_int || offs->items[1].integer < 0)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s: data_offsets must be [begin, end] (integers >= 0)",
                       name);
    e->begin = (uint64_t)offs->items[0].integer;
    e->end = (uint64_t)offs->items[1].integer;
    if (e->begin > e->end || e->end > data_len)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s has data_offsets [%llu, %llu] outside the %zu data bytes",
                       name, (unsigned long long)e->begin, (unsigned long long)e->end, data_len);
    char sh[128];
    shape_str(sh, sizeof sh, e->shape, e->ndim);
    if (too_big || count * e->elsize != e->end - e->begin)
        return nl_fail(st, NL_EFORMAT, "safetensors: tensor %.60s has %llu data bytes, but %s %s needs %s%llu", name,
                       (unsigned long long)(e->end - e->begin), e->dtype, sh, too_big ? "more than " : "",
                       too_big ? (unsigned long long)data_len : (unsigned long long)(count * e->elsize));
    return NL_OK;
}

static int by_begin(const void *a, const void *b) {
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* The data_offsets must tile [0, data_len) exactly: no overlap, no gap (as the reference
 * safetensors implementation requires). */
static int check_tiling(header *h, nl_status *st) {
    const entry **idx = malloc((h->n ? h->n : 1) * sizeof *idx);
    if (!idx) return nl_fail(st, NL_ENOMEM, "safetensors: out of memory");
    for (size_t i = 0; i < h->n; i++) idx[i] = &h->e[i];
    qsort(idx, h->n, sizeof *idx, by_begin);
    uint64_t pos = 0;
    const char *prev = NULL;
    int rc = NL_OK;
    for (size_t i = 0; i < h->n && !rc; i++) {
        const entry *e = idx[i];
        if (e->begin < pos)
            rc = nl_fail(st, NL_EFORMAT, "safetensors: tensors %.60s and %.60s overlap", prev, e->name);
        else if (e->begin > pos)
            rc = nl_fail(st, NL_EFORMAT, "safetensors: %llu unused data bytes before tensor %.60s",
                         (unsigned long long)(e->begin - pos), e->name);
        pos = e->end;
        prev = e->name;
    }
    if (!rc && pos != h->data_len)
        rc = nl_fail(st, NL_EFORMAT, "safetensors: %llu unused data bytes after the last tensor",
                     (unsigned long long)(h->data_len - pos));
    free(idx);
    return rc;
}

static int parse_header(const uint8_t *buf, size_t len, header *h, nl_status *st) {
    memset(h, 0, sizeof *h);
    if (!buf) return nl_fail(st, NL_EINVAL, "safetensors: no data");
    if (len < 8)
        return nl_fail(st, NL_EFORMAT, "safetensors: file of %zu bytes is too short (no header length)", len);
    uint64_t hlen = get_u64(buf);
    if (hlen > len - 8)
        return nl_fail(st, NL_EFORMAT, "safetensors: header length %llu exceeds the file size %zu",
                       (unsigned long long)hlen, len);
    if (hlen > NL_SAFETENSORS_MAX_HEADER)
        return nl_fail(st, NL_EFORMAT, "safetensors: header length %llu is over the %u-byte limit",
                       (unsigned long long)hlen, NL_SAFETENSORS_MAX_HEADER);
    if (hlen < 2 || buf[8] != '{')
        return nl_fail(st, NL_EFORMAT, "safetensors: header is not a JSON object (it must start with '{')");
    nl_status inner;
    h->root = nl_json_parse((const char *)buf + 8, (size_t)hlen, &inner);
    if (!h->root) return nl_fail(st, inner.code, "safetensors: header is not valid JSON: %s", inner.msg);
    if (h->root->type != NL_JSON_OBJECT) {
        header_free(h);
        return nl_fail(st, NL_EFORMAT, "safetensors: header is not a JSON object");
    }
    h->data = buf + 8 + hlen;
    h->data_len = len - 8 - (size_t)hlen;
    h->e = calloc(h->root->len ? h->root->len : 1, sizeof *h->e);
    if (!h->e) {
        header_free(h);
        return nl_fail(st, NL_ENOMEM, "safetensors: out of memory");
    }
    for (size_t i = 0; i < h->root->len; i++) {
        const char *key = h->root->keys[i];
        const nl_json *v = &h->root->items[i];
        if (!strcmp(key, "__metadata__")) {
            if (v->type != NL_JSON_OBJECT) {
                header_free(h);
                return nl_fail(st, NL_EFORMAT, "safetensors: __metadata__ must be an object of strings");
            }
            for (size_t k = 0; k < v->len; k++)
                if (v->items[k].type != NL_JSON_STRING) {
                    nl_fail(st, NL_EFORMAT, "safetensors: __metadata__ value '%.40s' is %s, not a string", v->keys[k],
                            nl_json_type_name(v->items[k].type));
                    header_free(h);
                    return NL_EFORMAT;
                }
            h->meta = v;
            continue;
        }
        int rc = read_entry(key, v, h->data_len, &h->e[h->n], st);
        if (rc) {
            header_free(h);
            return rc;
        }
        h->n++;
    }
    int rc = check_tiling(h, st);
    if (rc) header_free(h);
    return rc;
}

static int meta_desc(const header *h, nl_model_desc *out, nl_status *st) {
    const nl_json *m = nl_json_get(h->meta, "normlab_model");
    if (!m)
        return nl_fail(st, NL_EMISMATCH,
                       "safetensors: no normlab_model description in the metadata (give the model description, e.g. "
                       "--json MODEL.json)");
    nl_status inner;
    if (nl_model_desc_from_json(m->str, m->len, out, &inner))
        return nl_fail(st, inner.code, "safetensors: metadata normlab_model: %s", inner.msg);
    return NL_OK;
}

/* The training settings of the "normlab_config" metadata, or the defaults for the norm. */
static int meta_config(const header *h, const nl_model_desc *d, nl_train_config *out, nl_status *st) {
    const nl_json *m = nl_json_get(h->meta, "normlab_config");
    nl_config c;
    if (!m) {
        nl_config_default(&c, d->norm, NL_PRESET_DEFAULT);
    } else {
        nl_status inner;
        if (nl_config_from_json(m->str, m->len, &c, &inner))
            return nl_fail(st, inner.code, "safetensors: metadata normlab_config: %s", inner.msg);
    }
    *out = c.train;
    return NL_OK;
}

int nl_safetensors_read_desc(const uint8_t *buf, size_t len, nl_model_desc *out, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "safetensors: missing argument");
    header h;
    int rc = parse_header(buf, len, &h, st);
    if (rc) return rc;
    rc = meta_desc(&h, out, st);
    header_free(&h);
    return rc;
}

/* ---- import ---- */
static const entry *find_entry(const header *h, const char *name) {
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->e[i].name, name)) return &h->e[i];
    return NULL;
}

/* Checks names, dtypes, shapes and values against the model; fills found[i] for specs[i]. */
static int match_model(const header *h, const spec *specs, int n, const entry **found, int64_t *nbt, nl_status *st) {
    for (int i = 0; i < n; i++) {
        found[i] = find_entry(h, specs[i].name);
        if (!found[i]) return nl_fail(st, NL_EMISMATCH, "safetensors: missing tensor %s", specs[i].name);
    }
    for (size_t k = 0; k < h->n; k++) {
        int known = 0;
        for (int i = 0; i < n && !known; i++) known = found[i] == &h->e[k];
        if (!known) return nl_fail(st, NL_EMISMATCH, "safetensors: unexpected tensor %.80s", h->e[k].name);
    }
    for (int i = 0; i < n; i++) {
        const entry *e = found[i];
        if (strcmp(e->dtype, dtype_name(specs[i].dtype)) != 0)
            return nl_fail(st, NL_EMISMATCH, "safetensors: %s has dtype %s, expected %s", specs[i].name, e->dtype,
                           dtype_name(specs[i].dtype));
        int same = e->ndim == specs[i].ndim;
        for (int d = 0; same && d < e->ndim; d++) same = e->shape[d] == specs[i].shape[d];
        if (!same) {
            char got[128], want[64];
            shape_str(got, sizeof got, e->shape, e->ndim);
            shape_str(want, sizeof want, specs[i].shape, specs[i].ndim);
            return nl_fail(st, NL_EMISMATCH, "safetensors: tensor %s has shape %s, expected %s", specs[i].name, got, want);
        }
    }
    *nbt = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *p = h->data + found[i]->begin;
        if (specs[i].dtype == DT_I64) {
            int64_t v = (int64_t)get_u64(p);
            if (v < 0) return nl_fail(st, NL_EFORMAT, "safetensors: %s is negative (%lld)", specs[i].name, (long long)v);
            if (v > *nbt) *nbt = v;
            continue;
        }
        for (size_t j = 0; j < specs[i].count; j++) {
            float v = get_f32(p + 4 * j);
            if (!isfinite(v))
                return nl_fail(st, NL_EFORMAT, "safetensors: %s holds a non-finite value (%g at index %zu)", specs[i].name,
                               (double)v, j);
            if (specs[i].part == P_RVAR && v < 0.0f)
                return nl_fail(st, NL_EFORMAT, "safetensors: %s holds a negative variance (%g at index %zu)",
                               specs[i].name, (double)v, j);
        }
    }
    return NL_OK;
}

static void read_tensor(const uint8_t *src, const spec *x, nl_trainer *t) {
    const nl_block_layout *B = &nl_trainer_layout(t)->blocks[x->block];
    float *params = nl_trainer_params(t), *bn_state = nl_trainer_bn_state(t);
    switch (x->part) {
    case P_WEIGHT: {
        int k = B->k, ci = B->ci, co = B->co;
        float *w = params + B->w_off; /* OIHW -> HWIO */
        size_t i = 0;
        for (int o = 0; o < co; o++)
            for (int c = 0; c < ci; c++)
                for (int kh = 0; kh < k; kh++)
                    for (int kw = 0; kw < k; kw++) w[(((size_t)kh * k + kw) * ci + c) * co + o] = get_f32(src + 4 * i++);
        break;
    }
    case P_GAMMA:
    case P_BETA:
    case P_RMEAN:
    case P_RVAR: {
        float *dst = x->part == P_GAMMA  ? params + B->gamma_off
                     : x->part == P_BETA ? params + B->beta_off
                     : x->part == P_RMEAN ? bn_state + B->run_mean_off
                                          : bn_state + B->run_var_off;
        for (size_t i = 0; i < x->count; i++) dst[i] = get_f32(src + 4 * i);
        break;
    }
    case P_NBT: break; /* the trainer keeps one counter, set by the caller */
    }
}

nl_trainer *nl_safetensors_import(const uint8_t *buf, size_t len, const nl_model_desc *desc,
                                  const nl_train_config *cfg, nl_status *st) {
    header h;
    if (parse_header(buf, len, &h, st)) return NULL;
    nl_model_desc d;
    if (desc) {
        d = *desc;
    } else if (meta_desc(&h, &d, st)) {
        header_free(&h);
        return NULL;
    }
    nl_train_config c;
    if (cfg) {
        c = *cfg;
    } else if (meta_config(&h, &d, &c, st)) {
        header_free(&h);
        return NULL;
    }
    nl_model_layout L;
    nl_status inner;
    if (nl_model_layout_init(&L, &d, &inner) || nl_config_validate_train(&c, &inner)) {
        nl_fail(st, inner.code, "safetensors: %s", inner.msg);
        header_free(&h);
        return NULL;
    }
    spec specs[MAX_TENSORS];
    const entry *found[MAX_TENSORS];
    int n = make_specs(&L, specs);
    int64_t nbt = 0;
    if (match_model(&h, specs, n, found, &nbt, st)) {
        header_free(&h);
        return NULL;
    }
    nl_trainer *t = nl_trainer_create(&d, &c, st);
    if (!t) {
        header_free(&h);
        return NULL;
    }
    for (int i = 0; i < n; i++) read_tensor(h.data + found[i]->begin, &specs[i], t);
    nl_trainer_set_bn_batches(t, d.norm == NL_NORM_BN ? nbt : 0);
    header_free(&h);
    return t;
}

nl_trainer *nl_safetensors_import_file(const char *path, const nl_model_desc *desc, const nl_train_config *cfg,
                                       nl_status *st) {
    uint8_t *buf;
    size_t len;
    if (nl_file_read_all(path, &buf, &len, NL_SAFETENSORS_MAX_FILE, st)) return NULL;
    nl_trainer *t = nl_safetensors_import(buf, len, desc, cfg, st);
    free(buf);
    if (!t && st) {
        char msg[sizeof st->msg];
        memcpy(msg, st->msg, sizeof msg);
        nl_fail(st, st->code, "%.100s: %.150s", path, msg);
    }
    return t;
}
