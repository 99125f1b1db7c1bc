#!/usr/bin/env bash
# The service soaked: mixed traffic through a real `autoarr serve` at a
# bounded rate on loopback, with upstream faults injected, and the process
# sampled every 10 s (docs/benchmarks.md, "Soak").
#
# Traffic (one cycle of 20 requests, repeated at RATE requests/s): health,
# metrics, the audit list, a stored audit read back, audits inline and of the
# sample (and now and then one streamed), fixes in dry run of a stored audit,
# chat plain and streamed, and chat asked of Claude. Faults: Claude's base URL refuses connections (each such
# chat falls back to Ollama, each health check finds Claude down); the Ollama
# upstream (bench/soak_upstream.cpp) answers 500, 429 with Retry-After, a
# stream dropped in the middle, or slow tokens, as each request asks.
#
# Passes when: RSS grows less than 5 % after the warm-up; open descriptors and
# threads stay flat (the last third of the run reaches no higher than the
# first third after the warm-up); no 5xx (every injected fault is absorbed by a retry or a
# fallback, or, for a stream dropped after its first token, ends the stream
# with an error event, which is counted); every acknowledged audit reads back.
#
# usage: bench/soak.sh [seconds] [build dir]    (default 1800 s, build/release)
#   RATE=10          requests per second
#   WARMUP=300       seconds before the RSS reference is taken (default: a sixth of the run, at most 300)
#   SOAK_OUT=DIR     also copy samples.csv, requests.csv, summary.txt and rss.svg there
# CI does not run it; the 30-minute result is in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-1800}
B=${2:-build/release}
rate=${RATE:-10}
warmup=${WARMUP:-$((duration / 6 < 300 ? duration / 6 : 300))}
for bin in "$B/bin/autoarr" "$B/bin/soak_upstream"; do
  [ -x "$bin" ] || { echo "soak: $bin is missing (cmake --build --preset ${B##*/})" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "soak: curl is missing" >&2; exit 2; }

work=$(mktemp -d)
cleanup() {
  kill "${sampler_pid:-}" 2>/dev/null || true
  kill "${serve_pid:-}" 2>/dev/null || true
  kill "${upstream_pid:-}" 2>/dev/null || true  # the coproc's own stdin copy would keep it waiting for EOF
  exec 3>&- 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -z "${SOAK_KEEP:-}" ]; then rm -rf "$work"; else echo "soak: kept $work"; fi
}
trap cleanup EXIT

coproc UP { exec "$B/bin/soak_upstream"; }
upstream_pid=$UP_PID
read -r up_port refused_port <&"${UP[0]}"
exec 3>&"${UP[1]}"

OLLAMA_URL=http://127.0.0.1:$up_port OLLAMA_MODEL=qwen2.5:7b LLM_PROVIDER=ollama LLM_FALLBACK_ORDER=claude \
  CLAUDE_API_KEY=soak-not-a-real-key CLAUDE_BASE_URL=http://127.0.0.1:$refused_port AUTOARR_PLUGIN_PATH= \
  "$B/bin/autoarr" --log-level warn serve --listen 127.0.0.1:0 --db "$work/soak.db" \
  --sample-stack "$PWD/examples/sample-stack" --health-interval 5 > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)
