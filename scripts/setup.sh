#!/usr/bin/env bash
# Installs, from Debian's own archive, everything AutoArr needs to build, test and
# benchmark. Idempotent: when every package is already present it only checks and
# exits in well under a second, without touching the network.
#
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

# Node.js builds the web UI (never needed to run AutoArr); the machine image
# brings Node 20, Debian's own nodejs is the fallback. chromium runs the UI's
# browser tests (driven by playwright-core, which downloads no browser).
#
# clang (14) with its runtime (libFuzzer, ASan, UBSan) and llvm's symbolizer
# build and run the fuzz targets (cmake --preset fuzz, scripts/fuzz.sh).
# Boost must be 1.81: bookworm's plain libboost-dev is 1.74, which lacks Boost.JSON
# and Boost.URL.
packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  abi-compliance-checker clang-format
  clang libclang-rt-14-dev llvm curl
  wrk hyperfine
  sabnzbdplus unrar
  chromium fonts-dejavu-core
)

# sabnzbdplus lives in 'contrib' and needs unrar from 'non-free'. Derive a sources
# file from the machine's own debian.sources so no mirror host is written here.
ensure_contrib_nonfree() {
  local src=/etc/apt/sources.list.d/debian.sources
  local dst=/etc/apt/sources.list.d/autoarr-contrib-nonfree.sources
  [[ -f "$dst" || ! -f "$src" ]] && return 1
  sed -E 's/^Components:.*/Components: contrib non-free/' "$src" > "$dst"
  return 0
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
added_sources=0
if [[ -z "$SUDO" ]]; then ensure_contrib_nonfree && added_sources=1 || true
else $SUDO bash -c "$(declare -f ensure_contrib_nonfree); ensure_contrib_nonfree" && added_sources=1 || true; fi
# Refresh the lists when we added a component or they were never fetched.
if ((added_sources)) || [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]]; then
  $SUDO apt-get update -q
fi
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup: done"
