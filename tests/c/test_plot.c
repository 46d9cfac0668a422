/* The report pictures of the normlab CLI: `plot` (training curves from metrics files) and
 * `confusion` (confusion-matrix heat map of a checkpoint). Checks the PNG size, that every
 * run's colour is drawn, and that bad input gives a one-line error and exit 1 or 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_synth.h"
#include "nl_png_read.h"
#include "nl_test.h"

static char normlab[512], dir[64];

static int run(const char *args) {
    return nl_synth_run("%s %s > %s/out.txt 2> %s/err.txt", normlab, args, dir, dir);
}

static char *slurp(const char *name) { return nl_synth_read_text(dir, name); }


static void write_bytes(const char *name, const char *data, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(nl_synth_write_file(path, data, len) == 0);
}

static void write_text(const char *name, const char *text) { write_bytes(name, text, strlen(text)); }

static int exists(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* Expects exit status `code` and a one-line stderr message containing `needle`. */
static void expect_error(const char *args, int code, const char *needle) {
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK_MSG(rc == code, "normlab %s: exit %d, expected %d (stderr: %s)", args, rc, code, err);
    CHECK_MSG(strstr(err, needle) != NULL, "normlab %s: stderr lacks '%s': %s", args, needle, err);
    CHECK_MSG(nl_synth_count_lines(err) == 1, "normlab %s: expected a one-line error, got: %s", args, err);
    free(err);
}

/* Decodes a PNG normlab wrote into rgb (malloc'd). Returns 0, or -1 if it is not valid. */
static int read_png(const char *name, uint8_t **rgb, int *w, int *h) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    uint8_t *f = nl_synth_read_file(path, &len);
    *w = *h = 0;
    *rgb = f ? nl_test_png_decode(f, len, w, h, NULL) : NULL;
    free(f);
    return *rgb ? 0 : -1;
}

static int count_colour(const uint8_t *rgb, int w, int h, const uint8_t c[3]) {
    int n = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) n += !memcmp(rgb + 3 * i, c, 3);
    return n;
}

/* The plot palette's first colours (Okabe-Ito blue, orange, green, purple; cmd_plot.c). */
static const uint8_t PALETTE[4][3] = {{0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {204, 121, 167}};

/* n epochs of plausible numbers for norm, with its own learning rate (so that the LR panel
 * shows every run's colour too). */
static void write_metrics(const char *name, const char *norm, int epochs, double lr) {
    char text[4096] = "", line[512];
    for (int e = 1; e <= epochs; e++) {
        double p = (double)e / epochs;
        snprintf(line, sizeof line,
                 "{\"epoch\": %d, \"train_loss\": %.4f, \"train_acc\": %.4f, \"test_loss\": %.4f, \"test_acc\": %.4f, "
                 "\"lr\": %.6g, \"seconds\": 1.0, \"images_per_sec\": 100.0, \"norm\": \"%s\", \"params\": 49536}\n",
                 e, 2.0 - 1.4 * p, 0.3 + 0.6 * p, 1.9 - 1.2 * p, 0.35 + 0.5 * p, lr * (1.0 - 0.5 * p), norm);
        strcat(text, line);
    }
    write_text(name, text);
}

static void test_plot_ok(void) {
    char args[1024];
    write_metrics("bn.jsonl", "bn", 8, 0.05);
    write_metrics("gn.jsonl", "gn", 8, 0.03);
    write_metrics("ln.jsonl", "ln", 6, 0.02);
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl,%s/gn.jsonl,%s/ln.jsonl --out %s/curves.png --title T", dir,
             dir, dir, dir);
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK_MSG(rc == 0, "plot failed (%d): %s", rc, err);
    CHECK_MSG(strstr(err, "wrote") && nl_synth_count_lines(err) == 1, "plot should report one line: %s", err);
    free(err);
    uint8_t *rgb;
    int w, h;
    CHECK(read_png("curves.png", &rgb, &w, &h) == 0);
    CHECK_MSG(w == 1200 && h == 800, "curves.png is %dx%d, expected 1200x800", w, h);
    if (rgb) {
        for (int r = 0; r < 3; r++) {
            int n = count_colour(rgb, w, h, PALETTE[r]);
            CHECK_MSG(n > 500, "run %d colour has only %d pixels", r, n);
        }
        CHECK_MSG(count_colour(rgb, w, h, PALETTE[3]) == 0, "a 4th run colour appears with 3 runs");
        const uint8_t white[3] = {255, 255, 255};
        CHECK_MSG(count_colour(rgb, w, h, white) > w * h / 2, "background should be mostly white");
    }
    free(rgb);
    CHECK_MSG(!exists("curves.png.tmp"), "a temporary PNG was left behind");

    /* one run of one epoch, custom labels, --metrics repeated: still a full picture */
    write_metrics("one.jsonl", "bn", 1, 0.1);
    snprintf(args, sizeof args, "plot --metrics %s/one.jsonl --metrics %s/gn.jsonl --labels first,second --out %s/one.png",
             dir, dir, dir);
    rc = run(args);
    CHECK_MSG(rc == 0, "plot of a one-epoch run failed (%d)", rc);
    CHECK(read_png("one.png", &rgb, &w, &h) == 0);
    CHECK(w == 1200 && h == 800);
    if (rgb) CHECK_MSG(count_colour(rgb, w, h, PALETTE[0]) > 50, "the one-epoch run is not visible");
    free(rgb);
}

