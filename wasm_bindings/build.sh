#!/usr/bin/env bash
# Builds the two Wasm variants of the core into build/wasm/ (for Node) and copies them,
# with the JS wrapper normlab.js, to web/wasm/ for the page:
#   normlab-simd.js/.wasm       single-threaded, SIMD128
#   normlab-simd-mt.js/.wasm    SIMD128 + pthreads (+ normlab-simd-mt.worker.js; needs
#                               SharedArrayBuffer, i.e. a cross-origin-isolated page)
# Usage: wasm_bindings/build.sh [--no-copy]     (env: EMCC, OUT_DIR, WEB_DIR, JOBS, NL_EXTRA_CFLAGS)
# Uses Debian's emscripten (3.1.6) as is: no ports (they would need the network).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMCC="${EMCC:-emcc}"
OUT_DIR="${OUT_DIR:-$ROOT/build/wasm}"
WEB_DIR="${WEB_DIR:-$ROOT/web/wasm}"
COPY=1
[[ "${1:-}" == "--no-copy" ]] && COPY=0
# Debian's emcc needs acorn etc. from the system's node modules.
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"

command -v "$EMCC" >/dev/null || { echo "build.sh: $EMCC not found (apt-get install emscripten)" >&2; exit 1; }

# The training library (core/, by folder; no drawing code) and the bindings; the native
# parity tool has its own main(). Not data/cifar_files.c: files and zlib are native only
# (the page and Node decompress with the platform and feed the tar stream).
SOURCES=()
for f in "$ROOT"/core/{base,data,nn,nn/kernels,train,serialize}/*.c; do
  [[ "$f" == */data/cifar_files.c ]] || SOURCES+=("$f")
done
SOURCES+=("$ROOT/wasm_bindings/normlab_wasm.c")

# -ffp-contract=off and no fast-math: the same float bits as the native build.
CFLAGS=(-std=c11 -O3 -ffp-contract=off -fno-fast-math -msimd128 -D_POSIX_C_SOURCE=200809L
        -Wall -Wextra -Wno-unused-parameter -I"$ROOT/core" -I"$ROOT/wasm_bindings")
# experiments only, e.g. NL_EXTRA_CFLAGS=-DNL_POOL_SPIN_NS=200000 OUT_DIR=/tmp/x wasm_bindings/build.sh --no-copy
read -r -a EXTRA <<< "${NL_EXTRA_CFLAGS:-}"
CFLAGS+=("${EXTRA[@]}")

EXPORTS=(malloc free nlw_abi_version nlw_last_error nlw_last_error_code
         nlw_data_stream_begin nlw_data_stream_feed nlw_data_stream_finish nlw_data_stream_abort nlw_data_load_batches nlw_data_info_json nlw_data_images nlw_data_free
         nlw_trainer_create nlw_trainer_load_checkpoint nlw_trainer_free nlw_trainer_train
         nlw_trainer_progress nlw_trainer_set_epochs nlw_trainer_evaluate nlw_trainer_eval_predictions nlw_trainer_misclassified
         nlw_trainer_predict nlw_trainer_params nlw_trainer_bn_state nlw_trainer_report_json
         nlw_trainer_config_json nlw_trainer_data_json nlw_trainer_val_images nlw_checkpoint_save nlw_model_report_json
         nlw_config_json nlw_config_schema_json
         nlw_safetensors_export nlw_trainer_from_safetensors nlw_trainer_model_json
         nlw_profile_start nlw_profile_json nlw_kernels_select nlw_kernels_name)
EXPORTED_FUNCTIONS="$(printf '_%s,' "${EXPORTS[@]}")"
EXPORTED_FUNCTIONS="${EXPORTED_FUNCTIONS%,}"

# MODULARIZE without EXPORT_ES6: Emscripten 3.1.6's ES6 glue does not run in Node, while
# this one loads through require() in Node and through a script/eval in a (module) worker.
# NODEJS_CATCH_*=0: a library must not install process-wide exit/rejection handlers.
LDFLAGS=(-sMODULARIZE=1 -sENVIRONMENT=web,worker,node
         -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=2GB
         -sFILESYSTEM=0 -sEXIT_RUNTIME=0
         -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0
         -sEXPORTED_FUNCTIONS="$EXPORTED_FUNCTIONS"
         -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8)

# Link into a scratch folder, then rename into place: tests or a server reading
# build/wasm/ while this runs never see a half-written file.
mkdir -p "$OUT_DIR"
TMP_DIR="$(mktemp -d "$OUT_DIR/.build.XXXXXX")"
trap 'rm -rf "$TMP_DIR"' EXIT
build_variant() { # name export_name extra flags...
    local name="$1" export_name="$2"
    shift 2
    echo "build.sh: $name" >&2
    "$EMCC" "${CFLAGS[@]}" "$@" "${SOURCES[@]}" "${LDFLAGS[@]}" -sEXPORT_NAME="$export_name" \
        -o "$TMP_DIR/$name.js"
}

# Runs the two links in parallel (each is one emcc process).
build_variant normlab-simd createNormLabSimd &
st_pid=$!
# Pool: Module.nlPoolSize workers (the JS wrapper sets threads - 1, at least 1), created
# before the module resolves so pthread_create never has to wait for the event loop.
# STRICT=2: beyond the pool pthread_create fails and the core runs on fewer threads
# (same results) instead of deadlocking.
build_variant normlab-simd-mt createNormLabSimdMt -pthread \
    -sPTHREAD_POOL_SIZE='Math.max(1,Module.nlPoolSize|0)' -sPTHREAD_POOL_SIZE_STRICT=2 &
mt_pid=$!
wait "$st_pid"
wait "$mt_pid"

# build/wasm/ is what Node loads: the glue is CommonJS, so say so (a package.json above
# might say "type": "module"). web/wasm/ is what the page serves: the glue plus normlab.js
# (no package.json there: normlab.js is an ES module and the glue CommonJS; Node loads
# the glue from build/wasm/).
cp "$ROOT/wasm_bindings/normlab.js" "$TMP_DIR/normlab.js"
echo '{ "type": "commonjs" }' > "$TMP_DIR/package.json"
GLUE=(normlab-simd.js normlab-simd.wasm normlab-simd-mt.js normlab-simd-mt.wasm normlab-simd-mt.worker.js)
install_to() { # folder files...: copies each there by an atomic rename
    local dir="$1"
    shift
    mkdir -p "$dir"
    for f in "$@"; do
        cp "$TMP_DIR/$f" "$dir/.$f.tmp"
        mv -f "$dir/.$f.tmp" "$dir/$f"
    done
}
rm -f "$OUT_DIR/normlab.js" # an older build.sh put a copy here
install_to "$OUT_DIR" "${GLUE[@]}" package.json
if [[ $COPY == 1 ]]; then
    install_to "$WEB_DIR" "${GLUE[@]}" normlab.js
    echo "build.sh: copied to $WEB_DIR" >&2
fi
ls -l "$OUT_DIR" >&2
