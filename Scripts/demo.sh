#!/usr/bin/env bash
# The main job end to end on the embedded default: a simulated Oracle database (oracle-sim), local storage
# (btrfs on a loop-mounted image when run as root with btrfs-progs, else localfs) and a SQLite results catalog.
# It builds the tools quietly, lays out a scratch demo area, and prints what each step proved, with the facts.
#
#   Scripts/demo.sh          everything it made is removed at the end (area, mount, clone, instance, copies)
#   Scripts/demo.sh --keep   the demo area stays (backups, snapshots, logs, catalog); it says what and how to remove it
#
# OIB_DEMO_BIN: a directory with the built tools (the test suite passes its own; no build then).
# OIB_DEMO_ROOT: the demo area (default: a new /tmp/oib-demo.XXXXXX); it must not exist or be empty.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
for argument in "$@"; do
  case $argument in
    --keep) keep=true ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: Scripts/demo.sh [--keep]" >&2; exit 2 ;;
  esac
done

step() { printf '\n=== %s\n' "$*"; }
proved() { printf -- '--> %s\n' "$*"; }
fact() { printf '    %s\n' "$*"; }

if [ -n "${OIB_DEMO_BIN:-}" ]; then
  bin=$OIB_DEMO_BIN
else
  mkdir -p .build
  buildlog=$PWD/.build/demo-build.log
  step "Building the tools (swift build; compiler output in $buildlog)"
  : >"$buildlog"
  for product in backup snapper autorestore restore report oracle-sim; do
    if ! swift build --product "$product" >>"$buildlog" 2>&1; then
      grep -E 'error:' "$buildlog" | head -n 20 || true
      echo "The build of $product failed; the whole compiler output is in $buildlog" >&2
      exit 1
    fi
  done
  bin=$(swift build --show-bin-path 2>>"$buildlog")
  echo "Built: backup snapper autorestore restore report oracle-sim in $bin"
fi

# As root the tools run as `nobody`, who may not see a checkout in a private home directory (see products.sh).
# shellcheck disable=SC1091
source Scripts/products.sh
built=$bin
bin=$(products_for_unprivileged "$built")

demo=${OIB_DEMO_ROOT:-$(mktemp -d /tmp/oib-demo.XXXXXX)}
mkdir -p "$demo"
if [ -n "$(ls -A "$demo")" ]; then
  echo "The demo area $demo is not empty; give an empty or new directory in OIB_DEMO_ROOT." >&2
  products_release "$bin"
  exit 2
fi

# Everything the demo starts is undone here, however it ends: the restored instance, its clone, the mount, the
# copies of the tools, and (unless --keep, or after a failure, when the logs are needed) the demo area itself.
storage=localfs
mounted=false
restored_sid=""
restored_clone=""
finished=false
as_user=()
cleanup() {
  local status=$?
  set +e
  if [ -n "$restored_sid" ]; then
    printf 'shutdown abort\nexit\n' | run_with ORACLE_SID="$restored_sid" -- oracle-sim sqlplus -s / as sysdba >/dev/null 2>&1
  fi
  if [ -n "$restored_clone" ]; then run snapper orcl dropclone "$restored_clone" >/dev/null 2>&1; fi
  if [ "$mounted" = true ]; then umount "$demo/backup" 2>/dev/null || umount -l "$demo/backup" 2>/dev/null; fi
  [ "$bin" = "$built" ] || products_release "$bin"
  if [ "$finished" = true ] && [ "$keep" = false ]; then
    # localfs snapshots are read-only copies: make them writable to remove them.
    chmod -R u+w -- "$demo" 2>/dev/null
    rm -rf -- "$demo"
  elif [ -d "$demo" ]; then
    local size
    size=$(du -sh "$demo" 2>/dev/null | cut -f1)
    echo
    if [ "$finished" = true ]; then echo "Kept (--keep): $demo ($size):"; else echo "The demo FAILED; kept for its logs: $demo ($size):"; fi
    if [ "$storage" = btrfs ]; then
      echo "  btrfs.img       the backup area (image copies, archivelogs, snapshots), NOT mounted now;"
      echo "                  to look inside: mount -o loop $demo/btrfs.img $demo/backup (then umount $demo/backup)"
    else
      echo "  backup/         the backup area (image copies, archivelogs, snapshots in backup/.snapshots)"
    fi
    echo "  backup.cfg      the configuration; sim-state/ the simulated databases; autorestore/ restore logs and"
    echo "                  the results catalog (results.sqlite); oraclehome/, tns/ the simulated Oracle home"
    echo "  No instance runs, no clone, mount or process is left."
    if [ "$storage" = btrfs ]; then echo "  To remove it: rm -rf $demo"; else echo "  To remove it: chmod -R u+w $demo && rm -rf $demo"; fi
  fi
  exit "$status"
}
trap cleanup EXIT

