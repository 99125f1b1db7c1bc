#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds the
# release preset, and starts the service with the bundled sample stack
# (examples/sample-stack) as an audit source. It runs one audit at start,
# prints the report and keeps serving (the URL is printed; Ctrl-C stops it).
# With no model server present the audit runs rules-only and says how to
# enable Ollama or Claude.
#
# Usage: scripts/run.sh [autoarr arguments]   (as root, or with sudo available)
#   scripts/run.sh                                   serve + audit the sample stack
#   scripts/run.sh audit --from DIR --format markdown
#   scripts/run.sh plugins list
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target autoarr autoarr_plugin_ollama autoarr_plugin_claude autoarr_plugin_openai autoarr_web

bin=build/release/bin/autoarr
echo "== $("$bin" --version)"
if (($# == 0)); then
  mkdir -p build/release/var
  set -- --log-level warn serve --listen "${AUTOARR_LISTEN:-127.0.0.1:8000}" --db build/release/var/autoarr.db \
    --sample-stack examples/sample-stack --audit-on-start
fi
exec "$bin" "$@"
