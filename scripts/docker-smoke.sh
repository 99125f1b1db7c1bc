#!/usr/bin/env bash
# The container image, built and run for real on a local dockerd
# (docs/container.md). scripts/test.sh runs it last.
#   1. installs what is missing (Debian's docker.io, mmdebstrap, docker-compose);
#   2. starts dockerd when none runs, and stops it at the end if it started it;
#   3. makes the build stage's base image with mmdebstrap from the machine's own
#      Debian sources when it is absent (no registry is needed), and keeps it;
#   4. builds the web UI (when the tree has one) into web/dist, then
#      packaging/Dockerfile with the classic builder;
#   5. runs the image with loopback-only ports and a token, and checks /health,
#      401 without the token, 201 with it for an audit of the bundled sample,
#      the web UI, the HEALTHCHECK, PUID/PGID, TZ, /config, a live audit that reaches
#      another container by its name, a clean stop, clear refusals of bad
#      settings, the image's size, readiness time and idle memory;
#   6. checks that `docker-compose config` accepts packaging/compose*.yaml;
#   7. removes everything it made but the base image: containers, volumes,
#      the network, the image and its intermediate layers.
#
# Usage: scripts/docker-smoke.sh     (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/apt_ensure.sh

# Debian's client, by full path: a static /usr/local/bin/docker may come first
# in PATH, and a newer client builds with BuildKit, whose frontend needs a registry.
docker=/usr/bin/docker
compose=/usr/bin/docker-compose
dockerd=/usr/sbin/dockerd
export DOCKER_BUILDKIT=0
# The build stage's base: Debian with the build and image packages already in
# it (scripts/setup.sh --list build/image), so each build installs nothing.
base_image=autoarr-build-base:bookworm
jobs=$(nproc 2>/dev/null || echo 2)

run_id="autoarr-smoke-$$"
image="autoarr:$run_id"
work=$(mktemp -d "${TMPDIR:-/tmp}/$run_id.XXXXXX")
started_dockerd="" forward_before="" policy_before="" made_web_dist=""
containers=() volumes=() networks=() made_images=()
failures=0 passes=0 summary=""
t_start=$(date +%s.%N)

