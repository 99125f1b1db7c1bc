#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds the
# release preset and runs the host.
#
# Usage: scripts/run.sh [autoarr arguments]   (as root, or with sudo available)
# With no arguments it lists the provider plugins the host found and loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target autoarr autoarr_plugin_ollama autoarr_plugin_claude

bin=build/release/bin/autoarr
echo "== $("$bin" --version)"
if (($# == 0)); then
  set -- plugins list
fi
exec "$bin" "$@"
