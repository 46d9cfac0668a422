/* The exported Wasm surface over the core (see normlab_wasm.h). Keeps the data set and a
 * registry of live trainers, so that a stale or freed handle from JS is an error rather
 * than a use-after-free. */
#include "normlab_wasm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/nl_cifar.h"
#include "nn/nl_model.h"
#include "base/nl_status.h"
#include "train/nl_train.h"
#include "serialize/nl_model_json.h"
#include "serialize/nl_safetensors.h"
#include "serialize/nl_checkpoint.h"
#include "base/nl_buf.h"
#include "base/nl_profile.h"
#include "nn/kernels/nl_kernels.h"
#include "serialize/nl_config.h"
#include "serialize/nl_json.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define NLW_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define NLW_EXPORT
#endif

struct nlw_trainer {
    nl_trainer *t;
    unsigned data_gen;     /* data set generation the trainer was last given */
    nl_eval_result eval;   /* last evaluation (pred/conf owned here) */
    int eval_set;          /* which set it was: 0 test, 1 train, -1 none */
    unsigned eval_gen;     /* data set generation it was computed on */
    nlw_trainer *next;
};

static nl_status g_st;
static nl_cifar g_data;        /* trainers borrow &g_data: its address never changes */
static int g_have_data;
static unsigned g_data_gen;    /* bumped whenever g_data's contents change */
static nlw_trainer *g_trainers;
static nl_buf g_json;          /* result of the last *_json call */

/* ---- status ---- */

NLW_EXPORT int nlw_abi_version(void) { return NLW_ABI_VERSION; }
NLW_EXPORT const char *nlw_last_error(void) { return g_st.msg; }
NLW_EXPORT int nlw_last_error_code(void) { return g_st.code; }

static int fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_st.msg, sizeof g_st.msg, fmt, ap);
    va_end(ap);
    g_st.code = code;
    return code;
}

/* Every entry point starts here, so nlw_last_error() describes the latest call only. */
static void begin(void) { nl_status_clear(&g_st); }

static int live(const nlw_trainer *h) {
    for (const nlw_trainer *p = g_trainers; p; p = p->next)
        if (p == h) return 1;
    return 0;
}

#define CHECK_HANDLE(h)                                                            \
    do {                                                                           \
        begin();                                                                   \
        if (!(h) || !live(h)) return fail(NL_EINVAL, "invalid or freed trainer"); \
    } while (0)

#define CHECK_OUT(p)                                                               \
    do {                                                                           \
        if (!(p)) return fail(NL_EINVAL, "%s: NULL output pointer", __func__);     \
    } while (0)

/* ---- the data set ---- */

static const nl_cifar_set *data_set(int set) {
    if (!g_have_data) return NULL;
    return set == 1 ? &g_data.train : set == 0 ? &g_data.test : NULL;
}

/* Replaces the data set only once the new one loaded completely. */
static int install_data(nl_cifar *fresh) {
    nl_cifar_free(&g_data);
    g_data = *fresh;
    g_have_data = 1;
    g_data_gen++;
    return NL_OK;
}

/* A tar archive in pieces (the caller decompresses a .tar.gz with the platform's gzip):
 * only the parsed images are kept in the Wasm heap, never the archive. */
static nl_cifar_stream *g_stream;

NLW_EXPORT int nlw_data_stream_begin(void) {
    begin();
    nl_cifar_stream_free(g_stream);
    g_stream = nl_cifar_stream_new("archive", &g_st);
    return g_stream ? NL_OK : g_st.code;
}

NLW_EXPORT int nlw_data_stream_feed(const uint8_t *buf, size_t len) {
    begin();
    if (!g_stream) return fail(NL_EINVAL, "archive: no data stream begun");
    if (!buf && len) return fail(NL_EINVAL, "archive: NULL buffer");
    return nl_cifar_stream_feed(g_stream, buf, len, &g_st);
}

