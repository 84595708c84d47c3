#!/usr/bin/env bash
# shellcheck disable=SC2016  # Markdown's backticks are printed literally.
# Soak test: does autorestore cry wolf? Runs N clean cycles per storage — a random workload with DDL and DML
# through oracle-sim, `backup <db> imagecopywithsnap`, then `autorestore` as an unprivileged user with block
# validation on every 5th cycle — and reports every false alarm (a failed backup or autorestore in a clean cycle;
# the target is none) and the restore-time distribution from the results catalog's per-phase seconds. The result
# is written into Documentation/autorestore.md between `<!-- soak:begin -->` and `<!-- soak:end -->`.
#
# usage: Scripts/soak.sh [--cycles N] [--storage btrfs|localfs|both] [--seed N] [--validate-every N]
#                        [--bin DIR | --release] [--doc FILE | --no-doc] [--keep-logs DIR] [--user NAME]
#
#   --cycles N          clean cycles per storage (default 100)
#   --storage S         btrfs, localfs or both (default both); btrfs needs root (a loop-mounted btrfs made by
#                       Scripts/fixtures.sh, or OIB_BTRFS_ROOT); without root it is skipped with a notice
#   --seed N            seed of the workload's randomness (default: a random one; printed, so a run can be repeated;
#                       each storage replays the same sequence)
#   --validate-every N  autorestore validates every block on every Nth cycle, and only then (default 5)
#   --bin DIR           use the tools built in DIR instead of building (backup, snapper, autorestore, oracle-sim)
#   --release           build the release configuration (default: debug)
#   --doc FILE          where the results section goes (default: this checkout's Documentation/autorestore.md)
#   --no-doc            print the results only
#   --keep-logs DIR     where the logs of false alarms are kept (default: .build/soak/<time> in this checkout;
#                       made only when there is one)
#   --user NAME         the unprivileged user that owns the backups and runs the tools when run as root
#                       (default nobody; autorestore refuses root)
#
# Builds the tools first (`swift build --product …` under `flock ${OIB_BUILD_LOCK:-/tmp/oib-build.lock}`) and runs
# private copies of them, so a rebuild meanwhile does not change the tools under test. Everything it makes (scratch
# tree, loop-mounted btrfs, private copies) is removed on exit. Exit status: 0 when no false alarm, 1 when some, 2 on
# a usage error or a missing prerequisite.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=100
storage=both
seed=""
validate_every=5
bin=""
configuration=debug
doc="$repo/Documentation/autorestore.md"
write_doc=1
keep_logs=""
run_user=nobody
tools=(backup snapper autorestore oracle-sim)

log() { printf '[soak] %s\n' "$*"; }
die() {
  printf '[soak] error: %s\n' "$*" >&2
  exit 2
}
usage() {
  sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

while [ $# -gt 0 ]; do
  case $1 in
    --cycles) cycles=${2:-}; shift 2 || die "--cycles needs a number" ;;
    --storage) storage=${2:-}; shift 2 || die "--storage needs btrfs, localfs or both" ;;
    --seed) seed=${2:-}; shift 2 || die "--seed needs a number" ;;
    --validate-every) validate_every=${2:-}; shift 2 || die "--validate-every needs a number" ;;
    --bin) bin=${2:-}; shift 2 || die "--bin needs a directory" ;;
    --release) configuration=release; shift ;;
    --doc) doc=${2:-}; shift 2 || die "--doc needs a file" ;;
    --no-doc) write_doc=0; shift ;;
    --keep-logs) keep_logs=${2:-}; shift 2 || die "--keep-logs needs a directory" ;;
    --user) run_user=${2:-}; shift 2 || die "--user needs a user name" ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
is_count "$cycles" || die "--cycles: '$cycles' is not a positive whole number"
is_count "$validate_every" || die "--validate-every: '$validate_every' is not a positive whole number"
case $storage in
  btrfs) storages=(btrfs) ;;
  localfs) storages=(localfs) ;;
  both) storages=(btrfs localfs) ;;
  *) die "--storage: '$storage' is not btrfs, localfs or both" ;;
esac
if [ -z "$seed" ]; then
  seed=$(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 2147483647))
