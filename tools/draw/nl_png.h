/* A PNG encoder for 8-bit RGB images: adaptive row filters and zlib's deflate (native
 * builds only: the drawing code is linked by the CLI, never into the Wasm module). */
#ifndef NL_PNG_H
#define NL_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

/* rgb is w*h pixels, row-major, 3 interleaved bytes (R, G, B) per pixel, top row first.
 * On success *out is a new buffer (free() it) holding the complete PNG file of *out_len
 * bytes. On error *out is NULL. */
int nl_png_encode_rgb(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_len,
                      nl_status *st);

/* Encodes and writes atomically (see nl_file_write_atomic): NL_EIO naming path on failure. */
int nl_png_write_file(const char *path, const uint8_t *rgb, int w, int h, nl_status *st);

#endif
