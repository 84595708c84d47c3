#!/usr/bin/env bash
# Measures the release tools against storage-sim (ZFSSA REST over TLS, 400 daily snapshots): the wall time and
# peak RSS of `snapper <db> list` and `snapper <db> checkage`, and of `--help` of each tool (median of RUNS runs),
# and writes the table between the tool-bench markers of Documentation/benchmarks.md. Wall time and the process's
# own peak RSS (VmHWM) come from Scripts/bench-harness/bench-run.c.
#
# usage: Scripts/bench-tools.sh [RUNS]          (default 7; needs curl, python3, a C compiler, ptrace)
# The tools come from Scripts/release.sh (built first when .build/release-tools is missing). On a shared machine
# hold the build lock so no compiler runs meanwhile:  flock /tmp/oib-build.lock Scripts/bench-tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=Scripts/bench-lib.sh
source Scripts/bench-lib.sh

runs=${1:-7}
tools=.build/release-tools
doc=Documentation/benchmarks.md
begin='<!-- tool-bench:begin -->'
end='<!-- tool-bench:end -->'
log() { printf '[bench-tools.sh] %s\n' "$*" >&2; }

[ -x "$tools/snapper" ] || Scripts/release.sh "$tools" >&2
# A failed build must stop the benchmark: an older storage-sim would be measured instead.
if ! build_output=$(swift build -c release --static-swift-stdlib --product storage-sim 2>&1); then
    printf '%s\n' "$build_output" | grep -E "error" >&2
    log "building storage-sim failed"
    exit 1
fi
sim="$(swift build -c release --static-swift-stdlib --show-bin-path)/storage-sim"

work=$(mktemp -d /tmp/oib-bench.XXXXXX)
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
bench_build_harness "$work"

# 400 daily snapshots of share orcl, the newest yesterday.
python3 - "$work/seed.json" <<'PY'
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
snapshots = []
for day in range(400, 0, -1):
    t = now - datetime.timedelta(days=day)
    snapshots.append({"name": "orcl-" + t.strftime("%Y%m%dT%H%M%S"), "creation": t.strftime("%Y-%m-%dT%H:%M:%SZ")})
json.dump({"shares": [{"name": "orcl", "snapshots": snapshots}]}, open(sys.argv[1], "w"))
PY
"$sim" --vendor zfssa --port 0 --user admin --password secret --seed "$work/seed.json" \
    --port-file "$work/port" --parent-pid $$ --idle-timeout 600 --generate-certs "$work" \
    --project pool1/demo-backup >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { log "storage-sim did not start: $(cat "$work/sim.log")"; exit 1; }
port=$(cat "$work/port")
cacert="$work/ca.pem"  # --generate-certs writes ca.pem, server.pem, server.key

mkdir -p "$work/backup/orcl"
cat >"$work/backup.cfg" <<CFG
[generic]
backupdest: $work/backup
oraclehome: /nonexistent
snappermodule: zfssa
warningsnapage: 26
criticalsnapage: 50
requiremount: FALSE
[zfssa]
url: https://127.0.0.1:$port
pool: pool1
project: demo-backup
cacert: $cacert
[orcl]
dbid: 1
CFG
printf '[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n' >"$work/zfscredentials.cfg"
chmod 600 "$work/zfscredentials.cfg"

# Median wall milliseconds and median peak RSS (kB) of RUNS runs of a command.
measure() {
    local times=() rss=()
    for _ in $(seq 1 "$runs"); do
        "$work/bench-run" "$work/result" "$@" >/dev/null 2>"$work/err" || {
            log "failed: $* ($(cat "$work/err"))"
            exit 1
        }
        read -r start finish kilobytes _ <"$work/result"
        times+=("$(awk -v s="$start" -v e="$finish" 'BEGIN { printf "%.3f", (e - s) * 1000 }')")
        rss+=("$kilobytes")
    done
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | bench_median)" "$(printf '%s\n' "${rss[@]}" | bench_median)"
}

row() { # name result-key target-ms target-mb command...
    local name=$1 key=$2 target_ms=$3 target_mb=$4
    shift 4
    read -r milliseconds kilobytes < <(measure "$@")
    local ms mb
    ms=$(awk -v m="$milliseconds" 'BEGIN { printf "%.1f", m }')
    mb=$(awk -v k="$kilobytes" 'BEGIN { printf "%.1f", k / 1024 }')
    bench_result "${key}_ms" "$ms"
    bench_result "${key}_mb" "$mb"
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$ms" "$target_ms" "$mb" "$target_mb"
}

log "measuring ($runs runs each)"
measured=$(date -u '+%Y-%m-%d %H:%M UTC')
machine=$(bench_machine)
table=$(
    printf '%s\n' "Measured $measured on $machine; median of $runs runs."
    printf '\n%s\n' "| Command | Wall (ms) | Target (ms) | Peak RSS (MiB) | Target (MB) |"
    printf '%s\n' "|---|---:|---:|---:|---:|"
    row "snapper orcl list (400 snapshots, ZFSSA over TLS)" snapper_list "≤ 20" "≤ 20" \
        "$tools/snapper" --config "$work/backup.cfg" orcl list
    row "snapper orcl checkage" snapper_checkage "≤ 20" "≤ 20" "$tools/snapper" --config "$work/backup.cfg" orcl checkage
    listing="https://127.0.0.1:$port/api/storage/v2/pools/pool1/projects/demo-backup/filesystems/orcl/snapshots"
    for _ in $(seq 1 "$runs"); do
        curl -sS --fail --cacert "$cacert" -u admin:secret -o /dev/null \
            -w '%{time_appconnect} %{time_starttransfer} %{time_total}\n' "$listing"
    done >"$work/curl"
    simulator=$(awk '{ print ($2 - $1) * 1000 }' "$work/curl" | bench_median)
    whole=$(awk '{ print $3 * 1000 }' "$work/curl" | bench_median)
    bench_result simulator_listing_ms "$simulator"
    printf '| %s | %.1f (%.1f with connection and TLS) | – | – | – |\n' \
        "for scale: storage-sim alone answering that listing (curl: request sent to first byte)" "$simulator" "$whole"
    for tool in backup snapper autorestore restore; do
        row "$tool --help" "help_$tool" "≤ 10" "–" "$tools/$tool" --help
    done
    printf '%s\n' "| stripped static binaries (Documentation/release.md) | | | | |"
    for tool in backup snapper autorestore restore; do
        printf "| %s size | %s MiB | report | | |\n" "$tool" \
            "$(awk -v b="$(stat -c %s "$tools/$tool")" 'BEGIN { printf "%.1f", b / 1048576 }')"
    done
)

bench_replace_block "$doc" "$begin" "$end" "$table" '## Tools (`Scripts/bench-tools.sh`)'
printf '%s\n' "$table"
