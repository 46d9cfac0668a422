/* Winograd F(2x2, 3x3) convolution (Lavin & Gray 2015) for the stride-1 3x3 layers, one NHWC
 * image at a time. The output is cut into 2x2 tiles, each reading a 4x4 input tile (stride 2);
 * with B, G, A the F(2x2, 3x3) matrices (nl_kernels.h):
 *   forward        V = B^T d B (per tile, channel), U = G g G^T (per ci, co: packed once per
 *                  step), M[e] = V[e] x U[e] (16 GEMMs [tiles x ci] x [ci x co]),
 *                  y = A^T M A: 16 multiplies per 4 outputs instead of 36.
 *   backward data  the same on dy padded by 2 - pad, with the flipped, transposed kernel.
 *   weights        dU[e] = sum over tiles of V[e]^T (A dy A^T)[e] (16 GEMMs [ci x tiles] x
 *                  [tiles x co]), dw += G^T dU G.
 * Tiles go in blocks of at most NL_WINO_TILES: transform a block's inputs, run the 16 GEMMs
 * with the set's IGEMM (1 tap, rows = tiles) or WGRAD kernel, transform the outputs. The
 * transforms are the set's kernels (bit-identical across sets), the weight transforms plain C
 * (G holds 0.5: exact), so native and Wasm still give the same bits. */
#include "nn/conv_winograd.h"

#include <stdlib.h>

#include "nn/kernels/nl_kernels.h"

#if defined(__clang__)
#define NL_NO_MEMCPY __attribute__((no_builtin("memcpy", "memset"))) /* short rows: see conv.c */
#else
#define NL_NO_MEMCPY
#endif

static size_t al16(size_t n) { return (n + 15) / 16 * 16; }
static size_t round_nr(size_t n) { return (n + NL_GEMM_MAX_NR - 1) / NL_GEMM_MAX_NR * NL_GEMM_MAX_NR; }
static size_t maxz(size_t a, size_t b) { return a > b ? a : b; }

/* NL_WINOGRAD=0 in the environment (read once) keeps every layer direct: for measurements
 * only (the bits then differ from the page's). */
static int wino_allowed(void) {
    static int allowed = -1;
    if (allowed < 0) {
        const char *e = getenv("NL_WINOGRAD");
        allowed = !(e && e[0] == '0');
    }
    return allowed;
}

int nl_conv_winograd(const nl_conv_dims *d) { return wino_allowed() && d->k == 3 && d->ci >= 8 && d->co >= 8; }

/* Tiles cover (2 th) x (2 tw) outputs, so the padded input is (2 th + 2) x (2 tw + 2): an odd
 * output size adds a zero row / column at the bottom / right. */
static size_t tiles_of(int n) { return ((size_t)n + 1) / 2; }
static size_t padded_floats(int ho, int wo, int c) { return (2 * tiles_of(ho) + 2) * (2 * tiles_of(wo) + 2) * (size_t)c; }

size_t nl_wino_scratch_floats(const nl_conv_dims *d) {
    size_t cmax = maxz((size_t)d->ci, (size_t)d->co);
    size_t pad = maxz(padded_floats(d->ho, d->wo, d->ci), padded_floats(d->h, d->w, d->co));
    size_t v = 16 * (size_t)NL_WINO_TILES * cmax;                 /* V: [16][tiles][cin] */
    size_t m = 16 * (size_t)NL_WINO_TILES * round_nr(cmax);       /* M [16][tiles][cout], or packed A dy A^T */
    size_t du = 16 * (size_t)d->ci * d->co;                       /* dU [16][ci][co] */
    return al16(pad) + al16(v) + al16(m) + al16(du);
}

size_t nl_wino_packed_floats(size_t rows, size_t cols) { return 16 * rows * round_nr(cols); }

/* x[h][w][c] -> out[hp][wp][c]: x at (pad, pad), zeros around; x itself when nothing to add */
static NL_NO_MEMCPY const float *pad_tiles(const float *x, int h, int w, int c, int pad, size_t hp, size_t wp,
                                           float *out) {
    if (!pad && hp == (size_t)h && wp == (size_t)w) return x;
    size_t left = (size_t)pad * c, row = (size_t)w * c, prow = wp * c;
    for (size_t y = 0; y < hp; y++) {
        float *o = out + y * prow;
        size_t i = 0;
        if (y >= (size_t)pad && y < (size_t)pad + h) {
            const float *s = x + (y - pad) * row;
            for (; i < left; i++) o[i] = 0.0f;
            for (size_t k = 0; k < row; k++) o[i + k] = s[k];
            i += row;
        }
        for (; i < prow; i++) o[i] = 0.0f;
    }
    return out;
}

/* U = G g G^T of one 3x3 g (g[i][j] at g + i * s_row + j * s_col): down the columns, then along
 * the rows; the 16 values at u + e * u_stride. G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]. */
