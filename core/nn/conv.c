/* Convolution (stride 1) on NHWC images without an im2col copy: indirect GEMM (XNNPACK's
 * IGEMM) over the output pixels. A padded input is first copied into a zero-bordered buffer,
 * so for each kernel row kh an output pixel reads one contiguous run of k*ci floats (taps kw,
 * then channels) through a precomputed int32 offset; times the packed weights [k*k*ci][co]
 * that sums taps (kh, kw) then input channels in order. Backward data is the same convolution
 * of dy (padded by k-1-pad) with flipped, transposed weights. Backward weights is
 * dw[kh][kw][ci][co] += sum over pixels of x(pixel + tap)[ci] * dy[pixel][co], pixels in
 * order, reading the padded input's pixel runs at fixed strides (WGRAD kernel). The GEMM tiles, and so the packing of B,
 * are the kernel set's choice for the number of output columns. The 3x3 layers with 8 or more
 * channels in and out run all three passes through Winograd F(2x2, 3x3) instead
 * (conv_winograd.c). */
#include <stdlib.h>
#include <string.h>

#include "nn/conv_winograd.h"
#include "nn/kernels/nl_kernels.h"
#include "nn/nl_layers.h"

#define TILE 128 /* output pixels per tile */

static size_t kdim(const nl_conv_dims *d) { return (size_t)d->k * d->k * d->ci; }
static size_t round_nr(size_t n) { return (n + NL_GEMM_MAX_NR - 1) / NL_GEMM_MAX_NR * NL_GEMM_MAX_NR; }

/* Offsets of the k row runs read by each output pixel of a stride-1 conv over an input of
 * w columns and c channels already padded (so every run is inside): [npix][k]. */
static void build_table(int32_t *t, int ho, int wo, int k, int wp, int c) {
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
            for (int kh = 0; kh < k; kh++) t[((size_t)oy * wo + ox) * k + kh] = ((oy + kh) * wp + ox) * c;
}

int nl_conv_plan_init(nl_conv_plan *p, const nl_conv_dims *d) {
    p->d = *d;
    p->wino = nl_conv_winograd(d);
    p->fwd = malloc(sizeof(int32_t) * (size_t)d->ho * d->wo * d->k);
    p->bwd = malloc(sizeof(int32_t) * (size_t)d->h * d->w * d->k);
    p->wofs = malloc(sizeof(int32_t) * 2 * NL_WINO_TILES);
    if (!p->fwd || !p->bwd || !p->wofs) {
        nl_conv_plan_free(p);
        return -1;
    }
    int bpad = d->k - 1 - d->pad;
    build_table(p->fwd, d->ho, d->wo, d->k, d->w + 2 * d->pad, d->ci);
    build_table(p->bwd, d->h, d->w, d->k, d->wo + 2 * bpad, d->co);
    for (int r = 0; r < NL_WINO_TILES; r++) {
        p->wofs[r] = r * d->ci;
        p->wofs[NL_WINO_TILES + r] = r * d->co;
    }
    return 0;
}

void nl_conv_plan_free(nl_conv_plan *p) {
    free(p->fwd);
    free(p->bwd);
    free(p->wofs);
    p->fwd = p->bwd = p->wofs = NULL;
}

static size_t padded_floats(int h, int w, int c, int pad) { return (size_t)(h + 2 * pad) * (w + 2 * pad) * c; }

/* scratch: [padded input of the forward or the backward-data conv][packed dy tile] */
static size_t pad_region(const nl_conv_dims *d) {
    size_t a = d->pad ? padded_floats(d->h, d->w, d->ci, d->pad) : 0;
    int bpad = d->k - 1 - d->pad;
    size_t b = bpad ? padded_floats(d->ho, d->wo, d->co, bpad) : 0;
    size_t m = a > b ? a : b;
    return (m + 15) / 16 * 16;
}

size_t nl_conv_scratch_floats(const nl_conv_dims *d) {
    size_t px = (size_t)d->wo > TILE ? (size_t)d->wo : TILE; /* pixels of a backward-weights tile */
    size_t direct = pad_region(d) + px * round_nr((size_t)d->co);
    if (!nl_conv_winograd(d)) return direct;
    size_t wino = nl_wino_scratch_floats(d);
    return wino > direct ? wino : direct;
}

