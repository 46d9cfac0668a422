/* CIFAR-10 loading from buffers, folders, tar and tar.gz archives (synthetic data), and the
 * error messages for broken data sets. */
#include <stdlib.h>
#include <string.h>

#include "data/nl_cifar.h"
#include "nl_synth.h"
#include "nl_test.h"

#define NTRAIN 30 /* images per train batch */
#define NTEST 20
#define SEED 777

static char tmpdir[64];
static const char *const names[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                     "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};

static int is_zeroed(const nl_cifar *d) {
    static const nl_cifar zero;
    return memcmp(d, &zero, sizeof zero) == 0;
}

/* The batches nl_synth_write_dir / nl_synth_cifar_tar write for SEED. */
static uint8_t *expected_batch(int b) {
    int n = b < 5 ? NTRAIN : NTEST;
    uint8_t *buf = malloc(NL_SYNTH_BATCH_BYTES(n));
    nl_synth_batch(buf, n, nl_synth_batch_seed(SEED, b));
    return buf;
}

/* Checks d holds exactly the synthetic data set for SEED. */
static int matches_synth(const nl_cifar *d) {
    if (d->train.n != 5 * NTRAIN || d->test.n != NTEST) return 0;
    int ok = 1;
    for (int b = 0; b < 6; b++) {
        uint8_t *buf = expected_batch(b);
        const nl_cifar_set *set = b < 5 ? &d->train : &d->test;
        int first = b < 5 ? b * NTRAIN : 0, n = b < 5 ? NTRAIN : NTEST;
        for (int i = 0; i < n; i++) {
            const uint8_t *rec = buf + (size_t)i * 3073;
            ok &= set->labels[first + i] == rec[0];
            ok &= memcmp(set->pixels + (size_t)(first + i) * 3072, rec + 1, 3072) == 0;
        }
        free(buf);
    }
    for (int c = 0; c < 10; c++) ok &= strcmp(d->class_names[c], nl_cifar_default_class_names[c]) == 0;
    return ok;
}

static void test_append_batch(void) {
    uint8_t buf[NL_SYNTH_BATCH_BYTES(20)];
    nl_synth_batch(buf, 20, 5);
    nl_cifar_set set = {0};
    nl_status st = {0};
    CHECK(nl_cifar_append_batch(&set, buf, NL_SYNTH_BATCH_BYTES(3), "a.bin", &st) == NL_OK);
    CHECK(nl_cifar_append_batch(&set, buf + NL_SYNTH_BATCH_BYTES(3), NL_SYNTH_BATCH_BYTES(17), "b.bin", &st) == NL_OK);
    CHECK(set.n == 20);
    int ok = 1;
    for (int i = 0; i < 20; i++) {
        ok &= set.labels[i] == buf[i * 3073] && set.labels[i] < 10;
        ok &= memcmp(set.pixels + i * 3072, buf + i * 3073 + 1, 3072) == 0;
    }
    CHECK(ok);

    /* Errors leave the set unchanged. */
    uint8_t *labels = set.labels;
    CHECK(nl_cifar_append_batch(&set, buf, 30731, "data_batch_3.bin", &st) == NL_EFORMAT);
    CHECK_MSG(strcmp(st.msg, "data_batch_3.bin: size 30731 is not a multiple of 3073-byte records") == 0, "message: %s",
              st.msg);
    buf[17 * 3073] = 12;
    CHECK(nl_cifar_append_batch(&set, buf, NL_SYNTH_BATCH_BYTES(20), "test_batch.bin", &st) == NL_EFORMAT);
    CHECK_MSG(strcmp(st.msg, "test_batch.bin: record 17 has label 12 (must be 0..9)") == 0, "message: %s", st.msg);
    CHECK(nl_cifar_append_batch(&set, buf, 0, "empty.bin", &st) == NL_EFORMAT);
    CHECK(strstr(st.msg, "empty.bin") != NULL);
    CHECK(set.n == 20 && set.labels == labels);
    free(set.labels);
    free(set.pixels);
}

static void test_batch_buffers(void) {
    uint8_t *bufs[6];
    size_t lens[6];
    for (int b = 0; b < 6; b++) {
        bufs[b] = expected_batch(b);
        lens[b] = NL_SYNTH_BATCH_BYTES(b < 5 ? NTRAIN : NTEST);
    }
    nl_cifar d;
    nl_status st = {0};
    CHECK(nl_cifar_load_batch_buffers(&d, (const uint8_t *const *)bufs, lens, NULL, 0, &st) == NL_OK);
    CHECK(matches_synth(&d));
    nl_cifar_free(&d);
    CHECK(is_zeroed(&d));

    /* Meta text with CRLF line ends, padding and trailing blank lines. */
    const char *meta = "plane\r\n car \r\nbird\r\ncat\r\ndeer\r\ndog\r\nfrog\r\nhorse\r\nship\r\ntruck\r\n\r\n";
    CHECK(nl_cifar_load_batch_buffers(&d, (const uint8_t *const *)bufs, lens, meta, strlen(meta), &st) == NL_OK);
    CHECK(strcmp(d.class_names[0], "plane") == 0 && strcmp(d.class_names[1], "car") == 0);
    CHECK(strcmp(d.class_names[9], "truck") == 0);
    nl_cifar_free(&d);

    const char *short_meta = "a\nb\nc\n";
    CHECK(nl_cifar_load_batch_buffers(&d, (const uint8_t *const *)bufs, lens, short_meta, strlen(short_meta), &st) ==
          NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "batches.meta.txt") != NULL, "message: %s", st.msg);
    CHECK(is_zeroed(&d));

    const uint8_t *missing[6] = {bufs[0], bufs[1], bufs[2], NULL, bufs[4], bufs[5]};
    CHECK(nl_cifar_load_batch_buffers(&d, missing, lens, NULL, 0, &st) == NL_EFORMAT);
    CHECK_MSG(strcmp(st.msg, "missing data_batch_4.bin") == 0, "message: %s", st.msg);
    CHECK(is_zeroed(&d));

    bufs[5][3 * 3073] = 10; /* bad label in the test batch, after all train batches loaded */
    CHECK(nl_cifar_load_batch_buffers(&d, (const uint8_t *const *)bufs, lens, NULL, 0, &st) == NL_EFORMAT);
    CHECK_MSG(strcmp(st.msg, "test_batch.bin: record 3 has label 10 (must be 0..9)") == 0, "message: %s", st.msg);
    CHECK(is_zeroed(&d));
    for (int b = 0; b < 6; b++) free(bufs[b]);
}

