#!/usr/bin/env bash
# The main job: installs what is needed, builds the native CLI and the Wasm module, and
# serves the playground on http://localhost:${PORT:-8080}/ (cross-origin isolated, so the
# multi-threaded build runs). The page opens with CIFAR-10 loaded: $NORMLAB_CIFAR if set, else
# the official cifar-10-binary.tar.gz from the per-user cache (~/.cache/normlab/), downloaded
# there first if the network allows (progress, resume, MD5 check: tools/fetch_cifar.mjs);
# without network, the small sample in assets/ (the page and the server say so).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
exec node tools/serve.mjs --fetch --port "${PORT:-8080}"
