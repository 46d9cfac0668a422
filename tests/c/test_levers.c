/* The model levers of issue 15 (order relu_norm, weight_std, zero_init_skip) beyond their
 * gradients (test_gradcheck_net.c) and PyTorch (test_golden_torch.c): settings and their
 * errors, the zero-initialised scales, bit-identical weights for 1, 2 and 3 threads and for
 * every kernel set, the raw (not standardised) weights in checkpoints and safetensors, a
 * checkpoint resumed to the uninterrupted run, and a safetensors round trip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nl_synth.h"
#include "nl_test.h"
#include "nn/kernels/nl_kernels.h"
#include "nn/nl_weight_std.h"
#include "serialize/nl_checkpoint.h"
#include "serialize/nl_config.h"
#include "serialize/nl_safetensors.h"
#include "train/nl_train.h"

static int contains(const uint8_t *buf, size_t len, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(buf + i, s, n)) return 1;
    return 0;
}

static int from_json(const char *json, nl_config *c, nl_status *st) {
    return nl_config_from_json(json, strlen(json), c, st);
}

static void test_settings(void) {
    nl_config c;
    nl_status st = {0};
    /* defaults: the tuned recipes (relu_norm and weight standardisation for every norm) */
    CHECK(from_json("{\"norm\": \"gn\"}", &c, &st) == 0);
    CHECK(c.model.order == NL_ORDER_RELU_NORM && c.model.weight_std == 1 && c.model.zero_init_skip == 0);
    CHECK(from_json("{\"norm\": \"bn\"}", &c, &st) == 0);
    CHECK(c.model.order == NL_ORDER_RELU_NORM && c.model.weight_std == 1 && c.model.zero_init_skip == 0);
    CHECK(from_json("{\"norm\": \"ln\", \"preset\": \"reference\"}", &c, &st) == 0); /* the benchmark net */
    CHECK(c.model.order == NL_ORDER_NORM_RELU && c.model.weight_std == 0);
    CHECK_MSG(from_json("{\"norm\": \"ln\", \"order\": \"relu_norm\", \"weight_std\": true, \"zero_init_skip\": true}",
                        &c, &st) == 0, "%s", st.msg);
    CHECK(c.model.order == NL_ORDER_RELU_NORM && c.model.weight_std == 1 && c.model.zero_init_skip == 1);
    /* flags */
    int neg;
    nl_config_override ov[3] = {{nl_config_field_by_flag("--order", &neg), "relu_norm", 0},
                                {nl_config_field_by_flag("--weight-std", &neg), NULL, 0},
                                {nl_config_field_by_flag("--zero-init-skip", &neg), "1", 0}};
    CHECK(ov[0].field && ov[1].field && ov[2].field);
    nl_config d;
    CHECK_MSG(nl_config_build(NULL, ov, 3, &d, &st) == 0, "%s", st.msg);
    CHECK(d.model.order == NL_ORDER_RELU_NORM && d.model.weight_std == 1 && d.model.zero_init_skip == 1);
    /* errors */
    static const struct {
        const char *json, *want;
    } bad[] = {
        {"{\"order\": \"relu\"}", "order must be norm_relu or relu_norm, got 'relu'"},
        {"{\"weight_std\": 1}", "weight_std must be true or false"},
        {"{\"order\": \"norm_relu\", \"zero_init_skip\": true}", "zero_init_skip needs order relu_norm"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = from_json(bad[i].json, &c, &st);
        CHECK_MSG(rc != 0 && strstr(st.msg, bad[i].want) != NULL, "%s: got '%s'", bad[i].json, rc ? st.msg : "ok");
    }
    /* the model report names the order */
    nl_layer_info info[NL_NUM_LAYERS];
    CHECK(nl_model_report(&d.model, info, &st) > 0);
    CHECK_MSG(!strcmp(info[NL_L_C1].op, "conv3x3+relu+bn"), "op %s", info[NL_L_C1].op);
}

