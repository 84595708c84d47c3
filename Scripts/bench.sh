#!/usr/bin/env bash
# Every benchmark, one after the other, each writing its table into Documentation/benchmarks.md:
#   1. retention planning: builds retention-bench in release mode (scratch path .build-release, so the debug build
#      in .build stays incremental), runs it, and writes the retention table;
#   2. the release tools (Scripts/bench-tools.sh): snapper list/checkage against storage-sim, --help, sizes;
#   3. the daily backup (Scripts/bench-backup.sh): imagecopywithsnap against oracle-sim and storage-sim;
#   4. one autorestore at two database sizes, 1 GiB and 16 GiB (Scripts/bench-restore.sh; as root only: it
#      loop-mounts a btrfs; a few minutes, most of it writing the 16 GiB database and its level 0 copy);
#   5. the fleet: `backup --all` over 100 databases at --parallel 1 and 8 (Scripts/bench-fleet.sh; about 6 minutes);
#   6. the "Targets of [Lean binaries]" table from the figures of 2 and 3, and the "Targets of [Ship it]" table
#      from those of 4 and 5.
#
# usage: Scripts/bench.sh [--snapshots N] [--iterations N]      (arguments go to retention-bench)
#   BENCH_TOOL_RUNS (default 7), BENCH_BACKUP_RUNS (default 5) and BENCH_RESTORE_RUNS (default 7) set the runs of
#   2, 3 and 4; BENCH_FLEET_DATABASES (default 100), BENCH_FLEET_DELAY (default 2 s) and BENCH_FLEET_RUNS8 (default 3)
#   set 5; BENCH_SKIP_FLEET=1 and BENCH_SKIP_RESTORE=1 leave out 5 and 4 (their tables, and with both the [Ship it]
#   table, are kept as they are: the quick run). The release tools are rebuilt first with Scripts/release.sh unless
#   BENCH_SKIP_BUILD=1.
# On a shared machine, hold the build lock so other builds do not disturb the timing:
#   flock /tmp/oib-build.lock Scripts/bench.sh
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

# --- The tools and the daily backup, then the targets of [Lean binaries] (issue #17, item 5) ---
# shellcheck source=Scripts/bench-lib.sh
source Scripts/bench-lib.sh
# The tools are built afresh, so the figures are those of the checkout (BENCH_SKIP_BUILD=1: the existing ones).
# release.sh goes on after a failed build and copies what was built before: stop rather than measure old tools.
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    release_log=$(Scripts/release.sh 2>&1) || { printf '%s\n' "$release_log" >&2; exit 1; }
    printf '%s\n' "$release_log" >&2
    if grep -q 'error:' <<<"$release_log"; then
        echo "bench.sh: the release build failed (above); not measuring older tools. BENCH_SKIP_BUILD=1 measures them anyway." >&2
        exit 1
    fi
fi
results=$(mktemp -d /tmp/oib-bench-results.XXXXXX)
trap 'rm -rf "$results"' EXIT
export OIB_BENCH_RESULTS="$results/figures"
: >"$OIB_BENCH_RESULTS"
Scripts/bench-tools.sh "${BENCH_TOOL_RUNS:-7}"
Scripts/bench-backup.sh "${BENCH_BACKUP_RUNS:-5}"
if [ "${BENCH_SKIP_RESTORE:-0}" = 1 ]; then
    echo "bench.sh: BENCH_SKIP_RESTORE=1, so the autorestore table is kept as it is" >&2
elif [ "$(id -u)" = 0 ]; then
    Scripts/bench-restore.sh "${BENCH_RESTORE_RUNS:-7}"
else
    echo "bench.sh: not root, so the autorestore table (Scripts/bench-restore.sh, a loop-mounted btrfs) is kept as it is" >&2
fi
if [ "${BENCH_SKIP_FLEET:-0}" = 1 ]; then
    echo "bench.sh: BENCH_SKIP_FLEET=1, so the fleet table is kept as it is" >&2
else
    Scripts/bench-fleet.sh "${BENCH_FLEET_DATABASES:-100}" "${BENCH_FLEET_DELAY:-2}"
fi

