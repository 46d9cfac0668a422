/* normlab plot: training curves of one or more runs (metrics files written by train
 * --metrics-out) as one 2x2-panel PNG: loss, accuracy, the train-test accuracy gap and the
 * learning rate per epoch, one colour per run, train dashed and test solid. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "draw/nl_canvas.h"
#include "base/nl_file.h"
#include "serialize/nl_json.h"
#include "draw/nl_png.h"

#define MAX_RUNS 8
#define LABEL_MAX 32
#define METRICS_MAX_BYTES (64u << 20) /* far above any real run; stops a wrong file eating memory */

/* ---- reading the metrics files ---- */

enum { F_EPOCH, F_TRAIN_LOSS, F_TEST_LOSS, F_TRAIN_ACC, F_TEST_ACC, F_LR, N_KEYS, F_GAP = N_KEYS, N_FIELDS };
static const char *const keys[N_KEYS] = {"epoch", "train_loss", "test_loss", "train_acc", "test_acc", "lr"};

typedef struct {
    const char *path;
    double *v[N_FIELDS]; /* v[field][i] for line i; accuracies are stored in percent */
    int n, cap;
    char norm[LABEL_MAX]; /* "norm" of the first line, "" if none */
    char label[LABEL_MAX];
} run_data;

static int run_append(run_data *r, const double *vals) {
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 64;
        for (int f = 0; f < N_FIELDS; f++) {
            double *t = realloc(r->v[f], (size_t)cap * sizeof(double));
            if (!t) return -1;
            r->v[f] = t;
        }
        r->cap = cap;
    }
    for (int f = 0; f < N_KEYS; f++) r->v[f][r->n] = vals[f];
    r->v[F_TRAIN_ACC][r->n] *= 100.0;
    r->v[F_TEST_ACC][r->n] *= 100.0;
    r->v[F_GAP][r->n] = r->v[F_TRAIN_ACC][r->n] - r->v[F_TEST_ACC][r->n];
    r->n++;
    return 0;
}

static void run_free(run_data *r) {
    for (int f = 0; f < N_FIELDS; f++) free(r->v[f]);
}

/* Parses one line (trimmed, len bytes) with the project's JSON reader, checks it and appends
 * it. Prints the error itself. */
static int parse_line(run_data *r, const char *line, size_t len, int lineno) {
    nl_status st;
    nl_json *obj = nl_json_parse(line, len, &st);
    if (!obj || obj->type != NL_JSON_OBJECT) {
        fprintf(stderr, "normlab: %s:%d: not a JSON object%s%s (expected one per line, as train --metrics-out writes)\n",
                r->path, lineno, obj ? "" : ": ", obj ? "" : st.msg);
        nl_json_free(obj);
        return EXIT_RUNTIME;
    }
    int rc = 0;
    double vals[N_KEYS];
    for (int k = 0; k < N_KEYS && !rc; k++) {
        const nl_json *v = nl_json_get(obj, keys[k]);
        if (!v || v->type != NL_JSON_NUMBER) {
            fprintf(stderr, "normlab: %s:%d: %s key \"%s\"\n", r->path, lineno, v ? "no number for" : "missing",
                    keys[k]);
            rc = EXIT_RUNTIME;
        } else {
            vals[k] = v->number;
        }
    }
    for (int k = F_TRAIN_ACC; k <= F_TEST_ACC && !rc; k++)
        if (vals[k] < 0.0 || vals[k] > 1.0) {
            fprintf(stderr, "normlab: %s:%d: \"%s\" is %g, expected a fraction in 0..1\n", r->path, lineno, keys[k],
                    vals[k]);
            rc = EXIT_RUNTIME;
        }
    const nl_json *norm = nl_json_get(obj, "norm");
    if (!rc && r->n == 0 && norm && norm->type == NL_JSON_STRING)
        snprintf(r->norm, sizeof r->norm, "%s", norm->str);
    nl_json_free(obj);
    if (!rc && run_append(r, vals)) {
        fprintf(stderr, "normlab: out of memory reading %s\n", r->path);
        rc = EXIT_RUNTIME;
    }
    return rc;
}

