#include "nl_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct nl_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t start_cv, done_cv;
    /* the current job */
    nl_task_fn fn;
    void *ctx;
    int n_tasks;
    atomic_int next_task;
    int busy_workers;  /* workers still inside the current job */
    unsigned long generation;
    int quit;
};

static void run_tasks(nl_pool *p) {
    for (;;) {
        int t = atomic_fetch_add(&p->next_task, 1);
        if (t >= p->n_tasks) break;
        p->fn(p->ctx, t);
    }
}

static void *worker_main(void *arg) {
    nl_pool *p = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen) pthread_cond_wait(&p->start_cv, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_tasks(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy_workers == 0) pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

nl_pool *nl_pool_create(int threads, nl_status *st) {
    if (threads < 1 || threads > 64) {
        nl_fail(st, NL_EINVAL, "threads must be 1..64, got %d", threads);
        return NULL;
    }
    nl_pool *p = calloc(1, sizeof *p);
    if (!p) {
        nl_fail(st, NL_ENOMEM, "out of memory creating thread pool");
        return NULL;
    }
    p->threads = threads;
    if (threads == 1) return p;
    p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    int started = 0;
    for (; p->workers && started < threads - 1; started++)
        if (pthread_create(&p->workers[started], NULL, worker_main, p) != 0) break;
    if (started < threads - 1) {
        /* Fewer threads than asked (e.g. a Wasm page without SharedArrayBuffer): run with what we have. */
        p->threads = started + 1;
    }
    return p;
}

void nl_pool_free(nl_pool *p) {
    if (!p) return;
    if (p->threads > 1) {
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        pthread_cond_broadcast(&p->start_cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    }
    if (p->workers) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->start_cv);
        pthread_cond_destroy(&p->done_cv);
    }
    free(p->workers);
    free(p);
}

int nl_pool_threads(const nl_pool *p) { return p ? p->threads : 1; }

void nl_pool_run(nl_pool *p, int n_tasks, nl_task_fn fn, void *ctx) {
    if (n_tasks <= 0) return;
    if (!p || p->threads == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    p->busy_workers = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
    run_tasks(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy_workers > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
