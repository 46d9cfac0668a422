/* norm_decay: with it off, L1/L2 leave the norms' gamma and beta alone and still act on every
 * conv weight (c10 included). One optimiser step from the same initial weights and batch:
 *   gamma/beta of (l2, l1 on, norm_decay off) == those of (no penalties);
 *   conv weights of it == those of (l2, l1 on, norm_decay on), and differ from no penalties;
 *   gamma/beta of (norm_decay on) differ from no penalties (the test can fail). */
#include <stdlib.h>
#include <string.h>

#include "nl_synth.h"
#include "nl_test.h"
#include "serialize/nl_config.h"
#include "train/nl_train.h"

static float *one_step(const nl_model_desc *d, const nl_cifar *data, float l1, float l2, int norm_decay) {
    nl_train_config c;
    nl_synth_train_defaults(&c);
    c.epochs = 1;
    c.batch = 20;
    c.threads = 1;
    c.seed = 3;
    c.schedule = NL_SCHED_CONST;
    c.max_lr = 0.1f;
    c.l1 = l1;
    c.l2 = l2;
    c.norm_decay = norm_decay;
    nl_status st;
    nl_trainer *t = nl_trainer_create(d, &c, &st);
    CHECK_MSG(t != NULL, "create: %s", st.msg);
    if (!t) return NULL;
    CHECK(nl_trainer_set_data(t, data, &st) == 0);
    nl_progress p;
    CHECK_MSG(nl_trainer_train_steps(t, 1, &p, &st) == 0, "step: %s", st.msg);
    const nl_model_layout *L = nl_trainer_layout(t);
    float *w = malloc(sizeof(float) * L->n_params);
    memcpy(w, nl_trainer_params(t), sizeof(float) * L->n_params);
    nl_trainer_free(t);
    return w;
}

static int same(const float *a, const float *b, size_t off, size_t n) {
    return memcmp(a + off, b + off, n * sizeof(float)) == 0;
}

int main(void) {
    /* the default is on (PyTorch SGD weight_decay on every parameter) */
    nl_train_config dflt;
    nl_synth_train_defaults(&dflt);
    CHECK(dflt.norm_decay == 1);

    nl_cifar data = nl_synth_random_cifar(40, 8, 5);
    const nl_norm_kind kinds[3] = {NL_NORM_BN, NL_NORM_GN, NL_NORM_LN};
    for (int k = 0; k < 3; k++) {
        nl_model_desc d;
        nl_model_desc_default(&d, kinds[k]);
        nl_model_layout L;
        nl_status st;
        CHECK(nl_model_layout_init(&L, &d, &st) == 0);
        float *plain = one_step(&d, &data, 0.0f, 0.0f, 1);
        float *off = one_step(&d, &data, 1e-3f, 0.05f, 0);
        float *on = one_step(&d, &data, 1e-3f, 0.05f, 1);
        if (!plain || !off || !on) break;
        const char *name = nl_norm_name(kinds[k]);
        for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
            const nl_block_layout *B = &L.blocks[b];
            size_t nw = (size_t)B->k * B->k * B->ci * B->co;
            CHECK_MSG(same(off, on, B->w_off, nw), "%s block %d: weights not penalised with norm_decay off", name, b);
            CHECK_MSG(!same(off, plain, B->w_off, nw), "%s block %d: the penalties did nothing", name, b);
            if (b == NL_NUM_BLOCKS) continue;
            CHECK_MSG(same(off, plain, B->gamma_off, (size_t)B->co), "%s block %d: gamma penalised", name, b);
            CHECK_MSG(same(off, plain, B->beta_off, (size_t)B->co), "%s block %d: beta penalised", name, b);
            /* gamma starts at 1, so L2 must move it when norm_decay is on */
            CHECK_MSG(!same(on, plain, B->gamma_off, (size_t)B->co), "%s block %d: gamma not penalised", name, b);
        }
        free(plain);
        free(off);
        free(on);
    }
    nl_cifar_free(&data);
    return nl_test_finish("test_norm_decay");
}
