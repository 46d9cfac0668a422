/* normlab confusion: evaluates a checkpoint on the test set and draws the 10x10 confusion
 * matrix as a PNG heat map (rows true class, columns predicted, counts in the cells, shaded
 * by the share of the true class), with per-class accuracy in a column at the right. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "draw/nl_canvas.h"
#include "draw/nl_png.h"

#define K NL_CIFAR_CLASSES
#define CELL 60
#define MARGIN 20
#define TITLE_SCALE 3
#define TEXT_SCALE 2
#define NAME_CHARS 12 /* longer class names are cut so the layout stays sane */
#define GAP 10
#define BAR_W 18      /* the colour bar */
#define BAR_TICK 5
#define BAR_TITLE "share of the true class"

static const draw_color WHITE = {255, 255, 255}, INK = {25, 25, 25}, MUTED = {120, 120, 120},
                        FRAME = {70, 70, 70};

/* White -> mid blue -> dark blue, t in 0..1 (the ends of the usual "Blues" map). */
static draw_color shade(double t) {
    static const double stops[3][3] = {{255, 255, 255}, {107, 174, 214}, {8, 48, 107}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    int seg = t < 0.5 ? 0 : 1;
    double u = (t - 0.5 * seg) * 2.0;
    double c[3];
    for (int i = 0; i < 3; i++) c[i] = stops[seg][i] + u * (stops[seg + 1][i] - stops[seg][i]);
    return (draw_color){(uint8_t)lround(c[0]), (uint8_t)lround(c[1]), (uint8_t)lround(c[2])};
}

typedef struct {
    int name_w, acc_w, bar_label_w;
    int mx, my;         /* top-left of the matrix */
    int acc_x, bar_x;   /* right edge of the accuracy column, left edge of the colour bar */
    int w, h;
} layout;

static layout compute_layout(char names[K][NAME_CHARS + 1], const char *title, const char *subtitle) {
    const int th = draw_text_height(TEXT_SCALE);
    layout L;
    L.name_w = 0;
    for (int c = 0; c < K; c++) {
        int w = draw_text_width(names[c], TEXT_SCALE);
        if (w > L.name_w) L.name_w = w;
    }
    L.acc_w = draw_text_width("accuracy", TEXT_SCALE);
    L.bar_label_w = draw_text_width("100%", TEXT_SCALE);
    L.mx = MARGIN + th + GAP + L.name_w + GAP;
    L.my = MARGIN + draw_text_height(TITLE_SCALE) + 8 + th + 20 + th + 8; /* title, subtitle, header row */
    L.acc_x = L.mx + K * CELL + 16 + L.acc_w;
    L.bar_x = L.acc_x + 28;
    L.w = L.bar_x + BAR_W + BAR_TICK + 4 + L.bar_label_w + GAP + th + MARGIN;
    int title_w = MARGIN * 2 + draw_text_width(title, TITLE_SCALE);
    int sub_w = MARGIN * 2 + draw_text_width(subtitle, TEXT_SCALE);
    if (title_w > L.w) L.w = title_w;
    if (sub_w > L.w) L.w = sub_w;
    L.h = L.my + K * CELL + GAP + L.name_w + GAP + th + MARGIN;
    return L;
}

/* A count centred in its cell, a smaller size if it would not fit. */
static void draw_count(draw_canvas *c, int x, int y, int count, draw_color col) {
    char s[16];
    snprintf(s, sizeof s, "%d", count);
    int scale = draw_text_width(s, TEXT_SCALE) <= CELL - 6 ? TEXT_SCALE : 1;
    draw_text_centered(c, x + CELL / 2, y + (CELL - 7 * scale) / 2, s, scale, col);
}

static int render(const nl_eval_result *ev, const nl_cifar *data, const char *norm, const char *out) {
    char names[K][NAME_CHARS + 1];
    for (int k = 0; k < K; k++) snprintf(names[k], sizeof names[k], "%s", data->class_names[k]);
    char title[64], subtitle[96];
    snprintf(title, sizeof title, "Confusion matrix: %s", norm);
    for (char *ch = title + strlen("Confusion matrix: "); *ch; ch++) *ch = (char)toupper((unsigned char)*ch);
    snprintf(subtitle, sizeof subtitle, "test accuracy %.2f%% on %d images", 100.0 * ev->acc, ev->n);
    layout L = compute_layout(names, title, subtitle);
    const int th = draw_text_height(TEXT_SCALE), glyph = 7 * TEXT_SCALE;

    draw_canvas c;
    if (draw_canvas_init(&c, L.w, L.h, WHITE)) {
        fprintf(stderr, "normlab: out of memory for a %dx%d picture\n", L.w, L.h);
        return EXIT_RUNTIME;
    }
    draw_text_centered(&c, L.w / 2, MARGIN, title, TITLE_SCALE, INK);
    draw_text_centered(&c, L.w / 2, MARGIN + draw_text_height(TITLE_SCALE) + 8, subtitle, TEXT_SCALE, MUTED);

    /* the cells, shaded by the share of their row (true class), so rare classes read alike */
    for (int t = 0; t < K; t++) {
        long row = 0;
        for (int p = 0; p < K; p++) row += ev->confusion[t][p];
        for (int p = 0; p < K; p++) {
            int n = ev->confusion[t][p], x = L.mx + p * CELL, y = L.my + t * CELL;
            double share = row ? (double)n / (double)row : 0.0;
            draw_fill_rect(&c, x, y, CELL, CELL, shade(share));
            draw_count(&c, x, y, n, n == 0 ? MUTED : share > 0.5 ? WHITE : INK);
        }
        draw_text_right(&c, L.mx - GAP, L.my + t * CELL + (CELL - glyph) / 2, names[t], TEXT_SCALE, INK);
        char acc[16];
        if (row) snprintf(acc, sizeof acc, "%.1f%%", 100.0 * ev->class_acc[t]);
        else snprintf(acc, sizeof acc, "-"); /* class absent from the (limited) test set */
        draw_text_right(&c, L.acc_x, L.my + t * CELL + (CELL - glyph) / 2, acc, TEXT_SCALE, INK);
    }
    /* thin white gridlines keep neighbouring dark cells apart, then a frame */
    for (int i = 1; i < K; i++) {
        draw_fill_rect(&c, L.mx + i * CELL, L.my, 1, K * CELL, WHITE);
        draw_fill_rect(&c, L.mx, L.my + i * CELL, K * CELL, 1, WHITE);
    }
    draw_rect_outline(&c, L.mx - 1, L.my - 1, K * CELL + 2, K * CELL + 2, FRAME);

    /* column names turned upright under the matrix, axis titles, the accuracy header */
    for (int p = 0; p < K; p++)
        draw_text_up(&c, L.mx + p * CELL + (CELL - glyph) / 2, L.my + K * CELL + GAP, names[p], TEXT_SCALE, INK);
    draw_text_centered(&c, L.mx + K * CELL / 2, L.my + K * CELL + GAP + L.name_w + GAP, "predicted class", TEXT_SCALE,
                       INK);
    draw_text_up(&c, MARGIN, L.my + (K * CELL - draw_text_width("true class", TEXT_SCALE)) / 2, "true class",
                 TEXT_SCALE, INK);
    draw_text_right(&c, L.acc_x, L.my - th - 4, "accuracy", TEXT_SCALE, INK);

    /* colour bar: share of the true class, 100% at the top */
    for (int y = 0; y < K * CELL; y++)
        draw_fill_rect(&c, L.bar_x, L.my + y, BAR_W, 1, shade(1.0 - (double)y / (K * CELL - 1)));
    draw_rect_outline(&c, L.bar_x - 1, L.my - 1, BAR_W + 2, K * CELL + 2, FRAME);
    const char *bar_ticks[3] = {"100%", "50%", "0%"};
    for (int i = 0; i < 3; i++) {
        int y = L.my + i * (K * CELL - 1) / 2;
        draw_fill_rect(&c, L.bar_x + BAR_W, y, BAR_TICK, 1, FRAME);
        draw_text(&c, L.bar_x + BAR_W + BAR_TICK + 4, y - glyph / 2, bar_ticks[i], TEXT_SCALE, INK);
    }
    draw_text_up(&c, L.bar_x + BAR_W + BAR_TICK + 4 + L.bar_label_w + GAP,
                 L.my + (K * CELL - draw_text_width(BAR_TITLE, TEXT_SCALE)) / 2, BAR_TITLE, TEXT_SCALE, INK);

    nl_status st;
    int rc = 0;
    if (nl_png_write_file(out, c.rgb, c.w, c.h, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        rc = EXIT_RUNTIME;
    } else {
        fprintf(stderr, "normlab: wrote %s (test accuracy %.2f%%)\n", out, 100.0 * ev->acc);
    }
    draw_canvas_free(&c);
    return rc;
}

static const char *const confusion_options[] = {"--data", "--load", "--threads", "--test-limit", NULL};

int cmd_confusion(int argc, char **argv) {
    /* --out is ours; everything else goes through the shared parser */
    const char *out = NULL;
    char **rest = malloc((size_t)argc * sizeof(char *));
    if (!rest) return EXIT_RUNTIME;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i >= 2 && !strcmp(argv[i], "--out")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "normlab: --out needs a value\n");
                free(rest);
                return EXIT_USAGE;
            }
            out = argv[++i];
            continue;
        }
        rest[n++] = argv[i];
    }
    cli_options o;
    int rc = cli_parse(n, rest, 2, &o, confusion_options);
    free(rest);
    if (rc) return rc;
    if (!o.load || !out) {
        fprintf(stderr, "normlab: confusion needs --data PATH, --load FILE (a checkpoint) and --out FILE.png\n");
        return EXIT_USAGE;
    }
    cli_evaluated e;
    if ((rc = cli_load_and_evaluate(&o, &e))) return rc;
    rc = render(&e.ev, &e.data, nl_norm_name(nl_trainer_layout(e.t)->desc.norm), out);
    cli_evaluated_free(&e);
    return rc;
}
