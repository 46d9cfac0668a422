/* Microkernels against their scalar references, BIT FOR BIT (memcmp), on random sizes that
 * include partial tiles (mr < MR, nc < NR), channel counts that are not multiples of the
 * vector width, negative zeros and values on the ReLU kink. Finally the whole network
 * (forward, loss, backward; BN, GN, LN) must give identical bits with every set, which is what
 * makes native and Wasm training bit-identical.
 *
 *   test_kernels        the scalar and wasmsimd sets (the Wasm kernels through SIMDe)
 *   test_kernels ISA    one native set (avx2, avx512) against scalar; exits 77 (CTest: skipped)
 *                       with the reason when this build or this CPU does not have it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv_winograd.h"
#include "nn/kernels/nl_kernels.h"
#include "nn/nl_layers.h"
#include "nn/nl_net.h"
#include "base/nl_rng.h"
#include "nl_test.h"

static nl_rng rng;

/* Mostly "ordinary" floats of mixed magnitude, with some exact zeros and -0. */
static float rnd(void) {
    uint32_t k = nl_rng_below(&rng, 64);
    if (k == 0) return 0.0f;
    if (k == 1) return -0.0f;
    float v = 2.0f * nl_rng_uniform(&rng) - 1.0f;
    return k < 8 ? v * 1e-3f : k < 16 ? v * 37.0f : v;
}
static void fill(float *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = rnd();
}
static size_t pick(size_t lo, size_t hi) { return lo + nl_rng_below(&rng, (uint32_t)(hi - lo + 1)); }

/* ---------------------------------------------------------------- GEMM microkernels */

static const size_t kcs[] = {1, 2, 3, 7, 16, 27, 32, 77};

/* Random offsets of rows in a pool of pixel rows; some -1 (a row of zeros). */
static int32_t row_off(size_t pool_rows, size_t len) {
    if (nl_rng_below(&rng, 8) == 0) return -1;
    return (int32_t)(nl_rng_below(&rng, (uint32_t)pool_rows) * len);
}

static void check_igemm_ukernel(const char *name, nl_igemm_ukernel_fn fn, size_t MR, size_t NR) {
    int bad = 0;
    for (int iter = 0; iter < 400 && !bad; iter++) {
        size_t mr = iter < 2 * (int)MR ? (size_t)iter % MR + 1 : pick(1, MR);
        size_t nc = iter % 3 == 0 ? NR : pick(1, NR);
        size_t kc = kcs[nl_rng_below(&rng, 8)], ksz = pick(1, 9);
        int accumulate = (int)nl_rng_below(&rng, 2);
        size_t ldc = nc + pick(0, 9), pool_rows = 20;
        float *pool = malloc(sizeof(float) * pool_rows * kc), *b = malloc(sizeof(float) * ksz * kc * NR);
        int32_t *a = malloc(sizeof(int32_t) * ksz * MR);
        float *c1 = malloc(sizeof(float) * (MR + 1) * ldc), *c2 = malloc(sizeof(float) * (MR + 1) * ldc);
        fill(pool, pool_rows * kc);
        fill(b, ksz * kc * NR);
        for (size_t k = 0; k < ksz * kc; k++)
            for (size_t j = nc; j < NR; j++) b[k * NR + j] = 0.0f; /* packed panels are zero-padded */
        for (size_t i = 0; i < ksz * MR; i++) a[i] = row_off(pool_rows, kc);
        fill(c1, (MR + 1) * ldc);
        memcpy(c2, c1, sizeof(float) * (MR + 1) * ldc);
        nl_f32_igemm_ref__scalar(NR, mr, nc, kc, ksz, pool, a, b, c1, ldc, accumulate);
        fn(mr, nc, kc, ksz, pool, a, b, c2, ldc, accumulate);
        /* also checks that nothing outside the mr x nc tile was written */
        if (memcmp(c1, c2, sizeof(float) * (MR + 1) * ldc)) {
            bad = 1;
            CHECK_MSG(0, "%s: mr=%zu nc=%zu kc=%zu ks=%zu accumulate=%d differs from the scalar reference", name, mr,
                      nc, kc, ksz, accumulate);
        }
        free(pool);
        free(b);
        free(a);
        free(c1);
        free(c2);
    }
    if (!bad) CHECK(1);
}

