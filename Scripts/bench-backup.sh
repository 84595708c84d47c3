#!/usr/bin/env bash
# The daily backup, measured: the release `backup orcl imagecopywithsnap` against oracle-sim, with storage-sim in
# ZFSSA mode over TLS holding 400 daily snapshots of the database's share, of which the configured retention
# (snapexpirationdays 35, snapexpirationmonths 0) has expired 365. Before every run the share is seeded again, so
# every run takes one snapshot and drops 365.
#
# Per run: wall time and the backup process's own peak RSS (Scripts/bench-harness/bench-run.c), the time spent in
# the Oracle programs it starts (every sqlplus/rman/... in the benchmark's ORACLE_HOME/bin is oracle-timer, which
# times the real oracle-sim; the intervals are merged, overlaps counted once), tool time = wall - Oracle time, and
# the HTTP requests storage-sim logged. The table shows medians of RUNS runs; it goes between the backup-bench
# markers of Documentation/benchmarks.md.
#
# usage: Scripts/bench-backup.sh [RUNS]          (default 5; needs curl, python3, a C compiler, ptrace)
# The tools come from Scripts/release.sh (built first when .build/release-tools is missing). On a shared machine
# hold the build lock:  flock /tmp/oib-build.lock Scripts/bench-backup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=Scripts/bench-lib.sh
source Scripts/bench-lib.sh

runs=${1:-5}
tools=.build/release-tools
doc=Documentation/benchmarks.md
begin='<!-- backup-bench:begin -->'
end='<!-- backup-bench:end -->'
log() { printf '[bench-backup.sh] %s\n' "$*" >&2; }

[ -x "$tools/backup" ] || Scripts/release.sh "$tools" >&2
for product in oracle-sim storage-sim; do
    # A failed build must stop the benchmark: an older simulator would be measured instead.
    if ! build_output=$(swift build -c release --static-swift-stdlib --product "$product" 2>&1); then
        printf '%s\n' "$build_output" | grep -E "error" >&2
        log "building $product failed"
        exit 1
    fi
done
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)

work=$(mktemp -d /tmp/oib-bench-backup.XXXXXX)
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The Oracle installation: every program is oracle-timer, which runs the link of the same name to oracle-sim.
mkdir -p "$work"/{oraclehome/bin,oraclehome/OPatch,oracle-sim,tns,backup/orcl}
bench_build_harness "$work" "$work/oracle-sim" "$work/children.log"
for program in rman sqlplus sqlldr srvctl adrci opatch; do
    ln -s "$bin/oracle-sim" "$work/oracle-sim/$program"
    ln "$work/oracle-timer" "$work/oraclehome/bin/$program"
done
mv "$work/oraclehome/bin/opatch" "$work/oraclehome/OPatch/opatch"
cat >"$work/tns/tnsnames.ora" <<'TNS'
ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
TNS

# 400 daily snapshots of share orcl, the newest yesterday (written again before every run).
seed() {
    python3 - "$work/seed.json" <<'PY'
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
snapshots = []
for day in range(400, 0, -1):
    t = now - datetime.timedelta(days=day)
    snapshots.append({"name": "orcl-" + t.strftime("%Y%m%dT%H%M%S"), "creation": t.strftime("%Y-%m-%dT%H:%M:%SZ")})
json.dump({"shares": [{"name": "orcl", "snapshots": snapshots}]}, open(sys.argv[1], "w"))
PY
}
seed
"$bin/storage-sim" --vendor zfssa --port 0 --user admin --password secret --seed "$work/seed.json" \
    --port-file "$work/port" --parent-pid $$ --idle-timeout 600 --generate-certs "$work" \
    --project pool1/demo-backup >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { log "storage-sim did not start: $(cat "$work/sim.log")"; exit 1; }
url="https://127.0.0.1:$(cat "$work/port")"
sim() { curl -sS --fail --cacert "$work/ca.pem" "$@"; }

cat >"$work/backup.cfg" <<CFG
[generic]
logretention: 7
backupdest: $work/backup
tnsadmin: tns
osuser: oracle
oraclehome: $work/oraclehome
maxlockwait: 1
warningsnapage: 26
criticalsnapage: 50
snappermodule: zfssa
requiremount: FALSE
[zfssa]
url: $url
pool: pool1
project: demo-backup
cacert: $work/ca.pem
[rman]
catalog: /@rman
[orcl]
dbid: 1433672784
recoverywindow: 2
parallel: 2
snapexpirationdays: 35
snapexpirationmonths: 0
gimanaged: FALSE
CFG
printf '[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n' >"$work/zfscredentials.cfg"
chmod 600 "$work/zfscredentials.cfg"

