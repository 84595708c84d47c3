#!/usr/bin/env bash
# The main job end to end on the embedded default: a simulated Oracle database (oracle-sim), local storage
# (btrfs on a loop-mounted image when run as root with btrfs-progs, else localfs) and a SQLite results catalog.
# It builds the tools, lays out a scratch demo area, and prints what each step proves.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }
proved() { printf -- '--> %s\n' "$*"; }

# OIB_DEMO_BIN: a directory with the built tools (the test suite passes its own; no build then).
if [ -n "${OIB_DEMO_BIN:-}" ]; then
  bin=$OIB_DEMO_BIN
else
  step "Building the tools (swift build)"
  swift build --product backup >/dev/null
  swift build --product snapper >/dev/null
  swift build --product autorestore >/dev/null
  swift build --product restore >/dev/null
  swift build --product oracle-sim >/dev/null
  bin=$(swift build --show-bin-path)
fi

# As root the tools run as `nobody`, who may not see a checkout in a private home directory (see products.sh).
# shellcheck disable=SC1091
source Scripts/products.sh
built=$bin
bin=$(products_for_unprivileged "$built")
# Only a copy made here is removed (the test suite passes its own in OIB_DEMO_BIN).
release_bin() { [ "$bin" = "$built" ] || products_release "$bin"; }
trap release_bin EXIT

demo=${OIB_DEMO_ROOT:-$(mktemp -d /tmp/oib-demo.XXXXXX)}
mkdir -p "$demo"/{oraclehome/bin,oraclehome/OPatch,tns,backup,autorestore/dest,autorestore/mnt,autorestore/log}
for tool in rman sqlplus sqlldr srvctl adrci; do ln -sf "$bin/oracle-sim" "$demo/oraclehome/bin/$tool"; done
ln -sf "$bin/oracle-sim" "$demo/oraclehome/OPatch/opatch"
cat > "$demo/tns/tnsnames.ora" <<TNS
ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
TNS
sed "s|^demoroot: .*|demoroot: $demo|" configs/demo/backup.cfg > "$demo/backup.cfg"

# The restore tools refuse to run as root. As root, every tool runs as the unprivileged user `nobody`, which
# owns the backups and runs the restores (as the `oracle` user does on a real installation).
as_user=()
storage=localfs
if [ "$(id -u)" = 0 ]; then
  as_user=(runuser -u nobody --)
  if command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null; then
    truncate -s 1G "$demo/btrfs.img"
    if mkfs.btrfs -q "$demo/btrfs.img" >/dev/null 2>&1 \
      && mount -o loop,user_subvol_rm_allowed "$demo/btrfs.img" "$demo/backup" 2>/dev/null; then
      storage=btrfs
      sed -i 's|^snappermodule: localfs|snappermodule: btrfs|; s|^\[localfs\]|[btrfs]|' "$demo/backup.cfg"
    else
      rm -f "$demo/btrfs.img"
      echo "(could not loop-mount a btrfs here; using localfs)"
    fi
  fi
  chown -R nobody "$demo"
fi
if [ "$storage" = btrfs ]; then
  # Nothing stays mounted when the demo ends, however it ends; the image keeps the backups.
  trap 'umount "$demo/backup" 2>/dev/null || true; release_bin' EXIT
  echo "Storage: btrfs, loop-mounted at $demo/backup while the demo runs (the image $demo/btrfs.img keeps it)"
else
  echo "Storage: localfs (reflink copies where the filesystem supports them)"
fi
export ORACLE_SIM_STATE="$demo/sim-state" BACKUPCONFIG="$demo/backup.cfg" TZ=UTC
echo "Demo area: $demo"
# Runs a built tool as the demo's OS user.
run() {
  "${as_user[@]}" env ORACLE_SIM_STATE="$ORACLE_SIM_STATE" BACKUPCONFIG="$BACKUPCONFIG" TZ=UTC HOME="$demo" \
    AUTORESTORE_SAFE_SANDBOX="${AUTORESTORE_SAFE_SANDBOX:-}" PATH=/usr/bin:/bin "$bin/$1" "${@:2}"
}