static void check_wgrad_ukernel(const char *name, nl_wgrad_ukernel_fn fn, size_t MR, size_t NR) {
    int bad = 0;
    for (int iter = 0; iter < 400 && !bad; iter++) {
        size_t mr = iter < 2 * (int)MR ? (size_t)iter % MR + 1 : pick(1, MR);
        size_t nc = iter % 3 == 0 ? NR : pick(1, NR);
        size_t ko = pick(1, 6), ki = pick(1, 30), inner = pick(1, 40), outer = ki * inner + pick(0, 50);
        size_t kc = ko * ki, len = (ko - 1) * outer + (ki - 1) * inner + mr, ldc = nc + pick(0, 9);
        float *a = malloc(sizeof(float) * len), *b = malloc(sizeof(float) * kc * NR);
        float *c1 = malloc(sizeof(float) * (MR + 1) * ldc), *c2 = malloc(sizeof(float) * (MR + 1) * ldc);
        fill(a, len);
        fill(b, kc * NR);
        for (size_t k = 0; k < kc; k++)
            for (size_t j = nc; j < NR; j++) b[k * NR + j] = 0.0f;
        fill(c1, (MR + 1) * ldc);
        memcpy(c2, c1, sizeof(float) * (MR + 1) * ldc);
        nl_f32_wgrad_ref__scalar(NR, mr, nc, ko, ki, a, outer, inner, b, c1, ldc);
        fn(mr, nc, ko, ki, a, outer, inner, b, c2, ldc);
        if (memcmp(c1, c2, sizeof(float) * (MR + 1) * ldc)) {
            bad = 1;
            CHECK_MSG(0, "%s: mr=%zu nc=%zu ko=%zu ki=%zu differs from the scalar reference", name, mr, nc, ko, ki);
        }
        free(a);
        free(b);
        free(c1);
        free(c2);
    }
    if (!bad) CHECK(1);
}

/* ---------------------------------------------------------------- convolutions
 * nl_conv_* (tiling, indirection, packing) against plain loops written in the defining order:
 * forward sums taps (kh, kw) then input channels, zeros included for padding; backward data
 * is the same on dy with flipped weights; backward weights sums pixels in order. */

static float xat(const float *x, int h, int w, int c, int iy, int ix, int ch) {
    return (iy < 0 || iy >= h || ix < 0 || ix >= w) ? 0.0f : x[((size_t)iy * w + ix) * c + ch];
}

/* Winograd F(2x2, 3x3) written from its definition (nl_kernels.h, conv_winograd.c), one tile
 * and one channel at a time in the defining order: what nl_conv_* must match bit for bit on
 * the layers it runs through Winograd (nl_conv_winograd). in[h][w][cin] zero-padded by pad,
 * g(kh, kw, i, o) the kernel; out[ho][wo][cout]. */
static void wino_tile_in(float d[4][4], float v[16]) {
    float t[4][4];
    for (int i = 0; i < 4; i++) {
        t[i][0] = d[i][0] - d[i][2];
        t[i][1] = d[i][1] + d[i][2];
        t[i][2] = d[i][2] - d[i][1];
        t[i][3] = d[i][1] - d[i][3];
    }
    for (int j = 0; j < 4; j++) {
        v[j] = t[0][j] - t[2][j];
        v[4 + j] = t[1][j] + t[2][j];
        v[8 + j] = t[2][j] - t[1][j];
        v[12 + j] = t[1][j] - t[3][j];
    }
}
static void wino_kernel(float g[3][3], float u[16]) {
    float q[4][3];
    for (int j = 0; j < 3; j++) {
        q[0][j] = g[0][j];
        q[1][j] = ((g[0][j] + g[1][j]) + g[2][j]) * 0.5f;
        q[2][j] = ((g[0][j] - g[1][j]) + g[2][j]) * 0.5f;
        q[3][j] = g[2][j];
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i] = q[i][0];
        u[4 * i + 1] = ((q[i][0] + q[i][1]) + q[i][2]) * 0.5f;
        u[4 * i + 2] = ((q[i][0] - q[i][1]) + q[i][2]) * 0.5f;
        u[4 * i + 3] = q[i][2];
    }
}
/* flip: the backward-data kernel g(kh, kw, i, o) = wt[2-kh][2-kw][o][i] (wt: the layer's [3][3][ci][co],
 * whose ci is this conv's cout) */