/* Ends the stream; installs the data set if it is complete. The stream is gone either way. */
NLW_EXPORT int nlw_data_stream_finish(void) {
    begin();
    if (!g_stream) return fail(NL_EINVAL, "archive: no data stream begun");
    nl_cifar fresh;
    int rc = nl_cifar_stream_finish(g_stream, &fresh, &g_st);
    nl_cifar_stream_free(g_stream);
    g_stream = NULL;
    return rc ? rc : install_data(&fresh);
}

NLW_EXPORT int nlw_data_stream_abort(void) {
    begin();
    nl_cifar_stream_free(g_stream);
    g_stream = NULL;
    return NL_OK;
}

NLW_EXPORT int nlw_data_load_batches(const uint8_t *const *bufs, const size_t *lens) {
    begin();
    if (!bufs || !lens) return fail(NL_EINVAL, "batches: NULL argument");
    nl_cifar fresh;
    int rc = nl_cifar_load_batch_buffers(&fresh, bufs, lens, NULL, 0, &g_st);
    return rc ? rc : install_data(&fresh);
}

/* Hands out g_json's text, or fails if building it ran out of memory. */
static int give_json(const char **json) {
    if (g_json.oom) return fail(NL_ENOMEM, "out of memory writing JSON");
    *json = nl_buf_text(&g_json);
    return NL_OK;
}

static void json_reset(void) {
    nl_buf_free(&g_json);
}

NLW_EXPORT int nlw_data_info_json(const char **json) {
    begin();
    CHECK_OUT(json);
    if (!g_have_data) return fail(NL_EINVAL, "no data set loaded");
    json_reset();
    nl_buf_printf(&g_json, "{\"train\":%d,\"test\":%d,\"classNames\":[", g_data.train.n, g_data.test.n);
    for (int c = 0; c < NL_CIFAR_CLASSES; c++) {
        if (c) nl_buf_str(&g_json, ",");
        nl_json_put_string(&g_json, g_data.class_names[c]); /* from batches.meta.txt: escaped */
    }
    nl_buf_str(&g_json, "]}");
    return give_json(json);
}

NLW_EXPORT int nlw_data_images(int set, const uint8_t **pixels, const uint8_t **labels, int32_t *n) {
    begin();
    CHECK_OUT(pixels);
    CHECK_OUT(labels);
    CHECK_OUT(n);
    if (set != 0 && set != 1) return fail(NL_EINVAL, "data set must be 0 (test) or 1 (train), got %d", set);
    const nl_cifar_set *s = data_set(set);
    if (!s) return fail(NL_EINVAL, "no data set loaded");
    *pixels = s->pixels;
    *labels = s->labels;
    *n = s->n;
    return NL_OK;
}

NLW_EXPORT int nlw_data_free(void) {
    begin();
    if (g_trainers) return fail(NL_EINVAL, "data set still in use: free the trainers first");
    nl_cifar_free(&g_data);
    g_have_data = 0;
    g_data_gen++;
    return NL_OK;
}

/* Gives the trainer the current data set if it changed since the last time. */
static int sync_data(nlw_trainer *h) {
    if (!g_have_data) return fail(NL_EINVAL, "no data set loaded");
    if (h->data_gen == g_data_gen) return NL_OK;
    int rc = nl_trainer_set_data(h->t, &g_data, &g_st);
    if (!rc) h->data_gen = g_data_gen;
    return rc;
}

/* ---- trainers ---- */

static int adopt(nl_trainer *t, nlw_trainer **out) {
    nlw_trainer *h = calloc(1, sizeof *h);
    if (!h) {
        nl_trainer_free(t);
        return fail(NL_ENOMEM, "out of memory");
    }
    h->t = t;
    h->eval_set = -1;
    h->data_gen = g_data_gen - 1; /* never equal: the first use syncs */
    h->next = g_trainers;
    g_trainers = h;
    *out = h;
    return NL_OK;
}

