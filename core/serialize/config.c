/* The settings table and everything it drives: defaults, validation, JSON in and out, CLI
 * flag values, the schema (see nl_config.h). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_file.h"
#include "serialize/nl_config.h"

#define CONFIG_MAX_FILE (1u << 20)
#define SAFE_INT_MAX 9007199254740991.0 /* 2^53 - 1: the largest integer a JS number holds */

static const char *const norm_options[] = {"bn", "gn", "ln", NULL};
static const char *const preset_options[] = {"default", "reference", NULL};
static const char *const schedule_options[] = {"onecycle", "step", "const", NULL};
static const char *const order_options[] = {"norm_relu", "relu_norm", NULL};

#define M(member) 1, offsetof(nl_config, model) + offsetof(nl_model_desc, member)
#define T(member) 0, offsetof(nl_config, train) + offsetof(nl_train_config, member)
#define SAME(v) {v, v, v}

/* name, type, section+offset, min, max, min_open, max_open, defaults (bn, gn, ln), options, help */
static const nl_config_field fields[] = {
    {"norm", NL_CF_ENUM, M(norm), 0, 2, 0, 0, {0, 1, 2}, norm_options,
     "normalisation after each conv: bn (BatchNorm), gn (GroupNorm), ln (LayerNorm = GroupNorm with one group)"},
    {"preset", NL_CF_ENUM, 1, offsetof(nl_config, preset), 0, 1, 0, 0, SAME(0), preset_options,
     "where widths, pads and skips default from: default (the tuned net) or reference (the benchmark net)"},
    {"groups", NL_CF_INT, M(groups), 0, NL_MAX_WIDTH, 0, 0, SAME(0), NULL,
     "GN: groups in every layer (must divide each width); 0 = use group_size"},
    {"group_size", NL_CF_INT, M(group_size), 1, NL_MAX_WIDTH, 0, 0, SAME(8), NULL,
     "GN with groups 0: channels per group (4 where it does not divide a width)"},
    {"widths", NL_CF_BLOCKS, M(width), 1, NL_MAX_WIDTH, 0, 0, SAME(0), NULL,
     "output channels of C1 C2 c3 C3 C4 C5 c6 C7 C8 C9"},
    {"pads", NL_CF_BLOCKS, M(pad), 0, 1, 0, 0, SAME(0), NULL, "zero padding of those convs (0 or 1; 1x1 convs 0)"},
    {"skips", NL_CF_SKIPS, M(skips), 0, 0, 0, 0, SAME(0), NULL,
     "skip adds out[TO] += out[FROM] by layer name, e.g. [[\"C3\", \"C5\"]] (CLI: C3-C5,C7-C9 or none)"},
    {"dropout", NL_CF_FLOAT, M(dropout), 0, 1, 0, 1, SAME(0), NULL, "dropout after each block's ReLU in training"},
    {"bn_momentum", NL_CF_FLOAT, M(bn_momentum), 0, 1, 0, 0, SAME(0.1), NULL,
     "BatchNorm running-statistics momentum (PyTorch's convention)"},
    {"eps", NL_CF_FLOAT, M(norm_eps), 0, 1, 1, 1, SAME(1e-5), NULL, "epsilon of the norm layers"},
    {"order", NL_CF_ENUM, M(order), 0, 1, 0, 0, SAME(1), order_options,
     "order in every block: norm_relu (conv -> norm -> ReLU) or relu_norm (conv -> ReLU -> norm, as the public "
     "GN/LN nets); dropout and the skip add come after both"},
    {"weight_std", NL_CF_BOOL, M(weight_std), 0, 1, 0, 0, SAME(1), NULL,
     "weight standardisation: the ten block convs (C1 .. C9 with c3, c6; not c10) use (W - mean) / sqrt(var + 1e-5) "
     "per output channel (no new parameters)"},
    {"zero_init_skip", NL_CF_BOOL, M(zero_init_skip), 0, 1, 0, 0, SAME(0), NULL,
     "start the norm scale (gamma) of each skip's target block at 0, so every skip branch starts as the identity "
     "(needs order relu_norm)"},
    {"in_channels", NL_CF_INT, M(in_channels), 1, 4, 0, 0, SAME(3), NULL, "input channels (CIFAR-10: 3)"},
    {"in_hw", NL_CF_INT, M(in_hw), 4, 256, 0, 0, SAME(32), NULL, "input height and width (CIFAR-10: 32)"},
    {"classes", NL_CF_INT, M(classes), 2, 10, 0, 0, SAME(10), NULL, "output classes (CIFAR-10: 10)"},

    {"epochs", NL_CF_INT, T(epochs), 1, 1000, 0, 0, SAME(20), NULL, "passes over the training set"},
    {"batch", NL_CF_INT, T(batch), 1, 4096, 0, 0, SAME(128), NULL, "images per optimiser step"},
    {"schedule", NL_CF_ENUM, T(schedule), 0, 2, 0, 0, SAME(0), schedule_options,
     "learning-rate schedule: onecycle (PyTorch OneCycleLR), step (x step_gamma every step_epochs), const"},
    {"max_lr", NL_CF_FLOAT, T(max_lr), 0, 10, 1, 0, {0.1, 0.05, 0.05}, NULL,
     "peak learning rate (onecycle) or starting learning rate (step, const)"},
    {"momentum", NL_CF_FLOAT, T(momentum), 0, 1, 0, 1, SAME(0.9), NULL,
     "SGD momentum (when it is not cycled by onecycle)"},
    {"nesterov", NL_CF_BOOL, T(nesterov), 0, 1, 0, 0, SAME(0), NULL, "Nesterov momentum"},
    {"l1", NL_CF_FLOAT, T(l1), 0, 1, 0, 1, SAME(0), NULL, "L1 penalty: gradient += l1 * sign(w)"},
    {"l2", NL_CF_FLOAT, T(l2), 0, 1, 0, 1, SAME(5e-4), NULL, "L2 as weight decay: gradient += l2 * w"},
    {"norm_decay", NL_CF_BOOL, T(norm_decay), 0, 1, 0, 0, SAME(1), NULL,
     "apply l1 and l2 to the norm layers' gamma and beta too (false: to conv weights only)"},
    {"label_smoothing", NL_CF_FLOAT, T(label_smoothing), 0, 1, 0, 1, SAME(0), NULL,
     "label smoothing of the training loss"},
    {"pct_start", NL_CF_FLOAT, T(pct_start), 0, 1, 1, 1, SAME(0.25), NULL,
     "onecycle: share of the steps spent raising the learning rate"},
    {"div_factor", NL_CF_FLOAT, T(div_factor), 1, 1e6, 0, 0, SAME(25), NULL,
     "onecycle: the starting learning rate is max_lr / div_factor"},
    {"final_div_factor", NL_CF_FLOAT, T(final_div_factor), 1, 1e9, 0, 0, SAME(1e4), NULL,
     "onecycle: the last learning rate is the starting one / final_div_factor"},
    {"cycle_momentum", NL_CF_BOOL, T(cycle_momentum), 0, 1, 0, 0, SAME(1), NULL,
     "onecycle: cycle momentum between max_momentum and base_momentum, inversely to the learning rate"},
    {"base_momentum", NL_CF_FLOAT, T(base_momentum), 0, 1, 0, 1, SAME(0.85), NULL, "onecycle: lowest momentum"},
    {"max_momentum", NL_CF_FLOAT, T(max_momentum), 0, 1, 0, 1, SAME(0.95), NULL, "onecycle: highest momentum"},
    {"step_epochs", NL_CF_INT, T(step_epochs), 1, 1000, 0, 0, SAME(8), NULL,
     "step: epochs between learning-rate drops"},
    {"step_gamma", NL_CF_FLOAT, T(step_gamma), 0, 1, 1, 0, SAME(0.1), NULL, "step: factor of each drop"},
    {"crop", NL_CF_INT, T(aug_crop_pad), 0, 16, 0, 0, SAME(4), NULL,
     "augmentation: random 32x32 crop after zero padding by this many pixels (0 = off)"},
    {"flip", NL_CF_BOOL, T(aug_flip), 0, 1, 0, 0, SAME(1), NULL, "augmentation: random horizontal flip"},
    {"cutout", NL_CF_INT, T(aug_cutout), 0, 32, 0, 0, SAME(0), NULL,
     "augmentation: side of a zeroed square at a random place (0 = off)"},
    {"seed", NL_CF_SEED, T(seed), 0, 18446744073709551615.0, 0, 0, SAME(1), NULL,
     "seed of the weights, the shuffling, augmentation and dropout: 0 .. 2^64-1 (JSON: a decimal string)"},
    {"threads", NL_CF_INT, T(threads), 0, 64, 0, 0, SAME(0), NULL,
     "worker threads, 0 = every available core (results do not depend on it)"},
    {"val", NL_CF_INT, T(val), 0, 50000, 0, 0, SAME(0), NULL,
     "hold out this many training images (a tenth per class, the last ones of each class) as a validation set"},
    {"train_fraction", NL_CF_FLOAT, T(train_fraction), 0, 1, 1, 0, SAME(1), NULL,
     "train on this share of each class's images (the first ones of each class; the same for every seed)"},
};
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

