/* normlab summary, and the shared printers for the model report and evaluation results. */
#include <stdio.h>

#include "cli.h"

int cli_print_report(FILE *f, const nl_model_desc *d) {
    nl_layer_info info[NL_NUM_LAYERS];
    nl_status st;
    int total = nl_model_report(d, info, &st);
    if (total < 0) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_USAGE;
    }
    fprintf(f, "Model: %s", nl_norm_name(d->norm));
    if (d->norm == NL_NORM_GN) {
        fprintf(f, " (groups per layer:");
        for (int b = 0; b < NL_NUM_BLOCKS; b++) fprintf(f, " %d", nl_model_desc_groups(d, b));
        fprintf(f, ")");
    }
    if (d->n_skips) {
        fprintf(f, ", skip adds:");
        for (int i = 0; i < d->n_skips; i++)
            fprintf(f, " %s->%s", nl_layer_names[d->skips[i].from], nl_layer_names[d->skips[i].to]);
    }
    fprintf(f, "\n\n%-5s %-18s %-12s %-12s %8s\n", "layer", "op", "input", "output", "params");
    for (int l = 0; l < NL_NUM_LAYERS; l++) {
        char in[32], out[32];
        snprintf(in, sizeof in, "%dx%dx%d", info[l].in.c, info[l].in.h, info[l].in.w);
        snprintf(out, sizeof out, "%dx%dx%d", info[l].out.c, info[l].out.h, info[l].out.w);
        fprintf(f, "%-5s %-18s %-12s %-12s %8d\n", info[l].name, info[l].op, in, out, info[l].params);
    }
    fprintf(f, "%-5s %-18s %-12s %-12s %8d  (%s 50,000)\n\n", "total", "", "", "", total,
            total < 50000 ? "under" : "NOT under");
    fprintf(f, "Receptive field (r = field size in input pixels, n = output size, j = jump, k, s, p)\n");
    fprintf(f, "%-5s %4s %4s %4s %4s %4s %4s\n", "layer", "r", "n", "j", "k", "s", "p");
    fprintf(f, "%-5s %4d %4d %4d %4s %4s %4s\n", "input", 1, d->in_hw, 1, "", "", "");
    for (int l = 0; l < NL_NUM_LAYERS; l++)
        fprintf(f, "%-5s %4d %4d %4d %4d %4d %4d\n", info[l].name, info[l].rf_r, info[l].rf_n, info[l].rf_j,
                info[l].rf_k, info[l].rf_s, info[l].rf_p);
    return 0;
}

void cli_print_eval(FILE *f, const nl_eval_result *r, const nl_cifar *data) {
    fprintf(f, "test loss %.4f  accuracy %.2f%% (%d images)\n\n", r->loss, 100.0 * r->acc, r->n);
    fprintf(f, "%-12s %8s\n", "class", "accuracy");
    for (int c = 0; c < 10; c++) fprintf(f, "%-12s %7.2f%%\n", data->class_names[c], 100.0 * r->class_acc[c]);
    fprintf(f, "\nconfusion matrix (rows: true class, columns: predicted)\n%-12s", "");
    for (int c = 0; c < 10; c++) fprintf(f, " %5.5s", data->class_names[c]);
    fputc('\n', f);
    for (int y = 0; y < 10; y++) {
        fprintf(f, "%-12s", data->class_names[y]);
        for (int c = 0; c < 10; c++) fprintf(f, " %5d", r->confusion[y][c]);
        fputc('\n', f);
    }
}

static const char *const summary_options[] = {CLI_MODEL_FLAGS, "--config", NULL};

int cmd_summary(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, summary_options);
    if (rc) return rc;
    return cli_print_report(stdout, &o.desc);
}
