#!/usr/bin/env bash
# Builds the retention benchmark in release mode (scratch path .build-release, so the debug build in .build stays
# incremental), runs it, and writes the results into the table of Documentation/benchmarks.md.
#
# usage: Scripts/bench.sh [--snapshots N] [--iterations N]
# On a shared machine, hold the build lock so other builds do not disturb the timing:
#   flock /tmp/swift-build.lock Scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

doc=Documentation/benchmarks.md
begin='<!-- retention-bench:begin -->'
end='<!-- retention-bench:end -->'

swift build -c release --product retention-bench --scratch-path .build-release >&2
rows=$(.build-release/release/retention-bench --markdown "$@")

measured=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(uname -m), $(nproc) cores, $(swift --version 2>/dev/null | grep -o 'Swift version [0-9.]*' | head -1)"
table=$(
  printf '%s\n' "| Scenario | Snapshots | Median (ms) | Min (ms) | Max (ms) | Measured | Machine |"
  printf '%s\n' "|---|---:|---:|---:|---:|---|---|"
  while IFS= read -r row; do printf '%s %s | %s |\n' "$row" "$measured" "$machine"; done <<<"$rows"
)

if ! grep -qF "$begin" "$doc" 2>/dev/null; then
  echo "$doc has no '$begin' marker; add the block before running." >&2
  exit 1
fi
tmp=$(mktemp)
awk -v begin="$begin" -v end="$end" -v table="$table" '
  $0 == begin { print; print table; skipping = 1; next }
  $0 == end { skipping = 0 }
  !skipping { print }
' "$doc" >"$tmp"
mv "$tmp" "$doc"
printf '%s\n' "$table"
