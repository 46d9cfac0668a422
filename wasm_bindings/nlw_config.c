/* "key = value" settings text -> nl_model_desc + nl_train_config (and back, as JSON).
 * Every value is parsed strictly (whole string, in range) so that a typo comes back as an
 * error naming the key, never as a silently different setting. */
#include "nlw_config.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS 64
#define MAX_KEY 32
#define MAX_VALUE 256

typedef struct {
    char key[MAX_KEY];
    char value[MAX_VALUE];
    int line;
} pair;

typedef enum { K_INT, K_BOOL, K_FLOAT, K_WIDTHS, K_PADS, K_SKIPS, K_SCHEDULE, K_SEED } kind;

/* Where each key lands: in the model description (model = 1) or the settings. */
typedef struct {
    const char *name;
    kind k;
    int model;
    size_t off;
} field;

#define MF(name, k, member) {name, k, 1, offsetof(nl_model_desc, member)}
#define TF(name, k, member) {name, k, 0, offsetof(nl_train_config, member)}

static const field fields[] = {
    MF("groups", K_INT, groups),
    MF("groupSize", K_INT, group_size),
    MF("widths", K_WIDTHS, width),
    MF("pads", K_PADS, pad),
    MF("skips", K_SKIPS, skips),
    MF("dropout", K_FLOAT, dropout),
    MF("bnMomentum", K_FLOAT, bn_momentum),
    MF("normEps", K_FLOAT, norm_eps),
    TF("epochs", K_INT, epochs),
    TF("batch", K_INT, batch),
    TF("schedule", K_SCHEDULE, schedule),
    TF("maxLr", K_FLOAT, max_lr),
    TF("momentum", K_FLOAT, momentum),
    TF("nesterov", K_BOOL, nesterov),
    TF("l1", K_FLOAT, l1),
    TF("l2", K_FLOAT, l2),
    TF("labelSmoothing", K_FLOAT, label_smoothing),
    TF("pctStart", K_FLOAT, pct_start),
    TF("divFactor", K_FLOAT, div_factor),
    TF("finalDivFactor", K_FLOAT, final_div_factor),
    TF("cycleMomentum", K_BOOL, cycle_momentum),
    TF("baseMomentum", K_FLOAT, base_momentum),
    TF("maxMomentum", K_FLOAT, max_momentum),
    TF("stepEpochs", K_INT, step_epochs),
    TF("stepGamma", K_FLOAT, step_gamma),
    TF("augCrop", K_INT, aug_crop_pad),
    TF("augFlip", K_BOOL, aug_flip),
    TF("augCutout", K_INT, aug_cutout),
    TF("seed", K_SEED, seed),
    TF("threads", K_INT, threads),
};

/* ---- strict scalar parsers ---- */

static int parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < INT_MIN || v > INT_MAX) return 0;
    *out = (int)v;
    return 1;
}

static int parse_bool(const char *s, int *out) {
    if (!strcmp(s, "true") || !strcmp(s, "1")) *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "0")) *out = 0;
    else return 0;
    return 1;
}

static int parse_float(const char *s, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE on underflow is fine (tiny values become 0 or denormal) */
    if (end == s || *end || !isfinite(v) || fabs(v) > FLT_MAX) return 0;
    *out = (float)v;
    return 1;
}

static int parse_u64(const char *s, unsigned long long *out) {
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+') return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno) return 0;
    *out = v;
    return 1;
}

/* A layer by name (exact case: C3 and c3 differ) or by index. */
static int parse_layer(const char *s, int *out) {
    for (int l = 0; l < NL_NUM_LAYERS; l++)
        if (!strcmp(s, nl_layer_names[l])) {
            *out = l;
            return 1;
        }
    return parse_int(s, out) && *out >= 0 && *out < NL_NUM_LAYERS;
}

/* Splits s at commas into items (trimmed, in place); returns the count or -1 if too many. */
static int split_list(char *s, char **items, int max) {
    int n = 0;
    if (!*s) return 0;
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        while (*p == ' ' || *p == '\t') p++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
        if (n == max) return -1;
        items[n++] = p;
        if (!comma) break;
        p = comma + 1;
    }
    return n;
}

static int parse_int_list(const pair *p, int *dst, int want, nl_status *st) {
    char buf[MAX_VALUE];
    char *items[NL_NUM_BLOCKS + 1];
    snprintf(buf, sizeof buf, "%s", p->value);
    int n = split_list(buf, items, NL_NUM_BLOCKS + 1);
    if (n != want)
        return nl_fail(st, NL_EINVAL, "setting %s: needs %d comma-separated integers (one per conv block), got %s",
                       p->key, want, n < 0 ? "more" : n == 0 ? "none" : "fewer");
    int tmp[NL_NUM_BLOCKS];
    for (int i = 0; i < n; i++)
        if (!parse_int(items[i], &tmp[i]))
            return nl_fail(st, NL_EINVAL, "setting %s: item %d '%s' is not an integer", p->key, i + 1, items[i]);
    memcpy(dst, tmp, sizeof(int) * (size_t)n);
    return NL_OK;
}

