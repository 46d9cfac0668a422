#!/usr/bin/env bash
# Cross-builds the core and the C tests for aarch64 (Debian's gcc-aarch64-linux-gnu) and runs
# the kernel tests under qemu-user: on ARM the SIMD128 kernels go through SIMDe to NEON, and
# they must still give the scalar reference's bits. Not part of tools/test.sh (it needs the two
# packages and takes minutes under emulation):
#
#   apt-get install gcc-aarch64-linux-gnu qemu-user
#   dpkg --add-architecture arm64 && apt-get update && apt-get install zlib1g-dev:arm64
#   bash tests/arm/run_arm.sh [TEST...]      (default: test_kernels test_determinism)
#
# Env: NL_ARM_BUILD_DIR (default build-arm/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${NL_ARM_BUILD_DIR:-$ROOT/build-arm}"
CC=aarch64-linux-gnu-gcc
QEMU=qemu-aarch64
for tool in "$CC" "$QEMU"; do
    command -v "$tool" >/dev/null || { echo "run_arm.sh: $tool not found (apt-get install gcc-aarch64-linux-gnu qemu-user)" >&2; exit 77; }
done
[[ -d /usr/include/simde ]] || { echo "run_arm.sh: SIMDe headers not found (apt-get install libsimde-dev)" >&2; exit 77; }

# The cross compiler does not search /usr/include (x86 headers live there); SIMDe is
# header-only and portable, so it is offered alone.
INC="$BUILD/include"
mkdir -p "$INC"
ln -sfn /usr/include/simde "$INC/simde"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="-I$INC" -DNL_NATIVE_ARCH=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null || {
    echo "run_arm.sh: cmake failed; the core links zlib: dpkg --add-architecture arm64 && apt-get update && apt-get install zlib1g-dev:arm64" >&2
    exit 1
}
TESTS=("$@")
[[ ${#TESTS[@]} -gt 0 ]] || TESTS=(test_kernels test_determinism)
cmake --build "$BUILD" -j2 --target "${TESTS[@]}" >/dev/null

cd "$ROOT"
rc=0
for t in "${TESTS[@]}"; do
    echo "== $t (aarch64, qemu-user)"
    NL_SOURCE_DIR="$ROOT" NL_BUILD_DIR="$BUILD" "$QEMU" -L /usr/aarch64-linux-gnu "$BUILD/$t" || rc=1
done
exit $rc
