/* Kernel sets (which microkernels each ISA uses), their selection, and B-panel packing. */
#include <stdlib.h>
#include <string.h>

#include "nl_kernels.h"

/* {MR, NR, nl_f32_KIND_MRxNR__ISA, "f32_KIND_MRxNR__ISA"} */
#define UKERNEL(kind, mr, nr, isa) {mr, nr, nl_f32_##kind##_##mr##x##nr##__##isa, "f32_" #kind "_" #mr "x" #nr "__" #isa}
#define NORM_KERNELS(isa) nl_f32_chansum__##isa, nl_f32_normrelu__##isa, nl_f32_normrelu_bwd__##isa, nl_f32_norm_dx__##isa
#define POOL_KERNELS(isa) nl_f32_maxpool__##isa, nl_f32_maxpool_bwd__##isa
#define WINO_KERNELS(isa) nl_f32_wino23_in__##isa, nl_f32_wino23_out__##isa, nl_f32_wino23_dyt__##isa

/* fields: isa, igemm narrow and wide, wgrad narrow and wide, the norm, pool and Winograd kernels */
static const nl_kernel_set set_scalar = {"scalar", UKERNEL(igemm, 4, 8, scalar), UKERNEL(igemm, 4, 8, scalar),
                                         UKERNEL(wgrad, 4, 8, scalar), UKERNEL(wgrad, 4, 8, scalar),
                                         NORM_KERNELS(scalar), POOL_KERNELS(scalar), WINO_KERNELS(scalar)};

static const nl_kernel_set set_wasmsimd = {"wasmsimd", UKERNEL(igemm, 4, 8, wasmsimd), UKERNEL(igemm, 2, 16, wasmsimd),
                                           UKERNEL(wgrad, 4, 8, wasmsimd), UKERNEL(wgrad, 2, 16, wasmsimd),
                                           NORM_KERNELS(wasmsimd), POOL_KERNELS(wasmsimd), WINO_KERNELS(wasmsimd)};
/* For SpiderMonkey (Firefox), which runs the tiles above at ~0.6x V8's speed: the same tiles with
 * their k loops unrolled by 4 (NL_GEMM_KUNROLL in f32_gemm_simd.h), at about V8's speed there;
 * V8 runs them slower, so it keeps the set above. The JS wrapper (engineKernels) picks the set
 * by engine; both give the same bits. */
static const nl_kernel_set set_wasmsimd_unroll4 = {
    "wasmsimd_unroll4",      UKERNEL(igemm, 4, 8, wasmsimd_unroll4), UKERNEL(igemm, 2, 16, wasmsimd_unroll4),
    UKERNEL(wgrad, 4, 8, wasmsimd_unroll4), UKERNEL(wgrad, 2, 16, wasmsimd_unroll4), NORM_KERNELS(wasmsimd),
    POOL_KERNELS(wasmsimd), WINO_KERNELS(wasmsimd)};

#if defined(NL_AVX2_KERNELS)
#define NL_HAVE_AVX2 1
/* One __m256 per row, 12 rows: 12 accumulators + B + broadcast + product fill the 16 ymm
 * registers; multiply then add (no FMA), as every other set. Max pool is memory-bound: the
 * 128-bit kernel is enough. */
static const nl_kernel_set set_avx2 = {"avx2", UKERNEL(igemm, 12, 8, avx2), UKERNEL(igemm, 12, 8, avx2),
                                       UKERNEL(wgrad, 12, 8, avx2), UKERNEL(wgrad, 12, 8, avx2),
                                       NORM_KERNELS(avx2), POOL_KERNELS(wasmsimd), WINO_KERNELS(avx2)};
#endif

#if defined(NL_AVX512_KERNELS)
#define NL_HAVE_AVX512 1
/* One vector per row: a plain 16x16 GEMM tile measured 115 GFLOP/s on this Zen core, where
 * 8x32 (two vectors per row) gets 79 and 8x16 102. The indirect GEMM uses 12 rows (16 row
 * pointers spill out of the general registers; +3..9% on the 16-column layers). Widths that
 * are not multiples of 16 (e.g. 24) use 8-column ymm panels, which run as fast here (512-bit
 * operations are split in halves). */