const nl_config_field *nl_config_fields(int *count) {
    if (count) *count = N_FIELDS;
    return fields;
}

const nl_config_field *nl_config_field_by_name(const char *name) {
    for (int i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].name, name)) return &fields[i];
    return NULL;
}

void nl_config_flag_name(const nl_config_field *f, char *out, size_t n) {
    snprintf(out, n, "--%s", f->name);
    for (char *p = out + 2; *p; p++)
        if (*p == '_') *p = '-';
}

const nl_config_field *nl_config_field_by_flag(const char *flag, int *negated) {
    if (negated) *negated = 0;
    int no = !strncmp(flag, "--no-", 5); /* --no-NAME: a boolean set to false */
    for (int i = 0; i < N_FIELDS; i++) {
        char f[64];
        nl_config_flag_name(&fields[i], f, sizeof f);
        if (!strcmp(f, flag)) return &fields[i];
        if (no && fields[i].type == NL_CF_BOOL && !strcmp(f + 2, flag + 5)) {
            if (negated) *negated = 1;
            return &fields[i];
        }
    }
    return NULL;
}

/* ---- access to a field's value ---- */
static void *at(nl_config *c, const nl_config_field *f) { return (char *)c + f->offset; }
static const void *at_c(const nl_config *c, const nl_config_field *f) { return (const char *)c + f->offset; }

/* Enums are stored through an int: nl_norm_kind, nl_schedule_kind and nl_preset all are. */
static int get_int(const nl_config *c, const nl_config_field *f) {
    int v;
    memcpy(&v, at_c(c, f), sizeof v);
    return v;
}
static void set_int(nl_config *c, const nl_config_field *f, int v) { memcpy(at(c, f), &v, sizeof v); }

