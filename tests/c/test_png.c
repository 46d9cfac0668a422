/* Decodes the encoder's PNGs with the test's own reader (chunk walk, CRCs, zlib inflate,
 * all five row filters) and compares pixels, checks a plot compresses well, and has an
 * independent decoder (PIL in Debian's Python) read one; exits 77 (skipped) when that decoder
 * is missing. Also covers nl_file_read_all. */
#include <stdlib.h>
#include <string.h>


#include "base/nl_file.h"
#include "draw/nl_png.h"
#include "nl_png_read.h"
#include "nl_test.h"

static const char *out_dir(void) {
    const char *d = getenv("NL_BUILD_DIR");
    return d && d[0] ? d : "/tmp";
}

/* Test images: noise, smooth gradients (the sub / up / average / Paeth filters win there)
 * and flat areas with lines, like a plot. */
static uint8_t *pattern(int w, int h, uint32_t seed) {
    uint8_t *p = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                size_t i = ((size_t)y * w + x) * 3 + c;
                seed = seed * 1664525u + 1013904223u;
                int band = (y / 7 + x / 11) % 4;
                p[i] = band == 0 ? (uint8_t)(seed >> 24)                           /* noise */
                       : band == 1 ? (uint8_t)(x * 3 + y * 5 + c * 40)           /* gradient */
                       : band == 2 ? (uint8_t)((x * x + y * (c + 1)) >> 3)       /* curved */
                                   : (uint8_t)(x % 17 == 0 || y % 13 == 0 ? 40 : 250); /* grid */
            }
    return p;
}

static int filters_used[5];

static void roundtrip(int w, int h) {
    uint8_t *img = pattern(w, h, (uint32_t)(w * 131 + h));
    uint8_t *png = NULL;
    size_t len = 0;
    nl_status st;
    CHECK(nl_png_encode_rgb(img, w, h, &png, &len, &st) == NL_OK);
    int dw = 0, dh = 0;
    uint8_t *back = png ? nl_test_png_decode(png, len, &dw, &dh, filters_used) : NULL;
    CHECK_MSG(back != NULL, "%dx%d did not decode", w, h);
    CHECK(dw == w && dh == h);
    CHECK(back && memcmp(back, img, (size_t)w * h * 3) == 0);
    free(back);
    free(png);
    free(img);
}

/* A plot-like picture (white, a grid, a few lines) must compress well. */
static void check_compression(void) {
    int w = 1200, h = 800;
    uint8_t *img = malloc((size_t)w * h * 3);
    memset(img, 255, (size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *px = img + ((size_t)y * w + x) * 3;
            if (x % 100 == 0 || y % 100 == 0) px[0] = px[1] = px[2] = 220;
            if (abs(y - (h - x * h / w)) < 2) px[0] = 200, px[1] = 30, px[2] = 30;
        }
    uint8_t *png = NULL;
    size_t len = 0;
    nl_status st;
    CHECK(nl_png_encode_rgb(img, w, h, &png, &len, &st) == NL_OK);
    CHECK_MSG(len < 40000, "a 1200x800 plot took %zu bytes (stored blocks: 2.9 MB)", len);
    int dw, dh, used[5] = {0};
    uint8_t *back = png ? nl_test_png_decode(png, len, &dw, &dh, used) : NULL;
    CHECK(back && memcmp(back, img, (size_t)w * h * 3) == 0);
    free(back);
    free(png);
    free(img);
}

/* Has an independent decoder read a PNG: Debian's Python with PIL (python3-pil), its own
 * PNG reader. Returns 0 if it ran, 1 if it is not available (the check is then skipped). */
static int check_with_pil(void) {
    if (system("/usr/bin/python3 -c 'import PIL.Image' >/dev/null 2>&1") != 0) {
        printf("test_png: SKIPPED the independent decoder check: /usr/bin/python3 with PIL (python3-pil) is not installed\n");
        return 1;
    }
    int w = 97, h = 700;
    uint8_t *img = pattern(w, h, 7);
    char png_path[512], raw_path[512], cmd[2048];
    snprintf(png_path, sizeof png_path, "%s/test_png_ext.png", out_dir());
    snprintf(raw_path, sizeof raw_path, "%s/test_png_ext.raw", out_dir());
    nl_status st;
    CHECK(nl_png_write_file(png_path, img, w, h, &st) == NL_OK);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "import sys\n"
             "from PIL import Image\n"
             "im = Image.open(sys.argv[1]); im.load()\n"
             "assert im.mode == 'RGB' and im.size == (%d, %d), (im.mode, im.size)\n"
             "open(sys.argv[2], 'wb').write(im.tobytes())\n"
             "\" '%s' '%s'",
             w, h, png_path, raw_path);
    CHECK_MSG(system(cmd) == 0, "PIL rejected %s", png_path);
    uint8_t *back = NULL;
    size_t n = 0;
    CHECK(nl_file_read_all(raw_path, &back, &n, 0, &st) == NL_OK);
    CHECK(n == (size_t)w * h * 3 && back && memcmp(back, img, n) == 0);
    free(back);
    free(img);
    remove(png_path);
    remove(raw_path);
    return 0;
}

