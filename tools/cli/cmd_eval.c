/* normlab eval: test-set loss, accuracy, per-class accuracy and confusion matrix of a saved
 * checkpoint, and optionally the 5x2 grid of misclassified test images as a PNG. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "draw/nl_grid.h"
#include "draw/nl_png.h"
#include "serialize/nl_checkpoint.h"

static const char *const eval_options[] = {"--data", "--load", "--misclassified", "--by-confidence", "--threads",
                                           "--test-limit", NULL};

static int write_grid(const char *path, const nl_eval_result *ev, const nl_cifar *data, int by_confidence,
                      const char *norm) {
    int index[NL_GRID_MAX_IMAGES];
    int n = nl_eval_misclassified(ev, &data->test, NL_GRID_MAX_IMAGES, by_confidence, index);
    if (n == 0) {
        fprintf(stderr, "normlab: no misclassified test images, %s not written\n", path);
        return 0;
    }
    const uint8_t *images[NL_GRID_MAX_IMAGES];
    int truth[NL_GRID_MAX_IMAGES], pred[NL_GRID_MAX_IMAGES];
    float conf[NL_GRID_MAX_IMAGES];
    for (int i = 0; i < n; i++) {
        images[i] = data->test.pixels + (size_t)index[i] * NL_CIFAR_IMAGE_BYTES;
        truth[i] = data->test.labels[index[i]];
        pred[i] = ev->pred[index[i]];
        conf[i] = ev->conf[index[i]];
    }
    const char *names[10];
    for (int c = 0; c < 10; c++) names[c] = data->class_names[c];
    char title[96];
    snprintf(title, sizeof title, "%s: %s misclassified test images (test acc %.2f%%)", norm,
             by_confidence ? "most confident" : "first", 100.0 * ev->acc);
    uint8_t *rgb;
    int w, h;
    nl_status st;
    if (nl_render_misclassified_grid(images, truth, pred, conf, n, names, title, &rgb, &w, &h, &st) ||
        nl_png_write_file(path, rgb, w, h, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_RUNTIME;
    }
    free(rgb);
    fprintf(stderr, "normlab: wrote %s (%d images)\n", path, n);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, eval_options);
    if (rc) return rc;
    if (!o.load) {
        fprintf(stderr, "normlab: eval needs --load FILE (a checkpoint written by train --save)\n");
        return EXIT_USAGE;
    }
    cli_evaluated e;
    if ((rc = cli_load_and_evaluate(&o, &e))) return rc;
    cli_print_eval(stdout, &e.ev, &e.data);
    if (o.misclassified)
        rc = write_grid(o.misclassified, &e.ev, &e.data, o.by_confidence, nl_norm_name(nl_trainer_layout(e.t)->desc.norm));
    cli_evaluated_free(&e);
    return rc;
}

int cli_load_and_evaluate(const cli_options *o, cli_evaluated *e) {
    nl_status st;
    e->t = nl_checkpoint_load_file(o->load, o->cfg.threads, &st);
    if (!e->t) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_RUNTIME;
    }
    int rc = cli_load_data(o, &e->data);
    if (rc) {
        nl_trainer_free(e->t);
        return rc;
    }
    if (nl_trainer_evaluate(e->t, &e->data.test, &e->ev, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        nl_trainer_free(e->t);
        nl_cifar_free(&e->data);
        return EXIT_RUNTIME;
    }
    return 0;
}

void cli_evaluated_free(cli_evaluated *e) {
    nl_eval_result_free(&e->ev);
    nl_trainer_free(e->t);
    nl_cifar_free(&e->data);
}
