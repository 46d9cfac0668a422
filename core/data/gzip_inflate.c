/* DEFLATE decoder (RFC 1951) and gzip member parsing (RFC 1952).
 *
 * Design: the whole output is kept in one growing buffer, so the LZ77 window is simply the
 * output so far. Input is read through a 64-bit bit buffer refilled once per length/distance
 * pair (at most 15+5+15+13 = 48 bits) or pair of literals. Huffman codes are decoded with
 * a 2^10-entry lookup table indexed by the next 10 input bits; the rare longer codes fall
 * back to a canonical-code walk (as in zlib's puff.c). Every read checks the input end and
 * every write the output capacity, so corrupt data can only produce an error. */
#include "data/nl_gzip.h"

#include <stdlib.h>
#include <string.h>

#include "base/nl_crc32.h"

#define MAX_BITS 15
#define FAST_BITS 10
#define FAST_SIZE (1u << FAST_BITS)
#define MAX_LITLEN 288 /* 286 usable + 2 reserved symbols in the fixed code */
#define MAX_DIST 32    /* 30 usable + 2 reserved */

/* Decoding table of one canonical Huffman code. */
typedef struct {
    uint16_t fast[FAST_SIZE];      /* (length << 9) | symbol for codes <= FAST_BITS, else 0 */
    uint16_t count[MAX_BITS + 1];  /* number of codes of each length */
    uint16_t symbol[MAX_LITLEN];   /* symbols in canonical order (by length, then value) */
} huff;

enum { KIND_CODELEN, KIND_LITLEN, KIND_DIST };

/* Input bit reader. The hot loop keeps a local copy so that byte stores to the output
 * (which may alias anything) do not force it back to memory. */
typedef struct {
    const uint8_t *in;
    size_t len, pos; /* pos: next byte to load into buf */
    uint64_t buf;    /* the low cnt bits are unread input; any bits above them are copies
                      * of the bytes at pos onwards, or zero */
    unsigned cnt;
} bitreader;

/* Decoder state: input and output buffer. */
typedef struct {
    bitreader br;
    uint8_t *out;
    size_t out_len, out_cap, max_out;
    int truncated;       /* the error was running out of input */
    nl_status *st;
} inflater;

/* Results of the small decoding helpers. */
#define DEC_INVALID (-1)
#define DEC_TRUNCATED (-2)

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* Order in which a dynamic block header lists the code-length code's lengths. */
static const uint8_t codelen_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* ---- Huffman tables ---- */

/* Builds h from code lengths (0 = unused symbol). Returns 0, or -1 if the lengths do not form
 * a valid prefix code. Like zlib, an incomplete code is accepted only when it has a single
 * code of length 1 (or no codes at all) and is not the code-length code. */
static int huff_build(huff *h, const uint8_t *lengths, int n, int kind) {
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++) h->count[lengths[i]]++;
    h->count[0] = 0;

    int left = 1, max_len = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        left = (left << 1) - h->count[len];
        if (left < 0) return -1; /* over-subscribed */
        if (h->count[len]) max_len = len;
    }
    if (left > 0 && (kind == KIND_CODELEN || max_len > 1)) return -1; /* incomplete */

    uint16_t offs[MAX_BITS + 1], next_code[MAX_BITS + 1];
    offs[1] = 0;
    for (int len = 1; len < MAX_BITS; len++) offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    unsigned code = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        code = (code + h->count[len - 1]) << 1; /* count[0] is 0 */
        next_code[len] = (uint16_t)code;
    }

    memset(h->fast, 0, sizeof h->fast);
    for (int sym = 0; sym < n; sym++) {
        unsigned len = lengths[sym];
        if (!len) continue;
        h->symbol[offs[len]++] = (uint16_t)sym;
        unsigned c = next_code[len]++;
        if (len > FAST_BITS) continue;
        /* Codes are sent most significant bit first, but the bit buffer is read from its
         * least significant end: index the table by the bit-reversed code. */
        unsigned rev = 0;
        for (unsigned b = 0; b < len; b++) rev |= ((c >> b) & 1u) << (len - 1 - b);
        for (unsigned j = rev; j < FAST_SIZE; j += 1u << len) h->fast[j] = (uint16_t)(len << 9 | sym);
    }
    return 0;
}