static void wino_ref_conv(int h, int w, int cin, int pad, int cout, const float *in, const float *wt, int flip,
                          float *out) {
    int ho = h + 2 * pad - 2, wo = w + 2 * pad - 2;
    float *u = malloc(sizeof(float) * 16 * cin * cout), *v = malloc(sizeof(float) * 16 * cin);
    for (int i = 0; i < cin; i++)
        for (int o = 0; o < cout; o++) {
            float g[3][3];
            for (int kh = 0; kh < 3; kh++)
                for (int kw = 0; kw < 3; kw++)
                    g[kh][kw] = flip ? wt[(((size_t)(2 - kh) * 3 + (2 - kw)) * cout + o) * cin + i]
                                     : wt[(((size_t)kh * 3 + kw) * cin + i) * cout + o];
            float ue[16];
            wino_kernel(g, ue);
            for (int e = 0; e < 16; e++) u[((size_t)e * cin + i) * cout + o] = ue[e];
        }
    for (int ty = 0; ty < ho; ty += 2)
        for (int tx = 0; tx < wo; tx += 2) {
            for (int i = 0; i < cin; i++) {
                float d[4][4];
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) d[a][b] = xat(in, h, w, cin, ty + a - pad, tx + b - pad, i);
                float ve[16];
                wino_tile_in(d, ve);
                for (int e = 0; e < 16; e++) v[(size_t)e * cin + i] = ve[e];
            }
            for (int o = 0; o < cout; o++) {
                float m[16], s[2][4];
                for (int e = 0; e < 16; e++) {
                    float acc = 0.0f;
                    for (int i = 0; i < cin; i++) acc = acc + v[(size_t)e * cin + i] * u[((size_t)e * cin + i) * cout + o];
                    m[e] = acc;
                }
                for (int j = 0; j < 4; j++) {
                    s[0][j] = (m[j] + m[4 + j]) + m[8 + j];
                    s[1][j] = (m[4 + j] - m[8 + j]) - m[12 + j];
                }
                for (int a = 0; a < 2 && ty + a < ho; a++) {
                    out[((size_t)(ty + a) * wo + tx) * cout + o] = (s[a][0] + s[a][1]) + s[a][2];
                    if (tx + 1 < wo) out[((size_t)(ty + a) * wo + tx + 1) * cout + o] = (s[a][1] - s[a][2]) - s[a][3];
                }
            }
        }
    free(u);
    free(v);
}
/* dw[3][3][ci][co] += G^T dU G, dU[e][i][o] = sum over tiles in order of V[e][i] (A dy A^T)[e][o] */
static void wino_ref_wgrad(const nl_conv_dims *d, const float *x, const float *dy, float *dw) {
    int ci = d->ci, co = d->co;
    float *du = calloc((size_t)16 * ci * co, sizeof(float));
    for (int ty = 0; ty < d->ho; ty += 2)
        for (int tx = 0; tx < d->wo; tx += 2)
            for (int i = 0; i < ci; i++) {
                float dd[4][4], ve[16];
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) dd[a][b] = xat(x, d->h, d->w, ci, ty + a - d->pad, tx + b - d->pad, i);
                wino_tile_in(dd, ve);
                for (int o = 0; o < co; o++) {
                    float t[2][4], me[16];
                    for (int a = 0; a < 2; a++) {
                        float g0 = xat(dy, d->ho, d->wo, co, ty + a, tx, o), g1 = xat(dy, d->ho, d->wo, co, ty + a, tx + 1, o);
                        t[a][0] = g0;
                        t[a][1] = g0 + g1;
                        t[a][2] = g0 - g1;
                        t[a][3] = -g1;
                    }
                    for (int j = 0; j < 4; j++) {
                        me[j] = t[0][j];
                        me[4 + j] = t[0][j] + t[1][j];
                        me[8 + j] = t[0][j] - t[1][j];
                        me[12 + j] = -t[1][j];
                    }
                    for (int e = 0; e < 16; e++) {
                        float *acc = &du[((size_t)e * ci + i) * co + o];
                        *acc = *acc + ve[e] * me[e];
                    }
                }
            }
    for (int i = 0; i < ci; i++)
        for (int o = 0; o < co; o++) {
            float r[3][4];
            for (int j = 0; j < 4; j++) {
                float u0 = du[((size_t)j * ci + i) * co + o], u1 = du[((size_t)(4 + j) * ci + i) * co + o];
                float u2 = du[((size_t)(8 + j) * ci + i) * co + o], u3 = du[((size_t)(12 + j) * ci + i) * co + o];
                float sm = (u1 + u2) * 0.5f;
                r[0][j] = u0 + sm;
                r[1][j] = (u1 - u2) * 0.5f;
                r[2][j] = sm + u3;
            }
            for (int a = 0; a < 3; a++) {
                float sm = (r[a][1] + r[a][2]) * 0.5f;
                float *o0 = &dw[(((size_t)a * 3 + 0) * ci + i) * co + o], *o1 = o0 + (size_t)ci * co, *o2 = o1 + (size_t)ci * co;
                *o0 = *o0 + (r[a][0] + sm);
                *o1 = *o1 + (r[a][1] - r[a][2]) * 0.5f;
                *o2 = *o2 + (sm + r[a][3]);
            }
        }
    free(du);
}

