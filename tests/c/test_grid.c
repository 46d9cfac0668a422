/* The misclassified-image grid: layout (found from the pixels, not from the renderer's
 * constants), labels drawn under every image, empty cells, input checks, and atomic PNG
 * writing (no stray .tmp, clean NL_EIO on an impossible path). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/nl_file.h"
#include "draw/nl_font.h"
#include "draw/nl_grid.h"
#include "draw/nl_png.h"
#include "nl_png_read.h"
#include "nl_test.h"

static const char *const NAMES[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                      "dog",      "frog",       "horse", "ship", "truck"};

static uint8_t images[10][3072];
static const uint8_t *ptrs[10];
static int truth[10], pred[10];
static float conf[10];

/* Image i is one solid colour no label or background uses, so its cell can be found. */
static void solid_colour(int i, uint8_t c[3]) {
    c[0] = (uint8_t)(40 + 20 * i);
    c[1] = (uint8_t)(230 - 15 * i);
    c[2] = 77;
}

static void make_inputs(void) {
    for (int i = 0; i < 10; i++) {
        uint8_t c[3];
        solid_colour(i, c);
        for (int ch = 0; ch < 3; ch++) memset(images[i] + ch * 1024, c[ch], 1024);
        ptrs[i] = images[i];
        truth[i] = i;
        pred[i] = (i + 3) % 10;
        conf[i] = 0.5f + 0.05f * (float)i;
    }
    pred[7] = 7; /* one correct prediction: drawn in green */
}

typedef struct {
    int x0, y0, x1, y1, n; /* bounding box (inclusive) and pixel count of a colour */
} box;

static box find_colour(const uint8_t *rgb, int w, int h, const uint8_t c[3]) {
    box b = {w, h, -1, -1, 0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            if (p[0] == c[0] && p[1] == c[1] && p[2] == c[2]) {
                if (x < b.x0) b.x0 = x;
                if (y < b.y0) b.y0 = y;
                if (x > b.x1) b.x1 = x;
                if (y > b.y1) b.y1 = y;
                b.n++;
            }
        }
    return b;
}

/* Counts pixels in [x0,x1) x [y0,y1) that are dark (text), red (wrong) or green (right). */
typedef struct {
    int dark, red, green, white;
} ink;

static ink count_ink(const uint8_t *rgb, int w, int h, int x0, int y0, int x1, int y1) {
    ink k = {0, 0, 0, 0};
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++) {
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            if (p[0] < 60 && p[1] < 60 && p[2] < 60) k.dark++;
            if (p[0] > 150 && p[1] < 80 && p[2] < 80) k.red++;
            if (p[1] > 100 && p[0] < 60 && p[2] < 90) k.green++;
            if (p[0] == 255 && p[1] == 255 && p[2] == 255) k.white++;
        }
    return k;
}

