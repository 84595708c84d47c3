#!/usr/bin/env bash
# The fleet run, measured: the release `backup --all imagecopywithsnap` over DATABASES simulated databases (one
# configuration file with a section each), at `--parallel 1` and `--parallel 8`, against the ideal. Every database's
# backup is made to take a fixed extra DELAY seconds: oracle-sim's `inject hang --tool rman --statement "recover
# copy of database"` sleeps that long (real seconds) in the one `recover copy of database` of each incremental
# backup. The ideal wall time is then DATABASES × DELAY at --parallel 1 and ceil(DATABASES / 8) × DELAY at
# --parallel 8; what is measured above it is the cost of the backups themselves (the backup tool, oracle-sim,
# the localfs snapshot) and of the fleet runner.
#
# Set-up, not measured: oracle-sim with DATABASES databases (block change tracking) and an RMAN catalog database,
# storage `localfs` (snapshots are copies of the small backup areas), `backup --all config` and a first `backup --all
# imagecopywithsnap` (the level 0 copies) at --parallel 8. Then one timed run at --parallel 1 and BENCH_FLEET_RUNS8
# (default 3) at --parallel 8, of which the table shows the run of median wall time. Where the time goes: every
# Oracle program the backups start is oracle-timer (Scripts/bench-harness), which logs its interval; each database's
# run logs its "Total execution time" (its output is part of that of `backup --all`); bash's `time` gives the CPU
# seconds of the whole run (all processes). The table goes between the fleet-bench markers of
# Documentation/benchmarks.md.
#
# usage: Scripts/bench-fleet.sh [DATABASES] [DELAY]      (default 100 databases, 2 s; needs a C compiler)
# The tools come from Scripts/release.sh (built first when .build/release-tools is missing). On a shared machine
# hold the build lock:  flock /tmp/oib-build.lock Scripts/bench-fleet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=Scripts/bench-lib.sh
source Scripts/bench-lib.sh

databases=${1:-100}
delay=${2:-2}
tools=.build/release-tools
doc=Documentation/benchmarks.md
begin='<!-- fleet-bench:begin -->'
end='<!-- fleet-bench:end -->'
log() { printf '[bench-fleet.sh] %s\n' "$*" >&2; }

[ -x "$tools/backup" ] || Scripts/release.sh "$tools" >&2
# A failed build must stop the benchmark: an older oracle-sim would be measured instead.
if ! build_output=$(swift build -c release --static-swift-stdlib --product oracle-sim 2>&1); then
    printf '%s\n' "$build_output" | grep -E "error" >&2
    log "building oracle-sim failed"
    exit 1
fi
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)

