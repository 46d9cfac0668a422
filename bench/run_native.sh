#!/usr/bin/env bash
# Training throughput of normlab (native: BN, GN, LN at 1 and 2 threads; Wasm st/mt in Node if
# built) and of the PyTorch CPU peer, measured in the SAME run, with ratios against PyTorch.
# Network, batch and rules: ../shared/bench/reference-model.md (reference net, batch 128).
#
#   bench/run_native.sh [--steps N] [--repeats R] [--no-torch] [--no-wasm] [--build-wasm]
#                       [--isa LIST] [--norms LIST] [--threads LIST]
#                       [--torch-variants LIST] [--torch-avx2] [--torch-threads N]
#                       [--torch-steps N] [--torch-repeats R] [--out FILE]
#
# LISTs are comma-separated: --isa avx512,avx2,simd128 (kernel sets; default: the best one),
# --norms bn,gn,ln, --threads 1,2, --torch-variants bn_cl,bn,gn,ln (the defaults).
# --torch-avx2 also runs the PyTorch peer with oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2):
# on an AVX-512 machine, `--isa avx2 --torch-avx2` compares what an AVX2-only CPU would run on
# both sides (same cores, so not a Zen 3 figure; the ratio is the point). --torch-threads: the
# peer's threads (default 2); native rows are compared with the peer at their own thread count
# when it was measured, else at 2. --torch-steps/--torch-repeats: passed to torch_bench.py
# (defaults 30 and 5; fewer when the machine is busy: OpenMP's 2-thread runs crawl then).
#
# normlab runs twice (before and after the peers), R timed runs of N steps each time; its
# figure is the median of those 2R runs. PyTorch: torch_bench.py --variants ... --threads 2 (its
# own median of 5 runs of 30 steps). Wasm: bench/wasm_bench.mjs, st 1 thread and mt 2 threads,
# R runs each, median. Nothing else should run meanwhile (2 cores); figures on this VM drift by
# ~7% between runs, so compare ratios taken in one run.
# Env: NL_BUILD_DIR (default build/), NL_SHARED_DIR (default ../shared beside the repo),
#      PYTHON (default /usr/bin/python3), NODE (default node).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NL_BUILD_DIR:-$ROOT/build}"
SHARED="${NL_SHARED_DIR:-$ROOT/../shared}"
PYTHON="${PYTHON:-/usr/bin/python3}"
NODE="${NODE:-node}"
STEPS=20
REPEATS=3
TORCH=1
WASM=1
BUILD_WASM=0
ISAS=""
NORMS="bn,gn,ln"
THREADS="1,2"
TORCH_VARIANTS="bn_cl,bn,gn,ln"
TORCH_AVX2=0
TORCH_THREADS=2
TORCH_ARGS=()
OUT=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --steps) STEPS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --no-torch) TORCH=0; shift ;;
    --no-wasm) WASM=0; shift ;;
    --build-wasm) BUILD_WASM=1; shift ;;
    --isa) ISAS="$2"; shift 2 ;;
    --norms) NORMS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --torch-variants) TORCH_VARIANTS="$2"; shift 2 ;;
    --torch-avx2) TORCH_AVX2=1; shift ;;
    --torch-threads) TORCH_THREADS="$2"; shift 2 ;;
    --torch-steps) TORCH_ARGS+=(--steps "$2"); shift 2 ;;
    --torch-repeats) TORCH_ARGS+=(--repeats "$2"); shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run_native.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

NORMLAB="$BUILD/normlab"
if [[ ! -x "$NORMLAB" ]]; then
    echo "run_native.sh: $NORMLAB not found; build first: cmake -S . -B build && cmake --build build -j2" >&2
    exit 1
