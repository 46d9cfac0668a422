/* CIFAR-10 loading: batch files from buffers, a (gzip-compressed) tar archive, or a folder.
 * Every loader either fills the whole nl_cifar or leaves it zeroed with nothing allocated,
 * and every error message names the file and the problem. */
#include "base/nl_file.h"
#include "data/nl_cifar.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/nl_gzip.h"
#include "data/nl_tar.h"

const char *const nl_cifar_default_class_names[NL_CIFAR_CLASSES] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

/* The six batch files in load order: five train batches, then the test batch. */
#define N_FILES (NL_CIFAR_TRAIN_BATCHES + 1)
static const char *const batch_names[N_FILES] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                                 "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
static const char meta_name[] = "batches.meta.txt";
static const char folder_name[] = "cifar-10-batches-bin";

/* Turns st's message into "<label>: <message>" so errors from inner layers name the file. */
static int with_label(nl_status *st, int rc, const char *label) {
    if (st && label && rc != NL_OK) {
        char msg[sizeof st->msg];
        memcpy(msg, st->msg, sizeof msg);
        msg[sizeof msg - 1] = '\0';
        nl_fail(st, rc, "%s: %s", label, msg);
    }
    return rc;
}

void nl_cifar_free(nl_cifar *data) {
    if (!data) return;
    free(data->train.labels);
    free(data->train.pixels);
    free(data->test.labels);
    free(data->test.pixels);
    memset(data, 0, sizeof *data);
}

static void reset(nl_cifar *out) {
    memset(out, 0, sizeof *out);
    for (int c = 0; c < NL_CIFAR_CLASSES; c++)
        snprintf(out->class_names[c], sizeof out->class_names[c], "%s", nl_cifar_default_class_names[c]);
}

int nl_cifar_append_batch(nl_cifar_set *dst, const uint8_t *buf, size_t len, const char *name, nl_status *st) {
    if (!name) name = "batch";
    if (!dst || (!buf && len)) return nl_fail(st, NL_EINVAL, "%s: NULL argument", name);
    if (len == 0) return nl_fail(st, NL_EFORMAT, "%s: empty (no records)", name);
    if (len % NL_CIFAR_RECORD_BYTES)
        return nl_fail(st, NL_EFORMAT, "%s: size %zu is not a multiple of %d-byte records", name, len,
                       NL_CIFAR_RECORD_BYTES);
    size_t count = len / NL_CIFAR_RECORD_BYTES;
    if (dst->n < 0 || count > (size_t)(INT_MAX - dst->n))
        return nl_fail(st, NL_EFORMAT, "%s: too many images (%zu)", name, count);
    /* Validate everything before touching dst, so an error leaves it unchanged. */
    for (size_t i = 0; i < count; i++) {
        unsigned label = buf[i * NL_CIFAR_RECORD_BYTES];
        if (label >= NL_CIFAR_CLASSES)
            return nl_fail(st, NL_EFORMAT, "%s: record %zu has label %u (must be 0..9)", name, i, label);
    }

    size_t n = (size_t)dst->n, total = n + count;
    uint8_t *labels = realloc(dst->labels, total);
    if (!labels) return nl_fail(st, NL_ENOMEM, "%s: out of memory for %zu labels", name, total);
    dst->labels = labels; /* same contents, possibly moved: dst is still consistent */
    uint8_t *pixels = realloc(dst->pixels, total * NL_CIFAR_IMAGE_BYTES);
    if (!pixels) return nl_fail(st, NL_ENOMEM, "%s: out of memory for %zu images", name, total);
    dst->pixels = pixels;

    for (size_t i = 0; i < count; i++) {
        const uint8_t *rec = buf + i * NL_CIFAR_RECORD_BYTES;
        labels[n + i] = rec[0];
        memcpy(pixels + (n + i) * NL_CIFAR_IMAGE_BYTES, rec + 1, NL_CIFAR_IMAGE_BYTES);
    }
    dst->n = (int)total;
    return NL_OK;
}

/* batches.meta.txt: the class names one per line in label order; blank lines (the official
 * file ends with some) and surrounding white space (e.g. "\r") are ignored. */