/* A configuration JSON (serialize/nl_config.h; NULL or "" = every default). */
static int parse_config(const char *json, nl_config *c) {
    if (!json || !*json) json = "{}";
    return nl_config_from_json(json, strlen(json), c, &g_st);
}

NLW_EXPORT int nlw_trainer_create(const char *config, nlw_trainer **out) {
    begin();
    CHECK_OUT(out);
    *out = NULL;
    nl_config c;
    int rc = parse_config(config, &c);
    if (rc) return rc;
    nl_trainer *t = nl_trainer_create(&c.model, &c.train, &g_st);
    if (!t) return g_st.code ? g_st.code : fail(NL_ENOMEM, "could not create the trainer");
    return adopt(t, out);
}

NLW_EXPORT int nlw_trainer_load_checkpoint(const uint8_t *buf, size_t len, int threads, nlw_trainer **out) {
    begin();
    CHECK_OUT(out);
    *out = NULL;
    if (!buf || !len) return fail(NL_EINVAL, "checkpoint: no bytes given");
    nl_trainer *t = nl_checkpoint_load_buffer(buf, len, threads, &g_st);
    if (!t) return g_st.code ? g_st.code : fail(NL_EFORMAT, "checkpoint: could not be loaded");
    return adopt(t, out);
}

NLW_EXPORT int nlw_trainer_free(nlw_trainer *h) {
    CHECK_HANDLE(h);
    for (nlw_trainer **p = &g_trainers; *p; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            break;
        }
    nl_eval_result_free(&h->eval);
    nl_trainer_free(h->t);
    free(h);
    return NL_OK;
}

static void fill_progress(const nl_progress *p, long steps_run, double *out) {
    memset(out, 0, sizeof(double) * NLW_PROGRESS_LEN);
    out[NLW_P_EPOCH] = p->epoch;
    out[NLW_P_STEP_IN_EPOCH] = p->step_in_epoch;
    out[NLW_P_STEPS_PER_EPOCH] = p->steps_per_epoch;
    out[NLW_P_GLOBAL_STEP] = (double)p->global_step;
    out[NLW_P_TOTAL_STEPS] = (double)p->total_steps;
    out[NLW_P_LR] = p->lr;
    out[NLW_P_MOMENTUM] = p->momentum;
    out[NLW_P_LAST_LOSS] = p->last_loss;
    out[NLW_P_EPOCH_LOSS] = p->epoch_loss;
    out[NLW_P_EPOCH_ACC] = p->epoch_acc;
    out[NLW_P_EPOCH_DONE] = p->epoch_done;
    out[NLW_P_FINISHED] = p->finished;
    out[NLW_P_IMAGES_PER_SEC] = p->images_per_sec;
    out[NLW_P_STEPS_RUN] = (double)steps_run;
}

NLW_EXPORT int nlw_trainer_train(nlw_trainer *h, int steps, double *progress) {
    CHECK_HANDLE(h);
    CHECK_OUT(progress);
    int rc = sync_data(h);
    if (rc) return rc;
    nl_progress before, p;
    nl_trainer_progress(h->t, &before);
    rc = nl_trainer_train_steps(h->t, steps, &p, &g_st);
    if (rc) return rc;
    fill_progress(&p, p.global_step - before.global_step, progress);
    return NL_OK;
}

NLW_EXPORT int nlw_trainer_set_epochs(nlw_trainer *h, int epochs) {
    CHECK_HANDLE(h);
    return nl_trainer_set_epochs(h->t, epochs, &g_st);
}

NLW_EXPORT int nlw_trainer_progress(nlw_trainer *h, double *progress) {
    CHECK_HANDLE(h);
    CHECK_OUT(progress);
    nl_progress p;
    nl_trainer_progress(h->t, &p);
    fill_progress(&p, 0, progress);
    return NL_OK;
}

