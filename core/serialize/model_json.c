/* The model description <-> JSON (format in nl_model_json.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_file.h"
#include "serialize/nl_json.h"
#include "serialize/nl_model_json.h"

#define MODEL_JSON_MAX_FILE (1u << 20)

/* ---- writing ---- */
typedef struct {
    char *buf;
    size_t cap, len; /* len may exceed cap: then the output was truncated */
} out_buf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(out_buf *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

/* The shortest %g form that reads back as the same float32. */
static void format_float(char *s, size_t n, float v) {
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(s, n, "%.*g", digits, (double)v);
        if (strtof(s, NULL) == v) return;
    }
    snprintf(s, n, "%.9g", (double)v);
}

static void put_int_list(out_buf *o, const char *name, const int *v, int n) {
    put(o, "  \"%s\": [", name);
    for (int i = 0; i < n; i++) put(o, "%s%d", i ? ", " : "", v[i]);
    put(o, "],\n");
}

int nl_model_desc_to_json(const nl_model_desc *d, char *buf, size_t cap, nl_status *st) {
    if (!d || (!buf && cap)) return nl_fail(st, NL_EINVAL, "model JSON: missing argument");
    nl_status inner;
    if (nl_model_desc_validate(d, &inner))
        return nl_fail(st, NL_EINVAL, "model JSON: cannot describe an invalid model: %s", inner.msg);
    out_buf o = {buf, cap, 0};
    char f1[32], f2[32], f3[32];
    put(&o, "{\n  \"format\": \"normlab-model\",\n  \"version\": 1,\n  \"layout\": [");
    for (int l = 0; l < NL_NUM_LAYERS; l++) put(&o, "%s\"%s\"", l ? ", " : "", nl_layer_names[l]);
    put(&o, "],\n  \"norm\": \"%s\",\n  \"groups\": %d,\n  \"group_size\": %d,\n", nl_norm_name(d->norm), d->groups,
        d->group_size);
    put_int_list(&o, "widths", d->width, NL_NUM_BLOCKS);
    put_int_list(&o, "pads", d->pad, NL_NUM_BLOCKS);
    put(&o, "  \"skips\": [");
    for (int i = 0; i < d->n_skips; i++)
        put(&o, "%s[\"%s\", \"%s\"]", i ? ", " : "", nl_layer_names[d->skips[i].from], nl_layer_names[d->skips[i].to]);
    format_float(f1, sizeof f1, d->dropout);
    format_float(f2, sizeof f2, d->bn_momentum);
    format_float(f3, sizeof f3, d->norm_eps);
    put(&o, "],\n  \"dropout\": %s,\n  \"bn_momentum\": %s,\n  \"eps\": %s,\n", f1, f2, f3);
    put(&o, "  \"in_channels\": %d,\n  \"in_hw\": %d,\n  \"classes\": %d\n}", d->in_channels, d->in_hw, d->classes);
    if (o.len >= cap) {
        if (cap) buf[0] = '\0';
        return nl_fail(st, NL_EINVAL, "model JSON: buffer of %zu bytes is too small (%zu needed)", cap, o.len + 1);
    }
    return NL_OK;
}

/* ---- reading ---- */
static int layer_by_name(const char *s) {
    for (int l = 0; l < NL_NUM_LAYERS; l++)
        if (!strcmp(nl_layer_names[l], s)) return l;
    return -1;
}

static int get_int(const nl_json *v, const char *name, int *out, nl_status *st) {
    if (v->type != NL_JSON_NUMBER || !v->is_int || v->integer < INT_MIN || v->integer > INT_MAX)
        return nl_fail(st, NL_EFORMAT, "model JSON: %s must be an integer", name);
    *out = (int)v->integer;
    return NL_OK;
}

static int get_float(const nl_json *v, const char *name, float *out, nl_status *st) {
    if (v->type != NL_JSON_NUMBER) return nl_fail(st, NL_EFORMAT, "model JSON: %s must be a number", name);
    *out = (float)v->number;
    return NL_OK;
}