# The restore tools refuse to run as root. As root, every tool runs as the unprivileged user `nobody`, which
# owns the backups and runs the restores (as the `oracle` user does on a real installation).
mkdir -p "$demo"/{oraclehome/bin,oraclehome/OPatch,tns,backup,autorestore/dest,autorestore/mnt,autorestore/log}
for tool in rman sqlplus sqlldr srvctl adrci; do ln -sf "$bin/oracle-sim" "$demo/oraclehome/bin/$tool"; done
ln -sf "$bin/oracle-sim" "$demo/oraclehome/OPatch/opatch"
cat >"$demo/tns/tnsnames.ora" <<TNS
ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
TNS
sed "s|^demoroot: .*|demoroot: $demo|" configs/demo/backup.cfg >"$demo/backup.cfg"

if [ "$(id -u)" = 0 ]; then
  as_user=(runuser -u nobody --)
  if command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null; then
    truncate -s 1G "$demo/btrfs.img"
    if mkfs.btrfs -q "$demo/btrfs.img" >/dev/null 2>&1 \
      && mount -o loop,user_subvol_rm_allowed "$demo/btrfs.img" "$demo/backup" 2>/dev/null; then
      storage=btrfs
      mounted=true
      # Quotas give snapshots their space figures (read by root: the listings below run as root).
      btrfs quota enable "$demo/backup" 2>/dev/null || true
      sed -i 's|^snappermodule: localfs|snappermodule: btrfs|; s|^\[localfs\]|[btrfs]|' "$demo/backup.cfg"
    else
      rm -f "$demo/btrfs.img"
      echo "(could not loop-mount a btrfs here; using localfs)"
    fi
  fi
  chown -R nobody "$demo"
fi
export ORACLE_SIM_STATE="$demo/sim-state" BACKUPCONFIG="$demo/backup.cfg" TZ=UTC
# Runs a built tool as the demo's OS user: run_with VAR=value… -- tool arguments…
run_with() {
  local variables=()
  while [ "$1" != -- ]; do variables+=("$1"); shift; done
  shift
  "${as_user[@]}" env ORACLE_SIM_STATE="$ORACLE_SIM_STATE" BACKUPCONFIG="$BACKUPCONFIG" TZ=UTC HOME="$demo" \
    PATH=/usr/bin:/bin "${variables[@]}" "$bin/$1" "${@:2}"
}
run() { run_with -- "$@"; }
# Read-only listings run as the invoking user: as root, btrfs shows each snapshot's space (qgroups).
list() { env ORACLE_SIM_STATE="$ORACLE_SIM_STATE" BACKUPCONFIG="$BACKUPCONFIG" TZ=UTC "$bin/$1" "${@:2}"; }
# Runs a step quietly; on failure shows its output and stops.
quiet() {
  local output
  if ! output=$("$@" 2>&1); then
    printf '%s\n' "$output" | tail -n 40
    echo "FAILED: ${*}" >&2
    return 1
  fi
  printf '%s\n' "$output"
}
logs=$demo/backup/orcl/backup_logs