export ORACLE_SIM_STATE="$work/sim-state" BACKUPCONFIG="$work/backup.cfg" TZ=UTC
quiet() { "$@" >"$work/out" 2>&1 || { log "failed: $* ($(tail -n 20 "$work/out"))"; exit 1; }; }
quiet "$bin/oracle-sim" create-db --name orcl --dbid 1433672784 --bct --host prodhost
quiet "$bin/oracle-sim" create-db --name catdb --dbid 2000000001
quiet "$tools/backup" orcl config
# The first backup is the level 0 image copy; the daily runs measured below are incremental.
quiet "$tools/backup" orcl imagecopywithsnap

rows=()
for run in $(seq 1 "$runs"); do
    quiet "$bin/oracle-sim" workload orcl --transactions 5 --seconds-per-transaction 30
    sleep 1 # a new second: a new snapshot name
    seed
    sim -X POST --data-binary "@$work/seed.json" "$url/_sim/seed" >/dev/null
    before=$(sim -u admin:secret "$url/api/storage/v2/pools/pool1/projects/demo-backup/filesystems/orcl/snapshots" |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)["snapshots"]))')
    sim -X DELETE "$url/_sim/log" >/dev/null
    : >"$work/children.log"
    "$work/bench-run" "$work/result" "$tools/backup" orcl imagecopywithsnap >"$work/out" 2>&1 || {
        log "run $run failed: $(tail -n 30 "$work/out")"
        exit 1
    }
    after=$(sim -u admin:secret "$url/api/storage/v2/pools/pool1/projects/demo-backup/filesystems/orcl/snapshots" |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)["snapshots"]))')
    requests=$(sim "$url/_sim/log" | python3 -c '
import json, sys
log = json.load(sys.stdin)
deletes = sum(1 for entry in log if entry["method"] == "DELETE")
print(len(log) - 1, deletes)')  # less the listing just above
    read -r start finish peak status <"$work/result"
    # wall ms, Oracle ms (merged intervals inside the run), Oracle program runs, overlapping runs
    read -r wall child programs overlaps < <(sort -g "$work/children.log" | awk -v s="$start" -v e="$finish" '
        $1 >= s && $2 <= e {
            n++
            if ($1 < last) { overlaps++; if ($2 > last) { total += $2 - last; last = $2 } }
            else { total += $2 - $1; last = $2 }
        }
        END { printf "%.1f %.1f %d %d\n", (e - s) * 1000, total * 1000, n, overlaps }')
    tool=$(awk -v w="$wall" -v c="$child" 'BEGIN { printf "%.1f", w - c }')
    read -r total deletes <<<"$requests"
    log "run $run: wall $wall ms, Oracle $child ms in $programs programs ($overlaps overlapping), tool $tool ms," \
        "$total requests ($deletes DELETE), snapshots $before -> $after, peak RSS $peak kB, exit $status"
    rows+=("$wall $child $tool $total $deletes $((before - after + 1)) $peak $programs $overlaps")
done

median_of() { printf '%s\n' "${rows[@]}" | awk -v c="$1" '{ print $c }' | bench_median; }
wall=$(median_of 1)
child=$(median_of 2)
tool=$(median_of 3)
requests=$(median_of 4)
deletes=$(median_of 5)
dropped=$(median_of 6)
peak_mb=$(awk -v k="$(median_of 7)" 'BEGIN { printf "%.1f", k / 1024 }')
programs=$(median_of 8)
overlapping=$(printf '%s\n' "${rows[@]}" | awk '{ n += $9 } END { print n + 0 }')
tools_min=$(printf '%s\n' "${rows[@]}" | awk '{ print $3 }' | sort -g | head -n 1)
tools_max=$(printf '%s\n' "${rows[@]}" | awk '{ print $3 }' | sort -g | tail -n 1)
ms() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

table=$(
    printf '%s\n' "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(bench_machine); median of $runs runs."
    printf '\n%s\n' "| Figure (daily \`backup orcl imagecopywithsnap\`, 400 snapshots, $dropped dropped a run) | Median | Target |"
    printf '%s\n' "|---|---:|---:|"
    printf '| %s | %s ms | – |\n' "wall time" "$(ms "$wall")"
    printf '| %s | %s ms | – |\n' "in Oracle programs ($programs sqlplus/rman runs of oracle-sim; $overlapping overlapping in all runs)" "$(ms "$child")"
    printf '| %s | %s ms (runs: %s–%s) | ≤ 500 ms |\n' "**tool time** (wall − Oracle)" "$(ms "$tool")" "$(ms "$tools_min")" "$(ms "$tools_max")"
    printf '| %s | %s (%s DELETE) | – |\n' "HTTP requests to storage-sim" "$requests" "$deletes"
    printf '| %s | %s MiB | ≤ 20 MB |\n' "peak RSS of the backup process itself" "$peak_mb"
)
bench_replace_block "$doc" "$begin" "$end" "$table" '## Daily backup (`Scripts/bench-backup.sh`)'
bench_result backup_tool_ms "$(ms "$tool")"
bench_result backup_wall_ms "$(ms "$wall")"
bench_result backup_oracle_ms "$(ms "$child")"
bench_result backup_requests "$requests"
bench_result backup_peak_mb "$peak_mb"
printf '%s\n' "$table"