static void check_bad_inputs(void) {
    uint8_t px[3] = {1, 2, 3}, *png = (uint8_t *)1;
    size_t len = 99;
    nl_status st;
    CHECK(nl_png_encode_rgb(px, 0, 1, &png, &len, &st) == NL_EINVAL && png == NULL && len == 0);
    CHECK(nl_png_encode_rgb(px, 1, -5, &png, &len, &st) == NL_EINVAL);
    CHECK(nl_png_encode_rgb(NULL, 1, 1, &png, &len, &st) == NL_EINVAL);
    CHECK(nl_png_encode_rgb(px, 1, 1, NULL, &len, &st) == NL_EINVAL);
    CHECK(nl_png_write_file("/nonexistent-dir-nl/x.png", px, 1, 1, &st) == NL_EIO);
    CHECK(strstr(st.msg, "/nonexistent-dir-nl/x.png") != NULL);
}

static void check_read_all(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/test_png_read_all.bin", out_dir());
    nl_status st;
    const char text[] = "hello, file";
    CHECK(nl_file_write_atomic(path, text, strlen(text), &st) == NL_OK);
    uint8_t *buf = NULL;
    size_t n = 0;
    CHECK(nl_file_read_all(path, &buf, &n, 100, &st) == NL_OK);
    CHECK(n == strlen(text) && buf && strcmp((char *)buf, text) == 0); /* NUL-terminated */
    free(buf);
    CHECK(nl_file_read_all(path, &buf, &n, 5, &st) == NL_EFORMAT && buf == NULL && n == 0);
    CHECK(nl_file_write_atomic(path, NULL, 0, &st) == NL_OK); /* empty file */
    CHECK(nl_file_read_all(path, &buf, &n, 0, &st) == NL_OK && n == 0 && buf && buf[0] == 0);
    free(buf);
    remove(path);
    CHECK(nl_file_read_all(path, &buf, &n, 0, &st) == NL_EIO && buf == NULL);
    CHECK(strstr(st.msg, "cannot open") && strstr(st.msg, path));
}

int main(void) {
    roundtrip(1, 1);
    roundtrip(3, 2);
    roundtrip(28, 771);
    roundtrip(200, 120);
    roundtrip(640, 480);
    for (int f = 0; f < 5; f++) CHECK_MSG(filters_used[f] > 0, "filter %d never chosen: its decoding is untested", f);
    check_compression();
    int skipped = check_with_pil();
    check_bad_inputs();
    check_read_all();
    int rc = nl_test_finish("test_png");
    return rc == 0 && skipped ? 77 : rc; /* 77: CTest reports the test as skipped */
}