say() { echo "== docker-smoke: $*"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
ok() {
  echo "   ok: $*"
  passes=$((passes + 1))
}
bad() {
  echo "   FAILED: $*" >&2
  failures=$((failures + 1))
}

cleanup() {
  local rc=$?
  set +e
  say "cleaning up"
  for c in "${containers[@]}"; do $docker rm -f -v "$c" >/dev/null 2>&1; done
  for v in "${volumes[@]}"; do $docker volume rm -f "$v" >/dev/null 2>&1; done
  for n in "${networks[@]}"; do $docker network rm "$n" >/dev/null 2>&1; done
  # The image, then the build stage's intermediate images this run created (newest first).
  $docker rmi -f "$image" >/dev/null 2>&1
  for ((i = ${#made_images[@]} - 1; i >= 0; i--)); do
    $docker image inspect "${made_images[i]}" >/dev/null 2>&1 && $docker rmi -f "${made_images[i]}" >/dev/null 2>&1
  done
  if [[ -n "$started_dockerd" ]]; then
    kill -TERM "$started_dockerd" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$started_dockerd" 2>/dev/null; then
      echo "docker-smoke: dockerd $started_dockerd did not stop in 20 s; killing it" >&2
      kill -KILL "$started_dockerd" 2>/dev/null
    fi
    [[ -z "$policy_before" ]] || iptables -P FORWARD "$policy_before"
    [[ -z "$forward_before" ]] || echo "$forward_before" >/proc/sys/net/ipv4/ip_forward
  fi
  if [[ -n "$made_web_dist" ]]; then rm -rf web/dist web/dist.tmp; fi
  rm -rf "$work"
  if [[ -n "$summary" ]]; then echo "$summary"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. packages
apt_ensure docker-smoke docker.io mmdebstrap docker-compose curl

# ---------------------------------------------------------------- 2. dockerd
if $docker info >/dev/null 2>&1; then
  say "using the running dockerd"
else
  say "starting dockerd"
  # dockerd turns on IP forwarding and sets iptables' FORWARD policy to DROP;
  # both are put back when it stops (docker's own chains and bridge stay, unused).
  forward_before=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || true)
  policy_before=$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}' || true)
  setsid "$dockerd" >"$work/dockerd.log" 2>&1 </dev/null &
  started_dockerd=$!
  for _ in $(seq 1 150); do
    $docker info >/dev/null 2>&1 && break
    kill -0 "$started_dockerd" 2>/dev/null || break
    sleep 0.2
  done
  if ! $docker info >/dev/null 2>&1; then
    echo "docker-smoke: dockerd did not come up; its log ends:" >&2
    tail -n 20 "$work/dockerd.log" >&2
    exit 1
  fi
fi
driver=$($docker info -f '{{.Driver}}')
say "dockerd $($docker version -f '{{.Server.Version}}'), storage driver $driver"

# ---------------------------------------------------------------- 3. base image
if $docker image inspect "$base_image" >/dev/null 2>&1; then
  say "base image $base_image present"
else
  sources=/etc/apt/sources.list.d/debian.sources
  [[ -f "$sources" ]] || { echo "docker-smoke: $sources is missing: mmdebstrap needs the machine's Debian sources" >&2; exit 1; }
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  include=$(scripts/setup.sh --list build; scripts/setup.sh --list image)
  say "making $base_image with mmdebstrap ($suite, minbase, merged /usr, + $(wc -w <<<"$include") packages)"
  t=$(date +%s.%N)
  # The merged-usr hooks lay out /usr as Debian does without installing the
  # usrmerge package (and the perl it pulls in); eatmydata spares dpkg its
  # fsyncs (282 s instead of 426 s here).
  mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
    --include="$(tr '\n' ',' <<<"$include" | sed 's/,$//')" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$suite" - "$sources" | $docker import --change 'CMD ["bash"]' - "$base_image" >/dev/null
  say "base image made in $(elapsed "$t") s"
fi

# ---------------------------------------------------------------- 4. image
# The web UI is built here, with the machine's Node.js and npm (scripts/setup.sh),
# into web/dist, which the Dockerfile takes from the context.
if [[ -f web/build.mjs ]]; then
  command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "docker-smoke: the web UI needs node and npm: run scripts/setup.sh" >&2; exit 1; }
  [[ -e web/dist ]] || made_web_dist=1
  say "building the web UI into web/dist"
  (cd web && ./install_packages.sh npm && node build.mjs dist) >"$work/web.log" 2>&1 ||
    { echo "docker-smoke: the web UI's build failed:" >&2; tail -n 20 "$work/web.log" >&2; exit 1; }
fi
say "building $image (classic builder, $jobs jobs)"
$docker images -aq --no-trunc | sort -u >"$work/images-before"
t=$(date +%s.%N)
build_ok=1
$docker build -f packaging/Dockerfile --build-arg BUILD_BASE="$base_image" --build-arg JOBS="$jobs" \
  -t "$image" . >"$work/build.log" 2>&1 || build_ok=0
# What this build created, for the cleanup: images that are new since it began and that
# its own steps printed (" ---> ID"), so another build on the same dockerd keeps its own.
grep -o -- '---> [0-9a-f]\{12\}' "$work/build.log" | cut -c6- | sort -u >"$work/build-steps" || true
mapfile -t made_images < <($docker images -aq --no-trunc | sort -u | comm -13 "$work/images-before" - |
  grep -F -f <(sed 's/^/sha256:/' "$work/build-steps") || true)
if ((!build_ok)); then
  echo "docker-smoke: docker build failed; its output ends:" >&2
  tail -n 40 "$work/build.log" >&2
  exit 1
fi
build_s=$(elapsed "$t")
say "image built in $build_s s"

# ---------------------------------------------------------------- 5. run
size=$($docker image inspect -f '{{.Size}}' "$image")
size_mb=$(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1e6}')
if ((size < 100000000)); then ok "image size $size_mb MB (< 100 MB)"; else bad "image size $size_mb MB, not under 100 MB"; fi

token=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
volume="$run_id-config"
network="$run_id-net"
$docker volume create "$volume" >/dev/null && volumes+=("$volume")
$docker network create "$network" >/dev/null && networks+=("$network")

# A second AutoArr on the same network stands in for an *arr application: the
# live audit must reach it by its container name (name lookup in the image).
peer="$run_id-peer"
$docker run -d --name "$peer" --network "$network" -e AUTOARR_API_TOKEN="$token" "$image" >/dev/null
containers+=("$peer")

app="$run_id-app"
$docker create --name "$app" --network "$network" -p 127.0.0.1::8000 \
  -e AUTOARR_API_TOKEN="$token" -e PUID=1234 -e PGID=2345 -e TZ=Europe/Berlin \
  -e SONARR_URL="http://$peer:8000" -e SONARR_API_KEY=0123456789abcdef0123456789abcdef \
  -v "$volume:/config" --health-interval=1s --health-start-period=30s "$image" >/dev/null
containers+=("$app")
t=$(date +%s.%N)
$docker start "$app" >/dev/null
port=$($docker port "$app" 8000/tcp | head -n1)
base_url="http://$port"
[[ "$port" == 127.0.0.1:* ]] && ok "port published on loopback only ($port)" || bad "port published as $port, not on 127.0.0.1"

ready_at=""
for _ in $(seq 1 400); do
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base_url/health/ready")" == 200 ]]; then
    ready_at=$(date +%s.%N)
    break
  fi
  sleep 0.025