fi
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
note() { echo "# $*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

IFS=, read -r -a ISA_LIST <<<"${ISAS:-auto}"
IFS=, read -r -a NORM_LIST <<<"$NORMS"
IFS=, read -r -a THREAD_LIST <<<"$THREADS"
for isa in "${ISA_LIST[@]}"; do # fail early, not after the first pass
    "$NORMLAB" bench --isa "$isa" --steps 1 >/dev/null || exit 1
done

# ---- normlab native: each config R runs; lines "native:<isa> <norm> <threads> <isa> <img/s> ..."
native_pass() {
    for isa in "${ISA_LIST[@]}"; do
        for norm in "${NORM_LIST[@]}"; do
            for t in "${THREAD_LIST[@]}"; do
                local json runs used
                json="$("$NORMLAB" bench --norm "$norm" --threads "$t" --steps "$STEPS" --repeats "$REPEATS" --isa "$isa")"
                note "$json"
                runs="$(sed -n 's/.*"runs": \[\([^]]*\)\].*/\1/p' <<<"$json" | tr -d ',')"
                used="$(sed -n 's/.*"isa": "\([a-z0-9]*\)".*/\1/p' <<<"$json")"
                echo "native:$used $norm $t $used $runs" >>"$LOG"
            done
        done
    done
}

note "load average before: $(loadavg)   $(nproc) CPUs   $(date -u +%FT%TZ)"
note "normlab native, pass 1"
native_pass

# ---- PyTorch peer
TORCH_PY="$SHARED/bench/peers/torch_bench.py"
if [[ $TORCH == 1 ]]; then
    if [[ -f "$TORCH_PY" ]] && "$PYTHON" -c 'import torch' 2>/dev/null; then
        note "PyTorch peer: $PYTHON $TORCH_PY --variants $TORCH_VARIANTS --threads $TORCH_THREADS (load $(loadavg))"
        "$PYTHON" "$TORCH_PY" --variants "$TORCH_VARIANTS" --threads "$TORCH_THREADS" "${TORCH_ARGS[@]}" | tee /dev/stderr |
            awk -v t="$TORCH_THREADS" '$1 == "RESULT" && $2 == "torch" { print "torch", $3, t, "-", $4 }' >>"$LOG"
        if [[ $TORCH_AVX2 == 1 ]]; then
            note "PyTorch peer, oneDNN capped at AVX2: ONEDNN_MAX_CPU_ISA=AVX2 (load $(loadavg))"
            ONEDNN_MAX_CPU_ISA=AVX2 "$PYTHON" "$TORCH_PY" --variants "$TORCH_VARIANTS" --threads "$TORCH_THREADS" "${TORCH_ARGS[@]}" |
                tee /dev/stderr | awk -v t="$TORCH_THREADS" '$1 == "RESULT" && $2 == "torch" { print "torch-avx2", $3, t, "-", $4 }' >>"$LOG"
        fi
    else
        note "PyTorch peer skipped: $TORCH_PY or python3-torch not found"
    fi
fi

# ---- Wasm in Node
WASM_DIR="${NL_WASM_DIR:-$BUILD/wasm}"
if [[ $WASM == 1 ]]; then
    if [[ $BUILD_WASM == 1 ]]; then
        note "building Wasm into $WASM_DIR"
        OUT_DIR="$WASM_DIR" bash "$ROOT/wasm_bindings/build.sh" --no-copy >/dev/null 2>&1 || note "Wasm build failed"
    fi
    if [[ -f "$ROOT/bench/wasm_bench.mjs" && -f "$WASM_DIR/normlab-simd.js" ]] && command -v "$NODE" >/dev/null; then
        for v in "st 1" "mt 2"; do
            set -- $v
            runs=""
            for ((r = 0; r < REPEATS; r++)); do
                json="$(NL_WASM_DIR="$WASM_DIR" "$NODE" "$ROOT/bench/wasm_bench.mjs" --variant "$1" --threads "$2" \
                    --steps "$((STEPS < 10 ? STEPS : 10))" --norm bn 2>/dev/null | tail -1)"
                note "$json"
                runs="$runs $(sed -n 's/.*"images_per_sec":\([0-9.]*\).*/\1/p' <<<"$json")"
            done
            echo "wasm-$1 bn $2 wasmsimd$runs" >>"$LOG"
        done
    else
        note "Wasm skipped: needs bench/wasm_bench.mjs and $WASM_DIR/normlab-simd.js (wasm_bindings/build.sh, or --build-wasm)"
    fi
fi

note "normlab native, pass 2 (load $(loadavg))"
native_pass
note "load average after: $(loadavg)"

# ---- table
REPORT="$(awk -v steps="$STEPS" -v repeats="$REPEATS" '
function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    key = $1 " " $2 " " $3; isa[key] = $4
    for (i = 5; i <= NF; i++) { n[key]++; v[key, n[key]] = $i }
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
}
END {
    for (k = 1; k <= nk; k++) {
        key = order[k]; m = n[key]
        for (i = 1; i <= m; i++) tmp[i] = v[key, i]
        med[key] = median(tmp, m)
    }
    tcl = med["torch bn_cl 2"]; tcl2 = med["torch-avx2 bn_cl 2"]
    printf "%-40s %9s %8s %11s %11s %11s\n", "configuration (reference net, batch 128)", "img/s", "ms/img", "vs PyTorch",
        "vs PT BN-cl", "vs PT-AVX2"
    for (k = 1; k <= nk; k++) {
        key = order[k]; split(key, f, " ")
        if (f[1] == "torch") { label = "PyTorch 1.13 CPU " f[2] ", " f[3] " thr" }
        else if (f[1] == "torch-avx2") { label = "PyTorch oneDNN<=AVX2 " f[2] ", " f[3] " thr" }
        else if (f[1] ~ /^native/) { label = "normlab native " f[2] " " isa[key] ", " f[3] " thr" }
        else { label = "normlab Wasm " substr(f[1], 6) " " f[2] ", " f[3] " thr" }
        torchish = f[1] ~ /^torch/
        pt = (("torch bn_cl " f[3]) in med) ? f[3] : 2  # the peer at the same thread count if measured
        peer = torchish ? "" : med["torch " f[2] " " pt]
        c1 = med["torch bn_cl " pt]; c2 = med["torch-avx2 bn_cl " pt]
        if (torchish) { c1 = med["torch bn_cl " f[3]]; c2 = med["torch-avx2 bn_cl " f[3]] }
        r1 = (peer > 0) ? sprintf("%.2fx", med[key] / peer) : "-"
        r2 = (c1 > 0) ? sprintf("%.2fx", med[key] / c1) : "-"
        r3 = (c2 > 0) ? sprintf("%.2fx", med[key] / c2) : "-"
        if (torchish && f[2] != "bn_cl") r1 = "-"
        printf "%-40s %9.1f %8.3f %11s %11s %11s   (%d runs)\n", label, med[key], 1000 / med[key], r1, r2, r3, n[key]
    }
    for (k = 1; k <= nk; k++) {
        key = order[k]; split(key, f, " ")
        if (!(f[1] ~ /^native/) || f[2] != "bn") continue
        t = f[3]; if (!(("torch bn_cl " t) in med)) continue
        bn2 = med[key]; nat = f[1]; tcl = med["torch bn_cl " t]; tcl2 = med["torch-avx2 bn_cl " t]
        printf("\n%s: native BN %d thread(s) vs PyTorch BN channels_last, same threads: %.2fx", isa[key], t, bn2 / tcl)
        if (tcl2 > 0) printf ", vs PyTorch with oneDNN capped at AVX2: %.2fx", bn2 / tcl2
        printf " (targets: >= 1.5x on AVX-512, >= 1.2x on AVX2)\n"
        if (t != 2) continue
        if (med[nat " gn 2"] > 0 && med[nat " ln 2"] > 0)
            printf "%s: GN / LN time per image vs BN (2 threads): GN %.2fx, LN %.2fx (target <= 1.3x)\n", isa[key],
                bn2 / med[nat " gn 2"], bn2 / med[nat " ln 2"]
        if (med[nat " bn 1"] > 0) printf "%s: BN 2-thread speed-up over 1 thread: %.2fx\n", isa[key], bn2 / med[nat " bn 1"]
    }
    if (med["wasm-st bn 1"] > 0)
        printf "Wasm st vs TF.js cpu backend (0.86 img/s, ../shared/bench/peers/README.md): %.0fx (target >= 10x)\n",
            med["wasm-st bn 1"] / 0.86
    tcl = med["torch bn_cl 2"]
    if (med["wasm-mt bn 2"] > 0 && tcl > 0)
        printf "Wasm mt 2 threads vs PyTorch BN channels_last: %.2fx (target >= 0.5x)\n", med["wasm-mt bn 2"] / tcl
}' "$LOG")"
echo "$REPORT"
if [[ -n "$OUT" ]]; then
    { echo "$REPORT"; echo; echo "raw (config, isa, img/s of each run):"; cat "$LOG"; } >"$OUT"
fi
