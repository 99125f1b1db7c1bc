#!/usr/bin/env bash
# Installs, from Debian's own archive, everything AutoArr needs to build, test and
# benchmark. Idempotent: when every package is already present it only checks and
# exits in well under a second, without touching the network.
#
# Usage: scripts/setup.sh                 (as root, or with sudo available)
#        scripts/setup.sh --build         only what a release build needs (the container's build stage)
#        scripts/setup.sh --image         what the container image takes from Debian besides libraries
#        scripts/setup.sh --list build|image   print such a list, one package a line
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib/apt_ensure.sh"

# Node.js builds the web UI (never needed to run AutoArr); the machine image
# brings Node 20, Debian's own nodejs is the fallback. chromium runs the UI's
# browser tests (driven by playwright-core, which downloads no browser).
#
# clang (14) with its runtime (libFuzzer, ASan, UBSan) and llvm's symbolizer
# build and run the fuzz targets (cmake --preset fuzz, scripts/fuzz.sh).
#
# What `cmake --preset release -DAUTOARR_BUILD_TESTS=OFF -DAUTOARR_BUILD_BENCH=OFF` needs.
# Boost must be 1.81: bookworm's plain libboost-dev is 1.74, which lacks Boost.JSON
# and Boost.URL. RE2 runs the rules' `matches` patterns in linear time (decision 0016);
# Debian ships its pkg-config file only.
build_packages=(
  build-essential cmake ninja-build
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev
  libre2-dev pkg-config
)
# The container's runtime file system beside AutoArr and its libraries
# (packaging/docker/collect-rootfs.sh): busybox as the entrypoint's shell and
# the health check's HTTP client, the time zones for TZ, the CA certificates.
# setpriv (PUID/PGID) comes with util-linux, which every Debian system has.
image_packages=(busybox-static tzdata ca-certificates)
# Tests, benchmarks, lint and the real SABnzbd the connector tests talk to.
test_packages=(
  git sqlite3 openssl
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

# The web UI's build needs Node.js and npm (never needed to run AutoArr): the
# machine image brings Node 20; Debian's own nodejs is the fallback.
node_packages=()
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then node_packages=(nodejs npm); fi

case "${1:-}" in
  "") apt_ensure setup --sources ensure_contrib_nonfree "${build_packages[@]}" "${test_packages[@]}" "${node_packages[@]}" ;;
  --build) apt_ensure setup "${build_packages[@]}" ;;
  --image) apt_ensure setup "${image_packages[@]}" ;;
  --list)
    case "${2:-}" in
      build) printf '%s\n' "${build_packages[@]}" ;;
      image) printf '%s\n' "${image_packages[@]}" ;;
      *) echo "scripts/setup.sh: --list takes build or image, not \"${2:-}\"" >&2; exit 2 ;;
    esac ;;
  *) echo "usage: scripts/setup.sh [--build | --image | --list build|image]" >&2; exit 2 ;;
esac