static void check_layout(void) {
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    nl_status st;
    int rc = nl_render_misclassified_grid(ptrs, truth, pred, conf, 10, NAMES, "Misclassified",
                                          &rgb, &w, &h, &st);
    CHECK_MSG(rc == NL_OK, "%s", st.msg);
    if (rc != NL_OK) return;
    CHECK(w >= 5 * 128 && h >= 2 * 128 && w < 4000 && h < 4000);

    box b[10];
    for (int i = 0; i < 10; i++) {
        uint8_t c[3];
        solid_colour(i, c);
        b[i] = find_colour(rgb, w, h, c);
        int side = b[i].x1 - b[i].x0 + 1;
        /* A solid square, enlarged by a whole factor of at least 4 (nearest neighbour). */
        CHECK_MSG(side >= 128 && side % 32 == 0, "image %d is %d px wide", i, side);
        CHECK(b[i].y1 - b[i].y0 + 1 == side && b[i].n == side * side);
    }
    /* 5 columns x 2 rows, left to right, top row first, evenly spaced. */
    int pitch = b[1].x0 - b[0].x0, side = b[0].x1 - b[0].x0 + 1;
    for (int i = 0; i < 10; i++) {
        CHECK(b[i].x0 == b[i % 5].x0 && b[i].y0 == b[i < 5 ? 0 : 5].y0);
        if (i % 5) CHECK(b[i].x0 - b[i - 1].x0 == pitch);
    }
    CHECK(pitch > side && b[5].y0 > b[0].y1);

    /* Labels: under each image, within its column, before the next row. */
    for (int i = 0; i < 10; i++) {
        int y_end = i < 5 ? b[5].y0 : h;
        ink k = count_ink(rgb, w, h, b[i].x0, b[i].y1 + 2, b[i].x0 + pitch, y_end);
        CHECK_MSG(k.dark > 50, "image %d: no label text under it", i);
        if (pred[i] == truth[i]) CHECK_MSG(k.green > 50 && k.red == 0, "image %d: not green", i);
        else CHECK_MSG(k.red > 50, "image %d: wrong prediction not in red", i);
    }
    /* The title sits above the first row; the background is white. */
    CHECK(count_ink(rgb, w, h, 0, 0, w, b[0].y0 - 1).dark > 50);
    CHECK(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255);

    /* Fewer images: same size, cells past count left blank, no title band without a title. */
    uint8_t *few = NULL;
    int w3 = 0, h3 = 0;
    CHECK(nl_render_misclassified_grid(ptrs, truth, pred, conf, 3, NAMES, NULL, &few, &w3, &h3,
                                       &st) == NL_OK);
    CHECK(w3 == w && h3 < h);
    if (few) {
        int shift = h - h3; /* the title band */
        uint8_t c[3];
        solid_colour(2, c);
        box b2 = find_colour(few, w3, h3, c);
        CHECK(b2.x0 == b[2].x0 && b2.y0 == b[2].y0 - shift);
        ink blank = count_ink(few, w3, h3, b[3].x0 - 2, b[3].y0 - shift - 2, w3, h3);
        ink blank2 = count_ink(few, w3, h3, 0, b[5].y0 - shift - 2, w3, h3);
        int area = (w3 - b[3].x0 + 2) * (h3 - b[3].y0 + shift + 2);
        CHECK(blank.white == area && blank2.white == w3 * (h3 - b[5].y0 + shift + 2));
        CHECK(count_ink(few, w3, h3, 0, 0, w3, b2.y0 - 1).dark == 0); /* no title */
    }
    free(few);

    /* Very long class names are cut, so the picture stays a sane size. */
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *names2[10];
    for (int i = 0; i < 10; i++) names2[i] = i == 4 ? longname : NAMES[i];
    uint8_t *wide = NULL;
    int ww = 0, wh = 0;
    CHECK(nl_render_misclassified_grid(ptrs, truth, pred, NULL, 10, names2, "t", &wide, &ww, &wh,
                                       &st) == NL_OK);
    CHECK(ww >= w && ww < 2 * w);
    free(wide);

    /* Writing the picture: atomic, no .tmp left behind, and the file is a PNG. */
    const char *dir = getenv("NL_BUILD_DIR");
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/test_grid_sample.png", dir && dir[0] ? dir : "/tmp");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK_MSG(nl_png_write_file(path, rgb, w, h, &st) == NL_OK, "%s", st.msg);
    FILE *f = fopen(tmp, "rb");
    CHECK(f == NULL);
    if (f) fclose(f);
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK(nl_file_read_all(path, &png, &len, 0, &st) == NL_OK);
    int dw = 0, dh = 0;
    uint8_t *back = png ? nl_test_png_decode(png, len, &dw, &dh, NULL) : NULL;
    CHECK(back && dw == w && dh == h && memcmp(back, rgb, (size_t)w * h * 3) == 0);
    free(back);
    free(png);
    printf("test_grid: sample grid (%dx%d) written to %s\n", w, h, path);
    free(rgb);
}

