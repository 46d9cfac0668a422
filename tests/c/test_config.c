/* The settings table (serialize/nl_config.h): every field survives config -> JSON -> config;
 * every bad value is rejected with a message naming the field (JSON name or CLI flag) and
 * its range; flags equal JSON; a JSON file plus overriding flags; 64-bit seeds; per-norm
 * defaults; checkpoints embed the configuration, refuse the old format with a message that
 * says so, and range-check their counters; the validation split and train_fraction. */
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_crc32.h"
#include "nl_synth.h"
#include "nl_test.h"
#include "serialize/nl_checkpoint.h"
#include "serialize/nl_config.h"
#include "serialize/nl_safetensors.h"

static int same_config(const nl_config *a, const nl_config *b) {
    return !memcmp(&a->model, &b->model, sizeof a->model) && !memcmp(&a->train, &b->train, sizeof a->train) &&
           a->preset == b->preset;
}

static int from_text(const char *json, nl_config *c, nl_status *st) {
    return nl_config_from_json(json, strlen(json), c, st);
}

static int round_trip(const nl_config *c, nl_config *back, nl_status *st) {
    nl_buf b = {0};
    int rc = nl_config_to_json(c, &b, 1, st);
    if (!rc) rc = nl_config_from_json(nl_buf_text(&b), b.len, back, st);
    nl_buf_free(&b);
    return rc;
}

/* A value of f that is valid and differs from the default. */
static void set_other(nl_config *c, const nl_config_field *f) {
    void *p = (char *)c + f->offset;
    int iv;
    switch (f->type) {
    case NL_CF_INT:
        memcpy(&iv, p, sizeof iv);
        iv = iv == (int)f->max ? (int)f->max - 1 : (int)f->max;
        if (!strcmp(f->name, "groups")) iv = 4;        /* must divide every width */
        if (!strcmp(f->name, "group_size")) iv = 4;
        if (!strcmp(f->name, "val")) iv = 5000;        /* a multiple of 10 */
        if (!strcmp(f->name, "in_hw")) iv = 64;
        if (!strcmp(f->name, "in_channels")) iv = 1;
        memcpy(p, &iv, sizeof iv);
        break;
    case NL_CF_FLOAT: *(float *)p = (float)(f->min + (f->max - f->min) * 0.3125); break;
    case NL_CF_BOOL:
    case NL_CF_ENUM:
        memcpy(&iv, p, sizeof iv);
        iv = iv ? 0 : 1;
        memcpy(p, &iv, sizeof iv);
        if (!strcmp(f->name, "zero_init_skip")) c->model.order = NL_ORDER_RELU_NORM; /* what it needs */
        break;
    case NL_CF_SEED: *(uint64_t *)p = UINT64_MAX; break;
    case NL_CF_BLOCKS: {
        int *v = p;
        for (int b = 0; b < NL_NUM_BLOCKS; b++) v[b] = f->max == 1 ? (b == 3 ? 0 : v[b]) : v[b] + 4;
        break;
    }
    case NL_CF_SKIPS:
        memset(c->model.skips, 0, sizeof c->model.skips);
        c->model.n_skips = 1;
        c->model.skips[0] = (nl_skip){NL_L_C7, NL_L_C9};
        break;
    }
}

static void test_round_trip(void) {
    int n;
    const nl_config_field *fields = nl_config_fields(&n);
    CHECK(n >= 35);
    for (int i = 0; i < n; i++) {
        const nl_config_field *f = &fields[i];
        nl_config c, back;
        nl_status st;
        nl_config_default(&c, NL_NORM_GN, NL_PRESET_DEFAULT);
        set_other(&c, f);
        c.train.base_momentum = 0.25f; /* below any max_momentum set here */
        CHECK_MSG(nl_config_validate(&c, &st) == 0, "%s: the changed value is invalid: %s", f->name, st.msg);
        CHECK_MSG(round_trip(&c, &back, &st) == 0, "%s: %s", f->name, st.msg);
        CHECK_MSG(same_config(&c, &back), "%s: config -> JSON -> config differs", f->name);
        nl_config def;
        nl_config_default(&def, NL_NORM_GN, NL_PRESET_DEFAULT);
        CHECK_MSG(!same_config(&c, &def) || !strcmp(f->name, "preset"), "%s: the test did not change it", f->name);
    }
    /* every field is in the JSON, with format and version */
    nl_config c;
    nl_config_default(&c, NL_NORM_BN, NL_PRESET_REFERENCE);
    nl_buf b = {0};
    nl_status st;
    CHECK(nl_config_to_json(&c, &b, 0, &st) == 0);
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\": ", fields[i].name);
        CHECK_MSG(strstr(nl_buf_text(&b), key) != NULL, "JSON lacks %s", fields[i].name);
    }
    CHECK(strstr(nl_buf_text(&b), "\"format\": \"normlab-config\", \"version\": 1") != NULL);
    CHECK(strstr(nl_buf_text(&b), "\"preset\": \"reference\"") != NULL);
    nl_buf_free(&b);
}