static int parse_skips(const pair *p, nl_model_desc *d, nl_status *st) {
    char buf[MAX_VALUE];
    char *items[NL_MAX_SKIPS + 1];
    snprintf(buf, sizeof buf, "%s", p->value);
    int n = split_list(buf, items, NL_MAX_SKIPS);
    if (n < 0) return nl_fail(st, NL_EINVAL, "setting skips: at most %d skip adds", NL_MAX_SKIPS);
    for (int i = 0; i < n; i++) {
        char *dash = strchr(items[i], '-');
        int from, to;
        if (dash) *dash = '\0';
        if (!dash || !parse_layer(items[i], &from) || !parse_layer(dash + 1, &to))
            return nl_fail(st, NL_EINVAL,
                           "setting skips: item %d must be FROM-TO with layer names (C1 C2 c3 P1 C3 C4 C5 c6 P2 C7 "
                           "C8 C9 GAP c10) or indices 0..13",
                           i + 1);
        d->skips[i].from = from;
        d->skips[i].to = to;
    }
    d->n_skips = n;
    return NL_OK;
}

static int apply(const pair *p, nl_model_desc *d, nl_train_config *c, nl_status *st) {
    const field *f = NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(fields[i].name, p->key)) f = &fields[i];
    if (!f) return nl_fail(st, NL_EINVAL, "unknown setting '%s'", p->key);
    void *at = (char *)(f->model ? (void *)d : (void *)c) + f->off;
    const char *v = p->value;
    switch (f->k) {
    case K_INT:
        if (!parse_int(v, at)) return nl_fail(st, NL_EINVAL, "setting %s: '%s' is not an integer", p->key, v);
        return NL_OK;
    case K_BOOL:
        if (!parse_bool(v, at)) return nl_fail(st, NL_EINVAL, "setting %s: '%s' is not true/false", p->key, v);
        return NL_OK;
    case K_FLOAT:
        if (!parse_float(v, at)) return nl_fail(st, NL_EINVAL, "setting %s: '%s' is not a finite number", p->key, v);
        return NL_OK;
    case K_WIDTHS: return parse_int_list(p, d->width, NL_NUM_BLOCKS, st);
    case K_PADS: return parse_int_list(p, d->pad, NL_NUM_BLOCKS, st);
    case K_SKIPS: return parse_skips(p, d, st);
    case K_SCHEDULE:
        if (!nl_schedule_parse(v, &c->schedule))
            return nl_fail(st, NL_EINVAL, "unknown schedule '%s' (use onecycle, step or const)", v);
        return NL_OK;
    case K_SEED: {
        unsigned long long s;
        if (!parse_u64(v, &s)) return nl_fail(st, NL_EINVAL, "setting seed: '%s' is not an integer 0..2^64-1", v);
        c->seed = (uint64_t)s;
        return NL_OK;
    }
    }
    return nl_fail(st, NL_EINVAL, "setting %s: unsupported", p->key);
}

/* Splits text into trimmed key/value pairs, rejecting malformed lines and repeated keys. */
static int split_pairs(const char *text, pair *pairs, int *n_out, nl_status *st) {
    int n = 0, line = 0;
    const char *p = text;
    while (*p) {
        line++;
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *a = p, *b = p + len;
        p = end ? end + 1 : p + len;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) b--;
        if (a == b || *a == '#') continue;
        const char *eq = memchr(a, '=', (size_t)(b - a));
        if (!eq) return nl_fail(st, NL_EINVAL, "settings line %d: expected 'key = value'", line);
        const char *ke = eq, *vs = eq + 1;
        while (ke > a && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
        while (vs < b && (*vs == ' ' || *vs == '\t')) vs++;
        if (ke == a) return nl_fail(st, NL_EINVAL, "settings line %d: missing key before '='", line);
        if ((size_t)(ke - a) >= MAX_KEY) return nl_fail(st, NL_EINVAL, "settings line %d: key too long", line);
        if ((size_t)(b - vs) >= MAX_VALUE) return nl_fail(st, NL_EINVAL, "settings line %d: value too long", line);
        if (n == MAX_PAIRS) return nl_fail(st, NL_EINVAL, "too many settings (at most %d)", MAX_PAIRS);
        pair *q = &pairs[n];
        memcpy(q->key, a, (size_t)(ke - a));
        q->key[ke - a] = '\0';
        memcpy(q->value, vs, (size_t)(b - vs));
        q->value[b - vs] = '\0';
        q->line = line;
        for (int i = 0; i < n; i++)
            if (!strcmp(pairs[i].key, q->key))
                return nl_fail(st, NL_EINVAL, "setting '%s' is given twice (lines %d and %d)", q->key, pairs[i].line,
                               line);
        n++;
    }
    *n_out = n;
    return NL_OK;
}

