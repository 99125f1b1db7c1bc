#!/usr/bin/env bash
# Installs the web UI's locked npm packages (npm ci) unless node_modules
# already holds exactly this package.json and package-lock.json: every build
# tree (dev, asan, tsan, release) shares web/node_modules.
# usage: install_packages.sh NPM   (in web/)
set -euo pipefail
npm=$1
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
mark=node_modules/.autoarr-installed
if [[ -f $mark && $(cat "$mark") == "$want" ]]; then exit 0; fi
"$npm" ci --no-audit --no-fund --loglevel=error
echo "$want" > "$mark"
