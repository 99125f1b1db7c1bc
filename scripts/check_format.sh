#!/usr/bin/env bash
# Fails when a tracked C or C++ file differs from .clang-format's layout.
# The frozen ABI header (sdk/abi/) is excluded: its bytes are pinned by a hash.
# Fix with: git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^sdk/abi/' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^sdk/abi/' | xargs clang-format --dry-run --Werror
echo "check_format: every C/C++ file matches .clang-format"