/* |a - b| within rel of the largest sum of |terms| of the tensor: Winograd mixes a tile's
 * 16 inputs, so an element's rounding error scales with its neighbours' terms, not its own. */
static int close_to(const float *a, const float *b, const float *mag, size_t n, double rel, double *worst) {
    double top = 1e-30, err = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (mag[i] > top) top = mag[i];
        double e = fabs((double)a[i] - b[i]);
        if (e > err) err = e;
    }
    if (err / top > *worst) *worst = err / top;
    return err <= rel * top;
}

static void check_conv(const nl_kernel_set *ks) {
    int bad = 0, n_wino = 0;
    double wino_worst[3] = {0, 0, 0}; /* largest |winograd - direct| / sum |terms|: y, dx, dw */
    for (int iter = 0; iter < 24 && !bad; iter++) {
        nl_conv_dims d;
        d.k = iter % 3 == 2 ? 1 : 3;
        d.pad = d.k == 3 ? (int)nl_rng_below(&rng, 2) : 0;
        d.h = (int)pick(3, 17);
        d.w = iter == 5 ? 140 : (int)pick(3, 17); /* once wider than a backward-weights tile */
        d.ci = (int)pick(1, 40);
        d.co = iter % 4 == 0 ? 16 * (int)pick(1, 2) : (int)pick(1, 40);
        d.ho = d.h + 2 * d.pad - d.k + 1;
        d.wo = d.w + 2 * d.pad - d.k + 1;
        size_t nx = (size_t)d.h * d.w * d.ci, ny = (size_t)d.ho * d.wo * d.co, nw = (size_t)d.k * d.k * d.ci * d.co;
        float *x = malloc(sizeof(float) * nx), *wt = malloc(sizeof(float) * nw), *dy = malloc(sizeof(float) * ny);
        float *y1 = malloc(sizeof(float) * ny), *y2 = malloc(sizeof(float) * ny);
        float *dx1 = malloc(sizeof(float) * nx), *dx2 = malloc(sizeof(float) * nx);
        float *dw1 = malloc(sizeof(float) * nw), *dw2 = malloc(sizeof(float) * nw);
        float *pk = malloc(sizeof(float) * nl_conv_packed_floats(&d));
        float *pkt = malloc(sizeof(float) * nl_conv_packed_t_floats(&d));
        float *scratch = malloc(sizeof(float) * nl_conv_scratch_floats(&d));
        nl_conv_plan plan;
        CHECK(nl_conv_plan_init(&plan, &d) == 0);
        fill(x, nx);
        fill(wt, nw);
        fill(dy, ny);
        fill(dw1, nw);
        memcpy(dw2, dw1, sizeof(float) * nw);
        int k = d.k;
        /* mags: the sums of |term| (tolerances of the Winograd comparison); dw0: dw's fill */
        float *ym = malloc(sizeof(float) * ny), *dxm = malloc(sizeof(float) * nx), *dwm = malloc(sizeof(float) * nw);
        float *dw0 = malloc(sizeof(float) * nw);
        memcpy(dw0, dw1, sizeof(float) * nw);
        for (int oy = 0; oy < d.ho; oy++)
            for (int ox = 0; ox < d.wo; ox++)
                for (int o = 0; o < d.co; o++) {
                    float acc = 0.0f, mag = 0.0f;
                    for (int kh = 0; kh < k; kh++)
                        for (int kw = 0; kw < k; kw++)
                            for (int c = 0; c < d.ci; c++) {
                                float t = xat(x, d.h, d.w, d.ci, oy + kh - d.pad, ox + kw - d.pad, c) *
                                          wt[(((size_t)kh * k + kw) * d.ci + c) * d.co + o];
                                acc = acc + t;
                                mag += fabsf(t);
                            }
                    y1[((size_t)oy * d.wo + ox) * d.co + o] = acc;
                    ym[((size_t)oy * d.wo + ox) * d.co + o] = mag;
                }
        int bp = k - 1 - d.pad;
        for (int iy = 0; iy < d.h; iy++)
            for (int ix = 0; ix < d.w; ix++)
                for (int c = 0; c < d.ci; c++) {
                    float acc = 0.0f, mag = 0.0f;
                    for (int kh = 0; kh < k; kh++)
                        for (int kw = 0; kw < k; kw++)
                            for (int o = 0; o < d.co; o++) {
                                float t = xat(dy, d.ho, d.wo, d.co, iy + kh - bp, ix + kw - bp, o) *
                                          wt[(((size_t)(k - 1 - kh) * k + (k - 1 - kw)) * d.ci + c) * d.co + o];
                                acc = acc + t;
                                mag += fabsf(t);
                            }
                    dx1[((size_t)iy * d.w + ix) * d.ci + c] = acc;
                    dxm[((size_t)iy * d.w + ix) * d.ci + c] = mag;
                }
        for (int kh = 0; kh < k; kh++)
            for (int kw = 0; kw < k; kw++)
                for (int c = 0; c < d.ci; c++)
                    for (int o = 0; o < d.co; o++) {
                        size_t at = (((size_t)kh * k + kw) * d.ci + c) * d.co + o;
                        float *acc = &dw1[at];
                        dwm[at] = fabsf(*acc);
                        for (int oy = 0; oy < d.ho; oy++)
                            for (int ox = 0; ox < d.wo; ox++) {
                                float t = xat(x, d.h, d.w, d.ci, oy + kh - d.pad, ox + kw - d.pad, c) *
                                          dy[((size_t)oy * d.wo + ox) * d.co + o];
                                *acc = *acc + t;
                                dwm[at] += fabsf(t);
                            }
                    }
        nl_conv_pack_weights(ks, &d, wt, pk);
        nl_conv_pack_weights_t(ks, &d, wt, pkt);
        nl_conv_forward(ks, &plan, x, pk, y2, scratch);
        nl_conv_backward_data(ks, &plan, dy, pkt, dx2, scratch);
        nl_conv_backward_weights(ks, &plan, x, dy, dw2, scratch);
        nl_conv_plan_free(&plan);
        int ok_y, ok_dx, ok_dw, wino = nl_conv_winograd(&d);
        if (!wino) { /* direct: the plain loops' bits */
            ok_y = !memcmp(y1, y2, sizeof(float) * ny);
            ok_dx = !memcmp(dx1, dx2, sizeof(float) * nx);
            ok_dw = !memcmp(dw1, dw2, sizeof(float) * nw);
        } else { /* Winograd: the bits of its definition, values near the plain loops' */
            float *y3 = malloc(sizeof(float) * ny), *dx3 = malloc(sizeof(float) * nx);
            wino_ref_conv(d.h, d.w, d.ci, d.pad, d.co, x, wt, 0, y3);
            wino_ref_conv(d.ho, d.wo, d.co, 2 - d.pad, d.ci, dy, wt, 1, dx3);
            wino_ref_wgrad(&d, x, dy, dw0);
            /* measured worst (printed below): a few 1e-7 of the largest sum of |terms|; a tiling
             * or transform mistake is off by O(1) */
            const double rel = 1e-5;
            int by = !memcmp(y3, y2, sizeof(float) * ny), bdx = !memcmp(dx3, dx2, sizeof(float) * nx),
                bdw = !memcmp(dw0, dw2, sizeof(float) * nw);
            int cy = close_to(y2, y1, ym, ny, rel, &wino_worst[0]), cdx = close_to(dx2, dx1, dxm, nx, rel, &wino_worst[1]),
                cdw = close_to(dw2, dw1, dwm, nw, rel, &wino_worst[2]);
            ok_y = by && cy;
            ok_dx = bdx && cdx;
            ok_dw = bdw && cdw;
            free(y3);
            free(dx3);
        }
        if (!(ok_y && ok_dx && ok_dw)) {
            bad = 1;
            CHECK_MSG(0, "conv[%s] %dx%dx%d -> %d, k=%d pad=%d%s: forward %s, backward data %s, weights %s", ks->isa,
                      d.h, d.w, d.ci, d.co, k, d.pad, wino ? " (Winograd)" : "", ok_y ? "ok" : "DIFFERS",
                      ok_dx ? "ok" : "DIFFERS", ok_dw ? "ok" : "DIFFERS");
        }
        n_wino += wino;
        free(ym);
        free(dxm);
        free(dwm);
        free(dw0);
        free(x);
        free(wt);
        free(dy);
        free(y1);
        free(y2);
        free(dx1);
        free(dx2);
        free(dw1);
        free(dw2);
        free(pk);
        free(pkt);
        free(scratch);
    }
    printf("  conv[%s]: %d of 24 shapes through Winograd; worst max |winograd - direct| / max sum |terms|: y %.2g, dx %.2g, "
           "dw %.2g\n", ks->isa, n_wino, wino_worst[0], wino_worst[1], wino_worst[2]);
    if (!bad) CHECK(1);
}