/* Each field with a value out of its range, in JSON and as a flag: rejected, named. */
static void test_bad_values(void) {
    int n;
    const nl_config_field *fields = nl_config_fields(&n);
    for (int i = 0; i < n; i++) {
        const nl_config_field *f = &fields[i];
        char json[256], text[64], flag[64];
        switch (f->type) {
        case NL_CF_INT:
        case NL_CF_FLOAT: snprintf(text, sizeof text, "%.17g", f->max + (f->max_open ? 0 : 1)); break;
        case NL_CF_BOOL: snprintf(text, sizeof text, "2"); break;
        case NL_CF_ENUM: snprintf(text, sizeof text, "\"xx\""); break;
        case NL_CF_SEED: snprintf(text, sizeof text, "\"18446744073709551616\""); break;
        case NL_CF_BLOCKS: snprintf(text, sizeof text, "[1, 2, 3]"); break;
        case NL_CF_SKIPS: snprintf(text, sizeof text, "[[\"C1\", \"X9\"]]"); break;
        }
        snprintf(json, sizeof json, "{\"%s\": %s}", f->name, text);
        nl_config c;
        nl_status st = {0};
        int rc = from_text(json, &c, &st);
        CHECK_MSG(rc != 0 && strstr(st.msg, f->name) != NULL, "%s: got %d '%s'", json, rc, st.msg);
        /* the same value as a flag: the message names the flag */
        nl_config_flag_name(f, flag, sizeof flag);
        const char *v = text;
        char unq[64];
        if (text[0] == '"') { /* flags take the bare word */
            snprintf(unq, sizeof unq, "%.*s", (int)strlen(text) - 2, text + 1);
            v = unq;
        }
        nl_config_override ov = {f, v, 0};
        rc = nl_config_build(NULL, &ov, 1, &c, &st);
        CHECK_MSG(rc != 0 && strstr(st.msg, flag) != NULL, "%s %s: got %d '%s'", flag, v, rc, st.msg);
    }
    /* ranges in the message; beyond FLT_MAX; wrong types; unknown fields; cross-field rules */
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"max_lr\": 11}", "max_lr must be in (0, 10], got 11"},
        {"{\"max_lr\": 0}", "max_lr must be in (0, 10], got 0"},
        {"{\"dropout\": 1e300}", "dropout must be in [0, 1), got 1e+300"},
        {"{\"l2\": -1e39}", "l2 must be in [0, 1), got -1e+39"},
        {"{\"epochs\": 2.5}", "epochs must be an integer in 1..1000, got 2.5"},
        {"{\"epochs\": 1e30}", "epochs must be an integer in 1..1000"},
        {"{\"epochs\": \"3\"}", "epochs must be an integer in 1..1000, got 3"},
        {"{\"nesterov\": 1}", "nesterov must be true or false"},
        {"{\"schedule\": \"cosine\"}", "schedule must be onecycle, step or const, got 'cosine'"},
        {"{\"norm\": \"xx\"}", "norm must be bn, gn or ln"},
        {"{\"widths\": [16, 24, 16, 28, 28, 28, 24, 32, 32, 999]}", "widths of C9 must be an integer in 1..256, got 999"},
        {"{\"skips\": [\"C3-C5\"]}", "skips must be a list of"},
        {"{\"skips\": [[\"C1\", \"C9\"]]}", "shapes differ"},
        {"{\"colour\": 1}", "unknown field 'colour'"},
        {"{\"format\": \"normlab-model\", \"version\": 1, \"norm\": \"bn\", \"epochs\": 3}", "unknown field 'epochs' in a model description"},
        {"{\"format\": \"other\"}", "format must be \"normlab-config\""},
        {"{\"version\": 2}", "version 2 is not supported"},
        {"{\"norm\": \"gn\", \"groups\": 3}", "3 groups do not divide the 16 channels of C1"},
        {"{\"val\": 55}", "val must be a multiple of 10"},
        {"{\"base_momentum\": 0.96}", "base_momentum (0.96) <= max_momentum (0.95)"},
        {"{\"seed\": -1}", "seed must be a decimal string"},
        {"{\"seed\": 9007199254740992}", "seed must be a decimal string"},
        {"{\"seed\": \"12x\"}", "seed must be an integer in 0..18446744073709551615"},
        {"{\"threads\": 65}", "threads must be an integer in 0..64, got 65"},
        {"{\"train_fraction\": 0}", "train_fraction must be in (0, 1], got 0"},
        {"[1]", "must be a JSON object"},
        {"{\"epochs\": 3,}", "unexpected character '}'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nl_config c;
        nl_status st = {0};
        int rc = from_text(cases[i].json, &c, &st);
        CHECK_MSG(rc != 0 && strstr(st.msg, cases[i].want) != NULL, "%s: got '%s', want '%s'", cases[i].json, st.msg,
                  cases[i].want);
    }
}

