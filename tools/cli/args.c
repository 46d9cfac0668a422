/* Command-line options shared by the sub-commands: each option sets one field of the model
 * description or the training settings, with a one-line error for anything malformed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serialize/nl_model_json.h"

static int usage_error(const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "normlab: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        char range[64];
        snprintf(range, sizeof range, "%ld..%ld", lo, hi);
        fprintf(stderr, "normlab: %s needs an integer in %s, got '%s'\n", opt, range, s);
        return EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v != v) return usage_error("%s needs a number, got '%s'", opt, s);
    *out = (float)v;
    return 0;
}

static int parse_int_list(const char *opt, const char *s, int *out, int n, long lo, long hi) {
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char item[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item) return usage_error("%s needs 10 comma-separated integers, got '%s'", opt, s);
        memcpy(item, p, len);
        item[len] = '\0';
        if (parse_int(opt, item, lo, hi, &out[i])) return EXIT_USAGE;
        p += len;
        if (i < n - 1) {
            if (*p != ',') return usage_error("%s needs 10 comma-separated integers, got '%s'", opt, s);
            p++;
        }
    }
    if (*p) return usage_error("%s needs exactly 10 comma-separated integers, got '%s'", opt, s);
    return 0;
}

static int layer_index(const char *name) {
    for (int l = 0; l < NL_NUM_LAYERS; l++)
        if (!strcmp(nl_layer_names[l], name)) return l;
    return -1;
}

/* "P1-c6,C7-C9" or "none" */
static int parse_skips(const char *s, nl_model_desc *d) {
    d->n_skips = 0;
    if (!strcmp(s, "none") || !*s) return 0;
    const char *p = s;
    while (*p) {
        char item[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item) return usage_error("--skips expects FROM-TO pairs like P1-c6, got '%s'%s", s, "");
        memcpy(item, p, len);
        item[len] = '\0';
        char *dash = strchr(item, '-');
        if (!dash) return usage_error("--skips expects FROM-TO pairs like P1-c6, got '%s'%s", item, "");
        *dash = '\0';
        int from = layer_index(item), to = layer_index(dash + 1);
        if (from < 0 || to < 0) return usage_error("--skips: unknown layer name in '%s' (layers: C1 C2 c3 P1 C3 ... c10)%s", s, "");
        if (d->n_skips >= NL_MAX_SKIPS) return usage_error("--skips: at most 8 pairs%s%s", "", "");
        d->skips[d->n_skips++] = (nl_skip){from, to};
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

static int allowed_opt(const char *const *allowed, const char *opt) {
    for (; *allowed; allowed++)
        if (!strcmp(*allowed, opt)) return 1;
    return 0;
}

int cli_parse(int argc, char **argv, int first, cli_options *o, const char *const *allowed) {
    memset(o, 0, sizeof *o);
    nl_train_config_default(&o->cfg);
    nl_model_desc_default(&o->desc, NL_NORM_BN);
    o->steps = 20;
    /* --norm and --model pick the description first, so that other model options refine it */
    const char *norm = NULL, *model = "default";
    for (int i = first; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--norm")) norm = argv[i + 1];
        if (!strcmp(argv[i], "--model")) model = argv[i + 1];
    }
    nl_norm_kind kind = NL_NORM_BN;
    if (norm && !nl_norm_parse(norm, &kind)) return usage_error("--norm must be bn, gn or ln, got '%s'%s", norm, "");
    if (!strcmp(model, "default")) nl_model_desc_default(&o->desc, kind);
    else if (!strcmp(model, "reference")) nl_model_desc_reference(&o->desc, kind);
    else return usage_error("--model must be default or reference, got '%s'%s", model, "");
    /* --model-json FILE (nl_model_json.h): the whole description from a file; the other
     * model options (--widths, --skips, ...) may still refine it */
    const char *model_json = NULL;
    int model_given = 0;
    for (int i = first; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--model-json")) model_json = argv[i + 1];
        if (!strcmp(argv[i], "--model")) model_given = 1;
    }
    if (model_json && allowed_opt(allowed, "--model-json")) {
        if (norm || model_given)
            return usage_error("--model-json describes the whole model: drop --norm%s%s", " and --model", "");
        nl_status jst;
        if (nl_model_desc_from_json_file(model_json, &o->desc, &jst)) {
            fprintf(stderr, "normlab: %s\n", jst.msg);
            return EXIT_RUNTIME;
        }
    }

    for (int i = first; i < argc; i++) {
        const char *opt = argv[i];
        if (strncmp(opt, "--", 2) != 0) return usage_error("unexpected argument '%s'%s", opt, "");
        if (!allowed_opt(allowed, opt)) return usage_error("option %s is not valid for '%s'", opt, argv[1]);
        /* flags without a value */
        if (!strcmp(opt, "--nesterov")) { o->cfg.nesterov = 1; continue; }
        if (!strcmp(opt, "--no-cycle-momentum")) { o->cfg.cycle_momentum = 0; continue; }
        if (!strcmp(opt, "--by-confidence")) { o->by_confidence = 1; continue; }
        if (!strcmp(opt, "--quiet")) { o->quiet = 1; continue; }
        if (i + 1 >= argc) return usage_error("%s needs a value%s", opt, "");
        const char *v = argv[++i];
        int rc = 0;
        if (!strcmp(opt, "--data")) o->data = v;
        else if (!strcmp(opt, "--save")) o->save = v;
        else if (!strcmp(opt, "--load")) o->load = v;
        else if (!strcmp(opt, "--resume")) o->resume = v;
        else if (!strcmp(opt, "--metrics-out")) o->metrics_out = v;
        else if (!strcmp(opt, "--misclassified")) o->misclassified = v;
        else if (!strcmp(opt, "--norm") || !strcmp(opt, "--model") || !strcmp(opt, "--model-json"))
            continue; /* handled above */
        else if (!strcmp(opt, "--in")) o->in = v;
        else if (!strcmp(opt, "--out")) o->out = v;
        else if (!strcmp(opt, "--json")) o->json = v;
        else if (!strcmp(opt, "--epochs")) rc = parse_int(opt, v, 1, 1000, &o->cfg.epochs);
        else if (!strcmp(opt, "--batch")) rc = parse_int(opt, v, 1, 4096, &o->cfg.batch);
        else if (!strcmp(opt, "--threads")) rc = parse_int(opt, v, 1, 64, &o->cfg.threads);
        else if (!strcmp(opt, "--steps")) rc = parse_int(opt, v, 1, 100000, &o->steps);
        else if (!strcmp(opt, "--seed")) {
            int seed;
            rc = parse_int(opt, v, 0, 2147483647L, &seed);
            o->cfg.seed = (uint64_t)seed;
        } else if (!strcmp(opt, "--max-lr")) rc = parse_float(opt, v, &o->cfg.max_lr);
        else if (!strcmp(opt, "--schedule")) {
            if (!nl_schedule_parse(v, &o->cfg.schedule))
                return usage_error("--schedule must be onecycle, step or const, got '%s'%s", v, "");
        } else if (!strcmp(opt, "--l1")) rc = parse_float(opt, v, &o->cfg.l1);
        else if (!strcmp(opt, "--l2")) rc = parse_float(opt, v, &o->cfg.l2);
        else if (!strcmp(opt, "--momentum")) rc = parse_float(opt, v, &o->cfg.momentum);
        else if (!strcmp(opt, "--label-smoothing")) rc = parse_float(opt, v, &o->cfg.label_smoothing);
        else if (!strcmp(opt, "--pct-start")) rc = parse_float(opt, v, &o->cfg.pct_start);
        else if (!strcmp(opt, "--div-factor")) rc = parse_float(opt, v, &o->cfg.div_factor);
        else if (!strcmp(opt, "--final-div-factor")) rc = parse_float(opt, v, &o->cfg.final_div_factor);
        else if (!strcmp(opt, "--step-epochs")) rc = parse_int(opt, v, 1, 1000, &o->cfg.step_epochs);
        else if (!strcmp(opt, "--step-gamma")) rc = parse_float(opt, v, &o->cfg.step_gamma);
        else if (!strcmp(opt, "--crop")) rc = parse_int(opt, v, 0, 16, &o->cfg.aug_crop_pad);
        else if (!strcmp(opt, "--flip")) rc = parse_int(opt, v, 0, 1, &o->cfg.aug_flip);
        else if (!strcmp(opt, "--cutout")) rc = parse_int(opt, v, 0, 32, &o->cfg.aug_cutout);
        else if (!strcmp(opt, "--train-limit")) rc = parse_int(opt, v, 1, 50000, &o->train_limit);
        else if (!strcmp(opt, "--test-limit")) rc = parse_int(opt, v, 1, 10000, &o->test_limit);
        else if (!strcmp(opt, "--dropout")) rc = parse_float(opt, v, &o->desc.dropout);
        else if (!strcmp(opt, "--groups")) rc = parse_int(opt, v, 1, NL_MAX_WIDTH, &o->desc.groups);
        else if (!strcmp(opt, "--group-size")) {
            rc = parse_int(opt, v, 1, NL_MAX_WIDTH, &o->desc.group_size);
            o->desc.groups = 0;
        } else if (!strcmp(opt, "--widths")) rc = parse_int_list(opt, v, o->desc.width, NL_NUM_BLOCKS, 1, NL_MAX_WIDTH);
        else if (!strcmp(opt, "--pads")) rc = parse_int_list(opt, v, o->desc.pad, NL_NUM_BLOCKS, 0, 1);
        else if (!strcmp(opt, "--skips")) rc = parse_skips(v, &o->desc);
        else return usage_error("unknown option %s%s", opt, "");
        if (rc) return rc;
    }
    nl_status st;
    if (nl_model_desc_validate(&o->desc, &st) || nl_train_config_validate(&o->cfg, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_load_data(const cli_options *o, nl_cifar *data) {
    if (!o->data) {
        fprintf(stderr, "normlab: --data PATH is required (cifar-10-binary.tar.gz or cifar-10-batches-bin/)\n");
        return EXIT_USAGE;
    }
    nl_status st;
    if (nl_cifar_load_path(data, o->data, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_RUNTIME;
    }
    if (o->train_limit && o->train_limit < data->train.n) data->train.n = o->train_limit;
    if (o->test_limit && o->test_limit < data->test.n) data->test.n = o->test_limit;
    return 0;
}