static int read_run(run_data *r) {
    uint8_t *buf;
    size_t len;
    nl_status st;
    if (nl_file_read_all(r->path, &buf, &len, METRICS_MAX_BYTES, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return EXIT_RUNTIME;
    }
    int rc = 0, lineno = 0;
    char *p = (char *)buf, *end = (char *)buf + len;
    while (p < end && !rc) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        lineno++;
        while (*p && isspace((unsigned char)*p)) p++;
        char *q = p + strlen(p);
        while (q > p && isspace((unsigned char)q[-1])) *--q = '\0';
        if (*p) rc = parse_line(r, p, (size_t)(q - p), lineno); /* blank lines are allowed */
        p = stop + 1;
    }
    free(buf);
    if (!rc && r->n == 0) {
        fprintf(stderr, "normlab: %s: no metrics lines (expected one JSON object per epoch, as train --metrics-out writes)\n",
                r->path);
        rc = EXIT_RUNTIME;
    }
    return rc;
}

/* "runs/bn.jsonl" -> "bn" */
static void file_stem(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    if (n == 0) n = strlen(base);
    snprintf(out, size, "%.*s", (int)n, base);
}

/* Labels default to the upper-cased "norm" field; runs that would share one (two BN runs)
 * fall back to their file names so the legend tells them apart. */
static void default_labels(run_data *runs, int n) {
    for (int i = 0; i < n; i++) {
        snprintf(runs[i].label, LABEL_MAX, "%s", runs[i].norm);
        for (char *c = runs[i].label; *c; c++) *c = (char)toupper((unsigned char)*c);
    }
    for (int i = 0; i < n; i++) {
        int clash = runs[i].label[0] == '\0';
        for (int j = 0; j < n && !clash; j++) clash = j != i && !strcmp(runs[i].norm, runs[j].norm);
        if (clash) file_stem(runs[i].path, runs[i].label, LABEL_MAX);
    }
}

/* ---- the picture ---- */

#define IMG_W 1200
#define IMG_H 800
#define MARGIN 16
#define TITLE_SCALE 3
#define TEXT_SCALE 2
#define LINE_W 2
#define TICK_LEN 5
#define MAX_X_TICKS 11
#define MAX_Y_TICKS 8
#define EDGE_PAD 0.03  /* of the axis span: data on a tick at the end stays off the frame */
#define MARKER_MAX_N 5 /* runs this short get point markers, or a lone point would vanish */
#define MARKER_R 4.5

/* Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
static const draw_color palette[MAX_RUNS] = {{0, 114, 178},   {230, 159, 0}, {0, 158, 115},  {204, 121, 167},
                                             {213, 94, 0},    {86, 180, 233}, {0, 0, 0},     {240, 228, 66}};
static const draw_color WHITE = {255, 255, 255}, INK = {25, 25, 25}, AXIS = {70, 70, 70}, GRID = {226, 226, 226},
                        ZERO = {150, 150, 150}, KEY = {90, 90, 90};
static const draw_dash DASHED = {7, 5}, SOLID = {0, 0};

typedef struct {
    const char *title, *ytitle;
    int dashed, solid;   /* fields drawn dashed (train) and solid (test or the only one); -1 none */
    int show_zero;       /* keep 0 in range and mark it (the gap changes sign) */
    int shared;          /* every run has the same curve: one grey line, not a hidden stack */
    double lo, hi;       /* the axis range: the ticks' range, a little more if data sits on its ends */
    double step, ticks[32];
    int n_ticks;
    int x, y, w, h;      /* plot area */
} panel;

typedef struct {
    double lo, hi, step, ticks[32];
    int n_ticks;
} x_axis;

/* Nice ticks around the data [dlo, dhi], then the axis range padded where the data reaches
 * the outermost tick, so a curve never runs along the frame. */
