#!/bin/sh
# The container's entrypoint (docs/container.md). It follows the conventions
# of the linuxserver.io images that *arr users know, then runs
# `autoarr "$@"` as the owner of /config:
#   PUID, PGID  the user and group to run as. Unset: the owner of /config when
#               that is not root, else 911:911 (linuxserver.io's default).
#               A root-owned /config (a new volume) is handed to that user.
#   TZ          a time zone from /usr/share/zoneinfo (AutoArr writes UTC; TZ
#               sets the local time of everything else in the container).
#   /config     configuration (config.json, copied here on the first start)
#               and the database (autoarr.db).
# Started with `docker run --user UID:GID`, it runs as that user, and /config
# must already be writable by it.
set -eu

say() { echo "autoarr-entrypoint: $*" >&2; }
fail() {
  say "error: $*"
  exit 2
}

# A user or group id: digits only, at most 4294967294 (2^32 - 2; -1 means "no change" to the kernel).
check_id() {
  case "$2" in
    '' | *[!0-9]*) fail "$1=\"$2\" is not a numeric id (e.g. $1=1000; \`id\` on the host shows yours)" ;;
  esac
  if [ "${#2}" -gt 10 ] || [ "$2" -gt 4294967294 ]; then fail "$1=\"$2\" is larger than 4294967294"; fi
}

if [ -n "${TZ:-}" ]; then
  case "$TZ" in
    */../* | ../* | /*) fail "TZ=\"$TZ\" is not a time zone name (e.g. TZ=Europe/Berlin)" ;;
  esac
  [ -f "/usr/share/zoneinfo/$TZ" ] || fail "TZ=\"$TZ\" is not a time zone in /usr/share/zoneinfo (e.g. TZ=Europe/Berlin)"
fi

[ -d /config ] || fail "/config is not a directory: mount a volume or a host directory there"
config_file=${AUTOARR_CONFIG:-}
seed_config() {
  # Only the image's own default location is filled in; a file named elsewhere must exist.
  if [ "$config_file" = /config/config.json ] && [ ! -e "$config_file" ]; then
    "$@" cp /etc/autoarr/config.json "$config_file"
    say "wrote the default configuration to $config_file (edit it there)"
  fi
}

if [ "$(id -u)" != 0 ]; then
  [ -w /config ] || fail "/config is not writable by uid $(id -u) (started with --user): make that uid its owner"
  seed_config
  exec /usr/bin/autoarr "$@"
fi

owner_uid=$(stat -c %u /config)
owner_gid=$(stat -c %g /config)
if [ -n "${PUID:-}" ]; then
  uid=$PUID
elif [ "$owner_uid" != 0 ]; then
  uid=$owner_uid
else
  uid=911
fi
if [ -n "${PGID:-}" ]; then
  gid=$PGID
elif [ -z "${PUID:-}" ] && [ "$owner_uid" != 0 ]; then
  gid=$owner_gid
else
  gid=911
fi
check_id PUID "$uid"
check_id PGID "$gid"

if [ "$owner_uid:$owner_gid" != "$uid:$gid" ]; then
  chown -R "$uid:$gid" /config 2>/dev/null ||
    fail "cannot hand /config (owned by $owner_uid:$owner_gid) to $uid:$gid: is it read-only? Set PUID/PGID to its owner"
  say "/config now belongs to $uid:$gid (it was $owner_uid:$owner_gid)"
fi

# util-linux's setpriv by its path: this busybox's shell prefers its own applets to PATH,
# and busybox's setpriv cannot change users.
as_user() { /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- "$@"; }
as_user test -w /config || fail "/config is not writable by $uid:$gid: is it mounted read-only?"
seed_config as_user

if [ "${1:-}" = serve ]; then
  say "running as $uid:$gid, TZ=${TZ:-UTC}, configuration ${config_file:-/etc/autoarr/config.json}"
  if [ -z "${SABNZBD_URL:-}${SONARR_URL:-}${RADARR_URL:-}" ]; then
    say "no SABNZBD_URL, SONARR_URL or RADARR_URL: a live audit uses the configuration's \"apps\", if any;" \
      "the bundled sample stack is audited with {\"source\": \"sample\"}"
  fi
fi
exec /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- /usr/bin/autoarr "$@"
