/* A small pthread pool. Work is always split into a fixed number of tasks chosen by the
 * caller (never by the thread count), and each task writes its own output slot, so results
 * are bit-identical for 1, 2 or N threads. */
#ifndef NL_THREAD_POOL_H
#define NL_THREAD_POOL_H

#include "base/nl_status.h"

typedef struct nl_thread_pool nl_thread_pool;
typedef void (*nl_task_fn)(void *ctx, int task);

#define NL_MAX_THREADS 64

/* threads 1..NL_MAX_THREADS, or 0 for every available core; threads == 1 runs everything on
 * the caller's thread (no pthreads used). */
nl_thread_pool *nl_thread_pool_create(int threads, nl_status *st);
/* Online cores (sysconf), 1..NL_MAX_THREADS. */
int nl_thread_pool_available_cores(void);
void nl_thread_pool_free(nl_thread_pool *p);
int nl_thread_pool_threads(const nl_thread_pool *p);
/* Runs fn(ctx, 0..n_tasks-1), tasks taken in order by the caller and the workers; returns
 * when all are done. */
void nl_thread_pool_run(nl_thread_pool *p, int n_tasks, nl_task_fn fn, void *ctx);

#endif
