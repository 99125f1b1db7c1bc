#!/usr/bin/env bash
# Lays out the container's whole file system in ROOTFS, for a runtime stage
# that starts FROM scratch (packaging/Dockerfile, docs/container.md):
#   - AutoArr as `cmake --install` put it in TREE: the binary, the plugins,
#     the rules, the sample stack (no docs, no SDK);
#   - the web UI's built assets from WEB_DIR (or from TREE, when CMake built them);
#   - the container's scripts (entrypoint, health check) and default config;
#   - busybox (their shell and HTTP client) and setpriv (PUID/PGID);
#   - every shared library those programs and plugins load, found with ldd;
#   - CA certificates (Claude over TLS) and the time zones (TZ).
# Runs in the build stage, on the Debian that built TREE, so the libraries
# copied are the ones the binaries were linked against.
#
# Usage: collect-rootfs.sh TREE ROOTFS [WEB_DIR]
#   TREE: a DESTDIR of `cmake --install --prefix /usr`; WEB_DIR: the output of web/build.mjs
set -euo pipefail

if (($# < 2 || $# > 3)); then
  echo "usage: collect-rootfs.sh TREE ROOTFS [WEB_DIR]" >&2
  exit 2
fi
tree=$1 root=$2 web=${3:-}
here="$(cd "$(dirname "$0")" && pwd)"
multiarch=$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=usr/lib/$multiarch

for need in "$tree/usr/bin/autoarr" /usr/bin/busybox /usr/bin/setpriv /usr/share/zoneinfo/UTC \
  /etc/ssl/certs/ca-certificates.crt; do
  [[ -e "$need" ]] || { echo "collect-rootfs: $need is missing (scripts/setup.sh --build --image?)" >&2; exit 1; }
done
if [[ -e "$root" ]] && [[ -n "$(ls -A "$root")" ]]; then
  echo "collect-rootfs: $root is not empty" >&2
  exit 1
fi

# Debian's merged /usr: /bin, /sbin, /lib and /lib64 point into /usr, so the
# ELF interpreter (/lib64/ld-linux-x86-64.so.2) and every path ldd prints resolve.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,"$libdir",etc,config,tmp,usr/share}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
chmod 1777 "$root/tmp"

# AutoArr itself: only what running it needs.
cp -a "$tree/usr/bin/autoarr" "$root/usr/bin/"
# Plugins outside the built-in directory run in their own runner (docs/abi-policy.md ISO-1).
cp -a "$tree/usr/bin/autoarr-plugin-runner" "$root/usr/bin/"
# The plugins sit at <bindir>/../lib/autoarr/plugins, where the host looks for them.
[[ -d "$tree/usr/lib/autoarr/plugins" ]] || { echo "collect-rootfs: no $tree/usr/lib/autoarr/plugins" >&2; exit 1; }
mkdir -p "$root/usr/lib/autoarr"
cp -a "$tree/usr/lib/autoarr/plugins" "$root/usr/lib/autoarr/"
mkdir -p "$root/usr/share/autoarr"
for item in "$tree"/usr/share/autoarr/*; do
  [[ "$(basename "$item")" == sdk ]] || cp -a "$item" "$root/usr/share/autoarr/"
done
[[ -f "$root/usr/share/autoarr/rules.json" ]] || { echo "collect-rootfs: no rules.json in $tree" >&2; exit 1; }
if [[ -n "$web" && -e "$web" ]]; then
  [[ -f "$web/index.html" ]] || { echo "collect-rootfs: $web has no index.html: not a built web UI" >&2; exit 1; }
  rm -rf "$root/usr/share/autoarr/web"
  cp -a "$web" "$root/usr/share/autoarr/web"
fi
if [[ ! -f "$root/usr/share/autoarr/web/index.html" ]]; then
  echo "collect-rootfs: WARNING: no web UI (${web:-no WEB_DIR} is absent): the image serves the API only." \
    "Build the UI into web/dist first (docs/container.md)." >&2
fi

# The container's own files.
mkdir -p "$root/etc/autoarr"
install -m 0644 "$here/config.json" "$root/etc/autoarr/config.json"
install -m 0755 "$here/entrypoint.sh" "$root/usr/bin/autoarr-entrypoint"
install -m 0755 "$here/healthcheck.sh" "$root/usr/bin/autoarr-healthcheck"

# busybox: sh for the scripts, wget for the health check, and a shell for
# `docker exec -it autoarr sh`. Its applets are links; none replaces a real program.
install -m 0755 /usr/bin/busybox "$root/usr/bin/busybox"
cp -a /usr/bin/setpriv "$root/usr/bin/setpriv"
for applet in $(/usr/bin/busybox --list); do
  [[ -e "$root/usr/bin/$applet" ]] || ln -s busybox "$root/usr/bin/$applet"
done

# Every shared library the ELF files need, and the interpreter.
elf_files=()
while IFS= read -r -d '' f; do
  if [[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]; then elf_files+=("$f"); fi
done < <(find "$root/usr" -type f -perm -u+r -print0)
declare -A copied=()
for f in "${elf_files[@]}"; do
  out=$(ldd "$f" 2>&1) || {
    # A static program (busybox) has none; anything else is an error.
    grep -q 'not a dynamic executable' <<<"$out" && continue
    echo "collect-rootfs: ldd $f: $out" >&2
    exit 1
  }
  if grep -q 'not found' <<<"$out"; then
    echo "collect-rootfs: $f needs a library that is not installed:" >&2
    grep 'not found' <<<"$out" >&2
    exit 1
  fi
  while read -r lib; do
    [[ -n "$lib" && -z "${copied[$lib]:-}" ]] || continue
    copied[$lib]=1
    if [[ "$(basename "$lib")" == ld-linux* ]]; then
      cp -L "$lib" "$root/usr/lib64/$(basename "$lib")"
    else
      cp -L "$lib" "$root/$libdir/$(basename "$lib")"
    fi
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out")
done
# A cache of the libraries, so the loader finds them without scanning directories.
ldconfig -r "$root"

# Users and name lookup: root, and the default PUID/PGID 911 of the
# linuxserver.io images ("abc"). Another PUID needs no entry.
cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
abc:x:911:911:AutoArr:/config:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
abc:x:911:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"

# TLS trust anchors where OpenSSL looks (its OPENSSLDIR is /usr/lib/ssl).
mkdir -p "$root/etc/ssl/certs" "$root/usr/lib/ssl"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
ln -s /etc/ssl/certs/ca-certificates.crt "$root/usr/lib/ssl/cert.pem"
ln -s /etc/ssl/certs "$root/usr/lib/ssl/certs"

# Time zones for TZ (AutoArr itself writes UTC).
cp -a /usr/share/zoneinfo "$root/usr/share/"
ln -s /usr/share/zoneinfo/UTC "$root/etc/localtime"

echo "collect-rootfs: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1) in $root"
