/* Convolution (stride 1) on NHWC images without an im2col copy: indirect GEMM (XNNPACK's
 * IGEMM) over tiles of output pixels, each output row reaching its k*k input pixels through
 * pointers (padding points at a zero buffer), times the packed weights [k*k*ci][co]; every
 * output sums taps (kh, kw) then input channels in order. Backward data is the same
 * convolution of dy with flipped, transposed weights and padding k-1-pad. Backward weights is
 * dw[tap][ci][co] += sum over pixels of x(pixel + tap)[ci] * dy[pixel][co], pixels in order,
 * through per-pixel pointers (WGRAD kernel). The GEMM tiles, and so the packing of B, are the
 * kernel set's choice for the number of output columns. */
#include <stdlib.h>
#include <string.h>

#include "kernels/nl_kernels.h"
#include "nl_layers.h"

#define TILE 128 /* output pixels per tile */

static size_t kdim(const nl_conv_dims *d) { return (size_t)d->k * d->k * d->ci; }
static size_t round_nr(size_t n) { return (n + NL_GEMM_MAX_NR - 1) / NL_GEMM_MAX_NR * NL_GEMM_MAX_NR; }

int nl_conv_plan_init(nl_conv_plan *p, const nl_conv_dims *d) {
    p->d = *d;
    size_t taps = (size_t)d->k * d->k;
    p->fwd = malloc(sizeof(int32_t) * (size_t)d->ho * d->wo * taps);
    p->bwd = malloc(sizeof(int32_t) * (size_t)d->h * d->w * taps);
    if (!p->fwd || !p->bwd) {
        nl_conv_plan_free(p);
        return -1;
    }
    int bpad = d->k - 1 - d->pad;
    for (int oy = 0; oy < d->ho; oy++)
        for (int ox = 0; ox < d->wo; ox++)
            for (int kh = 0; kh < d->k; kh++)
                for (int kw = 0; kw < d->k; kw++) {
                    int iy = oy + kh - d->pad, ix = ox + kw - d->pad;
                    p->fwd[((size_t)oy * d->wo + ox) * taps + (size_t)kh * d->k + kw] =
                        (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) ? -1 : (iy * d->w + ix) * d->ci;
                }
    for (int iy = 0; iy < d->h; iy++)
        for (int ix = 0; ix < d->w; ix++)
            for (int kh = 0; kh < d->k; kh++)
                for (int kw = 0; kw < d->k; kw++) {
                    int oy = iy + kh - bpad, ox = ix + kw - bpad;
                    p->bwd[((size_t)iy * d->w + ix) * taps + (size_t)kh * d->k + kw] =
                        (oy < 0 || oy >= d->ho || ox < 0 || ox >= d->wo) ? -1 : (oy * d->wo + ox) * d->co;
                }
    return 0;
}

void nl_conv_plan_free(nl_conv_plan *p) {
    free(p->fwd);
    free(p->bwd);
    p->fwd = p->bwd = NULL;
}

/* scratch: the packed dy tile of backward weights */
size_t nl_conv_scratch_floats(const nl_conv_dims *d) { return TILE * round_nr((size_t)d->co); }

size_t nl_conv_packed_floats(const nl_conv_dims *d) { return round_nr((size_t)d->co) * kdim(d); }
size_t nl_conv_packed_t_floats(const nl_conv_dims *d) {
    return round_nr((size_t)d->ci) * (size_t)d->k * d->k * d->co;
}

void nl_conv_pack_weights(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed) {
    nl_pack_b_panels(nl_igemm_pick(ks, (size_t)d->co)->nr, kdim(d), (size_t)d->co, w, (size_t)d->co, packed);
}

void nl_conv_pack_weights_t(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, float *packed_t) {
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

/* out[npix][n_out] = sum over taps and n_in channels of in (through the offset table ind)
 * times the packed [taps*n_in][n_out] weights. */
static void conv_generic(const nl_kernel_set *ks, int npix, int n_in, int n_out, size_t taps, const int32_t *ind,
                         const float *in, const float *packed, float *out) {
    const nl_igemm_ukernel *u = nl_igemm_pick(ks, (size_t)n_out);
    size_t MR = u->mr, NR = u->nr, kc = taps * n_in;
    for (int p0 = 0; p0 < npix; p0 += TILE) {
        size_t n = (size_t)(npix - p0 < TILE ? npix - p0 : TILE);
        for (size_t pn = 0; pn * NR < (size_t)n_out; pn++) {
            size_t nc = (size_t)n_out - pn * NR < NR ? (size_t)n_out - pn * NR : NR;
            const float *bp = packed + pn * kc * NR;
            for (size_t i = 0; i < n; i += MR) {
                size_t mr = n - i < MR ? n - i : MR, row = (size_t)p0 + i;
                u->fn(mr, nc, (size_t)n_in, taps, in, ind + row * taps, bp, out + row * n_out + pn * NR,
                      (size_t)n_out, 0);
            }
        }
    }
}

void nl_conv_forward(const nl_kernel_set *ks, const nl_conv_plan *p, const float *x, const float *w_packed,
                     float *y) {
    const nl_conv_dims *d = &p->d;
    conv_generic(ks, d->ho * d->wo, d->ci, d->co, (size_t)d->k * d->k, p->fwd, x, w_packed, y);
}

void nl_conv_backward_data(const nl_kernel_set *ks, const nl_conv_plan *p, const float *dy,
                           const float *w_packed_t, float *dx) {
    const nl_conv_dims *d = &p->d;
    conv_generic(ks, d->h * d->w, d->co, d->ci, (size_t)d->k * d->k, p->bwd, dy, w_packed_t, dx);
}

void nl_conv_backward_weights(const nl_kernel_set *ks, const nl_conv_plan *p, const float *x, const float *dy,
                              float *dw, float *scratch) {
    const nl_conv_dims *d = &p->d;
    const nl_wgrad_ukernel *u = nl_wgrad_pick(ks, (size_t)d->co);
    size_t MR = u->mr, NR = u->nr, taps = (size_t)d->k * d->k, ci = (size_t)d->ci, co = (size_t)d->co;
    float *dyp = scratch;
    int npix = d->ho * d->wo;
    for (int p0 = 0; p0 < npix; p0 += TILE) {
        size_t n = (size_t)(npix - p0 < TILE ? npix - p0 : TILE);
        nl_pack_b_panels(NR, n, co, dy + (size_t)p0 * co, co, dyp);
        const int32_t *ind = p->fwd + (size_t)p0 * taps;
        for (size_t tap = 0; tap < taps; tap++)
            for (size_t r0 = 0; r0 < ci; r0 += MR) {
                size_t mr = ci - r0 < MR ? ci - r0 : MR;
                for (size_t pn = 0; pn * NR < co; pn++) {
                    size_t nc = co - pn * NR < NR ? co - pn * NR : NR;
                    u->fn(mr, nc, n, x, ind + tap, taps, r0, dyp + pn * n * NR, dw + (tap * ci + r0) * co + pn * NR,
                          co);
                }
            }
    }
}