static void synth_config(nl_config *c, nl_norm_kind norm, int threads) {
    nl_config_default(c, norm, NL_PRESET_DEFAULT);
    c->model.order = NL_ORDER_RELU_NORM;
    c->model.weight_std = 1;
    c->model.zero_init_skip = 1;
    c->model.dropout = 0.05f;
    nl_synth_train_defaults(&c->train);
    c->train.epochs = 5;
    c->train.batch = 20; /* 3 chunks of 8, the last one partial */
    c->train.threads = threads;
    c->train.seed = 77;
    c->train.label_smoothing = 0.1f;
}

static nl_trainer *make(const nl_config *c, const nl_cifar *data) {
    nl_status st;
    nl_trainer *t = nl_trainer_create(&c->model, &c->train, &st);
    CHECK_MSG(t != NULL, "create: %s", st.msg);
    if (t) CHECK(nl_trainer_set_data(t, data, &st) == 0);
    return t;
}

static void steps(nl_trainer *t, int n) {
    nl_status st;
    nl_progress p;
    int done = 0;
    while (done < n) {
        nl_trainer_progress(t, &p);
        long before = p.global_step;
        CHECK(nl_trainer_train_steps(t, n - done, &p, &st) == 0);
        if (p.global_step == before) break;
        done += (int)(p.global_step - before);
    }
}

static void test_zero_init(void) {
    nl_config c;
    synth_config(&c, NL_NORM_GN, 1);
    nl_status st;
    nl_trainer *t = nl_trainer_create(&c.model, &c.train, &st);
    CHECK_MSG(t != NULL, "%s", st.msg);
    if (!t) return;
    const nl_model_layout *L = nl_trainer_layout(t);
    const float *p = nl_trainer_params(t);
    /* the default skips C3 -> C5 and C7 -> C9: gamma of C5 and C9 is 0, every other gamma 1 */
    for (int b = 0; b < NL_NUM_BLOCKS; b++) {
        int layer = nl_block_layer(b), target = layer == NL_L_C5 || layer == NL_L_C9;
        const nl_block_layout *B = &L->blocks[b];
        for (int k = 0; k < B->co; k++)
            CHECK_MSG(p[B->gamma_off + k] == (target ? 0.0f : 1.0f), "%s gamma[%d] = %g", nl_layer_names[layer], k,
                      p[B->gamma_off + k]);
    }
    nl_trainer_free(t);
    /* and those scales learn (under norm -> ReLU they could not) */
    nl_cifar data = nl_synth_random_cifar(60, 16, 3);
    t = make(&c, &data);
    if (t) {
        steps(t, 2);
        L = nl_trainer_layout(t);
        const nl_block_layout *B = &L->blocks[nl_layer_block(NL_L_C9)];
        double s = 0.0;
        for (int k = 0; k < B->co; k++) s += fabs(nl_trainer_params(t)[B->gamma_off + k]);
        CHECK_MSG(s > 0.0, "C9 gamma still 0 after two steps");
    }
    nl_trainer_free(t);
    nl_cifar_free(&data);
}

/* weights + BN state after `n` steps */
static float *train_copy(const nl_config *c, const nl_cifar *data, int n, size_t *count) {
    nl_trainer *t = make(c, data);
    if (!t) return NULL;
    steps(t, n);
    return nl_synth_take_weights(t, count);
}