/* ---------------------------------------------------------------- normalisation kernels */

static void check_norm(const nl_kernel_set *ks) {
    static const size_t cs[] = {1, 3, 4, 5, 7, 8, 12, 16, 20, 24, 31, 32, 40, 48, 64, 100};
    int bad = 0;
    for (int iter = 0; iter < 64 && !bad; iter++) {
        size_t c = cs[iter % 16], npix = pick(1, 60);
        size_t n = npix * c;
        float *x = malloc(sizeof(float) * n), *dout = malloc(sizeof(float) * n);
        float *o1 = malloc(sizeof(float) * n), *o2 = malloc(sizeof(float) * n);
        float *g1 = malloc(sizeof(float) * n), *g2 = malloc(sizeof(float) * n);
        float prm[4][100]; /* scale, shift, k2, k3 */
        double d1[4][100], d2[4][100];
        fill(x, n);
        fill(dout, n);
        for (int i = 0; i < 4; i++) fill(prm[i], c);
        /* put some x where x * scale + shift is exactly 0 (+0 or -0: the ReLU's kink) */
        for (size_t i = 0; i < n; i += 5) {
            size_t ch = i % c;
            x[i] = 0.5f;
            prm[0][ch] = 2.0f;
            prm[1][ch] = ch % 2 ? -1.0f : 1.0f;
        }
        for (int i = 0; i < 4; i++)
            for (size_t ch = 0; ch < c; ch++) d1[i][ch] = d2[i][ch] = (double)rnd();

        nl_f32_chansum__scalar(npix, c, x, d1[0], d1[1]);
        ks->chansum(npix, c, x, d2[0], d2[1]);
        int ok = !memcmp(d1[0], d2[0], sizeof(double) * c) && !memcmp(d1[1], d2[1], sizeof(double) * c);

        nl_f32_normrelu__scalar(npix, c, x, prm[0], prm[1], o1);
        ks->normrelu(npix, c, x, prm[0], prm[1], o2);
        ok = ok && !memcmp(o1, o2, sizeof(float) * n);

        nl_f32_normrelu_bwd__scalar(npix, c, x, prm[0], prm[1], dout, d1[2], d1[3]);
        ks->normrelu_bwd(npix, c, x, prm[0], prm[1], dout, d2[2], d2[3]);
        ok = ok && !memcmp(d1[2], d2[2], sizeof(double) * c) && !memcmp(d1[3], d2[3], sizeof(double) * c);

        nl_f32_norm_dx__scalar(npix, c, x, prm[0], prm[1], dout, prm[2], prm[3], g1);
        ks->norm_dx(npix, c, x, prm[0], prm[1], dout, prm[2], prm[3], g2);
        ok = ok && !memcmp(g1, g2, sizeof(float) * n);
        /* in place (dx == dout), as the network does */
        memcpy(g2, dout, sizeof(float) * n);
        ks->norm_dx(npix, c, x, prm[0], prm[1], g2, prm[2], prm[3], g2);
        ok = ok && !memcmp(g1, g2, sizeof(float) * n);
        if (!ok) {
            bad = 1;
            CHECK_MSG(0, "norm kernels [%s] npix=%zu c=%zu differ from the scalar reference", ks->isa, npix, c);
        }
        free(x);
        free(dout);
        free(o1);
        free(o2);
        free(g1);
        free(g2);
    }
    if (!bad) CHECK(1);
}