NLW_EXPORT int nlw_trainer_evaluate(nlw_trainer *h, int set, double *summary, int32_t *confusion100) {
    CHECK_HANDLE(h);
    CHECK_OUT(summary);
    CHECK_OUT(confusion100);
    if (set < 0 || set > 2) return fail(NL_EINVAL, "evaluate: set must be 0 (test), 1 (train) or 2 (val), got %d", set);
    if (!g_have_data) return fail(NL_EINVAL, "evaluate: no data set loaded");
    int rc = set == 2 ? sync_data(h) : NL_OK; /* the validation set is made with the data */
    if (rc) return rc;
    const nl_cifar_set *s = set == 2 ? nl_trainer_val_set(h->t) : data_set(set);
    if (!s) return fail(NL_EINVAL, "evaluate: no validation set (the configuration's val is 0)");
    nl_eval_result r;
    rc = nl_trainer_evaluate(h->t, s, &r, &g_st);
    if (rc) return rc;
    nl_eval_result_free(&h->eval);
    h->eval = r;
    h->eval_set = set;
    h->eval_gen = g_data_gen;
    summary[0] = r.n;
    summary[1] = r.loss;
    summary[2] = r.acc;
    for (int c = 0; c < 10; c++) summary[3 + c] = r.class_acc[c];
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) confusion100[i * 10 + j] = r.confusion[i][j];
    return NL_OK;
}

/* The set of the last evaluation, if it still matches the loaded data. */
static const nl_cifar_set *evaluated_set(const nlw_trainer *h) {
    if (h->eval_set < 0 || h->eval_gen != g_data_gen) return NULL;
    return h->eval_set == 2 ? nl_trainer_val_set(h->t) : data_set(h->eval_set);
}

NLW_EXPORT int nlw_trainer_eval_predictions(nlw_trainer *h, const uint8_t **pred, const float **conf, int32_t *n) {
    CHECK_HANDLE(h);
    CHECK_OUT(pred);
    CHECK_OUT(conf);
    CHECK_OUT(n);
    if (h->eval_set < 0) return fail(NL_EINVAL, "no evaluation yet");
    *pred = h->eval.pred;
    *conf = h->eval.conf;
    *n = h->eval.n;
    return NL_OK;
}

NLW_EXPORT int nlw_trainer_misclassified(nlw_trainer *h, int k, int by_confidence, int32_t *out_index,
                                         int32_t *count) {
    CHECK_HANDLE(h);
    CHECK_OUT(count);
    if (k < 0) return fail(NL_EINVAL, "misclassified: k must be >= 0, got %d", k);
    if (k > 0) CHECK_OUT(out_index);
    const nl_cifar_set *s = evaluated_set(h);
    if (!s) return fail(NL_EINVAL, "misclassified: no evaluation of the current data set");
    *count = k ? nl_eval_misclassified(&h->eval, s, k, by_confidence, out_index) : 0;
    return NL_OK;
}

NLW_EXPORT int nlw_trainer_predict(nlw_trainer *h, const uint8_t *images, int n, float *logits) {
    CHECK_HANDLE(h);
    if (!images || !logits || n < 1) return fail(NL_EINVAL, "predict: need images, n >= 1 and an output");
    return nl_trainer_predict(h->t, images, n, logits, &g_st);
}

NLW_EXPORT int nlw_trainer_params(nlw_trainer *h, const float **params, int32_t *n) {
    CHECK_HANDLE(h);
    CHECK_OUT(params);
    CHECK_OUT(n);
    *params = nl_trainer_params(h->t);
    *n = (int32_t)nl_trainer_layout(h->t)->n_params;
    return NL_OK;
}

NLW_EXPORT int nlw_trainer_bn_state(nlw_trainer *h, const float **state, int32_t *n) {
    CHECK_HANDLE(h);
    CHECK_OUT(state);
    CHECK_OUT(n);
    *state = nl_trainer_bn_state(h->t);
    *n = (int32_t)nl_trainer_layout(h->t)->n_bn_state;
    return NL_OK;
}