static double scalar_value(const nl_config *c, const nl_config_field *f) {
    switch (f->type) {
    case NL_CF_FLOAT: return *(const float *)at_c(c, f);
    case NL_CF_SEED: return (double)*(const uint64_t *)at_c(c, f);
    default: return get_int(c, f);
    }
}

/* ---- defaults ---- */
void nl_config_default(nl_config *c, nl_norm_kind norm, nl_preset preset) {
    memset(c, 0, sizeof *c);
    if (preset == NL_PRESET_REFERENCE) nl_model_desc_reference(&c->model, norm);
    else nl_model_desc_default(&c->model, norm);
    int k = norm == NL_NORM_GN ? 1 : norm == NL_NORM_LN ? 2 : 0;
    for (int i = 0; i < N_FIELDS; i++) {
        const nl_config_field *f = &fields[i];
        double d = f->def[k];
        switch (f->type) {
        case NL_CF_INT:
        case NL_CF_BOOL:
        case NL_CF_ENUM: set_int(c, f, (int)d); break;
        case NL_CF_FLOAT: *(float *)at(c, f) = (float)d; break;
        case NL_CF_SEED: *(uint64_t *)at(c, f) = (uint64_t)d; break;
        case NL_CF_BLOCKS:
        case NL_CF_SKIPS: break; /* from the preset */
        }
    }
    c->model.norm = norm;
    c->preset = preset;
    if (preset == NL_PRESET_REFERENCE) {
        /* the benchmark net (../shared/bench/reference-model.md) is conv -> norm -> ReLU with
         * plain convs, whatever the norms' tuned defaults say */
        c->model.order = NL_ORDER_NORM_RELU;
        c->model.weight_std = 0;
        c->model.zero_init_skip = 0;
    }
}

/* ---- ranges and messages ---- */
static void range_text(const nl_config_field *f, char *out, size_t n) {
    if (f->type == NL_CF_INT || f->type == NL_CF_BLOCKS) {
        snprintf(out, n, "an integer in %.0f..%.0f", f->min, f->max);
        return;
    }
    snprintf(out, n, "in %c%.9g, %.9g%c", f->min_open ? '(' : '[', f->min, f->max, f->max_open ? ')' : ']');
}

static int in_range(const nl_config_field *f, double v) {
    if (!(f->min_open ? v > f->min : v >= f->min)) return 0;
    return f->max_open ? v < f->max : v <= f->max;
}

static int out_of_range(const nl_config_field *f, const char *shown, const char *got, nl_status *st) {
    char r[64];
    range_text(f, r, sizeof r);
    return nl_fail(st, NL_EINVAL, "%s must be %s, got %.40s", shown, r, got);
}

static int check_number(const nl_config_field *f, const char *shown, double v, nl_status *st) {
    if (in_range(f, v)) return NL_OK;
    char got[40];
    snprintf(got, sizeof got, "%.9g", v);
    return out_of_range(f, shown, got, st);
}

static int option_index(const nl_config_field *f, const char *s) {
    for (int i = 0; f->options[i]; i++)
        if (!strcmp(f->options[i], s)) return i;
    return -1;
}

static int bad_option(const nl_config_field *f, const char *shown, const char *got, nl_status *st) {
    char list[96] = "";
    for (int i = 0; f->options[i]; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", i ? (f->options[i + 1] ? ", " : " or ") : "", f->options[i]);
    }
    return nl_fail(st, NL_EINVAL, "%s must be %s, got '%.40s'", shown, list, got);
}

static int layer_by_name(const char *s) {
    for (int l = 0; l < NL_NUM_LAYERS; l++)
        if (!strcmp(nl_layer_names[l], s)) return l;
    return -1;
}

int nl_config_validate_train(const nl_train_config *t, nl_status *st) {
    if (!t) return nl_fail(st, NL_EINVAL, "no training settings");
    nl_config c;
    memset(&c, 0, sizeof c);
    c.train = *t;
    for (int i = 0; i < N_FIELDS; i++) {
        const nl_config_field *f = &fields[i];
        if (f->model || f->type == NL_CF_SEED) continue;
        double v = scalar_value(&c, f);
        if (f->type == NL_CF_FLOAT && isnan(v)) return out_of_range(f, f->name, "nan", st);
        if (check_number(f, f->name, v, st)) return st ? st->code : NL_EINVAL;
    }
    if (t->schedule == NL_SCHED_ONECYCLE && t->cycle_momentum && t->base_momentum > t->max_momentum)
        return nl_fail(st, NL_EINVAL, "the momentum cycle needs base_momentum (%g) <= max_momentum (%g)",
                       (double)t->base_momentum, (double)t->max_momentum);
    if (t->val % NL_CIFAR_CLASSES)
        return nl_fail(st, NL_EINVAL, "val must be a multiple of %d (the same number of images from each class), got %d",
                       NL_CIFAR_CLASSES, t->val);
    return NL_OK;
}

