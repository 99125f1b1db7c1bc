#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, then
# builds and tests the dev preset (warnings are errors) and the sanitizer
# preset (ASan + UBSan), then ThreadSanitizer, then the fuzz targets (clang,
# libFuzzer), after checking the layout of every C/C++ file against
# .clang-format. Last, the container image is built and run on a real dockerd
# (scripts/docker-smoke.sh, docs/container.md). .ci/run calls exactly this.
#
# Usage: scripts/test.sh     (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh
scripts/check_format.sh

# ThreadSanitizer runs the suites where threads meet: routing, plugin
# instances and cancellation, the providers' HTTP clients, the service and its
# background usage writer and enrichment worker, the hostile-client attacks.
# (The whole suite under TSan would add ~8 minutes of single-threaded tests.)
tsan_filter='IsolationTest|Router|Breaker|RetryPolicy|Instance|CancelToken|Ollama|Claude|LiveArr|Server|UsageWriter|HttpClient|Enrichment|HostileClient|RequestGuard|StoreIntegrity|Recovery|FixApply|FixRoutes'

for preset in dev asan tsan; do
  echo "== test.sh: configure + build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== test.sh: ctest ($preset)"
  if [ "$preset" = tsan ]; then
    ctest --preset "$preset" -j "$jobs" -R "$tsan_filter"
  else
    ctest --preset "$preset" -j "$jobs"
  fi
done
# Every libFuzzer target for about 20 s on its seeds, two at a time: a crash,
# a leak or a broken property fails the run (docs/fuzzing.md).
echo "== test.sh: fuzz (${FUZZ_SECONDS:-20} s per target)"
FUZZ_JOBS=$jobs scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
echo "== test.sh: all presets passed"
scripts/docker-smoke.sh
