/* Tar archive reader, incremental.
 *
 * An archive is a sequence of 512-byte headers, each followed by the entry's data padded to
 * a multiple of 512 bytes, and ends with zero blocks. Sizes are octal text (or GNU base-256
 * for huge files). Long paths come from the ustar prefix field, a GNU 'L' entry before the
 * header, or a pax 'x' entry's "path" record. The reader is a state machine over the input
 * bytes, so the archive can arrive in pieces of any size; only a header is ever copied. */
#include "data/nl_tar.h"

#include <string.h>

#define BLOCK NL_TAR_BLOCK

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

/* What the next input bytes are. */
enum { ST_HEADER, ST_DATA, ST_LONG, ST_PAX, ST_SKIP, ST_PAD, ST_END, ST_FAILED };
/* Where a pax record parse is: its decimal length, its key, its value. */
enum { PAX_LEN, PAX_KEY, PAX_VALUE };

void nl_tar_stream_init(nl_tar_stream *s) {
    memset(s, 0, sizeof *s);
    s->state = ST_HEADER;
}

/* Parses a numeric header field: octal digits, optionally surrounded by spaces and ended by
 * a space or NUL; or GNU base-256 (high bit of the first byte set). 0 on success. */
static int parse_number(const uint8_t *f, size_t n, uint64_t *value) {
    uint64_t v = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80) return -1; /* negative, or too large to matter here */
        for (size_t i = 1; i < n; i++) {
            if (v >> 55) return -1; /* keeps every size below 2^63 */
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

static int fail(nl_tar_stream *s, nl_status *st, const char *what, uint64_t at) {
    nl_fail(st, NL_EFORMAT, "tar: %s at offset %llu", what, (unsigned long long)at);
    s->state = ST_FAILED;
    return -1;
}

/* Appends long-name bytes (GNU 'L' data or a pax path value); a NUL ends the name. */
static void long_name_bytes(nl_tar_stream *s, const uint8_t *p, size_t n) {
    if (s->long_len == (size_t)-1) return; /* NUL seen */
    for (size_t i = 0; i < n; i++) {
        if (!p[i]) {
            s->long_len = (size_t)-1;
            return;
        }
        if (s->long_len + 1 >= NL_TAR_NAME_MAX) {
            s->long_truncated = 1;
            return;
        }
        s->long_name[s->long_len++] = (char)p[i];
        s->long_name[s->long_len] = '\0';
    }
}

static void long_name_start(nl_tar_stream *s) {
    s->long_len = 0;
    s->long_truncated = 0;
    s->long_name[0] = '\0';
}

/* One byte of a pax extended header: records "<len> <key>=<value>\n", len counting the
 * whole record. Only "path" is kept. at is the byte's offset in the archive. */
static int pax_byte(nl_tar_stream *s, uint8_t c, uint64_t left_after, uint64_t at, nl_status *st) {
    uint64_t pos = s->pax_rec_pos++;
    switch (s->pax_phase) {
    case PAX_LEN:
        if (c >= '0' && c <= '9') {
            if (s->pax_rec_len > s->entry_size || s->pax_rec_len >> 59) /* no overflow below */
                return fail(s, st, "bad pax header (record length)", at);
            s->pax_rec_len = s->pax_rec_len * 10 + (uint64_t)(c - '0');
            return 0;
        }
        /* the record must fit in the entry and hold at least "<len> =\n" */
        if (c != ' ' || pos == 0 || s->pax_rec_len < pos + 3 || s->pax_rec_len - pos - 1 > left_after)
            return fail(s, st, "bad pax header", at);
        s->pax_phase = PAX_KEY;
        s->pax_key_len = 0;
        s->pax_key_long = 0;
        return 0;
    case PAX_KEY:
        if (pos + 1 == s->pax_rec_len) return fail(s, st, "bad pax header (no '=' in a record)", at);
        if (c == '=') {
            s->pax_is_path = !s->pax_key_long && s->pax_key_len == 4 && memcmp(s->pax_key, "path", 4) == 0;
            if (s->pax_is_path) long_name_start(s);
            s->pax_phase = PAX_VALUE;
        } else if (s->pax_key_len < sizeof s->pax_key) {
            s->pax_key[s->pax_key_len++] = (char)c;
        } else {
            s->pax_key_long = 1;
        }
        return 0;
    default: /* PAX_VALUE */
        if (pos + 1 == s->pax_rec_len) {
            if (c != '\n') return fail(s, st, "bad pax header (record does not end with a newline)", at);
            if (s->pax_is_path) {
                if (s->long_len == (size_t)-1) s->long_len = strlen(s->long_name);
                s->have_long = 1;
            }
            s->pax_phase = PAX_LEN;
            s->pax_rec_len = s->pax_rec_pos = 0;
            return 0;
        }
        if (s->pax_is_path) long_name_bytes(s, &c, 1);
        return 0;
    }
}

/* A complete header is in s->header: sets up the entry and the next state. Returns
 * NL_TAR_ENTRY for an entry to report, NL_TAR_NEED_MORE to go on, NL_TAR_END or -1. */
static int on_header(nl_tar_stream *s, nl_status *st) {
    const uint8_t *h = s->header;
    uint64_t at = s->offset - BLOCK;
    if (is_zero_block(h)) { /* end of archive (normally two zero blocks; one is enough) */
        s->state = ST_END;
        return NL_TAR_END;
    }
    if (!checksum_ok(h)) return fail(s, st, "bad header checksum", at);

    /* Full name, for the entry and for error messages. */
    nl_tar_entry *e = &s->entry;
    int truncated = 0;
    e->name[0] = '\0';
    if (s->have_long) {
        size_t n = s->long_len == (size_t)-1 ? strlen(s->long_name) : s->long_len;
        memcpy(e->name, s->long_name, n + 1);
        truncated = s->long_truncated;
    } else {
        size_t n = 0;
        /* Only POSIX ustar ("ustar\0") has a prefix field; GNU puts other data there. */
        if (memcmp(h + F_MAGIC, "ustar\0", 6) == 0 && h[F_PREFIX]) {
            n = append_text(e->name, 0, h + F_PREFIX, F_PREFIX_LEN, &truncated);
            n = append_text(e->name, n, (const uint8_t *)"/", 1, &truncated);
        }
        append_text(e->name, n, h + F_NAME, F_NAME_LEN, &truncated);
    }

    uint64_t size;
    if (parse_number(h + F_SIZE, F_SIZE_LEN, &size)) {
        nl_fail(st, NL_EFORMAT, "tar: entry %s has a bad size field (header at offset %llu)", e->name,
                (unsigned long long)at);
        s->state = ST_FAILED;
        return -1;
    }
    s->entry_size = s->left = size;
    s->pad = (BLOCK - size % BLOCK) % BLOCK;

    char type = (char)h[F_TYPE];
    if (type == 'L') { /* GNU: the data is the next entry's name */
        long_name_start(s);
        s->have_long = 0;
        s->state = ST_LONG;
        return NL_TAR_NEED_MORE;
    }
    if (type == 'x') { /* pax: per-entry attributes; only the path matters here */
        s->pax_phase = PAX_LEN;
        s->pax_rec_len = s->pax_rec_pos = 0;
        s->state = ST_PAX;
        return NL_TAR_NEED_MORE;
    }
    if (type == 'K' || type == 'g') { /* GNU long link name, pax global header */
        s->state = ST_SKIP;
        return NL_TAR_NEED_MORE;
    }
    if (type == '\0' || type == '7') type = '0';
    size_t len = strlen(e->name);
    if (type == '0' && len && e->name[len - 1] == '/') type = '5'; /* old-style directory */
    e->name_truncated = truncated;
    e->type = type;
    e->data = NULL;
    e->size = size;
    s->have_long = 0;
    s->state = ST_DATA;
    return NL_TAR_ENTRY;
}

static void advance(nl_tar_stream *s, const uint8_t **in, size_t *in_len, size_t n) {
    *in += n;
    *in_len -= n;
    s->offset += n;
}

int nl_tar_stream_next(nl_tar_stream *s, const uint8_t **in, size_t *in_len, const uint8_t **data,
                       size_t *data_len, nl_status *st) {
    *data = NULL;
    *data_len = 0;
    for (;;) {
        switch (s->state) {
        case ST_FAILED:
            nl_fail(st, NL_EFORMAT, "tar: the archive is corrupt (reading past an error)");
            return -1;
        case ST_END:
            if (*in_len) advance(s, in, in_len, *in_len);
            return NL_TAR_END;
        case ST_HEADER: {
            if (!*in_len) return NL_TAR_NEED_MORE;
            size_t n = BLOCK - s->have < *in_len ? BLOCK - s->have : *in_len;
            memcpy(s->header + s->have, *in, n);
            s->have += n;
            advance(s, in, in_len, n);
            if (s->have < BLOCK) return NL_TAR_NEED_MORE;
            s->have = 0;
            int rc = on_header(s, st);
            if (rc != NL_TAR_NEED_MORE) return rc;
            break;
        }
        case ST_PAD:
            if (!s->pad) {
                s->state = ST_HEADER;
                break;
            }
            if (!*in_len) return NL_TAR_NEED_MORE;
            {
                size_t n = s->pad < *in_len ? (size_t)s->pad : *in_len;
                s->pad -= n;
                advance(s, in, in_len, n);
            }
            break;
        default: { /* the data of an entry: the caller's, a long name, pax records or skipped */
            if (!s->left) {
                if (s->state == ST_PAX && (s->pax_phase != PAX_LEN || s->pax_rec_pos))
                    return fail(s, st, "bad pax header (cut record)", s->offset);
                if (s->state == ST_LONG) {
                    if (s->long_len == (size_t)-1) s->long_len = strlen(s->long_name);
                    s->have_long = 1;
                }
                s->state = ST_PAD;
                break;
            }
            if (!*in_len) return NL_TAR_NEED_MORE;
            size_t n = s->left < *in_len ? (size_t)s->left : *in_len;
            const uint8_t *p = *in;
            if (s->state == ST_PAX) {
                for (size_t i = 0; i < n; i++)
                    if (pax_byte(s, p[i], s->left - i - 1, s->offset + i, st)) return -1;
            } else if (s->state == ST_LONG) {
                long_name_bytes(s, p, n);
            }
            s->left -= n;
            advance(s, in, in_len, n);
            if (s->state == ST_DATA) {
                *data = p;
                *data_len = n;
                return NL_TAR_DATA;
            }
            break;
        }
        }
    }
}

int nl_tar_stream_finish(nl_tar_stream *s, nl_status *st) {
    switch (s->state) {
    case ST_END:
    case ST_PAD: /* a missing final padding is tolerated: the data itself is complete */
        return 0;
    case ST_HEADER:
        if (!s->have) return 0;
        nl_fail(st, NL_EFORMAT, "tar: truncated header at offset %llu", (unsigned long long)(s->offset - s->have));
        return -1;
    case ST_FAILED:
        nl_fail(st, NL_EFORMAT, "tar: the archive is corrupt");
        return -1;
    default:
        if (!s->left && s->state != ST_PAX) return 0;
        nl_fail(st, NL_EFORMAT, "tar: entry %s truncated (%llu of %llu bytes present)", s->entry.name,
                (unsigned long long)(s->entry_size - s->left), (unsigned long long)s->entry_size);
        return -1;
    }
}

/* ---- whole buffer ---- */

void nl_tar_init(nl_tar_reader *r, const uint8_t *buf, size_t len) {
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->done = 0;
    nl_tar_stream_init(&r->s);
}

int nl_tar_next(nl_tar_reader *r, nl_tar_entry *e, nl_status *st) {
    if (r->done) return 0;
    const uint8_t *in = r->buf ? r->buf + r->pos : NULL, *data;
    size_t in_len = r->len - r->pos, data_len;
    int rc;
    for (;;) {
        rc = nl_tar_stream_next(&r->s, &in, &in_len, &data, &data_len, st);
        if (rc != NL_TAR_DATA) break; /* (never here: entries take their data below) */
    }
    if (rc == NL_TAR_ENTRY) {
        *e = r->s.entry;
        e->data = in;
        /* The data is contiguous in the buffer: take it all, or fail as truncated. */
        while (r->s.state == ST_DATA && r->s.left) {
            rc = nl_tar_stream_next(&r->s, &in, &in_len, &data, &data_len, st);
            if (rc == NL_TAR_NEED_MORE) break;
        }
        r->pos = r->len - in_len;
        if (r->s.state == ST_DATA && r->s.left) {
            r->done = 1;
            nl_tar_stream_finish(&r->s, st);
            return -1;
        }
        return 1;
    }
    r->pos = r->len - in_len;
    r->done = 1;
    if (rc == NL_TAR_END) return 0;
    if (rc == NL_TAR_NEED_MORE) return nl_tar_stream_finish(&r->s, st) ? -1 : 0;
    return -1;
}