int nl_config_validate(const nl_config *c, nl_status *st) {
    if (!c) return nl_fail(st, NL_EINVAL, "no configuration");
    for (int i = 0; i < N_FIELDS; i++) {
        const nl_config_field *f = &fields[i];
        if (!f->model) continue;
        if (f->type == NL_CF_BLOCKS) {
            const int *v = at_c(c, f);
            for (int b = 0; b < NL_NUM_BLOCKS; b++)
                if (!in_range(f, v[b])) {
                    char shown[48], got[16];
                    snprintf(shown, sizeof shown, "%s of %s", f->name, nl_layer_names[nl_block_layer(b)]);
                    snprintf(got, sizeof got, "%d", v[b]);
                    return out_of_range(f, shown, got, st);
                }
        } else if (f->type != NL_CF_SKIPS) {
            double v = scalar_value(c, f);
            if (f->type == NL_CF_FLOAT && isnan(v)) return out_of_range(f, f->name, "nan", st);
            if (check_number(f, f->name, v, st)) return st ? st->code : NL_EINVAL;
        }
    }
    nl_status inner;
    if (nl_model_desc_validate(&c->model, &inner)) {
        const char *m = inner.msg;
        if (!strncmp(m, "model: ", 7)) m += 7;
        return nl_fail(st, inner.code, "%s", m);
    }
    return nl_config_validate_train(&c->train, st);
}

/* ---- setting one field from JSON or from a flag's text ---- */
static int set_number(nl_config *c, const nl_config_field *f, const char *shown, double v, int integral,
                      const char *got, nl_status *st) {
    if ((f->type == NL_CF_INT || f->type == NL_CF_BLOCKS) && !integral) return out_of_range(f, shown, got, st);
    if (!in_range(f, v)) return out_of_range(f, shown, got, st);
    if (f->type == NL_CF_FLOAT) *(float *)at(c, f) = (float)v; /* in range, so within FLT_MAX */
    else set_int(c, f, (int)v);
    return NL_OK;
}

static int set_seed_text(nl_config *c, const nl_config_field *f, const char *shown, const char *s, nl_status *st) {
    int digits = *s != '\0';
    for (const char *p = s; *p; p++) digits &= *p >= '0' && *p <= '9';
    errno = 0;
    unsigned long long v = digits ? strtoull(s, NULL, 10) : 0;
    if (!digits || errno == ERANGE || strlen(s) > 20)
        return nl_fail(st, NL_EINVAL, "%s must be an integer in 0..18446744073709551615 (2^64-1), got '%.40s'", shown,
                       s);
    *(uint64_t *)at(c, f) = (uint64_t)v;
    return NL_OK;
}

static int set_blocks_json(nl_config *c, const nl_config_field *f, const char *shown, const nl_json *v,
                           nl_status *st) {
    int tmp[NL_NUM_BLOCKS];
    if (v->type != NL_JSON_ARRAY || v->len != NL_NUM_BLOCKS)
        return nl_fail(st, NL_EINVAL, "%s must be a list of %d integers (C1 C2 c3 C3 C4 C5 c6 C7 C8 C9)", shown,
                       NL_NUM_BLOCKS);
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        const nl_json *e = &v->items[b];
        char got[40];
        snprintf(got, sizeof got, "%.9g", e->type == NL_JSON_NUMBER ? e->number : NAN);
        if (e->type != NL_JSON_NUMBER || !e->is_int || !in_range(f, (double)e->integer)) {
            char item[48];
            snprintf(item, sizeof item, "%s of %s", shown, nl_layer_names[nl_block_layer(b)]);
            return out_of_range(f, item, e->type == NL_JSON_NUMBER ? got : nl_json_type_name(e->type), st);
        }
        tmp[b] = (int)e->integer;
    }
    memcpy(at(c, f), tmp, sizeof tmp);
    return NL_OK;
}

static int set_skip_list(nl_config *c, const char *shown, const char *const *ends, int n, nl_status *st) {
    if (n > NL_MAX_SKIPS) return nl_fail(st, NL_EINVAL, "%s: at most %d skips, got %d", shown, NL_MAX_SKIPS, n);
    nl_skip tmp[NL_MAX_SKIPS];
    for (int i = 0; i < n; i++) {
        int from = layer_by_name(ends[2 * i]), to = layer_by_name(ends[2 * i + 1]);
        if (from < 0 || to < 0)
            return nl_fail(st, NL_EINVAL,
                           "%s: unknown layer '%.20s' (layers: C1 C2 c3 P1 C3 C4 C5 c6 P2 C7 C8 C9 GAP c10)", shown,
                           from < 0 ? ends[2 * i] : ends[2 * i + 1]);
        tmp[i] = (nl_skip){from, to};
    }
    memset(c->model.skips, 0, sizeof c->model.skips);
    memcpy(c->model.skips, tmp, sizeof(nl_skip) * (size_t)n);
    c->model.n_skips = n;
    return NL_OK;
}

static int set_skips_json(nl_config *c, const char *shown, const nl_json *v, nl_status *st) {
    const char *ends[2 * (NL_MAX_SKIPS + 1)];
    if (v->type != NL_JSON_ARRAY)
        return nl_fail(st, NL_EINVAL, "%s must be a list of [\"FROM\", \"TO\"] layer-name pairs", shown);
    if (v->len > NL_MAX_SKIPS)
        return nl_fail(st, NL_EINVAL, "%s: at most %d skips, got %zu", shown, NL_MAX_SKIPS, v->len);
    for (size_t i = 0; i < v->len; i++) {
        const nl_json *p = &v->items[i];
        if (p->type != NL_JSON_ARRAY || p->len != 2 || p->items[0].type != NL_JSON_STRING ||
            p->items[1].type != NL_JSON_STRING)
            return nl_fail(st, NL_EINVAL, "%s must be a list of [\"FROM\", \"TO\"] layer-name pairs", shown);
        ends[2 * i] = p->items[0].str;
        ends[2 * i + 1] = p->items[1].str;
    }
    return set_skip_list(c, shown, ends, (int)v->len, st);
}

