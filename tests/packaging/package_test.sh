#!/usr/bin/env bash
# Builds the .deb files, checks their metadata, unpacks them into a temporary
# root (dpkg-deb -x) and runs the host from there: both plugins load from the
# packaged layout and the packaged sample stack audits as expected.
# usage: package_test.sh <build dir> <work dir> [private plugin id]...
#   (a premium build, AUTOARR_EXTRA_PLUGIN_DIRS, names its private plugins: each
#    must be its own package and load from /usr/lib/autoarr/private-plugins)
set -euo pipefail
build=$(realpath "$1") work=$(realpath -m "$2")
shift 2
private=("$@")
rm -rf "$work" && mkdir -p "$work/debs" "$work/root"
(cd "$build" && cpack -G DEB -B "$work/debs" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
for name in autoarr autoarr-plugin-ollama autoarr-plugin-claude autoarr-plugin-openai autoarr-sdk-dev; do
  ls "$work/debs/${name}_"*.deb >/dev/null 2>&1 || fail "no ${name} package in $(ls "$work/debs")"
done
main=$(ls "$work"/debs/autoarr_*.deb)
info=$(dpkg-deb -I "$main")
grep -q "Depends:.*libsqlite3" <<<"$info" || fail "autoarr does not depend on libsqlite3: $info"
grep -q "Depends:.*libboost-json1.81" <<<"$info" || fail "autoarr does not depend on libboost-json1.81"
# (Outputs are captured first: with pipefail, grep -q closing the pipe early would fail the pipeline.)
conffiles=$(dpkg-deb -I "$main" conffiles)
grep -qx /etc/autoarr/config.json <<<"$conffiles" || fail "config.json is not a conffile: $conffiles"
ollama_info=$(dpkg-deb -I "$work"/debs/autoarr-plugin-ollama_*.deb)
grep -q "Depends: autoarr (= " <<<"$ollama_info" || fail "the ollama plugin does not depend on autoarr: $ollama_info"
contents=$(dpkg-deb -c "$main")
grep -q "./usr/lib/systemd/system/autoarr.service" <<<"$contents" || fail "no systemd unit"
sdk_contents=$(dpkg-deb -c "$work"/debs/autoarr-sdk-dev_*.deb)
grep -q "/usr/lib/cmake/AutoarrSDK/AutoarrSDKConfig.cmake" <<<"$sdk_contents" || fail "no CMake package"
grep -q "./usr/share/autoarr/web/index.html$" <<<"$contents" || fail "the web UI is not in the autoarr package"
grep -Eq "./usr/share/autoarr/web/assets/main-[A-Z0-9]+\.js\.br$" <<<"$contents" || fail "no precompressed UI script"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

bin="$work/root/usr/bin/autoarr"
plugins=$(env -u AUTOARR_PLUGIN_PATH "$bin" --log-level warn plugins list --json)
for id in ollama claude; do
  grep -q "\"id\":\"$id\"[^}]*\"path\":\"$work/root/usr/lib/autoarr/plugins/$id/[^\"]*\"[^}]*\"state\":\"loaded\"" \
    <<<"$plugins" || fail "$id is not loaded from the packaged layout: $plugins"
done
grep -q "./usr/bin/autoarr-plugin-runner$" <<<"$contents" || fail "the plugin runner is not in the autoarr package"
for id in "${private[@]}"; do
  ls "$work/debs/autoarr-plugin-${id}_"*.deb >/dev/null 2>&1 || fail "no package for the private plugin $id"
  # LOAD-9: the private directory requires signatures; the build signed the plugin and ships the key.
  dpkg-deb -c "$work/debs/autoarr-plugin-${id}_"*.deb | grep -q "/usr/lib/autoarr/private-plugins/$id/plugin.sig$" \
    || fail "the private plugin $id is packaged without its signature"
  "$bin" --log-level warn plugins verify "$work/root/usr/lib/autoarr/private-plugins/$id" >/dev/null \
    || fail "the packaged private plugin $id does not verify with the packaged key"
  grep -q "\"id\":\"$id\"[^}]*\"path\":\"$work/root/usr/lib/autoarr/private-plugins/$id/[^\"]*\"[^}]*\"origin\":\"private\",\"state\":\"loaded\"" \
    <<<"$plugins" || fail "the private plugin $id did not load from the private directory: $plugins"
done
report=$(env -u AUTOARR_RULES "$bin" --log-level warn audit --from "$work/root/usr/share/autoarr/sample-stack" --no-llm --format json)
n=$(echo "$report" | grep -o '"rule_id"' | wc -l)
[ "$n" -eq 91 ] || fail "the packaged sample stack gave $n findings, expected 91"
# The packaged service finds its web UI beside the binary (/usr/share/autoarr/web) and serves it.
(env -u AUTOARR_WEB_DIR -u AUTOARR_API_TOKEN "$bin" --log-level warn serve --listen 127.0.0.1:0 --db "$work/serve.db" \
  >"$work/serve.out" 2>&1 & echo $! >"$work/serve.pid")
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
page=$(curl -s -D "$work/ui.headers" "$url/audits/latest" || true)
kill "$(cat "$work/serve.pid")"
[ -n "$url" ] || fail "the packaged serve did not start: $(cat "$work/serve.out")"
grep -q '<div id="app">' <<<"$page" || fail "the packaged serve did not answer /audits/latest with the UI: $page"
grep -qi '^content-security-policy: default-src' "$work/ui.headers" || fail "the UI came without its CSP"
# Every connection is a descriptor: the unit must not leave autoarr at systemd's 1024.
grep -q '^LimitNOFILE=' "$work/root/usr/lib/systemd/system/autoarr.service" || fail "the systemd unit sets no LimitNOFILE"
# The packaged systemd unit: valid, and hardened (exposure score at most 3.0 of 10).
if command -v systemd-analyze >/dev/null; then
  unit="$work/autoarr.service"
  sed "s|ExecStart=/usr/bin/autoarr|ExecStart=$bin|" "$work/root/usr/lib/systemd/system/autoarr.service" > "$unit"
  systemd-analyze verify "$unit" || fail "systemd-analyze verify rejects the unit"
  systemd-analyze security --offline=true --threshold=30 "$unit" >"$work/security.txt" 2>&1 \
    || { tail -3 "$work/security.txt"; fail "the unit's exposure is above 3.0"; }
  echo "systemd unit: $(grep -o 'Overall exposure level.*' "$work/security.txt")"
else
  echo "note: systemd-analyze not installed; the unit was not verified"
fi
echo "packages: $(cd "$work/debs" && ls *.deb | tr '\n' ' ')"
echo "1 passed, 0 failed"