/* Plain loops rather than memcpy/memset: rows are short, and in Wasm without bulk memory a
 * memcpy of 512 bytes or more calls out to JavaScript. no_builtin keeps clang from turning the
 * loops back into library calls. */
#if defined(__clang__)
#define NL_NO_MEMCPY __attribute__((no_builtin("memcpy", "memset")))
#else
#define NL_NO_MEMCPY
#endif
static NL_NO_MEMCPY void zero_floats(float *d, size_t n) {
    for (size_t i = 0; i < n; i++) d[i] = 0.0f;
}
static NL_NO_MEMCPY void copy_floats(float *restrict d, const float *restrict s, size_t n) {
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}

/* x[h][w][c] -> out[h+2pad][w+2pad][c] with a zero border; returns x itself when pad is 0. */
static const float *pad_image(const float *x, int h, int w, int c, int pad, float *out) {
    if (!pad) return x;
    size_t wp = (size_t)w + 2 * pad, row = (size_t)w * c, edge = (size_t)pad * c;
    zero_floats(out, wp * pad * c + edge);
    float *o = out + wp * pad * c + edge;
    for (int y = 0; y < h; y++) {
        copy_floats(o, x + (size_t)y * row, row);
        zero_floats(o + row, 2 * edge); /* right border of this row, left border of the next */
        o += wp * c;
    }
    zero_floats(o - edge, wp * pad * c);
    return out;
}

size_t nl_conv_packed_floats(const nl_conv_dims *d) {
    if (nl_conv_winograd(d)) return nl_wino_packed_floats((size_t)d->ci, (size_t)d->co);
    return round_nr((size_t)d->co) * kdim(d);
}
size_t nl_conv_packed_t_floats(const nl_conv_dims *d) {
    if (nl_conv_winograd(d)) return nl_wino_packed_floats((size_t)d->co, (size_t)d->ci);
    return round_nr((size_t)d->ci) * (size_t)d->k * d->k * d->co;
}

void nl_conv_pack_weights(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed) {
    if (nl_conv_winograd(d)) {
        nl_wino_pack(ks, d, w, 0, packed);
        return;
    }
    nl_pack_b_panels(nl_igemm_pick(ks, (size_t)d->co)->nr, kdim(d), (size_t)d->co, w, (size_t)d->co, packed);
}

void nl_conv_pack_weights_t(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed_t) {
    if (nl_conv_winograd(d)) {
        nl_wino_pack(ks, d, w, 1, packed_t);
        return;
    }
    /* wt[kh][kw][co][ci] = w[k-1-kh][k-1-kw][ci][co], then panels over ci. Built row by row. */
    int k = d->k, ci = d->ci, co = d->co;
    size_t kc = (size_t)k * k * co;
    size_t nr = nl_igemm_pick(ks, (size_t)ci)->nr;
    size_t panels = ((size_t)ci + nr - 1) / nr;
    for (int kh = 0; kh < k; kh++)
        for (int kw = 0; kw < k; kw++)
            for (int o = 0; o < co; o++) {
                size_t row = ((size_t)kh * k + kw) * co + o;
                const float *src = w + (((size_t)(k - 1 - kh) * k + (k - 1 - kw)) * ci) * co + o;
                for (size_t p = 0; p < panels; p++)
                    for (size_t j = 0; j < nr; j++) {
                        size_t i = p * nr + j;
                        packed_t[p * kc * nr + row * nr + j] = i < (size_t)ci ? src[i * co] : 0.0f;
                    }
            }
}

/* out[npix][n_out] = sum over taps of the kc floats at in + ind[pixel][tap], times the packed
 * [taps*kc][n_out] weights. */