static int set_json(nl_config *c, const nl_config_field *f, const nl_json *v, nl_status *st) {
    const char *shown = f->name;
    char got[48];
    if (v->type == NL_JSON_NUMBER) snprintf(got, sizeof got, "%.9g", v->number);
    else snprintf(got, sizeof got, "%s", v->type == NL_JSON_STRING ? v->str : nl_json_type_name(v->type));
    switch (f->type) {
    case NL_CF_INT:
    case NL_CF_FLOAT:
        if (v->type != NL_JSON_NUMBER) return out_of_range(f, shown, got, st);
        return set_number(c, f, shown, v->number, v->is_int, got, st);
    case NL_CF_BOOL:
        if (v->type != NL_JSON_BOOL) return nl_fail(st, NL_EINVAL, "%s must be true or false, got %.40s", shown, got);
        set_int(c, f, v->boolean);
        return NL_OK;
    case NL_CF_ENUM: {
        int k = v->type == NL_JSON_STRING ? option_index(f, v->str) : -1;
        if (k < 0) return bad_option(f, shown, got, st);
        set_int(c, f, k);
        return NL_OK;
    }
    case NL_CF_SEED:
        if (v->type == NL_JSON_STRING) return set_seed_text(c, f, shown, v->str, st);
        if (v->type != NL_JSON_NUMBER || !v->is_int || v->integer < 0 || (double)v->integer > SAFE_INT_MAX)
            return nl_fail(st, NL_EINVAL,
                           "%s must be a decimal string \"0\" .. \"18446744073709551615\" (or an integer up to "
                           "2^53-1), got %.40s",
                           shown, got);
        *(uint64_t *)at(c, f) = (uint64_t)v->integer;
        return NL_OK;
    case NL_CF_BLOCKS: return set_blocks_json(c, f, shown, v, st);
    case NL_CF_SKIPS: return set_skips_json(c, shown, v, st);
    }
    return nl_fail(st, NL_EINVAL, "%s: unsupported", shown);
}

/* A number typed on a command line: the whole text, finite. */
static int parse_number_text(const char *s, double *out, int *integral) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return 0;
    *out = v;
    *integral = strcspn(s, ".eEnN") == strlen(s) && v == floor(v);
    return 1;
}

static int set_text(nl_config *c, const nl_config_field *f, const char *shown, const char *s, int negated,
                    nl_status *st) {
    if (f->type == NL_CF_BOOL) {
        int v = 1;
        if (s) {
            if (!strcmp(s, "1") || !strcmp(s, "true")) v = 1;
            else if (!strcmp(s, "0") || !strcmp(s, "false")) v = 0;
            else return nl_fail(st, NL_EINVAL, "%s takes 0, 1, true or false, got '%.40s'", shown, s);
        }
        set_int(c, f, negated ? !v : v);
        return NL_OK;
    }
    if (!s) return nl_fail(st, NL_EINVAL, "%s needs a value", shown);
    /* a JSON value (a list, a quoted string) is welcome on the command line too */
    if (s[0] == '[' || s[0] == '"') {
        nl_status inner;
        nl_json *v = nl_json_parse(s, strlen(s), &inner);
        if (!v) return nl_fail(st, NL_EINVAL, "%s: '%.40s' is not valid JSON: %s", shown, s, inner.msg);
        int rc = set_json(c, f, v, st);
        nl_json_free(v);
        if (rc && st && strncmp(st->msg, shown, strlen(shown)) != 0) {
            char msg[sizeof st->msg];
            memcpy(msg, st->msg, sizeof msg);
            nl_fail(st, rc, "%s: %.200s", shown, msg);
        }
        return rc;
    }
    switch (f->type) {
    case NL_CF_INT:
    case NL_CF_FLOAT: {
        double v;
        int integral;
        if (!parse_number_text(s, &v, &integral)) return out_of_range(f, shown, s, st);
        return set_number(c, f, shown, v, integral, s, st);
    }
    case NL_CF_ENUM: {
        int k = option_index(f, s);
        if (k < 0) return bad_option(f, shown, s, st);
        set_int(c, f, k);
        return NL_OK;
    }
    case NL_CF_SEED: return set_seed_text(c, f, shown, s, st);
    case NL_CF_BLOCKS: {
        int tmp[NL_NUM_BLOCKS], n = 0;
        const char *p = s;
        while (n < NL_NUM_BLOCKS) {
            char item[24];
            size_t len = strcspn(p, ",");
            if (len == 0 || len >= sizeof item) break;
            memcpy(item, p, len);
            item[len] = '\0';
            double v;
            int integral;
            if (!parse_number_text(item, &v, &integral) || !integral || !in_range(f, v)) {
                char where[48];
                snprintf(where, sizeof where, "%s item %d", shown, n + 1);
                return out_of_range(f, where, item, st);
            }
            tmp[n++] = (int)v;
            p += len;
            if (*p != ',') break;
            p++;
        }
        if (n != NL_NUM_BLOCKS || *p)
            return nl_fail(st, NL_EINVAL, "%s needs %d comma-separated integers (C1 C2 c3 C3 C4 C5 c6 C7 C8 C9), got '%.60s'",
                           shown, NL_NUM_BLOCKS, s);
        memcpy(at(c, f), tmp, sizeof tmp);
        return NL_OK;
    }
    case NL_CF_SKIPS: {
        /* "C3-C5,C7-C9" or "none" */
        char buf[256];
        char *ends[2 * (NL_MAX_SKIPS + 1)];
        int n = 0;
        if (!strcmp(s, "none") || !*s) return set_skip_list(c, shown, NULL, 0, st);
        if (strlen(s) >= sizeof buf) return nl_fail(st, NL_EINVAL, "%s: value too long", shown);
        strcpy(buf, s);
        for (char *p = buf; p;) {
            char *comma = strchr(p, ',');
            if (comma) *comma = '\0';
            char *dash = strchr(p, '-');
            if (!dash || n == NL_MAX_SKIPS + 1)
                return nl_fail(st, NL_EINVAL, "%s takes FROM-TO pairs like C3-C5,C7-C9 (at most %d), got '%.60s'",
                               shown, NL_MAX_SKIPS, s);
            *dash = '\0';
            ends[2 * n] = p;
            ends[2 * n + 1] = dash + 1;
            n++;
            p = comma ? comma + 1 : NULL;
        }
        return set_skip_list(c, shown, (const char *const *)ends, n, st);
    }
    case NL_CF_BOOL: break;
    }
    return nl_fail(st, NL_EINVAL, "%s: unsupported", shown);
}

