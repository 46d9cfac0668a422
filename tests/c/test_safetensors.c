/* safetensors export/import: the PyTorch state_dict names, shapes and dtypes; the OIHW <->
 * HWIO conversion; export -> import gives back bit-identical weights, BN statistics and
 * logits for bn, gn and ln; and every kind of bad file is rejected with a clear message
 * before anything is built. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serialize/nl_json.h"
#include "serialize/nl_model_json.h"
#include "base/nl_rng.h"
#include "serialize/nl_safetensors.h"
#include "nl_synth.h"
#include "nl_test.h"
#include "train/nl_train.h"

static void config(nl_train_config *c) {
    nl_synth_train_defaults(c);
    c->epochs = 1;
    c->batch = 16;
    c->threads = 1;
    c->seed = 3;
}

/* A trainer that has taken 3 SGD steps (so BN statistics and num_batches_tracked move). */
static nl_trainer *trained(const nl_model_desc *d, const nl_cifar *data) {
    nl_train_config c;
    config(&c);
    nl_status st;
    nl_trainer *t = nl_trainer_create(d, &c, &st);
    CHECK_MSG(t != NULL, "create: %s", st.msg);
    if (!t) return NULL;
    CHECK(nl_trainer_set_data(t, data, &st) == 0);
    nl_progress p;
    CHECK_MSG(nl_trainer_train_steps(t, 3, &p, &st) == 0, "train: %s", st.msg);
    return t;
}

/* ---- header surgery for the bad-file cases ---- */
typedef struct {
    char *hdr;          /* header JSON (NUL-terminated, trailing spaces trimmed) */
    const uint8_t *data;
    size_t data_len;
} split_file;

static split_file split(const uint8_t *buf, size_t len) {
    split_file s;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | buf[i];
    s.hdr = malloc((size_t)n + 1);
    memcpy(s.hdr, buf + 8, (size_t)n);
    s.hdr[n] = '\0';
    s.data = buf + 8 + n; /* data starts after the padded header */
    s.data_len = len - 8 - (size_t)n;
    while (n && s.hdr[n - 1] == ' ') s.hdr[--n] = '\0';
    return s;
}

/* header + data (+ extra bytes) as a new file; header padded with spaces to 8 bytes. */
static uint8_t *join(const char *hdr, const uint8_t *data, size_t data_len, const uint8_t *extra, size_t extra_len,
                     size_t *out_len) {
    size_t h = strlen(hdr), pad = (8 - (8 + h) % 8) % 8;
    *out_len = 8 + h + pad + data_len + extra_len;
    uint8_t *b = malloc(*out_len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)(h + pad) >> (8 * i));
    memcpy(b + 8, hdr, h);
    memset(b + 8 + h, ' ', pad);
    memcpy(b + 8 + h + pad, data, data_len);
    if (extra_len) memcpy(b + 8 + h + pad + data_len, extra, extra_len);
    return b;
}

/* hdr with the first `from` after the entry of tensor `name` (or from the start when name is
 * NULL) replaced by `to`. */
static char *edit(const char *hdr, const char *name, const char *from, const char *to) {
    const char *start = hdr;
    if (name) {
        char key[96];
        snprintf(key, sizeof key, "\"%s\":{", name);
        start = strstr(hdr, key);
        CHECK_MSG(start != NULL, "no entry %s in the header", name);
        if (!start) return strdup(hdr);
    }
    const char *at = strstr(start, from);
    CHECK_MSG(at != NULL, "no '%s' in the header", from);
    if (!at) return strdup(hdr);
    size_t a = (size_t)(at - hdr), nf = strlen(from), nt = strlen(to), n = strlen(hdr);
    char *out = malloc(n - nf + nt + 1);
    memcpy(out, hdr, a);
    memcpy(out + a, to, nt);
    memcpy(out + a + nt, at + nf, n - a - nf + 1);
    return out;
}

/* data_offsets of a tensor, from the real header. */
static void offsets_of(const char *hdr, const char *name, long long *b, long long *e) {
    nl_status st;
    nl_json *j = nl_json_parse(hdr, strlen(hdr), &st);
    const nl_json *t = nl_json_get(j, name), *o = nl_json_get(t, "data_offsets");
    *b = o ? o->items[0].integer : -1;
    *e = o ? o->items[1].integer : -1;
    nl_json_free(j);
}

