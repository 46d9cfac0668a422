#include "draw/nl_canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw/nl_font.h"

int draw_canvas_init(draw_canvas *c, int w, int h, draw_color bg) {
    c->w = w;
    c->h = h;
    c->rgb = (w > 0 && h > 0) ? malloc((size_t)w * (size_t)h * 3) : NULL;
    if (!c->rgb) return -1;
    draw_fill_rect(c, 0, 0, w, h, bg);
    return 0;
}

void draw_canvas_free(draw_canvas *c) {
    free(c->rgb);
    c->rgb = NULL;
}

void draw_fill_rect(draw_canvas *c, int x, int y, int w, int h, draw_color col) {
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > c->w ? c->w : x + w, y1 = y + h > c->h ? c->h : y + h;
    for (int yy = y0; yy < y1; yy++) {
        uint8_t *p = c->rgb + ((size_t)yy * (size_t)c->w + (size_t)x0) * 3;
        for (int xx = x0; xx < x1; xx++, p += 3) {
            p[0] = col.r;
            p[1] = col.g;
            p[2] = col.b;
        }
    }
}

void draw_rect_outline(draw_canvas *c, int x, int y, int w, int h, draw_color col) {
    draw_fill_rect(c, x, y, w, 1, col);
    draw_fill_rect(c, x, y + h - 1, w, 1, col);
    draw_fill_rect(c, x, y, 1, h, col);
    draw_fill_rect(c, x + w - 1, y, 1, h, col);
}

/* The square pen: thickness x thickness pixels centred on (px, py). */
static void stamp(draw_canvas *c, double px, double py, int thickness, draw_color col) {
    int x = (int)floor(px - thickness / 2.0 + 0.5), y = (int)floor(py - thickness / 2.0 + 0.5);
    draw_fill_rect(c, x, y, thickness, thickness, col);
}

/* Sweeps the pen along one segment in half-pixel steps (dense enough to leave no gaps).
 * *dist is the path length drawn so far, which decides where the dashes fall. */
static void sweep(draw_canvas *c, double x0, double y0, double x1, double y1, int thickness, draw_dash dash,
                  double *dist, draw_color col) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (!(len < 1e6)) return; /* NaN or absurd coordinates: nothing sensible to draw */
    int steps = (int)ceil(len * 2.0);
    if (steps < 1) steps = 1;
    double period = dash.on > 0 ? (double)(dash.on + dash.off) : 0.0;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps, s = *dist + t * len;
        if (period > 0 && fmod(s, period) >= dash.on) continue;
        stamp(c, x0 + t * dx, y0 + t * dy, thickness, col);
    }
    *dist += len;
}

void draw_line(draw_canvas *c, double x0, double y0, double x1, double y1, int thickness, draw_color col) {
    double dist = 0.0;
    sweep(c, x0, y0, x1, y1, thickness, (draw_dash){0, 0}, &dist, col);
}

void draw_polyline(draw_canvas *c, const double *xs, const double *ys, int n, int thickness, draw_dash dash,
                   draw_color col) {
    double dist = 0.0;
    if (n == 1) stamp(c, xs[0], ys[0], thickness + 2, col); /* a lone point still shows */
    for (int i = 0; i + 1 < n; i++) sweep(c, xs[i], ys[i], xs[i + 1], ys[i + 1], thickness, dash, &dist, col);
}

void draw_disc(draw_canvas *c, double cx, double cy, double radius, draw_color col) {
    int r = (int)ceil(radius);
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            /* pixel centres inside the circle */
            double px = floor(cx) + dx + 0.5 - cx, py = floor(cy) + dy + 0.5 - cy;
            if (px * px + py * py <= radius * radius)
                draw_fill_rect(c, (int)floor(cx) + dx, (int)floor(cy) + dy, 1, 1, col);
        }
}

int draw_text_width(const char *text, int scale) { return nl_font_text_width(text, scale); }
int draw_text_height(int scale) { return NL_FONT_GLYPH_H * scale; }

void draw_text(draw_canvas *c, int x, int y, const char *text, int scale, draw_color col) {
    nl_font_draw_text(c->rgb, c->w, c->h, x, y, text, scale, col.r, col.g, col.b);
}

void draw_text_centered(draw_canvas *c, int cx, int y, const char *text, int scale, draw_color col) {
    draw_text(c, cx - draw_text_width(text, scale) / 2, y, text, scale, col);
}

void draw_text_right(draw_canvas *c, int right_x, int y, const char *text, int scale, draw_color col) {
    draw_text(c, right_x - draw_text_width(text, scale), y, text, scale, col);
}

void draw_text_up(draw_canvas *c, int x, int y, const char *text, int scale, draw_color col) {
    /* Render upright into a scratch mask, then copy it turned: text column tx lands on row
     * y + tw-1-tx (the start at the bottom), text row ty on column x + ty (glyph tops left). */
    int tw = draw_text_width(text, scale), th = draw_text_height(scale);
    if (tw <= 0) return;
    uint8_t *mask = calloc((size_t)tw * (size_t)th, 3);
    if (!mask) return;
    nl_font_draw_text(mask, tw, th, 0, 0, text, scale, 255, 255, 255);
    for (int ty = 0; ty < th; ty++)
        for (int tx = 0; tx < tw; tx++)
            if (mask[((size_t)ty * (size_t)tw + (size_t)tx) * 3])
                draw_fill_rect(c, x + ty, y + tw - 1 - tx, 1, 1, col);
    free(mask);
}

/* 1, 2, 5 or 10 times a power of ten, the smallest such at or above raw. */
static double nice_step(double raw) {
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1.0 + 1e-9 ? 1.0 : f <= 2.0 + 1e-9 ? 2.0 : f <= 5.0 + 1e-9 ? 5.0 : 10.0) * mag;
}

int draw_nice_ticks(double *lo, double *hi, int max_ticks, double min_step, double *ticks, double *step) {
    if (max_ticks < 2) max_ticks = 2;
    if (max_ticks > 32) max_ticks = 32;
    double a = *lo, b = *hi;
    if (!isfinite(a) || !isfinite(b)) a = 0.0, b = 1.0;
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b - a <= 1e-12 * fmax(1.0, fabs(a))) { /* one value: give it some room */
        double pad = a != 0.0 ? fabs(a) * 0.1 : 1.0;
        a -= pad;
        b += pad;
    }
    double s = nice_step((b - a) / (max_ticks - 1));
    if (s < min_step) s = min_step;
    double first, last;
    int n;
    for (;;) { /* widening outward can add a tick; take the next step up if it overflows */
        first = floor(a / s + 1e-9) * s;
        last = ceil(b / s - 1e-9) * s;
        n = (int)lround((last - first) / s) + 1;
        if (n <= max_ticks) break;
        s = nice_step(s * 1.5);
    }
    for (int i = 0; i < n; i++) {
        double v = first + i * s;
        ticks[i] = fabs(v) < s * 1e-9 ? 0.0 : v; /* no "-0" */
    }
    *lo = first;
    *hi = last;
    if (step) *step = s;
    return n;
}

void draw_format_tick(double v, double step, char *buf, size_t size) {
    if (v != 0.0 && step < 1e-4) {
        snprintf(buf, size, "%.2g", v); /* tiny learning rates: 2e-05 beats 0.00002 */
        return;
    }
    int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, size, "%.*f", decimals, v);
}