static int parse_meta(nl_cifar *out, const char *meta, size_t len, nl_status *st) {
    int found = 0;
    size_t p = 0;
    if (len >= 3 && memcmp(meta, "\xEF\xBB\xBF", 3) == 0) p = 3; /* UTF-8 byte order mark */
    while (p < len && found < NL_CIFAR_CLASSES) {
        size_t end = p;
        while (end < len && meta[end] != '\n') end++;
        size_t a = p, b = end;
        while (a < b && (meta[a] == ' ' || meta[a] == '\t' || meta[a] == '\r')) a++;
        while (b > a && (meta[b - 1] == ' ' || meta[b - 1] == '\t' || meta[b - 1] == '\r' || meta[b - 1] == '\0')) b--;
        if (b > a) {
            size_t n = b - a < sizeof out->class_names[0] - 1 ? b - a : sizeof out->class_names[0] - 1;
            memcpy(out->class_names[found], meta + a, n);
            out->class_names[found][n] = '\0';
            found++;
        }
        p = end + 1;
    }
    if (found < NL_CIFAR_CLASSES)
        return nl_fail(st, NL_EFORMAT, "%s: has %d class names (need %d, one per line)", meta_name, found,
                       NL_CIFAR_CLASSES);
    return NL_OK;
}

/* Appends the six batches (bufs[i] NULL means the file is missing) and parses the meta text. */
static int load_buffers(nl_cifar *out, const uint8_t *const bufs[N_FILES], const size_t lens[N_FILES],
                        const char *meta, size_t meta_len, nl_status *st) {
    reset(out);
    int rc = NL_OK;
    for (int i = 0; i < N_FILES && !rc; i++) {
        if (!bufs[i]) {
            rc = nl_fail(st, NL_EFORMAT, "missing %s", batch_names[i]);
            break;
        }
        nl_cifar_set *dst = i < NL_CIFAR_TRAIN_BATCHES ? &out->train : &out->test;
        rc = nl_cifar_append_batch(dst, bufs[i], lens[i], batch_names[i], st);
    }
    if (!rc && meta) rc = parse_meta(out, meta, meta_len, st);
    if (rc) nl_cifar_free(out);
    return rc;
}

int nl_cifar_load_batch_buffers(nl_cifar *out, const uint8_t *const bufs[6], const size_t lens[6], const char *meta,
                                size_t meta_len, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!bufs || !lens) return nl_fail(st, NL_EINVAL, "cifar: NULL buffers");
    return load_buffers(out, bufs, lens, meta, meta_len, st);
}

/* Index of the batch file (0..5), N_FILES for batches.meta.txt, -1 for other files. */
static int file_index(const char *base) {
    for (int i = 0; i < N_FILES; i++)
        if (strcmp(base, batch_names[i]) == 0) return i;
    return strcmp(base, meta_name) == 0 ? N_FILES : -1;
}

/* Loads from a gzip-compressed or plain tar archive in memory. label names the archive in
 * error messages. Files are matched by base name, preferring those in cifar-10-batches-bin/;
 * among equals the later one wins, as when tar extracts. */
static int load_archive(nl_cifar *out, const uint8_t *buf, size_t len, const char *label, int *not_archive,
                        nl_status *st) {
    memset(out, 0, sizeof *out);
    uint8_t *inflated = NULL;
    const uint8_t *tar = buf;
    size_t tar_len = len;
    int rc;
    if (nl_is_gzip(buf, len)) {
        rc = nl_gunzip(buf, len, &inflated, &tar_len, NL_GZIP_DEFAULT_MAX_OUT, st);
        if (rc) return with_label(st, rc, label);
        tar = inflated;
    } else if (!nl_tar_looks_valid(buf, len)) {
        if (not_archive) *not_archive = 1;
        return nl_fail(st, NL_EFORMAT, "%s: not a gzip or tar file", label);
    }

    const uint8_t *files[N_FILES + 1] = {0};
    size_t sizes[N_FILES + 1] = {0};
    int score[N_FILES + 1] = {0};
    nl_tar_reader r;
    nl_tar_entry *e = malloc(sizeof *e); /* about 1 KiB: keep it off small (Wasm) stacks */
    if (!e) {
        free(inflated);
        return nl_fail(st, NL_ENOMEM, "%s: out of memory", label);
    }
    nl_tar_init(&r, tar, tar_len);
    int got;
    while ((got = nl_tar_next(&r, e, st)) == 1) {
        if (e->type != '0') continue;
        const char *slash = strrchr(e->name, '/');
        const char *base = slash ? slash + 1 : e->name;
        int idx = file_index(base);
        if (idx < 0) continue;
        size_t dir_len = (size_t)(base - e->name);
        size_t folder_len = sizeof folder_name - 1;
        int in_folder = dir_len > folder_len && memcmp(base - 1 - folder_len, folder_name, folder_len) == 0 &&
                        (dir_len == folder_len + 1 || base[-2 - (int)folder_len] == '/');
        int s = in_folder ? 2 : 1;
        if (s >= score[idx]) {
            files[idx] = e->data;
            sizes[idx] = e->size;
            score[idx] = s;
        }
    }
    free(e);
    if (got < 0) {
        free(inflated);
        return with_label(st, NL_EFORMAT, label);
    }
    rc = load_buffers(out, files, sizes, (const char *)files[N_FILES], sizes[N_FILES], st);
    free(inflated);
    return with_label(st, rc, label);
}

