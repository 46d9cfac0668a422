/* Tar archive reader over a memory buffer.
 *
 * An archive is a sequence of 512-byte headers, each followed by the entry's data padded to
 * a multiple of 512 bytes, and ends with zero blocks. Sizes are octal text (or GNU base-256
 * for huge files). Long paths come from the ustar prefix field, a GNU 'L' entry before the
 * header, or a pax 'x' entry's "path" record. */
#include "data/nl_tar.h"

#include <string.h>

#define BLOCK 512

/* Header field offsets and sizes (POSIX ustar). */
#define F_NAME 0
#define F_NAME_LEN 100
#define F_SIZE 124
#define F_SIZE_LEN 12
#define F_CHKSUM 148
#define F_CHKSUM_LEN 8
#define F_TYPE 156
#define F_MAGIC 257
#define F_PREFIX 345
#define F_PREFIX_LEN 155

void nl_tar_init(nl_tar_reader *r, const uint8_t *buf, size_t len) {
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->done = 0;
}

/* Parses a numeric header field: octal digits, optionally surrounded by spaces and ended by
 * a space or NUL; or GNU base-256 (high bit of the first byte set). 0 on success. */
static int parse_number(const uint8_t *f, size_t n, uint64_t *value) {
    uint64_t v = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80) return -1; /* negative, or too large to matter here */
        for (size_t i = 1; i < n; i++) {
            if (v >> 56) return -1;
            v = v << 8 | f[i];
        }
        *value = v;
        return 0;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ') i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60) return -1;
        v = v << 3 | (uint64_t)(f[i] - '0');
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0') return -1;
    *value = v;
    return 0;
}

static int is_zero_block(const uint8_t *h) {
    for (int i = 0; i < BLOCK; i++)
        if (h[i]) return 0;
    return 1;
}

/* The checksum is the sum of the header bytes with the checksum field read as spaces;
 * some old tars summed signed chars, so either sum is accepted. */
static int checksum_ok(const uint8_t *h) {
    uint64_t stored;
    if (parse_number(h + F_CHKSUM, F_CHKSUM_LEN, &stored)) return 0;
    unsigned long usum = 0;
    long ssum = 0;
    for (int i = 0; i < BLOCK; i++) {
        int in_field = i >= F_CHKSUM && i < F_CHKSUM + F_CHKSUM_LEN;
        unsigned char c = in_field ? ' ' : h[i];
        usum += c;
        ssum += (signed char)c;
    }
    return stored == usum || (ssum >= 0 && stored == (uint64_t)ssum);
}

int nl_tar_looks_valid(const uint8_t *buf, size_t len) {
    return buf && len >= BLOCK && !is_zero_block(buf) && checksum_ok(buf);
}

/* Copies up to n bytes of text (stopping at NUL) into dst of size NL_TAR_NAME_MAX at offset
 * at; returns the new length, setting *truncated if it did not fit. */
static size_t append_text(char *dst, size_t at, const uint8_t *src, size_t n, int *truncated) {
    for (size_t i = 0; i < n && src[i]; i++) {
        if (at + 1 >= NL_TAR_NAME_MAX) {
            *truncated = 1;
            break;
        }
        dst[at++] = (char)src[i];
    }
    dst[at] = '\0';
    return at;
}

/* Finds the "path" record of a pax extended header ("<len> <key>=<value>\n" records).
 * Returns 1 if found (copied into name), 0 if absent, -1 if malformed. */
static int pax_path(const uint8_t *d, size_t size, char *name, int *truncated) {
    size_t p = 0;
    while (p < size) {
        size_t rec = 0, i = p;
        while (i < size && d[i] >= '0' && d[i] <= '9' && rec < size) rec = rec * 10 + (size_t)(d[i++] - '0');
        if (i == p || i >= size || d[i] != ' ' || rec > size - p || rec < i - p + 2 || d[p + rec - 1] != '\n')
            return -1;
        const uint8_t *kv = d + i + 1, *end = d + p + rec - 1;
        const uint8_t *eq = memchr(kv, '=', (size_t)(end - kv));
        if (!eq) return -1;
        if (eq - kv == 4 && memcmp(kv, "path", 4) == 0) {
            *truncated = 0;
            append_text(name, 0, eq + 1, (size_t)(end - eq - 1), truncated);
            return 1;
        }
        p += rec;
    }
    return 0;
}

