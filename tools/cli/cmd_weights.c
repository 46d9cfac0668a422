/* normlab weights: statistics of a checkpoint's weights for the regularisation study — how
 * many conv weights are near zero (L1 drives weights to exactly zero, L2 only shrinks them),
 * and their L1 and L2 norms. Gamma/beta of the norms are reported apart. One JSON line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serialize/nl_checkpoint.h"

static const char *const weights_options[] = {"--load", "--threshold", NULL};

int cmd_weights(int argc, char **argv) {
    /* --threshold is not a shared option: take it out before the shared parser sees argv */
    double threshold = 1e-3;
    char **rest = malloc(sizeof(char *) * (size_t)argc);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i >= 2 && !strcmp(argv[i], "--threshold")) {
            char *end;
            if (i + 1 >= argc || (threshold = strtod(argv[i + 1], &end), *end) || !(threshold > 0)) {
                fprintf(stderr, "normlab: --threshold needs a positive number\n");
                free(rest);
                return EXIT_USAGE;
            }
            i++;
            continue;
        }
        rest[n++] = argv[i];
    }
    cli_options o;
    int rc = cli_parse(n, rest, 2, &o, weights_options);
    free(rest);
    if (rc) return rc;
    if (!o.load) {
        fprintf(stderr, "normlab: weights needs --load FILE\n");
        return EXIT_USAGE;
    }
    nl_status st;
    nl_trainer *t = nl_checkpoint_load_file(o.load, 1, &st);
    if (!t) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_RUNTIME;
    }
    const nl_model_layout *L = nl_trainer_layout(t);
    const float *p = nl_trainer_params(t);
    long conv_n = 0, conv_small = 0, norm_n = 0, norm_small = 0;
    double conv_l1 = 0, conv_l2 = 0, max_abs = 0;
    for (int b = 0; b <= NL_NUM_BLOCKS; b++) {
        const nl_block_layout *B = &L->blocks[b];
        size_t nw = (size_t)B->k * B->k * B->ci * B->co;
        for (size_t i = 0; i < nw; i++) {
            double w = fabs(p[B->w_off + i]);
            conv_n++;
            conv_small += w < threshold;
            conv_l1 += w;
            conv_l2 += w * w;
            if (w > max_abs) max_abs = w;
        }
        if (b < NL_NUM_BLOCKS)
            for (int c = 0; c < B->co; c++) {
                norm_n += 2;
                norm_small += (fabs(p[B->gamma_off + c]) < threshold) + (fabs(p[B->beta_off + c]) < threshold);
            }
    }
    printf("{\"checkpoint\": \"%s\", \"threshold\": %g, \"conv_weights\": %ld, \"conv_near_zero\": %ld, "
           "\"conv_near_zero_share\": %.6f, \"conv_l1\": %.6g, \"conv_l2\": %.6g, \"conv_max_abs\": %.6g, "
           "\"norm_params\": %ld, \"norm_near_zero\": %ld}\n",
           o.load, threshold, conv_n, conv_small, conv_n ? (double)conv_small / conv_n : 0.0, conv_l1, sqrt(conv_l2),
           max_abs, norm_n, norm_small);
    nl_trainer_free(t);
    return 0;
}