static void test_determinism(void) {
    nl_cifar data = nl_synth_random_cifar(50, 16, 42);
    const nl_norm_kind kinds[3] = {NL_NORM_BN, NL_NORM_GN, NL_NORM_LN};
    const char *isas[] = {"scalar", "wasmsimd", "avx2", "avx512"};
    for (int k = 0; k < 3; k++) {
        const char *name = nl_norm_name(kinds[k]);
        nl_config c;
        size_t n1 = 0, n2 = 0;
        synth_config(&c, kinds[k], 1);
        float *a = train_copy(&c, &data, 3, &n1);
        for (int threads = 2; threads <= 3; threads++) {
            synth_config(&c, kinds[k], threads);
            float *b = train_copy(&c, &data, 3, &n2);
            CHECK_MSG(a && b && n1 == n2 && memcmp(a, b, n1 * sizeof(float)) == 0, "%s: %d threads differ from 1",
                      name, threads);
            free(b);
        }
        /* every kernel set this CPU runs gives the same bits */
        const nl_kernel_set *before = nl_kernels();
        for (size_t i = 0; i < sizeof isas / sizeof *isas; i++) {
            if (nl_kernels_select(isas[i]) != 0) continue;
            synth_config(&c, kinds[k], 2);
            float *b = train_copy(&c, &data, 3, &n2);
            CHECK_MSG(a && b && memcmp(a, b, n1 * sizeof(float)) == 0, "%s: kernel set %s differs", name, isas[i]);
            free(b);
        }
        nl_kernels_select(before->isa);
        /* each lever changes the run */
        synth_config(&c, kinds[k], 1);
        c.model.weight_std = 0;
        float *b = train_copy(&c, &data, 3, &n2);
        CHECK_MSG(a && b && memcmp(a, b, n1 * sizeof(float)) != 0, "%s: weight_std changed nothing", name);
        free(b);
        free(a);
    }
    nl_cifar_free(&data);
}

static void test_files(void) {
    nl_cifar data = nl_synth_random_cifar(50, 16, 9);
    nl_config c;
    synth_config(&c, NL_NORM_GN, 2);
    size_t n;
    float *straight = train_copy(&c, &data, 7, &n);
    nl_trainer *t = make(&c, &data);
    if (!t || !straight) return;
    steps(t, 4);
    nl_status st;
    uint8_t *buf;
    size_t len;
    CHECK(nl_checkpoint_save_buffer(t, &buf, &len, &st) == 0);
    const nl_model_layout *L = nl_trainer_layout(t);
    /* the configuration JSON names the levers */
    CHECK(contains(buf, len, "\"order\": \"relu_norm\""));
    CHECK(contains(buf, len, "\"weight_std\": true"));
    CHECK(contains(buf, len, "\"zero_init_skip\": true"));
    /* safetensors: exported weights equal the parameters (raw W), and import gives them back */
    uint8_t *sf;
    size_t sflen;
    CHECK(nl_safetensors_export(t, &sf, &sflen, &st) == 0);
    nl_trainer *imp = nl_safetensors_import(sf, sflen, NULL, NULL, &st);
    CHECK_MSG(imp != NULL, "import: %s", st.msg);
    if (imp) {
        const nl_model_layout *M = nl_trainer_layout(imp);
        CHECK(M->desc.order == NL_ORDER_RELU_NORM && M->desc.weight_std == 1 && M->desc.zero_init_skip == 1);
        CHECK(memcmp(nl_trainer_params(imp), nl_trainer_params(t), sizeof(float) * L->n_params) == 0);
        nl_trainer_free(imp);
    }
    free(sf);
    /* C1's stored weights are not standardised (mean 0, variance 1 per output channel) */
    const nl_block_layout *B = &L->blocks[0];
    size_t fan = (size_t)B->k * B->k * B->ci;
    double m = 0.0, v = 0.0;
    for (size_t k = 0; k < fan; k++) m += nl_trainer_params(t)[B->w_off + k * (size_t)B->co];
    m /= (double)fan;
    for (size_t k = 0; k < fan; k++) {
        double d = nl_trainer_params(t)[B->w_off + k * (size_t)B->co] - m;
        v += d * d;
    }
    CHECK_MSG(fabs(v / (double)fan - 1.0) > 0.1, "C1 column 0 looks standardised (var %g)", v / (double)fan);
    nl_trainer_free(t);
    /* resumed on another thread count = the straight run */
    nl_trainer *u = nl_checkpoint_load_buffer(buf, len, 3, &st);
    free(buf);
    CHECK_MSG(u != NULL, "load: %s", st.msg);
    if (u) {
        CHECK(nl_trainer_set_data(u, &data, &st) == 0);
        steps(u, 3);
        CHECK_MSG(memcmp(straight, nl_trainer_params(u), sizeof(float) * nl_trainer_layout(u)->n_params) == 0,
                  "resumed run differs from the straight run");
        nl_trainer_free(u);
    }
    free(straight);
    nl_cifar_free(&data);
}