int nl_cifar_load_targz_buffer(nl_cifar *out, const uint8_t *buf, size_t len, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!buf && len) return nl_fail(st, NL_EINVAL, "cifar: NULL buffer");
    return load_archive(out, buf, len, "archive", NULL, st);
}

/* ---- files and folders ---- */

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Loads the six batch files (and the optional meta file) from a folder, one file at a time
 * to keep peak memory low. */
static int load_folder(nl_cifar *out, const char *dir, nl_status *st) {
    size_t plen = strlen(dir) + sizeof folder_name + 32;
    char *base = malloc(plen), *path = malloc(plen);
    if (!base || !path) {
        free(base);
        free(path);
        return nl_fail(st, NL_ENOMEM, "%s: out of memory", dir);
    }
    /* The folder itself or its cifar-10-batches-bin/ subfolder. */
    snprintf(base, plen, "%s", dir);
    snprintf(path, plen, "%s/%s", base, batch_names[0]);
    if (!is_file(path)) {
        snprintf(base, plen, "%s/%s", dir, folder_name);
        snprintf(path, plen, "%s/%s", base, batch_names[0]);
    }
    int rc = NL_OK;
    if (!is_file(path))
        rc = nl_fail(st, NL_EFORMAT, "%s: not a gzip/tar file or CIFAR-10 folder (no %s in it or in %s/)", dir,
                     batch_names[0], folder_name);

    reset(out);
    for (int i = 0; i < N_FILES && !rc; i++) {
        snprintf(path, plen, "%s/%s", base, batch_names[i]);
        if (!is_file(path)) {
            rc = nl_fail(st, NL_EIO, "%s: missing %s", base, batch_names[i]);
            break;
        }
        uint8_t *data;
        size_t len;
        rc = nl_file_read_all(path, &data, &len, 0, st);
        if (rc) break;
        nl_cifar_set *dst = i < NL_CIFAR_TRAIN_BATCHES ? &out->train : &out->test;
        rc = nl_cifar_append_batch(dst, data, len, path, st);
        free(data);
    }
    if (!rc) {
        snprintf(path, plen, "%s/%s", base, meta_name);
        if (is_file(path)) {
            uint8_t *data;
            size_t len;
            rc = nl_file_read_all(path, &data, &len, 0, st);
            if (!rc) rc = with_label(st, parse_meta(out, (const char *)data, len, st), base);
            free(data);
        }
    }
    if (rc) nl_cifar_free(out);
    free(base);
    free(path);
    return rc;
}

int nl_cifar_load_path(nl_cifar *out, const char *path, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!path) return nl_fail(st, NL_EINVAL, "cifar: NULL path");
    struct stat sb;
    if (stat(path, &sb) != 0) return nl_fail(st, NL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return load_folder(out, path, st);

    uint8_t *data;
    size_t len;
    int rc = nl_file_read_all(path, &data, &len, 0, st);
    if (rc) return rc;
    int not_archive = 0;
    rc = load_archive(out, data, len, path, &not_archive, st);
    free(data);
    if (not_archive) rc = nl_fail(st, NL_EFORMAT, "%s: not a gzip/tar file or CIFAR-10 folder", path);
    return rc;
}