static void test_flags_and_overrides(void) {
    /* flags == JSON */
    const char *json = "{\"norm\": \"gn\", \"preset\": \"reference\", \"groups\": 4, \"max_lr\": 0.05, \"nesterov\": true, "
                       "\"cycle_momentum\": false, \"skips\": [[\"P1\", \"c6\"], [\"C7\", \"C9\"]], \"seed\": \"4000000000\", "
                       "\"widths\": [16, 32, 16, 24, 32, 32, 16, 32, 32, 32], \"flip\": false, \"val\": 5000}";
    struct {
        const char *flag, *value;
    } flags[] = {{"--norm", "gn"},       {"--preset", "reference"}, {"--groups", "4"},
                 {"--max-lr", "0.05"},   {"--nesterov", NULL},      {"--no-cycle-momentum", NULL},
                 {"--skips", "P1-c6,C7-C9"}, {"--seed", "4000000000"}, {"--widths", "16,32,16,24,32,32,16,32,32,32"},
                 {"--flip", "0"},        {"--val", "5000"}};
    nl_config_override ov[16];
    int n = 0;
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        int neg = 0;
        const nl_config_field *f = nl_config_field_by_flag(flags[i].flag, &neg);
        CHECK_MSG(f != NULL, "no field for %s", flags[i].flag);
        if (f) ov[n++] = (nl_config_override){f, flags[i].value, neg};
    }
    nl_config a, b;
    nl_status st;
    CHECK_MSG(from_text(json, &a, &st) == 0, "%s", st.msg);
    CHECK_MSG(nl_config_build(NULL, ov, n, &b, &st) == 0, "%s", st.msg);
    CHECK_MSG(same_config(&a, &b), "flags and JSON give different configurations");
    CHECK(a.train.seed == 4000000000ull && a.model.groups == 4 && a.train.nesterov == 1 && a.train.cycle_momentum == 0);
    CHECK(a.preset == NL_PRESET_REFERENCE && a.model.width[1] == 32 && a.model.n_skips == 2);
    /* the skips flag also takes the JSON form */
    const nl_config_field *sk = nl_config_field_by_name("skips");
    nl_config_override js = {sk, "[[\"C3\", \"C5\"]]", 0};
    nl_config c;
    CHECK_MSG(nl_config_build(NULL, &js, 1, &c, &st) == 0 && c.model.n_skips == 1 && c.model.skips[0].from == NL_L_C3,
              "%s", st.msg);
    /* --no-X only for booleans; unknown flags */
    int neg;
    CHECK(nl_config_field_by_flag("--no-epochs", &neg) == NULL);
    CHECK(nl_config_field_by_flag("--group_size", &neg) == NULL);
    CHECK(nl_config_field_by_flag("--group-size", &neg) == nl_config_field_by_name("group_size"));

    /* a file plus overrides: the flags win, the rest comes from the file */
    nl_json *obj = nl_json_parse(json, strlen(json), &st);
    CHECK(obj != NULL);
    nl_config_override over[2] = {{nl_config_field_by_name("max_lr"), "0.2", 0},
                                  {nl_config_field_by_name("seed"), "18446744073709551615", 0}};
    CHECK_MSG(nl_config_build(obj, over, 2, &c, &st) == 0, "%s", st.msg);
    CHECK(c.train.max_lr == 0.2f && c.train.seed == UINT64_MAX && c.model.groups == 4 && c.train.val == 5000);
    /* the norm given by a flag picks that norm's defaults for what the file leaves out */
    nl_config_override to_ln = {nl_config_field_by_name("norm"), "ln", 0};
    nl_json *partial = nl_json_parse("{\"epochs\": 3}", 13, &st);
    CHECK(nl_config_build(partial, &to_ln, 1, &c, &st) == 0 && c.model.norm == NL_NORM_LN && c.train.epochs == 3);
    nl_json_free(partial);
    nl_json_free(obj);
}