/* ---- building a configuration ---- */
static int check_header(const nl_json *obj, int *model_only, nl_status *st) {
    *model_only = 0;
    const nl_json *format = nl_json_get(obj, "format"), *version = nl_json_get(obj, "version");
    if (format) {
        if (format->type == NL_JSON_STRING && !strcmp(format->str, "normlab-model")) *model_only = 1;
        else if (format->type != NL_JSON_STRING || strcmp(format->str, "normlab-config") != 0)
            return nl_fail(st, NL_EFORMAT, "format must be \"normlab-config\" (or \"normlab-model\")");
    }
    if (version) {
        if (version->type != NL_JSON_NUMBER || !version->is_int)
            return nl_fail(st, NL_EFORMAT, "version must be an integer");
        if (version->integer != NL_CONFIG_VERSION)
            return nl_fail(st, NL_EMISMATCH, "version %lld is not supported (this build reads version %d)",
                           (long long)version->integer, NL_CONFIG_VERSION);
    }
    return NL_OK;
}

static int check_layout(const nl_json *v, nl_status *st) {
    int ok = v->type == NL_JSON_ARRAY && v->len == NL_NUM_LAYERS;
    for (int l = 0; ok && l < NL_NUM_LAYERS; l++)
        ok = v->items[l].type == NL_JSON_STRING && !strcmp(v->items[l].str, nl_layer_names[l]);
    if (!ok)
        return nl_fail(st, NL_EMISMATCH,
                       "layout must be [\"C1\", \"C2\", \"c3\", \"P1\", \"C3\", \"C4\", \"C5\", \"c6\", \"P2\", \"C7\", "
                       "\"C8\", \"C9\", \"GAP\", \"c10\"] (the only layout supported)");
    return NL_OK;
}

/* The norm or preset as the sources say (the last word wins), or the default. */
static int pick_enum(const nl_json *obj, const nl_config_override *ov, int n_ov, const char *name, int *out,
                     nl_status *st) {
    nl_config scratch;
    memset(&scratch, 0, sizeof scratch);
    const nl_config_field *f = nl_config_field_by_name(name);
    set_int(&scratch, f, 0);
    const nl_json *v = obj ? nl_json_get(obj, name) : NULL;
    if (v && set_json(&scratch, f, v, st)) return st ? st->code : NL_EINVAL;
    for (int i = 0; i < n_ov; i++)
        if (ov[i].field == f) {
            char flag[64];
            nl_config_flag_name(f, flag, sizeof flag);
            if (set_text(&scratch, f, flag, ov[i].text, ov[i].negated, st)) return st ? st->code : NL_EINVAL;
        }
    *out = get_int(&scratch, f);
    return NL_OK;
}

int nl_config_build(const nl_json *obj, const nl_config_override *ov, int n_ov, nl_config *out, nl_status *st) {
    if (!out || (n_ov && !ov)) return nl_fail(st, NL_EINVAL, "config: missing argument");
    int model_only = 0;
    if (obj) {
        if (obj->type != NL_JSON_OBJECT) return nl_fail(st, NL_EFORMAT, "the configuration must be a JSON object");
        if (check_header(obj, &model_only, st)) return st ? st->code : NL_EFORMAT;
    }
    int norm, preset;
    if (pick_enum(obj, ov, n_ov, "norm", &norm, st) || pick_enum(obj, ov, n_ov, "preset", &preset, st))
        return st ? st->code : NL_EINVAL;
    nl_config c;
    nl_config_default(&c, (nl_norm_kind)norm, (nl_preset)preset);
    for (size_t i = 0; obj && i < obj->len; i++) {
        const char *k = obj->keys[i];
        if (!strcmp(k, "format") || !strcmp(k, "version")) continue;
        if (!strcmp(k, "layout")) {
            if (check_layout(&obj->items[i], st)) return st ? st->code : NL_EMISMATCH;
            continue;
        }
        const nl_config_field *f = nl_config_field_by_name(k);
        if (!f || (model_only && !f->model))
            return nl_fail(st, NL_EFORMAT, "unknown field '%.60s'%s", k, model_only ? " in a model description" : "");
        if (set_json(&c, f, &obj->items[i], st)) return st ? st->code : NL_EINVAL;
    }
    for (int i = 0; i < n_ov; i++) {
        char flag[64];
        nl_config_flag_name(ov[i].field, flag, sizeof flag);
        if (set_text(&c, ov[i].field, flag, ov[i].text, ov[i].negated, st)) return st ? st->code : NL_EINVAL;
    }
    if (nl_config_validate(&c, st)) return st ? st->code : NL_EINVAL;
    *out = c;
    return NL_OK;
}

