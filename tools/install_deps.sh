#!/usr/bin/env bash
# Installs what normlab needs on Debian 12 (as root, or with sudo): the C toolchain, CMake,
# zlib, clang (fuzzing), Emscripten, SIMDe, PyTorch (golden tests), PIL (PNG test), Node.js,
# Chromium and Firefox ESR (browser tests) and the npm packages of package.json
# (playwright-core, puppeteer-core: no browser downloads). Skips whatever is already there,
# so it is cheap to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_cmd cc || need+=(build-essential)
have_cmd cmake || need+=(cmake)
have_pkg zlib1g-dev || need+=(zlib1g-dev)       # .tar.gz reading and PNG writing (native)
have_cmd clang || need+=(clang)                 # libFuzzer targets (tests/fuzz/run.sh)
have_pkg libclang-rt-14-dev || need+=(libclang-rt-14-dev) # libFuzzer and the sanitizer runtimes
have_pkg python3-pil || need+=(python3-pil)     # test_png's independent PNG decoder
have_cmd emcc || need+=(emscripten)
have_pkg libsimde-dev || need+=(libsimde-dev)
have_pkg python3-torch || need+=(python3-torch)
have_cmd node || need+=(nodejs)
have_cmd npm || need+=(npm)
have_cmd chromium || need+=(chromium)
have_cmd firefox-esr || need+=(firefox-esr)
have_cmd gzip || need+=(gzip)
have_cmd tar || need+=(tar)

if [ ${#need[@]} -gt 0 ]; then
  echo "install_deps: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -f package.json ] && { [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/puppeteer-core ]; }; then
  echo "install_deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