[ -n "$port" ] || { echo "soak: autoarr serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
base=http://127.0.0.1:$port
echo "soak: autoarr serve pid $serve_pid on :$port, upstream :$up_port, refusing :$refused_port; ${duration} s at $rate req/s"

# Inline audits cycle through three stacks: the sample and the two fixture variants.
source scripts/stack_json.sh
inline() { printf '{"documents":'; stack_json "$1"; printf '}'; }
inline examples/sample-stack > "$work/inline-0.json"
for v in misconfigured well-configured; do
  mkdir -p "$work/stack-$v"
  for app in sabnzbd sonarr radarr; do ln -s "$PWD/tests/fixtures/arr/$app/$v" "$work/stack-$v/$app"; done
done
inline "$work/stack-misconfigured" > "$work/inline-1.json"
inline "$work/stack-well-configured" > "$work/inline-2.json"

sample() {  # every 10 s: seconds since start, RSS kB, open fds, threads, database bytes (with -wal, -shm)
  local t0=$1
  while kill -0 "$serve_pid" 2>/dev/null; do
    local rss threads fds db
    rss=$(awk '$1=="VmRSS:" {print $2}' "/proc/$serve_pid/status")
    threads=$(awk '$1=="Threads:" {print $2}' "/proc/$serve_pid/status")
    fds=$(ls "/proc/$serve_pid/fd" | wc -l)
    db=$(cat "$work"/soak.db* 2>/dev/null | wc -c)
    echo "$(( $(date +%s) - t0 )),$rss,$fds,$threads,$db" >> "$work/samples.csv"
    sleep 10
  done
}
echo "t_s,rss_kb,fds,threads,db_bytes" > "$work/samples.csv"
echo "t_s,kind,fault,status,note" > "$work/requests.csv"
: > "$work/audit_ids"
start=$(date +%s)
sample "$start" &
sampler_pid=$!

n=0
request() {  # kind fault method path [body-file] [accept]
  local kind=$1 fault=$2 method=$3 path=$4 body=${5:-} accept=${6:-application/json}
  local args=(-s -o "$work/body" -w '%{http_code}' -X "$method" -H "Accept: $accept" --max-time 120)
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  local status note=""
  status=$(curl "${args[@]}" "$base$path" || echo 000)
  if [[ $accept == text/event-stream ]]; then
    grep -q '^event: error' "$work/body" && note=stream-error
    if [[ $kind == audit_stream ]] && grep -q '^event: result' "$work/body"; then
      grep -A1 '^event: result' "$work/body" | grep -o '"audit_id":"[^"]*"' | head -1 | cut -d'"' -f4 >> "$work/audit_ids"
    fi
  elif [[ $status == 201 ]]; then
    grep -o '"audit_id":"[^"]*"' "$work/body" | head -1 | cut -d'"' -f4 >> "$work/audit_ids"
  fi
  echo "$(( $(date +%s) - start )),$kind,$fault,$status,$note" >> "$work/requests.csv"
}
chat() {  # kind fault stream provider
  local f=$work/chat.json content="soak request $n: how do I secure SABnzbd?"
  [ "$2" != none ] && content="$content fault:$2:$n"
  printf '{"messages":[{"role":"user","content":"%s"}],"stream":%s%s}' "$content" "$3" \
    "$([ -n "$4" ] && printf ',"provider":"%s"' "$4")" > "$f"
  request "$1" "$2" POST /api/v1/chat "$f" "$([ "$3" = true ] && echo text/event-stream || echo application/json)"
}
echo '{"source":"sample"}' > "$work/sample.json"
echo '{}' > "$work/empty.json"  # a fix run's defaults: a dry run, every fix the audit offers

interval=$(awk -v r="$rate" 'BEGIN {printf "%.6f", 1 / r}')
next=$EPOCHREALTIME
cycle=0
while (( $(date +%s) - start < duration )); do
  cycle=$((cycle + 1))
  for slot in $(seq 20); do
    n=$((n + 1))
    case $slot in
      1|6|11|16) request health none GET /health ;;
      2|12) request metrics none GET /metrics ;;
      3) request list none GET '/api/v1/audits?limit=20' ;;
      4) request audit_sample none POST /api/v1/audits "$work/sample.json" ;;
      5) request audit_inline none POST /api/v1/audits "$work/inline-$((cycle % 3)).json" ;;
      7) chat chat none false "" ;;
      8) chat chat $(case $((cycle % 3)) in 0) echo 500 ;; 1) echo 429 ;; *) echo drop ;; esac) false "" ;;
      9) chat chat_stream none true "" ;;
      10) chat chat_stream $(case $((cycle % 4)) in 0) echo 500 ;; 1) echo 429 ;; 2) echo drop ;; *) echo slow ;; esac) true "" ;;
      13) chat chat_claude refused false claude ;;
      14) chat chat_stream_claude refused true claude ;;
      15) id=$(shuf -n 1 "$work/audit_ids" 2>/dev/null || true)
          [ -n "$id" ] && request audit_get none GET "/api/v1/audits/$id" || request list none GET /api/v1/audits ;;
      17) id=$(shuf -n 1 "$work/audit_ids" 2>/dev/null || true)
          if ((cycle % 5 == 0)); then request audit_stream none POST /api/v1/audits "$work/sample.json" text/event-stream
          elif ((cycle % 5 != 4)) && [ -n "$id" ]; then request fix_dry_run none POST "/api/v1/audits/$id/fixes" "$work/empty.json"
          else request health none GET /health/ready; fi ;;
      18) request list none GET '/api/v1/audits?limit=5&offset=3' ;;
      19) chat chat none false "" ;;
      20) request metrics none GET /metrics ;;
    esac
    # The bounded rate: the next request starts at its slot, never earlier.
    next=$(awk -v a="$next" -v b="$interval" 'BEGIN {printf "%.6f", a + b}')
    wait_s=$(awk -v a="$next" -v b="$EPOCHREALTIME" 'BEGIN {d = a - b; printf "%.6f", (d > 0 ? d : 0)}')
    [ "$wait_s" != 0.000000 ] && sleep "$wait_s"
  done