NLW_EXPORT int nlw_checkpoint_save(nlw_trainer *h, uint8_t **out, size_t *len) {
    CHECK_HANDLE(h);
    CHECK_OUT(out);
    CHECK_OUT(len);
    return nl_checkpoint_save_buffer(h->t, out, len, &g_st);
}

/* ---- reports ---- */

static int report_json(const nl_model_desc *d, const char **json) {
    nl_layer_info info[NL_NUM_LAYERS];
    int total = nl_model_report(d, info, &g_st);
    if (total < 0) return g_st.code ? g_st.code : fail(NL_EINVAL, "report failed");
    json_reset();
    nl_buf_str(&g_json, "{\"layers\":[");
    for (int l = 0; l < NL_NUM_LAYERS; l++) {
        const nl_layer_info *I = &info[l];
        nl_buf_printf(&g_json,
                      "%s{\"name\":\"%s\",\"op\":\"%s\",\"in\":{\"c\":%d,\"h\":%d,\"w\":%d},"
                      "\"out\":{\"c\":%d,\"h\":%d,\"w\":%d},\"params\":%d,"
                      "\"rf\":{\"r\":%d,\"n\":%d,\"j\":%d,\"k\":%d,\"s\":%d,\"p\":%d}}",
                      l ? "," : "", I->name, I->op, I->in.c, I->in.h, I->in.w, I->out.c, I->out.h, I->out.w, I->params,
                      I->rf_r, I->rf_n, I->rf_j, I->rf_k, I->rf_s, I->rf_p);
    }
    nl_buf_printf(&g_json, "],\"total\":%d}", total);
    return give_json(json);
}

NLW_EXPORT int nlw_trainer_report_json(nlw_trainer *h, const char **json) {
    CHECK_HANDLE(h);
    CHECK_OUT(json);
    return report_json(&nl_trainer_layout(h->t)->desc, json);
}

NLW_EXPORT int nlw_model_report_json(const char *config, const char **json) {
    begin();
    CHECK_OUT(json);
    nl_config c;
    int rc = parse_config(config, &c);
    return rc ? rc : report_json(&c.model, json);
}

static int config_json(const nl_config *c, const char **json) {
    json_reset();
    int rc = nl_config_to_json(c, &g_json, 0, &g_st);
    return rc ? rc : give_json(json);
}

NLW_EXPORT int nlw_trainer_config_json(nlw_trainer *h, const char **json) {
    CHECK_HANDLE(h);
    CHECK_OUT(json);
    nl_config c;
    nl_config_of(&c, &nl_trainer_layout(h->t)->desc, nl_trainer_config(h->t));
    return config_json(&c, json);
}

NLW_EXPORT int nlw_config_json(const char *config, const char **json) {
    begin();
    CHECK_OUT(json);
    nl_config c;
    int rc = parse_config(config, &c);
    return rc ? rc : config_json(&c, json);
}

NLW_EXPORT int nlw_config_schema_json(const char **json) {
    begin();
    CHECK_OUT(json);
    json_reset();
    int rc = nl_config_schema_json(&g_json, &g_st);
    return rc ? rc : give_json(json);
}

NLW_EXPORT int nlw_trainer_val_images(nlw_trainer *h, const uint8_t **pixels, const uint8_t **labels, int32_t *n) {
    CHECK_HANDLE(h);
    CHECK_OUT(pixels);
    CHECK_OUT(labels);
    CHECK_OUT(n);
    int rc = sync_data(h);
    if (rc) return rc;
    const nl_cifar_set *v = nl_trainer_val_set(h->t);
    if (!v) return fail(NL_EINVAL, "no validation set (the configuration's val is 0)");
    *pixels = v->pixels;
    *labels = v->labels;
    *n = v->n;
    return NL_OK;
}