work=$(mktemp -d /tmp/oib-bench-fleet.XXXXXX)
cleanup() {
    # localfs snapshots are read-only copies: make them writable to remove them.
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The Oracle installation: every program is oracle-timer, which runs the link of the same name to oracle-sim.
mkdir -p "$work"/{oraclehome/bin,oraclehome/OPatch,oracle-sim,tns,backup}
bench_build_harness "$work" "$work/oracle-sim" "$work/children.log"
for program in rman sqlplus sqlldr srvctl adrci opatch; do
    ln -s "$bin/oracle-sim" "$work/oracle-sim/$program"
    ln "$work/oracle-timer" "$work/oraclehome/bin/$program"
done
mv "$work/oraclehome/bin/opatch" "$work/oraclehome/OPatch/opatch"

names=()
for i in $(seq 1 "$databases"); do names+=("$(printf 'db%03d' "$i")"); done
{
    echo 'RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))'
    for name in "${names[@]}"; do
        printf '%s = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = %s)))\n' \
            "${name^^}" "$name"
    done
} >"$work/tns/tnsnames.ora"
{
    cat <<CFG
[generic]
logretention: 7
backupdest: $work/backup
tnsadmin: tns
osuser: oracle
oraclehome: $work/oraclehome
maxlockwait: 1
warningsnapage: 26
criticalsnapage: 50
snappermodule: localfs
requiremount: FALSE
[localfs]
root: $work/backup
[rman]
catalog: /@rman
CFG
    index=0
    for name in "${names[@]}"; do
        index=$((index + 1))
        printf '[%s]\ndbid: %d\nrecoverywindow: 2\nparallel: 1\nsnapexpirationdays: 31\nsnapexpirationmonths: 6\ngimanaged: FALSE\n' \
            "$name" $((1500000000 + index))
    done
} >"$work/backup.cfg"

export ORACLE_SIM_STATE="$work/sim-state" BACKUPCONFIG="$work/backup.cfg" TZ=UTC
quiet() { "$@" >"$work/out" 2>&1 || { log "failed: $* ($(tail -n 30 "$work/out"))"; exit 1; }; }
log "creating $databases databases, their backup configuration and level 0 copies"
index=0
for name in "${names[@]}"; do
    index=$((index + 1))
    quiet "$bin/oracle-sim" create-db --name "$name" --dbid $((1500000000 + index)) --bct --host prodhost
    mkdir -p "$work/backup/$name"
done
quiet "$bin/oracle-sim" create-db --name catdb --dbid 2000000001
quiet "$tools/backup" --all config --parallel 8
quiet "$tools/backup" --all imagecopywithsnap --parallel 8
quiet "$bin/oracle-sim" inject hang --tool rman --statement "recover copy of database" --seconds "$delay"

# One run at --parallel 1 (it takes minutes), RUNS8 at --parallel 8 (half a minute each); the run of median wall
# time of each parallelism goes into the table.
runs8=${BENCH_FLEET_RUNS8:-3}
for parallel in 1 $(printf '8 %.0s' $(seq 1 "$runs8")); do
    sleep 1.1 # a new second: new snapshot names
    : >"$work/children.log"
    TIMEFORMAT='%R %U %S'
    { time "$tools/backup" --all imagecopywithsnap --parallel "$parallel" >"$work/out" 2>&1 || {
        log "--parallel $parallel failed: $(tail -n 40 "$work/out")"
        exit 1
    }; } 2>"$work/time"
    read -r wall user system <"$work/time"
    ok=$(grep -cE '^  db[0-9]+ +ok ' "$work/out" || true)
    [ "$ok" = "$databases" ] || { log "--parallel $parallel: $ok of $databases databases ok: $(tail -n 40 "$work/out")"; exit 1; }
    # Seconds of the databases' runs (the "Total execution time" each run logs, in microseconds: the summary
    # table's tenths of a second add up to a biased sum), and of the Oracle programs (all intervals, summed).
    read -r members timed < <(awk '/Total execution time: / { split($NF, t, ":"); s += t[1] * 3600 + t[2] * 60 + t[3]; n++ }
        END { printf "%.1f %d\n", s, n }' "$work/out")
    [ "$timed" = "$databases" ] || { log "--parallel $parallel: $timed execution times for $databases databases"; exit 1; }
    oracle=$(awk '{ s += $2 - $1; n++ } END { printf "%.1f %d", s, n }' "$work/children.log")
    read -r oracle_seconds programs <<<"$oracle"
    waves=$(((databases + parallel - 1) / parallel))
    read -r ideal overhead per_db oracle_own tool_own rest cpu < <(awk -v w="$wall" -v d="$delay" -v waves="$waves" \
        -v n="$databases" -v m="$members" -v o="$oracle_seconds" -v u="$user" -v s="$system" -v p="$parallel" 'BEGIN {
        ideal = waves * d
        # per database: its run less the delay; oracle-sim (Oracle programs less the delay); the rest (backup tool);
        # outside the runs: the wall less the sum of the runs spread over the parallel slots
        printf "%.1f %.1f %.2f %.2f %.2f %.1f %.1f\n", ideal, (w - ideal) / ideal * 100, (m - n * d) / n,
            (o - n * d) / n, (m - o) / n, w - m / (p < n ? p : n), u + s
    }')
    by_program=$(awk -v d="$delay" '{ t = $2 - $1; if ($3 == "rman") t -= d; s[$3] += t; n[$3]++ }
        END { for (p in s) { printf "%s%s %d × %.0f ms", sep, p, n[p], s[p] / n[p] * 1000; sep = ", " } }' "$work/children.log")
    log "--parallel $parallel: Oracle programs (rman less the delay): $by_program"
    log "--parallel $parallel: wall $wall s, ideal $ideal s, overhead $overhead %; Σ database runs $members s" \
        "($per_db s a database above the delay: oracle-sim $oracle_own s in $programs programs, backup $tool_own s);" \
        "outside the runs $rest s; CPU $cpu s (user $user, system $system)"
    printf '%s\t%s\t%s\t%s\n' "$wall" "$ideal" "$overhead" \
        "$wall s | $ideal s ($waves × $delay s) | **$overhead %** | $members s | $per_db s ($oracle_own s oracle-sim, $tool_own s backup) | $rest s | $cpu s |" \
        >>"$work/runs-$parallel"
done

rows=()
for parallel in 1 8; do
    count=$(wc -l <"$work/runs-$parallel")
    IFS=$'\t' read -r wall ideal overhead cells < <(sort -g "$work/runs-$parallel" | sed -n "$(((count + 1) / 2))p")
    label="\`--parallel $parallel\`"
    if [ "$count" -gt 1 ]; then
        label="$label (median of $count runs: $(cut -f1 "$work/runs-$parallel" | sort -g | sed 's/$/ s/' | paste -sd, - | sed 's/,/, /g'))"
    fi
    rows+=("| $label | $cells")
    bench_result "fleet_parallel${parallel}_wall_s" "$wall"
    bench_result "fleet_parallel${parallel}_ideal_s" "$ideal"
    bench_result "fleet_parallel${parallel}_overhead_pct" "$overhead"
done

table=$(
    built=$(date -u -r "$tools/backup" '+%Y-%m-%d %H:%M UTC')
    printf '%s\n' "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(bench_machine); release tools of Scripts/release.sh (built $built), oracle-sim of the checkout (release); $databases databases, $delay s delay a database."
    printf '\n%s\n' "| \`backup --all imagecopywithsnap\` | Wall | Ideal | Over the ideal (target ≤ 15 %) | Σ of the databases' runs | Each database above the delay | Outside the runs (wall − Σ / parallel) | CPU (all processes) |"
    printf '%s\n' "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
)
bench_replace_block "$doc" "$begin" "$end" "$table" '## Fleet: `backup --all` (`Scripts/bench-fleet.sh`)'
printf '%s\n' "$table"
