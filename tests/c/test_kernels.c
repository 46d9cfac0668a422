/* Microkernels against their scalar references, BIT FOR BIT (memcmp), on random sizes that
 * include partial tiles (mr < MR, nc < NR), channel counts that are not multiples of the
 * vector width, negative zeros and values on the ReLU kink. Every kernel set built in and
 * supported by this CPU is checked (scalar, wasmsimd = the Wasm kernels through SIMDe, avx512
 * when NL_NATIVE_WIDE is on), plus every wasmsimd GEMM tile. Finally the whole network
 * (forward, loss, backward; BN, GN, LN) must give identical bits with every set, which is what
 * makes native and Wasm training bit-identical. */
#include <stdlib.h>
#include <string.h>

#include "kernels/nl_kernels.h"
#include "nl_net.h"
#include "nl_rng.h"
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

static void check_gemm_ukernel(const char *name, nl_gemm_ukernel_fn fn, size_t MR, size_t NR) {
    int bad = 0;
    for (int iter = 0; iter < 400 && !bad; iter++) {
        size_t mr = iter < 2 * (int)MR ? (size_t)iter % MR + 1 : pick(1, MR);
        size_t nc = iter % 3 == 0 ? NR : pick(1, NR);
        static const size_t kcs[] = {1, 2, 3, 7, 16, 27, 144, 300};
        size_t kc = kcs[nl_rng_below(&rng, 8)];
        int transposed = (int)nl_rng_below(&rng, 2), accumulate = (int)nl_rng_below(&rng, 2);
        size_t ars = transposed ? 1 : kc + pick(0, 3), aks = transposed ? MR + pick(0, 5) : 1;
        size_t a_len = (mr - 1) * ars + (kc - 1) * aks + 1;
        size_t ldc = nc + pick(0, 9);
        float *a = malloc(sizeof(float) * a_len), *b = malloc(sizeof(float) * kc * NR);
        float *c1 = malloc(sizeof(float) * (MR + 1) * ldc), *c2 = malloc(sizeof(float) * (MR + 1) * ldc);
        fill(a, a_len);
        fill(b, kc * NR);
        for (size_t k = 0; k < kc; k++)
            for (size_t j = nc; j < NR; j++) b[k * NR + j] = 0.0f; /* packed panels are zero-padded */
        fill(c1, (MR + 1) * ldc);
        memcpy(c2, c1, sizeof(float) * (MR + 1) * ldc);
        nl_f32_gemm_ref__scalar(NR, mr, nc, kc, a, ars, aks, b, c1, ldc, accumulate);
        fn(mr, nc, kc, a, ars, aks, b, c2, ldc, accumulate);
        /* also checks that nothing outside the mr x nc tile was written */
        if (memcmp(c1, c2, sizeof(float) * (MR + 1) * ldc)) {
            bad = 1;
            CHECK_MSG(0, "%s: mr=%zu nc=%zu kc=%zu transposed=%d accumulate=%d differs from the scalar reference",
                      name, mr, nc, kc, transposed, accumulate);
        }
        free(a);
        free(b);
        free(c1);
        free(c2);
    }
    if (!bad) CHECK(1);
}

