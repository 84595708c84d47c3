#!/usr/bin/env bash
# One autorestore, measured at two database sizes: the release `autorestore orcl` (run as `nobody`, as the tests run
# it) against oracle-sim on a freshly made, loop-mounted btrfs (the snapper `btrfs` module: the clone is a btrfs
# snapshot, which takes milliseconds whatever the size). For each size: a database `orcl` with block change
# tracking whose four datafiles hold 4.5 × BLOCKS blocks of 512 bytes (create-db --blocks), an RMAN catalog
# database `catdb`, `snapper orcl volume create`, `backup orcl config` and three `backup orcl imagecopywithsnap`
# cycles with a small workload before each (set-up, not measured). Then RUNS timed `autorestore orcl` runs; each
# must succeed. Per run: the wall time of the process, and the phase seconds of the catalog row it wrote (mount =
# controlfile restore, catalog of the clone's copies; recover = switch to copy and media recovery; verify = open
# read only and the verification queries). Oracle's cost of these phases does not depend on the datafiles' size, so
# both rows should be about the same. The table (medians) goes between the restore-bench markers of
# Documentation/benchmarks.md.
#
# usage: Scripts/bench-restore.sh [RUNS]          (default 7; root: loop device, btrfs-progs, runuser, sqlite3)
#   BENCH_RESTORE_BLOCKS (default "466034 7456540": 2304 × BLOCKS bytes, 1 GiB and 16 GiB of datafiles) sets
#   the sizes. oracle-sim writes the production datafiles and the level 0 image copies in full (every block), both
#   on the btrfs; its loop image is sparse and sized for them. The set-up steps print their seconds, and the table
#   names those of the create-db and of the level 0 copy: they, not the measured restores, grow with the size.
# The tools come from Scripts/release.sh (built first when .build/release-tools is missing). On a shared machine
# hold the build lock:  flock /tmp/oib-build.lock Scripts/bench-restore.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=Scripts/bench-lib.sh
source Scripts/bench-lib.sh

runs=${1:-7}
sizes=${BENCH_RESTORE_BLOCKS:-466034 7456540}
tools=.build/release-tools
doc=Documentation/benchmarks.md
begin='<!-- restore-bench:begin -->'
end='<!-- restore-bench:end -->'
log() { printf '[bench-restore.sh] %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
    log "needs root: it loop-mounts a btrfs and runs the tools as nobody (autorestore refuses root)"
    exit 1
fi
for program in mkfs.btrfs btrfs losetup mount runuser sqlite3 python3; do
    command -v "$program" >/dev/null || { log "$program is missing"; exit 1; }
done

[ -x "$tools/autorestore" ] || Scripts/release.sh "$tools" >&2
# A failed build must stop the benchmark: an older oracle-sim would be measured instead.
if ! build_output=$(swift build -c release --static-swift-stdlib --product oracle-sim 2>&1); then
    printf '%s\n' "$build_output" | grep -E "error" >&2
    log "building oracle-sim failed"
    exit 1
fi
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)

work=$(mktemp -d /tmp/oib-bench-restore.XXXXXX)
image="$work/btrfs.img"
mnt="$work/btrfs"
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" 2>/dev/null || umount -l "$mnt" || true; fi
    if [ -f "$image" ]; then
        losetup -j "$image" 2>/dev/null | cut -d: -f1 | while read -r device; do
            [ -n "$device" ] && losetup -d "$device" 2>/dev/null || true
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The products nobody runs: hard links (copies across file systems) in a directory of the run.
mkdir -p "$work/bin" "$mnt"
for tool in backup snapper autorestore; do ln "$tools/$tool" "$work/bin/" 2>/dev/null || cp -p "$tools/$tool" "$work/bin/"; done
ln "$bin/oracle-sim" "$work/bin/" 2>/dev/null || cp -p "$bin/oracle-sim" "$work/bin/"
chmod -R a+rX "$work/bin"
chmod 755 "$work"

# Sparse: the btrfs holds, for each size, the production datafiles and the image copies (2304 × BLOCKS bytes
# each, twice if the copy does not share extents) and the snapshots' changes, plus 4 GiB of room.
image_gib=$(awk -v sizes="$sizes" 'BEGIN { n = split(sizes, b, " "); for (i = 1; i <= n; i++) t += 2 * 2304 * b[i]
    printf "%d", t / 1073741824 + 4.999 }')
truncate -s "${image_gib}G" "$image"
mkfs.btrfs -q "$image" >/dev/null
mount -o loop,user_subvol_rm_allowed "$image" "$mnt"
btrfs quota enable "$mnt"