done
echo "soak: traffic done after $(( $(date +%s) - start )) s, $n requests; reading back every acknowledged audit"

# Every acknowledged audit reads back, whole.
sort -u "$work/audit_ids" > "$work/audit_ids.sorted"
acknowledged=$(wc -l < "$work/audit_ids.sorted")
unreadable=0
states=$work/states
: > "$states"
while read -r id; do
  code=$(curl -s -o "$work/body" -w '%{http_code}' "$base/api/v1/audits/$id")
  if [ "$code" != 200 ] || ! grep -q "\"audit_id\":\"$id\"" "$work/body"; then
    unreadable=$((unreadable + 1))
  else
    grep -o '"enrichment":{"state":"[a-z]*"' "$work/body" | sed 's/.*"state":"//; s/"//' >> "$states"
  fi
done < "$work/audit_ids.sorted"
sleep 11  # one more sample after the traffic
kill "$sampler_pid" 2>/dev/null || true
alive=$(kill -0 "$serve_pid" 2>/dev/null && echo yes || echo no)

{
  echo "duration ${duration} s, rate ${rate} req/s, warm-up ${warmup} s, $n requests"
  echo "requests by kind and status:"
  awk -F, 'NR > 1 {k[$2 " " $4 ($5 != "" ? " " $5 : "")]++} END {for (x in k) printf "  %-32s %6d\n", x, k[x]}' \
    "$work/requests.csv" | sort
  echo "faults injected: $(awk -F, 'NR > 1 && $3 != "none" {c++} END {print c + 0}' "$work/requests.csv")" \
    "($(awk -F, 'NR > 1 && $3 != "none" {k[$3]++} END {for (x in k) printf "%s %d, ", x, k[x]}' "$work/requests.csv" | sed 's/, $//'))"
  echo "audits acknowledged: $acknowledged, unreadable: $unreadable;" \
    "enrichment states: $(sort "$states" | uniq -c | awk '{printf "%s %s, ", $2, $1}' | sed 's/, $//')"
  awk -F, -v w="$warmup" '
    NR == 1 {next}
    {t[++n] = $1; r[n] = $2; f[n] = $3; h[n] = $4; d[n] = $5}
    END {
      for (i = 1; i <= n && t[i] < w; i++) {}
      ref = i; if (ref > n) ref = n
      rmax = 0; fmin = 1e9; fmax = 0; hmin = 1e9; hmax = 0
      for (j = ref; j <= n; j++) {
        if (r[j] > rmax) rmax = r[j]
        if (f[j] < fmin) fmin = f[j]; if (f[j] > fmax) fmax = f[j]
        if (h[j] < hmin) hmin = h[j]; if (h[j] > hmax) hmax = h[j]
      }
      # Flat: the last third after the warm-up reaches no higher than the first third
      # (connections to the upstream come and go; a leak climbs).
      third = int((n - ref + 1) / 3); if (third < 1) third = 1
      f1 = 0; h1 = 0; f3 = 0; h3 = 0
      for (j = ref; j < ref + third; j++) { if (f[j] > f1) f1 = f[j]; if (h[j] > h1) h1 = h[j] }
      for (j = n - third + 1; j <= n; j++) { if (f[j] > f3) f3 = f[j]; if (h[j] > h3) h3 = h[j] }
      growth = (r[n] - r[ref]) * 100 / r[ref]
      printf "RSS: %.1f MB at the start, %.1f MB after the warm-up (t=%d s), %.1f MB at the end, peak after the warm-up %.1f MB: growth %+.2f %%\n", r[1] / 1024, r[ref] / 1024, t[ref], r[n] / 1024, rmax / 1024, growth
      printf "descriptors after the warm-up: %d..%d (highest in the first third %d, in the last third %d); threads: %d..%d (%d, %d); database: %.1f MB at the end\n", fmin, fmax, f1, f3, hmin, hmax, h1, h3, d[n] / 1048576
      printf "VERDICT_RSS %s\nVERDICT_FDS %s\nVERDICT_THREADS %s\n", (growth < 5 ? "pass" : "FAIL"), (f3 <= f1 ? "pass" : "FAIL"), (h3 <= h1 ? "pass" : "FAIL")
    }' "$work/samples.csv"
  five=$(awk -F, 'NR > 1 && $4 >= 500 {c++} END {print c + 0}' "$work/requests.csv")
  other=$(awk -F, 'NR > 1 && ($4 < 200 || ($4 >= 300 && $4 < 500)) {c++} END {print c + 0}' "$work/requests.csv")
  unexplained_stream=$(awk -F, 'NR > 1 && $5 == "stream-error" && $3 != "drop" {c++} END {print c + 0}' "$work/requests.csv")
  echo "5xx: $five; other non-2xx: $other; stream errors without an injected drop: $unexplained_stream"
  echo "VERDICT_5XX $( ((five == 0 && other == 0 && unexplained_stream == 0)) && echo pass || echo FAIL)"
  echo "VERDICT_READBACK $( ((unreadable == 0 && acknowledged > 0)) && echo pass || echo FAIL)"
  echo "VERDICT_ALIVE $([ "$alive" = yes ] && echo pass || echo FAIL)"
  echo "service log: $(grep -c ' warn ' "$work/serve.log" || true) warn lines, $(grep -c ' error ' "$work/serve.log" || true) error lines"
} > "$work/summary.txt"