step "A simulated production database"
run oracle-sim create-db --name orcl --dbid 1433672784 --bct --host prodhost >/dev/null
run oracle-sim create-db --name catdb --dbid 2000000001 >/dev/null
proved "database orcl (DBID 1433672784) exists, with block change tracking"

if [ "$storage" = btrfs ]; then
  step "snapper orcl volume create"
  run snapper orcl volume create
  proved "the backup area is a btrfs subvolume owned by the backup user: it snapshots and clones without root"
fi

step "autorestore --createcatalog"
# Snapshot retention keeps the newest verified snapshot (snapkeepverified) and reads the results catalog for it;
# a configured catalog that does not exist yet could be an unmounted share, so it is created first.
AUTORESTORE_SAFE_SANDBOX=TRUE run autorestore --createcatalog | tail -n 1
proved "the SQLite results catalog exists: backups are recorded in it and retention can read it"

step "backup checkconfig"
run backup checkconfig

step "backup orcl config"
run backup orcl config | tail -n 3
proved "RMAN is configured and the backup area is an archive destination: every snapshot will hold its own logs"

for cycle in 1 2 3; do
  step "Workload, then backup orcl imagecopywithsnap (cycle $cycle of 3)"
  run oracle-sim workload orcl --transactions 5 --seconds-per-transaction 30 >/dev/null
  sleep 1
  run backup orcl imagecopywithsnap | grep -E 'INFO' | sed 's/^/  /'
done
proved "three snapshots taken BEFORE each refresh; each later one carries autorestore.cfg with the time it restores to"

step "snapper orcl list"
run snapper orcl list
run snapper orcl checkage || true

step "autorestore orcl (with block validation)"
# The restore host must not see production storage: autorestore refuses to run where the restored controlfile's
# datafiles exist. Here the simulated production datafiles are moved out of reach, as on an isolated host.
mv "$demo/sim-state/files/orcl/oradata" "$demo/sim-state/files/orcl/oradata.unreachable"
AUTORESTORE_SAFE_SANDBOX=TRUE run autorestore orcl | grep -E 'INFO|ERROR|WARNING|Exitstatus' | sed 's/^/  /'
proved "the newest snapshot was cloned, restored on a throw-away instance, recovered to its recorded time, opened read only, checked block by block, and dropped"
if command -v sqlite3 >/dev/null; then
  sqlite3 "$demo/autorestore/results.sqlite" \
    "select db_unique_name, datetime(start_time,'unixepoch'), success, snapshot_id, time_difference_seconds, validated from restore_run"
else
  echo "  (result row stored in $demo/autorestore/results.sqlite)"
fi

step "restore orcl: a point-in-time copy"
snapdir=$(ls -d "$demo"/backup/.snapshots/orcl/orcl-* 2>/dev/null | grep -v '\.json$' | sort | tail -n 1)
last=$(sed -n 's/^lasttime: //p' "$snapdir/autorestore.cfg")
target=$(date -u -d "$last UTC - 60 seconds" '+%Y-%m-%d %H:%M:%S')
run restore orcl --target-time "$target" --utc --sid demo1 --snapshot "$(basename "$snapdir")" --yes \
  | grep -E 'Database restore|Requested|Verified|Difference|^[0-9]\.' | sed 's/^/  /'
proved "a copy of orcl as of $target runs as instance demo1, open read only"

step "Done"
if [ "$storage" = btrfs ]; then
  echo "Everything is in $demo; the backup area is unmounted now (mount -o loop $demo/btrfs.img $demo/backup"
  echo "to look inside; logs also in $demo/autorestore/log)."
else
  echo "Everything is in $demo (logs in $demo/backup/orcl/backup_logs and $demo/autorestore/log)."
fi