int nlw_config_parse(const char *text, nl_model_desc *d, nl_train_config *c, nl_status *st) {
    if (!text || !d || !c) return nl_fail(st, NL_EINVAL, "settings: NULL argument");
    pair *pairs = malloc(sizeof(pair) * MAX_PAIRS); /* ~19 KiB: off the (small Wasm) stack */
    if (!pairs) return nl_fail(st, NL_ENOMEM, "settings: out of memory");
    int n = 0, rc = split_pairs(text, pairs, &n, st);

    /* "preset" and "norm" choose the starting description, so they are read first. */
    int reference = 0;
    nl_norm_kind norm = NL_NORM_BN;
    for (int i = 0; i < n && !rc; i++) {
        if (!strcmp(pairs[i].key, "preset")) {
            if (!strcmp(pairs[i].value, "reference")) reference = 1;
            else if (strcmp(pairs[i].value, "default"))
                rc = nl_fail(st, NL_EINVAL, "unknown model preset '%s' (use default or reference)", pairs[i].value);
        } else if (!strcmp(pairs[i].key, "norm") && !nl_norm_parse(pairs[i].value, &norm)) {
            rc = nl_fail(st, NL_EINVAL, "unknown norm '%s' (use bn, gn or ln)", pairs[i].value);
        }
    }
    if (!rc) {
        if (reference) nl_model_desc_reference(d, norm);
        else nl_model_desc_default(d, norm);
        nl_train_config_default(c);
    }
    for (int i = 0; i < n && !rc; i++)
        if (strcmp(pairs[i].key, "preset") && strcmp(pairs[i].key, "norm")) rc = apply(&pairs[i], d, c, st);
    free(pairs);
    if (rc) return rc;
    rc = nl_model_desc_validate(d, st);
    if (!rc) rc = nl_train_config_validate(c, st);
    return rc;
}

/* ---- JSON out ---- */

typedef struct {
    char *p;
    size_t cap, len; /* len may exceed cap: then the output was truncated */
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(sbuf *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->cap ? s->cap - s->len : 0;
    int n = vsnprintf(room ? s->p + s->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) s->len += (size_t)n;
}

static void put_ints(sbuf *s, const char *key, const int *v, int n) {
    put(s, "\"%s\":[", key);
    for (int i = 0; i < n; i++) put(s, "%s%d", i ? "," : "", v[i]);
    put(s, "],");
}

int nlw_config_to_json(const nl_model_desc *d, const nl_train_config *c, char *out, size_t cap) {
    if (!d || !c || !out || !cap) return -1;
    sbuf s = {out, cap, 0};
    out[0] = '\0';
    put(&s, "{\"model\":{\"norm\":\"%s\",\"groups\":%d,\"groupSize\":%d,", nl_norm_name(d->norm), d->groups,
        d->group_size);
    put_ints(&s, "widths", d->width, NL_NUM_BLOCKS);
    put_ints(&s, "pads", d->pad, NL_NUM_BLOCKS);
    put(&s, "\"skips\":[");
    for (int i = 0; i < d->n_skips && i < NL_MAX_SKIPS; i++) {
        int f = d->skips[i].from, t = d->skips[i].to;
        if (f >= 0 && f < NL_NUM_LAYERS && t >= 0 && t < NL_NUM_LAYERS)
            put(&s, "%s[\"%s\",\"%s\"]", i ? "," : "", nl_layer_names[f], nl_layer_names[t]);
    }
    /* %.9g: enough digits for a float to read back to the same bits */
    put(&s, "],\"dropout\":%.9g,\"bnMomentum\":%.9g,\"normEps\":%.9g},", d->dropout, d->bn_momentum, d->norm_eps);
    put(&s, "\"settings\":{\"epochs\":%d,\"batch\":%d,\"schedule\":\"%s\",\"maxLr\":%.9g,\"momentum\":%.9g,", c->epochs,
        c->batch, nl_schedule_name(c->schedule), c->max_lr, c->momentum);
    put(&s, "\"nesterov\":%s,\"l1\":%.9g,\"l2\":%.9g,\"labelSmoothing\":%.9g,", c->nesterov ? "true" : "false", c->l1,
        c->l2, c->label_smoothing);
    put(&s, "\"pctStart\":%.9g,\"divFactor\":%.9g,\"finalDivFactor\":%.9g,\"cycleMomentum\":%s,", c->pct_start,
        c->div_factor, c->final_div_factor, c->cycle_momentum ? "true" : "false");
    put(&s, "\"baseMomentum\":%.9g,\"maxMomentum\":%.9g,\"stepEpochs\":%d,\"stepGamma\":%.9g,", c->base_momentum,
        c->max_momentum, c->step_epochs, c->step_gamma);
    put(&s, "\"augCrop\":%d,\"augFlip\":%s,\"augCutout\":%d,", c->aug_crop_pad, c->aug_flip ? "true" : "false",
        c->aug_cutout);
    /* seeds beyond 2^53 do not survive a JS number: send those as a string */
    if (c->seed <= (1ull << 53)) put(&s, "\"seed\":%llu,", (unsigned long long)c->seed);
    else put(&s, "\"seed\":\"%llu\",", (unsigned long long)c->seed);
    put(&s, "\"threads\":%d}}", c->threads);
    return s.len < cap ? (int)s.len : (int)cap - 1;
}
