/* CIFAR-10 from files (native builds only; the Wasm module has no file system and no zlib):
 * the official .tar.gz read through zlib in pieces, a plain .tar, or the extracted folder.
 * zlib's gzread decompresses a .tar.gz (and passes a plain .tar through as it is) into a
 * small buffer that feeds the tar/CIFAR stream of cifar.c: neither the compressed file nor
 * the tar is ever held whole, only the parsed data set. */
#include "data/nl_cifar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "base/nl_file.h"
#include "data/nl_tar.h"

#define CHUNK (1u << 16)

static const char *const batch_names[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                           "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
static const char meta_name[] = "batches.meta.txt";
static const char folder_name[] = "cifar-10-batches-bin";

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Loads the six batch files (and the optional meta file) from a folder, one file at a time
 * to keep peak memory low. A batch file may hold at most a whole set. */
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

    nl_cifar_reset(out);
    for (int i = 0; i < 6 && !rc; i++) {
        snprintf(path, plen, "%s/%s", base, batch_names[i]);
        if (!is_file(path)) {
            rc = nl_fail(st, NL_EIO, "%s: missing %s", base, batch_names[i]);
            break;
        }
        uint8_t *data;
        size_t len;
        rc = nl_file_read_all(path, &data, &len, (size_t)NL_CIFAR_MAX_RECORDS * NL_CIFAR_RECORD_BYTES, st);
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
            rc = nl_file_read_all(path, &data, &len, NL_CIFAR_META_MAX, st);
            if (!rc) {
                rc = nl_cifar_parse_meta(out, (const char *)data, len, st);
                if (rc) {
                    char msg[sizeof st->msg];
                    memcpy(msg, st->msg, sizeof msg);
                    nl_fail(st, rc, "%.100s: %.140s", base, msg);
                }
            }
            free(data);
        }
    }
    if (rc) nl_cifar_free(out);
    free(base);
    free(path);
    return rc;
}

/* A .tar.gz or .tar through gzread into the stream, CHUNK bytes at a time. */
static int load_archive_file(nl_cifar *out, const char *path, nl_status *st) {
    gzFile f = gzopen(path, "rb");
    if (!f) return nl_fail(st, errno == ENOMEM ? NL_ENOMEM : NL_EIO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(f, CHUNK);
    uint8_t *buf = malloc(CHUNK);
    nl_cifar_stream *s = nl_cifar_stream_new(path, st);
    int rc = buf && s ? NL_OK : nl_fail(st, NL_ENOMEM, "%s: out of memory", path);
    int first = 1;
    while (!rc) {
        int got = gzread(f, buf, CHUNK);
        if (got < 0 || (got == 0 && !gzeof(f))) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            rc = zerr == Z_ERRNO ? nl_fail(st, NL_EIO, "%s: read error: %s", path, strerror(errno))
                 : zerr == Z_MEM_ERROR ? nl_fail(st, NL_ENOMEM, "%s: out of memory", path)
                                       : nl_fail(st, NL_EFORMAT, "%s: gzip: corrupt data (zlib: %s)", path, msg);
            break;
        }
        if (got == 0) {
            /* zlib reports a cut file at the end: "unexpected end of file" */
            int zerr;
            const char *msg = gzerror(f, &zerr);
            if (zerr == Z_BUF_ERROR) rc = nl_fail(st, NL_EFORMAT, "%s: gzip: truncated file (zlib: %s)", path, msg);
            else if (zerr != Z_OK) rc = nl_fail(st, NL_EFORMAT, "%s: gzip: corrupt data (zlib: %s)", path, msg);
            break;
        }
        if (first && gzdirect(f) && !nl_tar_looks_valid(buf, (size_t)got))
            rc = nl_fail(st, NL_EFORMAT, "%s: not a gzip/tar file or CIFAR-10 folder", path);
        first = 0;
        if (!rc) rc = nl_cifar_stream_feed(s, buf, (size_t)got, st);
    }
    if (!rc && first) rc = nl_fail(st, NL_EFORMAT, "%s: not a gzip/tar file or CIFAR-10 folder (empty)", path);
    if (!rc) rc = nl_cifar_stream_finish(s, out, st);
    nl_cifar_stream_free(s);
    free(buf);
    gzclose(f);
    return rc;
}

int nl_cifar_load_path(nl_cifar *out, const char *path, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!path) return nl_fail(st, NL_EINVAL, "cifar: NULL path");
    struct stat sb;
    if (stat(path, &sb) != 0) return nl_fail(st, NL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return load_folder(out, path, st);
    return load_archive_file(out, path, st);
}
