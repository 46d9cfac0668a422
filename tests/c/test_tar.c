/* Tar reader: archives from the helper and from the system tar (GNU, ustar and pax formats,
 * long names), and corrupt archives that must fail with a clear message. */
#include <stdlib.h>
#include <string.h>

#include "nl_synth.h"
#include "data/nl_tar.h"
#include "nl_test.h"

static char tmpdir[64];

/* Reads all entries; returns the count, or -1 on error (message in st). */
static int count_entries(const uint8_t *buf, size_t len, nl_status *st) {
    nl_tar_reader r;
    nl_tar_entry e;
    nl_tar_init(&r, buf, len);
    int n = 0, got;
    while ((got = nl_tar_next(&r, &e, st)) == 1) n++;
    return got < 0 ? -1 : n;
}

static void test_synthetic(void) {
    uint8_t big[3000];
    for (int i = 0; i < 3000; i++) big[i] = (uint8_t)(i * 31);
    char long_path[200];
    memset(long_path, 'd', sizeof long_path);
    memcpy(long_path + 120, "/file_with_a_long_path.bin", 27); /* 146 chars: needs the prefix field */
    nl_synth_file files[4] = {{"a.txt", (const uint8_t *)"hello", 5},
                              {"dir/empty", (const uint8_t *)"", 0},
                              {"dir/big.bin", big, sizeof big},
                              {long_path, (const uint8_t *)"x", 1}};
    size_t len;
    uint8_t *tar = nl_synth_write_tar(files, 4, &len);
    CHECK(tar != NULL && len % 512 == 0);
    if (!tar) return;

    nl_tar_reader r;
    nl_tar_entry e;
    nl_status st = {0};
    nl_tar_init(&r, tar, len);
    for (int i = 0; i < 4; i++) {
        CHECK(nl_tar_next(&r, &e, &st) == 1);
        CHECK_MSG(strcmp(e.name, files[i].name) == 0, "entry %d name %s", i, e.name);
        CHECK(e.type == '0' && !e.name_truncated);
        CHECK(e.size == files[i].len && (e.size == 0 || memcmp(e.data, files[i].data, e.size) == 0));
    }
    CHECK(nl_tar_next(&r, &e, &st) == 0);
    CHECK(nl_tar_next(&r, &e, &st) == 0); /* stays at the end */
    CHECK(nl_tar_looks_valid(tar, len));

    /* A damaged header fails its checksum. */
    tar[512 + 512 + 3] ^= 0x40; /* second header ("dir/empty") */
    CHECK(count_entries(tar, len, &st) == -1);
    CHECK_MSG(strcmp(st.msg, "tar: bad header checksum at offset 1024") == 0, "message: %s", st.msg);
    tar[512 + 512 + 3] ^= 0x40;

    /* Cut inside big.bin's data. */
    size_t cut = 512 * 4 + 1000;
    CHECK(count_entries(tar, cut, &st) == -1);
    CHECK_MSG(strstr(st.msg, "tar: entry dir/big.bin truncated") != NULL, "message: %s", st.msg);
    /* Cut inside a header. */
    CHECK(count_entries(tar, 512 + 512 + 100, &st) == -1);
    CHECK_MSG(strstr(st.msg, "truncated header") != NULL, "message: %s", st.msg);
    /* Cut at a header boundary: an archive without end blocks is accepted. */
    CHECK(count_entries(tar, 1024, &st) == 1);

    /* Every cut and every flipped header byte fails cleanly or reads fewer entries. */
    int bad = 0;
    for (size_t c = 0; c <= len; c += 13) {
        uint8_t *copy = malloc(c ? c : 1);
        memcpy(copy, tar, c);
        int n = count_entries(copy, c, &st);
        if (n > 4 || (n < 0 && st.code != NL_EFORMAT)) bad++;
        free(copy);
    }
    for (size_t i = 0; i < 512; i++) {
        tar[i] ^= 0x5A;
        int n = count_entries(tar, len, &st);
        if (n > 4 || (n < 0 && st.code != NL_EFORMAT)) bad++;
        tar[i] ^= 0x5A;
    }
    CHECK(bad == 0);
    free(tar);

    /* Empty archives. */
    uint8_t zeros[1024] = {0};
    CHECK(count_entries(zeros, sizeof zeros, &st) == 0);
    CHECK(count_entries(zeros, 0, &st) == 0);
    CHECK(count_entries(NULL, 0, &st) == 0);
    CHECK(!nl_tar_looks_valid(zeros, sizeof zeros));
    CHECK(!nl_tar_looks_valid((const uint8_t *)"hello", 5));
}