int nl_tar_next(nl_tar_reader *r, nl_tar_entry *e, nl_status *st) {
    char long_name[NL_TAR_NAME_MAX];
    int have_long = 0, long_truncated = 0;
    for (;;) {
        if (r->done || r->pos == r->len) {
            r->done = 1;
            return 0;
        }
        size_t at = r->pos;
        if (r->len - at < BLOCK) {
            nl_fail(st, NL_EFORMAT, "tar: truncated header at offset %zu", at);
            return -1;
        }
        const uint8_t *h = r->buf + at;
        if (is_zero_block(h)) { /* end of archive (normally two zero blocks; one is enough) */
            r->done = 1;
            return 0;
        }
        if (!checksum_ok(h)) {
            nl_fail(st, NL_EFORMAT, "tar: bad header checksum at offset %zu", at);
            return -1;
        }

        /* Full name, for the entry and for error messages. */
        int truncated = 0;
        size_t n = 0;
        e->name[0] = '\0';
        if (have_long) {
            memcpy(e->name, long_name, sizeof long_name);
            truncated = long_truncated;
        } else {
            /* Only POSIX ustar ("ustar\0") has a prefix field; GNU puts other data there. */
            if (memcmp(h + F_MAGIC, "ustar\0", 6) == 0 && h[F_PREFIX]) {
                n = append_text(e->name, 0, h + F_PREFIX, F_PREFIX_LEN, &truncated);
                n = append_text(e->name, n, (const uint8_t *)"/", 1, &truncated);
            }
            append_text(e->name, n, h + F_NAME, F_NAME_LEN, &truncated);
        }

        uint64_t size;
        if (parse_number(h + F_SIZE, F_SIZE_LEN, &size)) {
            nl_fail(st, NL_EFORMAT, "tar: entry %s has a bad size field (header at offset %zu)", e->name, at);
            return -1;
        }
        size_t avail = r->len - at - BLOCK;
        if (size > avail) {
            nl_fail(st, NL_EFORMAT, "tar: entry %s truncated (%zu of %llu bytes present)", e->name, avail,
                    (unsigned long long)size);
            return -1;
        }
        size_t padded = ((size_t)size + BLOCK - 1) / BLOCK * BLOCK; /* size <= avail: no overflow */
        /* A missing final padding is tolerated: the data itself is complete. */
        r->pos = at + BLOCK + (padded < avail ? padded : avail);
        const uint8_t *data = h + BLOCK;

        char type = (char)h[F_TYPE];
        if (type == 'L') { /* GNU: the data is the next entry's name */
            long_truncated = 0;
            append_text(long_name, 0, data, (size_t)size, &long_truncated);
            have_long = 1;
            continue;
        }
        if (type == 'x') { /* pax: per-entry attributes; only the path matters here */
            int found = pax_path(data, (size_t)size, long_name, &long_truncated);
            if (found < 0) {
                nl_fail(st, NL_EFORMAT, "tar: bad pax header at offset %zu", at);
                return -1;
            }
            if (found) have_long = 1;
            continue;
        }
        if (type == 'K' || type == 'g') continue; /* GNU long link name, pax global header */

        if (type == '\0' || type == '7') type = '0';
        size_t len = strlen(e->name);
        if (type == '0' && len && e->name[len - 1] == '/') type = '5'; /* old-style directory */
        e->name_truncated = truncated;
        e->type = type;
        e->data = data;
        e->size = (size_t)size;
        return 1;
    }
}
