/* gzip / DEFLATE decoder: round trips against the system gzip, hand-made streams for each
 * error path, and corrupt input (truncation at every offset, flipped bytes, random bytes)
 * that must fail cleanly. */
#include <stdlib.h>
#include <string.h>

#include "base/nl_crc32.h"
#include "data/nl_gzip.h"
#include "nl_synth.h"
#include "nl_test.h"

#define LIMIT ((size_t)1 << 28)

static char tmpdir[64];

static uint64_t rng_state = 12345;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Mixed data: random bytes, repeated phrases with small edits (long and short matches,
 * overlapping runs) and long zero runs, in segments. */
static uint8_t *mixed_data(size_t len) {
    uint8_t *d = malloc(len);
    static const char *words[] = {"convolution ", "batch norm ", "layer norm ", "gradient ", "the ", "CIFAR-10 "};
    size_t p = 0;
    while (p < len) {
        size_t seg = 1000 + rnd() % 60000;
        if (seg > len - p) seg = len - p;
        int kind = (int)(rnd() % 4);
        for (size_t i = 0; i < seg; i++) {
            if (kind == 0) d[p + i] = (uint8_t)rnd();
            else if (kind == 1) {
                const char *w = words[(p + i) / 97 % 6];
                d[p + i] = (uint8_t)w[(p + i) % strlen(w)];
                if (rnd() % 200 == 0) d[p + i] ^= 0x20;
            } else if (kind == 2) d[p + i] = 0;
            else d[p + i] = (uint8_t)((i * i) >> 7); /* smooth-ish ramps */
        }
        p += seg;
    }
    return d;
}

/* Random words with random numbers: compresses to dynamic blocks full of both literals and
 * matches, the mix every decoding path sees. */
static uint8_t *words_data(size_t len) {
    static const char *words[] = {"weight ", "decay ", "momentum ", "epoch ", "accuracy ", "loss ", "kernel ",
                                  "stride ", "padding ", "channel ", "residual ", "softmax "};
    uint8_t *d = malloc(len);
    size_t p = 0;
    while (p < len) {
        char tok[32];
        int n = rnd() % 3 ? snprintf(tok, sizeof tok, "%s", words[rnd() % 12])
                          : snprintf(tok, sizeof tok, "%u, ", (unsigned)(rnd() % 100000));
        for (int i = 0; i < n && p < len; i++) d[p++] = (uint8_t)tok[i];
    }
    return d;
}

/* Compresses data with the system gzip; returns the .gz bytes or NULL. */
static uint8_t *system_gzip(const uint8_t *data, size_t len, const char *opts, size_t *gz_len) {
    char in[128], out[140];
    snprintf(in, sizeof in, "%s/in.bin", tmpdir);
    snprintf(out, sizeof out, "%s/in.bin.gz", tmpdir);
    if (nl_synth_write_file(in, data, len)) return NULL;
    if (nl_synth_run("gzip %s -c '%s' > '%s'", opts, in, out) != 0) return NULL;
    return nl_synth_read_file(out, gz_len);
}

/* Decompresses and compares; returns 1 if the output equals expect. */
static int roundtrip_ok(const uint8_t *gz, size_t gz_len, const uint8_t *expect, size_t len) {
    uint8_t *out = NULL;
    size_t out_len = 0;
    nl_status st = {0};
    int rc = nl_gunzip(gz, gz_len, &out, &out_len, LIMIT, &st);
    if (rc) fprintf(stderr, "  gunzip failed: %s\n", st.msg);
    int ok = rc == NL_OK && out != NULL && out_len == len && (len == 0 || memcmp(out, expect, len) == 0);
    free(out);
    return ok;
}

/* Block type of the first DEFLATE block of a gzip file without optional header fields. */
static int first_block_type(const uint8_t *gz) { return (gz[10] >> 1) & 3; }