static int axis_ticks(double dlo, double dhi, int max_ticks, double min_step, double *lo, double *hi, double *ticks,
                      double *step) {
    *lo = dlo;
    *hi = dhi;
    int n = draw_nice_ticks(lo, hi, max_ticks, min_step, ticks, step);
    double pad = EDGE_PAD * (*hi - *lo);
    *lo = fmin(*lo, dlo - pad);
    *hi = fmax(*hi, dhi + pad);
    return n;
}

static void panel_range(panel *pn, const run_data *runs, int n_runs) {
    double lo = INFINITY, hi = -INFINITY;
    if (pn->show_zero) lo = hi = 0.0;
    for (int r = 0; r < n_runs; r++)
        for (int i = 0; i < runs[r].n; i++)
            for (int k = 0; k < 2; k++) {
                int f = k ? pn->solid : pn->dashed;
                if (f < 0) continue;
                lo = fmin(lo, runs[r].v[f][i]);
                hi = fmax(hi, runs[r].v[f][i]);
            }
    pn->n_ticks = axis_ticks(lo, hi, MAX_Y_TICKS, 0.0, &pn->lo, &pn->hi, pn->ticks, &pn->step);
}

static int tick_label_width(const panel *pn) {
    int w = 0;
    for (int i = 0; i < pn->n_ticks; i++) {
        char s[32];
        draw_format_tick(pn->ticks[i], pn->step, s, sizeof s);
        int tw = draw_text_width(s, TEXT_SCALE);
        if (tw > w) w = tw;
    }
    return w;
}

static double map_x(const panel *pn, const x_axis *xa, double v) {
    return pn->x + (v - xa->lo) / (xa->hi - xa->lo) * (pn->w - 1);
}
static double map_y(const panel *pn, double v) { return pn->y + (pn->hi - v) / (pn->hi - pn->lo) * (pn->h - 1); }

static void draw_axes(draw_canvas *c, const panel *pn, const x_axis *xa) {
    const int th = draw_text_height(TEXT_SCALE), glyph = 7 * TEXT_SCALE; /* capitals and digits */
    char s[32];
    for (int i = 0; i < pn->n_ticks; i++) {
        int y = (int)lround(map_y(pn, pn->ticks[i]));
        draw_fill_rect(c, pn->x, y, pn->w, 1, GRID);
        draw_fill_rect(c, pn->x - TICK_LEN, y, TICK_LEN, 1, AXIS);
        draw_format_tick(pn->ticks[i], pn->step, s, sizeof s);
        draw_text_right(c, pn->x - TICK_LEN - 4, y - glyph / 2, s, TEXT_SCALE, AXIS);
    }
    for (int i = 0; i < xa->n_ticks; i++) {
        int x = (int)lround(map_x(pn, xa, xa->ticks[i]));
        draw_fill_rect(c, x, pn->y, 1, pn->h, GRID);
        draw_fill_rect(c, x, pn->y + pn->h, 1, TICK_LEN, AXIS);
        draw_format_tick(xa->ticks[i], xa->step, s, sizeof s);
        draw_text_centered(c, x + 1, pn->y + pn->h + TICK_LEN + 4, s, TEXT_SCALE, AXIS);
    }
    if (pn->show_zero) draw_fill_rect(c, pn->x, (int)lround(map_y(pn, 0.0)), pn->w, 1, ZERO);
    draw_rect_outline(c, pn->x - 1, pn->y - 1, pn->w + 2, pn->h + 2, AXIS);
    draw_text_centered(c, pn->x + pn->w / 2, pn->y - th - 8, pn->title, TEXT_SCALE, INK);
    draw_text_centered(c, pn->x + pn->w / 2, pn->y + pn->h + TICK_LEN + th + 12, "epoch", TEXT_SCALE, INK);
    (void)th;
}

/* True when all runs have the same epochs and values of field f (the usual case for the
 * learning rate when only the normalisation differs). */