/* What a model description must say (a run configuration may leave these out). */
static int check_model_required(const nl_json *root, nl_status *st) {
    if (root->type != NL_JSON_OBJECT) return nl_fail(st, NL_EFORMAT, "the top level must be an object");
    const nl_json *format = nl_json_get(root, "format");
    if (!format) return nl_fail(st, NL_EFORMAT, "missing field 'format' (expected \"normlab-model\")");
    if (format->type != NL_JSON_STRING || strcmp(format->str, "normlab-model") != 0)
        return nl_fail(st, NL_EFORMAT, "format must be \"normlab-model\"");
    if (!nl_json_get(root, "version")) return nl_fail(st, NL_EFORMAT, "missing field 'version' (expected 1)");
    if (!nl_json_get(root, "norm")) return nl_fail(st, NL_EFORMAT, "missing field 'norm' (bn, gn or ln)");
    return NL_OK;
}

int nl_config_parse(const char *json, size_t len, int model_description, nl_config *out, nl_status *st) {
    const char *what = model_description ? "model JSON" : "config";
    if ((!json && len) || !out) return nl_fail(st, NL_EINVAL, "%s: missing argument", what);
    nl_status inner;
    nl_json *root = nl_json_parse(json, len, &inner);
    if (!root) return nl_fail(st, inner.code, "%s: %s", what, inner.msg);
    int rc = model_description ? check_model_required(root, &inner) : NL_OK;
    if (!rc) rc = nl_config_build(root, NULL, 0, out, &inner);
    nl_json_free(root);
    if (rc) nl_fail(st, rc, "%s: %s", what, inner.msg);
    return rc;
}

int nl_config_from_json(const char *json, size_t len, nl_config *out, nl_status *st) {
    return nl_config_parse(json, len, 0, out, st);
}

int nl_config_from_json_file(const char *path, nl_config *out, nl_status *st) {
    uint8_t *buf;
    size_t len;
    int rc = nl_file_read_all(path, &buf, &len, CONFIG_MAX_FILE, st);
    if (rc) return rc;
    nl_status inner;
    rc = nl_config_from_json((const char *)buf, len, out, &inner);
    free(buf);
    if (rc) nl_fail(st, rc, "%.100s: %.150s", path, inner.msg);
    return rc;
}

/* ---- writing ---- */
static void put_value(nl_buf *b, const nl_config *c, const nl_config_field *f) {
    char num[32];
    switch (f->type) {
    case NL_CF_INT: nl_buf_printf(b, "%d", get_int(c, f)); break;
    case NL_CF_BOOL: nl_buf_str(b, get_int(c, f) ? "true" : "false"); break;
    case NL_CF_ENUM: nl_buf_printf(b, "\"%s\"", f->options[get_int(c, f)]); break;
    case NL_CF_FLOAT:
        nl_json_format_float(num, sizeof num, *(const float *)at_c(c, f));
        nl_buf_str(b, num);
        break;
    case NL_CF_SEED: nl_buf_printf(b, "\"%llu\"", (unsigned long long)*(const uint64_t *)at_c(c, f)); break;
    case NL_CF_BLOCKS: {
        const int *v = at_c(c, f);
        nl_buf_str(b, "[");
        for (int i = 0; i < NL_NUM_BLOCKS; i++) nl_buf_printf(b, "%s%d", i ? ", " : "", v[i]);
        nl_buf_str(b, "]");
        break;
    }
    case NL_CF_SKIPS:
        nl_buf_str(b, "[");
        for (int i = 0; i < c->model.n_skips; i++)
            nl_buf_printf(b, "%s[\"%s\", \"%s\"]", i ? ", " : "", nl_layer_names[c->model.skips[i].from],
                          nl_layer_names[c->model.skips[i].to]);
        nl_buf_str(b, "]");
        break;
    }
}

int nl_config_to_json(const nl_config *c, nl_buf *out, int pretty, nl_status *st) {
    if (!c || !out) return nl_fail(st, NL_EINVAL, "config: missing argument");
    nl_status inner;
    if (nl_config_validate(c, &inner))
        return nl_fail(st, NL_EINVAL, "config: cannot write an invalid configuration: %s", inner.msg);
    const char *sep = pretty ? ",\n  " : ", ";
    nl_buf_printf(out, "{%s\"format\": \"normlab-config\"%s\"version\": %d", pretty ? "\n  " : "", sep,
                  NL_CONFIG_VERSION);
    for (int i = 0; i < N_FIELDS; i++) {
        nl_buf_printf(out, "%s\"%s\": ", sep, fields[i].name);
        put_value(out, c, &fields[i]);
    }
    nl_buf_str(out, pretty ? "\n}\n" : "}");
    if (out->oom) return nl_fail(st, NL_ENOMEM, "config: out of memory");
    return NL_OK;
}

