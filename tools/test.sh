#!/usr/bin/env bash
# Runs every test: installs what is needed, builds, then the C tests (CTest: gradient checks,
# PyTorch golden values, loaders, checkpoints, CLI), the Node tests of the Wasm module and
# the page's modules, and the browser tests (Chromium via playwright-core, and Firefox ESR via
# puppeteer-core over WebDriver BiDi: tests/browser/firefox.test.mjs); then the sanitizer pass
# (the C tests again, built with AddressSanitizer + UBSan in build-asan/) and a short run of
# every fuzz target (tests/fuzz/run.sh, FUZZ_SECONDS each, default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bash tools/build.sh
status=0
(cd build && ctest --output-on-failure -j2) || status=1
node --test tests/node/ || status=1
if [ -d tests/browser ] && ls tests/browser/*.test.mjs >/dev/null 2>&1; then
  echo "test.sh: browser tests in Chromium ($(chromium --version 2>/dev/null | head -1)) and Firefox ($(firefox-esr --version 2>/dev/null | head -1))"
  node --test tests/browser/ || status=1
fi

# Sanitizer pass. Every finding aborts the test (no recovery), leaks included (LeakSanitizer).
# Skipped here: test_interop_torch and test_pytorch_train, whose time goes into PyTorch and
# whose C side (the CLI's train, export and import) test_cli and test_safetensors already run
# under the sanitizers.
echo "== sanitizer pass: AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) =="
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="$SAN" \
      -DCMAKE_EXE_LINKER_FLAGS="$SAN" >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j2 -E '^(test_interop_torch|test_pytorch_train)$') || status=1
echo "== sanitizer pass done =="

echo "== fuzzing: every target ${FUZZ_SECONDS:-15} s (tests/fuzz/run.sh) =="
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-15}" || status=1
exit $status
