/* End-to-end tests of the normlab CLI on small synthetic CIFAR-format data: train, metrics
 * file, checkpoint, eval with the misclassified grid, the tarball path, and bad arguments
 * and bad files (one-line error, exit status 1 or 2, never a crash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_synth.h"
#include "nl_test.h"

static char normlab[512], dir[64], out[256];

/* Runs normlab with args; stderr goes to dir/err.txt. Returns the exit status. */
static int run(const char *args) {
    return nl_synth_run("%s %s > %s/out.txt 2> %s/err.txt", normlab, args, dir, dir);
}

static char *slurp(const char *name) { return nl_synth_read_text(dir, name); }


/* Expects exit status `code` and a one-line stderr message containing `needle`. */
static void expect_error(const char *args, int code, const char *needle) {
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK_MSG(rc == code, "normlab %s: exit %d, expected %d (stderr: %s)", args, rc, code, err);
    CHECK_MSG(strstr(err, needle) != NULL, "normlab %s: stderr lacks '%s': %s", args, needle, err);
    CHECK_MSG(nl_synth_count_lines(err) == 1, "normlab %s: expected a one-line error, got: %s", args, err);
    free(err);
}

static double json_number(const char *line, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(line, pat);
    return p ? atof(p + strlen(pat)) : -1.0;
}

