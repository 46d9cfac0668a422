/* normlab bench: training throughput on random in-memory data (no augmentation), as in
 * ../shared/bench/reference-model.md: 3 warm-up steps, then timed steps; one JSON line.
 * Extra options here: --isa scalar|wasmsimd|simd128|avx2|avx512 (the kernel set; default: the
 * best this CPU has, all give the same bits), --repeats R (R timed runs of --steps steps:
 * images_per_sec is their median, images_per_sec_best the fastest) and --profile (then one more
 * run of --steps steps with the per-layer, per-pass timers on, printed as a table before the
 * JSON line; the timed runs above stay uninstrumented). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/nl_profile.h"
#include "cli.h"
#include "nn/kernels/nl_kernels.h"
#include "base/nl_rng.h"
#include "base/nl_thread_pool.h"

static const char *const bench_options[] = {CLI_MODEL_FLAGS, "--batch", "--steps", "--threads", "--config", NULL};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Multiply-adds of one forward pass: convs and c10 (norms, pools are not counted). */
static double forward_macs(const nl_model_desc *d) {
    nl_model_layout L;
    if (nl_model_layout_init(&L, d, NULL)) return 0.0;
    double macs = 0.0;
    for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L.blocks[b];
        macs += (double)B->out.h * B->out.w * B->co * B->k * B->k * B->ci;
    }
    return macs;
}

/* The profile of `steps` steps of `threads` threads taking `wall` seconds: ms per step, per
 * layer and pass, summed over the threads; what is left of threads x wall is waiting (barriers,
 * the serial parts between stages, imbalance). */
