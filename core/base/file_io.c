/* fileno and fsync are POSIX; ask for them even when the build does not define this. */
#if !defined(_POSIX_C_SOURCE) && !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif

#include "base/nl_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fsync makes the data durable before the rename publishes it; it is POSIX, not C11, and
 * meaningless in the browser's in-memory file system. */
#if !defined(__EMSCRIPTEN__) && (defined(__unix__) || defined(__APPLE__))
#include <unistd.h>
#define NL_HAVE_FSYNC 1
#endif

static char *temp_path_for(const char *path) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (tmp) {
        memcpy(tmp, path, n);
        memcpy(tmp + n, ".tmp", 5);
    }
    return tmp;
}

int nl_file_write_atomic(const char *path, const void *data, size_t len, nl_status *st) {
    if (!path || !path[0]) return nl_fail(st, NL_EINVAL, "nl_file_write_atomic: empty path");
    if (!data && len) return nl_fail(st, NL_EINVAL, "nl_file_write_atomic: no data for %s", path);
    char *tmp = temp_path_for(path);
    if (!tmp) return nl_fail(st, NL_ENOMEM, "out of memory writing %s", path);

    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        nl_fail(st, NL_EIO, "cannot open %s for writing: %s", tmp, strerror(e));
        free(tmp);
        return NL_EIO;
    }
    /* Each step runs only if the previous ones succeeded; step names the first failure. */
    const char *step = NULL;
    int e = 0;
    errno = 0;
    if (len && fwrite(data, 1, len, f) != len) step = "cannot write";
    if (!step && fflush(f) != 0) step = "cannot flush";
#ifdef NL_HAVE_FSYNC
    if (!step && fsync(fileno(f)) != 0) step = "cannot sync";
#endif
    if (step) e = errno;
    if (fclose(f) != 0 && !step) {
        step = "cannot close";
        e = errno;
    }
    if (!step && rename(tmp, path) != 0) {
        step = "cannot rename temp file to";
        e = errno;
    }
    if (step) {
        remove(tmp);
        free(tmp);
        return nl_fail(st, NL_EIO, "%s %s: %s", step, path, e ? strerror(e) : "I/O error");
    }
    free(tmp);
    nl_status_clear(st);
    return NL_OK;
}

int nl_file_read_all(const char *path, uint8_t **out, size_t *len, size_t max_len, nl_status *st) {
    if (!out || !len) return nl_fail(st, NL_EINVAL, "nl_file_read_all: NULL output");
    *out = NULL;
    *len = 0;
    if (!path || !path[0]) return nl_fail(st, NL_EINVAL, "nl_file_read_all: empty path");
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return nl_fail(st, NL_EIO, "cannot open %s: %s", path, strerror(e));
    }
    /* The file's size is only a first guess at the buffer (one allocation for a regular
     * file, no doubling of a 170 MB archive); reading goes on to EOF, so pipes and special
     * files work too. */
    size_t cap = 0, n = 0, first = 65536;
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        if (end > 0 && (unsigned long)end < SIZE_MAX / 2 && (!max_len || (size_t)end <= max_len))
            first = (size_t)end + 2; /* + the NUL, + 1 so that EOF is seen at once */
        rewind(f);
    }
    uint8_t *buf = NULL;
    int rc = NL_OK;
    for (;;) {
        if (cap - n < 2) { /* keep room for at least one byte plus the NUL */
            size_t ncap = cap ? cap * 2 : first;
            if (ncap < cap) {
                rc = nl_fail(st, NL_ENOMEM, "file %s is too large", path);
                break;
            }
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                rc = nl_fail(st, NL_ENOMEM, "out of memory reading %s", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (max_len && n > max_len) {
            rc = nl_fail(st, NL_EFORMAT, "file %s is larger than %zu bytes", path, max_len);
            break;
        }
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                rc = nl_fail(st, NL_EIO, "cannot read %s: %s", path, e ? strerror(e) : "I/O error");
            }
            break;
        }
    }
    fclose(f);
    if (rc != NL_OK) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    nl_status_clear(st);
    return NL_OK;
}
