/* Whole-file I/O with clear error messages. Writes are atomic: readers see either the old
 * file or the complete new one, never a half-written file (a crash mid-write leaves at most
 * a stray "<path>.tmp"). */
#ifndef NL_FILE_H
#define NL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

/* Writes len bytes to "<path>.tmp", flushes (and fsyncs where POSIX), then renames it over
 * path. On failure the temp file is removed, path is untouched, and NL_EIO is returned with
 * a message naming the path. data may be NULL only if len is 0. */
int nl_file_write_atomic(const char *path, const void *data, size_t len, nl_status *st);

/* Reads the whole file into a new buffer (*out, free() it) of *len bytes, plus one NUL byte
 * after the end so text can be parsed in place. A file longer than max_len bytes is rejected
 * with NL_EFORMAT (max_len 0 means no limit). On error *out is NULL and *len is 0. */
int nl_file_read_all(const char *path, uint8_t **out, size_t *len, size_t max_len, nl_status *st);

#endif