static void test_plot_errors(void) {
    char args[1024];
    /* command line: exit 2 */
    snprintf(args, sizeof args, "plot --out %s/x.png", dir);
    expect_error(args, 2, "--metrics");
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl", dir);
    expect_error(args, 2, "--out");
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl,%s/gn.jsonl --labels A --out %s/x.png", dir, dir, dir);
    expect_error(args, 2, "--labels");
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl --out %s/x.png --colour red", dir, dir);
    expect_error(args, 2, "--colour");
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl, --out %s/x.png", dir, dir);
    expect_error(args, 2, "empty");
    expect_error("plot --metrics", 2, "needs a value");

    /* bad files: exit 1, naming the file and line */
    snprintf(args, sizeof args, "plot --metrics %s/missing.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "missing.jsonl");
    write_text("empty.jsonl", "");
    snprintf(args, sizeof args, "plot --metrics %s/empty.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "empty.jsonl: no metrics lines");
    write_text("blank.jsonl", "\n  \n\n");
    snprintf(args, sizeof args, "plot --metrics %s/blank.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "no metrics lines");
    write_text("bad.jsonl",
               "{\"epoch\": 1, \"train_loss\": 1, \"train_acc\": 0.5, \"test_loss\": 1, \"test_acc\": 0.5, \"lr\": 0.1}\n"
               "{\"epoch\": 2, \"train_loss\": oops, \"train_acc\": 0.5, \"test_loss\": 1, \"test_acc\": 0.5, \"lr\": 0.1}\n");
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl,%s/bad.jsonl --out %s/x.png", dir, dir, dir);
    expect_error(args, 1, "bad.jsonl:2:");
    write_text("nokey.jsonl", "{\"epoch\": 1, \"train_loss\": 1, \"train_acc\": 0.5, \"test_loss\": 1, \"lr\": 0.1}\n");
    snprintf(args, sizeof args, "plot --metrics %s/nokey.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "nokey.jsonl:1: missing key \"test_acc\"");
    write_text("cut.jsonl",
               "{\"epoch\": 1, \"train_loss\": 1, \"train_acc\": 0.5, \"test_loss\": 1, \"test_acc\": 0.5, \"lr\": 0.1}\n"
               "{\"epoch\": 2, \"train_loss\": 1, \"train_a");
    snprintf(args, sizeof args, "plot --metrics %s/cut.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "cut.jsonl:2: not a JSON object");
    write_text("pct.jsonl",
               "{\"epoch\": 1, \"train_loss\": 1, \"train_acc\": 55.0, \"test_loss\": 1, \"test_acc\": 0.5, \"lr\": 0.1}\n");
    snprintf(args, sizeof args, "plot --metrics %s/pct.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "0..1");
    static const char junk[] = "\x01\x02\xff\xfe garbage \x7f\n\x00\x00{";
    write_bytes("junk.jsonl", junk, sizeof junk - 1);
    snprintf(args, sizeof args, "plot --metrics %s/junk.jsonl --out %s/x.png", dir, dir);
    expect_error(args, 1, "junk.jsonl:1:");
    snprintf(args, sizeof args, "plot --metrics %s/bn.jsonl --out %s/no/such/dir/x.png", dir, dir);
    expect_error(args, 1, "x.png");
    CHECK_MSG(!exists("x.png"), "a failed plot must not write its output");
}

static void test_confusion(void) {
    char args[1024];
    CHECK(nl_synth_write_dir(dir, 64, 100, 11) == 0);
    snprintf(args, sizeof args, "train --data %s --norm bn --epochs 1 --batch 32 --threads 2 --save %s/bn.ckpt --quiet",
             dir, dir);
    int rc = run(args);
    CHECK_MSG(rc == 0, "training the tiny model failed (%d)", rc);
    snprintf(args, sizeof args, "confusion --data %s --load %s/bn.ckpt --out %s/confusion.png --threads 2", dir, dir, dir);
    rc = run(args);
    char *err = slurp("err.txt");
    CHECK_MSG(rc == 0, "confusion failed (%d): %s", rc, err);
    CHECK_MSG(strstr(err, "test accuracy") && nl_synth_count_lines(err) == 1, "confusion should report one line: %s", err);
    free(err);
    uint8_t *rgb;
    int w, h;
    CHECK(read_png("confusion.png", &rgb, &w, &h) == 0);
    CHECK_MSG(w >= 700 && w <= 1400 && h >= 700 && h <= 1200, "confusion.png is %dx%d", w, h);
    if (rgb) {
        const uint8_t dark_blue[3] = {8, 48, 107}; /* the top of the colour scale */
        CHECK_MSG(count_colour(rgb, w, h, dark_blue) > 0, "no dark blue in the heat map");
        int blueish = 0; /* shaded cells: blue clearly above red */
        for (size_t i = 0; i < (size_t)w * (size_t)h; i++) blueish += rgb[3 * i + 2] > rgb[3 * i] + 40;
        CHECK_MSG(blueish > 10000, "only %d blue-shaded pixels", blueish);
    }
    free(rgb);

    snprintf(args, sizeof args, "confusion --data %s --load %s/bn.ckpt", dir, dir);
    expect_error(args, 2, "--out");
    snprintf(args, sizeof args, "confusion --data %s --out %s/c.png", dir, dir);
    expect_error(args, 2, "--load");
    snprintf(args, sizeof args, "confusion --data %s --load %s/bn.ckpt --out %s/c.png --epochs 3", dir, dir, dir);
    expect_error(args, 2, "--epochs");
    snprintf(args, sizeof args, "confusion --data %s --load %s/nothing.ckpt --out %s/c.png", dir, dir, dir);
    expect_error(args, 1, "nothing.ckpt");
    snprintf(args, sizeof args, "confusion --data %s/none --load %s/bn.ckpt --out %s/c.png", dir, dir, dir);
    expect_error(args, 1, "none");
}

int main(void) {
    const char *build = getenv("NL_BUILD_DIR");
    snprintf(normlab, sizeof normlab, "%s/normlab", build ? build : "build");
    CHECK(nl_synth_tmpdir(dir, sizeof dir) == 0);
    test_plot_ok();
    test_plot_errors();
    test_confusion();
    nl_synth_rmtree(dir);
    return nl_test_finish("test_plot");
}