static int get_int_list(const nl_json *v, const char *name, int *out, nl_status *st) {
    if (v->type != NL_JSON_ARRAY || v->len != NL_NUM_BLOCKS)
        return nl_fail(st, NL_EFORMAT, "model JSON: %s must have %d integers", name, NL_NUM_BLOCKS);
    for (int i = 0; i < NL_NUM_BLOCKS; i++) {
        const nl_json *e = &v->items[i];
        if (e->type != NL_JSON_NUMBER || !e->is_int || e->integer < INT_MIN || e->integer > INT_MAX)
            return nl_fail(st, NL_EFORMAT, "model JSON: %s must have %d integers", name, NL_NUM_BLOCKS);
        out[i] = (int)e->integer;
    }
    return NL_OK;
}

static int get_skips(const nl_json *v, nl_model_desc *d, nl_status *st) {
    static const char *const form = "model JSON: skips must be a list of [\"FROM\", \"TO\"] layer-name pairs";
    if (v->type != NL_JSON_ARRAY) return nl_fail(st, NL_EFORMAT, "%s", form);
    if (v->len > NL_MAX_SKIPS)
        return nl_fail(st, NL_EFORMAT, "model JSON: at most %d skips, got %zu", NL_MAX_SKIPS, v->len);
    d->n_skips = 0;
    memset(d->skips, 0, sizeof d->skips);
    for (size_t i = 0; i < v->len; i++) {
        const nl_json *pair = &v->items[i];
        if (pair->type != NL_JSON_ARRAY || pair->len != 2 || pair->items[0].type != NL_JSON_STRING ||
            pair->items[1].type != NL_JSON_STRING)
            return nl_fail(st, NL_EFORMAT, "%s", form);
        int ends[2];
        for (int k = 0; k < 2; k++) {
            ends[k] = layer_by_name(pair->items[k].str);
            if (ends[k] < 0)
                return nl_fail(st, NL_EFORMAT,
                               "model JSON: unknown layer '%.40s' in skips (layers: C1 C2 c3 P1 C3 C4 C5 c6 P2 C7 "
                               "C8 C9 GAP c10)",
                               pair->items[k].str);
        }
        d->skips[d->n_skips++] = (nl_skip){ends[0], ends[1]};
    }
    return NL_OK;
}

static int check_layout(const nl_json *v, nl_status *st) {
    int ok = v->type == NL_JSON_ARRAY && v->len == NL_NUM_LAYERS;
    for (int l = 0; ok && l < NL_NUM_LAYERS; l++)
        ok = v->items[l].type == NL_JSON_STRING && !strcmp(v->items[l].str, nl_layer_names[l]);
    if (!ok)
        return nl_fail(st, NL_EMISMATCH,
                       "model JSON: layout must be [\"C1\", \"C2\", \"c3\", \"P1\", \"C3\", \"C4\", \"C5\", \"c6\", "
                       "\"P2\", \"C7\", \"C8\", \"C9\", \"GAP\", \"c10\"] (the only layout supported)");
    return NL_OK;
}