static void kernel_transform(const float *g, ptrdiff_t s_row, ptrdiff_t s_col, float *u, size_t u_stride) {
    float q[4][3];
    for (int j = 0; j < 3; j++) {
        float g0 = g[j * s_col], g1 = g[s_row + j * s_col], g2 = g[2 * s_row + j * s_col];
        q[0][j] = g0;
        q[1][j] = ((g0 + g1) + g2) * 0.5f;
        q[2][j] = ((g0 - g1) + g2) * 0.5f;
        q[3][j] = g2;
    }
    for (int i = 0; i < 4; i++) {
        float a = q[i][0], b = q[i][1], c = q[i][2];
        u[(4 * i + 0) * u_stride] = a;
        u[(4 * i + 1) * u_stride] = ((a + b) + c) * 0.5f;
        u[(4 * i + 2) * u_stride] = ((a - b) + c) * 0.5f;
        u[(4 * i + 3) * u_stride] = c;
    }
}

void nl_wino_pack(const nl_kernel_set *ks, const nl_conv_dims *d, const float *w, int flip, float *packed) {
    size_t ci = (size_t)d->ci, co = (size_t)d->co;
    size_t rows = flip ? co : ci, cols = flip ? ci : co;
    size_t nr = nl_igemm_pick(ks, cols)->nr, e_floats = nl_packed_floats(rows, cols, nr);
    for (size_t p = 0; p * nr < cols; p++)
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < nr; j++) {
                size_t col = p * nr + j;
                float *u = packed + p * rows * nr + r * nr + j; /* element (r, col) of GEMM e at u + e * e_floats */
                if (col >= cols) {
                    for (size_t e = 0; e < 16; e++) u[e * e_floats] = 0.0f;
                } else if (!flip) { /* g[kh][kw] = w[kh][kw][r][col] */
                    kernel_transform(w + r * co + col, (ptrdiff_t)(3 * ci * co), (ptrdiff_t)(ci * co), u, e_floats);
                } else { /* g[kh][kw] = w[2-kh][2-kw][col][r] */
                    kernel_transform(w + 8 * ci * co + col * co + r, -(ptrdiff_t)(3 * ci * co), -(ptrdiff_t)(ci * co), u,
                                     e_floats);
                }
            }
}

/* the output tile t of a row of tw tiles: its first pixel and its size (2x2, less at odd edges) */
typedef struct {
    size_t y, x, oh, ow;
} tile_pos;
static tile_pos tile_at(size_t t, size_t tw, int ho, int wo) {
    tile_pos p = {2 * (t / tw), 2 * (t % tw), 0, 0};
    p.oh = (size_t)ho - p.y < 2 ? 1 : 2;
    p.ow = (size_t)wo - p.x < 2 ? 1 : 2;
    return p;
}

/* blocks of at most NL_WINO_TILES tiles, as even as possible */
static size_t block_tiles(size_t nt) {
    size_t nblk = (nt + NL_WINO_TILES - 1) / NL_WINO_TILES;
    return (nt + nblk - 1) / nblk;
}

void nl_wino_conv(const nl_kernel_set *ks, int h, int w, int cin, int pad, int ho, int wo, int cout,
                  const float *in, const float *packed, const int32_t *offs, float *out, float *scratch) {
    size_t th = tiles_of(ho), tw = tiles_of(wo), hp = 2 * th + 2, wp = 2 * tw + 2, nt = th * tw;
    size_t ci = (size_t)cin, co = (size_t)cout;
    const float *xp = pad_tiles(in, h, w, cin, pad, hp, wp, scratch);
    size_t cmax = maxz(ci, co);
    float *V = scratch + al16(hp * wp * ci);
    float *M = V + al16(16 * (size_t)NL_WINO_TILES * cmax);
    const nl_igemm_ukernel *u = nl_igemm_pick(ks, co);
    size_t MR = u->mr, NR = u->nr, e_floats = nl_packed_floats(ci, co, NR), T = block_tiles(nt);
    for (size_t t0 = 0; t0 < nt; t0 += T) {
        size_t n = nt - t0 < T ? nt - t0 : T;
        for (size_t t = 0; t < n; t++) {
            tile_pos p = tile_at(t0 + t, tw, ho, wo);
            ks->wino_in(ci, xp + (p.y * wp + p.x) * ci, wp * ci, V + t * ci, n * ci);
        }
        for (size_t e = 0; e < 16; e++)
            for (size_t pn = 0; pn * NR < co; pn++) {
                size_t nc = co - pn * NR < NR ? co - pn * NR : NR;
                const float *b = packed + e * e_floats + pn * ci * NR;
                for (size_t i = 0; i < n; i += MR) {
                    size_t mr = n - i < MR ? n - i : MR;
                    u->fn(mr, nc, ci, 1, V + e * n * ci, offs + i, b, M + e * n * co + i * co + pn * NR, co, 0);
                }
            }
        for (size_t t = 0; t < n; t++) {
            tile_pos p = tile_at(t0 + t, tw, ho, wo);
            ks->wino_out(co, M + t * co, n * co, out + (p.y * (size_t)wo + p.x) * co, (size_t)wo * co, p.oh, p.ow);
        }
    }
}

