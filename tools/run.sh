#!/usr/bin/env bash
# The main job: installs what is needed, builds the native CLI and the Wasm module, and
# serves the playground on http://localhost:${PORT:-8080}/ (cross-origin isolated, so the
# multi-threaded build runs). If a CIFAR-10 tarball is known (NORMLAB_CIFAR, or
# ../shared/data/cifar-10-binary.tar.gz beside the checkout) the page opens with it loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
data="${NORMLAB_CIFAR:-}"
if [ -z "$data" ] && [ -f ../shared/data/cifar-10-binary.tar.gz ]; then
  data=../shared/data/cifar-10-binary.tar.gz
fi
args=(--port "${PORT:-8080}")
[ -n "$data" ] && args+=(--data "$data")
exec node tools/serve.mjs "${args[@]}"