static void check_bad_inputs(void) {
    uint8_t *rgb = (uint8_t *)1;
    int w = 7, h = 7;
    nl_status st;
#define BAD(call)                                                         \
    do {                                                                  \
        rgb = (uint8_t *)1;                                               \
        CHECK_MSG((call) == NL_EINVAL && rgb == NULL, "accepted: %s", #call); \
    } while (0)
    BAD(nl_render_misclassified_grid(ptrs, truth, pred, conf, 0, NAMES, NULL, &rgb, &w, &h, &st));
    BAD(nl_render_misclassified_grid(ptrs, truth, pred, conf, 11, NAMES, NULL, &rgb, &w, &h, &st));
    BAD(nl_render_misclassified_grid(ptrs, truth, pred, conf, -1, NAMES, NULL, &rgb, &w, &h, &st));
    CHECK(w == 0 && h == 0);
    int bad[10];
    memcpy(bad, truth, sizeof bad);
    bad[9] = 10;
    BAD(nl_render_misclassified_grid(ptrs, bad, pred, conf, 10, NAMES, NULL, &rgb, &w, &h, &st));
    bad[9] = -1;
    BAD(nl_render_misclassified_grid(ptrs, truth, bad, conf, 10, NAMES, NULL, &rgb, &w, &h, &st));
    CHECK(strstr(st.msg, "image 9") != NULL);
    const uint8_t *holes[10];
    memcpy(holes, ptrs, sizeof holes);
    holes[2] = NULL;
    BAD(nl_render_misclassified_grid(holes, truth, pred, conf, 3, NAMES, NULL, &rgb, &w, &h, &st));
    float c2[10];
    memcpy(c2, conf, sizeof c2);
    c2[0] = 1.5f;
    BAD(nl_render_misclassified_grid(ptrs, truth, pred, c2, 10, NAMES, NULL, &rgb, &w, &h, &st));
    c2[0] = NAN;
    BAD(nl_render_misclassified_grid(ptrs, truth, pred, c2, 10, NAMES, NULL, &rgb, &w, &h, &st));
    const char *names2[10];
    memcpy(names2, NAMES, sizeof names2);
    names2[6] = NULL;
    BAD(nl_render_misclassified_grid(ptrs, truth, pred, conf, 1, names2, NULL, &rgb, &w, &h, &st));
    BAD(nl_render_misclassified_grid(NULL, truth, pred, conf, 1, NAMES, NULL, &rgb, &w, &h, &st));
    CHECK(nl_render_misclassified_grid(ptrs, truth, pred, conf, 1, NAMES, NULL, NULL, &w, &h,
                                       &st) == NL_EINVAL);
#undef BAD
}

static void check_failed_writes(void) {
    const char *dir = getenv("NL_BUILD_DIR");
    if (!dir || !dir[0]) dir = "/tmp";
    uint8_t px[12] = {0};
    nl_status st;
    const char *missing = "/nonexistent-dir-nl-grid/out.png";
    CHECK(nl_png_write_file(missing, px, 2, 2, &st) == NL_EIO);
    CHECK_MSG(strstr(st.msg, missing) != NULL, "message does not name the path: %s", st.msg);

    /* The target is a directory: the temp file is written, the rename fails, and the temp
     * file must be cleaned up. */
    char target[512], tmp[520];
    snprintf(target, sizeof target, "%s/test_grid_is_a_dir", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", target);
    mkdir(target, 0700);
    CHECK(nl_file_write_atomic(target, "abc", 3, &st) == NL_EIO);
    CHECK(strstr(st.msg, target) != NULL);
    FILE *f = fopen(tmp, "rb");
    CHECK_MSG(f == NULL, "%s left behind", tmp);
    if (f) fclose(f);
    remove(target); /* an empty directory */

    /* Overwriting an existing file replaces it whole. */
    snprintf(target, sizeof target, "%s/test_grid_overwrite.bin", dir);
    CHECK(nl_file_write_atomic(target, "first version", 13, &st) == NL_OK);
    CHECK(nl_file_write_atomic(target, "second", 6, &st) == NL_OK);
    uint8_t *back = NULL;
    size_t n = 0;
    CHECK(nl_file_read_all(target, &back, &n, 0, &st) == NL_OK && n == 6 && back &&
          memcmp(back, "second", 6) == 0);
    free(back);
    remove(target);
}

int main(void) {
    make_inputs();
    check_layout();
    check_bad_inputs();
    check_failed_writes();
    return nl_test_finish("test_grid");
}