static void test_system_roundtrips(void) {
    size_t len = 2u << 20;
    uint8_t *data = mixed_data(len);
    const char *levels[] = {"-1 -n", "-6", "-9 -n"};
    for (int i = 0; i < 3; i++) {
        size_t gz_len;
        uint8_t *gz = system_gzip(data, len, levels[i], &gz_len);
        CHECK_MSG(gz != NULL, "system gzip %s failed", levels[i]);
        if (!gz) continue;
        CHECK_MSG(roundtrip_ok(gz, gz_len, data, len), "round trip gzip %s", levels[i]);
        free(gz);
    }
    /* Random (incompressible) data: gzip emits stored blocks. */
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)rnd();
    size_t gz_len;
    uint8_t *gz = system_gzip(data, 300000, "-9 -n", &gz_len);
    CHECK(gz && roundtrip_ok(gz, gz_len, data, 300000));
    free(gz);
    free(data);

    /* A short text gets a fixed-Huffman block; a longer one a dynamic block. */
    const char *text = "hello hello hello, normlab! normlab! normlab!";
    gz = system_gzip((const uint8_t *)text, strlen(text), "-9 -n", &gz_len);
    CHECK(gz && first_block_type(gz) == 1);
    CHECK(gz && roundtrip_ok(gz, gz_len, (const uint8_t *)text, strlen(text)));
    free(gz);
    uint8_t *doc = words_data(20000);
    gz = system_gzip(doc, 20000, "-9 -n", &gz_len);
    CHECK(gz && first_block_type(gz) == 2);
    CHECK(gz && roundtrip_ok(gz, gz_len, doc, 20000));
    free(gz);
    free(doc);

    /* Empty input; and a file name in the header (gzip stores it by default). */
    gz = system_gzip((const uint8_t *)"", 0, "-9", &gz_len);
    CHECK(gz && roundtrip_ok(gz, gz_len, (const uint8_t *)"", 0));
    CHECK(gz && (gz[3] & 8)); /* FNAME set */
    free(gz);
}

static void test_stored(void) {
    size_t sizes[] = {0, 1, 65535, 65536, 200000};
    uint8_t *data = mixed_data(200000);
    for (int i = 0; i < 5; i++) {
        size_t gz_len;
        uint8_t *gz = nl_synth_gzip_stored(data, sizes[i], &gz_len);
        CHECK(gz && first_block_type(gz) == 0);
        CHECK_MSG(gz && roundtrip_ok(gz, gz_len, data, sizes[i]), "stored gzip of %zu bytes", sizes[i]);
        free(gz);
    }
    free(data);
}

/* Several members back to back decompress to the concatenation; zero padding after the
 * last member is ignored, other trailing bytes are an error. */