done
if [[ -z "$ready_at" ]]; then
  bad "/health/ready never answered 200 in 10 s; the container's log:"
  $docker logs "$app" >&2
  exit 1
fi
# "After start": from the moment dockerd started the container's process (the
# entrypoint), as docker inspect records it. `docker start` itself, which also
# sets up the namespaces, the network and the port, is reported beside it.
started_at=$(date -d "$($docker inspect -f '{{.State.StartedAt}}' "$app")" +%s.%N)
ready=$(awk -v a="$started_at" -v b="$ready_at" 'BEGIN {printf "%.2f", b - a}')
with_docker=$(awk -v a="$t" -v b="$ready_at" 'BEGIN {printf "%.2f", b - a}')
if awk -v r="$ready" 'BEGIN {exit !(r < 2)}'; then
  ok "ready $ready s after the container started (< 2 s; $with_docker s from \`docker start\`)"
else
  bad "ready only $ready s after the container started, not under 2 s ($with_docker s from \`docker start\`)"
fi

pid=$($docker inspect -f '{{.State.Pid}}' "$app")
sleep 1
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" || true)
rss_kb=${rss_kb:-999999999}
rss_mb=$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k / 1024}')
((rss_kb < 20480)) && ok "idle RSS $rss_mb MiB (< 20 MiB)" || bad "idle RSS $rss_mb MiB, not under 20 MiB"

code=$(curl -s -o "$work/health.json" -w '%{http_code}' "$base_url/health" || true)
[[ "$code" == 200 ]] && grep -q '"status"' "$work/health.json" && ok "GET /health: 200 $(head -c 120 "$work/health.json")" ||
  bad "GET /health: $code $(cat "$work/health.json")"

audit() { # audit BODY [TOKEN]: prints the status code, the body goes to $work/audit.json
  curl -s -o "$work/audit.json" -w '%{http_code}' -X POST "$base_url/api/v1/audits" \
    -H 'Content-Type: application/json' ${2:+-H "Authorization: Bearer $2"} -d "$1" || true
}
code=$(audit '{"source": "sample"}')
[[ "$code" == 401 ]] && ok "an audit without the token: 401" || bad "an audit without the token: $code, not 401"
code=$(audit '{"source": "sample"}' "not-the-token-0123456789")
[[ "$code" == 401 ]] && ok "an audit with a wrong token: 401" || bad "an audit with a wrong token: $code, not 401"
code=$(audit '{"source": "sample"}' "$token")
if [[ "$code" == 201 ]] && grep -q '"findings"' "$work/audit.json"; then
  ok "an audit of the bundled sample with the token: 201, $(grep -o '"rule_id"' "$work/audit.json" | wc -l) findings"
else
  bad "an audit of the bundled sample with the token: $code $(head -c 300 "$work/audit.json")"
fi
code=$(audit '{"source": "live"}' "$token")
# The peer is no Sonarr: it answers with an HTTP error, which only a reached peer can give.
answer=$(grep -o 'answered HTTP [0-9]*\|refused (HTTP [0-9]*' "$work/audit.json" | head -n1 || true)
if [[ "$code" == 201 && -n "$answer" ]]; then
  ok "a live audit of SONARR_URL=http://$peer:8000: 201, the peer reached by its name ($answer)"
else
  bad "a live audit of SONARR_URL=http://$peer:8000: $code $(head -c 400 "$work/audit.json")"
fi

if [[ -f web/build.mjs ]]; then
  code=$(curl -s -D "$work/ui.headers" -o "$work/ui.html" -w '%{http_code}' "$base_url/" || true)
  if [[ "$code" == 200 ]] && grep -qi '^content-security-policy:' "$work/ui.headers" && grep -qi '<html' "$work/ui.html"; then
    ok "GET /: the web UI (200, text/html with a Content-Security-Policy)"
  else
    bad "GET /: $code, not the web UI: $(head -c 200 "$work/ui.html")"
  fi
