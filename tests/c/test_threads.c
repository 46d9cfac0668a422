/* 1..16 threads (more than this machine's cores: oversubscribed on purpose):
 *  - the pool runs every task of every job exactly once, for any number of tasks (0, fewer
 *    than the threads, many more), job after job, and frees cleanly;
 *  - training gives bit-identical weights and BN state at every thread count, with more
 *    chunks than threads (batch 130: 17 chunks of 8, the last one of 2 images) and fewer
 *    (batch 20: 3 chunks);
 *  - nothing deadlocks: a watchdog ends the test with a message if it runs too long. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/nl_thread_pool.h"
#include "nl_synth.h"
#include "nl_test.h"
#include "train/nl_train.h"

#define MAX_T 16
#define WATCHDOG_S 600 /* generous: the machine may be busy; a deadlock never ends at all */

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "test_threads: still running after the watchdog's limit: a deadlock?\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(1);
}

/* ---- the pool on its own */

#define MAX_TASKS 100

typedef struct {
    atomic_int runs[MAX_TASKS];
} pool_ctx;

static void count_task(void *ctx, int task) {
    pool_ctx *c = ctx;
    atomic_fetch_add(&c->runs[task], 1);
}

static void check_pool(int threads) {
    nl_status st;
    nl_thread_pool *p = nl_thread_pool_create(threads, &st);
    CHECK_MSG(p != NULL, "%d threads: %s", threads, st.msg);
    if (!p) return;
    CHECK(nl_thread_pool_threads(p) == threads);
    int bad = 0;
    for (int job = 0; job < 300 && !bad; job++) {
        /* 0, 1, fewer than the threads, equal, many more */
        int n = job % 7 == 0 ? 0 : 1 + (job * 13) % MAX_TASKS;
        pool_ctx c;
        for (int t = 0; t < MAX_TASKS; t++) atomic_init(&c.runs[t], 0);
        nl_thread_pool_run(p, n, count_task, &c);
        for (int t = 0; t < MAX_TASKS; t++) {
            int want = t < n ? 1 : 0, got = atomic_load(&c.runs[t]);
            if (got != want) {
                CHECK_MSG(0, "%d threads, job %d (%d tasks): task %d ran %d times", threads, job, n, t, got);
                bad = 1;
                break;
            }
        }
    }
    CHECK(!bad);
    nl_thread_pool_free(p);
}

/* ---- training */

/* Trains `steps` steps and returns a copy of the weights + BN state (malloc'd). */
static float *train(const nl_model_desc *d, const nl_cifar *data, int batch, int threads, int steps, size_t *n) {
    nl_train_config c;
    nl_synth_train_defaults(&c);
    c.epochs = 2;
    c.batch = batch;
    c.threads = threads;
    c.seed = 21;
    nl_status st;
    nl_trainer *t = nl_trainer_create(d, &c, &st);
    CHECK_MSG(t != NULL, "create (%d threads): %s", threads, st.msg);
    if (!t) return NULL;
    CHECK(nl_trainer_set_data(t, data, &st) == 0);
    nl_progress p;
    int done = 0;
    while (done < steps) {
        nl_trainer_progress(t, &p);
        long before = p.global_step;
        CHECK(nl_trainer_train_steps(t, steps - done, &p, &st) == 0);
        if (p.global_step == before) break; /* finished: never loop forever */
        done += (int)(p.global_step - before);
    }
    CHECK(done == steps);
    return nl_synth_take_weights(t, n);
}

/* every thread count 2..16 (all), or a spread of them */
static void check_training(nl_norm_kind kind, const nl_cifar *data, int batch, int all) {
    static const int some[] = {2, 3, 5, 8, 9, 16};
    nl_model_desc d;
    nl_model_desc_default(&d, kind);
    d.dropout = 0.05f;
    size_t n1 = 0, n = 0;
    float *ref = train(&d, data, batch, 1, 2, &n1);
    if (!ref) return;
    int count = all ? MAX_T - 1 : (int)(sizeof some / sizeof some[0]);
    for (int k = 0; k < count; k++) {
        int threads = all ? 2 + k : some[k];
        float *w = train(&d, data, batch, threads, 2, &n);
        CHECK_MSG(w && n == n1 && memcmp(ref, w, n1 * sizeof(float)) == 0, "%s batch %d: %d threads differ from 1 thread",
                  nl_norm_name(kind), batch, threads);
        free(w);
    }
    free(ref);
}

int main(void) {
    signal(SIGALRM, on_alarm);
    alarm(WATCHDOG_S);
    for (int threads = 1; threads <= MAX_T; threads++) check_pool(threads);
    /* 0 = every core */
    nl_status st;
    nl_thread_pool *p = nl_thread_pool_create(0, &st);
    CHECK(p && nl_thread_pool_threads(p) == nl_thread_pool_available_cores());
    nl_thread_pool_free(p);
    CHECK(nl_thread_pool_create(NL_MAX_THREADS + 1, &st) == NULL && st.code == NL_EINVAL);

    nl_cifar data = nl_synth_random_cifar(260, 8, 42); /* 2 steps of 130 per epoch */
    check_training(NL_NORM_BN, &data, 130, 1); /* BN: the most barriers */
    check_training(NL_NORM_BN, &data, 20, 0);
    check_training(NL_NORM_GN, &data, 130, 0);
    check_training(NL_NORM_LN, &data, 130, 0);
    nl_cifar_free(&data);
    return nl_test_finish("test_threads");
}
