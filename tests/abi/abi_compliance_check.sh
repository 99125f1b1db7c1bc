#!/usr/bin/env bash
# ABI gate: abi-compliance-checker (Debian package) compares an older header
# with a newer one (the frozen 1.0 with the frozen 1.1, the frozen 1.1 with
# today's), headers only, and fails on any break. Appends are compatible;
# removals, moves, resizes and changed types are not.
# usage: abi_compliance_check.sh <older include dir> <newer include dir> <work dir>
set -euo pipefail
frozen=$(realpath "$1") current=$(realpath "$2") work=$(realpath -m "$3")
command -v abi-compliance-checker >/dev/null || { echo "abi-compliance-checker is not installed (scripts/setup.sh)"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
for v in old:"$frozen":old new:"$current":new; do
  IFS=: read -r tag dir version <<<"$v"
  cat >"$work/$tag.xml" <<XML
<version>$version</version>
<headers>$dir/autoarr/provider.h</headers>
XML
done
cd "$work"
if abi-compliance-checker -l autoarr-provider -old old.xml -new new.xml -headers-only \
     -report-path report.html -quiet >log.txt 2>&1; then
  echo "abi-compliance-checker: $current is compatible with $frozen"
else
  rc=$?
  cat log.txt
  echo "abi-compliance-checker: $current is INCOMPATIBLE with $frozen (exit $rc); report: $work/report.html"
  exit 1
fi