/* Walks the canonical code one bit at a time, for codes longer than FAST_BITS and for bit
 * patterns that an incomplete code does not cover. Returns (length << 9) | symbol, or 0
 * if no code matches the next MAX_BITS bits. */
static unsigned huff_entry_slow(const huff *h, uint64_t bits) {
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        code |= (int)(bits & 1);
        bits >>= 1;
        int count = h->count[len];
        if (code - first < count) return len << 9 | h->symbol[index + code - first];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return 0;
}

/* Decodes one symbol; the caller made sure br holds MAX_BITS bits unless the input ends. */
static inline int huff_decode(const huff *h, bitreader *br) {
    unsigned e = h->fast[br->buf & (FAST_SIZE - 1)];
    if (!e) e = huff_entry_slow(h, br->buf);
    unsigned len = e >> 9;
    if (!e || len > br->cnt) {
        /* Bits past the end of input read as zeros: no code there means truncation. */
        return br->cnt < MAX_BITS && br->pos == br->len ? DEC_TRUNCATED : DEC_INVALID;
    }
    br->buf >>= len;
    br->cnt -= len;
    return (int)(e & 511);
}

/* ---- bit input ---- */

static inline uint64_t load64le(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* Tops the bit buffer up to at least 56 bits, or to what the input has left. */
static inline void refill(bitreader *br) {
    if (br->len - br->pos >= 8) {
        /* Branch-free: load 8 bytes, keep the whole bytes that fit. Bits loaded beyond the
         * new cnt are the next input bytes, and the next refill ORs in the same values. */
        br->buf |= load64le(br->in + br->pos) << br->cnt;
        br->pos += (63 - br->cnt) >> 3;
        br->cnt |= 56;
    } else {
        while (br->cnt <= 56 && br->pos < br->len) {
            br->buf |= (uint64_t)br->in[br->pos++] << br->cnt;
            br->cnt += 8;
        }
    }
}

/* Reads n <= 16 bits that refill() already made available; DEC_TRUNCATED if the input ended. */
static inline int getbits(bitreader *br, unsigned n) {
    if (n > br->cnt) return DEC_TRUNCATED;
    int v = (int)(br->buf & ((1u << n) - 1));
    br->buf >>= n;
    br->cnt -= n;
    return v;
}

/* Discards the bits up to the next byte boundary and hands back the whole bytes still in
 * the bit buffer, so that pos is the next unread byte. */
static void align_to_byte(bitreader *br) {
    br->pos -= br->cnt >> 3;
    br->buf = 0;
    br->cnt = 0;
}

/* ---- errors and output ---- */

/* Input position for messages: the byte holding the next unread bit. */
static size_t err_pos(const inflater *z) { return z->br.pos - z->br.cnt / 8; }

static int fail_format(inflater *z, const char *what) {
    return nl_fail(z->st, NL_EFORMAT, "inflate: %s (at compressed byte %zu)", what, err_pos(z));
}

static int fail_truncated(inflater *z) {
    z->truncated = 1;
    return nl_fail(z->st, NL_EFORMAT, "inflate: truncated input (compressed data ends early)");
}

/* Makes room for at least need bytes of output (geometric growth, capped at max_out). */
static int grow(inflater *z, size_t need) {
    if (need <= z->out_cap) return NL_OK;
    if (need > z->max_out)
        return nl_fail(z->st, NL_EFORMAT, "inflate: output exceeds the limit of %zu bytes",
                       z->max_out);
    size_t cap = z->out_cap ? z->out_cap : 4096;
    while (cap < need) cap = cap > z->max_out / 2 ? z->max_out : cap * 2;
    if (cap > z->max_out) cap = z->max_out;
    uint8_t *p = realloc(z->out, cap);
    if (!p) return nl_fail(z->st, NL_ENOMEM, "inflate: out of memory (output of %zu bytes)", cap);
    z->out = p;
    z->out_cap = cap;
    return NL_OK;
}

/* ---- blocks ---- */

static int inflate_stored(inflater *z) {
    bitreader *br = &z->br;
    align_to_byte(br);
    if (br->len - br->pos < 4) return fail_truncated(z);
    const uint8_t *p = br->in + br->pos;
    unsigned len = p[0] | (unsigned)p[1] << 8, nlen = p[2] | (unsigned)p[3] << 8;
    if (len != (~nlen & 0xFFFFu)) return fail_format(z, "stored block length does not match its complement");
    br->pos += 4;
    if (br->len - br->pos < len) return fail_truncated(z);
    int rc = grow(z, z->out_len + len);
    if (rc) return rc;
    if (len) memcpy(z->out + z->out_len, br->in + br->pos, len); /* out may be NULL if len is 0 */
    z->out_len += len;
    br->pos += len;
    return NL_OK;
}

/* Copies a match of len bytes from dist bytes back to out + olen; the caller checked
 * dist <= olen and len <= cap - olen. */
static inline void copy_match(uint8_t *out, size_t olen, size_t cap, unsigned len, unsigned dist) {
    uint8_t *dst = out + olen;
    const uint8_t *src = dst - dist;
    if (dist >= 8 && cap - olen >= (size_t)len + 8) {
        /* 8-byte chunks may write up to 7 bytes past the match (inside the capacity; later
         * output overwrites them). dist >= 8 means each chunk reads only finished bytes. */
        for (unsigned i = 0; i < len; i += 8) memcpy(dst + i, src + i, 8);
    } else if (dist == 1) {
        memset(dst, src[0], len);
    } else {
        for (unsigned i = 0; i < len; i++) dst[i] = src[i]; /* overlapping: byte order matters */
    }
}

/* Decodes the symbols of one Huffman-coded block up to its end-of-block code. */
static int inflate_codes(inflater *z, const huff *litlen, const huff *dist) {
    bitreader br = z->br;
    uint8_t *out = z->out;
    size_t olen = z->out_len, cap = z->out_cap;
    const char *why = NULL; /* set for a format error */
    int rc = NL_OK, sym;

/* Appends one literal byte, growing the output if needed. */
#define PUT_LITERAL(c)                                         \
    do {                                                       \
        if (olen == cap) {                                     \
            if ((rc = grow(z, olen + 1)) != NL_OK) goto done;  \
            out = z->out;                                      \
            cap = z->out_cap;                                  \
        }                                                      \
        out[olen++] = (uint8_t)(c);                            \
    } while (0)

    for (;;) {
        refill(&br);
        sym = huff_decode(litlen, &br);
        if (sym < 256) {
            if (sym < 0) goto bad_litlen;
            PUT_LITERAL(sym);
            /* Literal runs dominate poorly compressible data: decode a second symbol from
             * the same refill when enough bits are left for any code. */
            if (br.cnt < MAX_BITS) continue;
            sym = huff_decode(litlen, &br);
            if (sym < 256) {
                if (sym < 0) goto bad_litlen;
                PUT_LITERAL(sym);
                continue;
            }
            refill(&br);
        }
        if (sym == 256) break;
        sym -= 257;
        if (sym >= 29) {
            why = "invalid literal/length code";
            goto done;
        }
        /* After a refill, the length extra bits, distance code and distance extra bits
         * (at most 5 + 15 + 13 bits) are all in the buffer unless the input ends. */
        int extra = getbits(&br, len_extra[sym]);
        if (extra < 0) goto truncated;
        unsigned len = len_base[sym] + (unsigned)extra;

        int dsym = huff_decode(dist, &br);
        if (dsym < 0 || dsym >= 30) {
            if (dsym == DEC_TRUNCATED) goto truncated;
            why = "invalid distance code";
            goto done;
        }
        extra = getbits(&br, dist_extra[dsym]);
        if (extra < 0) goto truncated;
        unsigned d = dist_base[dsym] + (unsigned)extra;
        if (d > olen) {
            why = "invalid distance too far back";
            goto done;
        }
        if (cap - olen < len) {
            if ((rc = grow(z, olen + len)) != NL_OK) goto done;
            out = z->out;
            cap = z->out_cap;
        }
        copy_match(out, olen, cap, len, d);
        olen += len;
    }
#undef PUT_LITERAL

done:
    z->br = br;
    z->out_len = olen;
    if (why) return fail_format(z, why);
    return rc;
bad_litlen:
    if (sym != DEC_TRUNCATED) {
        why = "invalid literal/length code";
        goto done;
    }
truncated:
    z->br = br;
    z->out_len = olen;
    return fail_truncated(z);
}

static int inflate_fixed(inflater *z) {
    static const uint8_t dist_lens[MAX_DIST] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
                                                5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    uint8_t lens[MAX_LITLEN];
    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
    huff litlen, dist;
    huff_build(&litlen, lens, MAX_LITLEN, KIND_LITLEN); /* the fixed codes are valid */
    huff_build(&dist, dist_lens, MAX_DIST, KIND_DIST);
    return inflate_codes(z, &litlen, &dist);
}

static int inflate_dynamic(inflater *z) {
    bitreader *br = &z->br;
    refill(br);
    int hlit = getbits(br, 5), hdist = getbits(br, 5), hclen = getbits(br, 4);
    if (hlit < 0 || hdist < 0 || hclen < 0) return fail_truncated(z);
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if (hlit > 286 || hdist > 30) return fail_format(z, "too many length or distance symbols");

    uint8_t lens[MAX_LITLEN + MAX_DIST];
    memset(lens, 0, 19);
    for (int i = 0; i < hclen; i++) {
        refill(br);
        int v = getbits(br, 3);
        if (v < 0) return fail_truncated(z);
        lens[codelen_order[i]] = (uint8_t)v;
    }
    huff codelen;
    if (huff_build(&codelen, lens, 19, KIND_CODELEN)) return fail_format(z, "invalid code lengths set");

    int total = hlit + hdist;
    for (int n = 0; n < total;) {
        refill(br);
        int sym = huff_decode(&codelen, br);
        if (sym < 0) return sym == DEC_TRUNCATED ? fail_truncated(z) : fail_format(z, "invalid code lengths set");
        if (sym < 16) {
            lens[n++] = (uint8_t)sym;
            continue;
        }
        int value = 0, rep;
        if (sym == 16) {
            if (n == 0) return fail_format(z, "invalid bit length repeat");
            value = lens[n - 1];
            rep = getbits(br, 2);
            rep = rep < 0 ? rep : 3 + rep;
        } else if (sym == 17) {
            rep = getbits(br, 3);
            rep = rep < 0 ? rep : 3 + rep;
        } else {
            rep = getbits(br, 7);
            rep = rep < 0 ? rep : 11 + rep;
        }
        if (rep < 0) return fail_truncated(z);
        if (n + rep > total) return fail_format(z, "invalid bit length repeat");
        memset(lens + n, value, (size_t)rep);
        n += rep;
    }
    if (lens[256] == 0) return fail_format(z, "missing end-of-block code");

    huff litlen, dist;
    if (huff_build(&litlen, lens, hlit, KIND_LITLEN)) return fail_format(z, "invalid literal/lengths set");
    if (huff_build(&dist, lens + hlit, hdist, KIND_DIST)) return fail_format(z, "invalid distances set");
    return inflate_codes(z, &litlen, &dist);
}

/* Decodes one DEFLATE stream starting at z->br.pos; leaves br.pos just past it. */
static int inflate_stream(inflater *z) {
    bitreader *br = &z->br;
    br->buf = 0;
    br->cnt = 0;
    for (;;) {
        refill(br);
        int final = getbits(br, 1), type = getbits(br, 2);
        if (final < 0 || type < 0) return fail_truncated(z);
        int rc;
        if (type == 0) rc = inflate_stored(z);
        else if (type == 1) rc = inflate_fixed(z);
        else if (type == 2) rc = inflate_dynamic(z);
        else rc = fail_format(z, "invalid block type 3");
        if (rc) return rc;
        if (final) break;
    }
    align_to_byte(br);
    return NL_OK;
}

/* ---- public API ---- */

int nl_is_gzip(const uint8_t *buf, size_t len) { return len >= 2 && buf[0] == 0x1F && buf[1] == 0x8B; }

static void inflater_init(inflater *z, const uint8_t *in, size_t in_len, size_t max_out, nl_status *st) {
    memset(z, 0, sizeof *z);
    z->br.in = in;
    z->br.len = in_len;
    z->max_out = max_out;
    z->st = st;
}

/* Hands the output to the caller, trimmed to size (at least 1 byte so it is never NULL). */
static int finish_output(inflater *z, uint8_t **out, size_t *out_len) {
    size_t size = z->out_len ? z->out_len : 1;
    uint8_t *p = realloc(z->out, size);
    if (p) z->out = p; /* if shrinking failed, the larger block is still fine */
    *out = z->out;
    *out_len = z->out_len;
    z->out = NULL;
    return NL_OK;
}

int nl_inflate(const uint8_t *in, size_t in_len, size_t *in_used, uint8_t **out, size_t *out_len,
               size_t max_out, nl_status *st) {
    *out = NULL;
    *out_len = 0;
    if (in_used) *in_used = 0;
    if (!in && in_len) return nl_fail(st, NL_EINVAL, "inflate: NULL input");
    inflater z;
    inflater_init(&z, in, in_len, max_out, st);
    size_t guess = in_len < SIZE_MAX / 4 - 64 ? in_len * 4 + 64 : SIZE_MAX;
    int rc = grow(&z, guess < max_out ? guess : max_out);
    if (!rc) rc = inflate_stream(&z);
    if (rc) {
        free(z.out);
        return rc;
    }
    if (in_used) *in_used = z.br.pos;
    return finish_output(&z, out, out_len);
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define FHCRC 2
#define FEXTRA 4
#define FNAME 8
#define FCOMMENT 16

/* Parses the member header at in[*pos]; moves *pos to the start of the DEFLATE data. */
static int parse_member_header(const uint8_t *in, size_t in_len, size_t *pos, nl_status *st) {
    size_t p = *pos, start = p;
    if (in_len - p < 10) {
        if (in_len - p >= 2 && !nl_is_gzip(in + p, 2)) return nl_fail(st, NL_EFORMAT, "gzip: not a gzip file (bad magic)");
        if (in_len - p == 1 && in[p] != 0x1F) return nl_fail(st, NL_EFORMAT, "gzip: not a gzip file (bad magic)");
        return nl_fail(st, NL_EFORMAT, "gzip: truncated input (header ends early)");
    }
    if (!nl_is_gzip(in + p, 2)) return nl_fail(st, NL_EFORMAT, "gzip: not a gzip file (bad magic)");
    if (in[p + 2] != 8)
        return nl_fail(st, NL_EFORMAT, "gzip: unsupported compression method %u (only 8, deflate)", in[p + 2]);
    unsigned flags = in[p + 3];
    if (flags & 0xE0) return nl_fail(st, NL_EFORMAT, "gzip: reserved header flags set (0x%02x)", flags);
    p += 10; /* magic, method, flags, mtime, extra flags, OS */
    if (flags & FEXTRA) {
        if (in_len - p < 2) return nl_fail(st, NL_EFORMAT, "gzip: truncated input (header ends early)");
        size_t xlen = in[p] | (size_t)in[p + 1] << 8;
        p += 2;
        if (in_len - p < xlen) return nl_fail(st, NL_EFORMAT, "gzip: truncated input (header ends early)");
        p += xlen;
    }
    for (unsigned f = FNAME; f <= FCOMMENT; f <<= 1) { /* zero-terminated name, then comment */
        if (!(flags & f)) continue;
        const uint8_t *nul = memchr(in + p, 0, in_len - p);
        if (!nul) return nl_fail(st, NL_EFORMAT, "gzip: truncated input (header ends early)");
        p = (size_t)(nul - in) + 1;
    }
    if (flags & FHCRC) {
        if (in_len - p < 2) return nl_fail(st, NL_EFORMAT, "gzip: truncated input (header ends early)");
        uint32_t crc = nl_crc32(0, in + start, p - start) & 0xFFFFu;
        if (crc != (in[p] | (uint32_t)in[p + 1] << 8)) return nl_fail(st, NL_EFORMAT, "gzip: header CRC mismatch");
        p += 2;
    }
    *pos = p;
    return NL_OK;
}

/* Initial output size: the last member's ISIZE is a good guess for single-member files (the
 * usual case), bounded by DEFLATE's maximum ratio so a bogus trailer cannot force a huge
 * allocation. */
static size_t initial_capacity(const uint8_t *in, size_t in_len, size_t max_out) {
    size_t guess = in_len * 4;
    if (in_len >= 18) {
        size_t isize = le32(in + in_len - 4);
        size_t ratio_bound = in_len > SIZE_MAX / 1032 ? SIZE_MAX : in_len * 1032;
        if (isize > 0 && isize <= ratio_bound) guess = isize;
    }
    if (guess < 1) guess = 1;
    return guess < max_out ? guess : max_out;
}

int nl_gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, nl_status *st) {
    *out = NULL;
    *out_len = 0;
    if (!in && in_len) return nl_fail(st, NL_EINVAL, "gzip: NULL input");
    if (in_len == 0) return nl_fail(st, NL_EFORMAT, "gzip: truncated input (empty)");
    if (!nl_is_gzip(in, in_len) && !(in_len == 1 && in[0] == 0x1F))
        return nl_fail(st, NL_EFORMAT, "gzip: not a gzip file (bad magic)");

    inflater z;
    inflater_init(&z, in, in_len, max_out, st);
    int rc = grow(&z, initial_capacity(in, in_len, max_out));
    size_t pos = 0;
    while (!rc) {
        rc = parse_member_header(in, in_len, &pos, st);
        if (rc) break;
        size_t member_start = z.out_len;
        z.br.pos = pos;
        rc = inflate_stream(&z);
        if (rc) {
            if (z.truncated) nl_fail(st, NL_EFORMAT, "gzip: truncated input (compressed data ends early)");
            break;
        }
        pos = z.br.pos;
        if (in_len - pos < 8) {
            rc = nl_fail(st, NL_EFORMAT, "gzip: truncated input (trailer missing)");
            break;
        }
        uint32_t crc = nl_crc32(0, z.out + member_start, z.out_len - member_start);
        if (crc != le32(in + pos)) {
            rc = nl_fail(st, NL_EFORMAT, "gzip: CRC mismatch (data is corrupt)");
            break;
        }
        if ((uint32_t)(z.out_len - member_start) != le32(in + pos + 4)) {
            rc = nl_fail(st, NL_EFORMAT, "gzip: length mismatch (ISIZE trailer)");
            break;
        }
        pos += 8;
        if (pos == in_len) break;
        if (in[pos] == 0x1F) continue; /* another member follows */
        size_t k = pos;
        while (k < in_len && in[k] == 0) k++;
        if (k != in_len) rc = nl_fail(st, NL_EFORMAT, "gzip: trailing garbage after compressed data (at byte %zu)", pos);
        break;
    }
    if (rc) {
        free(z.out);
        return rc;
    }
    return finish_output(&z, out, out_len);
}