NLW_EXPORT int nlw_trainer_data_json(nlw_trainer *h, const char **json) {
    CHECK_HANDLE(h);
    CHECK_OUT(json);
    int rc = sync_data(h);
    if (rc) return rc;
    const nl_cifar_set *v = nl_trainer_val_set(h->t);
    json_reset();
    nl_buf_printf(&g_json, "{\"train\":%d,\"val\":%d}", nl_trainer_train_count(h->t), v ? v->n : 0);
    return give_json(json);
}

/* ---- PyTorch interchange: safetensors whose tensors equal the reference module's state_dict ---- */

NLW_EXPORT int nlw_safetensors_export(nlw_trainer *h, uint8_t **out, size_t *len) {
    CHECK_HANDLE(h);
    CHECK_OUT(out);
    CHECK_OUT(len);
    return nl_safetensors_export(h->t, out, len, &g_st);
}

/* The model comes from the file's metadata; the training settings from config (a
 * configuration JSON), or when config is NULL or "" from the file's own normlab_config. */
NLW_EXPORT int nlw_trainer_from_safetensors(const uint8_t *buf, size_t len, const char *config, nlw_trainer **out) {
    begin();
    CHECK_OUT(out);
    *out = NULL;
    if (!buf || !len) return fail(NL_EINVAL, "safetensors: no bytes given");
    nl_config c;
    int given = config && *config;
    if (given && parse_config(config, &c)) return g_st.code;
    nl_trainer *t = nl_safetensors_import(buf, len, NULL, given ? &c.train : NULL, &g_st);
    if (!t) return g_st.code ? g_st.code : fail(NL_EFORMAT, "safetensors: could not be loaded");
    return adopt(t, out);
}

/* The model description as the shared JSON format (core/serialize/nl_model_json.h). */
NLW_EXPORT int nlw_trainer_model_json(nlw_trainer *h, const char **json) {
    CHECK_HANDLE(h);
    CHECK_OUT(json);
    char desc[NL_MODEL_JSON_MAX];
    int rc = nl_model_desc_to_json(&nl_trainer_layout(h->t)->desc, desc, sizeof desc, &g_st);
    if (rc) return rc;
    json_reset();
    nl_buf_str(&g_json, desc);
    return give_json(json);
}

/* ---- kernels ---- */

NLW_EXPORT int nlw_kernels_select(const char *name) {
    begin();
    if (!name || nl_kernels_select(name))
        return fail(NL_EINVAL, "unknown kernel set '%s' (available: %s)", name ? name : "", nl_kernels_available());
    return NL_OK;
}

NLW_EXPORT const char *nlw_kernels_name(void) { return nl_kernels()->isa; }

/* ---- profile ---- */

NLW_EXPORT int nlw_profile_start(int on) {
    begin();
    if (on) nl_prof_start(1);
    else nl_prof_enabled = 0; /* stop, keeping what was measured */
    return NL_OK;
}

NLW_EXPORT int nlw_profile_json(const char **json) {
    begin();
    CHECK_OUT(json);
    json_reset();
    nl_buf_str(&g_json, "{\"layers\":[");
    for (int l = 0; l < NL_PROF_LAYERS; l++)
        nl_buf_printf(&g_json, "%s\"%s\"", l ? "," : "", l == NL_PROF_STEP ? "step" : nl_layer_names[l]);
    nl_buf_str(&g_json, "],\"passes\":[");
    for (int p = 0; p < NL_PROF_PASSES; p++) nl_buf_printf(&g_json, "%s\"%s\"", p ? "," : "", nl_prof_pass_names[p]);
    nl_buf_str(&g_json, "],\"seconds\":[");
    for (int l = 0; l < NL_PROF_LAYERS; l++) {
        nl_buf_str(&g_json, l ? ",[" : "[");
        for (int p = 0; p < NL_PROF_PASSES; p++)
            nl_buf_printf(&g_json, "%s%.9g", p ? "," : "", nl_prof_seconds(l, (nl_prof_pass)p));
        nl_buf_str(&g_json, "]");
    }
    nl_buf_str(&g_json, "]}");
    return give_json(json);
}