static void conv_generic(const nl_kernel_set *ks, int npix, size_t kc, int n_out, size_t taps, const int32_t *ind,
                         const float *in, const float *packed, float *out) {
    const nl_igemm_ukernel *u = nl_igemm_pick(ks, (size_t)n_out);
    size_t MR = u->mr, NR = u->nr, kb = taps * kc;
    for (int p0 = 0; p0 < npix; p0 += TILE) {
        size_t n = (size_t)(npix - p0 < TILE ? npix - p0 : TILE);
        for (size_t pn = 0; pn * NR < (size_t)n_out; pn++) {
            size_t nc = (size_t)n_out - pn * NR < NR ? (size_t)n_out - pn * NR : NR;
            const float *bp = packed + pn * kb * NR;
            for (size_t i = 0; i < n; i += MR) {
                size_t mr = n - i < MR ? n - i : MR, row = (size_t)p0 + i;
                u->fn(mr, nc, kc, taps, in, ind + row * taps, bp, out + row * n_out + pn * NR, (size_t)n_out, 0);
            }
        }
    }
}

void nl_conv_forward(const nl_kernel_set *ks, const nl_conv_plan *p, const float *x, const float *w_packed, float *y,
                     float *scratch) {
    const nl_conv_dims *d = &p->d;
    if (p->wino) {
        nl_wino_conv(ks, d->h, d->w, d->ci, d->pad, d->ho, d->wo, d->co, x, w_packed, p->wofs, y, scratch);
        return;
    }
    const float *xp = pad_image(x, d->h, d->w, d->ci, d->pad, scratch);
    conv_generic(ks, d->ho * d->wo, (size_t)d->k * d->ci, d->co, (size_t)d->k, p->fwd, xp, w_packed, y);
}

void nl_conv_backward_data(const nl_kernel_set *ks, const nl_conv_plan *p, const float *dy,
                           const float *w_packed_t, float *dx, float *scratch) {
    const nl_conv_dims *d = &p->d;
    if (p->wino) {
        nl_wino_conv(ks, d->ho, d->wo, d->co, 2 - d->pad, d->h, d->w, d->ci, dy, w_packed_t, p->wofs + NL_WINO_TILES,
                     dx, scratch);
        return;
    }
    const float *dyp = pad_image(dy, d->ho, d->wo, d->co, d->k - 1 - d->pad, scratch);
    conv_generic(ks, d->h * d->w, (size_t)d->k * d->co, d->ci, (size_t)d->k, p->bwd, dyp, w_packed_t, dx);
}

void nl_conv_backward_weights(const nl_kernel_set *ks, const nl_conv_plan *p, const float *x, const float *dy,
                              float *dw, float *scratch) {
    const nl_conv_dims *d = &p->d;
    if (p->wino) {
        nl_wino_wgrad(ks, d, x, dy, dw, scratch);
        return;
    }
    const nl_wgrad_ukernel *u = nl_wgrad_pick(ks, (size_t)d->co);
    size_t MR = u->mr, NR = u->nr, k = (size_t)d->k, ci = (size_t)d->ci, rows = k * ci, co = (size_t)d->co;
    size_t wo = (size_t)d->wo, wp = (size_t)d->w + 2 * d->pad;
    const float *xp = pad_image(x, d->h, d->w, d->ci, d->pad, scratch);
    float *dyp = scratch + pad_region(d);
    size_t per = wo <= TILE ? TILE / wo : 1; /* whole output rows per tile */
    for (size_t oy0 = 0; oy0 < (size_t)d->ho; oy0 += per) {
        size_t nrow = (size_t)d->ho - oy0 < per ? (size_t)d->ho - oy0 : per, n = nrow * wo;
        nl_pack_b_panels(NR, n, co, dy + oy0 * wo * co, co, dyp);
        /* per kernel row kh: dw rows (kw, ci) read the k*ci-float run of each pixel of the
         * padded input: pixel ox of output row oy starts at ((oy + kh) * wp + ox) * ci */
        for (size_t kh = 0; kh < k; kh++) {
            const float *a = xp + (oy0 + kh) * wp * ci;
            for (size_t r0 = 0; r0 < rows; r0 += MR) {
                size_t mr = rows - r0 < MR ? rows - r0 : MR;
                for (size_t pn = 0; pn * NR < co; pn++) {
                    size_t nc = co - pn * NR < NR ? co - pn * NR : NR;
                    u->fn(mr, nc, nrow, wo, a + r0, wp * ci, ci, dyp + pn * n * NR,
                          dw + (kh * rows + r0) * co + pn * NR, co);
                }
            }
        }
    }
}