/* ---------------------------------------------------------------- Winograd transforms
 * Each set's wino23_{in,out,dyt} bit for bit against the scalar reference: channel counts
 * around the vector widths (tails), padded strides, partial output tiles (oh, ow < 2). */
static void check_wino(const nl_kernel_set *ks) {
    int bad = 0;
    for (int iter = 0; iter < 40 && !bad; iter++) {
        size_t c = pick(1, 40), px = c + pick(0, 5), row = 4 * px + pick(0, 9), vs = c + pick(0, 7);
        size_t oh = pick(1, 2), ow = pick(1, 2);
        float *x = malloc(sizeof(float) * 4 * row), *v1 = malloc(sizeof(float) * 16 * vs),
              *v2 = malloc(sizeof(float) * 16 * vs), *y1 = malloc(sizeof(float) * 2 * row),
              *y2 = malloc(sizeof(float) * 2 * row);
        fill(x, 4 * row);
        fill(v1, 16 * vs);
        memcpy(v2, v1, sizeof(float) * 16 * vs);
        fill(y1, 2 * row);
        memcpy(y2, y1, sizeof(float) * 2 * row);
        /* in: pixel stride c (the kernels' contract), rows at `row` */
        nl_f32_wino23_in__scalar(c, x, row, v1, vs);
        ks->wino_in(c, x, row, v2, vs);
        int ok_in = !memcmp(v1, v2, sizeof(float) * 16 * vs);
        /* out: m = v1, partial tiles; the floats not written must stay */
        nl_f32_wino23_out__scalar(c, v1, vs, y1, row, oh, ow);
        ks->wino_out(c, v1, vs, y2, row, oh, ow);
        int ok_out = !memcmp(y1, y2, sizeof(float) * 2 * row);
        /* dyt: pixel stride px >= c */
        nl_f32_wino23_dyt__scalar(c, x, row, px, oh, ow, v1, vs);
        ks->wino_dyt(c, x, row, px, oh, ow, v2, vs);
        int ok_dyt = !memcmp(v1, v2, sizeof(float) * 16 * vs);
        if (!(ok_in && ok_out && ok_dyt)) {
            bad = 1;
            CHECK_MSG(0, "wino23 [%s] c=%zu oh=%zu ow=%zu: in %s, out %s, dyt %s", ks->isa, c, oh, ow,
                      ok_in ? "ok" : "DIFFERS", ok_out ? "ok" : "DIFFERS", ok_dyt ? "ok" : "DIFFERS");
        }
        free(x);
        free(v1);
        free(v2);
        free(y1);
        free(y2);
    }
    if (!bad) CHECK(1);
}