int main(void) {
    const char *build = getenv("NL_BUILD_DIR");
    snprintf(normlab, sizeof normlab, "%s/normlab", build ? build : "build");
    CHECK(nl_synth_tmpdir(dir, sizeof dir) == 0);
    CHECK(nl_synth_write_dir(dir, 128, 200, 5) == 0); /* 640 train, 200 test */
    char args[2048];

    /* ---- train, metrics, checkpoint ---- */
    snprintf(args, sizeof args,
             "train --data %s --norm bn --epochs 3 --batch 32 --max-lr 0.1 --threads 2 --save %s/bn.ckpt "
             "--metrics-out %s/metrics.jsonl",
             dir, dir, dir);
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK_MSG(rc == 0, "train failed (%d): %s", rc, err);
    free(err);
    char *metrics = slurp("metrics.jsonl");
    CHECK_MSG(nl_synth_count_lines(metrics) == 3, "metrics file has %d lines, expected 3", nl_synth_count_lines(metrics));
    const char *keys[] = {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds", "images_per_sec"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) CHECK_MSG(json_number(metrics, keys[k]) >= 0, "no %s", keys[k]);
    const char *last = metrics;
    for (const char *p = metrics; *p; p++)
        if (*p == '\n' && p[1]) last = p + 1;
    double acc = json_number(last, "test_acc");
    CHECK_MSG(acc > 0.5, "synthetic data should be learnt in 3 epochs, test_acc %.3f", acc);
    free(metrics);
    snprintf(out, sizeof out, "%s/bn.ckpt.tmp", dir);
    FILE *tmp = fopen(out, "rb");
    CHECK_MSG(tmp == NULL, "a temporary checkpoint file was left behind");
    if (tmp) fclose(tmp);

    /* ---- resume: an interrupted run continued with --resume ends with the uninterrupted run's
     * checkpoint and metrics lines (the finished epochs' lines are kept, a torn line dropped) ---- */
    snprintf(args, sizeof args,
             "(%s train --data %s --norm gn --epochs 3 --batch 32 --threads 1 --quiet --save %s/ri.ckpt "
             "--metrics-out %s/ri.jsonl & pid=$!; "
             "while kill -0 $pid 2>/dev/null && ! [ -s %s/ri.jsonl ]; do sleep 0.02; done; "
             "kill -INT $pid 2>/dev/null; wait $pid; echo '{\"epoch\": 9, torn' >> %s/ri.jsonl) 2> %s/err.txt",
             normlab, dir, dir, dir, dir, dir, dir);
    nl_synth_run("%s", args); /* exit 1 when interrupted, 0 when it had already finished */
    snprintf(args, sizeof args, "train --data %s --resume %s/ri.ckpt --threads 2 --quiet --save %s/ri.ckpt "
             "--metrics-out %s/ri.jsonl", dir, dir, dir, dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK_MSG(rc == 0, "resume failed (%d): %s", rc, err);
    free(err);
    snprintf(args, sizeof args, "train --data %s --norm gn --epochs 3 --batch 32 --threads 2 --quiet --save %s/ru.ckpt "
             "--metrics-out %s/ru.jsonl", dir, dir, dir);
    CHECK(run(args) == 0);
    CHECK_MSG(nl_synth_run("cmp -s %s/ri.ckpt %s/ru.ckpt", dir, dir) == 0, "resumed checkpoint differs from the uninterrupted one");
    {
        char *ri = slurp("ri.jsonl"), *ru = slurp("ru.jsonl");
        CHECK_MSG(nl_synth_count_lines(ri) == 3, "resumed metrics file has %d lines, expected 3: %s", nl_synth_count_lines(ri), ri);
        /* the same lines up to the timing fields */
        const char *a = ri, *b = ru;
        for (int line = 0; line < 3 && a && b; line++) {
            size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
            const char *sa = strstr(a, "\"seconds\""), *sb = strstr(b, "\"seconds\"");
            CHECK_MSG(sa && sb && sa - a == sb - b && memcmp(a, b, (size_t)(sa - a)) == 0,
                      "metrics line %d differs: %.*s vs %.*s", line + 1, (int)la, a, (int)lb, b);
            a = a[la] ? a + la + 1 : NULL;
            b = b[lb] ? b + lb + 1 : NULL;
        }
        free(ri);
        free(ru);
    }

    /* ---- eval and the misclassified grid ---- */
    snprintf(args, sizeof args, "eval --data %s --load %s/bn.ckpt --misclassified %s/grid.png", dir, dir, dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK_MSG(rc == 0, "eval failed (%d): %s", rc, err);
    free(err);
    char *report = slurp("out.txt");
    CHECK(strstr(report, "accuracy") != NULL);
    CHECK(strstr(report, "confusion matrix") != NULL);
    CHECK(strstr(report, "airplane") != NULL);
    free(report);
    size_t png_len = 0;
    snprintf(out, sizeof out, "%s/grid.png", dir);
    uint8_t *png = nl_synth_read_file(out, &png_len);
    /* with >50% accuracy on 200 images there are mistakes, unless the model is perfect */
    if (png) CHECK(png_len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(png);

    /* ---- weight statistics for the regularisation study ---- */
    snprintf(args, sizeof args, "weights --load %s/bn.ckpt --threshold 0.01", dir);
    CHECK(run(args) == 0);
    char *ws = slurp("out.txt");
    double share = json_number(ws, "conv_near_zero_share");
    CHECK_MSG(share >= 0.0 && share <= 1.0, "near-zero share %g", share);
    CHECK(json_number(ws, "conv_weights") > 40000);
    free(ws);
    expect_error("weights --threshold -1", 2, "--threshold");

    /* ---- summary: every default model is under the 50,000 budget ---- */
    const char *norms[] = {"bn", "gn", "ln"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "summary --norm %s", norms[i]);
        CHECK(run(args) == 0);
        char *s = slurp("out.txt");
        CHECK_MSG(strstr(s, "(under 50,000)") != NULL, "%s model is not under 50,000 parameters", norms[i]);
        CHECK(strstr(s, "Receptive field") != NULL);
        free(s);
    }

    /* ---- the tarball path: gzip + tar made by the system tools, GN for one epoch ---- */
    CHECK(nl_synth_run("tar czf %s/cifar.tar.gz -C %s cifar-10-batches-bin", dir, dir) == 0);
    snprintf(args, sizeof args, "train --data %s/cifar.tar.gz --norm gn --epochs 1 --batch 64 --quiet", dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK_MSG(rc == 0, "train from tar.gz failed (%d): %s", rc, err);
    free(err);

    /* ---- normlab config, then train --config with overriding flags, a 64-bit seed, val ---- */
    snprintf(args, sizeof args, "config --norm gn --seed 4000000000 > %s/c.json", dir);
    CHECK(nl_synth_run("%s %s", normlab, args) == 0);
    char *cj = slurp("c.json");
    CHECK(strstr(cj, "\"norm\": \"gn\"") && strstr(cj, "\"seed\": \"4000000000\"") && strstr(cj, "\"epochs\": 20"));
    free(cj);
    snprintf(args, sizeof args,
             "train --config %s/c.json --data %s --epochs 1 --train-limit 256 --test-limit 128 --val 60 --batch 32 "
             "--metrics-out %s/gn.jsonl --save %s/gn.ckpt",
             dir, dir, dir, dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK_MSG(rc == 0, "train --config failed (%d): %s", rc, err);
    CHECK_MSG(strstr(err, "196 train / 60 validation / 128 test images") && strstr(err, "val loss"), "%s", err);
    free(err);
    metrics = slurp("gn.jsonl");
    CHECK_MSG(nl_synth_count_lines(metrics) == 1 && json_number(metrics, "val_acc") >= 0 &&
                  json_number(metrics, "val_loss") > 0 && strstr(metrics, "\"norm\": \"gn\""),
              "%s", metrics);
    free(metrics);
    /* the same run from flags only gives the same bits (the checkpoint embeds the config) */
    snprintf(args, sizeof args,
             "train --norm gn --seed 4000000000 --data %s --epochs 1 --train-limit 256 --test-limit 128 --val 60 "
             "--batch 32 --save %s/gn2.ckpt --quiet",
             dir, dir);
    CHECK(run(args) == 0);
    size_t l1 = 0, l2 = 0;
    snprintf(out, sizeof out, "%s/gn.ckpt", dir);
    uint8_t *c1 = nl_synth_read_file(out, &l1);
    snprintf(out, sizeof out, "%s/gn2.ckpt", dir);
    uint8_t *c2 = nl_synth_read_file(out, &l2);
    CHECK_MSG(c1 && c2 && l1 == l2 && !memcmp(c1, c2, l1), "--config and the same flags differ");
    free(c1);
    free(c2);
    snprintf(args, sizeof args, "config --config %s/nowhere.json", dir);
    expect_error(args, 1, "nowhere.json");
    expect_error("config --seed 18446744073709551616", 2, "--seed must be an integer in 0..18446744073709551615");

    /* ---- bad command lines: exit 2 ---- */
    CHECK(run("") == 2); /* no command: the usage text, exit 2 */
    expect_error("frobnicate", 2, "unknown command");
    expect_error("train --norm xx", 2, "--norm must be bn, gn or ln");
    expect_error("train --epochs abc", 2, "--epochs must be an integer in 1..1000, got abc");
    expect_error("train --max-lr -1", 2, "--max-lr must be in (0, 10], got -1");
    expect_error("train --batch 0", 2, "--batch must be an integer in 1..4096, got 0");
    expect_error("train --widths 1,2,3", 2, "--widths");
    expect_error("train --skips C1-C9", 2, "shapes differ");
    expect_error("train --norm gn --groups 5", 2, "groups do not divide");
    expect_error("train --bogus 1", 2, "unknown option --bogus");
    expect_error("summary --epochs 3", 2, "not valid for 'summary'");
    /* no --data and no sample: the one-line error names what is missing */
    rc = nl_synth_run("NORMLAB_SAMPLE=%s/none.tar.gz %s train > %s/out.txt 2> %s/err.txt", dir, normlab, dir, dir);
    err = slurp("err.txt");
    CHECK_MSG(rc == 2 && strstr(err, "no --data given") && strstr(err, "none.tar.gz") && nl_synth_count_lines(err) == 1,
              "train without --data or sample: exit %d, stderr: %s", rc, err);
    free(err);
    expect_error("eval --data x", 2, "--load");

    /* ---- no --data: the CIFAR-10 sample in assets/, said plainly ---- */
    rc = run("train --norm bn --epochs 1 --batch 50 --threads 2 --train-limit 200 --test-limit 100");
    err = slurp("err.txt");
    CHECK_MSG(rc == 0, "train on the sample failed (%d): %s", rc, err);
    CHECK_MSG(strstr(err, "no --data: using the CIFAR-10 sample") && strstr(err, "assets/cifar-10-sample.tar.gz") &&
                  strstr(err, "200 train + 100 test images") && strstr(err, "cifar.html"),
              "no sample notice: %s", err);
    free(err);

    /* ---- bad files: exit 1 ---- */
    snprintf(args, sizeof args, "train --data %s/nowhere --norm bn", dir);
    expect_error(args, 1, "nowhere");
    snprintf(args, sizeof args, "eval --data %s --load %s/nowhere.ckpt", dir, dir);
    expect_error(args, 1, "nowhere.ckpt");
    /* a checkpoint with one flipped byte, and a truncated one */
    size_t len = 0;
    snprintf(out, sizeof out, "%s/bn.ckpt", dir);
    uint8_t *ck = nl_synth_read_file(out, &len);
    CHECK(ck != NULL && len > 100);
    if (ck) {
        ck[len / 2] ^= 0x40;
        snprintf(out, sizeof out, "%s/flipped.ckpt", dir);
        nl_synth_write_file(out, ck, len);
        ck[len / 2] ^= 0x40;
        snprintf(out, sizeof out, "%s/short.ckpt", dir);
        nl_synth_write_file(out, ck, len - 10);
        snprintf(out, sizeof out, "%s/text.ckpt", dir);
        nl_synth_write_file(out, "hello", 5);
        free(ck);
    }
    snprintf(args, sizeof args, "eval --data %s --load %s/flipped.ckpt", dir, dir);
    expect_error(args, 1, "checksum");
    snprintf(args, sizeof args, "eval --data %s --load %s/short.ckpt", dir, dir);
    expect_error(args, 1, "truncated");
    snprintf(args, sizeof args, "eval --data %s --load %s/text.ckpt", dir, dir);
    expect_error(args, 1, "not a normlab checkpoint");
    /* a corrupt archive: the tarball cut in half */
    snprintf(out, sizeof out, "%s/cifar.tar.gz", dir);
    uint8_t *tgz = nl_synth_read_file(out, &len);
    if (tgz) {
        snprintf(out, sizeof out, "%s/cut.tar.gz", dir);
        nl_synth_write_file(out, tgz, len / 2);
        free(tgz);
    }
    snprintf(args, sizeof args, "train --data %s/cut.tar.gz --norm bn", dir);
    expect_error(args, 1, "truncated");
    /* a batch file of the wrong size */
    CHECK(nl_synth_run("head -c 3000 %s/cifar-10-batches-bin/test_batch.bin > %s/cifar-10-batches-bin/t && "
                       "mv %s/cifar-10-batches-bin/t %s/cifar-10-batches-bin/test_batch.bin",
                       dir, dir, dir, dir) == 0);
    snprintf(args, sizeof args, "train --data %s --norm bn", dir);
    expect_error(args, 1, "not a multiple of 3073");
    /* a missing batch file */
    CHECK(nl_synth_run("rm %s/cifar-10-batches-bin/data_batch_4.bin", dir) == 0);
    expect_error(args, 1, "data_batch_4.bin");

    nl_synth_rmtree(dir);
    return nl_test_finish("test_cli");
}
