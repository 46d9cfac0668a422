/* PNG encoder for 8-bit RGB images. Each row is filtered with the PNG filter (none, sub, up,
 * average, Paeth) whose output has the smallest sum of absolute values (libpng's heuristic),
 * then the filtered image is deflated by zlib at level 9 into one IDAT chunk: plots with flat
 * colours shrink ~50x, photo grids ~2x, compared with stored blocks. */
#include "draw/nl_png.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/nl_crc32.h"
#include "base/nl_file.h"

#define PNG_MAX_SIDE (1 << 24)
#define BPP 3 /* bytes per pixel */

static uint8_t *put_u32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

/* Writes a chunk whose data is already in place at p + 8 (after length and type);
 * returns the position after its CRC. */
static uint8_t *finish_chunk(uint8_t *p, const char type[4], uint32_t len) {
    put_u32be(p, len);
    memcpy(p + 4, type, 4);
    uint32_t crc = nl_crc32(0, p + 4, 4 + (size_t)len); /* CRC covers type and data */
    return put_u32be(p + 8 + len, crc);
}

static uint8_t paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Filters one row (n bytes; prev is the row above, or NULL for the first) with filter type
 * f into out. Returns the sum of the output bytes read as signed values, the cost to minimise. */
static unsigned long filter_row(int f, const uint8_t *cur, const uint8_t *prev, size_t n, uint8_t *out) {
    unsigned long cost = 0;
    for (size_t i = 0; i < n; i++) {
        int a = i >= BPP ? cur[i - BPP] : 0, b = prev ? prev[i] : 0, c = prev && i >= BPP ? prev[i - BPP] : 0;
        int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : paeth(a, b, c);
        uint8_t v = (uint8_t)(cur[i] - pred);
        out[i] = v;
        cost += v < 128 ? v : 256u - v;
    }
    return cost;
}

int nl_png_encode_rgb(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_len,
                      nl_status *st) {
    if (!out || !out_len) return nl_fail(st, NL_EINVAL, "nl_png_encode_rgb: NULL output");
    *out = NULL;
    *out_len = 0;
    if (!rgb) return nl_fail(st, NL_EINVAL, "nl_png_encode_rgb: NULL pixels");
    if (w <= 0 || h <= 0 || w > PNG_MAX_SIDE || h > PNG_MAX_SIDE)
        return nl_fail(st, NL_EINVAL, "nl_png_encode_rgb: bad size %dx%d", w, h);

    /* The filtered image: each row is a filter-type byte and the row's filtered bytes. */
    size_t n = BPP * (size_t)w, row = 1 + n;
    if ((size_t)h > (SIZE_MAX / 2) / row) return nl_fail(st, NL_EINVAL, "PNG %dx%d is too large", w, h);
    size_t raw_len = row * (size_t)h;
    if (raw_len > 0x7FFFFFFFu) return nl_fail(st, NL_EINVAL, "PNG %dx%d is too large for one IDAT chunk", w, h);
    uint8_t *raw = malloc(raw_len), *trial = malloc(n);
    uLong zcap = compressBound((uLong)raw_len);
    size_t total = 8 + (12 + 13) + (12 + (size_t)zcap) + 12;
    uint8_t *png = malloc(total);
    if (!raw || !trial || !png) {
        free(raw);
        free(trial);
        free(png);
        return nl_fail(st, NL_ENOMEM, "out of memory encoding a %dx%d PNG", w, h);
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *cur = rgb + (size_t)y * n, *prev = y ? cur - n : NULL;
        uint8_t *dst = raw + (size_t)y * row;
        unsigned long best = (unsigned long)-1;
        for (int f = 0; f < 5; f++) {
            unsigned long cost = filter_row(f, cur, prev, n, trial);
            if (cost < best) {
                best = cost;
                dst[0] = (uint8_t)f;
                memcpy(dst + 1, trial, n);
            }
        }
    }
    free(trial);

    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(png, signature, 8);
    uint8_t *p = png + 8;

    /* IHDR: width, height, then bit depth 8, colour type 2 (RGB), compression 0 (deflate),
     * filter method 0, no interlace. */
    uint8_t *d = p + 8;
    d = put_u32be(d, (uint32_t)w);
    d = put_u32be(d, (uint32_t)h);
    static const uint8_t ihdr_rest[5] = {8, 2, 0, 0, 0};
    memcpy(d, ihdr_rest, 5);
    p = finish_chunk(p, "IHDR", 13);

    /* IDAT: the zlib stream (header, deflate, Adler-32) of the filtered rows. */
    uLongf zlen = zcap;
    int zrc = compress2(p + 8, &zlen, raw, (uLong)raw_len, 9);
    free(raw);
    if (zrc != Z_OK || zlen > 0x7FFFFFFFu) {
        free(png);
        return zrc == Z_MEM_ERROR ? nl_fail(st, NL_ENOMEM, "out of memory compressing a %dx%d PNG", w, h)
                                  : nl_fail(st, NL_EINVAL, "zlib could not compress a %dx%d PNG (%d)", w, h, zrc);
    }
    p = finish_chunk(p, "IDAT", (uint32_t)zlen);

    p = finish_chunk(p, "IEND", 0);
    *out = png;
    *out_len = (size_t)(p - png);
    nl_status_clear(st);
    return NL_OK;
}

int nl_png_write_file(const char *path, const uint8_t *rgb, int w, int h, nl_status *st) {
    uint8_t *png = NULL;
    size_t len = 0;
    int rc = nl_png_encode_rgb(rgb, w, h, &png, &len, st);
    if (rc != NL_OK) return rc;
    rc = nl_file_write_atomic(path, png, len, st);
    free(png);
    return rc;
}