static int desc_from_tree(const nl_json *root, nl_model_desc *out, nl_status *st) {
    if (root->type != NL_JSON_OBJECT) return nl_fail(st, NL_EFORMAT, "model JSON: the top level must be an object");
    const nl_json *format = nl_json_get(root, "format");
    if (!format) return nl_fail(st, NL_EFORMAT, "model JSON: missing field 'format' (expected \"normlab-model\")");
    if (format->type != NL_JSON_STRING || strcmp(format->str, "normlab-model") != 0)
        return nl_fail(st, NL_EFORMAT, "model JSON: format must be \"normlab-model\"");
    const nl_json *version = nl_json_get(root, "version");
    if (!version) return nl_fail(st, NL_EFORMAT, "model JSON: missing field 'version' (expected 1)");
    if (version->type != NL_JSON_NUMBER || !version->is_int)
        return nl_fail(st, NL_EFORMAT, "model JSON: version must be an integer");
    if (version->integer != 1)
        return nl_fail(st, NL_EMISMATCH, "model JSON: version %lld is not supported (this build reads version 1)",
                       (long long)version->integer);
    const nl_json *norm = nl_json_get(root, "norm");
    if (!norm) return nl_fail(st, NL_EFORMAT, "model JSON: missing field 'norm' (bn, gn or ln)");
    nl_norm_kind kind;
    if (norm->type != NL_JSON_STRING) return nl_fail(st, NL_EFORMAT, "model JSON: norm must be a string (bn, gn or ln)");
    if (!nl_norm_parse(norm->str, &kind))
        return nl_fail(st, NL_EFORMAT, "model JSON: unknown norm '%.40s' (use bn, gn or ln)", norm->str);

    nl_model_desc d;
    nl_model_desc_default(&d, kind);
    int rc = NL_OK;
    for (size_t i = 0; i < root->len && !rc; i++) {
        const char *k = root->keys[i];
        const nl_json *v = &root->items[i];
        if (!strcmp(k, "format") || !strcmp(k, "version") || !strcmp(k, "norm")) continue;
        if (!strcmp(k, "layout")) rc = check_layout(v, st);
        else if (!strcmp(k, "groups")) rc = get_int(v, k, &d.groups, st);
        else if (!strcmp(k, "group_size")) rc = get_int(v, k, &d.group_size, st);
        else if (!strcmp(k, "widths")) rc = get_int_list(v, k, d.width, st);
        else if (!strcmp(k, "pads")) rc = get_int_list(v, k, d.pad, st);
        else if (!strcmp(k, "skips")) rc = get_skips(v, &d, st);
        else if (!strcmp(k, "dropout")) rc = get_float(v, k, &d.dropout, st);
        else if (!strcmp(k, "bn_momentum")) rc = get_float(v, k, &d.bn_momentum, st);
        else if (!strcmp(k, "eps")) rc = get_float(v, k, &d.norm_eps, st);
        else if (!strcmp(k, "in_channels")) rc = get_int(v, k, &d.in_channels, st);
        else if (!strcmp(k, "in_hw")) rc = get_int(v, k, &d.in_hw, st);
        else if (!strcmp(k, "classes")) rc = get_int(v, k, &d.classes, st);
        else rc = nl_fail(st, NL_EFORMAT, "model JSON: unknown field '%.60s'", k);
    }
    if (rc) return rc;
    nl_status inner;
    if (nl_model_desc_validate(&d, &inner)) {
        const char *m = inner.msg;
        if (!strncmp(m, "model: ", 7)) m += 7;
        return nl_fail(st, NL_EINVAL, "model JSON: %s", m);
    }
    *out = d;
    return NL_OK;
}

int nl_model_desc_from_json(const char *json, size_t len, nl_model_desc *out, nl_status *st) {
    if ((!json && len) || !out) return nl_fail(st, NL_EINVAL, "model JSON: missing argument");
    nl_status inner;
    nl_json *root = nl_json_parse(json, len, &inner);
    if (!root) return nl_fail(st, inner.code, "model JSON: %s", inner.msg);
    int rc = desc_from_tree(root, out, st);
    nl_json_free(root);
    return rc;
}

int nl_model_desc_from_json_file(const char *path, nl_model_desc *out, nl_status *st) {
    uint8_t *buf;
    size_t len;
    int rc = nl_file_read_all(path, &buf, &len, MODEL_JSON_MAX_FILE, st);
    if (rc) return rc;
    rc = nl_model_desc_from_json((const char *)buf, len, out, st);
    free(buf);
    if (rc && st) {
        char msg[sizeof st->msg];
        memcpy(msg, st->msg, sizeof msg);
        nl_fail(st, rc, "%.100s: %.150s", path, msg);
    }
    return rc;
}

int nl_model_desc_to_json_file(const nl_model_desc *d, const char *path, nl_status *st) {
    char buf[NL_MODEL_JSON_MAX + 1];
    int rc = nl_model_desc_to_json(d, buf, sizeof buf - 1, st);
    if (rc) return rc;
    size_t n = strlen(buf);
    buf[n] = '\n';
    return nl_file_write_atomic(path, buf, n + 1, st);
}
