#!/bin/sh
# The image's HEALTHCHECK (docs/container.md): healthy while /health/ready
# answers 200, i.e. the plugins are loaded and the store can write. It asks
# the address AUTOARR_LISTEN names, on loopback when that is a wildcard.
set -eu
listen=${AUTOARR_LISTEN:-0.0.0.0:8000}
port=${listen##*:}
host=${listen%:*}
case "$host" in
  '' | 0.0.0.0) host=127.0.0.1 ;;
  '[::]') host='[::1]' ;;
esac
# No -T: this busybox's wget crashes with it. The HEALTHCHECK's --timeout bounds a hung check.
exec wget -q -O /dev/null "http://$host:$port/health/ready"