# as_nobody ROOT COMMAND...: runs a tool as nobody with the size's environment (and nothing else of ours).
as_nobody() {
    local root=$1
    shift
    runuser -u nobody -- /usr/bin/env -i PATH=/usr/bin:/bin HOME=/nonexistent TZ=UTC \
        ORACLE_SIM_STATE="$root/sim-state" ORACLE_SIM_NOW="2016-11-08 21:50:00" BACKUPCONFIG="$root/backup.cfg" \
        "$@"
}
quiet() { "$@" >"$work/out" 2>&1 || { log "failed: $* ($(tail -n 30 "$work/out"))"; exit 1; }; }
# step NAME COMMAND...: quiet, and logs the seconds it took.
step() {
    local name=$1 began
    shift
    began=$(date +%s.%N)
    quiet "$@"
    step_seconds=$(awk -v s="$began" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
    log "  $name: $step_seconds s"
}
ms1000() { awk -v v="$1" 'BEGIN { printf "%.0f", v * 1000 }'; }

rows=()
walls=()
labels=()
setups=()
for blocks in $sizes; do
    root="$work/db-$blocks"
    backup_root="$mnt/owned-$blocks"
    oradata="$mnt/oradata-$blocks"
    mkdir -p "$root"/{oraclehome/bin,oraclehome/OPatch,tns,autorestore/dest,autorestore/mnt,autorestore/log} \
        "$backup_root" "$oradata"
    for program in rman sqlplus sqlldr srvctl adrci; do ln -s "$work/bin/oracle-sim" "$root/oraclehome/bin/$program"; done
    ln -s "$work/bin/oracle-sim" "$root/oraclehome/OPatch/opatch"
    cat >"$root/tns/tnsnames.ora" <<'TNS'
ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
AUTORESTORE = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
TNS
    cat >"$root/backup.cfg" <<CFG
[generic]
logretention: 7
backupdest: $backup_root
tnsadmin: tns
osuser: oracle
oraclehome: $root/oraclehome
maxlockwait: 1
warningsnapage: 26
criticalsnapage: 50
snappermodule: btrfs
requiremount: FALSE
[rman]
catalog: /@rman

[autorestore]
autorestoredestination: $root/autorestore/dest
autorestoreclonename: autorestore
autorestoremountpoint: $root/autorestore/mnt
autorestoresnapage: 0
autorestorelogdir: $root/autorestore/log
autorestoremaxtoleranceminutes: 5

[orcl]
dbid: 1433672784
recoverywindow: 2
parallel: 2
snapexpirationdays: 31
snapexpirationmonths: 6
customverifydate: select max(createtime) from appdata.txlog
CFG
    chown -R nobody:nogroup "$root" "$backup_root" "$oradata"

    log "$blocks blocks per datafile: creating the database and three backups (set-up, seconds per step)"
    step "create-db orcl" as_nobody "$root" "$work/bin/oracle-sim" create-db --name orcl --dbid 1433672784 --bct \
        --host backup --blocks "$blocks" --oradata "$oradata"
    created=$step_seconds
    quiet as_nobody "$root" "$work/bin/oracle-sim" create-db --name catdb --dbid 2000000001
    datafile_bytes=$(find "$oradata" -name '*.dbf' -printf '%s\n' | awk '{ s += $1 } END { print s }')
    quiet as_nobody "$root" "$work/bin/snapper" orcl volume create
    quiet as_nobody "$root" "$work/bin/backup" orcl config
    for cycle in 1 2 3; do
        quiet as_nobody "$root" "$work/bin/oracle-sim" workload orcl --transactions 5 --seconds-per-transaction 60
        sleep 1.1 # a new second: a new snapshot name
        step "imagecopywithsnap $cycle" as_nobody "$root" "$work/bin/backup" orcl imagecopywithsnap
        if [ "$cycle" = 1 ]; then level0=$step_seconds; fi
    done
    # An isolated restore host: the production datafiles are out of reach (autorestore refuses otherwise).
    mv "$oradata" "$oradata.unreachable"
    # The set-up wrote the datafiles and their copies through the page cache: their write-back (tens of GB at 16 GiB)
    # would otherwise run during the timed restores and slow every phase alike.
    step "sync (write-back of the set-up)" sync

    size_rows=()
    for run in $(seq 1 "$runs"); do
        started=$(date +%s.%N)
        as_nobody "$root" env AUTORESTORE_SAFE_SANDBOX=TRUE "$work/bin/autorestore" --config "$root/backup.cfg" orcl \
            >"$work/out" 2>&1 || { log "autorestore run $run failed: $(tail -n 30 "$work/out")"; exit 1; }
        finished=$(date +%s.%N)
        # The newest catalog row: success and its phases.
        # cleanup: dropping the clone and the instance; other: the remaining phases (startup, leftovers, keystore,
        # validate); phases: all of them.
        read -r success mount recover verify clone cleanup other phases < <(python3 - "$root/autorestore/log/autorestore-results.sqlite" <<'PY'
import json, sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "select success, phase_seconds from restore_run order by id desc limit 1").fetchone()
phases = json.loads(row[1])
named = [phases.get(name, 0) for name in ("mount", "recover", "verify", "clone", "cleanup")]
print(row[0], *named, sum(phases.values()) - sum(named), sum(phases.values()))
PY
        )
        [ "$success" = 1 ] || { log "autorestore run $run recorded a failure: $(tail -n 30 "$work/out")"; exit 1; }
        wall=$(awk -v s="$started" -v e="$finished" 'BEGIN { printf "%.3f", e - s }')
        outside=$(awk -v w="$wall" -v p="$phases" 'BEGIN { printf "%.3f", w - p }')
        log "$blocks blocks, run $run: wall $wall s; phases: clone $clone s, mount $mount s, recover $recover s," \
            "verify $verify s, cleanup $cleanup s, others $other s; outside the phases $outside s"
        size_rows+=("$wall $mount $recover $verify $clone $other $outside $cleanup")
    done
    median_of() { printf '%s\n' "${size_rows[@]}" | awk -v c="$1" '{ print $c }' | bench_median; }
    mb=$(awk -v b="$datafile_bytes" 'BEGIN { printf "%.0f", b / 1000000 }')
    gib=$(awk -v b="$datafile_bytes" 'BEGIN { printf "%.1f", b / 1073741824 }')
    rows+=("| $mb MB, $gib GiB (\`--blocks $blocks\`) | $(ms1000 "$(median_of 1)") ms | $(ms1000 "$(median_of 5)") ms | $(ms1000 "$(median_of 2)") ms | $(ms1000 "$(median_of 3)") ms | $(ms1000 "$(median_of 4)") ms | $(ms1000 "$(median_of 8)") ms | $(ms1000 "$(median_of 6)") ms | $(ms1000 "$(median_of 7)") ms |")
    walls+=("$(median_of 1)")
    labels+=("$gib GiB")
    setups+=("$gib GiB: create-db ${created} s, level 0 copy ${level0} s")
    bench_result "restore_${blocks}_wall_ms" "$(ms1000 "$(median_of 1)")"

    # The production datafiles of this size are done with (the btrfs goes at the end, with the loop device).
    rm -rf "$root" "$oradata.unreachable"