/* A size field in GNU base-256 form and one with garbage. */
static void test_size_fields(void) {
    nl_synth_file f = {"n.bin", (const uint8_t *)"0123456789", 10};
    size_t len;
    uint8_t *tar = nl_synth_write_tar(&f, 1, &len);
    uint8_t *h = tar;
    memset(h + 124, 0, 12);
    h[124] = 0x80;
    h[135] = 10;
    /* re-checksum */
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    nl_tar_reader r;
    nl_tar_entry e;
    nl_status st = {0};
    nl_tar_init(&r, tar, len);
    CHECK(nl_tar_next(&r, &e, &st) == 1 && e.size == 10 && memcmp(e.data, "0123456789", 10) == 0);

    h[134] = 0x10; /* 4106 bytes: more than the archive holds */
    memset(h + 148, ' ', 8);
    sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    CHECK(count_entries(tar, 1024, &st) == -1);
    CHECK_MSG(strstr(st.msg, "tar: entry n.bin truncated") != NULL, "message: %s", st.msg);

    memcpy(h + 124, "0000000001x", 12); /* not octal */
    memset(h + 148, ' ', 8);
    sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    CHECK(count_entries(tar, len, &st) == -1);
    CHECK_MSG(strstr(st.msg, "bad size field") != NULL, "message: %s", st.msg);
    free(tar);
}

/* Reads an archive through nl_tar_stream in pieces of `piece` bytes and checks every entry
 * (name, type, size, data) against the whole-buffer reader. Returns the number of entries,
 * -1 if both failed with the same message, -2 if they differ in anything. */
static int same_in_pieces(const uint8_t *tar, size_t len, size_t piece) {
    nl_tar_reader r;
    nl_tar_entry e;
    nl_status st_whole = {0}, st = {0};
    nl_tar_init(&r, tar, len);
    nl_tar_stream s;
    nl_tar_stream_init(&s);
    size_t at = 0, in_len = 0;
    const uint8_t *in = tar;
    int n = 0, got, ended = 0;
    while ((got = nl_tar_next(&r, &e, &st_whole)) == 1) {
        /* the same entry from the stream, then its data piece by piece */
        int ev = NL_TAR_NEED_MORE;
        const uint8_t *d;
        size_t dl;
        while (ev != NL_TAR_ENTRY) {
            if (!in_len) {
                if (at >= len) return -2;
                in = tar + at;
                in_len = len - at < piece ? len - at : piece;
                at += in_len;
            }
            ev = nl_tar_stream_next(&s, &in, &in_len, &d, &dl, &st);
            if (ev < 0 || ev == NL_TAR_END || ev == NL_TAR_DATA) return -2;
        }
        if (strcmp(s.entry.name, e.name) || s.entry.type != e.type || s.entry.size != e.size) return -2;
        uint64_t seen = 0;
        while (seen < e.size) {
            if (!in_len) {
                if (at >= len) return -2;
                in = tar + at;
                in_len = len - at < piece ? len - at : piece;
                at += in_len;
            }
            ev = nl_tar_stream_next(&s, &in, &in_len, &d, &dl, &st);
            if (ev == NL_TAR_NEED_MORE) continue;
            if (ev != NL_TAR_DATA || seen + dl > e.size || memcmp(d, e.data + seen, dl)) return -2;
            seen += dl;
        }
        n++;
    }
    /* the rest: the end, or the same error */
    for (;;) {
        if (!in_len) {
            if (at >= len) break;
            in = tar + at;
            in_len = len - at < piece ? len - at : piece;
            at += in_len;
        }
        const uint8_t *d;
        size_t dl;
        int ev = nl_tar_stream_next(&s, &in, &in_len, &d, &dl, &st);
        if (ev == NL_TAR_END) {
            ended = 1;
            break;
        }
        if (ev < 0) break;
        /* (the whole reader does not report an entry whose data is cut; the stream does) */
        if (ev != NL_TAR_NEED_MORE && got >= 0) return -2;
    }
    int stream_rc = st.code ? -1 : ended ? 0 : nl_tar_stream_finish(&s, &st);
    if ((got < 0) != (stream_rc < 0)) return -2;
    if (got < 0 && strcmp(st.msg, st_whole.msg)) {
        fprintf(stderr, "  pieces of %zu: '%s' vs '%s'\n", piece, st.msg, st_whole.msg);
        return -2;
    }
    return got < 0 ? -1 : n;
}

