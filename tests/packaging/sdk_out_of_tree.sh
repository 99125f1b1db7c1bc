#!/usr/bin/env bash
# A plugin author's path: install the SDK alone into a temporary prefix, build the C
# and C++ examples out of tree against it (find_package(AutoarrSDK)), install
# them into a plugin directory, and check that the host loads them and routes
# a chat request to the C one.
# usage: sdk_out_of_tree.sh <build dir> <source dir> <work dir>
set -euo pipefail
build=$(realpath "$1") src=$(realpath "$2") work=$(realpath -m "$3")
rm -rf "$work" && mkdir -p "$work/plugins"
fail() { echo "FAIL: $*"; exit 1; }
# The SDK alone: configured with -DAUTOARR_SDK_ONLY=ON while every host
# dependency is hidden from CMake (a REQUIRED find_package would then fail
# the configure), so the SDK provably needs none of them.
(cmake -S "$src" -B "$work/sdk-build" -G Ninja -DAUTOARR_SDK_ONLY=ON -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON \
   -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON \
   -DCMAKE_DISABLE_FIND_PACKAGE_SQLite3=ON && cmake --install "$work/sdk-build" --prefix "$work/prefix") \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "the SDK-only configure and install failed"; }
# The C++ example builds with an older standard asked for: Autoarr::sdk carries cxx_std_17.
for ex in c-echo cpp-echo; do
  (cmake -S "$src/sdk/examples/$ex" -B "$work/$ex" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
     -DCMAKE_C_FLAGS= -DCMAKE_CXX_FLAGS= -DCMAKE_CXX_STANDARD=11 && cmake --build "$work/$ex") >"$work/$ex.log" 2>&1 \
    || { cat "$work/$ex.log"; fail "the $ex example does not build against the installed SDK"; }
  cp -r "$work/$ex/plugins/$ex" "$work/plugins/"
  exported=$(nm -D --defined-only "$work/plugins/$ex/"*.so | awk '$2 == "T" {print $3}')
  [ "$exported" = "autoarr_provider_negotiate" ] || fail "$ex exports more than the entry point: $exported"
done
chmod -R go-w "$work/plugins"
list=$("$build/bin/autoarr" --log-level warn plugins list --json --no-builtin-plugins --plugin-dir "$work/plugins")
for id in c-echo cpp-echo; do
  grep -q "\"id\":\"$id\"[^}]*\"state\":\"loaded\"" <<<"$list" || fail "$id did not load: $list"
done
answer=$(env -u LLM_PROVIDER -u LLM_FALLBACK_ORDER "$build/bin/autoarr" --log-level warn chat --no-builtin-plugins \
  --plugin-dir "$work/plugins" --provider c-echo "hello world")
[ "$answer" = "dlrow olleh" ] || fail "chat through c-echo answered '$answer'"
echo "1 passed, 0 failed"