done

if [ "${#walls[@]}" -ge 2 ]; then
    ratio=$(awk -v a="${walls[0]}" -v b="${walls[${#walls[@]} - 1]}" 'BEGIN { printf "%.2f", b / a }')
    ratio_sizes="${labels[${#labels[@]} - 1]} / ${labels[0]}"
    bench_result restore_ratio "$ratio"
    bench_result restore_ratio_sizes "$ratio_sizes"
fi
table=$(
    built=$(date -u -r "$tools/autorestore" '+%Y-%m-%d %H:%M UTC')
    printf '%s\n' "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(bench_machine); release tools of Scripts/release.sh (built $built), oracle-sim of the checkout (release); median of $runs runs a size; datafiles = 2304 × blocks bytes."
    printf '\n%s\n' "| Datafiles | \`autorestore orcl\` wall | clone | mount (controlfile, catalog) | recover (switch, redo) | verify (open, queries) | cleanup (drop clone, instance) | other phases (startup, leftovers) | outside the phases |"
    printf '%s\n' "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    if [ "${#walls[@]}" -ge 2 ]; then
        printf '\n%s\n' "Wall of the largest against the smallest ($ratio_sizes): **$ratio** (target ≤ 1.1)."
    fi
    setup_text=$(printf '%s; ' "${setups[@]}")
    printf '\n%s\n' "Set-up, not measured above (oracle-sim writes every block): ${setup_text%; }."
)
bench_replace_block "$doc" "$begin" "$end" "$table" '## Autorestore against datafile size (`Scripts/bench-restore.sh`)'
printf '%s\n' "$table"