static int same_curve(const run_data *runs, int n_runs, int f) {
    for (int r = 1; r < n_runs; r++) {
        if (runs[r].n != runs[0].n) return 0;
        for (int i = 0; i < runs[0].n; i++) {
            double a = runs[0].v[f][i], b = runs[r].v[f][i];
            if (runs[r].v[F_EPOCH][i] != runs[0].v[F_EPOCH][i] || fabs(a - b) > 1e-9 * fmax(fabs(a), fabs(b)))
                return 0;
        }
    }
    return n_runs > 1;
}

static void draw_series(draw_canvas *c, const panel *pn, const x_axis *xa, const run_data *runs, int n_runs,
                        double *xs, double *ys) {
    if (pn->shared) {
        for (int i = 0; i < runs[0].n; i++) {
            xs[i] = map_x(pn, xa, runs[0].v[F_EPOCH][i]);
            ys[i] = map_y(pn, runs[0].v[pn->solid][i]);
        }
        draw_polyline(c, xs, ys, runs[0].n, LINE_W, SOLID, KEY);
        draw_text_right(c, pn->x + pn->w - 8, pn->y + 8, "same for all runs", TEXT_SCALE, KEY);
        return;
    }
    /* train (dashed) first, so the test curves stay on top where they cross */
    for (int k = 0; k < 2; k++) {
        int f = k ? pn->solid : pn->dashed;
        if (f < 0) continue;
        for (int r = 0; r < n_runs; r++) {
            for (int i = 0; i < runs[r].n; i++) {
                xs[i] = map_x(pn, xa, runs[r].v[F_EPOCH][i]);
                ys[i] = map_y(pn, runs[r].v[f][i]);
            }
            draw_polyline(c, xs, ys, runs[r].n, LINE_W, k ? SOLID : DASHED, palette[r]);
            for (int i = 0; runs[r].n <= MARKER_MAX_N && i < runs[r].n; i++) {
                draw_disc(c, xs[i], ys[i], MARKER_R, palette[r]);
                if (!k) draw_disc(c, xs[i], ys[i], MARKER_R - 2, WHITE); /* hollow: train */
            }
        }
    }
}

/* Under the title: a swatch and label per run, then what dashed and solid mean, centred,
 * wrapped onto more rows when long labels need it. With c NULL it only counts the rows. */
#define LEGEND_ROW_H (7 * TEXT_SCALE + 12)
static int draw_legend(draw_canvas *c, const run_data *runs, int n_runs, int y) {
    enum { SWATCH = 28, GAP = 8, SPACE = 30, MAX_ITEMS = MAX_RUNS + 2 };
    const char *text[MAX_ITEMS];
    int width[MAX_ITEMS], n = 0;
    for (int r = 0; r < n_runs; r++) text[n++] = runs[r].label;
    text[n++] = "train";
    text[n++] = "test";
    for (int i = 0; i < n; i++) width[i] = SWATCH + GAP + draw_text_width(text[i], TEXT_SCALE);
    int rows = 0;
    for (int first = 0; first < n; rows++) {
        int end = first, row_w = width[first];
        while (end + 1 < n && row_w + SPACE + width[end + 1] <= IMG_W - 2 * MARGIN) row_w += SPACE + width[++end];
        if (c) {
            int x = (IMG_W - row_w) / 2, ry = y + rows * LEGEND_ROW_H;
            for (int i = first; i <= end; i++) {
                int run = i < n_runs ? i : -1;
                if (run >= 0) {
                    draw_fill_rect(c, x, ry, SWATCH, 7 * TEXT_SCALE, palette[run]);
                } else { /* line-style key: a short grey line */
                    double xs[2] = {x, x + SWATCH - 1}, ys[2] = {ry + 3.5 * TEXT_SCALE, ry + 3.5 * TEXT_SCALE};
                    draw_polyline(c, xs, ys, 2, LINE_W, i == n - 2 ? DASHED : SOLID, KEY);
                }
                draw_text(c, x + SWATCH + GAP, ry, text[i], TEXT_SCALE, INK);
                x += width[i] + SPACE;
            }
        }
        first = end + 1;
    }
    return rows;
}

