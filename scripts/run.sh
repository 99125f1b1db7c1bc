#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds the
# release preset, and audits the bundled sample stack (examples/sample-stack).
# With no model server present the audit runs rules-only and says how to
# enable Ollama or Claude.
#
# Usage: scripts/run.sh [autoarr arguments]   (as root, or with sudo available)
#   scripts/run.sh                                   audit the sample stack
#   scripts/run.sh audit --from DIR --format markdown
#   scripts/run.sh plugins list
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target autoarr autoarr_plugin_ollama autoarr_plugin_claude

bin=build/release/bin/autoarr
echo "== $("$bin" --version)"
if (($# == 0)); then
  echo "== auditing the bundled sample stack (examples/sample-stack)"
  set -- --log-level warn audit --from examples/sample-stack
fi
exec "$bin" "$@"
