#!/usr/bin/env bash
# Builds the libFuzzer targets (cmake --preset fuzz: clang, ASan + UBSan) and
# runs each one for a while on its seeds (docs/fuzzing.md). A crash, a leak,
# a timeout or a broken FUZZ_CHECK fails the run, and the input that did it is
# kept under build/fuzz/artifacts/<target>/ for the regression test.
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]
#   seconds-per-target  default 20 (what scripts/test.sh runs)
#   target              e.g. http_request; default every target
# Environment:
#   FUZZ_JOBS=N         targets run at once (default 1)
#   FUZZ_RUNS=N         stop a target after N executions as well (the long run: 10000000)
#   FUZZ_NICE=N         run the targets under nice -n N (default 0; the long run uses 19)
#   FUZZ_TIMEOUT=S      an input that runs longer is a failure (default 10; at nice 19 on a busy
#                       machine a 5 ms input has waited 11 s for the CPU, so the long run uses 120)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-20}
shift || true
jobs=${FUZZ_JOBS:-1}
runs=${FUZZ_RUNS:-}
niceness=${FUZZ_NICE:-0}
timeout_s=${FUZZ_TIMEOUT:-10}

# name | seed sources (in-repo files and globs; seeds/<name> is always added) | dictionaries | max_len
# (0: the largest seed; the stream targets cut every input three ways, so theirs stay small)
targets=(
  "manifest|tests/fixtures/*/manifest.json|json|4096"
  "line_splitter|tests/fixtures/ollama/*.ndjson|json|8192"
  "ollama_chat|tests/fixtures/ollama/*.json tests/fixtures/ollama/errors/*|json|16384"
  "ollama_stream|tests/fixtures/ollama/*.ndjson|json|8192"
  "claude_sse|tests/fixtures/anthropic/*.sse tests/fixtures/anthropic/message_*.json|json sse|8192"
  "claude_errors|tests/fixtures/anthropic/errors/*|json|4096"
  "model_answer|tests/fixtures/ollama/chat_nonstream_json_fenced.json tests/fixtures/anthropic/message_json_fenced.json|json|16384"
  "expression||json rules|4096"
  "rule_file|core/audit/rules/catalog.json tests/fixtures/arr/rules.json|json rules|0"
  "stack_documents|@stacks|json|0"
  "config|packaging/config.json|json|8192"
  "http_request|@requests|http json|0"
  "fix_writers|@stacks tests/fixtures/arr/*/*/downloadclient.json|json|0"
  "openai_stream||json sse|8192"
)

wanted=("$@")
selected=()
for t in "${targets[@]}"; do
  name=${t%%|*}
  if ((${#wanted[@]} == 0)) || [[ " ${wanted[*]} " == *" $name "* ]]; then selected+=("$t"); fi
done
if ((${#selected[@]} == 0)); then
  echo "fuzz.sh: no such target: ${wanted[*]}" >&2
  exit 2
fi

echo "== fuzz.sh: configure + build (fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc 2>/dev/null || echo 2)" --target fuzz_targets

out=build/fuzz
mkdir -p "$out/seeds" "$out/corpus" "$out/artifacts" "$out/logs" "$out/dict"

# One document per stack variant, as POST /api/v1/audits {"documents": ...} takes them.
source scripts/stack_json.sh
stack_dirs() {  # target: its own directories, as targets run in parallel
  echo examples/sample-stack
  for variant in misconfigured well-configured; do
    local d="$out/seeds/.stack-$1-$variant"
    rm -rf "$d"
    mkdir -p "$d"
    for app in sabnzbd sonarr radarr; do
      # -n: never follow a link left by an earlier run into the fixtures themselves.
      [ -d "tests/fixtures/arr/$app/$variant" ] && ln -sfn "$root/tests/fixtures/arr/$app/$variant" "$d/$app"
    done
    echo "$d"
  done
}
http_post() {  # target, body, extra header lines
  local body=$2
  printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s' \
    "$1" "$(printf '%s' "$body" | wc -c)" "${3:-}" "$body"
}

make_seeds() {  # name, sources
  local name=$1 dir="$out/seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  [ -d "tests/fuzz/seeds/$name" ] && cp tests/fuzz/seeds/"$name"/* "$dir"/
  local n=0
  for src in $2; do
    case $src in
      @stacks)
        while read -r d; do stack_json "$d" > "$dir/stack-$((n += 1)).json"; done < <(stack_dirs "$name") ;;
      @requests)
        while read -r d; do
          local docs
          docs=$(stack_json "$d")
          http_post /api/v1/audits "{\"documents\":$docs}" > "$dir/audit-inline-$((n += 1)).http"
          http_post /api/v1/audits "{\"documents\":$docs}" $'Accept: text/event-stream\r\n' > "$dir/audit-stream-$n.http"
        done < <(stack_dirs "$name") ;;
      *)
        for f in $src; do [ -f "$f" ] && cp "$f" "$dir/$((n += 1))-$(basename "$f")"; done ;;
    esac
  done
}

run_target() {  # the target's line from `targets`; prints one summary line
  local name sources dicts max_len
  IFS='|' read -r name sources dicts max_len <<< "$1"
  make_seeds "$name" "$sources"
  local dict="$out/dict/$name.dict"
  : > "$dict"
  for d in $dicts; do cat "tests/fuzz/dict/$d.dict" >> "$dict"; done
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  local log="$out/logs/$name.log"
  local args=(-max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1
    -dict="$dict" -artifact_prefix="$out/artifacts/$name/")
  [ -n "$runs" ] && args+=(-runs="$runs")
  local status=0
  # Scratch files (the config target's file, the request path's store) go to memory when
  # it can, in a directory of their own that goes when the target ends, crashed or not.
  local scratch
  scratch=$(mktemp -d "$([ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/autoarr-fuzz-$name.XXXXXX")
  TMPDIR=$scratch \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n "$niceness" "$out/fuzz/fuzz_$name" "${args[@]}" "$out/corpus/$name" "$out/seeds/$name" > "$log" 2>&1 || status=$?
  rm -rf "$scratch"
  local execs cov ft
  execs=$(awk '/stat::number_of_executed_units/ {n = $2} END {print n}' "$log")
  cov=$(awk '{for (i = 1; i < NF; i++) if ($i == "cov:") n = $(i + 1)} END {print n}' "$log")
  ft=$(awk '{for (i = 1; i < NF; i++) if ($i == "ft:") n = $(i + 1)} END {print n}' "$log")
  local verdict=ok
  if ((status != 0)); then verdict="FAILED (exit $status; $(ls "$out/artifacts/$name" | tr '\n' ' '))"; fi
  printf '%-16s %12s execs  cov %6s  ft %7s  corpus %6s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$(ls "$out/corpus/$name" | wc -l)" "$verdict"
  if ((status != 0)); then
    echo "---- $log (last 60 lines)"
    tail -60 "$log"
    return 1
  fi
}

echo "== fuzz.sh: ${#selected[@]} targets, ${seconds} s each$([ -n "$runs" ] && echo " or $runs executions"), $jobs at a time"
start=$(date +%s)
failed=0
running=0
for t in "${selected[@]}"; do
  if ((jobs <= 1)); then
    run_target "$t" || failed=1
    continue
  fi
  if ((running >= jobs)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$t" > "$out/logs/${t%%|*}.summary" 2>&1 &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
if ((jobs > 1)); then for t in "${selected[@]}"; do cat "$out/logs/${t%%|*}.summary"; done; fi
echo "== fuzz.sh: $(( $(date +%s) - start )) s$( ((failed)) && echo ', FAILED' || echo ', no crash')"
exit $failed
