/* Reproducibility: same seed -> identical weights; 1, 2 and 3 threads -> identical weights;
 * saving a checkpoint mid-run and resuming gives exactly the uninterrupted run. */
#include <stdlib.h>
#include <string.h>

#include "base/nl_rng.h"
#include "nl_synth.h"
#include "nl_test.h"
#include "train/nl_train.h"
#include "serialize/nl_checkpoint.h"

static void config(nl_train_config *c, int threads, uint64_t seed) {
    nl_synth_train_defaults(c);
    c->epochs = 5; /* 10 steps in all */
    c->batch = 20; /* 3 chunks of 8, the last one partial */
    c->threads = threads;
    c->seed = seed;
    c->l1 = 1e-5f;
    c->label_smoothing = 0.1f;
}

/* Trains `steps` steps from scratch and returns a copy of the weights + BN state. */
static float *train(const nl_model_desc *d, const nl_cifar *data, int threads, uint64_t seed, int steps, size_t *n) {
    nl_train_config c;
    config(&c, threads, seed);
    nl_status st;
    nl_trainer *t = nl_trainer_create(d, &c, &st);
    CHECK_MSG(t != NULL, "create: %s", st.msg);
    if (!t) return NULL;
    CHECK(nl_trainer_set_data(t, data, &st) == 0);
    nl_progress p;
    int done = 0;
    while (done < steps) {
        nl_trainer_progress(t, &p);
        int before = (int)p.global_step;
        CHECK(nl_trainer_train_steps(t, steps - done, &p, &st) == 0);
        if ((int)p.global_step == before) break; /* finished: never loop forever */
        done += (int)p.global_step - before;
    }
    return nl_synth_take_weights(t, n);
}

static void check_resume(const nl_model_desc *d, const nl_cifar *data, const char *what) {
    /* 7 straight steps vs 4 steps, save, load (other thread count), 3 more steps */
    size_t n;
    float *straight = train(d, data, 1, 5, 7, &n);
    nl_train_config c;
    config(&c, 2, 5);
    nl_status st;
    nl_trainer *t = nl_trainer_create(d, &c, &st);
    nl_trainer_set_data(t, data, &st);
    nl_progress p;
    int done = 0;
    while (done < 4) {
        nl_trainer_progress(t, &p);
        long before = p.global_step;
        nl_trainer_train_steps(t, 4 - done, &p, &st);
        if (p.global_step == before) break;
        done += (int)(p.global_step - before);
    }
    uint8_t *buf;
    size_t len;
    CHECK(nl_checkpoint_save_buffer(t, &buf, &len, &st) == 0);
    nl_trainer_free(t);
    nl_trainer *u = nl_checkpoint_load_buffer(buf, len, 3, &st);
    CHECK_MSG(u != NULL, "%s: load: %s", what, st.msg);
    free(buf);
    if (!u) {
        free(straight);
        return;
    }
    CHECK(nl_trainer_set_data(u, data, &st) == 0);
    while (done < 7) {
        nl_trainer_progress(u, &p);
        long before = p.global_step;
        nl_trainer_train_steps(u, 7 - done, &p, &st);
        if (p.global_step == before) break;
        done += (int)(p.global_step - before);
    }
    const nl_model_layout *L = nl_trainer_layout(u);
    CHECK_MSG(memcmp(straight, nl_trainer_params(u), sizeof(float) * L->n_params) == 0,
              "%s: resumed run differs from the straight run", what);
    CHECK(memcmp(straight + L->n_params, nl_trainer_bn_state(u), sizeof(float) * L->n_bn_state) == 0);
    nl_trainer_free(u);
    free(straight);
}

int main(void) {
    nl_cifar data = nl_synth_random_cifar(50, 16, 42); /* 2 steps of 20 per epoch */
    const nl_norm_kind kinds[3] = {NL_NORM_BN, NL_NORM_GN, NL_NORM_LN};
    for (int k = 0; k < 3; k++) {
        nl_model_desc d;
        nl_model_desc_default(&d, kinds[k]);
        d.dropout = 0.05f;
        size_t n1, n2, n3, n4, n5;
        float *a = train(&d, &data, 1, 11, 3, &n1);
        float *b = train(&d, &data, 1, 11, 3, &n2);
        float *c2 = train(&d, &data, 2, 11, 3, &n3);
        float *c3 = train(&d, &data, 3, 11, 3, &n4);
        float *other = train(&d, &data, 2, 12, 3, &n5);
        const char *name = nl_norm_name(kinds[k]);
        CHECK_MSG(memcmp(a, b, n1 * sizeof(float)) == 0, "%s: same seed, different weights", name);
        CHECK_MSG(memcmp(a, c2, n1 * sizeof(float)) == 0, "%s: 2 threads differ from 1 thread", name);
        CHECK_MSG(memcmp(a, c3, n1 * sizeof(float)) == 0, "%s: 3 threads differ from 1 thread", name);
        CHECK_MSG(memcmp(a, other, n1 * sizeof(float)) != 0, "%s: another seed gave the same weights", name);
        free(a);
        free(b);
        free(c2);
        free(c3);
        free(other);
        check_resume(&d, &data, name);
    }
    nl_cifar_free(&data);
    return nl_test_finish("test_determinism");
}
