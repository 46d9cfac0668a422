/* nl_parity_tool: the native side of the Wasm parity tests (tests/node/). It runs the same
 * steps as the JS API on the same data and configuration JSON and prints one JSON object with
 * the exact bits of the results (base64 of the little-endian float arrays), so the Node test
 * can compare Wasm and native bit for bit without depending on the CLI's output format.
 *
 * usage: nl_parity_tool --data PATH (--config FILE | --load CKPT) [--threads N]
 *                       [--steps N] [--save CKPT] [--no-eval]
 *   PATH: a folder with the six .bin batch files, or a .tar.gz in the official layout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/nl_cifar.h"
#include "base/nl_file.h"
#include "train/nl_train.h"
#include "serialize/nl_checkpoint.h"
#include "serialize/nl_config.h"

static void put_base64(const void *data, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    putchar('"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        putchar(tab[v >> 18 & 63]);
        putchar(tab[v >> 12 & 63]);
        putchar(i + 1 < n ? tab[v >> 6 & 63] : '=');
        putchar(i + 2 < n ? tab[v & 63] : '=');
    }
    putchar('"');
}

/* Floats as little-endian bytes, whatever the host's order. */
static void put_floats(const float *v, size_t n) {
    uint8_t *b = malloc(n * 4 + 1);
    if (!b) {
        fputs("null", stdout);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int k = 0; k < 4; k++) b[i * 4 + k] = (uint8_t)(u >> (8 * k));
    }
    put_base64(b, n * 4);
    free(b);
}

static int die(const char *what, const nl_status *st) {
    fprintf(stderr, "nl_parity_tool: %s: %s\n", what, st->msg);
    return 1;
}

/* A configuration JSON file (serialize/nl_config.h), as `normlab train --config FILE` reads it. */
static nl_trainer *from_config(const char *path, int threads, nl_status *st) {
    nl_config c;
    if (nl_config_from_json_file(path, &c, st)) return NULL;
    if (threads > 0) c.train.threads = threads;
    return nl_trainer_create(&c.model, &c.train, st);
}

int main(int argc, char **argv) {
    const char *data_path = NULL, *config = NULL, *load = NULL, *save = NULL;
    int threads = 0, steps = 0, eval = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-eval")) {
            eval = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "nl_parity_tool: %s needs a value (or unknown option)\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--data")) data_path = v;
        else if (!strcmp(a, "--config")) config = v;
        else if (!strcmp(a, "--load")) load = v;
        else if (!strcmp(a, "--save")) save = v;
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--steps")) steps = atoi(v);
        else {
            fprintf(stderr, "nl_parity_tool: unknown option %s\n", a);
            return 2;
        }
    }
    if (!data_path || (!config == !load)) {
        fputs("usage: nl_parity_tool --data PATH (--config FILE | --load CKPT) [--threads N] [--steps N]\n"
              "                      [--save CKPT] [--no-eval]\n",
              stderr);
        return 2;
    }

    nl_status st = {0};
    nl_cifar data;
    if (nl_cifar_load_path(&data, data_path, &st)) return die("data", &st);
    nl_trainer *t = config ? from_config(config, threads, &st) : nl_checkpoint_load_file(load, threads, &st);
    if (!t) {
        nl_cifar_free(&data);
        return die(config ? "config" : "checkpoint", &st);
    }
    int rc = 0;
    if (nl_trainer_set_data(t, &data, &st)) rc = die("set_data", &st);

    /* train_steps stops at each epoch's end: loop like the JS test does */
    nl_progress p;
    nl_trainer_progress(t, &p);
    for (long done = 0; !rc && done < steps && !p.finished;) {
        long before = p.global_step;
        if (nl_trainer_train_steps(t, (int)(steps - done), &p, &st)) rc = die("train", &st);
        done += p.global_step - before;
    }
    if (!rc && save && nl_checkpoint_save_file(t, save, &st)) rc = die("save", &st);

    nl_eval_result r = {0};
    if (!rc && eval && nl_trainer_evaluate(t, &data.test, &r, &st)) rc = die("evaluate", &st);
    if (!rc) {
        const nl_model_layout *L = nl_trainer_layout(t);
        printf("{\"globalStep\":%ld,\"lastLoss\":%.17g,\"nParams\":%zu,\"params\":", p.global_step, p.last_loss,
               L->n_params);
        put_floats(nl_trainer_params(t), L->n_params);
        fputs(",\"bnState\":", stdout);
        put_floats(nl_trainer_bn_state(t), L->n_bn_state);
        if (eval) {
            printf(",\"eval\":{\"n\":%d,\"loss\":%.17g,\"acc\":%.17g,\"confusion\":[", r.n, r.loss, r.acc);
            for (int i = 0; i < 100; i++) printf("%s%d", i ? "," : "", r.confusion[i / 10][i % 10]);
            fputs("],\"classAcc\":[", stdout);
            for (int c = 0; c < 10; c++) printf("%s%.17g", c ? "," : "", r.class_acc[c]);
            fputs("],\"pred\":", stdout);
            put_base64(r.pred, (size_t)r.n);
            fputs(",\"conf\":", stdout);
            put_floats(r.conf, (size_t)r.n);
            putchar('}');
        }
        puts("}");
    }
    nl_eval_result_free(&r);
    nl_trainer_free(t);
    nl_cifar_free(&data);
    return rc;
}
