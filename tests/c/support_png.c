/* The tests' own PNG reader (see nl_png_read.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "nl_png_read.h"

/* Bitwise CRC-32, deliberately not the library's table version. */
static uint32_t ref_crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Undoes the PNG row filters (the test's own code, written from the specification). */
static int unfilter(uint8_t *raw, int w, int h, uint8_t *rgb, int used[5]) {
    size_t n = 3 * (size_t)w, row = n + 1;
    for (int y = 0; y < h; y++) {
        int f = raw[(size_t)y * row];
        if (f > 4) return fprintf(stderr, "filter type %d\n", f), -1;
        used[f]++;
        const uint8_t *in = raw + (size_t)y * row + 1;
        uint8_t *cur = rgb + (size_t)y * n, *up = y ? cur - n : NULL;
        for (size_t i = 0; i < n; i++) {
            int a = i >= 3 ? cur[i - 3] : 0, b = up ? up[i] : 0, c = up && i >= 3 ? up[i - 3] : 0, pred;
            if (f == 0) pred = 0;
            else if (f == 1) pred = a;
            else if (f == 2) pred = b;
            else if (f == 3) pred = (a + b) >> 1;
            else {
                int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p, pc = p > c ? p - c : c - p;
                pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            cur[i] = (uint8_t)(in[i] + pred);
        }
    }
    return 0;
}

/* Decodes an 8-bit RGB PNG (chunk walk with CRCs, zlib inflate, row filters) into RGB
 * (malloc'd). Returns NULL and prints why on any deviation from the format. */
uint8_t *nl_test_png_decode(const uint8_t *png, size_t len, int *w, int *h, int used[5]) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (len < 8 || memcmp(png, sig, 8) != 0) return fprintf(stderr, "bad signature\n"), NULL;
    uint8_t *z = NULL;
    size_t zn = 0, pos = 8;
    int seen_ihdr = 0, seen_iend = 0;
    while (pos + 12 <= len && !seen_iend) {
        uint32_t n = be32(png + pos);
        const uint8_t *type = png + pos + 4, *data = png + pos + 8;
        if (n > len - pos - 12) return fprintf(stderr, "chunk overruns file\n"), free(z), NULL;
        if (ref_crc32(type, 4 + (size_t)n) != be32(data + n))
            return fprintf(stderr, "bad CRC in %.4s\n", (const char *)type), free(z), NULL;
        if (!memcmp(type, "IHDR", 4)) {
            static const uint8_t rest[5] = {8, 2, 0, 0, 0};
            if (pos != 8 || n != 13 || memcmp(data + 8, rest, 5))
                return fprintf(stderr, "bad IHDR\n"), free(z), NULL;
            *w = (int)be32(data);
            *h = (int)be32(data + 4);
            seen_ihdr = 1;
        } else if (!memcmp(type, "IDAT", 4)) {
            z = realloc(z, zn + n);
            memcpy(z + zn, data, n);
            zn += n;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = 1;
        }
        pos += 12 + (size_t)n;
    }
    if (!seen_ihdr || !seen_iend || pos != len)
        return fprintf(stderr, "missing IHDR/IEND or trailing bytes\n"), free(z), NULL;
    uLongf raw_len = (uLongf)(1 + 3 * (size_t)*w) * (uLongf)*h, got = raw_len;
    uint8_t *raw = malloc(raw_len ? raw_len : 1);
    int zrc = uncompress(raw, &got, z, (uLong)zn); /* checks the zlib header and Adler-32 too */
    free(z);
    if (zrc != Z_OK || got != raw_len) return fprintf(stderr, "inflate: %d, %lu bytes\n", zrc, got), free(raw), NULL;
    uint8_t *rgb = malloc(3 * (size_t)*w * (size_t)*h);
    int dummy[5] = {0};
    if (unfilter(raw, *w, *h, rgb, used ? used : dummy)) free(rgb), rgb = NULL;
    free(raw);
    return rgb;
}

