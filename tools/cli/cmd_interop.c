/* PyTorch interchange from the command line:
 *   normlab export   --load CKPT --out FILE.safetensors [--json MODEL.json]
 *   normlab import   --in FILE.safetensors [--json MODEL.json] --save CKPT [training options]
 *   normlab describe [--norm bn|gn|ln] [model options] [--load CKPT | --in FILE.safetensors] [--out FILE.json]
 *   normlab predict  --load CKPT --data PATH [--test-limit N] [--out LOGITS.f32]
 * (nl_safetensors.h, nl_model_json.h). Errors are one line on stderr; exit 1 for a runtime
 * failure (bad file), 2 for a bad command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/nl_file.h"
#include "serialize/nl_model_json.h"
#include "serialize/nl_safetensors.h"
#include "serialize/nl_checkpoint.h"

static int runtime_error(const nl_status *st) {
    fprintf(stderr, "normlab: %s\n", st->msg);
    return EXIT_RUNTIME;
}

/* ---- export ---- */
static const char *const export_options[] = {"--load", "--out", "--json", "--threads", NULL};

int cmd_export(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, export_options);
    if (rc) return rc;
    if (!o.load || !o.out) {
        fprintf(stderr, "normlab: export needs --load CKPT and --out FILE.safetensors\n");
        return EXIT_USAGE;
    }
    nl_status st;
    nl_trainer *t = nl_checkpoint_load_file(o.load, cli_has_flag(argc, argv, 2, "--threads") ? o.cfg.threads : 0, &st);
    if (!t) return runtime_error(&st);
    rc = 0;
    if (nl_safetensors_export_file(t, o.out, &st)) rc = runtime_error(&st);
    else if (o.json && nl_model_desc_to_json_file(&nl_trainer_layout(t)->desc, o.json, &st)) rc = runtime_error(&st);
    if (!rc) {
        const nl_model_layout *L = nl_trainer_layout(t);
        fprintf(stderr, "normlab: wrote %s (%s model, %zu parameters)%s%s\n", o.out, nl_norm_name(L->desc.norm),
                L->n_params, o.json ? " and " : "", o.json ? o.json : "");
    }
    nl_trainer_free(t);
    return rc;
}

/* ---- import ---- */
static const char *const import_options[] = {"--in", "--json", "--save", CLI_TRAIN_FLAGS, NULL};

int cmd_import(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, import_options);
    if (rc) return rc;
    if (!o.in || !o.save) {
        fprintf(stderr, "normlab: import needs --in FILE.safetensors and --save CKPT\n");
        return EXIT_USAGE;
    }
    nl_status st;
    nl_model_desc d;
    if (o.json && nl_model_desc_from_json_file(o.json, &d, &st)) return runtime_error(&st);
    /* without training flags: the file's own configuration (or the defaults for its norm) */
    nl_trainer *t = nl_safetensors_import_file(o.in, o.json ? &d : NULL, o.n_setting_flags ? &o.cfg : NULL, &st);
    if (!t) return runtime_error(&st);
    rc = 0;
    if (nl_checkpoint_save_file(t, o.save, &st)) {
        rc = runtime_error(&st);
    } else {
        const nl_model_layout *L = nl_trainer_layout(t);
        fprintf(stderr, "normlab: imported %s (%s model, %zu parameters) into %s\n", o.in, nl_norm_name(L->desc.norm),
                L->n_params, o.save);
    }
    nl_trainer_free(t);
    return rc;
}

/* ---- describe ---- */
static const char *const describe_options[] = {CLI_MODEL_FLAGS, "--config", "--load", "--in", "--out", NULL};

int cmd_describe(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, describe_options);
    if (rc) return rc;
    if (o.load && o.in) {
        fprintf(stderr, "normlab: describe takes --load CKPT or --in FILE.safetensors, not both\n");
        return EXIT_USAGE;
    }
    nl_status st;
    nl_model_desc d = o.desc;
    if (o.load) {
        nl_trainer *t = nl_checkpoint_load_file(o.load, 1, &st);
        if (!t) return runtime_error(&st);
        d = nl_trainer_layout(t)->desc;
        nl_trainer_free(t);
    } else if (o.in) {
        uint8_t *buf;
        size_t len;
        if (nl_file_read_all(o.in, &buf, &len, NL_SAFETENSORS_MAX_FILE, &st)) return runtime_error(&st);
        rc = nl_safetensors_read_desc(buf, len, &d, &st);
        free(buf);
        if (rc) {
            fprintf(stderr, "normlab: %s: %s\n", o.in, st.msg);
            return EXIT_RUNTIME;
        }
    }
    if (o.out) {
        if (nl_model_desc_to_json_file(&d, o.out, &st)) return runtime_error(&st);
        fprintf(stderr, "normlab: wrote %s\n", o.out);
        return 0;
    }
    char json[NL_MODEL_JSON_MAX];
    if (nl_model_desc_to_json(&d, json, sizeof json, &st)) return runtime_error(&st);
    printf("%s\n", json);
    return 0;
}

/* ---- predict ---- */
static const char *const predict_options[] = {"--load", "--data", "--test-limit", "--out", "--threads", NULL};

int cmd_predict(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, predict_options);
    if (rc) return rc;
    if (!o.load) {
        fprintf(stderr, "normlab: predict needs --load CKPT (and --data PATH)\n");
        return EXIT_USAGE;
    }
    nl_status st;
    nl_trainer *t = nl_checkpoint_load_file(o.load, cli_has_flag(argc, argv, 2, "--threads") ? o.cfg.threads : 0, &st);
    if (!t) return runtime_error(&st);
    nl_cifar data;
    if ((rc = cli_load_data(&o, &data))) {
        nl_trainer_free(t);
        return rc;
    }
    int n = data.test.n, K = nl_trainer_layout(t)->desc.classes;
    float *logits = malloc(sizeof(float) * (size_t)n * K);
    uint8_t *bytes = malloc((size_t)n * K * 4);
    if (!logits || !bytes) {
        fprintf(stderr, "normlab: out of memory\n");
        rc = EXIT_RUNTIME;
    } else if (nl_trainer_predict(t, data.test.pixels, n, logits, &st)) {
        rc = runtime_error(&st);
    } else if (o.out) {
        /* float32 little-endian [n][classes] */
        for (size_t i = 0; i < (size_t)n * K; i++) {
            uint32_t u;
            memcpy(&u, &logits[i], 4);
            for (int b = 0; b < 4; b++) bytes[4 * i + b] = (uint8_t)(u >> (8 * b));
        }
        if (nl_file_write_atomic(o.out, bytes, (size_t)n * K * 4, &st)) rc = runtime_error(&st);
        else fprintf(stderr, "normlab: wrote %s (%d x %d float32 logits)\n", o.out, n, K);
    } else {
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (logits[(size_t)i * K + k] > logits[(size_t)i * K + best]) best = k;
            printf("%d label %d pred %d logits", i, data.test.labels[i], best);
            for (int k = 0; k < K; k++) printf(" %.7g", logits[(size_t)i * K + k]);
            printf("\n");
        }
    }
    free(logits);
    free(bytes);
    nl_trainer_free(t);
    nl_cifar_free(&data);
    return rc;
}