static void print_profile(int steps, int threads, double wall) {
    printf("profile: ms per step, summed over %d thread%s (%d steps, %.1f ms wall per step)\n", threads,
           threads > 1 ? "s" : "", steps, 1e3 * wall / steps);
    printf("%-6s", "layer");
    for (int p = 0; p < NL_PROF_PASSES; p++) printf(" %9s", nl_prof_pass_names[p]);
    printf(" %9s\n", "total");
    double col[NL_PROF_PASSES] = {0}, all = 0.0;
    for (int l = 0; l < NL_PROF_LAYERS; l++) {
        printf("%-6s", l == NL_PROF_STEP ? "step" : nl_layer_names[l]);
        double row = 0.0;
        for (int p = 0; p < NL_PROF_PASSES; p++) {
            double ms = 1e3 * nl_prof_seconds(l, (nl_prof_pass)p) / steps;
            row += ms;
            col[p] += ms;
            if (ms > 0.0) printf(" %9.2f", ms);
            else printf(" %9s", "");
        }
        all += row;
        printf(" %9.2f\n", row);
    }
    printf("%-6s", "total");
    for (int p = 0; p < NL_PROF_PASSES; p++) printf(" %9.2f", col[p]);
    printf(" %9.2f\n%-6s", all, "share");
    for (int p = 0; p < NL_PROF_PASSES; p++) printf(" %8.1f%%", all > 0.0 ? 100.0 * col[p] / all : 0.0);
    double capacity = 1e3 * wall / steps * threads;
    printf("\nthreads x wall %.2f ms per step: work %.2f (%.1f%%), waiting/untimed %.2f (%.1f%%)\n", capacity, all,
           100.0 * all / capacity, capacity - all, 100.0 * (capacity - all) / capacity);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int cmd_bench(int argc, char **argv) {
    cli_options o;
    /* --isa and --repeats are bench-only: take them out before the shared parser */
    const char *isa = NULL;
    int repeats = 1, nargs = 0, profile = 0;
    char **args = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!args) return EXIT_RUNTIME;
    for (int i = 0; i < argc; i++) {
        if (i >= 2 && !strcmp(argv[i], "--profile")) {
            profile = 1;
        } else if (i >= 2 && i + 1 < argc && !strcmp(argv[i], "--isa")) {
            isa = argv[++i];
        } else if (i >= 2 && i + 1 < argc && !strcmp(argv[i], "--repeats")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000) {
                fprintf(stderr, "normlab: --repeats must be 1..1000, got '%s'\n", argv[i]);
                free(args);
                return EXIT_USAGE;
            }
            repeats = (int)v;
        } else {
            args[nargs++] = argv[i];
        }
    }
    args[nargs] = NULL;
    argc = nargs;
    argv = args;
    if (isa && nl_kernels_select(isa)) {
        fprintf(stderr, "normlab: --isa %s is not available here (available: %s)\n", isa, nl_kernels_available());
        free(args);
        return EXIT_USAGE;
    }
    /* the speed figures use the reference network unless --preset or --config say otherwise */
    int has_model = cli_has_flag(argc, argv, 2, "--preset") || cli_has_flag(argc, argv, 2, "--config");
    int rc = cli_parse(argc, argv, 2, &o, bench_options);
    free(args); /* the options point into the original argv */
    if (rc) return rc;
    if (!has_model) {
        nl_model_desc_reference(&o.desc, o.desc.norm);
    }
    o.cfg.aug_crop_pad = o.cfg.aug_flip = o.cfg.aug_cutout = 0;
    o.cfg.schedule = NL_SCHED_CONST;
    o.cfg.max_lr = 0.01f;
    o.cfg.momentum = 0.9f;
    o.cfg.l2 = 0.0f;
    o.cfg.epochs = 1000;
    nl_cifar data = {0};
    int n = o.cfg.batch * 4;
    data.train.n = n;
    data.train.labels = malloc((size_t)n);
    data.train.pixels = malloc((size_t)n * NL_CIFAR_IMAGE_BYTES);
    if (!data.train.labels || !data.train.pixels) {
        fprintf(stderr, "normlab: out of memory\n");
        return EXIT_RUNTIME;
    }
    nl_rng r = nl_rng_stream(1, 2, 3);
    for (int i = 0; i < n; i++) data.train.labels[i] = (uint8_t)nl_rng_below(&r, 10);
    for (size_t i = 0; i < (size_t)n * NL_CIFAR_IMAGE_BYTES; i++) data.train.pixels[i] = (uint8_t)nl_rng_below(&r, 256);
    nl_status st;
    nl_trainer *t = nl_trainer_create(&o.desc, &o.cfg, &st);
    if (!t || nl_trainer_set_data(t, &data, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        nl_trainer_free(t);
        nl_cifar_free(&data);
        return EXIT_RUNTIME;
    }
    nl_progress p;
    for (int i = 0; i < 3; i++) nl_trainer_train_steps(t, 1, &p, &st); /* warm-up */
    double runs[1000];
    int failed = 0;
    for (int rep = 0; rep < repeats && !failed; rep++) {
        double t0 = now_seconds();
        for (int i = 0; i < o.steps; i++) {
            if (nl_trainer_train_steps(t, 1, &p, &st)) {
                fprintf(stderr, "normlab: %s\n", st.msg);
                failed = 1;
                break;
            }
        }
        runs[rep] = (double)o.steps * o.cfg.batch / (now_seconds() - t0);
    }
    if (failed) {
        nl_trainer_free(t);
        nl_cifar_free(&data);
        return EXIT_RUNTIME;
    }
    if (profile && !failed) { /* one more run, timers on */
        nl_prof_start(1);
        double t0 = now_seconds();
        for (int i = 0; i < o.steps && !failed; i++) failed = nl_trainer_train_steps(t, 1, &p, &st) != 0;
        double wall = now_seconds() - t0;
        nl_prof_enabled = 0;
        if (failed) fprintf(stderr, "normlab: %s\n", st.msg);
        else print_profile(o.steps, o.cfg.threads, wall);
    }
    double sorted[1000];
    memcpy(sorted, runs, sizeof(double) * (size_t)repeats);
    qsort(sorted, (size_t)repeats, sizeof(double), cmp_double);
    double ips = repeats % 2 ? sorted[repeats / 2] : 0.5 * (sorted[repeats / 2 - 1] + sorted[repeats / 2]);
    double macs = forward_macs(&o.desc);
    printf("{\"tool\": \"normlab-native\", \"norm\": \"%s\", \"isa\": \"%s\", \"batch\": %d, \"steps\": %d, "
           "\"threads\": %d, \"repeats\": %d, \"images_per_sec\": %.1f, \"images_per_sec_best\": %.1f, "
           "\"gflops\": %.2f, \"forward_macs\": %.0f, \"params\": %zu, \"runs\": [",
           nl_norm_name(o.desc.norm), nl_kernels()->isa, o.cfg.batch, o.steps,
           o.cfg.threads ? o.cfg.threads : nl_thread_pool_available_cores(), repeats, ips,
           sorted[repeats - 1], ips * 3.0 * macs * 2.0 / 1e9, macs, nl_trainer_layout(t)->n_params);
    for (int rep = 0; rep < repeats; rep++) printf("%s%.1f", rep ? ", " : "", runs[rep]);
    printf("]}\n");
    nl_trainer_free(t);
    nl_cifar_free(&data);
    return 0;
}