static void test_seeds(void) {
    static const struct {
        const char *json;
        uint64_t want;
    } ok[] = {{"{\"seed\": \"0\"}", 0},
              {"{\"seed\": \"4000000000\"}", 4000000000ull},
              {"{\"seed\": 4000000000}", 4000000000ull},
              {"{\"seed\": 9007199254740991}", 9007199254740991ull},
              {"{\"seed\": \"18446744073709551615\"}", UINT64_MAX}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        nl_config c, back;
        nl_status st;
        CHECK_MSG(from_text(ok[i].json, &c, &st) == 0 && c.train.seed == ok[i].want, "%s: %s", ok[i].json, st.msg);
        CHECK(round_trip(&c, &back, &st) == 0 && back.train.seed == ok[i].want);
    }
    nl_config c;
    nl_config_default(&c, NL_NORM_BN, NL_PRESET_DEFAULT);
    c.train.seed = 4000000000ull;
    nl_buf b = {0};
    nl_status st;
    CHECK(nl_config_to_json(&c, &b, 0, &st) == 0 && strstr(nl_buf_text(&b), "\"seed\": \"4000000000\"") != NULL);
    nl_buf_free(&b);
}

static void test_defaults(void) {
    int n;
    const nl_config_field *fields = nl_config_fields(&n);
    for (int k = 0; k < 3; k++) {
        nl_config c;
        nl_config_default(&c, (nl_norm_kind)k, NL_PRESET_DEFAULT);
        nl_status st;
        CHECK_MSG(nl_config_validate(&c, &st) == 0, "defaults of norm %d: %s", k, st.msg);
        /* every scalar default is the table's entry for that norm */
        for (int i = 0; i < n; i++) {
            const nl_config_field *f = &fields[i];
            const void *p = (const char *)&c + f->offset;
            double v;
            int iv;
            if (f->type == NL_CF_FLOAT) v = *(const float *)p;
            else if (f->type == NL_CF_SEED) v = (double)*(const uint64_t *)p;
            else if (f->type == NL_CF_BLOCKS || f->type == NL_CF_SKIPS) continue;
            else {
                memcpy(&iv, p, sizeof iv);
                v = iv;
            }
            CHECK_MSG(v == (double)(float)f->def[k] || v == f->def[k], "%s default for norm %d: %g, table %g", f->name, k,
                      v, f->def[k]);
        }
        /* {"norm": X} alone gives the same */
        char json[32];
        nl_config d;
        snprintf(json, sizeof json, "{\"norm\": \"%s\"}", nl_norm_name((nl_norm_kind)k));
        CHECK(from_text(json, &d, &st) == 0 && same_config(&c, &d));
    }
    /* the defaults agree with the core's model presets */
    nl_model_desc m;
    nl_model_desc_default(&m, NL_NORM_GN);
    nl_config c;
    nl_config_default(&c, NL_NORM_GN, NL_PRESET_DEFAULT);
    /* ... apart from the levers the table tunes per norm (issue 15: chosen on validation) */
    m.order = NL_ORDER_RELU_NORM;
    m.weight_std = 1;
    CHECK(!memcmp(&m, &c.model, sizeof m));
    nl_model_desc_reference(&m, NL_NORM_LN);
    nl_config_default(&c, NL_NORM_LN, NL_PRESET_REFERENCE);
    CHECK(!memcmp(&m, &c.model, sizeof m));
    /* the schema says the same */
    nl_buf b = {0};
    nl_status st;
    CHECK(nl_config_schema_json(&b, &st) == 0);
    nl_json *s = nl_json_parse(nl_buf_text(&b), b.len, &st);
    CHECK_MSG(s != NULL, "schema is not JSON: %s", st.msg);
    const nl_json *list = nl_json_get(s, "fields");
    CHECK(list && list->len == (size_t)n);
    for (size_t i = 0; list && i < list->len; i++) {
        const nl_json *e = &list->items[i];
        const nl_json *name = nl_json_get(e, "name"), *defs = nl_json_get(e, "defaults"), *help = nl_json_get(e, "help");
        CHECK(name && help && help->len > 10);
        const nl_config_field *f = name ? nl_config_field_by_name(name->str) : NULL;
        CHECK(f != NULL);
        if (f && defs && f->type == NL_CF_FLOAT)
            CHECK_MSG((float)nl_json_get(defs, "gn")->number == (float)f->def[1], "schema default of %s", f->name);
    }
    const nl_json *maxlr = NULL;
    for (size_t i = 0; list && i < list->len; i++)
        if (!strcmp(nl_json_get(&list->items[i], "name")->str, "max_lr")) maxlr = &list->items[i];
    CHECK(maxlr && nl_json_get(maxlr, "max")->number == 10 && nl_json_get(maxlr, "min_open")->boolean == 1);
    CHECK(maxlr && !strcmp(nl_json_get(maxlr, "flag")->str, "--max-lr"));
    nl_json_free(s);
    nl_buf_free(&b);
}

