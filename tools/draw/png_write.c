#include "draw/nl_png.h"

#include <stdlib.h>
#include <string.h>

#include "base/nl_crc32.h"
#include "base/nl_file.h"

#define STORED_MAX 65535u /* largest payload of one stored deflate block */
#define PNG_MAX_SIDE (1 << 24)

static uint8_t *put_u32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

/* Continues an Adler-32 (zlib's checksum; start with 1). Sums are reduced every 5552 bytes,
 * the most that cannot overflow 32 bits. */
static uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n) {
    uint32_t a = adler & 0xFFFF, b = adler >> 16;
    while (n) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}

/* Writes a chunk whose data is already in place at p + 8 (after length and type);
 * returns the position after its CRC. */
static uint8_t *finish_chunk(uint8_t *p, const char type[4], uint32_t len) {
    put_u32be(p, len);
    memcpy(p + 4, type, 4);
    uint32_t crc = nl_crc32(0, p + 4, 4 + (size_t)len); /* CRC covers type and data */
    return put_u32be(p + 8 + len, crc);
}

int nl_png_encode_rgb(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_len,
                      nl_status *st) {
    if (!out || !out_len) return nl_fail(st, NL_EINVAL, "nl_png_encode_rgb: NULL output");
    *out = NULL;
    *out_len = 0;
    if (!rgb) return nl_fail(st, NL_EINVAL, "nl_png_encode_rgb: NULL pixels");
    if (w <= 0 || h <= 0 || w > PNG_MAX_SIDE || h > PNG_MAX_SIDE)
        return nl_fail(st, NL_EINVAL, "nl_png_encode_rgb: bad size %dx%d", w, h);

    /* The filtered image: each row is a filter-type byte (0 = none) and the row's bytes. */
    size_t row = 1 + 3 * (size_t)w;
    if ((size_t)h > SIZE_MAX / row) return nl_fail(st, NL_EINVAL, "PNG %dx%d is too large", w, h);
    size_t raw = row * (size_t)h;
    size_t blocks = (raw + STORED_MAX - 1) / STORED_MAX;
    size_t zlen = 2 + blocks * 5 + raw + 4; /* zlib header, block headers, data, Adler-32 */
    if (zlen > 0x7FFFFFFFu) /* a PNG chunk length is at most 2^31 - 1 */
        return nl_fail(st, NL_EINVAL, "PNG %dx%d is too large for one IDAT chunk", w, h);
    size_t total = 8 + (12 + 13) + (12 + zlen) + 12;
    uint8_t *png = malloc(total);
    if (!png) return nl_fail(st, NL_ENOMEM, "out of memory encoding a %dx%d PNG", w, h);

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

    /* IDAT: zlib header 0x78 0x01 (deflate, 32K window, no dictionary; 0x7801 % 31 == 0). */
    d = p + 8;
    *d++ = 0x78;
    *d++ = 0x01;
    /* Filtered rows are generated straight into the stored blocks, which may split a row. */
    uint32_t adler = 1;
    size_t done = 0;
    size_t x = 0, y = 0; /* next byte: row y, byte x of that row (x == 0 is the filter byte) */
    for (size_t k = 0; k < blocks; k++) {
        size_t n = raw - done < STORED_MAX ? raw - done : STORED_MAX;
        *d++ = (k + 1 == blocks) ? 1 : 0; /* BFINAL on the last block; BTYPE 00 = stored */
        d[0] = (uint8_t)n; /* LEN, little-endian, then NLEN = ~LEN */
        d[1] = (uint8_t)(n >> 8);
        d[2] = (uint8_t)~n;
        d[3] = (uint8_t)(~n >> 8);
        d += 4;
        uint8_t *block = d;
        for (size_t left = n; left;) {
            if (x == 0) {
                *d++ = 0; /* filter type: none */
                x = 1;
                left--;
                continue;
            }
            size_t have = row - x;
            size_t take = have < left ? have : left;
            memcpy(d, rgb + y * (row - 1) + (x - 1), take);
            d += take;
            left -= take;
            x += take;
            if (x == row) {
                x = 0;
                y++;
            }
        }
        adler = adler32_update(adler, block, n);
        done += n;
    }
    d = put_u32be(d, adler);
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