step "The set-up"
fact "demo area: $demo"
if [ "$storage" = btrfs ]; then
  fact "storage: btrfs on a 1 GiB loop-mounted image, $demo/backup (snapshots and clones are btrfs subvolumes)"
else
  fact "storage: localfs in $demo/backup (snapshots are reflink copies where the filesystem supports them)"
fi
fact "Oracle: oracle-sim (rman, sqlplus, … in $demo/oraclehome/bin), state in $demo/sim-state"
fact "results catalog: SQLite, $demo/autorestore/results.sqlite"
fact "tools run as: $(if [ ${#as_user[@]} -gt 0 ]; then echo "nobody (the restore tools refuse root)"; else id -un; fi)"
quiet run oracle-sim create-db --name orcl --dbid 1433672784 --bct --host prodhost >/dev/null
quiet run oracle-sim create-db --name catdb --dbid 2000000001 >/dev/null
proved "a production database orcl (DBID 1433672784, block change tracking on) and an RMAN catalog database catdb"

if [ "$storage" = btrfs ]; then
  step "snapper orcl volume create"
  quiet run snapper orcl volume create | sed 's/^/    /'
  proved "the backup area is a btrfs subvolume owned by the backup user: it snapshots and clones without root"
fi

step "autorestore --createcatalog"
quiet run_with AUTORESTORE_SAFE_SANDBOX=TRUE -- autorestore --createcatalog >/dev/null
fact "tables: $(sqlite3 "$demo/autorestore/results.sqlite" .tables 2>/dev/null | xargs || echo 'backup_run restore_run')"
proved "the results catalog exists: every backup and restore test is recorded in it, and retention reads it"

step "backup checkconfig"
quiet run backup checkconfig | sed 's/^/    /'
proved "the configuration file is complete for every database it names"

step "backup orcl config"
quiet run backup orcl config >/dev/null
configlog=$(find "$logs" -name '*_config.log' | sort | tail -n 1)
fact "$(grep -c '^CONFIGURE' "$configlog" || true) RMAN CONFIGURE commands ran; run log $configlog"
proved "RMAN is configured and the backup area is an archive destination: every snapshot will hold its own logs"

for cycle in 1 2 3; do
  step "Cycle $cycle of 3: a workload on orcl, then backup orcl imagecopywithsnap"
  quiet run oracle-sim workload orcl --transactions 5 --seconds-per-transaction 30 >/dev/null
  sleep 1
  output=$(quiet run backup orcl imagecopywithsnap)
  log=$(find "$logs" -name '*_imagecopywithsnap.log' | sort | tail -n 1)
  snapshot=$(sed -n 's/.*Created snapshot: //p' "$log" | head -n 1)
  fact "snapshot taken BEFORE the refresh: $snapshot"
  fact "$(printf '%s\n' "$output" | grep -o 'Total execution time: .*' | head -n 1); run log $log"
  fact "backup_run row: $(sqlite3 "$demo/autorestore/results.sqlite" "select 'action=' || action || ' success=' || success || ' snapshot_id=' || coalesce(snapshot_id, '') from backup_run order by id desc limit 1" 2>/dev/null || echo '(sqlite3 not installed)')"
done
proved "each run snapshotted the area before refreshing the copies: every snapshot is a consistent, self-contained backup"

step "What snapshot retention kept, and why (from the last run's log)"
{ grep -E ' — (keep|drop): ' "$log" || true; } | sed 's/^.*orcl  *//; s/ total=[^ ]* unique=[^ ]* clones=[0-9]*//; s/^/    /'
{ grep -o 'retention succeeded: .*' "$log" || true; } | sed 's/^/    /'
fact "the rules (backup.cfg [orcl]): snapexpirationdays 31, snapexpirationmonths 6 (monthly snapshots for half a year)"
proved "retention judged every snapshot and logged why it keeps or drops it; nothing here is old enough to drop"