/* import must fail with `want` in the message (and build nothing). */
static void expect_reject(const uint8_t *buf, size_t len, const nl_model_desc *desc, const char *want, const char *what) {
    nl_status st;
    nl_status_clear(&st);
    nl_trainer *t = nl_safetensors_import(buf, len, desc, NULL, &st);
    CHECK_MSG(t == NULL, "%s: accepted", what);
    CHECK_MSG(t != NULL || strstr(st.msg, want) != NULL, "%s:\n  got  '%s'\n  want '%s'", what, st.msg, want);
    CHECK_MSG(t != NULL || !strncmp(st.msg, "safetensors: ", 13), "%s: message not prefixed: '%s'", what, st.msg);
    nl_trainer_free(t);
}

static void reject_edited(const split_file *s, const char *name, const char *from, const char *to, const char *want) {
    char *h = edit(s->hdr, name, from, to);
    size_t len;
    uint8_t *b = join(h, s->data, s->data_len, NULL, 0, &len);
    char what[160];
    snprintf(what, sizeof what, "%s: '%s' -> '%s'", name ? name : "header", from, to);
    expect_reject(b, len, NULL, want, what);
    free(b);
    free(h);
}

/* ---- the round trip ---- */
static void round_trip(nl_norm_kind norm, const nl_cifar *data) {
    nl_model_desc d;
    nl_model_desc_default(&d, norm);
    if (norm == NL_NORM_GN) d.groups = 4;
    nl_trainer *t = trained(&d, data);
    if (!t) return;
    nl_status st;
    uint8_t *buf;
    size_t len;
    CHECK_MSG(nl_safetensors_export(t, &buf, &len, &st) == 0, "export: %s", st.msg);
    const nl_model_layout *L = nl_trainer_layout(t);

    /* the header: names, dtypes, shapes, metadata */
    split_file s = split(buf, len);
    CHECK((size_t)(s.data - buf) % 8 == 0);
    nl_json *j = nl_json_parse(s.hdr, strlen(s.hdr), &st);
    CHECK_MSG(j != NULL, "header: %s", st.msg);
    int want_tensors = norm == NL_NORM_BN ? 61 : 31;
    CHECK_MSG(j && (int)j->len == want_tensors + 1, "%zu header entries", j ? j->len : 0);
    const nl_json *meta = nl_json_get(j, "__metadata__");
    CHECK(meta && nl_json_get(meta, "format") && !strcmp(nl_json_get(meta, "format")->str, "pt"));
    const nl_json *mj = nl_json_get(meta, "normlab_model");
    nl_model_desc back;
    CHECK(mj && nl_model_desc_from_json(mj->str, mj->len, &back, &st) == 0 && back.norm == norm && back.groups == d.groups);
    const nl_json *w = nl_json_get(j, "C3.conv.weight");
    CHECK(w && !strcmp(nl_json_get(w, "dtype")->str, "F32"));
    const nl_json *shape = w ? nl_json_get(w, "shape") : NULL;
    CHECK(shape && shape->len == 4 && shape->items[0].integer == 28 && shape->items[1].integer == 16 &&
          shape->items[2].integer == 3 && shape->items[3].integer == 3);
    const nl_json *nbt = nl_json_get(j, "C1.norm.num_batches_tracked");
    if (norm == NL_NORM_BN) {
        CHECK(nbt && !strcmp(nl_json_get(nbt, "dtype")->str, "I64") && nl_json_get(nbt, "shape")->len == 0);
    } else {
        CHECK(nbt == NULL && nl_json_get(j, "C1.norm.running_mean") == NULL);
    }
    const nl_json *c10 = nl_json_get(j, "c10.weight");
    CHECK(c10 && nl_json_get(c10, "shape")->len == 4 && nl_json_get(c10, "shape")->items[0].integer == 10 &&
          nl_json_get(c10, "shape")->items[1].integer == 32);
    /* OIHW in the file == HWIO in the core: C2.conv.weight[o][c][kh][kw] */
    const nl_json *c2 = nl_json_get(j, "C2.conv.weight");
    if (c2) {
        const nl_block_layout *B = &L->blocks[1];
        size_t off = (size_t)nl_json_get(c2, "data_offsets")->items[0].integer;
        const float *P = nl_trainer_params(t);
        int bad = 0;
        for (int o = 0; o < B->co; o += 5)
            for (int c = 0; c < B->ci; c += 3)
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++) {
                        float f;
                        memcpy(&f, s.data + off + 4 * ((((size_t)o * B->ci + c) * 3 + kh) * 3 + kw), 4);
                        bad += f != P[B->w_off + (((size_t)kh * 3 + kw) * B->ci + c) * B->co + o];
                    }
        CHECK_MSG(bad == 0, "%d conv weights not transposed to OIHW", bad);
    }
    nl_json_free(j);

    /* import: identical weights, statistics, counter, logits */
    nl_trainer *u = nl_safetensors_import(buf, len, NULL, NULL, &st);
    CHECK_MSG(u != NULL, "import: %s", st.msg);
    if (u) {
        const nl_model_layout *M = nl_trainer_layout(u);
        CHECK(M->n_params == L->n_params && M->n_bn_state == L->n_bn_state);
        CHECK(!memcmp(nl_trainer_params(u), nl_trainer_params(t), sizeof(float) * L->n_params));
        CHECK(!memcmp(nl_trainer_bn_state(u), nl_trainer_bn_state(t), sizeof(float) * L->n_bn_state));
        CHECK(nl_trainer_bn_batches(u) == nl_trainer_bn_batches(t));
        CHECK(norm != NL_NORM_BN || nl_trainer_bn_batches(u) == 3);
        float la[12 * 10], lb[12 * 10];
        CHECK(nl_trainer_predict(t, data->test.pixels, 12, la, &st) == 0);
        CHECK(nl_trainer_predict(u, data->test.pixels, 12, lb, &st) == 0);
        CHECK_MSG(!memcmp(la, lb, sizeof la), "%s: logits differ after the round trip", nl_norm_name(norm));
        /* and export again: the same bytes */
        uint8_t *buf2;
        size_t len2;
        CHECK(nl_safetensors_export(u, &buf2, &len2, &st) == 0);
        CHECK(len2 == len && !memcmp(buf, buf2, len));
        free(buf2);
        nl_trainer_free(u);
    }
    /* with an explicit description instead of the metadata */
    u = nl_safetensors_import(buf, len, &d, NULL, &st);
    CHECK_MSG(u != NULL, "import with desc: %s", st.msg);
    nl_trainer_free(u);
    /* nl_safetensors_read_desc */
    CHECK(nl_safetensors_read_desc(buf, len, &back, &st) == 0 && back.norm == norm);
    free(s.hdr);
    free(buf);
    nl_trainer_free(t);
}