/* The synthetic images must be learnable: nearest class-mean colour classifies them. */
static void test_synth_is_learnable(void) {
    int n = 500;
    uint8_t *buf = malloc(NL_SYNTH_BATCH_BYTES(n));
    nl_synth_batch(buf, n, 99);
    double mean[10][3] = {{0}};
    int count[10] = {0};
    for (int i = 0; i < n / 2; i++) {
        const uint8_t *rec = buf + (size_t)i * 3073;
        count[rec[0]]++;
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 1024; p++) mean[rec[0]][ch] += rec[1 + ch * 1024 + p] / 1024.0;
    }
    int all_classes = 1, correct = 0;
    for (int c = 0; c < 10; c++) {
        all_classes &= count[c] > 0;
        for (int ch = 0; ch < 3; ch++) mean[c][ch] /= count[c] ? count[c] : 1;
    }
    for (int i = n / 2; i < n; i++) {
        const uint8_t *rec = buf + (size_t)i * 3073;
        double m[3] = {0};
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 1024; p++) m[ch] += rec[1 + ch * 1024 + p] / 1024.0;
        int best = 0;
        double best_d = 1e300;
        for (int c = 0; c < 10; c++) {
            double dd = 0;
            for (int ch = 0; ch < 3; ch++) dd += (m[ch] - mean[c][ch]) * (m[ch] - mean[c][ch]);
            if (dd < best_d) best_d = dd, best = c;
        }
        correct += best == rec[0];
    }
    CHECK(all_classes);
    CHECK_MSG(correct > (n / 2) * 9 / 10, "nearest-mean accuracy %d / %d", correct, n / 2);
    free(buf);
}