/* nl_gemm over whole matrices (all tiles, packing) against a plain triple loop. */
static void check_gemm_driver(const nl_kernel_set *ks) {
    int bad = 0;
    for (int iter = 0; iter < 60 && !bad; iter++) {
        size_t m = pick(1, 70), n = pick(1, 70), k = pick(1, 90);
        if (iter % 4 == 0) n = 8 * pick(1, 6);
        int transposed = (int)nl_rng_below(&rng, 2), accumulate = (int)nl_rng_below(&rng, 2);
        size_t ars = transposed ? 1 : k, aks = transposed ? m : 1;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *bp = malloc(sizeof(float) * nl_packed_floats(k, n, NL_GEMM_MAX_NR));
        float *c1 = malloc(sizeof(float) * m * n), *c2 = malloc(sizeof(float) * m * n);
        fill(a, m * k);
        fill(b, k * n);
        fill(c1, m * n);
        memcpy(c2, c1, sizeof(float) * m * n);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                float acc = accumulate ? c1[i * n + j] : 0.0f;
                for (size_t q = 0; q < k; q++) acc = acc + a[i * ars + q * aks] * b[q * n + j];
                c1[i * n + j] = acc;
            }
        nl_pack_b_panels(nl_gemm_pick(ks, n)->nr, k, n, b, n, bp);
        nl_gemm(ks, m, n, k, a, ars, aks, bp, c2, n, accumulate);
        if (memcmp(c1, c2, sizeof(float) * m * n)) {
            bad = 1;
            CHECK_MSG(0, "nl_gemm[%s] m=%zu n=%zu k=%zu transposed=%d differs from the reference", ks->isa, m, n, k,
                      transposed);
        }
        free(a);
        free(b);
        free(bp);
        free(c1);
        free(c2);
    }
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
        float prm[6][100];
        double d1[4][100], d2[4][100];
        fill(x, n);
        fill(dout, n);
        for (int i = 0; i < 6; i++) fill(prm[i], c);
        for (size_t ch = 0; ch < c; ch++) prm[1][ch] = 0.5f + 2.0f * nl_rng_uniform(&rng); /* invstd > 0 */
        /* put some x exactly on the mean, so the ReLU sees gamma*0+beta (kinks at beta = 0, -0) */
        for (size_t i = 0; i < n; i += 5) x[i] = prm[0][i % c];
        for (size_t ch = 0; ch < c; ch += 3) prm[3][ch] = ch % 2 ? 0.0f : -0.0f;
        for (int i = 0; i < 4; i++)
            for (size_t ch = 0; ch < c; ch++) d1[i][ch] = d2[i][ch] = (double)rnd();

        nl_f32_chansum__scalar(npix, c, x, d1[0], d1[1]);
        ks->chansum(npix, c, x, d2[0], d2[1]);
        int ok = !memcmp(d1[0], d2[0], sizeof(double) * c) && !memcmp(d1[1], d2[1], sizeof(double) * c);

        nl_f32_normrelu__scalar(npix, c, x, prm[0], prm[1], prm[2], prm[3], o1);
        ks->normrelu(npix, c, x, prm[0], prm[1], prm[2], prm[3], o2);
        ok = ok && !memcmp(o1, o2, sizeof(float) * n);

        nl_f32_normrelu_bwd__scalar(npix, c, x, prm[0], prm[1], prm[2], prm[3], dout, g1, d1[2], d1[3]);
        ks->normrelu_bwd(npix, c, x, prm[0], prm[1], prm[2], prm[3], dout, g2, d2[2], d2[3]);
        ok = ok && !memcmp(g1, g2, sizeof(float) * n) && !memcmp(d1[2], d2[2], sizeof(double) * c) &&
             !memcmp(d1[3], d2[3], sizeof(double) * c);
        /* in place (gout == dout), as the network does with dropout */
        memcpy(o1, dout, sizeof(float) * n);
        ks->normrelu_bwd(npix, c, x, prm[0], prm[1], prm[2], prm[3], o1, o1, d2[2], d2[3]);
        ok = ok && !memcmp(o1, g1, sizeof(float) * n);

        nl_f32_norm_dx__scalar(npix, c, x, prm[0], prm[1], prm[2], prm[4], prm[5], g1);
        ks->norm_dx(npix, c, x, prm[0], prm[1], prm[2], prm[4], prm[5], g2);
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

/* ---------------------------------------------------------------- whole network */

static void check_net(const nl_model_desc *d, const char *what) {
    const char *isas[] = {"scalar", "wasmsimd", "avx512"};
    const int n = 11; /* chunks of 8: one full, one partial */
    float *ref = NULL;
    size_t np = 0;
    double ref_loss = 0.0;
    for (int s = 0; s < 3; s++) {
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

int main(void) {
    rng = nl_rng_stream(2024, 3, 4);
    printf("kernel sets available: %s (default: %s)\n", nl_kernels_available(), nl_kernels()->isa);

    check_gemm_ukernel("f32_gemm_4x8__scalar", nl_f32_gemm_4x8__scalar, 4, 8);
    check_gemm_ukernel("f32_gemm_4x8__wasmsimd", nl_f32_gemm_4x8__wasmsimd, 4, 8);
    check_gemm_ukernel("f32_gemm_6x8__wasmsimd", nl_f32_gemm_6x8__wasmsimd, 6, 8);
    check_gemm_ukernel("f32_gemm_4x16__wasmsimd", nl_f32_gemm_4x16__wasmsimd, 4, 16);
    const char *isas[] = {"scalar", "wasmsimd", "avx512"};
    for (int s = 0; s < 3; s++) {
        const nl_kernel_set *ks = nl_kernels_find(isas[s]);
        if (!ks) {
            printf("  %s: not available, skipped\n", isas[s]);
            continue;
        }
        printf("  %s: gemm %s + %s\n", ks->isa, ks->gemm_narrow.name, ks->gemm_wide.name);
        check_gemm_ukernel(ks->gemm_narrow.name, ks->gemm_narrow.fn, ks->gemm_narrow.mr, ks->gemm_narrow.nr);
        check_gemm_ukernel(ks->gemm_wide.name, ks->gemm_wide.fn, ks->gemm_wide.mr, ks->gemm_wide.nr);
        check_gemm_driver(ks);
        check_norm(ks);
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
    return nl_test_finish("test_kernels");
}