/* the standardisation itself: unit statistics, and its backward against finite differences
 * of a linear function of W_hat */
static void test_weight_std(void) {
    enum { FAN = 27, CO = 5 };
    float w[FAN * CO], wh[FAN * CO], g[FAN * CO], dw[FAN * CO];
    double mean[CO], rstd[CO];
    uint64_t s = 12345;
    for (int i = 0; i < FAN * CO; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = (float)((double)(s >> 40) / (double)(1ull << 24) - 0.3) * 0.4f;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        g[i] = (float)((double)(s >> 40) / (double)(1ull << 24) - 0.5);
    }
    nl_weight_std_forward(FAN, CO, w, wh, mean, rstd);
    for (int o = 0; o < CO; o++) {
        double m = 0.0, v = 0.0;
        for (int k = 0; k < FAN; k++) m += wh[k * CO + o];
        m /= FAN;
        for (int k = 0; k < FAN; k++) v += (wh[k * CO + o] - m) * (wh[k * CO + o] - m);
        v /= FAN;
        double vw = 1.0 / (rstd[o] * rstd[o]) - NL_WS_EPS; /* var of W's column: W_hat has var vw / (vw + eps) */
        double mw = 0.0, vw2 = 0.0;
        for (int k = 0; k < FAN; k++) mw += w[k * CO + o];
        mw /= FAN;
        for (int k = 0; k < FAN; k++) vw2 += (w[k * CO + o] - mw) * (w[k * CO + o] - mw);
        vw2 /= FAN;
        CHECK_MSG(fabs(mean[o] - mw) < 1e-9 && fabs(vw - vw2) < 1e-9 * (1.0 + vw2), "column %d: statistics", o);
        CHECK_MSG(fabs(m) < 1e-6 && fabs(v - vw2 / (vw2 + NL_WS_EPS)) < 1e-5, "column %d: mean %g var %g", o, m, v);
    }
    memcpy(dw, g, sizeof dw);
    nl_weight_std_backward(FAN, CO, w, mean, rstd, dw);
    /* f(W) = sum g * W_hat(W); df/dW[j] by central differences in double */
    for (int j = 0; j < FAN * CO; j += 7) {
        double f[2], h[2];
        for (int side = 0; side < 2; side++) {
            float w2[FAN * CO], wh2[FAN * CO];
            double m2[CO], r2[CO];
            memcpy(w2, w, sizeof w2);
            w2[j] += side ? -1e-3f : 1e-3f;
            h[side] = (double)w2[j] - (double)w[j]; /* the step float32 actually took */
            nl_weight_std_forward(FAN, CO, w2, wh2, m2, r2);
            f[side] = 0.0;
            for (int i = 0; i < FAN * CO; i++) f[side] += (double)g[i] * wh2[i];
        }
        double fd = (f[0] - f[1]) / (h[0] - h[1]);
        CHECK_MSG(fabs(fd - dw[j]) < 2e-3 * (1.0 + fabs(dw[j])), "dW[%d]: analytic %g, finite difference %g", j,
                  dw[j], fd);
    }
}

int main(void) {
    test_settings();
    test_weight_std();
    test_zero_init();
    test_determinism();
    test_files();
    return nl_test_finish("test_levers");
}