static int render(const run_data *runs, int n_runs, const char *title, const char *out) {
    panel pn[4] = {
        {.title = "Loss", .ytitle = "cross-entropy", .dashed = F_TRAIN_LOSS, .solid = F_TEST_LOSS},
        {.title = "Accuracy", .ytitle = "accuracy (%)", .dashed = F_TRAIN_ACC, .solid = F_TEST_ACC},
        {.title = "Train - test accuracy gap", .ytitle = "percentage points", .dashed = -1, .solid = F_GAP,
         .show_zero = 1},
        {.title = "Learning rate", .ytitle = "learning rate", .dashed = -1, .solid = F_LR},
    };
    x_axis xa;
    xa.lo = INFINITY;
    xa.hi = -INFINITY;
    int max_n = 0;
    for (int r = 0; r < n_runs; r++) {
        for (int i = 0; i < runs[r].n; i++) {
            xa.lo = fmin(xa.lo, runs[r].v[F_EPOCH][i]);
            xa.hi = fmax(xa.hi, runs[r].v[F_EPOCH][i]);
        }
        if (runs[r].n > max_n) max_n = runs[r].n;
    }
    xa.n_ticks = axis_ticks(xa.lo, xa.hi, MAX_X_TICKS, 1.0, &xa.lo, &xa.hi, xa.ticks, &xa.step);

    /* One left margin for all panels, so plot areas line up in both columns. */
    int tick_w = 0;
    pn[3].shared = same_curve(runs, n_runs, F_LR);
    for (int p = 0; p < 4; p++) {
        panel_range(&pn[p], runs, n_runs);
        int w = tick_label_width(&pn[p]);
        if (w > tick_w) tick_w = w;
    }
    const int th = draw_text_height(TEXT_SCALE);
    const int legend_y = MARGIN + draw_text_height(TITLE_SCALE) + 14;
    const int top = legend_y + draw_legend(NULL, runs, n_runs, 0) * LEGEND_ROW_H + 16;
    const int cell_w = (IMG_W - 2 * MARGIN) / 2, cell_h = (IMG_H - top - MARGIN) / 2;
    const int left = th + 10 + tick_w + 4 + TICK_LEN, right = 18;
    const int above = th + 16, below = TICK_LEN + 4 + th + 8 + th + 6;
    for (int p = 0; p < 4; p++) {
        int cx = MARGIN + (p % 2) * cell_w, cy = top + (p / 2) * cell_h;
        pn[p].x = cx + left;
        pn[p].y = cy + above;
        pn[p].w = cell_w - left - right;
        pn[p].h = cell_h - above - below;
    }

    draw_canvas c;
    double *xs = malloc((size_t)(max_n ? max_n : 1) * sizeof(double));
    double *ys = malloc((size_t)(max_n ? max_n : 1) * sizeof(double));
    if (!xs || !ys || draw_canvas_init(&c, IMG_W, IMG_H, WHITE)) {
        free(xs);
        free(ys);
        fprintf(stderr, "normlab: out of memory for a %dx%d picture\n", IMG_W, IMG_H);
        return EXIT_RUNTIME;
    }
    int ts = TITLE_SCALE; /* shrink a long title until it fits (the smallest size is clipped) */
    while (ts > 1 && draw_text_width(title, ts) > IMG_W - 2 * MARGIN) ts--;
    draw_text_centered(&c, IMG_W / 2, MARGIN, title, ts, INK);
    draw_legend(&c, runs, n_runs, legend_y);
    for (int p = 0; p < 4; p++) {
        draw_axes(&c, &pn[p], &xa);
        int tw = draw_text_width(pn[p].ytitle, TEXT_SCALE);
        draw_text_up(&c, MARGIN + (p % 2) * cell_w, pn[p].y + (pn[p].h - tw) / 2, pn[p].ytitle, TEXT_SCALE, INK);
        draw_series(&c, &pn[p], &xa, runs, n_runs, xs, ys);
    }
    free(xs);
    free(ys);
    nl_status st;
    int rc = 0;
    if (nl_png_write_file(out, c.rgb, c.w, c.h, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        rc = EXIT_RUNTIME;
    } else {
        fprintf(stderr, "normlab: wrote %s (%d run%s, %d epochs)\n", out, n_runs, n_runs > 1 ? "s" : "", max_n);
    }
    draw_canvas_free(&c);
    return rc;
}

/* ---- command line ---- */

/* Splits a comma-separated list into items (pointers into s, which is modified). */
static int split_list(char *s, char **items, int max, const char *opt) {
    int n = 0;
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!*p) {
            fprintf(stderr, "normlab: %s has an empty item\n", opt);
            return -1;
        }
        if (n == max) {
            fprintf(stderr, "normlab: %s: at most %d runs per plot\n", opt, max);
            return -1;
        }
        items[n++] = p;
        if (!comma) return n;
        p = comma + 1;
    }
}

