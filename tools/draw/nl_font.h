/* A small built-in bitmap font (5x7 glyph bodies plus a descender row, in a 6x8 cell) for
 * labelling report images without any font files. Covers printable ASCII 32..126; other
 * bytes are drawn as '?'. */
#ifndef NL_FONT_H
#define NL_FONT_H

#include <stdint.h>

#define NL_FONT_GLYPH_W 5 /* pixels per glyph at scale 1 */
#define NL_FONT_GLYPH_H 8 /* 7 rows above the baseline, 1 below for descenders */
#define NL_FONT_ADVANCE 6 /* glyph width plus one column of spacing */

/* Draws one line of text into an RGB image (w*h pixels, 3 interleaved bytes each) with its
 * top-left corner at (x, y); every font pixel becomes a scale x scale square. Anything
 * outside the image is clipped; x and y may be negative. */
void nl_font_draw_text(uint8_t *rgb, int w, int h, int x, int y, const char *text, int scale,
                       uint8_t r, uint8_t g, uint8_t b);

/* Width in pixels that nl_font_draw_text covers for text (0 for empty text); the height is
 * NL_FONT_GLYPH_H * scale. */
int nl_font_text_width(const char *text, int scale);

#endif
