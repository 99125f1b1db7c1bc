#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, then
# builds and tests the dev preset (warnings are errors) and the sanitizer
# preset (ASan + UBSan), then ThreadSanitizer. .ci/run calls exactly this.
#
# Usage: scripts/test.sh     (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh

for preset in dev asan tsan; do
  echo "== test.sh: configure + build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== test.sh: ctest ($preset)"
  ctest --preset "$preset" -j "$jobs"
done
echo "== test.sh: all presets passed"