static const nl_kernel_set set_avx512 = {"avx512", UKERNEL(igemm, 12, 8, avx512), UKERNEL(igemm, 12, 16, avx512),
                                         UKERNEL(wgrad, 16, 8, avx512), UKERNEL(wgrad, 16, 16, avx512),
                                         NORM_KERNELS(avx512), POOL_KERNELS(wasmsimd), WINO_KERNELS(avx512)};
#endif

/* CPU features (cpuid and the OS's saved register state, as libgcc checks them) */
#if defined(NL_HAVE_AVX2) || defined(NL_HAVE_AVX512)
static int cpu_has(const char *isa) {
    __builtin_cpu_init();
    if (!strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2");
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
}
#endif

static const nl_kernel_set *best_set(void) {
#ifdef NL_HAVE_AVX512
    if (cpu_has("avx512")) return &set_avx512;
#endif
#ifdef NL_HAVE_AVX2
    if (cpu_has("avx2")) return &set_avx2;
#endif
    return &set_wasmsimd;
}

const nl_kernel_set *nl_kernels_find(const char *isa) {
    if (!isa || !*isa || !strcmp(isa, "auto") || !strcmp(isa, "best")) return best_set();
    if (!strcmp(isa, "scalar")) return &set_scalar;
    if (!strcmp(isa, "wasmsimd") || !strcmp(isa, "simd128")) return &set_wasmsimd;
    if (!strcmp(isa, "wasmsimd_unroll4")) return &set_wasmsimd_unroll4;
#ifdef NL_HAVE_AVX2
    if (!strcmp(isa, "avx2")) return cpu_has("avx2") ? &set_avx2 : NULL;
#endif
#ifdef NL_HAVE_AVX512
    if (!strcmp(isa, "avx512")) return cpu_has("avx512") ? &set_avx512 : NULL;
#endif
    return NULL;
}

const char *nl_kernels_available(void) {
    static char names[96];
    strcpy(names, "scalar,wasmsimd_unroll4,wasmsimd");
#ifdef NL_HAVE_AVX2
    if (cpu_has("avx2")) strcat(names, ",avx2");
#endif
#ifdef NL_HAVE_AVX512
    if (cpu_has("avx512")) strcat(names, ",avx512");
#endif
    return names;
}

static const nl_kernel_set *current;

const nl_kernel_set *nl_kernels(void) {
    if (!current) {
        const nl_kernel_set *ks = nl_kernels_find(getenv("NL_ISA"));
        current = ks ? ks : best_set();
    }
    return current;
}

int nl_kernels_select(const char *isa) {
    const nl_kernel_set *ks = nl_kernels_find(isa);
    if (!ks) return -1;
    current = ks;
    return 0;
}

const nl_igemm_ukernel *nl_igemm_pick(const nl_kernel_set *ks, size_t n) {
    return n % ks->igemm_wide.nr == 0 ? &ks->igemm_wide : &ks->igemm_narrow;
}

const nl_wgrad_ukernel *nl_wgrad_pick(const nl_kernel_set *ks, size_t n) {
    return n % ks->wgrad_wide.nr == 0 ? &ks->wgrad_wide : &ks->wgrad_narrow;
}

size_t nl_packed_floats(size_t k, size_t n, size_t nr) { return (n + nr - 1) / nr * nr * k; }

void nl_pack_b_panels(size_t nr, size_t kc, size_t n, const float *b, size_t ldb, float *out) {
    size_t panels = (n + nr - 1) / nr;
    for (size_t p = 0; p < panels; p++) {
        size_t nc = n - p * nr < nr ? n - p * nr : nr;
        float *dst = out + p * kc * nr;
        const float *src = b + p * nr;
        /* loops, not memcpy per row: the rows are short */
        for (size_t k = 0; k < kc; k++, dst += nr, src += ldb) {
            size_t j = 0;
            for (; j < nc; j++) dst[j] = src[j];
            for (; j < nr; j++) dst[j] = 0.0f;
        }
    }
}