step "snapper orcl list (snapshot names, times, space)"
quiet list snapper orcl list | sed 's/^/    /'
snapdir=""
for candidate in "$demo"/backup/.snapshots/orcl/orcl-*; do
  [ -d "$candidate" ] || continue
  snapdir=$candidate
  if [ -f "$snapdir/autorestore.cfg" ]; then
    fact "$(basename "$snapdir") restores to $(sed -n 's/^lasttime: //p' "$snapdir/autorestore.cfg") (lasttime in its autorestore.cfg)"
  else
    fact "$(basename "$snapdir") was taken before the first refresh: no image copies in it yet, nothing to restore"
  fi
done
quiet run snapper orcl checkage | sed 's/^/    /' || true
proved "three snapshots, the newest seconds old: checkage (warning 26 h, critical 50 h) says OK"

step "autorestore orcl (restore test with block validation)"
# The restore host must not see production storage: autorestore refuses to run where the restored controlfile's
# datafiles exist. Here the simulated production datafiles are moved out of reach, as on an isolated host.
mv "$demo/sim-state/files/orcl/oradata" "$demo/sim-state/files/orcl/oradata.unreachable"
quiet run_with AUTORESTORE_SAFE_SANDBOX=TRUE -- autorestore orcl | grep -E 'INFO|ERROR|WARNING|Exitstatus' \
  | sed 's/^[0-9:]* *INFO *orcl *//; s/^/    /'
proved "the newest snapshot was cloned, restored on a throw-away instance, recovered to its recorded time, opened read only, checked block by block, and dropped"
echo "    The results catalog's row (restore_run):"
query="select db_unique_name, datetime(start_time, 'unixepoch') as start_time_utc, success, failure_reason,
  snapshot_id, restore_target, expected_time, verified_time, time_difference_seconds, validated, corrupt_blocks,
  log_file from restore_run order by id desc limit 1"
if command -v sqlite3 >/dev/null; then
  sqlite3 -line "$demo/autorestore/results.sqlite" "$query" | sed 's/^/    /'
else
  echo "    (sqlite3 is not installed: the row is in $demo/autorestore/results.sqlite; the report below shows it)"
fi

step "restore orcl: a point-in-time copy"
# The newest snapshot ($snapdir from the listing above: the glob sorts by name, that is by time).
last=$(sed -n 's/^lasttime: //p' "$snapdir/autorestore.cfg")
target=$(date -u -d "$last UTC - 60 seconds" '+%Y-%m-%d %H:%M:%S')
fact "target: $target UTC (a minute before snapshot $(basename "$snapdir") ends), instance demo1"
restored_sid=demo1
output=$(quiet run restore orcl --target-time "$target" --utc --sid demo1 --snapshot "$(basename "$snapdir")" --yes)
restored_clone=$(printf '%s\n' "$output" | sed -n 's/.*dropclone //p' | head -n 1)
printf '%s\n' "$output" | grep -E 'Database restore|Requested|Verified|Difference' | sed 's/^[0-9:]* *INFO *orcl *//; s/^/    /'
proved "a copy of orcl as of $target ran as instance demo1, open read only, on clone $restored_clone"
printf 'shutdown abort\nexit\n' | quiet run_with ORACLE_SID=demo1 -- oracle-sim sqlplus -s / as sysdba >/dev/null
restored_sid=""
quiet run snapper orcl dropclone "$restored_clone" >/dev/null
restored_clone=""
fact "then removed as the restore's printed steps say: instance demo1 shut down, its clone dropped"

step "report (what a DBA reads every morning)"
quiet list report orcl | sed 's/^/    /'
proved "one table per fleet: snapshots and their age, space, last backup, last restore test and its validation"

step "Done"
finished=true
if [ "$keep" = true ]; then
  echo "Cleaning up: no instance, clone or mount stays; the demo area stays (--keep)."
else
  echo "Cleaning up: the demo area $demo, its mount, clones and instances are removed (Scripts/demo.sh --keep keeps them)."
fi
