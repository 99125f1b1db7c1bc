#!/usr/bin/env bash
# The host service under load: wrk against POST /api/v1/chat routed through the
# Ollama plugin to a loopback fixture server, and directly against the fixture
# server, in the same run; RSS idle and under load; streaming time to first byte.
# usage: bench/service_bench.sh [build dir]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
DUR=${DUR:-4}
work=$(mktemp -d)
cleanup() { kill "${serve_pid:-}" 2>/dev/null || true; exec 3>&- 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

coproc FIX { "$B/bin/fixture_ollama_server"; }
read -r fport <&"${FIX[0]}"
exec 3>&"${FIX[1]}"
OLLAMA_URL=http://127.0.0.1:$fport OLLAMA_MODEL=llama3.2 LLM_PROVIDER=ollama AUTOARR_PLUGIN_PATH= \
  "$B/bin/autoarr" --log-level error serve --listen 127.0.0.1:0 --db "$work/a.db" --health-interval 3600 \
  > "$work/serve.out" 2>&1 &
serve_pid=$!
for _ in $(seq 50); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.out")
rss() { awk -v k="$2" '$1==k":" {print $2/1024 " MB"}' "/proc/$1/status"; }
sleep 0.5
echo "idle RSS: $(rss $serve_pid VmRSS)"

body='{"messages":[{"role":"user","content":"Why is the sky blue?"}]}'
raw='{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":false}'
printf 'wrk.method="POST"\nwrk.body=[[%s]]\nwrk.headers["Content-Type"]="application/json"\n' "$body" > "$work/host.lua"
printf 'wrk.method="POST"\nwrk.body=[[%s]]\nwrk.headers["Content-Type"]="application/json"\n' "$raw" > "$work/direct.lua"

# wrk prints latencies as 812.00us, 2.31ms or 1.02s: to microseconds.
to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Each (target, concurrency) runs REPS times, host and direct interleaved so
# that both see the same machine; the table gives medians (and the spread).
REPS=${REPS:-3}
printf "\n%-8s %-4s %10s %10s %10s   %s\n" target c req/s p50_us p99_us "p99 spread (us)"
for c in 1 16 64; do
  t=$(( c < 2 ? 1 : 2 ))
  for target in direct host; do : > "$work/$target.$c"; done
  for _ in $(seq "$REPS"); do
    for target in direct host; do
      if [ $target = host ]; then url=http://127.0.0.1:$port/api/v1/chat; else url=http://127.0.0.1:$fport/api/chat; fi
      out=$(wrk -t$t -c$c -d${DUR}s --latency -s "$work/$target.lua" "$url")
      non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
      [ -z "$non2xx" ] || echo "WARNING: $target c=$c: $non2xx non-2xx answers" >&2
      echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(to_us "$(echo "$out" | awk '$1=="50%" {print $2}')") $(to_us "$(echo "$out" | awk '$1=="99%" {print $2}')")" >> "$work/$target.$c"
    done
  done
  for target in direct host; do
    f="$work/$target.$c"
    printf "%-8s %-4s %10s %10s %10s   %s\n" $target $c "$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f2 "$f" | median)" \
      "$(cut -d' ' -f3 "$f" | median)" "$(cut -d' ' -f3 "$f" | sort -g | tr '\n' ' ')"
  done
  if [ "$c" = 1 ] || [ "$c" = 64 ]; then
    q=$([ "$c" = 1 ] && echo 2 || echo 3)
    echo "added $([ $q = 2 ] && echo p50 || echo p99) at c=$c (median host - median direct): $(( $(cut -d' ' -f$q "$work/host.$c" | median | cut -d. -f1) - $(cut -d' ' -f$q "$work/direct.$c" | median | cut -d. -f1) )) us"
  fi
done
echo "RSS after load: $(rss $serve_pid VmRSS) (peak $(rss $serve_pid VmHWM))"

ttfb() {  # median time from the request being sent to the first byte of the answer, over 40 runs
  # (starttransfer - pretransfer: TCP connect and curl start-up are not part of time to first token)
  for _ in $(seq 40); do
    curl -s -N -o /dev/null -w '%{time_pretransfer} %{time_starttransfer}\n' -H 'Content-Type: application/json' -d "$2" "$1"
  done | awk '{print $2 - $1}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f ms", a[int(NR/2)+1]*1000}'
}
echo
echo "streaming time to first byte, direct NDJSON: $(ttfb http://127.0.0.1:$fport/api/chat '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}')"
echo "streaming time to first byte, host SSE:      $(ttfb http://127.0.0.1:$port/api/v1/chat '{"messages":[{"role":"user","content":"hi"}],"stream":true}')"
