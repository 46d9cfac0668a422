/* The tests' own PNG reader for what tools/draw writes (8-bit RGB): chunk walk with a
 * bitwise CRC-32, zlib inflate, the five row filters written from the specification. */
#ifndef NL_PNG_READ_H
#define NL_PNG_READ_H

#include <stddef.h>
#include <stdint.h>

/* Returns the pixels (w*h*3 bytes, malloc'd), or NULL after printing why the file is not a
 * valid 8-bit RGB PNG. used (may be NULL) counts the rows per filter type. */
uint8_t *nl_test_png_decode(const uint8_t *png, size_t len, int *w, int *h, int used[5]);

#endif
