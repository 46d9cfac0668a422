#!/usr/bin/env bash
# Runs every test: installs what is needed, builds, then the C tests (CTest: gradient checks,
# PyTorch golden values, loaders, checkpoints, CLI), the Node tests of the Wasm module and
# the page's modules, and the browser tests: Chromium via playwright-core, and Firefox ESR via
# puppeteer-core over WebDriver BiDi (tests/browser/firefox.test.mjs).
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
exit $status
