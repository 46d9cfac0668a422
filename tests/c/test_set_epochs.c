/* Continue past a run's plan (nl_trainer_set_epochs): a 2-epoch run extended to 4 epochs
 * ends bit-identical to a straight 4-epoch run with a constant or step schedule; OneCycle
 * stretches (other weights); out-of-range totals and totals below the epochs begun fail. */
#include <stdlib.h>
#include <string.h>

#include "nl_synth.h"
#include "nl_test.h"
#include "train/nl_train.h"

/* Trains to the end of the plan (never loops forever). */
static void train_to_end(nl_trainer *t) {
    nl_status st;
    nl_progress p;
    for (int guard = 0; guard < 1000; guard++) {
        nl_trainer_progress(t, &p);
        if (p.finished) return;
        CHECK_MSG(nl_trainer_train_steps(t, 1000, &p, &st) == 0, "train: %s", st.msg);
    }
    CHECK_MSG(0, "training did not finish");
}

static nl_trainer *make(const nl_model_desc *d, const nl_cifar *data, nl_schedule_kind sched, int epochs) {
    nl_train_config c;
    nl_synth_train_defaults(&c);
    c.epochs = epochs;
    c.batch = 20; /* 2 steps per epoch with 50 images */
    c.schedule = sched;
    c.step_epochs = 1;
    c.threads = 2;
    c.seed = 7;
    nl_status st;
    nl_trainer *t = nl_trainer_create(d, &c, &st);
    CHECK_MSG(t != NULL, "create: %s", st.msg);
    if (t) CHECK(nl_trainer_set_data(t, data, &st) == 0);
    return t;
}

static int same_weights(nl_trainer *a, nl_trainer *b) {
    const nl_model_layout *L = nl_trainer_layout(a);
    return !memcmp(nl_trainer_params(a), nl_trainer_params(b), sizeof(float) * L->n_params) &&
           !memcmp(nl_trainer_bn_state(a), nl_trainer_bn_state(b), sizeof(float) * L->n_bn_state);
}

static void check_schedule(const nl_model_desc *d, const nl_cifar *data, nl_schedule_kind sched, int identical) {
    const char *name = nl_schedule_name(sched);
    nl_trainer *straight = make(d, data, sched, 4), *extended = make(d, data, sched, 2);
    if (!straight || !extended) return;
    train_to_end(straight);
    train_to_end(extended);
    nl_status st;
    nl_progress p;
    nl_trainer_progress(extended, &p);
    CHECK(p.finished && p.global_step == 4);
    CHECK_MSG(nl_trainer_set_epochs(extended, 4, &st) == 0, "%s: set_epochs: %s", name, st.msg);
    nl_trainer_progress(extended, &p);
    CHECK_MSG(!p.finished && p.total_steps == 8, "%s: the plan is now 8 steps, got %ld", name, p.total_steps);
    CHECK(nl_trainer_config(extended)->epochs == 4);
    train_to_end(extended);
    nl_trainer_progress(extended, &p);
    CHECK(p.global_step == 8 && p.epoch == 4);
    CHECK_MSG(same_weights(straight, extended) == identical, "%s: extended run %s the straight run", name,
              identical ? "differs from" : "equals");
    nl_trainer_free(straight);
    nl_trainer_free(extended);
}

int main(void) {
    nl_cifar data = nl_synth_random_cifar(50, 16, 42);
    nl_model_desc d;
    nl_model_desc_default(&d, NL_NORM_BN);
    check_schedule(&d, &data, NL_SCHED_CONST, 1);
    check_schedule(&d, &data, NL_SCHED_STEP, 1);
    check_schedule(&d, &data, NL_SCHED_ONECYCLE, 0); /* the stretched cycle: other learning rates */

    /* limits: 1..1000, not fewer than the epochs begun (a started epoch counts) */
    nl_trainer *t = make(&d, &data, NL_SCHED_CONST, 3);
    nl_status st;
    CHECK(nl_trainer_set_epochs(t, 0, &st) != 0);
    CHECK(nl_trainer_set_epochs(t, 1001, &st) != 0);
    CHECK(nl_trainer_set_epochs(t, 1000, &st) == 0);
    CHECK(nl_trainer_set_epochs(t, 1, &st) == 0); /* nothing trained yet: any total */
    CHECK(nl_trainer_set_epochs(t, 3, &st) == 0);
    nl_progress p;
    CHECK(nl_trainer_train_steps(t, 3, &p, &st) == 0); /* epoch 1 done (2 steps) */
    CHECK(nl_trainer_train_steps(t, 1, &p, &st) == 0); /* epoch 2 begun */
    CHECK(nl_trainer_set_epochs(t, 1, &st) != 0);
    CHECK_MSG(strstr(st.msg, "at least the 2 already trained") != NULL, "message: %s", st.msg);
    CHECK(nl_trainer_config(t)->epochs == 3); /* a refused total changes nothing */
    CHECK(nl_trainer_set_epochs(t, 2, &st) == 0);
    CHECK(nl_trainer_set_epochs(NULL, 2, &st) != 0);
    nl_trainer_free(t);
    nl_cifar_free(&data);
    return nl_test_finish("test_set_epochs");
}