fi
[[ $seed =~ ^[0-9]+$ ]] || die "--seed: '$seed' is not a whole number"
if [ "$write_doc" = 1 ]; then
  [ -f "$doc" ] || die "--doc: $doc does not exist (--no-doc to print the results only)"
  [ -w "$doc" ] || die "--doc: $doc is not writable"
fi

# Prerequisites, each named.
for command in sqlite3 awk sort od mktemp; do
  command -v "$command" >/dev/null 2>&1 || die "$command is missing (apt-get install ${command/sqlite3/sqlite3})"
done
if [ -n "$bin" ]; then
  for tool in "${tools[@]}"; do
    [ -x "$bin/$tool" ] || die "--bin: $bin/$tool is not an executable (build with swift build --product $tool)"
  done
else
  command -v swift >/dev/null 2>&1 || die "swift is missing: install a Swift toolchain, or pass --bin DIR"
  command -v flock >/dev/null 2>&1 || die "flock is missing (apt-get install util-linux)"
fi
if [ "$(id -u)" = 0 ]; then
  command -v runuser >/dev/null 2>&1 || die "runuser is missing (apt-get install util-linux)"
  id -u "$run_user" >/dev/null 2>&1 || die "--user: no user '$run_user'"
  [ "$(id -u "$run_user")" != 0 ] || die "--user: '$run_user' is root; autorestore refuses root"
  run_group=$(id -gn "$run_user")
else
  run_user=$(id -un)
fi

# Everything below goes into one scratch directory (and, for btrfs, a loop-mounted file system), removed on exit.
work=""
btrfs_fixture=0
btrfs_owned=""
cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  if [ "$btrfs_fixture" = 1 ]; then
    # The loop-mounted btrfs goes away as a whole: unmounted, its loop device detached, its image removed.
    fixtures_btrfs_teardown >/dev/null 2>&1
  elif [ -n "$btrfs_owned" ] && [ -d "$btrfs_owned" ]; then
    # On a btrfs of the environment (OIB_BTRFS_ROOT): subvolumes (inode 256) cannot be removed with rm; read-only
    # snapshots first become writable.
    find "$btrfs_owned" -xdev -depth -type d -inum 256 2>/dev/null | while read -r subvolume; do
      btrfs property set -ts "$subvolume" ro false >/dev/null 2>&1
      btrfs subvolume delete "$subvolume" >/dev/null 2>&1
    done
    rm -rf "$btrfs_owned"
  fi
  if [ -n "$work" ]; then
    # Snapshots of the local driver are read-only directories: writable again first, for a run that is not root's.
    chmod -R u+w "$work" 2>/dev/null
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d /tmp/oib-soak.XXXXXX)
chmod 755 "$work"

