#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UBSan) in build-fuzz/ and runs each
# for SECONDS on its committed seed corpus tests/fuzz/corpus/<target>/. Exits non-zero if any
# target reports a crash, leak, timeout, out-of-memory or sanitizer error (the reproducer is
# left in build-fuzz/artifacts/<target>/). Prints execs and coverage per target.
#   Usage: bash tests/fuzz/run.sh [SECONDS] [target...]      (default 20 s, all targets)
#   env: FUZZ_BUILD (build folder), CC (clang), FUZZ_ARGS (extra libFuzzer flags)
# A target is tests/fuzz/fuzz_<name>.c plus a seed folder; add its name to TARGETS below.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

TARGETS=(
  tar          # tar headers (ustar, GNU long names, pax), incremental feed
  cifar        # CIFAR-10 from a tar stream in chunks, batch records, meta file
  json         # the JSON reader
  model_json   # model description JSON
  safetensors  # safetensors import
  checkpoint   # checkpoint loading
  config       # run configuration JSON (the settings table)
)

SECONDS_EACH="${1:-20}"
shift || true
[[ $# -gt 0 ]] && TARGETS=("$@")
[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || { echo "run.sh: SECONDS must be a whole number" >&2; exit 2; }
BUILD="${FUZZ_BUILD:-$ROOT/build-fuzz}"
CC="${CC:-clang}"
command -v "$CC" >/dev/null || { echo "run.sh: $CC not found (apt-get install clang)" >&2; exit 2; }

list="$(IFS=';'; echo "${TARGETS[*]}")"
cmake -S "$ROOT/tests/fuzz" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE= \
      -DNL_FUZZ_TARGETS="$list" >/dev/null
cmake --build "$BUILD" -j2 >/dev/null

status=0
summary=()
for t in "${TARGETS[@]}"; do
  seeds="$ROOT/tests/fuzz/corpus/$t"
  work="$BUILD/corpus/$t"        # grows while fuzzing; the committed seeds stay as they are
  art="$BUILD/artifacts/$t"
  mkdir -p "$work" "$art"
  log="$BUILD/$t.log"
  # -timeout: one input may take at most 10 s; -rss_limit_mb / -malloc_limit_mb: an input
  # that makes the parser allocate more than 1 GB is a finding too.
  set +e
  "$BUILD/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$art/" ${FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)"
  ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)"
  corpus="$(find "$work" -type f | wc -l)"
  if [[ $rc -ne 0 ]] || grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:' "$log"; then
    status=1
    line="$t: FAILED (exit $rc), see $log and $art/"
    grep -m3 'ERROR:\|runtime error:\|SUMMARY:' "$log" | sed 's/^/    /' >&2 || true
  else
    line="$t: ok"
  fi
  summary+=("$(printf '%-12s %s  execs %s  cov %s  ft %s  corpus %s' "$t" "${line#*: }" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus")")
done
echo "fuzz: ${SECONDS_EACH}s per target"
printf '  %s\n' "${summary[@]}"
exit $status