static void test_folder(void) {
    char dir[128], sub[160], path[256];
    snprintf(dir, sizeof dir, "%s/folder", tmpdir);
    CHECK(nl_synth_run("mkdir -p '%s'", dir) == 0);
    CHECK(nl_synth_write_dir(dir, NTRAIN, NTEST, SEED) == 0);
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", dir);

    nl_cifar d;
    nl_status st = {0};
    CHECK_MSG(nl_cifar_load_path(&d, dir, &st) == NL_OK, "%s", st.msg);
    CHECK(matches_synth(&d));
    nl_cifar_free(&d);
    CHECK_MSG(nl_cifar_load_path(&d, sub, &st) == NL_OK, "%s", st.msg);
    CHECK(matches_synth(&d));
    nl_cifar_free(&d);

    /* A batch with a wrong size, then one missing. */
    snprintf(path, sizeof path, "%s/data_batch_3.bin", sub);
    uint8_t *short_batch = calloc(1, 30729);
    CHECK(nl_synth_write_file(path, short_batch, 30729) == 0);
    CHECK(nl_cifar_load_path(&d, dir, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "data_batch_3.bin: size 30729 is not a multiple of 3073-byte records") != NULL,
              "message: %s", st.msg);
    CHECK(is_zeroed(&d));
    free(short_batch);
    CHECK(nl_synth_run("rm '%s'", path) == 0);
    CHECK(nl_cifar_load_path(&d, dir, &st) == NL_EIO);
    CHECK_MSG(strstr(st.msg, "missing data_batch_3.bin") != NULL, "message: %s", st.msg);
    CHECK(is_zeroed(&d));

    /* A folder without batches, a missing path, and a file that is no archive. */
    snprintf(path, sizeof path, "%s/empty", tmpdir);
    CHECK(nl_synth_run("mkdir -p '%s'", path) == 0);
    CHECK(nl_cifar_load_path(&d, path, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "not a gzip/tar file or CIFAR-10 folder") != NULL, "message: %s", st.msg);
    snprintf(path, sizeof path, "%s/does_not_exist.tar.gz", tmpdir);
    CHECK(nl_cifar_load_path(&d, path, &st) == NL_EIO);
    CHECK(strstr(st.msg, "does_not_exist.tar.gz") != NULL);
    snprintf(path, sizeof path, "%s/notes.txt", tmpdir);
    CHECK(nl_synth_write_file(path, "just some text\n", 15) == 0);
    CHECK(nl_cifar_load_path(&d, path, &st) == NL_EFORMAT);
    char expect[300];
    snprintf(expect, sizeof expect, "%s: not a gzip/tar file or CIFAR-10 folder", path);
    CHECK_MSG(strcmp(st.msg, expect) == 0, "message: %s", st.msg);
    CHECK(is_zeroed(&d));
}

/* Loads a whole buffer through the stream in pieces of `piece` bytes. */
static int load_in_pieces(nl_cifar *d, const uint8_t *buf, size_t len, size_t piece, nl_status *st) {
    nl_cifar_stream *s = nl_cifar_stream_new("archive", st);
    if (!s) return NL_ENOMEM;
    int rc = NL_OK;
    for (size_t at = 0; at < len && !rc; at += piece)
        rc = nl_cifar_stream_feed(s, buf + at, len - at < piece ? len - at : piece, st);
    if (!rc) rc = nl_cifar_stream_finish(s, d, st);
    else memset(d, 0, sizeof *d);
    nl_cifar_stream_free(s);
    return rc;
}

/* Archives made with the system tar in the official layout, compressed (read by zlib) and
 * not; then damaged and cut .gz files, which must fail with a clear message. */
