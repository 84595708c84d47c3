#!/usr/bin/env bash
# Generator-based fuzzing of the parsers (INI, backup.cfg, credentials files, autorestore.cfg, Oracle output
# markers, lock files, btrfs output, the ZFSSA and ONTAP JSON answers and driver settings). Outside the normal test
# run (Scripts/test.sh runs only a bounded smoke run, Tests/FuzzSmokeTests).
#
# Builds oib-fuzz in release mode (scratch path .build-release, so the debug build in .build stays incremental),
# then runs every target in child processes: a crash (a Swift trap ends the process) or an input that takes longer
# than the time limit is a finding; its input is saved under the findings directory and the run continues with
# the next input. Prints per-target counts; exits 1 on any finding, 2 on usage errors.
#
# usage: Scripts/fuzz.sh [--total N | --per-target N] [--seed S] [--time-limit SECONDS] [--targets a,b]
#                        [--findings DIR] [--no-build] [--record]
#   --total N        inputs in total, shared evenly by the targets (default 1000000)
#   --per-target N   inputs per target instead
#   --seed S         generator seed (default 20240601); seed and index reproduce any input:
#                    .build-release/release/oib-fuzz reproduce --target T --seed S --index I
#   --time-limit S   seconds one input may take before it counts as a hang (default 10)
#   --findings DIR   where crashing and hanging inputs are saved (default fuzz-findings)
#   --no-build       use the oib-fuzz already built
#   --record         write the results into the Fuzzing section of Documentation/reliability.md
# On a shared machine, build under the build lock first and then run with --no-build:
#   flock /tmp/oib-build.lock swift build -c release --product oib-fuzz --scratch-path .build-release
set -euo pipefail
cd "$(dirname "$0")/.."

total=1000000
per_target=""
seed=20240601
time_limit=10
targets=""
findings=fuzz-findings
build=1
record=0
while [ $# -gt 0 ]; do
  case "$1" in
    --total) total="$2"; shift 2 ;;
    --per-target) per_target="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --time-limit) time_limit="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --findings) findings="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --record) record=1; shift ;;
    *) sed -n '2,24p' "$0" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  swift build -c release --product oib-fuzz --scratch-path .build-release >&2
fi
fuzzer=.build-release/release/oib-fuzz
[ -x "$fuzzer" ] || { echo "$fuzzer is missing; build it (see --no-build)" >&2; exit 2; }

arguments=(campaign --seed "$seed" --time-limit "$time_limit" --findings "$findings")
if [ -n "$per_target" ]; then arguments+=(--per-target "$per_target"); else arguments+=(--total "$total"); fi
[ -z "$targets" ] || arguments+=(--targets "$targets")
report=$(mktemp)
trap 'rm -f "$report"' EXIT
set +e
"$fuzzer" "${arguments[@]}" --report "$report"
status=$?
set -e

if [ "$record" = 1 ] && [ -s "$report" ]; then
  doc=Documentation/reliability.md
  begin='<!-- fuzz-results:begin -->'
  end='<!-- fuzz-results:end -->'
  if ! grep -qF "$begin" "$doc" 2>/dev/null; then
    echo "$doc has no '$begin' marker; add the block before recording." >&2
    exit 2
  fi
  measured=$(date -u '+%Y-%m-%d %H:%M UTC')
  machine="$(uname -m), $(nproc) cores, $(swift --version 2>/dev/null | grep -o 'Swift version [0-9.]*' | head -1)"
  block=$(printf 'Run of %s on %s (exit status %s):\n\n%s' "$measured" "$machine" "$status" "$(cat "$report")")
  tmp=$(mktemp)
  awk -v begin="$begin" -v end="$end" -v block="$block" '
    $0 == begin { print; print block; skipping = 1; next }
    $0 == end { skipping = 0 }
    !skipping { print }
  ' "$doc" >"$tmp"
  mv "$tmp" "$doc"
fi
exit $status