int nl_config_model_json(const nl_model_desc *d, nl_buf *out, nl_status *st) {
    nl_config c;
    memset(&c, 0, sizeof c);
    c.model = *d;
    nl_status inner;
    if (nl_model_desc_validate(d, &inner))
        return nl_fail(st, NL_EINVAL, "cannot describe an invalid model: %s", inner.msg);
    nl_buf_printf(out, "{\n  \"format\": \"normlab-model\",\n  \"version\": %d,\n  \"layout\": [", NL_CONFIG_VERSION);
    for (int l = 0; l < NL_NUM_LAYERS; l++) nl_buf_printf(out, "%s\"%s\"", l ? ", " : "", nl_layer_names[l]);
    nl_buf_str(out, "]");
    for (int i = 0; i < N_FIELDS; i++) {
        if (!fields[i].model || fields[i].offset == offsetof(nl_config, preset)) continue;
        nl_buf_printf(out, ",\n  \"%s\": ", fields[i].name);
        put_value(out, &c, &fields[i]);
    }
    nl_buf_str(out, "\n}");
    if (out->oom) return nl_fail(st, NL_ENOMEM, "out of memory");
    return NL_OK;
}

static int same_architecture(const nl_model_desc *a, const nl_model_desc *b) {
    if (memcmp(a->width, b->width, sizeof a->width) || memcmp(a->pad, b->pad, sizeof a->pad)) return 0;
    if (a->n_skips != b->n_skips) return 0;
    for (int i = 0; i < a->n_skips; i++)
        if (a->skips[i].from != b->skips[i].from || a->skips[i].to != b->skips[i].to) return 0;
    return 1;
}

void nl_config_of(nl_config *c, const nl_model_desc *d, const nl_train_config *t) {
    memset(c, 0, sizeof *c);
    c->model = *d;
    c->train = *t;
    nl_model_desc ref;
    nl_model_desc_reference(&ref, d->norm);
    c->preset = same_architecture(d, &ref) ? NL_PRESET_REFERENCE : NL_PRESET_DEFAULT;
}

/* ---- the schema ---- */
static const char *type_name(nl_config_type t) {
    static const char *const names[] = {"int", "float", "bool", "enum", "seed", "int_list", "skips"};
    return names[t];
}

static void put_schema_number(nl_buf *b, double v) {
    if (v == floor(v) && fabs(v) < 1e15) nl_buf_printf(b, "%.0f", v);
    else nl_buf_printf(b, "%.9g", v);
}

int nl_config_schema_json(nl_buf *b, nl_status *st) {
    nl_config defs[3][2];
    for (int n = 0; n < 3; n++)
        for (int p = 0; p < 2; p++) nl_config_default(&defs[n][p], (nl_norm_kind)n, (nl_preset)p);
    nl_buf_printf(b, "{\"format\": \"normlab-config-schema\", \"version\": %d, \"fields\": [", NL_CONFIG_VERSION);
    for (int i = 0; i < N_FIELDS; i++) {
        const nl_config_field *f = &fields[i];
        char flag[64];
        nl_config_flag_name(f, flag, sizeof flag);
        nl_buf_printf(b, "%s\n{\"name\": \"%s\", \"flag\": \"%s\", \"section\": \"%s\", \"type\": \"%s\"", i ? "," : "",
                      f->name, flag, f->model ? "model" : "train", type_name(f->type));
        if (f->type == NL_CF_SEED) {
            nl_buf_str(b, ", \"min\": \"0\", \"max\": \"18446744073709551615\"");
        } else if (f->type != NL_CF_SKIPS && f->type != NL_CF_ENUM && f->type != NL_CF_BOOL) {
            nl_buf_str(b, ", \"min\": ");
            put_schema_number(b, f->min);
            nl_buf_str(b, ", \"max\": ");
            put_schema_number(b, f->max);
            nl_buf_printf(b, ", \"min_open\": %s, \"max_open\": %s", f->min_open ? "true" : "false",
                          f->max_open ? "true" : "false");
        }
        if (f->options) {
            nl_buf_str(b, ", \"options\": [");
            for (int k = 0; f->options[k]; k++) nl_buf_printf(b, "%s\"%s\"", k ? ", " : "", f->options[k]);
            nl_buf_str(b, "]");
        }
        nl_buf_str(b, ", \"default\": ");
        put_value(b, &defs[0][0], f);
        if (f->type == NL_CF_BLOCKS || f->type == NL_CF_SKIPS) {
            nl_buf_str(b, ", \"presets\": {");
            for (int p = 0; p < 2; p++) {
                nl_buf_printf(b, "%s\"%s\": ", p ? ", " : "", preset_options[p]);
                put_value(b, &defs[0][p], f);
            }
            nl_buf_str(b, "}");
        } else {
            nl_buf_str(b, ", \"defaults\": {");
            for (int n = 0; n < 3; n++) {
                nl_buf_printf(b, "%s\"%s\": ", n ? ", " : "", norm_options[n]);
                put_value(b, &defs[n][0], f);
            }
            nl_buf_str(b, "}");
        }
        nl_buf_str(b, ", \"help\": ");
        nl_json_put_string(b, f->help);
        nl_buf_str(b, "}");
    }
    nl_buf_str(b, "\n]}");
    if (b->oom) return nl_fail(st, NL_ENOMEM, "config schema: out of memory");
    return NL_OK;
}
