#include "draw/nl_grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw/nl_font.h"

#define SRC_HW 32           /* CIFAR images are 32 x 32 */
#define IMG_SCALE 6         /* 192 px: big enough to see what the network saw */
#define TEXT_SCALE 2        /* 14 px capitals: readable without zooming */
#define TITLE_SCALE 3
#define MARGIN 16           /* around the whole picture */
#define GAP_X 24            /* between columns */
#define GAP_Y 24            /* between the two rows */
#define IMG_TEXT_GAP 8      /* between an image and its first label line */
#define LINE_H (NL_FONT_GLYPH_H * TEXT_SCALE + 4)
#define TITLE_GAP 16        /* under the title */
#define NAME_MAX_CHARS 16   /* longer class names are cut so cells stay a sane width */

typedef struct {
    uint8_t r, g, b;
} rgb8;

static const rgb8 BACKGROUND = {255, 255, 255};
static const rgb8 FRAME = {190, 190, 190};
static const rgb8 TEXT = {25, 25, 25};
static const rgb8 WRONG = {205, 20, 20};
static const rgb8 RIGHT = {10, 130, 40};
static const rgb8 MUTED = {100, 100, 100};

typedef struct {
    int cell_w, cell_h, lines, title_scale, title_h;
    int w, h;
} layout;

static void format_lines(char out[3][48], const char *true_name, const char *pred_name,
                         const float *conf) {
    snprintf(out[0], 48, "true: %.*s", NAME_MAX_CHARS, true_name);
    snprintf(out[1], 48, "pred: %.*s", NAME_MAX_CHARS, pred_name);
    if (conf) snprintf(out[2], 48, "conf: %d%%", (int)lroundf(*conf * 100.0f));
    else out[2][0] = '\0';
}

/* Cells are as wide as the image or the longest label any class could produce, whichever
 * is wider, so the picture size does not depend on which classes happen to appear. */
static layout compute_layout(const char *const class_names[10], const char *title, int has_conf) {
    layout L;
    int img = SRC_HW * IMG_SCALE;
    L.cell_w = img;
    for (int c = 0; c < 10; c++) {
        char lines[3][48];
        const float full = 1.0f;
        format_lines(lines, class_names[c], class_names[c], &full);
        for (int i = 0; i < 3; i++) {
            int tw = nl_font_text_width(lines[i], TEXT_SCALE);
            if (tw > L.cell_w) L.cell_w = tw;
        }
    }
    L.lines = has_conf ? 3 : 2;
    L.cell_h = img + IMG_TEXT_GAP + L.lines * LINE_H;
    L.w = 2 * MARGIN + NL_GRID_COLS * L.cell_w + (NL_GRID_COLS - 1) * GAP_X;
    L.title_scale = 0;
    L.title_h = 0;
    if (title && title[0]) {
        /* Shrink a title that would not fit; one still too long is clipped at the edge. */
        L.title_scale = TITLE_SCALE;
        if (nl_font_text_width(title, TITLE_SCALE) > L.w - 2 * MARGIN) L.title_scale = TEXT_SCALE;
        L.title_h = NL_FONT_GLYPH_H * L.title_scale + TITLE_GAP;
    }
    L.h = 2 * MARGIN + L.title_h + NL_GRID_ROWS * L.cell_h + (NL_GRID_ROWS - 1) * GAP_Y;
    return L;
}

static void fill_rect(uint8_t *rgb, int w, int x0, int y0, int rw, int rh, rgb8 c) {
    for (int y = y0; y < y0 + rh; y++) {
        uint8_t *p = rgb + ((size_t)y * (size_t)w + (size_t)x0) * 3;
        for (int x = 0; x < rw; x++, p += 3) {
            p[0] = c.r;
            p[1] = c.g;
            p[2] = c.b;
        }
    }
}

/* Copies a planar 3x32x32 image, enlarged, with its top-left pixel at (x0, y0). */
static void blit_cifar(uint8_t *rgb, int w, int x0, int y0, const uint8_t *chw) {
    const int plane = SRC_HW * SRC_HW;
    for (int y = 0; y < SRC_HW * IMG_SCALE; y++) {
        const uint8_t *src = chw + (y / IMG_SCALE) * SRC_HW;
        uint8_t *p = rgb + ((size_t)(y0 + y) * (size_t)w + (size_t)x0) * 3;
        for (int x = 0; x < SRC_HW * IMG_SCALE; x++, p += 3) {
            int i = x / IMG_SCALE;
            p[0] = src[i];
            p[1] = src[plane + i];
            p[2] = src[2 * plane + i];
        }
    }
}