static void bad_files(const nl_cifar *data) {
    nl_model_desc d;
    nl_model_desc_default(&d, NL_NORM_BN);
    nl_trainer *t = trained(&d, data);
    if (!t) return;
    nl_status st;
    uint8_t *buf;
    size_t len;
    CHECK(nl_safetensors_export(t, &buf, &len, &st) == 0);
    split_file s = split(buf, len);
    char msg[128];

    /* the container */
    expect_reject(buf, 5, NULL, "file of 5 bytes is too short", "5 bytes");
    uint8_t small[64];
    memset(small, 0, sizeof small);
    small[0] = 0x9f; /* 99999 = 0x1869f */
    small[1] = 0x86;
    small[2] = 0x01;
    expect_reject(small, sizeof small, NULL, "header length 99999 exceeds the file size 64", "header length");
    snprintf(msg, sizeof msg, "exceeds the file size %zu", (size_t)40);
    expect_reject(buf, 40, NULL, msg, "truncated inside the header");
    expect_reject(buf, len - 3, NULL, "outside the", "truncated data");
    memset(small, 0, sizeof small);
    expect_reject(small, sizeof small, NULL, "header is not a JSON object", "header length 0");
    size_t blen;
    uint8_t *b = join("not JSON at all", s.data, s.data_len, NULL, 0, &blen);
    expect_reject(b, blen, NULL, "header is not a JSON object (it must start with '{')", "text header");
    free(b);
    b = join("{\"a\": @}", s.data, s.data_len, NULL, 0, &blen);
    expect_reject(b, blen, NULL, "header is not valid JSON: unexpected character '@' at offset 6", "bad JSON");
    free(b);
    char *cut = strdup(s.hdr);
    cut[strlen(cut) - 1] = '\0'; /* drop the closing brace */
    b = join(cut, s.data, s.data_len, NULL, 0, &blen);
    expect_reject(b, blen, NULL, "header is not valid JSON: unexpected end of input", "header without its end");
    free(b);
    free(cut);
    uint8_t extra[8] = {0};
    b = join(s.hdr, s.data, s.data_len, extra, 8, &blen);
    expect_reject(b, blen, NULL, "8 unused data bytes after the last tensor", "trailing data");
    free(b);

    /* names */
    reject_edited(&s, NULL, "\"c10.weight\"", "\"c10.weigh_\"", "safetensors: missing tensor c10.weight");
    char *h = strdup(s.hdr);
    h[strlen(h) - 1] = '\0';
    char with_foo[16384];
    snprintf(with_foo, sizeof with_foo, "%s,\"foo\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%zu,%zu]}}", h,
             s.data_len, s.data_len + 8);
    free(h);
    b = join(with_foo, s.data, s.data_len, extra, 8, &blen);
    expect_reject(b, blen, NULL, "safetensors: unexpected tensor foo", "extra tensor");
    free(b);
    reject_edited(&s, NULL, "\"C1.conv.weight\"", "\"C2.conv.weight\"", "duplicate key \"C2.conv.weight\"");

    /* dtypes and shapes */
    reject_edited(&s, "C1.norm.weight", "\"dtype\":\"F32\",\"shape\":[16]", "\"dtype\":\"F16\",\"shape\":[32]",
                  "safetensors: C1.norm.weight has dtype F16, expected F32");
    reject_edited(&s, "C1.norm.weight", "\"F32\"", "\"I32\"", "C1.norm.weight has dtype I32, expected F32");
    reject_edited(&s, "C1.norm.num_batches_tracked", "\"I64\"", "\"F64\"",
                  "C1.norm.num_batches_tracked has dtype F64, expected I64");
    reject_edited(&s, "C1.norm.weight", "\"F32\"", "\"Q7\"", "tensor C1.norm.weight has unknown dtype 'Q7'");
    reject_edited(&s, "C1.norm.weight", "\"shape\":[16]", "\"shape\":[4,4]",
                  "safetensors: tensor C1.norm.weight has shape [4,4], expected [16]");
    reject_edited(&s, "C3.conv.weight", "\"shape\":[28,16,3,3]", "\"shape\":[28,3,3,16]",
                  "tensor C3.conv.weight has shape [28,3,3,16], expected [28,16,3,3]");
    reject_edited(&s, "C1.norm.num_batches_tracked", "\"shape\":[]", "\"shape\":[1]",
                  "tensor C1.norm.num_batches_tracked has shape [1], expected []");
    reject_edited(&s, "C1.norm.weight", "\"shape\":[16]", "\"shape\":[17]", "has 64 data bytes, but F32 [17] needs 68");
    reject_edited(&s, "C1.norm.weight", "\"shape\":[16]", "\"shape\":[-16]", "non-negative integers");
    reject_edited(&s, "C1.norm.weight", "\"shape\":[16]", "\"shape\":[4000000000,4000000000,4000000000]",
                  "needs more than");
    reject_edited(&s, "C1.norm.weight", "\"shape\":[16]", "\"shape\":[16],\"extra\":1", "has an unknown field 'extra'");
    reject_edited(&s, "C1.norm.weight", "\"dtype\":\"F32\",", "", "tensor C1.norm.weight lacks dtype");

    /* offsets */
    long long cb, ce;
    offsets_of(s.hdr, "c10.weight", &cb, &ce);
    char from[64], to[64];
    snprintf(from, sizeof from, "[%lld,%lld]", cb, ce);
    snprintf(to, sizeof to, "[%lld,%lld]", cb - 4, ce - 4);
    reject_edited(&s, "c10.weight", from, to, "overlap");
    snprintf(to, sizeof to, "[%lld,%lld]", cb + 4, ce + 4);
    reject_edited(&s, "c10.weight", from, to, "outside the");
    snprintf(to, sizeof to, "[%lld,%lld]", ce, cb);
    reject_edited(&s, "c10.weight", from, to, "outside the");
    snprintf(to, sizeof to, "[%lld]", cb);
    reject_edited(&s, "c10.weight", from, to, "data_offsets must be [begin, end]");

    /* metadata */
    reject_edited(&s, NULL, "\"normlab_model\":", "\"other_model\":", "no normlab_model description in the metadata");
    char *nometa = edit(s.hdr, NULL, "\"normlab_model\":", "\"other_model\":");
    b = join(nometa, s.data, s.data_len, NULL, 0, &blen);
    nl_trainer *u = nl_safetensors_import(b, blen, &d, NULL, &st);
    CHECK_MSG(u != NULL, "no metadata but a description: %s", st.msg);
    nl_trainer_free(u);
    free(b);
    free(nometa);
    reject_edited(&s, NULL, "\"format\":\"pt\"", "\"format\":1", "__metadata__ value 'format' is a number, not a string");
    reject_edited(&s, NULL, "\\\"norm\\\": \\\"bn\\\"", "\\\"norm\\\": \\\"xx\\\"",
                  "metadata normlab_model: model JSON: norm must be bn, gn or ln, got 'xx'");
    /* a description that does not fit the file */
    nl_model_desc other = d;
    other.width[1] = 16; /* C2 16 channels: C2.conv.weight [16,16,3,3] expected, file has [24,16,3,3] */
    expect_reject(buf, len, &other, "safetensors: tensor C2.conv.weight has shape [24,16,3,3], expected [16,16,3,3]",
                  "other widths");
    nl_model_desc_default(&other, NL_NORM_GN);
    expect_reject(buf, len, &other, "safetensors: unexpected tensor C1.norm.running_mean", "gn description");
    other = d;
    other.width[0] = 0;
    expect_reject(buf, len, &other, "width of C1 must be", "invalid description");

    /* values */
    long long vb, ve;
    offsets_of(s.hdr, "C2.norm.bias", &vb, &ve);
    uint8_t *v = malloc(len);
    memcpy(v, buf, len);
    size_t data0 = (size_t)(s.data - buf);
    float nan_ = 0.0f / 0.0f, neg = -1.0f;
    memcpy(v + data0 + (size_t)vb + 8, &nan_, 4);
    expect_reject(v, len, NULL, "C2.norm.bias holds a non-finite value", "NaN");
    memcpy(v, buf, len);
    offsets_of(s.hdr, "C4.norm.running_var", &vb, &ve);
    memcpy(v + data0 + (size_t)vb, &neg, 4);
    expect_reject(v, len, NULL, "C4.norm.running_var holds a negative variance", "negative variance");
    memcpy(v, buf, len);
    offsets_of(s.hdr, "C5.norm.num_batches_tracked", &vb, &ve);
    memset(v + data0 + (size_t)vb, 0xff, 8);
    expect_reject(v, len, NULL, "C5.norm.num_batches_tracked is negative", "negative counter");
    /* the largest per-layer counter wins */
    memcpy(v, buf, len);
    v[data0 + (size_t)vb] = 40;
    u = nl_safetensors_import(v, len, NULL, NULL, &st);
    CHECK_MSG(u && nl_trainer_bn_batches(u) == 40, "counter: %s", u ? "wrong value" : st.msg);
    nl_trainer_free(u);
    free(v);

    /* files: atomic export, import, errors name the path */
    char dir[32];
    CHECK(nl_synth_tmpdir(dir, sizeof dir) == 0);
    char path[96], bad[96];
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    CHECK_MSG(nl_safetensors_export_file(t, path, &st) == 0, "export_file: %s", st.msg);
    size_t flen;
    uint8_t *f = nl_synth_read_file(path, &flen);
    CHECK(f && flen == len && !memcmp(f, buf, len));
    free(f);
    u = nl_safetensors_import_file(path, NULL, NULL, &st);
    CHECK_MSG(u != NULL, "import_file: %s", st.msg);
    nl_trainer_free(u);
    CHECK(nl_synth_write_file(bad, buf, 100) == 0);
    u = nl_safetensors_import_file(bad, NULL, NULL, &st);
    CHECK_MSG(u == NULL && strstr(st.msg, bad) && strstr(st.msg, "exceeds the file size 100"), "file error: %s", st.msg);
    nl_synth_rmtree(dir);

    free(s.hdr);
    free(buf);
    nl_trainer_free(t);
}

int main(void) {
    nl_cifar data = nl_synth_random_cifar(48, 12, 7);
    round_trip(NL_NORM_BN, &data);
    round_trip(NL_NORM_GN, &data);
    round_trip(NL_NORM_LN, &data);
    bad_files(&data);
    nl_cifar_free(&data);
    return nl_test_finish("test_safetensors");
}