/* ---- checkpoints ---- */
static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void reseal(uint8_t *buf, size_t len) { put_u32(buf + len - 4, nl_crc32(0, buf, len - 4)); }

static void test_checkpoints(void) {
    nl_config c;
    nl_config_default(&c, NL_NORM_GN, NL_PRESET_DEFAULT);
    c.train.seed = 4000000000ull;
    c.train.epochs = 3;
    c.train.batch = 16;
    c.train.threads = 1;
    nl_cifar data = nl_synth_random_cifar(64, 16, 5);
    nl_status st;
    nl_trainer *t = nl_trainer_create(&c.model, &c.train, &st);
    CHECK(t && nl_trainer_set_data(t, &data, &st) == 0);
    nl_progress p;
    CHECK(nl_trainer_train_steps(t, 5, &p, &st) == 0);
    uint8_t *buf;
    size_t len;
    CHECK(nl_checkpoint_save_buffer(t, &buf, &len, &st) == 0);
    /* it embeds the configuration JSON, every field */
    uint32_t jlen = get_u32(buf + 16);
    CHECK(jlen > 500 && jlen < len);
    nl_config back;
    CHECK(nl_config_from_json((const char *)buf + 20, jlen, &back, &st) == 0);
    CHECK(same_config(&c, &back));
    nl_trainer *u = nl_checkpoint_load_buffer(buf, len, 0, &st);
    CHECK_MSG(u != NULL, "%s", st.msg);
    if (u) {
        CHECK(nl_trainer_config(u)->seed == 4000000000ull);
        nl_progress q;
        nl_trainer_progress(u, &q);
        CHECK(q.global_step == 4 && q.epoch == 1); /* 4 steps per epoch: the 5th call stopped at its end */
        nl_trainer_free(u);
    }
    /* the previous format: a message that says it is from an older version */
    uint8_t *old = malloc(len);
    memcpy(old, buf, len);
    put_u32(old + 8, 1);
    reseal(old, len);
    CHECK(nl_checkpoint_load_buffer(old, len, 0, &st) == NULL);
    CHECK_MSG(strstr(st.msg, "version 1 is from an older normlab") != NULL, "%s", st.msg);
    /* counters beyond what the settings allow */
    size_t at_step = 20 + jlen, at_epoch = at_step + 8, at_in_epoch = at_epoch + 4, at_n = at_in_epoch + 4;
    struct {
        size_t at;
        uint32_t value;
        const char *want;
    } bad[] = {{at_epoch, INT_MAX, "epoch 2147483647 is outside 0..3"},
               {at_epoch, (uint32_t)-1, "epoch -1 is outside"},
               {at_step, 1000, "step 1000 is outside 0..12"},
               {at_in_epoch, 99, "step 99 of the epoch is outside 0..4"},
               {at_n, 70000, "70000 training images is outside 0..60000"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(old, buf, len);
        put_u32(old + bad[i].at, bad[i].value);
        reseal(old, len);
        nl_trainer *v = nl_checkpoint_load_buffer(old, len, 0, &st);
        CHECK_MSG(v == NULL && strstr(st.msg, bad[i].want), "counter %zu: '%s'", i, v ? "loaded" : st.msg);
        nl_trainer_free(v);
    }
    /* a configuration that breaks the table's rules */
    memcpy(old, buf, len);
    char *js = NULL;
    for (size_t i = 20; i + 11 <= 20 + jlen && !js; i++)
        if (!memcmp(old + i, "\"epochs\": 3", 11)) js = (char *)old + i;
    CHECK(js != NULL);
    if (js) {
        memcpy(js, "\"epochs\": 0", 11);
        reseal(old, len);
        CHECK(nl_checkpoint_load_buffer(old, len, 0, &st) == NULL && strstr(st.msg, "epochs must be an integer in 1..1000"));
    }
    free(old);
    free(buf);
    /* safetensors: the metadata carries the configuration; import without settings uses it */
    CHECK(nl_safetensors_export(t, &buf, &len, &st) == 0);
    nl_trainer *w = nl_safetensors_import(buf, len, NULL, NULL, &st);
    CHECK_MSG(w != NULL, "%s", st.msg);
    if (w) {
        nl_config got;
        nl_config_of(&got, &nl_trainer_layout(w)->desc, nl_trainer_config(w));
        CHECK(same_config(&got, &c));
        nl_trainer_free(w);
    }
    free(buf);
    nl_trainer_free(t);
    nl_cifar_free(&data);
}

/* ---- which training images are used ---- */
static nl_cifar labelled_data(int n_train) {
    nl_cifar d = nl_synth_random_cifar(n_train, 20, 11);
    for (int i = 0; i < n_train; i++) d.train.labels[i] = (uint8_t)((i * 7 + i / 13) % 10); /* uneven order */
    return d;
}

/* Trains one epoch of batch 10 and returns the weights (malloc'd). */
static float *train_weights(const nl_config *c, const nl_cifar *d, size_t *n) {
    nl_status st;
    nl_trainer *t = nl_trainer_create(&c->model, &c->train, &st);
    float *w = NULL;
    if (t && !nl_trainer_set_data(t, d, &st)) {
        nl_progress p;
        nl_trainer_progress(t, &p);
        while (!p.finished && !nl_trainer_train_steps(t, 100, &p, &st)) {}
        *n = nl_trainer_layout(t)->n_params;
        w = malloc(*n * sizeof *w);
        memcpy(w, nl_trainer_params(t), *n * sizeof *w);
    }
    CHECK_MSG(w != NULL, "training failed: %s", st.msg);
    nl_trainer_free(t);
    return w;
}

static void test_val_and_fraction(void) {
    const int N = 300;
    nl_cifar d = labelled_data(N);
    int count[10] = {0};
    for (int i = 0; i < N; i++) count[d.train.labels[i]]++;
    nl_config c;
    nl_config_default(&c, NL_NORM_BN, NL_PRESET_REFERENCE);
    c.train.epochs = 1;
    c.train.batch = 10;
    c.train.threads = 1;
    c.train.val = 50;
    nl_status st;
    nl_trainer *t = nl_trainer_create(&c.model, &c.train, &st);
    CHECK(t && nl_trainer_set_data(t, &d, &st) == 0);
    const nl_cifar_set *val = nl_trainer_val_set(t);
    CHECK(val && val->n == 50 && nl_trainer_train_count(t) == N - 50);
    /* balanced: 5 per class, the last 5 of each class in file order, in file order */
    int seen[10] = {0}, k = 0, per[10] = {0};
    for (int i = 0; val && i < N; i++) {
        int y = d.train.labels[i];
        if (seen[y]++ < count[y] - 5) continue;
        CHECK(k < val->n && val->labels[k] == y &&
              !memcmp(val->pixels + (size_t)k * NL_CIFAR_IMAGE_BYTES, d.train.pixels + (size_t)i * NL_CIFAR_IMAGE_BYTES,
                      NL_CIFAR_IMAGE_BYTES));
        per[y]++;
        k++;
    }
    for (int y = 0; y < 10; y++) CHECK(per[y] == 5);
    nl_trainer_free(t);

    /* disjoint: changing the held-out images does not change training; changing another does */
    size_t n1, n2, n3;
    float *w1 = train_weights(&c, &d, &n1);
    nl_cifar e = labelled_data(N);
    memset(seen, 0, sizeof seen);
    int first_kept = -1;
    for (int i = 0; i < N; i++) {
        int y = e.train.labels[i];
        if (seen[y]++ >= count[y] - 5) memset(e.train.pixels + (size_t)i * NL_CIFAR_IMAGE_BYTES, 0, NL_CIFAR_IMAGE_BYTES);
        else if (first_kept < 0) first_kept = i;
    }
    float *w2 = train_weights(&c, &e, &n2);
    CHECK_MSG(w1 && w2 && n1 == n2 && !memcmp(w1, w2, n1 * sizeof *w1), "the validation images were trained on");
    memset(e.train.pixels + (size_t)first_kept * NL_CIFAR_IMAGE_BYTES, 0, NL_CIFAR_IMAGE_BYTES);
    float *w3 = train_weights(&c, &e, &n3);
    CHECK_MSG(w1 && w3 && memcmp(w1, w3, n1 * sizeof *w1) != 0, "changing a training image changed nothing");
    free(w1);
    free(w2);
    free(w3);

    /* train_fraction 0.25: the first quarter of each class's images (no val), the same for any seed */
    c.train.val = 0;
    c.train.train_fraction = 0.25f;
    t = nl_trainer_create(&c.model, &c.train, &st);
    CHECK(t && nl_trainer_set_data(t, &d, &st) == 0);
    int want = 0;
    for (int y = 0; y < 10; y++) want += (int)(count[y] * 0.25);
    CHECK_MSG(nl_trainer_train_count(t) == want, "train_fraction: %d images, expected %d", nl_trainer_train_count(t),
              want);
    CHECK(nl_trainer_val_set(t) == NULL);
    nl_trainer_free(t);
    float *f1 = train_weights(&c, &d, &n1);
    nl_cifar g = labelled_data(N);
    memset(seen, 0, sizeof seen);
    first_kept = -1;
    for (int i = 0; i < N; i++) {
        int y = g.train.labels[i];
        if (seen[y]++ >= (int)(count[y] * 0.25)) memset(g.train.pixels + (size_t)i * NL_CIFAR_IMAGE_BYTES, 0, NL_CIFAR_IMAGE_BYTES);
        else if (first_kept < 0) first_kept = i;
    }
    float *f2 = train_weights(&c, &g, &n2);
    CHECK_MSG(f1 && f2 && !memcmp(f1, f2, n1 * sizeof *f1), "images outside the fraction were trained on");
    free(f1);
    free(f2);
    /* too many held out for a class: a clear error */
    c.train.train_fraction = 1.0f;
    c.train.val = 400;
    t = nl_trainer_create(&c.model, &c.train, &st);
    CHECK(t && nl_trainer_set_data(t, &d, &st) != 0 && strstr(st.msg, "too few to hold out 40"));
    nl_trainer_free(t);
    nl_cifar_free(&d);
    nl_cifar_free(&e);
    nl_cifar_free(&g);
}

int main(void) {
    test_round_trip();
    test_bad_values();
    test_flags_and_overrides();
    test_seeds();
    test_defaults();
    test_checkpoints();
    test_val_and_fraction();
    return nl_test_finish("test_config");
}
