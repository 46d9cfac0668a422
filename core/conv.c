/* Convolution (stride 1) as GEMM over tiles of pixels: im2col of a tile of output pixels into
 * a small row-major matrix [tile][k*k*ci], times the packed weights [k*k*ci][co].
 * Backward data is the same convolution of dy with flipped, transposed weights and padding
 * k-1-pad; backward weights is col^T * dy accumulated tile by tile. The GEMM tile (and so the
 * packing of B) is the kernel set's choice for the number of output columns. */
#include <string.h>

#include "kernels/nl_kernels.h"
#include "nl_layers.h"

#define TILE 128 /* output pixels per im2col tile: col tile of <= 128 x 288 floats stays in L2 */

static size_t kdim(const nl_conv_dims *d) { return (size_t)d->k * d->k * d->ci; }
static size_t round_nr(size_t n) { return (n + NL_GEMM_MAX_NR - 1) / NL_GEMM_MAX_NR * NL_GEMM_MAX_NR; }

size_t nl_conv_scratch_floats(const nl_conv_dims *d) {
    size_t kf = kdim(d), kb = (size_t)d->k * d->k * d->co;
    size_t big = kf > kb ? kf : kb;
    return TILE * big + TILE * round_nr((size_t)d->co); /* col tile + packed dy tile */
}

size_t nl_conv_packed_floats(const nl_conv_dims *d) { return round_nr((size_t)d->co) * kdim(d); }
size_t nl_conv_packed_t_floats(const nl_conv_dims *d) {
    return round_nr((size_t)d->ci) * (size_t)d->k * d->k * d->co;
}

void nl_conv_pack_weights(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed) {
    nl_pack_b_panels(nl_gemm_pick(ks, (size_t)d->co)->nr, kdim(d), (size_t)d->co, w, (size_t)d->co, packed);
}

void nl_conv_pack_weights_t(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed_t) {
    /* wt[kh][kw][co][ci] = w[k-1-kh][k-1-kw][ci][co], then panels over ci. Built row by row. */
    int k = d->k, ci = d->ci, co = d->co;
    size_t kc = (size_t)k * k * co;
    size_t nr = nl_gemm_pick(ks, (size_t)ci)->nr;
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

/* col[t][kh][kw][c] for output pixels p0..p0+n-1 of an image x[h][w][c] (zero outside). */
static void im2col_tile(int h, int w, int c, int k, int pad, int wo, int p0, int n, const float *x, float *col) {
    size_t rowlen = (size_t)k * k * c, seg = (size_t)k * c;
    int oy = p0 / wo, ox = p0 % wo;
    for (int t = 0; t < n; t++) {
        float *dst = col + (size_t)t * rowlen;
        int x0 = ox - pad, x1 = ox - pad + k; /* input columns [x0, x1) */
        int v0 = x0 < 0 ? 0 : x0, v1 = x1 > w ? w : x1;
        for (int kh = 0; kh < k; kh++, dst += seg) {
            int iy = oy + kh - pad;
            if (iy < 0 || iy >= h || v0 >= v1) {
                memset(dst, 0, seg * sizeof(float));
                continue;
            }
            if (v0 > x0) memset(dst, 0, (size_t)(v0 - x0) * c * sizeof(float));
            memcpy(dst + (size_t)(v0 - x0) * c, x + ((size_t)iy * w + v0) * c, (size_t)(v1 - v0) * c * sizeof(float));
            if (x1 > v1) memset(dst + (size_t)(v1 - x0) * c, 0, (size_t)(x1 - v1) * c * sizeof(float));
        }
        if (++ox == wo) {
            ox = 0;
            oy++;
        }
    }
}

/* out[ho][wo][n_out] = conv of in[h][w][n_in] by packed [k*k*n_in][n_out] weights, padding pad. */
static void conv_generic(const nl_kernel_set *ks, int h, int w, int n_in, int ho, int wo, int n_out, int k, int pad,
                         const float *in, const float *packed, float *out, float *scratch) {
    size_t kc = (size_t)k * k * n_in;
    int npix = ho * wo;
    if (k == 1 && pad == 0) { /* 1x1: the input already is the col matrix */
        nl_gemm(ks, (size_t)npix, (size_t)n_out, kc, in, kc, 1, packed, out, (size_t)n_out, 0);
        return;
    }
    for (int p0 = 0; p0 < npix; p0 += TILE) {
        int n = npix - p0 < TILE ? npix - p0 : TILE;
        im2col_tile(h, w, n_in, k, pad, wo, p0, n, in, scratch);
        nl_gemm(ks, (size_t)n, (size_t)n_out, kc, scratch, kc, 1, packed, out + (size_t)p0 * n_out, (size_t)n_out, 0);
    }
}

void nl_conv_forward(const nl_kernel_set *ks, const nl_conv_dims *d, const float *x, const float *w_packed, float *y,
                     float *scratch) {
    conv_generic(ks, d->h, d->w, d->ci, d->ho, d->wo, d->co, d->k, d->pad, x, w_packed, y, scratch);
}

void nl_conv_backward_data(const nl_kernel_set *ks, const nl_conv_dims *d, const float *dy, const float *w_packed_t,
                           float *dx, float *scratch) {
    conv_generic(ks, d->ho, d->wo, d->co, d->h, d->w, d->ci, d->k, d->k - 1 - d->pad, dy, w_packed_t, dx, scratch);
}

void nl_conv_backward_weights(const nl_kernel_set *ks, const nl_conv_dims *d, const float *x, const float *dy,
                              float *dw, float *scratch) {
    size_t kc = kdim(d);
    int npix = d->ho * d->wo;
    float *col = scratch;
    float *dyp = scratch + TILE * kc;
    size_t nr = nl_gemm_pick(ks, (size_t)d->co)->nr;
    int direct = d->k == 1 && d->pad == 0;
    for (int p0 = 0; p0 < npix; p0 += TILE) {
        int n = npix - p0 < TILE ? npix - p0 : TILE;
        const float *a;
        if (direct) {
            a = x + (size_t)p0 * kc;
        } else {
            im2col_tile(d->h, d->w, d->ci, d->k, d->pad, d->wo, p0, n, x, col);
            a = col;
        }
        nl_pack_b_panels(nr, (size_t)n, (size_t)d->co, dy + (size_t)p0 * d->co, (size_t)d->co, dyp);
        /* dw[kc][co] += a^T[kc][n] * dy[n][co]: rows of the result walk a's columns */
        nl_gemm(ks, kc, (size_t)d->co, (size_t)n, a, 1, kc, dyp, dw, (size_t)d->co, 1);
    }
}
