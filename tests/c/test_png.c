/* Decodes the encoder's PNGs with an independent reader (chunk walk, CRCs, stored-block
 * inflate, Adler-32, row filters) and compares pixels; then, if python3 is installed, has
 * its zlib decode the file too. Also covers nl_file_read_all. */
#include <stdlib.h>
#include <string.h>

#include "base/nl_file.h"
#include "draw/nl_png.h"
#include "nl_test.h"

static const char *out_dir(void) {
    const char *d = getenv("NL_BUILD_DIR");
    return d && d[0] ? d : "/tmp";
}

/* Bitwise CRC-32, deliberately not the library's table version. */
static uint32_t ref_crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t ref_adler32(const uint8_t *p, size_t n) {
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decodes a PNG made of stored deflate blocks into RGB (malloc'd). Returns NULL and prints
 * why on any deviation from the format. */
static uint8_t *decode_stored_png(const uint8_t *png, size_t len, int *w, int *h, int *blocks) {
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

    /* zlib: CMF/FLG check, then stored blocks until BFINAL, then Adler-32 of the output. */
    if (zn < 6 || (z[0] & 0x0F) != 8 || ((z[0] << 8) | z[1]) % 31 != 0 || (z[1] & 0x20))
        return fprintf(stderr, "bad zlib header\n"), free(z), NULL;
    size_t row = 1 + 3 * (size_t)*w, raw_len = row * (size_t)*h, got = 0, zp = 2;
    uint8_t *raw = malloc(raw_len);
    int final = 0;
    *blocks = 0;
    while (!final) {
        if (zp + 5 > zn) return fprintf(stderr, "truncated block\n"), free(z), free(raw), NULL;
        final = z[zp] & 1;
        if ((z[zp] >> 1) != 0) return fprintf(stderr, "not a stored block\n"), free(z), free(raw), NULL;
        unsigned n = z[zp + 1] | z[zp + 2] << 8, nn = z[zp + 3] | z[zp + 4] << 8;
        zp += 5;
        if ((n ^ 0xFFFFu) != nn || zp + n > zn || got + n > raw_len)
            return fprintf(stderr, "bad LEN/NLEN\n"), free(z), free(raw), NULL;
        memcpy(raw + got, z + zp, n);
        got += n;
        zp += n;
        (*blocks)++;
    }
    if (got != raw_len || zp + 4 != zn || be32(z + zp) != ref_adler32(raw, raw_len))
        return fprintf(stderr, "bad length or Adler-32\n"), free(z), free(raw), NULL;
    free(z);

    uint8_t *rgb = malloc(raw_len);
    for (int y = 0; y < *h; y++) {
        if (raw[y * row] != 0) return fprintf(stderr, "filter byte not 0\n"), free(raw), free(rgb), NULL;
        memcpy(rgb + (size_t)y * (row - 1), raw + (size_t)y * row + 1, row - 1);
    }
    free(raw);
    return rgb;
}

static uint8_t *pattern(int w, int h, uint32_t seed) {
    uint8_t *p = malloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
    return p;
}

static void roundtrip(int w, int h, int want_blocks) {
    uint8_t *img = pattern(w, h, (uint32_t)(w * 131 + h));
    uint8_t *png = NULL;
    size_t len = 0;
    nl_status st;
    CHECK(nl_png_encode_rgb(img, w, h, &png, &len, &st) == NL_OK);
    int dw = 0, dh = 0, blocks = 0;
    uint8_t *back = png ? decode_stored_png(png, len, &dw, &dh, &blocks) : NULL;
    CHECK_MSG(back != NULL, "%dx%d did not decode", w, h);
    CHECK(dw == w && dh == h);
    CHECK_MSG(blocks == want_blocks, "%dx%d: %d blocks, want %d", w, h, blocks, want_blocks);
    CHECK(back && memcmp(back, img, (size_t)w * h * 3) == 0);
    free(back);
    free(png);
    free(img);
}

/* Writes a PNG and has python3's zlib decode it; skipped when python3 is absent. */
static void check_with_python(void) {
    if (system("python3 -c 'import zlib' >/dev/null 2>&1") != 0) {
        printf("test_png: python3 not available, external check skipped\n");
        return;
    }
    int w = 97, h = 700; /* > 64 KiB of image data: several stored blocks */
    uint8_t *img = pattern(w, h, 7);
    char png_path[512], raw_path[512], cmd[2048];
    snprintf(png_path, sizeof png_path, "%s/test_png_ext.png", out_dir());
    snprintf(raw_path, sizeof raw_path, "%s/test_png_ext.raw", out_dir());
    nl_status st;
    CHECK(nl_png_write_file(png_path, img, w, h, &st) == NL_OK);
    snprintf(cmd, sizeof cmd,
             "python3 -c \"\n"
             "import sys, zlib, struct\n"
             "d = open(sys.argv[1], 'rb').read(); p = 8; idat = b''\n"
             "assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n'\n"
             "while p < len(d):\n"
             "    n, t = struct.unpack('>I4s', d[p:p+8])\n"
             "    assert zlib.crc32(d[p+4:p+8+n]) == struct.unpack('>I', d[p+8+n:p+12+n])[0]\n"
             "    if t == b'IHDR': w, h = struct.unpack('>II', d[p+8:p+16])\n"
             "    if t == b'IDAT': idat += d[p+8:p+8+n]\n"
             "    p += 12 + n\n"
             "raw = zlib.decompress(idat); r = 3 * w + 1\n"
             "assert len(raw) == r * h\n"
             "open(sys.argv[2], 'wb').write(b''.join(raw[y*r+1:(y+1)*r] for y in range(h)))\n"
             "\" '%s' '%s'",
             png_path, raw_path);
    CHECK_MSG(system(cmd) == 0, "python3 rejected %s", png_path);
    uint8_t *back = NULL;
    size_t n = 0;
    CHECK(nl_file_read_all(raw_path, &back, &n, 0, &st) == NL_OK);
    CHECK(n == (size_t)w * h * 3 && back && memcmp(back, img, n) == 0);
    free(back);
    free(img);
    remove(png_path);
    remove(raw_path);
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
    roundtrip(1, 1, 1);
    roundtrip(3, 2, 1);
    roundtrip(28, 771, 1);  /* 771 rows of 85 bytes: exactly one full 65535-byte block */
    roundtrip(28, 772, 2);  /* one row more spills into a second block */
    roundtrip(200, 120, 2); /* a block boundary in the middle of a row */
    roundtrip(640, 480, 15);
    check_with_python();
    check_bad_inputs();
    check_read_all();
    return nl_test_finish("test_png");
}