/* ---------------------------------------------------------------- max pool */

static void check_maxpool(const nl_kernel_set *ks) {
    int bad = 0;
    for (int iter = 0; iter < 40 && !bad; iter++) {
        size_t h = pick(2, 13), w = pick(2, 13), c = pick(1, 40);
        if (iter % 4 == 0) c = 16 * pick(1, 2);
        size_t nx = h * w * c, ny = (h / 2) * (w / 2) * c;
        float *x = malloc(sizeof(float) * nx), *y1 = malloc(sizeof(float) * ny), *y2 = malloc(sizeof(float) * ny);
        float *dy = malloc(sizeof(float) * ny), *dx1 = malloc(sizeof(float) * nx), *dx2 = malloc(sizeof(float) * nx);
        uint8_t *a1 = malloc(ny), *a2 = malloc(ny);
        fill(x, nx);
        for (size_t i = 0; i < nx; i++)
            if (nl_rng_below(&rng, 4) == 0) x[i] = 0.25f; /* ties: the first maximum must win */
        fill(dy, ny);
        fill(dx2, nx); /* backward must overwrite everything */
        nl_f32_maxpool__scalar(h, w, c, x, y1, a1);
        ks->maxpool(h, w, c, x, y2, a2);
        nl_f32_maxpool_bwd__scalar(h, w, c, dy, a1, dx1);
        ks->maxpool_bwd(h, w, c, dy, a1, dx2);
        if (memcmp(y1, y2, sizeof(float) * ny) || memcmp(a1, a2, ny) || memcmp(dx1, dx2, sizeof(float) * nx)) {
            bad = 1;
            CHECK_MSG(0, "maxpool [%s] %zux%zux%zu differs from the scalar reference", ks->isa, h, w, c);
        }
        free(x);
        free(y1);
        free(y2);
        free(dy);
        free(dx1);
        free(dx2);
        free(a1);
        free(a2);
    }
    if (!bad) CHECK(1);
}

/* ---------------------------------------------------------------- whole network */

static const char *isas[4];
static int n_isas;

static void check_net(const nl_model_desc *d, const char *what) {
    const int n = 11; /* chunks of 8: one full, one partial */
    float *ref = NULL;
    size_t np = 0;
    double ref_loss = 0.0;
    for (int s = 0; s < n_isas; s++) {
        if (nl_kernels_select(isas[s])) continue; /* not available here */
        nl_status st;
        nl_net net;
        CHECK(nl_net_init(&net, d, n, NULL, 7, &st) == 0);
        nl_rng r = nl_rng_stream(99, 1, 2);
        size_t in = (size_t)n * d->in_hw * d->in_hw * d->in_channels;
        for (size_t i = 0; i < in; i++) net.x[i] = 2.0f * nl_rng_uniform(&r) - 1.0f;
        uint8_t labels[16];
        for (int i = 0; i < n; i++) labels[i] = (uint8_t)nl_rng_below(&r, 10);
        net.label_smoothing = 0.1f;
        double loss = nl_net_forward(&net, n, labels, 1);
        nl_net_backward(&net, labels);
        np = net.L.n_params;
        /* grads, logits and BN running stats: all must be the same bits */
        size_t total = np + (size_t)n * d->classes + net.L.n_bn_state;
        float *got = malloc(sizeof(float) * total);
        memcpy(got, net.grads, sizeof(float) * np);
        memcpy(got + np, net.logits, sizeof(float) * (size_t)n * d->classes);
        memcpy(got + np + (size_t)n * d->classes, net.bn_state, sizeof(float) * net.L.n_bn_state);
        if (!ref) {
            ref = got;
            ref_loss = loss;
        } else {
            CHECK_MSG(!memcmp(ref, got, sizeof(float) * total) && loss == ref_loss,
                      "%s: kernel set %s gives different bits than scalar", what, isas[s]);
            free(got);
        }
        nl_net_free(&net);
    }
    free(ref);
    nl_kernels_select("auto");
}

