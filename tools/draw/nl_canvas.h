/* Small raster drawing helpers for the report pictures (plot, confusion): an RGB canvas,
 * filled rectangles, thick solid or dashed lines, text (also rotated), and "nice" axis
 * ticks. Everything is clipped to the canvas, so callers may draw partly outside it. */
#ifndef NL_DRAW_H
#define NL_DRAW_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t r, g, b;
} draw_color;

typedef struct {
    uint8_t *rgb; /* w*h pixels, 3 interleaved bytes each, top row first (as nl_png wants) */
    int w, h;
} draw_canvas;

/* Allocates a canvas filled with bg. Returns 0, or -1 when out of memory. */
int draw_canvas_init(draw_canvas *c, int w, int h, draw_color bg);
void draw_canvas_free(draw_canvas *c);

void draw_fill_rect(draw_canvas *c, int x, int y, int w, int h, draw_color col);
/* A 1-px frame just inside the rectangle. */
void draw_rect_outline(draw_canvas *c, int x, int y, int w, int h, draw_color col);

/* A straight line thickness px wide (a square pen swept along the segment). */
void draw_line(draw_canvas *c, double x0, double y0, double x1, double y1, int thickness, draw_color col);

/* Dash pattern for polylines: on px drawn, off px skipped; on == 0 means solid. */
typedef struct {
    int on, off;
} draw_dash;

/* Connects n points in order. The dash pattern runs on across the corners, so short
 * segments (one per epoch) still show a regular dashed line. */
void draw_polyline(draw_canvas *c, const double *xs, const double *ys, int n, int thickness, draw_dash dash,
                   draw_color col);

/* A filled disc of the given radius centred on (cx, cy); used as a data-point marker. */
void draw_disc(draw_canvas *c, double cx, double cy, double radius, draw_color col);

/* Text in the built-in 5x7 font (nl_font.h), top-left corner at (x, y). */
void draw_text(draw_canvas *c, int x, int y, const char *text, int scale, draw_color col);
/* Text centred horizontally on cx (top at y), or right-aligned so it ends at right_x. */
void draw_text_centered(draw_canvas *c, int cx, int y, const char *text, int scale, draw_color col);
void draw_text_right(draw_canvas *c, int right_x, int y, const char *text, int scale, draw_color col);
/* Text turned 90 degrees anticlockwise (read bottom to top, as y-axis titles are), its
 * bounding box's top-left corner at (x, y): box width is the glyph height, box height the
 * text width. */
void draw_text_up(draw_canvas *c, int x, int y, const char *text, int scale, draw_color col);
int draw_text_width(const char *text, int scale);
int draw_text_height(int scale);

/* Axis ticks: picks a step of 1, 2 or 5 times a power of ten giving at most max_ticks
 * ticks, widens [*lo, *hi] outward to multiples of the step (an empty range is widened
 * around its value first), and writes the ticks (at most 32) to ticks. min_step is the
 * smallest allowed step (e.g. 1 for epochs; 0 for none). Returns the tick count.
 * The definition of the project's ticks: the page's niceTicks() (web/lib/chartmath.js) follows
 * it step by step; tests/c/test_ticks.c and tests/node/web_chartmath.test.mjs hold both to the
 * table tests/golden/nice_ticks.json. */
int draw_nice_ticks(double *lo, double *hi, int max_ticks, double min_step, double *ticks, double *step);

/* Formats a tick value with just enough decimals for the step ("0.25", "40", "0.002"). */
void draw_format_tick(double v, double step, char *buf, size_t size);

#endif
