/* Command-line options shared by the sub-commands. Every setting of the run (model and
 * training) is a flag named after its field in the settings table (serialize/nl_config.h:
 * group_size <-> --group-size); `--config FILE` reads a configuration JSON whose fields the
 * flags then override. The other options (--data, --save, ...) are listed here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/nl_file.h"

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
        fprintf(stderr, "normlab: %s must be an integer in %ld..%ld, got '%s'\n", opt, lo, hi, s);
        return EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

/* Options that are not settings: where to read and write. */
typedef enum { V_STR, V_INT, V_FLAG } value_kind;
typedef struct {
    const char *name;
    value_kind kind;
    size_t offset;
    long lo, hi;
} plain_option;

#define S(name, member) {name, V_STR, offsetof(cli_options, member), 0, 0}
static const plain_option plain_options[] = {
    S("--data", data), S("--save", save), S("--load", load), S("--resume", resume), S("--metrics-out", metrics_out),
    S("--misclassified", misclassified), S("--in", in), S("--out", out), S("--json", json), S("--config", config),
    {"--train-limit", V_INT, offsetof(cli_options, train_limit), 1, 60000},
    {"--test-limit", V_INT, offsetof(cli_options, test_limit), 1, 10000},
    {"--steps", V_INT, offsetof(cli_options, steps), 1, 100000},
    {"--by-confidence", V_FLAG, offsetof(cli_options, by_confidence), 0, 0},
    {"--quiet", V_FLAG, offsetof(cli_options, quiet), 0, 0},
};

static int allowed_opt(const char *const *allowed, const char *opt, const nl_config_field *f) {
    char flag[64];
    if (f) nl_config_flag_name(f, flag, sizeof flag);
    for (; *allowed; allowed++) {
        if (!strcmp(*allowed, opt)) return 1;
        if (f && !strcmp(*allowed, flag)) return 1; /* --no-nesterov with --nesterov */
        if (f && !strcmp(*allowed, f->model ? CLI_MODEL_FLAGS : CLI_TRAIN_FLAGS)) return 1;
    }
    return 0;
}

static int is_bool_text(const char *s) {
    return s && (!strcmp(s, "0") || !strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "false"));
}

int cli_has_flag(int argc, char **argv, int first, const char *flag) {
    for (int i = first; i < argc; i++)
        if (!strcmp(argv[i], flag)) return 1;
    return 0;
}

int cli_parse(int argc, char **argv, int first, cli_options *o, const char *const *allowed) {
    memset(o, 0, sizeof *o);
    o->steps = 20;
    nl_config_override *ov = calloc((size_t)(argc > 0 ? argc : 1), sizeof *ov);
    if (!ov) return usage_error("out of memory%s%s", "", "");
    int n_ov = 0, rc = 0;
    for (int i = first; i < argc && !rc; i++) {
        const char *opt = argv[i];
        if (strncmp(opt, "--", 2) != 0) {
            rc = usage_error("unexpected argument '%s'%s", opt, "");
            break;
        }
        int negated = 0;
        const nl_config_field *f = nl_config_field_by_flag(opt, &negated);
        const plain_option *po = NULL;
        for (size_t k = 0; !f && k < sizeof plain_options / sizeof *plain_options; k++)
            if (!strcmp(plain_options[k].name, opt)) po = &plain_options[k];
        if (!f && !po) {
            rc = usage_error("unknown option %s (normlab --help lists them)%s", opt, "");
            break;
        }
        if (!allowed_opt(allowed, opt, f)) {
            rc = usage_error("option %s is not valid for '%s'", opt, argv[1]);
            break;
        }
        if (f) {
            /* a boolean takes an optional 0/1/true/false; --no-NAME none */
            const char *v = i + 1 < argc ? argv[i + 1] : NULL;
            if (f->type == NL_CF_BOOL && (negated || !is_bool_text(v))) v = NULL;
            else if (!v) rc = usage_error("%s needs a value%s", opt, "");
            else i++;
            ov[n_ov++] = (nl_config_override){f, v, negated};
            continue;
        }
        char *at = (char *)o + po->offset;
        if (po->kind == V_FLAG) {
            *(int *)at = 1;
            continue;
        }
        if (i + 1 >= argc) {
            rc = usage_error("%s needs a value%s", opt, "");
            break;
        }
        const char *v = argv[++i];
        if (po->kind == V_STR) *(const char **)at = v;
        else rc = parse_int(opt, v, po->lo, po->hi, (int *)at);
    }
    nl_json *file = NULL;
    if (!rc && o->config) {
        /* the file alone must make sense: its errors are the file's (exit 1), not the flags' */
        uint8_t *text = NULL;
        size_t len = 0;
        nl_status st;
        nl_config alone;
        if (nl_file_read_all(o->config, &text, &len, 1u << 20, &st) ||
            nl_config_from_json((const char *)text, len, &alone, &st)) {
            if (st.code != NL_EIO) {
                char msg[sizeof st.msg];
                memcpy(msg, st.msg, sizeof msg);
                nl_fail(&st, st.code, "%.100s: %.150s", o->config, msg);
            }
            fprintf(stderr, "normlab: %s\n", st.msg);
            rc = EXIT_RUNTIME;
        } else {
            file = nl_json_parse((const char *)text, len, &st);
        }
        free(text);
    }
    if (!rc) {
        nl_status st;
        if (nl_config_build(file, ov, n_ov, &o->config_all, &st)) {
            fprintf(stderr, "normlab: %s\n", st.msg);
            rc = EXIT_USAGE;
        }
    }
    nl_json_free(file);
    free(ov);
    o->n_setting_flags = n_ov;
    o->desc = o->config_all.model;
    o->cfg = o->config_all.train;
    return rc;
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
