/* DEFLATE (RFC 1951) and gzip (RFC 1952) decompression of whole buffers in memory.
 * Self-contained (libc only) so the core needs no zlib, also in WebAssembly.
 * Corrupt or truncated input never reads or writes out of bounds and never loops:
 * it fails with NL_EFORMAT and a message saying what is wrong. */
#ifndef NL_GZIP_H
#define NL_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

/* A sensible output limit for callers without a better one (1 GiB). */
#define NL_GZIP_DEFAULT_MAX_OUT ((size_t)1 << 30)

/* Nonzero if buf starts with the gzip magic bytes 1f 8b. */
int nl_is_gzip(const uint8_t *buf, size_t len);

/* Decompresses a gzip file: one or more members, each checked against its CRC-32 and
 * length trailer; zero bytes after the last member are ignored. On success *out is a
 * malloc'd buffer (never NULL, free() it) of *out_len bytes. Output larger than max_out
 * bytes is an error. On error *out is NULL and *out_len 0. */
int nl_gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out,
              nl_status *st);

/* Decompresses one raw DEFLATE stream (no gzip or zlib wrapper) starting at in[0].
 * *in_used (if not NULL) receives the number of input bytes the stream occupied, rounded
 * up to a whole byte. Output as for nl_gunzip. */
int nl_inflate(const uint8_t *in, size_t in_len, size_t *in_used, uint8_t **out,
               size_t *out_len, size_t max_out, nl_status *st);

#endif