figure() { sed -n "s/^$1=//p" "$OIB_BENCH_RESULTS" | tail -n 1; }
# | what | today | target | met, or missed by how much |
target_row() { # description value unit target
    awk -v what="$1" -v value="$2" -v unit="$3" -v target="$4" 'BEGIN {
        verdict = value <= target ? "met" : sprintf("missed by %.1f %s (%.1f× the target)", value - target, unit, value / target)
        printf "| %s | %.1f %s | ≤ %s %s | %s |\n", what, value, unit, target, unit, verdict
    }'
}
slowest_help=$(for tool in backup snapper autorestore restore; do figure "help_${tool}_ms"; done | sort -g | tail -n 1)
targets=$(
    built=$(date -u -r .build/release-tools/backup '+%Y-%m-%d %H:%M UTC')
    printf '%s\n' "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(bench_machine); release tools of Scripts/release.sh (built $built);"
    printf '%s\n' "medians of ${BENCH_BACKUP_RUNS:-5} (backup) and ${BENCH_TOOL_RUNS:-7} (snapper, --help) runs. MB read as MiB."
    printf '\n%s\n' "| Target of [Lean binaries] (#17, item 5) | Today | Target | Verdict |"
    printf '%s\n' "|---|---:|---:|---|"
    target_row "daily \`backup imagecopywithsnap\` (400 snapshots, ~365 expired): tool time without the Oracle programs" \
        "$(figure backup_tool_ms)" ms 500
    target_row "\`snapper orcl list\` against storage-sim (400 snapshots)" "$(figure snapper_list_ms)" ms 20
    target_row "\`snapper orcl checkage\` against storage-sim" "$(figure snapper_checkage_ms)" ms 20
    target_row "\`--help\` (slowest of backup, snapper, autorestore, restore)" "$slowest_help" ms 10
    target_row "peak RSS of that backup run (the backup process itself)" "$(figure backup_peak_mb)" MiB 20
    target_row "peak RSS of \`snapper orcl list\`" "$(figure snapper_list_mb)" MiB 20
    # The retention rows come from the retention-bench table above (scenario | snapshots | median | ...).
    while IFS='|' read -r _ scenario snapshots median _; do
        scenario=$(echo "$scenario" | xargs)
        target_row "retention plan of $(echo "$snapshots" | xargs) snapshots, $scenario" "$(echo "$median" | xargs)" ms 10
    done <<<"$rows"
    for tool in backup snapper autorestore restore; do
        printf '| stripped static `%s` (Scripts/release.sh) | %s MB | report | smaller is better |\n' "$tool" \
            "$(awk -v b="$(stat -c %s ".build/release-tools/$tool")" 'BEGIN { printf "%.1f", b / 1000000 }')"
    done
)
bench_replace_block "$doc" '<!-- targets:begin -->' '<!-- targets:end -->' "$targets" '## Targets of [Lean binaries]'
printf '%s\n' "$targets"

# --- The fleet and the scale of an autorestore: targets of [Ship it] (item 4) ---
scale_row() { # description value unit target
    if [ -z "$2" ]; then
        printf '| %s | not measured in this run | ≤ %s %s | – |\n' "$1" "$4" "$3"
        return
    fi
    awk -v what="$1" -v value="$2" -v unit="$3" -v target="$4" 'BEGIN {
        verdict = value <= target ? "met" : sprintf("missed by %.1f %s", value - target, unit)
        printf "| %s | %s %s | ≤ %s %s | %s |\n", what, value, unit, target, unit, verdict
    }'
}
scale=$(
    printf '%s\n' "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(bench_machine); the figures of the two sections named in each row."
    printf '\n%s\n' "| Target of [Ship it] (item 4) | Today | Target | Verdict |"
    printf '%s\n' "|---|---:|---:|---|"
    for parallel in 1 8; do
        wall=$(figure "fleet_parallel${parallel}_wall_s")
        ideal=$(figure "fleet_parallel${parallel}_ideal_s")
        scale_row "\`backup --all imagecopywithsnap --parallel $parallel\`, ${BENCH_FLEET_DATABASES:-100} databases × ${BENCH_FLEET_DELAY:-2} s: over the ideal${wall:+ ($wall s against $ideal s)}" \
            "$(figure "fleet_parallel${parallel}_overhead_pct")" % 15
    done
    scale_row "autorestore wall, $(figure restore_ratio_sizes): ratio of the largest to the smallest" "$(figure restore_ratio)" × 1.1
)
if [ -n "$(figure restore_ratio)$(figure fleet_parallel1_wall_s)" ]; then
    bench_replace_block "$doc" '<!-- scale-targets:begin -->' '<!-- scale-targets:end -->' "$scale" \
        '## Targets of [Ship it]: fleet and scale'
    printf '%s\n' "$scale"
else
    echo "bench.sh: neither the autorestore nor the fleet was measured, so the [Ship it] table is kept as it is" >&2
fi
