#include "base/nl_thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* A job's wake-up goes through a mutex + condition variable, but a thread first spins on the
 * job counter for up to SPIN_NS: within a training step jobs follow each other every few
 * tens of microseconds, and a futex sleep/wake (or Atomics.wait/notify in Wasm) costs about
 * as much as a small job. */
#ifndef NL_POOL_SPIN_NS /* -D to experiment: 200 us made no difference in Firefox (bench/README.md) */
#define NL_POOL_SPIN_NS 20000L
#endif
#define SPIN_NS NL_POOL_SPIN_NS

struct nl_thread_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t start_cv, done_cv;
    /* the current job (written before `generation` is bumped, read after seeing it) */
    nl_task_fn fn;
    void *ctx;
    int n_tasks;
    atomic_int next_task;
    atomic_int busy_workers;  /* workers still inside the current job */
    atomic_ulong generation;  /* job counter */
    atomic_int quit;
};

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void run_tasks(nl_thread_pool *p) {
    for (;;) {
        int t = atomic_fetch_add(&p->next_task, 1);
        if (t >= p->n_tasks) break;
        p->fn(p->ctx, t);
    }
}

/* Spins until *cond_done() or SPIN_NS passed; returns 1 if done. */
static int spin_worker(nl_thread_pool *p, unsigned long seen) {
    long t0 = now_ns();
    for (int i = 1;; i++) {
        if (atomic_load(&p->generation) != seen || atomic_load(&p->quit)) return 1;
        cpu_relax();
        if ((i & 63) == 0 && now_ns() - t0 > SPIN_NS) return 0;
    }
}

static void *worker_main(void *arg) {
    nl_thread_pool *p = arg;
    unsigned long seen = 0;
    for (;;) {
        if (!spin_worker(p, seen)) {
            pthread_mutex_lock(&p->mu);
            while (!atomic_load(&p->quit) && atomic_load(&p->generation) == seen)
                pthread_cond_wait(&p->start_cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit)) break;
        seen = atomic_load(&p->generation);
        run_tasks(p);
        if (atomic_fetch_sub(&p->busy_workers, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

int nl_thread_pool_available_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > NL_MAX_THREADS ? NL_MAX_THREADS : (int)n;
}

nl_thread_pool *nl_thread_pool_create(int threads, nl_status *st) {
    if (threads == 0) threads = nl_thread_pool_available_cores();
    if (threads < 1 || threads > NL_MAX_THREADS) {
        nl_fail(st, NL_EINVAL, "threads must be 0 (every core) or 1..%d, got %d", NL_MAX_THREADS, threads);
        return NULL;
    }
    nl_thread_pool *p = calloc(1, sizeof *p);
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

void nl_thread_pool_free(nl_thread_pool *p) {
    if (!p) return;
    if (p->threads > 1) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->quit, 1);
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

int nl_thread_pool_threads(const nl_thread_pool *p) { return p ? p->threads : 1; }

void nl_thread_pool_run(nl_thread_pool *p, int n_tasks, nl_task_fn fn, void *ctx) {
    if (n_tasks <= 0) return;
    if (!p || p->threads == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    atomic_store(&p->busy_workers, p->threads - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
    run_tasks(p);
    long t0 = now_ns();
    for (int i = 1; atomic_load(&p->busy_workers) > 0; i++) {
        cpu_relax();
        if ((i & 63) == 0 && now_ns() - t0 > SPIN_NS) {
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->busy_workers) > 0) pthread_cond_wait(&p->done_cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
            break;
        }
    }
}