# RSS over time as an SVG line chart (no plotting package needed).
awk -F, -v w="$warmup" 'NR == 1 {next} {t[++n] = $1; r[n] = $2 / 1024}
  END {
    W = 720; H = 300; L = 60; R = 20; T = 20; Bm = 40
    tmax = t[n] > 0 ? t[n] : 1; rmin = r[1]; rmax = r[1]
    for (i = 1; i <= n; i++) { if (r[i] < rmin) rmin = r[i]; if (r[i] > rmax) rmax = r[i] }
    lo = rmin * 0.9; hi = rmax * 1.1; if (hi - lo < 1) hi = lo + 1
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"14\">autoarr serve RSS (MB) over the soak, sampled every 10 s</text>\n", L
    x0 = L; x1 = W - R; y0 = H - Bm; y1 = T
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", x0, y0, x1, y0
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", x0, y0, x0, y1
    for (k = 0; k <= 4; k++) {
      v = lo + (hi - lo) * k / 4; y = y0 - (y0 - y1) * k / 4
      printf "<text x=\"5\" y=\"%.1f\">%.1f</text><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", y + 4, v, x0, y, x1, y
      s = tmax * k / 4; x = x0 + (x1 - x0) * k / 4
      printf "<text x=\"%.1f\" y=\"%d\">%d s</text>\n", x - 10, H - 20, s
    }
    xw = x0 + (x1 - x0) * w / tmax
    if (w > 0 && w < tmax) printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4\"/><text x=\"%.1f\" y=\"%d\">end of warm-up</text>\n", xw, y0, xw, y1, xw + 4, y1 + 12
    printf "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\""
    for (i = 1; i <= n; i++) printf "%.1f,%.1f ", x0 + (x1 - x0) * t[i] / tmax, y0 - (y0 - y1) * (r[i] - lo) / (hi - lo)
    printf "\"/>\n</svg>\n"
  }' "$work/samples.csv" > "$work/rss.svg"

cat "$work/summary.txt"
if [ -n "${SOAK_OUT:-}" ]; then
  mkdir -p "$SOAK_OUT"
  cp "$work/samples.csv" "$work/requests.csv" "$work/summary.txt" "$work/rss.svg" "$SOAK_OUT"/
  echo "soak: results in $SOAK_OUT"
fi
! grep -q 'VERDICT_.* FAIL' "$work/summary.txt"