fi

health=""
for _ in $(seq 1 60); do
  health=$($docker inspect -f '{{.State.Health.Status}}' "$app" || true)
  [[ "$health" == healthy ]] && break
  sleep 0.5
done
[[ "$health" == healthy ]] && ok "HEALTHCHECK: healthy" || bad "HEALTHCHECK: $health, not healthy"

ids=$(awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print u ":" g}' "/proc/$pid/status")
[[ "$ids" == 1234:2345 ]] && ok "runs as PUID:PGID 1234:2345" || bad "runs as $ids, not PUID:PGID 1234:2345"
owner=$($docker exec "$app" stat -c %u:%g /config /config/config.json /config/autoarr.db 2>&1 | sort -u | tr '\n' ' ' || true)
[[ "$owner" == "1234:2345 " ]] && ok "/config, its config.json and autoarr.db belong to 1234:2345" ||
  bad "/config, config.json and autoarr.db: $owner"
zone=$($docker exec "$app" date +%Z || true)
[[ "$zone" == CET || "$zone" == CEST ]] && ok "TZ=Europe/Berlin: $zone" || bad "TZ=Europe/Berlin gives $zone"

t=$(date +%s.%N)
$docker stop -t 10 "$app" >/dev/null || true
stop_s=$(elapsed "$t")
exit_code=$($docker inspect -f '{{.State.ExitCode}}' "$app")
[[ "$exit_code" == 0 ]] && ok "docker stop: exit 0 after $stop_s s" || bad "docker stop: exit $exit_code after $stop_s s"

# The same volume again, as the user who owns it now: the database is kept.
$docker run --rm -v "$volume:/config" --entrypoint /bin/sh "$image" -c 'test -s /config/autoarr.db' &&
  ok "the database stays in the volume" || bad "no database in the volume after the stop"

# Bad settings: a clear refusal that names what is wrong, and no start.
refuses() { # refuses WHAT EXPECTED-TEXT docker-run-arguments...
  local what=$1 expected=$2 out rc=0
  shift 2
  out=$($docker run --rm "$@" "$image" 2>&1) || rc=$?
  if ((rc != 0)) && grep -qF -- "$expected" <<<"$out"; then
    ok "$what: refused (exit $rc): $(grep -F -- "$expected" <<<"$out" | head -n1 | cut -c1-150)"
  else
    bad "$what: exit $rc, expected a refusal naming \"$expected\"; got: $out"
  fi
}
refuses "no token" "without AUTOARR_API_TOKEN"
refuses "a short token" "AUTOARR_API_TOKEN" -e AUTOARR_API_TOKEN=short
refuses "PUID=abc" 'PUID="abc" is not a numeric id' -e PUID=abc -e AUTOARR_API_TOKEN="$token"
refuses "TZ=Mars/Base" 'TZ="Mars/Base" is not a time zone' -e TZ=Mars/Base -e AUTOARR_API_TOKEN="$token"
refuses "AUTOARR_CONFIG naming a missing file" "named by AUTOARR_CONFIG" \
  -e AUTOARR_CONFIG=/config/elsewhere.json -e AUTOARR_API_TOKEN="$token"

# ---------------------------------------------------------------- 6. compose
for file in packaging/compose.yaml packaging/compose.arr-stack.yaml; do
  if AUTOARR_API_TOKEN="$token" $compose -f "$file" config >"$work/compose.out" 2>&1; then
    ok "docker-compose config $file"
  else
    bad "docker-compose config $file: $(cat "$work/compose.out")"
  fi
  if env -u AUTOARR_API_TOKEN $compose -f "$file" config >"$work/compose.out" 2>&1; then
    bad "docker-compose config $file passes without AUTOARR_API_TOKEN"
  elif grep -q AUTOARR_API_TOKEN "$work/compose.out"; then
    ok "docker-compose config $file without a token: refused, naming AUTOARR_API_TOKEN"
  else
    bad "docker-compose config $file without a token: $(cat "$work/compose.out")"
  fi
done

say "image $size_mb MB, ready in $ready s ($with_docker s with docker start), idle RSS $rss_mb MiB, build $build_s s, whole run $(elapsed "$t_start") s"
# The closing line comes last, after the cleanup's (see cleanup).
summary="docker-smoke: $passes passed, $failures failed"
((failures == 0))