static void draw_text(uint8_t *rgb, const layout *L, int x, int y, const char *s, int scale,
                      rgb8 c) {
    nl_font_draw_text(rgb, L->w, L->h, x, y, s, scale, c.r, c.g, c.b);
}

static int check_inputs(const uint8_t *const images[], const int true_label[],
                        const int pred_label[], const float conf[], int count,
                        const char *const class_names[10], uint8_t **rgb_out, int *w_out,
                        int *h_out, nl_status *st) {
    const char *fn = "nl_render_misclassified_grid";
    if (!rgb_out || !w_out || !h_out) return nl_fail(st, NL_EINVAL, "%s: NULL output", fn);
    if (count < 1 || count > NL_GRID_MAX_IMAGES)
        return nl_fail(st, NL_EINVAL, "%s: count %d is not in 1..%d", fn, count,
                       NL_GRID_MAX_IMAGES);
    if (!images || !true_label || !pred_label || !class_names)
        return nl_fail(st, NL_EINVAL, "%s: NULL images, labels or class names", fn);
    for (int c = 0; c < 10; c++)
        if (!class_names[c]) return nl_fail(st, NL_EINVAL, "%s: class name %d is NULL", fn, c);
    for (int i = 0; i < count; i++) {
        if (!images[i]) return nl_fail(st, NL_EINVAL, "%s: image %d is NULL", fn, i);
        if (true_label[i] < 0 || true_label[i] > 9 || pred_label[i] < 0 || pred_label[i] > 9)
            return nl_fail(st, NL_EINVAL, "%s: image %d has label %d / prediction %d, not 0..9",
                           fn, i, true_label[i], pred_label[i]);
        if (conf && !(conf[i] >= 0.0f && conf[i] <= 1.0f)) /* also rejects NaN */
            return nl_fail(st, NL_EINVAL, "%s: image %d has confidence %g, not 0..1", fn, i,
                           (double)conf[i]);
    }
    return NL_OK;
}

int nl_render_misclassified_grid(const uint8_t *const images[], const int true_label[],
                                 const int pred_label[], const float conf[], int count,
                                 const char *const class_names[10], const char *title,
                                 uint8_t **rgb_out, int *w_out, int *h_out, nl_status *st) {
    if (rgb_out) *rgb_out = NULL;
    if (w_out) *w_out = 0;
    if (h_out) *h_out = 0;
    int rc = check_inputs(images, true_label, pred_label, conf, count, class_names, rgb_out,
                          w_out, h_out, st);
    if (rc != NL_OK) return rc;

    layout L = compute_layout(class_names, title, conf != NULL);
    uint8_t *rgb = malloc((size_t)L.w * (size_t)L.h * 3);
    if (!rgb) return nl_fail(st, NL_ENOMEM, "out of memory for a %dx%d grid", L.w, L.h);
    fill_rect(rgb, L.w, 0, 0, L.w, L.h, BACKGROUND);

    if (L.title_scale) draw_text(rgb, &L, MARGIN, MARGIN, title, L.title_scale, TEXT);

    const int img = SRC_HW * IMG_SCALE;
    for (int i = 0; i < count; i++) {
        int x = MARGIN + (i % NL_GRID_COLS) * (L.cell_w + GAP_X);
        int y = MARGIN + L.title_h + (i / NL_GRID_COLS) * (L.cell_h + GAP_Y);
        /* A 1 px frame just outside the image separates dark images from the background. */
        fill_rect(rgb, L.w, x - 1, y - 1, img + 2, img + 2, FRAME);
        blit_cifar(rgb, L.w, x, y, images[i]);

        char lines[3][48];
        format_lines(lines, class_names[true_label[i]], class_names[pred_label[i]],
                     conf ? &conf[i] : NULL);
        int ty = y + img + IMG_TEXT_GAP;
        draw_text(rgb, &L, x, ty, lines[0], TEXT_SCALE, TEXT);
        draw_text(rgb, &L, x, ty + LINE_H, lines[1], TEXT_SCALE,
                  pred_label[i] == true_label[i] ? RIGHT : WRONG);
        if (conf) draw_text(rgb, &L, x, ty + 2 * LINE_H, lines[2], TEXT_SCALE, MUTED);
    }

    *rgb_out = rgb;
    *w_out = L.w;
    *h_out = L.h;
    nl_status_clear(st);
    return NL_OK;
}