int cmd_plot(int argc, char **argv) {
    char *paths[MAX_RUNS], *labels[MAX_RUNS];
    int n_runs = 0, n_labels = -1;
    const char *out = NULL, *title = NULL;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--metrics") && strcmp(opt, "--labels") && strcmp(opt, "--out") && strcmp(opt, "--title")) {
            fprintf(stderr, "normlab: %s '%s' for plot (options: --metrics --labels --out --title)\n",
                    strncmp(opt, "--", 2) ? "unexpected argument" : "unknown option", opt);
            return EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "normlab: %s needs a value\n", opt);
            return EXIT_USAGE;
        }
        char *v = argv[++i];
        if (!strcmp(opt, "--metrics")) { /* a list, and may be repeated */
            int n = split_list(v, paths + n_runs, MAX_RUNS - n_runs, opt);
            if (n < 0) return EXIT_USAGE;
            n_runs += n;
        } else if (!strcmp(opt, "--labels")) {
            if ((n_labels = split_list(v, labels, MAX_RUNS, opt)) < 0) return EXIT_USAGE;
        } else if (!strcmp(opt, "--out")) out = v;
        else title = v;
    }
    if (n_runs == 0 || !out) {
        fprintf(stderr, "normlab: plot needs --metrics FILE[,FILE...] and --out FILE.png\n");
        return EXIT_USAGE;
    }
    if (n_labels >= 0 && n_labels != n_runs) {
        fprintf(stderr, "normlab: --labels has %d name%s for %d metrics file%s\n", n_labels, n_labels == 1 ? "" : "s",
                n_runs, n_runs == 1 ? "" : "s");
        return EXIT_USAGE;
    }
    run_data runs[MAX_RUNS];
    memset(runs, 0, sizeof runs);
    int rc = 0;
    for (int r = 0; r < n_runs && !rc; r++) {
        runs[r].path = paths[r];
        rc = read_run(&runs[r]);
    }
    if (!rc) {
        default_labels(runs, n_runs);
        for (int r = 0; r < n_labels; r++) snprintf(runs[r].label, LABEL_MAX, "%s", labels[r]);
        char auto_title[LABEL_MAX * MAX_RUNS + 64] = "Training curves:";
        for (int r = 0; r < n_runs; r++) {
            strcat(auto_title, r ? ", " : " ");
            strcat(auto_title, runs[r].label);
        }
        if (draw_text_width(auto_title, TEXT_SCALE) > IMG_W - 2 * MARGIN) strcpy(auto_title, "Training curves");
        rc = render(runs, n_runs, title ? title : auto_title, out);
    }
    for (int r = 0; r < n_runs; r++) run_free(&runs[r]);
    return rc;
}
