# Sourced by scripts/setup.sh and scripts/docker-smoke.sh. Installs, from
# Debian's own archive, the packages of a list that are not installed yet.
# Idempotent: when every package is present it only checks (well under a
# second) and touches neither the network nor apt's lists.
#
#   apt_ensure LABEL [--sources FUNC] PKG...
#
# LABEL prefixes every message ("setup", "docker-smoke"). FUNC, when given,
# runs (as root) before the install; it returns 0 when it added an apt source,
# so the lists are refreshed first.

# Prints the packages of the list that are not installed, one per line.
apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

apt_ensure() {
  local label=$1 sources_fn=""
  shift
  if [[ "${1:-}" == --sources ]]; then sources_fn=$2; shift 2; fi
  local missing
  mapfile -t missing < <(apt_missing "$@")
  if ((${#missing[@]} == 0)); then
    echo "$label: all $# packages present"
    return 0
  fi
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "$label: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local added_sources=0
  if [[ -n "$sources_fn" ]]; then
    if [[ -z "$sudo" ]]; then "$sources_fn" && added_sources=1 || true
    else $sudo bash -c "$(declare -f "$sources_fn"); $sources_fn" && added_sources=1 || true; fi
  fi
  # Refresh the lists when a source was added or they were never fetched.
  if ((added_sources)) || ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    $sudo apt-get update -q
  fi
  if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  echo "$label: done"
}