static void test_system_archives(void) {
    char dir[128], tgz[160], tar[160];
    snprintf(dir, sizeof dir, "%s/official", tmpdir);
    CHECK(nl_synth_run("mkdir -p '%s'", dir) == 0);
    CHECK(nl_synth_write_dir(dir, NTRAIN, NTEST, SEED) == 0);
    snprintf(tgz, sizeof tgz, "%s/cifar-10-binary.tar.gz", tmpdir);
    snprintf(tar, sizeof tar, "%s/cifar-10-binary.tar", tmpdir);
    /* The official archive's member order: 4, 5, 2, meta, 1, 3, test. */
    CHECK(nl_synth_run("cd '%s' && tar czf '%s' cifar-10-batches-bin/data_batch_4.bin cifar-10-batches-bin/data_batch_5.bin "
                       "cifar-10-batches-bin/data_batch_2.bin cifar-10-batches-bin/batches.meta.txt "
                       "cifar-10-batches-bin/data_batch_1.bin cifar-10-batches-bin/data_batch_3.bin "
                       "cifar-10-batches-bin/test_batch.bin", dir, tgz) == 0);
    CHECK(nl_synth_run("tar cf '%s' -C '%s' cifar-10-batches-bin", tar, dir) == 0);

    nl_cifar d;
    nl_status st = {0};
    CHECK_MSG(nl_cifar_load_path(&d, tgz, &st) == NL_OK, "%s", st.msg);
    CHECK(matches_synth(&d));
    nl_cifar_free(&d);
    CHECK_MSG(nl_cifar_load_path(&d, tar, &st) == NL_OK, "%s", st.msg);
    CHECK(matches_synth(&d));
    nl_cifar_free(&d);

    size_t len;
    uint8_t *bytes = nl_synth_read_file(tgz, &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    /* The core does not inflate: a .tar.gz in memory is refused with a clear message. */
    CHECK(nl_cifar_load_tar_buffer(&d, bytes, len, &st) == NL_EFORMAT);
    CHECK_MSG(strcmp(st.msg, "archive: gzip-compressed: decompress it before the tar reader") == 0, "message: %s", st.msg);
    CHECK(is_zeroed(&d));

    /* Damage in the compressed data is caught (by zlib's decoder or its CRC check). */
    char bad[200];
    snprintf(bad, sizeof bad, "%s/damaged.tar.gz", tmpdir);
    int clean = 1;
    for (int k = 1; k <= 5; k++) {
        size_t at = len * (size_t)k / 6;
        bytes[at] ^= 0x24;
        CHECK(nl_synth_write_file(bad, bytes, len) == 0);
        int rc = nl_cifar_load_path(&d, bad, &st);
        clean &= rc == NL_EFORMAT && is_zeroed(&d) && strncmp(st.msg, bad, strlen(bad)) == 0;
        if (rc != NL_EFORMAT) fprintf(stderr, "  damage at %zu: rc %d %s\n", at, rc, st.msg);
        bytes[at] ^= 0x24;
    }
    CHECK(clean);
    /* The last bytes are the CRC-32 and length of the data: a wrong CRC is an error. */
    bytes[len - 6] ^= 0x01;
    CHECK(nl_synth_write_file(bad, bytes, len) == 0);
    CHECK(nl_cifar_load_path(&d, bad, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "gzip: corrupt data") != NULL, "message: %s", st.msg);
    CHECK(is_zeroed(&d));
    bytes[len - 6] ^= 0x01;
    /* Cut files: in the middle, inside the header, and just before the trailer's end. */
    size_t cuts[4] = {len / 2, 10, 3, len - 1};
    for (int k = 0; k < 4; k++) {
        CHECK(nl_synth_write_file(bad, bytes, cuts[k]) == 0);
        CHECK(nl_cifar_load_path(&d, bad, &st) == NL_EFORMAT);
        CHECK_MSG(strstr(st.msg, "truncated") != NULL || strstr(st.msg, "not a gzip/tar file") != NULL,
                  "cut at %zu: %s", cuts[k], st.msg);
        CHECK(is_zeroed(&d));
    }
    /* A gzip header with nothing after it, and gzip magic followed by garbage. */
    uint8_t junk[64];
    memset(junk, 0xA5, sizeof junk);
    junk[0] = 0x1F, junk[1] = 0x8B, junk[2] = 8, junk[3] = 0;
    CHECK(nl_synth_write_file(bad, junk, sizeof junk) == 0);
    CHECK(nl_cifar_load_path(&d, bad, &st) == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "gzip") != NULL, "message: %s", st.msg);
    CHECK(is_zeroed(&d));
    free(bytes);
}