/* dw = dw + G^T dU G for one row ci of every co (dU[e] at du + e * du_stride, dw[kh][kw] at
 * dw + (3 kh + kw) * dw_stride, co floats each): down the columns, then along the rows, each
 * 4-vector u giving (u0 + (u1 + u2) * .5, (u1 - u2) * .5, (u1 + u2) * .5 + u3). Loops over the
 * co lanes innermost, so the compiler vectorises them (elementwise: same bits). */
static void kernel_grad_transform(size_t co, const float *du, size_t du_stride, float *dw, size_t dw_stride) {
    enum { CB = 64 };
    for (size_t c0 = 0; c0 < co; c0 += CB) {
        size_t nc = co - c0 < CB ? co - c0 : CB;
        float r[3][4][CB];
        for (int j = 0; j < 4; j++) {
            const float *u0 = du + j * du_stride + c0, *u1 = u0 + 4 * du_stride, *u2 = u0 + 8 * du_stride,
                        *u3 = u0 + 12 * du_stride;
            for (size_t c = 0; c < nc; c++) {
                float s = (u1[c] + u2[c]) * 0.5f;
                r[0][j][c] = u0[c] + s;
                r[1][j][c] = (u1[c] - u2[c]) * 0.5f;
                r[2][j][c] = s + u3[c];
            }
        }
        for (int i = 0; i < 3; i++) {
            float *o0 = dw + (size_t)(3 * i) * dw_stride + c0, *o1 = o0 + dw_stride, *o2 = o1 + dw_stride;
            for (size_t c = 0; c < nc; c++) {
                float s = (r[i][1][c] + r[i][2][c]) * 0.5f;
                o0[c] = o0[c] + (r[i][0][c] + s);
                o1[c] = o1[c] + (r[i][1][c] - r[i][2][c]) * 0.5f;
                o2[c] = o2[c] + (s + r[i][3][c]);
            }
        }
    }
}

void nl_wino_wgrad(const nl_kernel_set *ks, const nl_conv_dims *d, const float *x, const float *dy, float *dw,
                   float *scratch) {
    size_t th = tiles_of(d->ho), tw = tiles_of(d->wo), hp = 2 * th + 2, wp = 2 * tw + 2, nt = th * tw;
    size_t ci = (size_t)d->ci, co = (size_t)d->co, wo = (size_t)d->wo, cmax = maxz(ci, co);
    const float *xp = pad_tiles(x, d->h, d->w, d->ci, d->pad, hp, wp, scratch);
    float *V = scratch + al16(hp * wp * ci);
    float *Bp = V + al16(16 * (size_t)NL_WINO_TILES * cmax);
    float *dU = Bp + al16(16 * (size_t)NL_WINO_TILES * round_nr(cmax));
    const nl_wgrad_ukernel *u = nl_wgrad_pick(ks, co);
    size_t MR = u->mr, NR = u->nr, np = (co + NR - 1) / NR, T = block_tiles(nt);
    for (size_t i = 0; i < 16 * ci * co; i++) dU[i] = 0.0f;
    for (size_t t0 = 0; t0 < nt; t0 += T) {
        size_t n = nt - t0 < T ? nt - t0 : T, e_floats = np * n * NR; /* packed A dy A^T of one e */
        if (co % NR)
            for (size_t i = 0; i < 16 * e_floats; i++) Bp[i] = 0.0f; /* the last panel's padding */
        for (size_t t = 0; t < n; t++) {
            tile_pos p = tile_at(t0 + t, tw, d->ho, d->wo);
            ks->wino_in(ci, xp + (p.y * wp + p.x) * ci, wp * ci, V + t * ci, n * ci);
            const float *g = dy + (p.y * wo + p.x) * co;
            for (size_t pn = 0; pn < np; pn++) { /* panel pn: element (tile t, column j) at pn * n * NR + t * NR + j */
                size_t nc = co - pn * NR < NR ? co - pn * NR : NR;
                ks->wino_dyt(nc, g + pn * NR, wo * co, co, p.oh, p.ow, Bp + pn * n * NR + t * NR, e_floats);
            }
        }
        for (size_t e = 0; e < 16; e++)
            for (size_t r0 = 0; r0 < ci; r0 += MR) {
                size_t mr = ci - r0 < MR ? ci - r0 : MR;
                for (size_t pn = 0; pn < np; pn++) {
                    size_t nc = co - pn * NR < NR ? co - pn * NR : NR;
                    u->fn(mr, nc, 1, n, V + e * n * ci + r0, 0, ci, Bp + e * e_floats + pn * n * NR,
                          dU + e * ci * co + r0 * co + pn * NR, co);
                }
            }
    }
    for (size_t r = 0; r < ci; r++) kernel_grad_transform(co, dU + r * co, ci * co, dw + r * co, ci * co);
}