static void test_members(void) {
    const char *a = "first member\n", *b = "second member, a bit longer\n";
    size_t la, lb;
    uint8_t *ga = nl_synth_gzip_stored((const uint8_t *)a, strlen(a), &la);
    uint8_t *gb = system_gzip((const uint8_t *)b, strlen(b), "-9", &lb);
    CHECK(ga && gb);
    if (!ga || !gb) return;
    uint8_t *both = malloc(la + lb + 16);
    memcpy(both, ga, la);
    memcpy(both + la, gb, lb);
    char expect[128];
    snprintf(expect, sizeof expect, "%s%s", a, b);
    CHECK(roundtrip_ok(both, la + lb, (const uint8_t *)expect, strlen(expect)));
    memset(both + la + lb, 0, 16);
    CHECK(roundtrip_ok(both, la + lb + 16, (const uint8_t *)expect, strlen(expect)));
    both[la + lb + 7] = 'x';
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 99;
    nl_status st = {0};
    CHECK(nl_gunzip(both, la + lb + 16, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK(out == NULL && out_len == 0);
    CHECK_MSG(strstr(st.msg, "trailing garbage") != NULL, "message: %s", st.msg);
    free(both);
    free(ga);
    free(gb);
}

/* A member with FEXTRA, FNAME, FCOMMENT and FHCRC around a stored body. */
static void test_header_fields(void) {
    const char *text = "payload";
    size_t body_len;
    uint8_t *plain = nl_synth_gzip_stored((const uint8_t *)text, strlen(text), &body_len);
    uint8_t gz[256];
    size_t p = 0;
    uint8_t head[10] = {0x1F, 0x8B, 8, 4 | 8 | 16 | 2, 1, 2, 3, 4, 0, 3};
    memcpy(gz, head, 10);
    p = 10;
    gz[p++] = 5; /* XLEN = 5 */
    gz[p++] = 0;
    memcpy(gz + p, "AB\3\0z", 5);
    p += 5;
    memcpy(gz + p, "name.bin", 9);
    p += 9;
    memcpy(gz + p, "a comment", 10);
    p += 10;
    uint32_t hcrc = nl_crc32(0, gz, p);
    gz[p++] = (uint8_t)hcrc;
    gz[p++] = (uint8_t)(hcrc >> 8);
    memcpy(gz + p, plain + 10, body_len - 10); /* the stored body and trailer */
    size_t len = p + body_len - 10;
    CHECK(roundtrip_ok(gz, len, (const uint8_t *)text, strlen(text)));

    uint8_t *out;
    size_t out_len;
    nl_status st = {0};
    gz[p - 1] ^= 1; /* header CRC wrong */
    CHECK(nl_gunzip(gz, len, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "header CRC") != NULL, "message: %s", st.msg);
    gz[p - 1] ^= 1;
    gz[3] |= 0x20; /* reserved flag */
    CHECK(nl_gunzip(gz, len, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "reserved") != NULL, "message: %s", st.msg);
    gz[3] &= 0x1F;
    gz[2] = 7; /* not deflate */
    CHECK(nl_gunzip(gz, len, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "compression method") != NULL, "message: %s", st.msg);
    free(plain);
}

static void test_not_gzip(void) {
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 7;
    nl_status st = {0};
    const char *text = "hello, this is not gzip";
    CHECK(nl_gunzip((const uint8_t *)text, strlen(text), &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK(out == NULL && out_len == 0);
    CHECK_MSG(strcmp(st.msg, "gzip: not a gzip file (bad magic)") == 0, "message: %s", st.msg);
    const uint8_t png[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    CHECK(nl_gunzip(png, 8, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK(strstr(st.msg, "bad magic") != NULL);
    CHECK(nl_gunzip(png, 0, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK(strstr(st.msg, "truncated") != NULL);
    const uint8_t one[1] = {0x1F};
    CHECK(nl_gunzip(one, 1, &out, &out_len, LIMIT, &st) == NL_EFORMAT);
    CHECK(strstr(st.msg, "truncated") != NULL);
}

static void test_limit(void) {
    size_t len = 1u << 20, gz_len;
    uint8_t *data = mixed_data(len);
    uint8_t *gz = system_gzip(data, len, "-6 -n", &gz_len);
    CHECK(gz != NULL);
    if (gz) {
        uint8_t *out;
        size_t out_len;
        nl_status st = {0};
        CHECK(nl_gunzip(gz, gz_len, &out, &out_len, len - 1, &st) == NL_EFORMAT);
        CHECK(out == NULL);
        CHECK_MSG(strstr(st.msg, "exceeds the limit") != NULL, "message: %s", st.msg);
        CHECK(nl_gunzip(gz, gz_len, &out, &out_len, len, &st) == NL_OK && out_len == len);
        free(out);
    }
    free(gz);
    free(data);
}

/* Every proper prefix of a valid file must fail as truncated, without touching memory
 * outside the buffer (run under ASan/valgrind to prove the latter). */
static void test_truncation(void) {
    uint8_t *doc = words_data(6000);
    size_t gz_len;
    uint8_t *gz = system_gzip(doc, 6000, "-9", &gz_len);
    CHECK(gz != NULL);
    int bad = 0, wrong_msg = 0;
    for (size_t cut = 0; gz && cut < gz_len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size, so overreads are caught */
        memcpy(copy, gz, cut);
        uint8_t *out = (uint8_t *)1;
        size_t out_len = 1;
        nl_status st = {0};
        int rc = nl_gunzip(copy, cut, &out, &out_len, LIMIT, &st);
        if (rc != NL_EFORMAT || out != NULL || out_len != 0) bad++;
        if (!strstr(st.msg, "truncated")) {
            if (wrong_msg++ < 3) fprintf(stderr, "  cut at %zu: %s\n", cut, st.msg);
        }
        free(copy);
    }
    CHECK_MSG(bad == 0, "%d truncated inputs did not fail cleanly", bad);
    CHECK_MSG(wrong_msg == 0, "%d truncations not reported as truncated", wrong_msg);

    /* The same for raw DEFLATE data. */
    size_t hdr = 10 + strlen("in.bin") + 1;
    for (size_t cut = 0; gz && cut < gz_len - 8 - hdr; cut += 7) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, gz + hdr, cut);
        uint8_t *out;
        size_t out_len, used;
        nl_status st = {0};
        int rc = nl_inflate(copy, cut, &used, &out, &out_len, LIMIT, &st);
        if (rc != NL_EFORMAT || out != NULL) bad++;
        free(copy);
    }
    CHECK_MSG(bad == 0, "%d truncated raw streams did not fail cleanly", bad);
    free(gz);
    free(doc);
}

/* Flipping bits anywhere must either be rejected or leave the output unchanged (ignored
 * header fields, padding bits, a match distance pointing at identical bytes): the CRC
 * catches any damage to the data. */
static void test_flips(void) {
    uint8_t *doc = words_data(5000);
    size_t gz_len;
    uint8_t *gz = system_gzip(doc, 5000, "-6 -n", &gz_len);
    CHECK(gz != NULL);
    const uint8_t masks[3] = {0x01, 0x10, 0xFF};
    int silent_damage = 0, unclean = 0, accepted = 0, crc_caught = 0;
    for (size_t i = 0; gz && i < gz_len; i++) {
        for (int m = 0; m < 3; m++) {
            gz[i] ^= masks[m];
            uint8_t *out = NULL;
            size_t out_len = 0;
            nl_status st = {0};
            int rc = nl_gunzip(gz, gz_len, &out, &out_len, LIMIT, &st);
            if (rc == NL_OK) {
                accepted++;
                if (out_len != 5000 || memcmp(out, doc, 5000) != 0) silent_damage++;
            } else {
                if (rc != NL_EFORMAT || out != NULL || out_len != 0) unclean++;
                if (strstr(st.msg, "CRC mismatch")) crc_caught++;
            }
            free(out);
            gz[i] ^= masks[m];
        }
    }
    printf("flips: %d accepted with unchanged output, %d caught by the CRC, of %zu\n", accepted, crc_caught,
           gz ? 3 * gz_len : 0);
    CHECK_MSG(silent_damage == 0, "%d flips changed the output without an error", silent_damage);
    CHECK_MSG(unclean == 0, "%d flips failed uncleanly", unclean);
    /* Accepted flips: FTEXT, MTIME, XFL, OS, the unused bits after the last block, and the
     * odd distance that points at identical bytes. */
    CHECK(accepted < (int)gz_len / 20);
    CHECK(crc_caught > 0);
    free(gz);
    free(doc);
}

/* Random damage and random bytes: must never crash or hang (the point under sanitizers). */
static void test_fuzz(void) {
    uint8_t *doc = words_data(30000);
    size_t gz_len;
    uint8_t *gz = system_gzip(doc, 30000, "-9 -n", &gz_len);
    CHECK(gz != NULL);
    int unclean = 0;
    uint8_t *buf = malloc(gz_len + 1);
    for (int it = 0; gz && it < 1500; it++) {
        memcpy(buf, gz, gz_len);
        int nflips = 1 + (int)(rnd() % 8);
        for (int k = 0; k < nflips; k++) buf[10 + rnd() % (gz_len - 10)] ^= (uint8_t)(1 + rnd() % 255);
        size_t len = rnd() % 4 == 0 ? 10 + rnd() % (gz_len - 10) : gz_len;
        uint8_t *out = NULL;
        size_t out_len = 0;
        int rc = nl_gunzip(buf, len, &out, &out_len, LIMIT, NULL);
        if (rc == NL_OK ? (out_len != 30000 || memcmp(out, doc, 30000) != 0) : (rc != NL_EFORMAT || out != NULL)) unclean++;
        free(out);
    }
    /* Random bytes as a raw DEFLATE stream. */
    uint8_t noise[2048];
    for (int it = 0; it < 3000; it++) {
        size_t len = 1 + rnd() % sizeof noise;
        for (size_t i = 0; i < len; i++) noise[i] = (uint8_t)rnd();
        uint8_t *out = NULL;
        size_t out_len;
        int rc = nl_inflate(noise, len, NULL, &out, &out_len, 1 << 20, NULL);
        if (rc != NL_OK && rc != NL_EFORMAT) unclean++;
        if (rc != NL_OK && out != NULL) unclean++;
        free(out);
    }
    CHECK_MSG(unclean == 0, "%d fuzzed inputs failed uncleanly", unclean);
    free(buf);
    free(gz);
    free(doc);
}

/* ---- hand-made DEFLATE streams ---- */

typedef struct {
    uint8_t b[512];
    size_t bits;
} bitwriter;

static void put_bits(bitwriter *w, unsigned v, int n) { /* LSB first, as DEFLATE packs data */
    for (int i = 0; i < n; i++, w->bits++)
        if ((v >> i) & 1) w->b[w->bits / 8] |= (uint8_t)(1u << (w->bits % 8));
}

static void put_code(bitwriter *w, unsigned code, int n) { /* Huffman codes go MSB first */
    for (int i = n - 1; i >= 0; i--) put_bits(w, (code >> i) & 1, 1);
}

/* The fixed literal/length code. */
static void put_fixed_sym(bitwriter *w, unsigned sym) {
    if (sym < 144) put_code(w, 0x30 + sym, 8);
    else if (sym < 256) put_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280) put_code(w, sym - 256, 7);
    else put_code(w, 0xC0 + sym - 280, 8);
}

static size_t bytes_of(const bitwriter *w) { return (w->bits + 7) / 8; }

/* Inflates w's stream; returns rc and puts the message in st. */
static int inflate_w(const bitwriter *w, uint8_t **out, size_t *out_len, nl_status *st) {
    return nl_inflate(w->b, bytes_of(w), NULL, out, out_len, LIMIT, st);
}

static void expect_error(const bitwriter *w, const char *what) {
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 1;
    nl_status st = {0};
    int rc = inflate_w(w, &out, &out_len, &st);
    CHECK_MSG(rc == NL_EFORMAT && out == NULL && strstr(st.msg, what) != NULL, "expected '%s', got rc %d '%s'", what,
              rc, st.msg);
}

static void test_handmade(void) {
    /* Fixed block: "abc", then a match (length 10, distance 3) overlapping itself, a
     * distance-1 run of 258 and end of block. */
    bitwriter w = {{0}, 0};
    put_bits(&w, 1, 1); /* BFINAL */
    put_bits(&w, 1, 2); /* fixed */
    put_fixed_sym(&w, 'a');
    put_fixed_sym(&w, 'b');
    put_fixed_sym(&w, 'c');
    put_fixed_sym(&w, 264); /* length 10 */
    put_code(&w, 2, 5);     /* distance 3 */
    put_fixed_sym(&w, 285); /* length 258 */
    put_code(&w, 0, 5);     /* distance 1 */
    put_fixed_sym(&w, 256);
    size_t stream_len = bytes_of(&w);
    w.b[stream_len] = 0xAB; /* bytes after the stream are not consumed */
    w.bits = (stream_len + 1) * 8;
    uint8_t *out;
    size_t out_len, used;
    nl_status st = {0};
    CHECK(nl_inflate(w.b, bytes_of(&w), &used, &out, &out_len, LIMIT, &st) == NL_OK);
    CHECK(used == stream_len);
    CHECK(out_len == 3 + 10 + 258);
    if (out_len == 271) {
        CHECK(memcmp(out, "abcabcabcabca", 13) == 0);
        int run_ok = 1;
        for (int i = 13; i < 271; i++) run_ok &= out[i] == 'a';
        CHECK(run_ok);
    }
    free(out);

    /* Distance past the start of the output. */
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed_sym(&w, 'x');
    put_fixed_sym(&w, 257);
    put_code(&w, 1, 5); /* distance 2 > 1 byte of output */
    put_fixed_sym(&w, 256);
    expect_error(&w, "invalid distance too far back");

    /* Reserved block type. */
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);
    put_bits(&w, 3, 2);
    expect_error(&w, "invalid block type");

    /* Stored block whose NLEN is not the complement of LEN. */
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);
    put_bits(&w, 0, 2);
    w.bits = 8;
    put_bits(&w, 3, 16);
    put_bits(&w, 3, 16);
    put_bits(&w, 0x616263, 24);
    expect_error(&w, "complement");

    /* Fixed code symbols 286 and distance 30 exist in the code but are invalid. */
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed_sym(&w, 286);
    expect_error(&w, "invalid literal/length code");
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);
    put_bits(&w, 1, 2);
    put_fixed_sym(&w, 'x');
    put_fixed_sym(&w, 257);
    put_code(&w, 30, 5);
    expect_error(&w, "invalid distance code");

    /* Dynamic block headers. */
    memset(&w, 0, sizeof w);
    put_bits(&w, 1, 1);
    put_bits(&w, 2, 2);
    put_bits(&w, 30, 5); /* HLIT 287 */
    put_bits(&w, 0, 5);
    put_bits(&w, 0, 4);
    put_bits(&w, 0, 12);
    expect_error(&w, "too many length or distance symbols");

    memset(&w, 0, sizeof w); /* code-length code over-subscribed: three codes of length 1 */
    put_bits(&w, 1, 1);
    put_bits(&w, 2, 2);
    put_bits(&w, 0, 5);
    put_bits(&w, 0, 5);
    put_bits(&w, 0, 4); /* HCLEN 4: lengths of 16, 17, 18, 0 */
    put_bits(&w, 1, 3);
    put_bits(&w, 1, 3);
    put_bits(&w, 1, 3);
    put_bits(&w, 0, 3);
    put_bits(&w, 0, 16);
    expect_error(&w, "invalid code lengths set");

    memset(&w, 0, sizeof w); /* repeat (16) with no previous length */
    put_bits(&w, 1, 1);
    put_bits(&w, 2, 2);
    put_bits(&w, 0, 5);
    put_bits(&w, 0, 5);
    put_bits(&w, 0, 4);
    put_bits(&w, 1, 3); /* 16: length 1 -> code 0 */
    put_bits(&w, 1, 3); /* 17: length 1 -> code 1 */
    put_bits(&w, 0, 3);
    put_bits(&w, 0, 3);
    put_code(&w, 0, 1); /* 16 first */
    put_bits(&w, 0, 2 + 16);
    expect_error(&w, "invalid bit length repeat");

    memset(&w, 0, sizeof w); /* all 258 lengths zero: no end-of-block code */
    put_bits(&w, 1, 1);
    put_bits(&w, 2, 2);
    put_bits(&w, 0, 5); /* 257 literal/length codes */
    put_bits(&w, 0, 5); /* 1 distance code */
    put_bits(&w, 0, 4);
    put_bits(&w, 0, 3); /* 16: unused */
    put_bits(&w, 0, 3); /* 17: unused */
    put_bits(&w, 1, 3); /* 18: code 1 */
    put_bits(&w, 1, 3); /* 0: code 0 */
    put_code(&w, 1, 1);
    put_bits(&w, 127, 7); /* 138 zeros */
    put_code(&w, 1, 1);
    put_bits(&w, 109, 7); /* 120 zeros */
    put_bits(&w, 0, 16);
    expect_error(&w, "missing end-of-block code");
}

int main(void) {
    if (nl_synth_tmpdir(tmpdir, sizeof tmpdir)) {
        fprintf(stderr, "cannot make a temp dir\n");
        return 1;
    }
    test_system_roundtrips();
    test_stored();
    test_members();
    test_header_fields();
    test_not_gzip();
    test_limit();
    test_truncation();
    test_flips();
    test_fuzz();
    test_handmade();
    nl_synth_rmtree(tmpdir);
    return nl_test_finish("test_gzip");
}