/* Archives built in memory: plain names, the official folder, and broken contents. */
static void test_memory_archives(void) {
    nl_cifar d;
    nl_status st = {0};
    const char *folders[3] = {NULL, "cifar-10-batches-bin", "./some/where/cifar-10-batches-bin"};
    char gzpath[128];
    snprintf(gzpath, sizeof gzpath, "%s/cifar-10-binary.tar.gz", tmpdir);
    for (int f = 0; f < 3; f++) {
        size_t tar_len, gz_len;
        uint8_t *tar = nl_synth_cifar_tar(NTRAIN, NTEST, SEED, folders[f], &tar_len);
        uint8_t *gz = tar ? nl_synth_gzip_stored(tar, tar_len, &gz_len) : NULL;
        CHECK(gz != NULL);
        if (!gz) continue;
        CHECK(nl_synth_write_file(gzpath, gz, gz_len) == 0);
        CHECK_MSG(nl_cifar_load_path(&d, gzpath, &st) == NL_OK, "%s", st.msg);
        CHECK(matches_synth(&d));
        nl_cifar_free(&d);
        CHECK_MSG(nl_cifar_load_tar_buffer(&d, tar, tar_len, &st) == NL_OK, "plain tar: %s", st.msg);
        CHECK(matches_synth(&d));
        nl_cifar_free(&d);
        /* Fed in pieces of every awkward size: records and headers split anywhere. */
        size_t pieces[5] = {1, 511, 3073, 4096 + 7, 65536};
        int ok = 1;
        for (int k = f ? 2 : 0; k < 5; k++) { /* 1-byte pieces once: they are slow */
            int rc = load_in_pieces(&d, tar, tar_len, pieces[k], &st);
            ok &= rc == NL_OK && matches_synth(&d);
            if (rc) fprintf(stderr, "  pieces of %zu: %s\n", pieces[k], st.msg);
            nl_cifar_free(&d);
        }
        CHECK(ok);
        free(tar);
        free(gz);
    }

    /* Build archives with one batch missing, short or mislabelled. */
    uint8_t *bufs[6];
    for (int b = 0; b < 6; b++) bufs[b] = expected_batch(b);
    nl_synth_file files[8];
    char paths[6][64];
    for (int b = 0; b < 6; b++) {
        snprintf(paths[b], sizeof paths[b], "cifar-10-batches-bin/%s", names[b]);
        files[b] = (nl_synth_file){paths[b], bufs[b], NL_SYNTH_BATCH_BYTES(b < 5 ? NTRAIN : NTEST)};
    }
    uint8_t label5 = 0;
    for (int kind = 0; kind < 3; kind++) {
        nl_synth_file use[6];
        memcpy(use, files, sizeof use);
        int n = 6;
        const char *expect;
        if (kind == 0) { /* drop data_batch_4 */
            memmove(use + 3, use + 4, 2 * sizeof use[0]);
            n = 5;
            expect = "cifar-10-binary.tar.gz: missing data_batch_4.bin";
        } else if (kind == 1) {
            use[1].len -= 7; /* data_batch_2 ends with a partial record */
            expect = "cifar-10-binary.tar.gz: data_batch_2.bin: size 92183 is not a multiple";
        } else {
            label5 = bufs[4][0];
            bufs[4][0] = 200;
            expect = "cifar-10-binary.tar.gz: data_batch_5.bin: record 0 has label 200 (must be 0..9)";
        }
        size_t tar_len, gz_len;
        uint8_t *tar = nl_synth_write_tar(use, n, &tar_len);
        uint8_t *gz = nl_synth_gzip_stored(tar, tar_len, &gz_len);
        CHECK(nl_synth_write_file(gzpath, gz, gz_len) == 0);
        CHECK(nl_cifar_load_path(&d, gzpath, &st) == NL_EFORMAT);
        CHECK_MSG(strstr(st.msg, expect) != NULL, "expected '%s' in '%s'", expect, st.msg);
        CHECK(is_zeroed(&d));
        free(tar);
        free(gz);
    }
    bufs[4][0] = label5;

    /* Duplicates: a copy in cifar-10-batches-bin/ beats one elsewhere whatever the order,
     * and among equals the later one wins (as tar extracts). */
    {
        uint8_t *other = expected_batch(1); /* data_batch_2's size, other contents */
        for (size_t i = 0; i < NL_SYNTH_BATCH_BYTES(NTRAIN); i += 3073) other[i] = 9, other[i + 1] ^= 0xFF;
        nl_synth_file use[8];
        memcpy(use, files, 6 * sizeof use[0]);
        use[6] = (nl_synth_file){"elsewhere/data_batch_3.bin", other, NL_SYNTH_BATCH_BYTES(NTRAIN)};
        use[7] = (nl_synth_file){"cifar-10-batches-bin/data_batch_1.bin", bufs[0], NL_SYNTH_BATCH_BYTES(NTRAIN)};
        /* first copy of data_batch_1 replaced by the identical later one */
        use[0] = (nl_synth_file){"cifar-10-batches-bin/data_batch_1.bin", other, NL_SYNTH_BATCH_BYTES(NTRAIN)};
        size_t tar_len;
        uint8_t *tar = nl_synth_write_tar(use, 8, &tar_len);
        CHECK_MSG(nl_cifar_load_tar_buffer(&d, tar, tar_len, &st) == NL_OK, "%s", st.msg);
        CHECK(matches_synth(&d));
        nl_cifar_free(&d);
        free(tar);
        free(other);
    }

    /* A batch file announcing more records than a set can hold is refused from its header,
     * before anything is allocated for it. */
    {
        nl_synth_file one = {"cifar-10-batches-bin/data_batch_1.bin", bufs[0], NL_SYNTH_BATCH_BYTES(NTRAIN)};
        size_t tar_len;
        uint8_t *tar = nl_synth_write_tar(&one, 1, &tar_len);
        uint8_t *h = tar;
        snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)NL_SYNTH_BATCH_BYTES(60001));
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++) sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        CHECK(nl_cifar_load_tar_buffer(&d, tar, tar_len, &st) == NL_EFORMAT);
        CHECK_MSG(strstr(st.msg, "too many images") != NULL, "message: %s", st.msg);
        CHECK(is_zeroed(&d));
        free(tar);
    }
    for (int b = 0; b < 6; b++) free(bufs[b]);

    /* Not an archive at all, or nothing. */
    CHECK(nl_cifar_load_tar_buffer(&d, (const uint8_t *)"hello", 5, &st) == NL_EFORMAT);
    CHECK_MSG(strcmp(st.msg, "archive: not a gzip or tar file") == 0, "message: %s", st.msg);
    CHECK(is_zeroed(&d));
    CHECK(nl_cifar_load_tar_buffer(&d, NULL, 0, &st) == NL_EFORMAT);
    CHECK(is_zeroed(&d));
}

int main(void) {
    if (nl_synth_tmpdir(tmpdir, sizeof tmpdir)) {
        fprintf(stderr, "cannot make a temp dir\n");
        return 1;
    }
    test_append_batch();
    test_batch_buffers();
    test_synth_is_learnable();
    test_folder();
    test_system_archives();
    test_memory_archives();
    nl_synth_rmtree(tmpdir);
    return nl_test_finish("test_cifar_loader");
}