# The tools: built here (or taken from --bin), then copied so that the run uses one fixed set.
stage="$work/bin"
mkdir -p "$stage"
# The checkout's commit and how many tracked files differ from it, when the tools are built (after the lock).
checkout_state() {
  commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  changed=$({ git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null || true; } | wc -l | tr -d ' ')
}
checkout_state
if [ -n "$bin" ]; then
  build_note="prebuilt tools from $bin (checkout at $commit)"
  source_dir=$bin
  for tool in "${tools[@]}"; do cp -p "$bin/$tool" "$stage/"; done
  for item in "$bin"/*.resources; do [ -d "$item" ] && cp -a "$item" "$stage/"; done
else
  lock=${OIB_BUILD_LOCK:-/tmp/oib-build.lock}
  exec 9>>"$lock"
  log "waiting for the build lock $lock"
  flock 9
  checkout_state
  log "building ${tools[*]} ($configuration) in $repo at $commit"
  for tool in "${tools[@]}"; do
    if ! (cd "$repo" && swift build -c "$configuration" --product "$tool") >"$work/build.log" 2>&1; then
      grep -E "error|warning: " "$work/build.log" | head -20 >&2 || tail -20 "$work/build.log" >&2
      die "swift build --product $tool failed (above)"
    fi
  done
  source_dir=$(cd "$repo" && swift build -c "$configuration" --show-bin-path)
  for tool in "${tools[@]}"; do cp -p "$source_dir/$tool" "$stage/"; done
  for item in "$source_dir"/*.resources; do [ -d "$item" ] && cp -a "$item" "$stage/"; done
  flock -u 9
  exec 9>&-
  build_note="$configuration build of $commit"
  if [ "$changed" != 0 ]; then build_note="$build_note with $changed uncommitted file(s) in the checkout"; fi
fi
chmod -R a+rX "$stage"
log "tools: $build_note (copied to $stage)"

# Runs a program as the unprivileged user in the current storage's environment, from a directory anyone can enter.
as_user() {
  local -a environment=(PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/nonexistent TZ=UTC LANG=C
    "ORACLE_SIM_STATE=$env_root/sim-state" "ORACLE_SIM_NOW=2016-11-08 21:50:00" "BACKUPCONFIG=$env_root/backup.cfg")
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u "$run_user" -- /usr/bin/env -i "${environment[@]}" "$@")
  else
    (cd / && /usr/bin/env -i "${environment[@]}" "$@")
  fi
}

# The workload's dice: bash's RANDOM, seeded per storage, drawn in this shell only (a subshell would reseed it).
roll=0
dice() { roll=$((RANDOM % $1)); }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# One storage's environment, as Tests/EndToEndTests/OracleEnvironment.swift builds it: a fake ORACLE_HOME whose
# tools are links to oracle-sim, tnsnames.ora, a backup area, and two configurations that differ only in
# `autorestorevalidatechance: 1` (validation on exactly the cycles that use it). The marker check is on; Grid
# Infrastructure is off (`gimanaged: false`: oracle-sim's srvctl answers that no Clusterware runs, and a WARNING about
# it on every backup would hide the ones that matter).
prepare_environment() {
  local kind=$1
  env_root="$work/$kind"
  local oracle_home="$env_root/oraclehome"
  if [ "$kind" = btrfs ]; then
    backup_root=$(mktemp -d "$OIB_BTRFS_ROOT/soak.XXXXXX")
    btrfs_owned=$backup_root
  else
    backup_root="$env_root/backup"
  fi
  mkdir -p "$oracle_home/bin" "$oracle_home/OPatch" "$env_root/tns" "$backup_root" "$env_root/autorestore/dest" \
    "$env_root/autorestore/mnt" "$env_root/autorestore/log" "$env_root/cycles"
  local tool
  for tool in rman sqlplus sqlldr srvctl adrci; do ln -s "$stage/oracle-sim" "$oracle_home/bin/$tool"; done
  ln -s "$stage/oracle-sim" "$oracle_home/OPatch/opatch"
  cat >"$env_root/tns/tnsnames.ora" <<'EOF'
ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
AUTORESTORE = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
EOF
  cat >"$env_root/backup.cfg" <<EOF
[generic]
logretention: 7
backupdest: $backup_root
tnsadmin: tns
osuser: oracle
oraclehome: $oracle_home
maxlockwait: 1
warningsnapage: 26
criticalsnapage: 50
snappermodule: $kind
requiremount: FALSE

[rman]
catalog: /@rman

[autorestore]
autorestoredestination: $env_root/autorestore/dest
autorestoreclonename: autorestore
autorestoremountpoint: $env_root/autorestore/mnt
autorestoresnapage: 0
autorestorelogdir: $env_root/autorestore/log
autorestoremaxtoleranceminutes: 5

[orcl]
dbid: 1433672784
recoverywindow: 2
parallel: 2
snapexpirationdays: 31
snapexpirationmonths: 6
customverifydate: select max(createtime) from appdata.txlog
markerquery: select count(*) from appdata.txlog
gimanaged: false
EOF
  sed 's/^\[autorestore\]$/[autorestore]\nautorestorevalidatechance: 1/' "$env_root/backup.cfg" >"$env_root/validate.cfg"
  grep -q '^autorestorevalidatechance: 1$' "$env_root/validate.cfg" || die "could not write $env_root/validate.cfg"
  if [ "$(id -u)" = 0 ]; then chown -R "$run_user:$run_group" "$env_root" "$backup_root"; fi
  catalog="$env_root/autorestore/log/autorestore-results.sqlite"
}

# Production storage is unreachable while autorestore runs (it refuses to run where the restored controlfile's
# datafile paths exist), reachable again for the workload and the backup — as isolateFromProduction() in the tests.
isolate() {
  local oradata="$env_root/sim-state/files/orcl/oradata"
  if [ -d "$oradata" ]; then mv "$oradata" "$oradata.unreachable"; fi
}
reconnect() {
  local oradata="$env_root/sim-state/files/orcl/oradata"
  if [ -d "$oradata.unreachable" ]; then mv "$oradata.unreachable" "$oradata"; fi
}

# One cycle's workload: 1–3 `oracle-sim workload` calls, each committing 1–20 transactions 1–60 s apart (the last
# one just before the backup, so the verified time is current), sometimes after a quiet gap of up to two hours,
# sometimes with a log switch, a datafile added to an existing tablespace or to a new one, or a soak tablespace's
# datafile dropped. Never what makes a backup unrestorable on purpose (offline files, NOLOGGING).
workload() {
  local calls i
  dice 3
  calls=$((roll + 1))
  for ((i = 0; i < calls; i++)); do
    local -a arguments=(workload orcl)
    dice 20
    local transactions=$((roll + 1))
    dice 60
    arguments+=(--transactions "$transactions" --seconds-per-transaction "$((roll + 1))")
    stat_transactions=$((stat_transactions + transactions))
    dice 10
    if [ "$roll" = 0 ]; then
      dice 7200
      arguments+=(--advance "$((roll + 1))")
      stat_gaps=$((stat_gaps + 1))
    fi
    dice 10
    if [ "$roll" = 0 ]; then
      dice 57
      local blocks=$((roll + 8))
      dice 2
      if [ "$roll" = 0 ] || [ ${#soak_tablespaces[@]} = 0 ]; then
        soak_tablespace_count=$((soak_tablespace_count + 1))
        soak_tablespaces+=("SOAK$soak_tablespace_count")
        arguments+=(--add-datafile "SOAK$soak_tablespace_count" --blocks "$blocks")
        stat_tablespaces=$((stat_tablespaces + 1))
      else
        local -a candidates=(USERS "${soak_tablespaces[@]}")
        dice ${#candidates[@]}
        arguments+=(--add-datafile "${candidates[$roll]}" --blocks "$blocks")
        stat_datafiles=$((stat_datafiles + 1))
      fi
    else
      dice 25
      if [ "$roll" = 0 ]; then
        # A datafile of a tablespace this run created (never one of SYSTEM, SYSAUX, UNDOTBS1 or USERS).
        local droppable state="$env_root/cycles/$cycle.state.json"
        as_user "$stage/oracle-sim" inspect orcl >"$state" 2>/dev/null || true
        droppable=$(sqlite3 :memory: "select json_extract(value, '\$.fileNumber') from
          json_each(readfile('$state'), '\$.datafiles') where json_extract(value, '\$.tablespace') like 'SOAK%'" \
          2>/dev/null || true)
        rm -f "$state"
        if [ -n "$droppable" ]; then
          local -a numbers
          read -r -d '' -a numbers <<<"$droppable" || true
          dice ${#numbers[@]}
          arguments+=(--drop-datafile "${numbers[$roll]}")
          stat_dropped=$((stat_dropped + 1))
        fi
      fi
    fi
    dice 4
    if [ "$roll" = 0 ]; then
      arguments+=(--switch-logfile)
      stat_switches=$((stat_switches + 1))
    fi
    printf '%s\n' "oracle-sim ${arguments[*]}" >>"$env_root/cycles/$cycle.workload"
    if ! as_user "$stage/oracle-sim" "${arguments[@]}" >>"$env_root/cycles/$cycle.workload" 2>&1; then
      log "$kind cycle $cycle: oracle-sim ${arguments[*]} failed (a soak-script problem, not a false alarm):"
      tail -5 "$env_root/cycles/$cycle.workload" >&2
      return 1
    fi
  done
}

# Keeps a copy of a false alarm's logs outside the scratch tree; prints where.
keep() {
  local name=$1
  shift
  local target="$keep_logs/$name"
  mkdir -p "$target"
  local file
  for file in "$@"; do [ -f "$file" ] && cp "$file" "$target/"; done
  printf '%s\n' "$target"
}

# Records the WARNING lines of a tool's output (not false alarms, but what a DBA reads every day): the message
# without time and database, scratch paths, numbers and size units replaced, so that repetitions count as one.
note_warnings() {
  local tool=$1 file=$2
  { grep -E '^[0-9:.]+ +WARNING ' "$file" || true; } \
    | sed -E -e 's/^[0-9:.]+ +WARNING +[^ ]+ +//' -e "s#$backup_root#<backup root>#g" -e "s#$work#<scratch>#g" \
      -e 's/[0-9]+/N/g' -e 's/N[kMGT]?B\b/<size>/g' -e 's/[|]/\\|/g' | sort -u | while IFS= read -r message; do
      printf '%s\t%s\t%s\n' "$kind" "$tool" "$message" >>"$work/warnings.tsv"
    done
}

first_line() { printf '%s\n' "$1" | awk 'NF { print; exit }' | cut -c1-300; }

# Distribution of the numbers on stdin: "runs min median p90 max" (nearest-rank p90), or "0" when there are none.
distribution() {
  awk 'NF && $1 ~ /^[0-9.eE+-]+$/ { print $1 + 0 }' | sort -g | awk '
    { value[++n] = $1 }
    END {
      if (n == 0) { print "0 – – – –"; exit }
      median = (n % 2) ? value[(n + 1) / 2] : (value[n / 2] + value[n / 2 + 1]) / 2
      rank = int(0.9 * n); if (rank < 0.9 * n) rank++
      printf "%d %.2f %.2f %.2f %.2f\n", n, value[1], median, value[rank], value[n]
    }'
}

keep_logs=${keep_logs:-$repo/.build/soak/$(date -u +%Y%m%dT%H%M%SZ)}
phases=(leftovers clone startup mount recover verify validate cleanup)
results="$work/results.md"
summary="$work/summary.txt"
: >"$results"
: >"$summary"
total_alarms=0
storages_run=0
load_samples="$work/load"
: >"$load_samples"

soak_storage() {
  kind=$1
  if [ "$kind" = btrfs ]; then
    if [ "$(id -u)" != 0 ]; then
      log "NOTICE: btrfs skipped: it needs root (a loop device); run as root for btrfs"
      printf '| btrfs | skipped: not run as root | | | | | |\n' >>"$summary"
      return 0
    fi
    if [ -z "${OIB_BTRFS_ROOT:-}" ]; then
      # shellcheck source=Scripts/fixtures.sh
      source "$repo/Scripts/fixtures.sh"
      btrfs_fixture=1
      fixtures_btrfs_setup
      if [ -z "${OIB_BTRFS_ROOT:-}" ]; then
        log "NOTICE: btrfs skipped: no loop-mounted btrfs could be made (see above)"
        printf '| btrfs | skipped: no btrfs could be mounted | | | | | |\n' >>"$summary"
        return 0
      fi
    fi
    # The unprivileged owner reaches its backup root below the mount point.
    if [ "$btrfs_fixture" = 1 ]; then chmod 755 "$OIB_BTRFS_ROOT"; fi
  fi
  storages_run=$((storages_run + 1))
  prepare_environment "$kind"
  RANDOM=$seed
  soak_tablespaces=()
  soak_tablespace_count=0
  stat_transactions=0 stat_gaps=0 stat_tablespaces=0 stat_datafiles=0 stat_dropped=0 stat_switches=0
  local alarms=0 anomalies=0 backups_failed=0 restores_failed=0 validated_runs=0
  local rows="$env_root/rows.tsv"
  : >"$rows"

  log "$kind: preparing the database (backup root $backup_root)"
  as_user "$stage/oracle-sim" create-db --name orcl --dbid 1433672784 --bct --host backup >/dev/null \
    || die "$kind: oracle-sim create-db orcl failed"
  as_user "$stage/oracle-sim" create-db --name catdb --dbid 2000000001 >/dev/null \
    || die "$kind: oracle-sim create-db catdb failed"
  if [ "$kind" = btrfs ]; then
    as_user "$stage/snapper" orcl volume create >"$env_root/volume.out" 2>&1 \
      || { cat "$env_root/volume.out" >&2; die "$kind: snapper orcl volume create failed"; }
  fi
  as_user "$stage/backup" orcl config >"$env_root/config.out" 2>&1 \
    || { tail -20 "$env_root/config.out" >&2; die "$kind: backup orcl config failed"; }

  local last_backup=0 started
  started=$(now)
  # Cycle 0 only backs up: the first snapshot of a database never holds an autorestore.cfg (its backup has no
  # earlier image copies to recover), so autorestore starts with the second.
  for ((cycle = 0; cycle <= cycles; cycle++)); do
    awk '{ print $1 }' /proc/loadavg >>"$load_samples"
    reconnect
    workload || exit 2
    # Snapshot names carry the second: one backup per second at most.
    while [ "$(awk -v a="$last_backup" -v b="$(now)" 'BEGIN { print (b - a < 1.1) }')" = 1 ]; do sleep 0.2; done
    last_backup=$(now)
    local out="$env_root/cycles/$cycle.backup" status=0
    touch "$out.start"
    as_user "$stage/backup" orcl imagecopywithsnap >"$out" 2>&1 || status=$?
    local backup_seconds
    backup_seconds=$(elapsed "$last_backup" "$(now)")
    if [ "$status" != 0 ]; then
      alarms=$((alarms + 1))
      backups_failed=$((backups_failed + 1))
      local backup_log
      # This run's log: the newest one written since it started, if any.
      backup_log=$(find "$backup_root/orcl/backup_logs" -name '*_imagecopywithsnap.log' -newer "$out.start" \
        2>/dev/null | sort | tail -1 || true)
      local reason
      reason=$(grep -E 'ERROR|CRITICAL' "$out" | head -1 || true)
      [ -n "$reason" ] || reason=$(tail -1 "$out")
      local kept
      kept=$(keep "$kind-cycle$cycle-backup" "$out" "$backup_log" "$env_root/cycles/$cycle.workload")
      log "FALSE ALARM $kind cycle $cycle: backup exited $status: $(first_line "$reason")"
      log "  log: $kept/$(basename "${backup_log:-$out}") (workload: $kept/$cycle.workload)"
      printf '%s\tbackup\t%s\texit %s: %s\t%s\n' "$kind" "$cycle" "$status" "$(first_line "$reason")" "$kept" \
        >>"$work/alarms.tsv"
      printf '%s\t%s\t%s\n' "$cycle" "$backup_seconds" "backup-failed" >>"$rows"
      continue
    fi
    if [ "$cycle" = 0 ]; then
      printf '%s\t%s\t%s\n' "$cycle" "$backup_seconds" "priming" >>"$rows"
      log "$kind 0/$cycles: first backup ${backup_seconds}s (no restore: the first snapshot has no autorestore.cfg)"
      continue
    fi

    note_warnings backup "$out"
    isolate
    local validate=0 config="$env_root/backup.cfg"
    if [ $((cycle % validate_every)) = 0 ]; then
      validate=1
      config="$env_root/validate.cfg"
    fi
    local previous
    previous=$(as_user sqlite3 -readonly "$catalog" 'select coalesce(max(id), 0) from restore_run' 2>/dev/null || echo 0)
    out="$env_root/cycles/$cycle.autorestore"
    status=0
    as_user env AUTORESTORE_SAFE_SANDBOX=TRUE "$stage/autorestore" --config "$config" orcl >"$out" 2>&1 || status=$?
    # One row, fields separated by US (0x1f: not white space, so empty fields stay fields).
    local select="select id, success, coalesce(failure_reason, ''), validated,
      printf('%.3f', finish_time - start_time), coalesce(log_file, ''),
      replace(replace(coalesce(failure_detail, ''), char(10), ' '), char(31), ' ')"
    local phase
    for phase in "${phases[@]}"; do
      select+=", case when json_extract(phase_seconds, '\$.$phase') is null then ''
        else printf('%.3f', json_extract(phase_seconds, '\$.$phase')) end"
    done
    select+=" from restore_run where id > ${previous:-0} order by id desc limit 1"
    local row
    row=$(as_user sqlite3 -readonly -separator $'\x1f' "$catalog" "$select" 2>/dev/null || true)
    local success failure validated total log_file detail phase_values
    IFS=$'\x1f' read -r _ success failure validated total log_file detail phase_values <<<"$row" || true
    phase_values=$(printf '%s\n' "$row" | cut -d $'\x1f' -f8- | tr '\037' '\t')
    local problem=""
    if [ -z "$row" ]; then
      problem="no catalog row (exit $status): $(first_line "$(grep -E 'ERROR|failed' "$out" | head -1 || true)")"
    elif [ "$status" != 0 ] || [ "$success" != 1 ]; then
      problem="exit $status, failure_reason ${failure:-none}: $(first_line "$detail")"
    fi
    if [ -n "$problem" ]; then
      alarms=$((alarms + 1))
      restores_failed=$((restores_failed + 1))
      local kept
      kept=$(keep "$kind-cycle$cycle-autorestore" "$out" "$log_file" "$env_root/cycles/$cycle.workload" \
        "$env_root/cycles/$cycle.backup")
      log "FALSE ALARM $kind cycle $cycle: autorestore $problem"
      log "  log: $kept/$(basename "${log_file:-$out}") (workload: $kept/$cycle.workload)"
      printf '%s\tautorestore\t%s\t%s\t%s\n' "$kind" "$cycle" "$problem" "$kept" >>"$work/alarms.tsv"
    fi
    note_warnings autorestore "$out"
    # What a clean run must leave: no clone, nothing mounted, no instance, validation exactly as configured.
    local leftover=""
    if [ -n "$(find "$backup_root/.clones" -mindepth 1 -maxdepth 1 ! -name '*.json' 2>/dev/null | head -1)" ]; then
      leftover+=" clone in $backup_root/.clones;"
    fi
    if mountpoint -q "$env_root/autorestore/mnt" 2>/dev/null; then leftover+=" $env_root/autorestore/mnt mounted;"; fi
    if [ -e "$env_root/autorestore/dest/.oib-instance" ]; then leftover+=" instance marker left;"; fi
    if [ -n "$row" ] && [ -z "$problem" ] && [ "$validated" != "$validate" ]; then
      leftover+=" validated=$validated although the cycle asked for validation=$validate;"
    fi
    if [ -n "$leftover" ]; then
      anomalies=$((anomalies + 1))
      log "ANOMALY $kind cycle $cycle:$leftover"
      printf '%s\tanomaly\t%s\t%s\t\n' "$kind" "$cycle" "$leftover" >>"$work/alarms.tsv"
    fi
    [ "${validated:-0}" = 1 ] && validated_runs=$((validated_runs + 1))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cycle" "$backup_seconds" "${success:-}" "${validated:-}" "${total:-}" \
      "$phase_values" >>"$rows"
    log "$kind $cycle/$cycles: backup ${backup_seconds}s, autorestore ${total:-?}s$([ "$validate" = 1 ] && echo ' (validated)') $([ -z "$problem" ] && echo ok || echo FAILED)"
  done
  reconnect
  local finished
  finished=$(now)
  total_alarms=$((total_alarms + alarms))

  # The distribution over the successful runs, from the catalog rows collected above.
  rows_column() { awk -F'\t' -v c="$1" -v v="$2" '$3 == 1 && (v == "" || $4 == v) { print $c }' "$rows"; }
  {
    printf '\n**%s**: %d cycles (and a first backup) in %s min; false alarms: %d (failed backups: %d, failed autorestores: %d); other anomalies: %d; validated runs: %d.\n' \
      "$kind" "$cycles" "$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.1f", (b - a) / 60 }')" \
      "$alarms" "$backups_failed" "$restores_failed" "$anomalies" "$validated_runs"
    printf 'Workload over all %d backups: %d transactions, %d quiet gaps, %d new tablespaces, %d datafiles added to existing ones, %d dropped, %d log switches.\n\n' \
      "$((cycles + 1))" "$stat_transactions" "$stat_gaps" "$stat_tablespaces" "$stat_datafiles" "$stat_dropped" "$stat_switches"
    printf '| %s: seconds | runs | min | median | p90 | max |\n|---|---:|---:|---:|---:|---:|\n' "$kind"
    local line
    line=$(rows_column 5 0 | distribution)
    printf '| restore, total, without validation | %s |\n' "$(tr ' ' '|' <<<"$line" | sed 's/|/ | /g')"
    line=$(rows_column 5 1 | distribution)
    printf '| restore, total, with validation | %s |\n' "$(tr ' ' '|' <<<"$line" | sed 's/|/ | /g')"
    local index=6
    for phase in "${phases[@]}"; do
      if [ "$phase" = validate ]; then
        line=$(rows_column "$index" 1 | distribution)
        printf '| phase `%s` (validation runs) | %s |\n' "$phase" "$(tr ' ' '|' <<<"$line" | sed 's/|/ | /g')"
      else
        line=$(rows_column "$index" "" | distribution)
        printf '| phase `%s` | %s |\n' "$phase" "$(tr ' ' '|' <<<"$line" | sed 's/|/ | /g')"
      fi
      index=$((index + 1))
    done
    line=$(awk -F'\t' '$3 != "backup-failed" { print $2 }' "$rows" | distribution)
    printf '| backup `imagecopywithsnap` (wall time of the successful ones) | %s |\n' "$(tr ' ' '|' <<<"$line" | sed 's/|/ | /g')"
  } >>"$results"
  printf '| %s | %d | %d | %d | %d | %d | %d |\n' "$kind" "$cycles" "$((cycles + 1))" "$backups_failed" \
    "$restores_failed" "$anomalies" "$validated_runs" >>"$summary"
  log "$kind: done — false alarms: $alarms, anomalies: $anomalies"
}

: >"$work/alarms.tsv"
: >"$work/warnings.tsv"
log "seed $seed, $cycles cycles per storage (${storages[*]}), validation every $validate_every cycles"
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')
for kind in "${storages[@]}"; do soak_storage "$kind"; done
[ "$storages_run" -gt 0 ] || die "no storage could be soaked (see the notices above)"

load=$(sort -g "$load_samples" | awk '{ v[++n] = $1; s += $1 } END { if (n) printf "%.2f / %.2f / %.2f", v[1], s / n, v[n] }')
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
machine="$(uname -n), $(nproc) CPU(s) ${cpu:+($cpu)}, $memory, Linux $(uname -r)"
section="$work/section.md"
{
  printf '<!-- soak:begin -->\n'
  printf '_Written by `Scripts/soak.sh`; do not edit by hand._\n\n'
  printf 'Run %s on %s; tools: %s; %d cycles per storage, seed %s, block validation every %d cycles. ' \
    "$started_at" "$machine" "$build_note" "$cycles" "$seed" "$validate_every"
  printf 'Load average (1 min) during the run, min / mean / max: %s (other builds and test runs shared the machine when it is above the CPU count).\n\n' \
    "$load"
  printf '| storage | cycles | backups | failed backups | failed autorestores | other anomalies | validated runs |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|\n'
  cat "$summary"
  if [ -s "$work/alarms.tsv" ]; then
    printf '\nFalse alarms and anomalies:\n\n'
    awk -F'\t' '{ printf "- %s cycle %s, %s: %s\n", $1, $3, $2, $4 }' "$work/alarms.tsv"
  else
    printf '\nNo false alarm and no anomaly.\n'
  fi
  if [ -s "$work/warnings.tsv" ]; then
    printf '\nWARNING lines in these clean runs (not counted as false alarms; numbers shown as N):\n\n'
    printf '| storage | tool | runs | message |\n|---|---|---:|---|\n'
    sort "$work/warnings.tsv" | uniq -c | awk '{ count = $1; sub(/^ *[0-9]+ /, ""); split($0, f, "\t");
      printf "| %s | %s | %d | %s |\n", f[1], f[2], count, f[3] }'
  else
    printf '\nNo WARNING line in any backup or autorestore output.\n'
  fi
  printf '\nRestore times of the successful runs from the catalog (`finish - start` and `phase_seconds`); runs that validated are counted apart, and the `validate` phase only over them:\n'
  cat "$results"
  printf '<!-- soak:end -->\n'
} >"$section"

printf '\n'
cat "$section"
printf '\n'

if [ "$write_doc" = 1 ]; then
  doc_dir=$(dirname "$doc")
  updated=$(mktemp "$doc_dir/.soak.XXXXXX")
  if grep -q '^<!-- soak:begin -->$' "$doc" && grep -q '^<!-- soak:end -->$' "$doc"; then
    awk -v section="$section" '
      /^<!-- soak:begin -->$/ { while ((getline line < section) > 0) print line; skipping = 1; next }
      /^<!-- soak:end -->$/ { skipping = 0; next }
      !skipping { print }' "$doc" >"$updated"
  else
    { cat "$doc"; printf '\n## Soak test result\n\n'; cat "$section"; } >"$updated"
  fi
  cat "$updated" >"$doc"
  rm -f "$updated"
  log "results written to $doc"
fi
if [ "$total_alarms" -gt 0 ]; then
  log "$total_alarms false alarm(s); their logs are kept in $keep_logs"
  exit 1
fi
log "no false alarm"
