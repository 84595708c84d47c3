#!/usr/bin/env bash
# Measures the release tools against storage-sim (ZFSSA REST over TLS, 400 daily snapshots): the wall time and
# peak RSS of `snapper <db> list` and `snapper <db> checkage`, and of `--help` of each tool (median of RUNS runs),
# and writes the table between the tool-bench markers of Documentation/benchmarks.md.
#
# usage: Scripts/bench-tools.sh [RUNS]          (default 7; needs /usr/bin/time, curl)
# The tools come from Scripts/release.sh (built first when .build/release-tools is missing). On a shared machine
# hold the build lock so no compiler runs meanwhile:  flock /tmp/oib-build.lock Scripts/bench-tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-7}
tools=.build/release-tools
doc=Documentation/benchmarks.md
begin='<!-- tool-bench:begin -->'
end='<!-- tool-bench:end -->'
log() { printf '[bench-tools.sh] %s\n' "$*" >&2; }

[ -x "$tools/snapper" ] || Scripts/release.sh "$tools" >&2
swift build -c release --static-swift-stdlib --product storage-sim 2>&1 | grep -E "error" >&2 || true
sim="$(swift build -c release --static-swift-stdlib --show-bin-path)/storage-sim"

work=$(mktemp -d /tmp/oib-bench.XXXXXX)
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

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

# Median wall seconds and median peak RSS (KB) of RUNS runs of a command.
measure() {
    local times=() rss=()
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
            log "failed: $* ($(cat "$work/err"))"
            exit 1
        }
        read -r seconds kilobytes <"$work/time"
        times+=("$seconds")
        rss+=("$kilobytes")
    done
    local middle=$((runs / 2 + 1))
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "${middle}p")" \
        "$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "${middle}p")"
}

row() { # name target-ms target-mb command...
    local name=$1 target_ms=$2 target_mb=$3
    shift 3
    read -r seconds kilobytes < <(measure "$@")
    local ms mb
    ms=$(awk -v s="$seconds" 'BEGIN { printf "%.0f", s * 1000 }')
    mb=$(awk -v k="$kilobytes" 'BEGIN { printf "%.1f", k / 1024 }')
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$ms" "$target_ms" "$mb" "$target_mb"
}

log "measuring ($runs runs each)"
measured=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(uname -m), $(nproc) cores, $(swift --version 2>/dev/null | grep -o 'Swift version [0-9.]*' | head -1)"
table=$(
    printf '%s\n' "Measured $measured on $machine; median of $runs runs; /usr/bin/time resolution 10 ms."
    printf '\n%s\n' "| Command | Wall (ms) | Target (ms) | Peak RSS (MiB) | Target (MB) |"
    printf '%s\n' "|---|---:|---:|---:|---:|"
    row "snapper orcl list (400 snapshots, ZFSSA over TLS)" "≤ 20" "≤ 20" "$tools/snapper" --config "$work/backup.cfg" orcl list
    row "snapper orcl checkage" "≤ 20" "≤ 20" "$tools/snapper" --config "$work/backup.cfg" orcl checkage
    for tool in backup snapper autorestore restore; do
        row "$tool --help" "≤ 10" "–" "$tools/$tool" --help
    done
    printf '%s\n' "| stripped static binaries (Documentation/release.md) | | | | |"
    for tool in backup snapper autorestore restore; do
        printf "| %s size | %s MiB | report | | |\n" "$tool" \
            "$(awk -v b="$(stat -c %s "$tools/$tool")" 'BEGIN { printf "%.1f", b / 1048576 }')"
    done
)

if ! grep -qF "$begin" "$doc"; then
    printf '\n## Tools (`Scripts/bench-tools.sh`)\n\n%s\n%s\n' "$begin" "$end" >>"$doc"
fi
tmp=$(mktemp)
awk -v begin="$begin" -v end="$end" -v table="$table" '
  $0 == begin { print; print table; skipping = 1; next }
  $0 == end { skipping = 0 }
  !skipping { print }
' "$doc" >"$tmp"
mv "$tmp" "$doc"
printf '%s\n' "$table"
