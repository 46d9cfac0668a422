#!/usr/bin/env bash
# Builds the native library, CLI (build/normlab) and C tests, then both Wasm variants
# (build/wasm/). Needs the packages of tools/install_deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
bash wasm_bindings/build.sh