/* The incremental reader gives the same entries and errors whatever the piece size. */
static void test_pieces(void) {
    uint8_t big[3000];
    for (int i = 0; i < 3000; i++) big[i] = (uint8_t)(i * 7);
    nl_synth_file files[3] = {{"a.txt", (const uint8_t *)"hello", 5}, {"dir/empty", (const uint8_t *)"", 0},
                              {"dir/big.bin", big, sizeof big}};
    size_t len;
    uint8_t *tar = nl_synth_write_tar(files, 3, &len);
    static const size_t pieces[] = {1, 7, 511, 512, 513, 4096, 1 << 20};
    int ok = 1;
    for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
        ok &= same_in_pieces(tar, len, pieces[k]) == 3;
        ok &= same_in_pieces(tar, 512 * 4 + 1000, pieces[k]) == -1; /* cut inside big.bin */
        for (size_t cut = 0; cut < len; cut += 97) ok &= same_in_pieces(tar, cut, pieces[k]) >= -1;
    }
    CHECK(ok);
    /* a cut file: the stream reports it when told the input has ended */
    nl_tar_stream s;
    nl_tar_stream_init(&s);
    const uint8_t *in = tar, *d;
    size_t in_len = 512 * 4 + 1000, dl;
    nl_status st = {0};
    while (nl_tar_stream_next(&s, &in, &in_len, &d, &dl, &st) > 0) {}
    CHECK(nl_tar_stream_finish(&s, &st) == -1);
    CHECK_MSG(strcmp(st.msg, "tar: entry dir/big.bin truncated (1000 of 3000 bytes present)") == 0, "message: %s", st.msg);
    free(tar);
}

/* Archives made by GNU tar in its three formats, with a 150-character file name (GNU 'L'
 * entry, ustar prefix, pax path record). */
static void test_system_tar(void) {
    char path[512];
    const char *sub = "cifar-10-batches-bin/a_rather_long_directory_name_to_push_past_one_hundred_characters";
    const char *leaf = "and_a_long_file_name_too_0123456789.bin"; /* total > 100 chars */
    snprintf(path, sizeof path, "%s/src/%s", tmpdir, sub);
    CHECK(nl_synth_run("mkdir -p '%s'", path) == 0);
    char file[768];
    snprintf(file, sizeof file, "%s/%s", path, leaf);
    CHECK(nl_synth_write_file(file, "long", 4) == 0);
    snprintf(file, sizeof file, "%s/src/short.txt", tmpdir);
    CHECK(nl_synth_write_file(file, "short\n", 6) == 0);
    char expect_long[512];
    snprintf(expect_long, sizeof expect_long, "%s/%s", sub, leaf);

    const char *formats[] = {"gnu", "ustar", "pax"};
    for (int f = 0; f < 3; f++) {
        char tarfile[128];
        snprintf(tarfile, sizeof tarfile, "%s/t_%s.tar", tmpdir, formats[f]);
        int rc = nl_synth_run("tar --format=%s -cf '%s' -C '%s/src' short.txt cifar-10-batches-bin", formats[f], tarfile,
                              tmpdir);
        CHECK_MSG(rc == 0, "tar --format=%s failed", formats[f]);
        size_t len;
        uint8_t *tar = nl_synth_read_file(tarfile, &len);
        CHECK(tar != NULL);
        if (!tar) continue;
        nl_tar_reader r;
        nl_tar_entry e;
        nl_status st = {0};
        nl_tar_init(&r, tar, len);
        int files = 0, dirs = 0, found_long = 0, found_short = 0, got;
        while ((got = nl_tar_next(&r, &e, &st)) == 1) {
            if (e.type == '5') dirs++;
            if (e.type != '0') continue;
            files++;
            if (strcmp(e.name, expect_long) == 0 && e.size == 4 && memcmp(e.data, "long", 4) == 0) found_long = 1;
            if (strcmp(e.name, "short.txt") == 0 && e.size == 6) found_short = 1;
        }
        CHECK_MSG(got == 0, "%s: %s", formats[f], st.msg);
        CHECK_MSG(files == 2 && dirs == 2 && found_long && found_short, "%s: files %d dirs %d long %d short %d",
                  formats[f], files, dirs, found_long, found_short);
        /* long names from GNU 'L' entries and pax records split across pieces */
        int same = 1;
        for (size_t piece = 1; piece <= 4096; piece = piece * 3 + 1) same &= same_in_pieces(tar, len, piece) == 4;
        CHECK_MSG(same, "%s: the stream read it differently", formats[f]);
        free(tar);
    }
}

int main(void) {
    if (nl_synth_tmpdir(tmpdir, sizeof tmpdir)) {
        fprintf(stderr, "cannot make a temp dir\n");
        return 1;
    }
    test_synthetic();
    test_size_fields();
    test_pieces();
    test_system_tar();
    nl_synth_rmtree(tmpdir);
    return nl_test_finish("test_tar");
}