/* Why a native set is missing: not compiled in, or this CPU lacks the instructions. */
static void explain_missing(const char *isa) {
    int cpu = -1; /* unknown */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (!strcmp(isa, "avx2")) cpu = __builtin_cpu_supports("avx2");
    if (!strcmp(isa, "avx512")) cpu = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#endif
    printf("test_kernels: SKIPPED: the %s kernels cannot run here: %s (sets available: %s)\n", isa,
           cpu == 0 ? "this CPU does not have the instructions"
                    : "not built in (non-x86 target, or CMake option NL_NATIVE_WIDE=OFF)",
           nl_kernels_available());
}

int main(int argc, char **argv) {
    rng = nl_rng_stream(2024, 3, 4);
    printf("kernel sets available: %s (default: %s)\n", nl_kernels_available(), nl_kernels()->isa);
    isas[n_isas++] = "scalar";
    if (argc > 1) {
        if (!nl_kernels_find(argv[1]) || !strcmp(argv[1], "scalar")) {
            explain_missing(argv[1]);
            return 77;
        }
        isas[n_isas++] = argv[1];
    } else {
        isas[n_isas++] = "wasmsimd";
        isas[n_isas++] = "wasmsimd_unroll4";
    }

    for (int s = argc > 1; s < n_isas; s++) { /* scalar's own kernels: in the run without ISA */
        const nl_kernel_set *ks = nl_kernels_find(isas[s]);
        printf("  %s: %s, %s, %s, %s\n", ks->isa, ks->igemm_narrow.name, ks->igemm_wide.name, ks->wgrad_narrow.name,
               ks->wgrad_wide.name);
        check_igemm_ukernel(ks->igemm_narrow.name, ks->igemm_narrow.fn, ks->igemm_narrow.mr, ks->igemm_narrow.nr);
        check_igemm_ukernel(ks->igemm_wide.name, ks->igemm_wide.fn, ks->igemm_wide.mr, ks->igemm_wide.nr);
        check_wgrad_ukernel(ks->wgrad_narrow.name, ks->wgrad_narrow.fn, ks->wgrad_narrow.mr, ks->wgrad_narrow.nr);
        check_wgrad_ukernel(ks->wgrad_wide.name, ks->wgrad_wide.fn, ks->wgrad_wide.mr, ks->wgrad_wide.nr);
        check_wino(ks);
        check_conv(ks);
        check_norm(ks);
        check_maxpool(ks);
    }

    nl_model_desc d;
    const char *norms[] = {"bn", "gn", "ln"};
    for (int k = 0; k < 3; k++) {
        char what[64];
        nl_model_desc_reference(&d, (nl_norm_kind)k);
        snprintf(what, sizeof what, "reference net, %s", norms[k]);
        check_net(&d, what);
        nl_model_desc_default(&d, (nl_norm_kind)k);
        d.dropout = 0.1f;
        snprintf(what, sizeof what, "default net + dropout, %s", norms[k]);
        check_net(&d, what);
    }
    /* odd widths: partial vectors and partial GEMM panels everywhere */
    nl_model_desc_default(&d, NL_NORM_GN);
    static const int odd[NL_NUM_BLOCKS] = {5, 12, 7, 20, 9, 9, 13, 4, 36, 36};
    memcpy(d.width, odd, sizeof odd);
    d.groups = 1;
    d.n_skips = 0;
    check_net(&d, "odd widths, gn");
    d.norm = NL_NORM_BN;
    d.groups = 0;
    check_net(&d, "odd widths, bn");
    char name[64];
    snprintf(name, sizeof name, "test_kernels%s%s", argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
    return nl_test_finish(name);
}
