/* normlab bench: training throughput on random in-memory data (no augmentation), as in
 * ../shared/bench/reference-model.md: 3 warm-up steps, then timed steps; one JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "nl_rng.h"

static const char *const bench_options[] = {"--norm", "--model", "--batch", "--steps", "--threads", "--groups",
                                            "--group-size", "--widths", "--pads", "--skips", "--model-json", NULL};

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

int cmd_bench(int argc, char **argv) {
    cli_options o;
    /* the speed figures use the reference network unless --model says otherwise */
    int has_model = 0;
    for (int i = 2; i < argc; i++)
        has_model |= argv[i][0] == '-' && (!strcmp(argv[i], "--model") || !strcmp(argv[i], "--model-json"));
    int rc = cli_parse(argc, argv, 2, &o, bench_options);
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
    double t0 = now_seconds();
    for (int i = 0; i < o.steps; i++) {
        if (nl_trainer_train_steps(t, 1, &p, &st)) {
            fprintf(stderr, "normlab: %s\n", st.msg);
            break;
        }
    }
    double dt = now_seconds() - t0;
    double ips = (double)o.steps * o.cfg.batch / dt;
    double macs = forward_macs(&o.desc);
    printf("{\"tool\": \"normlab-native\", \"norm\": \"%s\", \"batch\": %d, \"steps\": %d, \"threads\": %d, "
           "\"images_per_sec\": %.1f, \"gflops\": %.2f, \"forward_macs\": %.0f, \"params\": %zu}\n",
           nl_norm_name(o.desc.norm), o.cfg.batch, o.steps, o.cfg.threads, ips, ips * 3.0 * macs * 2.0 / 1e9, macs,
           nl_trainer_layout(t)->n_params);
    nl_trainer_free(t);
    nl_cifar_free(&data);
    return 0;
}
