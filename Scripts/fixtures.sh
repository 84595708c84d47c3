#!/usr/bin/env bash
# Integration fixtures for Scripts/test.sh (sourced, then `fixtures_setup`; `fixtures_teardown` on exit).
# Each fixture exports the variables its tests read and says why when it cannot be prepared; tests whose
# variable is unset are reported as skipped with that reason.
#
#   OIB_BTRFS_ROOT  a directory on a freshly made, loop-mounted btrfs with quotas enabled and
#                   user_subvol_rm_allowed (unprivileged owners may delete their subvolumes) (root only)
#   OIB_ZFS_DATASET a file system on a throw-away, file-backed zfs-fuse pool with a unique name (root only);
#                   OIB_ZFS_COMMAND is the zfs command the tests use (`zfs`); with sudo installed, also
#                   OIB_ZFS_SUDO=1: a sudoers entry lets `nobody` (the tests' unprivileged user) run `sudo -n zfs`

fixtures_log() { printf '[fixtures] %s\n' "$*"; }

_oib_btrfs_image=""
_oib_btrfs_mount=""

fixtures_btrfs_setup() {
  if [ -n "${OIB_BTRFS_ROOT:-}" ]; then
    fixtures_log "btrfs: using OIB_BTRFS_ROOT=$OIB_BTRFS_ROOT from the environment"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    fixtures_log "btrfs: not root, no loop device; btrfs driver tests will be skipped"
    return 0
  fi
  for tool in mkfs.btrfs btrfs losetup mount; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      fixtures_log "btrfs: $tool missing (apt-get install btrfs-progs); btrfs driver tests will be skipped"
      return 0
    fi
  done
  _oib_btrfs_image=$(mktemp /tmp/oib-btrfs.XXXXXX.img) || return 0
  _oib_btrfs_mount=$(mktemp -d /tmp/oib-btrfs-mnt.XXXXXX) || return 0
  if truncate -s 1G "$_oib_btrfs_image" \
    && mkfs.btrfs -q "$_oib_btrfs_image" >/dev/null \
    && mount -o loop,user_subvol_rm_allowed "$_oib_btrfs_image" "$_oib_btrfs_mount" \
    && btrfs quota enable "$_oib_btrfs_mount"; then
    export OIB_BTRFS_ROOT="$_oib_btrfs_mount"
    fixtures_log "btrfs: loop-mounted at $OIB_BTRFS_ROOT (quotas on)"
  else
    fixtures_log "btrfs: could not prepare a loop-mounted btrfs; btrfs driver tests will be skipped"
    fixtures_btrfs_teardown
  fi
}

fixtures_btrfs_teardown() {
  if [ -n "$_oib_btrfs_mount" ]; then
    if mountpoint -q "$_oib_btrfs_mount" 2>/dev/null; then
      umount "$_oib_btrfs_mount" || umount -l "$_oib_btrfs_mount" || true
    fi
    rmdir "$_oib_btrfs_mount" 2>/dev/null || true
    _oib_btrfs_mount=""
  fi
  if [ -n "$_oib_btrfs_image" ]; then
    # `mount -o loop` uses an auto-clearing loop device; detach explicitly in case it lingers.
    losetup -j "$_oib_btrfs_image" 2>/dev/null | cut -d: -f1 | while read -r device; do
      [ -n "$device" ] && losetup -d "$device" 2>/dev/null || true
    done
    rm -f "$_oib_btrfs_image"
    _oib_btrfs_image=""
  fi
}

_oib_zfs_pool=""
_oib_zfs_image=""
_oib_zfs_mount=""
_oib_zfs_pidfile=""
_oib_zfs_rundir=""
_oib_zfs_sudoers=""

# zfs-fuse (Debian's package: real ZFS, pool version 23) as the OpenZFS driver's test storage. Starts the daemon
# only when none runs (and then stops it again), makes a pool on a sparse file mounted below a private directory.
fixtures_zfs_setup() {
  if [ -n "${OIB_ZFS_DATASET:-}" ]; then
    fixtures_log "zfs: using OIB_ZFS_DATASET=$OIB_ZFS_DATASET from the environment"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    fixtures_log "zfs: not root, cannot run zfs-fuse; OpenZFS driver tests will be skipped"
    return 0
  fi
  if ! command -v zpool >/dev/null 2>&1 || ! command -v zfs-fuse >/dev/null 2>&1; then
    fixtures_log "zfs: zpool/zfs-fuse missing (apt-get install zfs-fuse); OpenZFS driver tests will be skipped"
    return 0
  fi
  if ! pgrep -x zfs-fuse >/dev/null 2>&1; then
    # zfs-fuse refuses an existing pid file: name one in a private directory.
    _oib_zfs_rundir=$(mktemp -d /tmp/oib-zfs-fuse.XXXXXX) || return 0
    _oib_zfs_pidfile="$_oib_zfs_rundir/zfs-fuse.pid"
    if ! zfs-fuse --no-kstat-mount -p "$_oib_zfs_pidfile" >/dev/null 2>&1; then
      fixtures_log "zfs: cannot start zfs-fuse (is /dev/fuse there?); OpenZFS driver tests will be skipped"
      rm -rf "$_oib_zfs_rundir"
      _oib_zfs_pidfile=""
      _oib_zfs_rundir=""
      return 0
    fi
    # The daemon answers once its socket is up.
    for _ in $(seq 1 50); do zpool list >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  _oib_zfs_pool="oibtest$$$(date +%s)"
  _oib_zfs_image=$(mktemp /tmp/oib-zfs.XXXXXX.img) || return 0
  _oib_zfs_mount=$(mktemp -d /tmp/oib-zfs-mnt.XXXXXX) || return 0
  if truncate -s 512M "$_oib_zfs_image" \
    && zpool create -m "$_oib_zfs_mount/$_oib_zfs_pool" "$_oib_zfs_pool" "$_oib_zfs_image" >/dev/null 2>&1 \
    && zfs create "$_oib_zfs_pool/oib"; then
    export OIB_ZFS_DATASET="$_oib_zfs_pool/oib"
    export OIB_ZFS_COMMAND="zfs"
    fixtures_log "zfs: pool $_oib_zfs_pool on $_oib_zfs_image, mounted below $_oib_zfs_mount"
    # The end-to-end tests run autorestore as `nobody`, who reaches zfs through `sudo -n zfs` (as on a host
    # where `zfs allow` is missing); the entry names this run's pool so that it is recognisably ours.
    zfs_path=$(command -v zfs)
    if command -v sudo >/dev/null 2>&1 && command -v visudo >/dev/null 2>&1 && [ -d /etc/sudoers.d ]; then
      _oib_zfs_sudoers="/etc/sudoers.d/oib-test-$_oib_zfs_pool"
      printf 'nobody ALL=(root) NOPASSWD: %s\n' "$zfs_path" >"$_oib_zfs_sudoers.tmp"
      chmod 440 "$_oib_zfs_sudoers.tmp"
      if visudo -cqf "$_oib_zfs_sudoers.tmp" >/dev/null 2>&1; then
        mv "$_oib_zfs_sudoers.tmp" "$_oib_zfs_sudoers"
        export OIB_ZFS_SUDO=1
        fixtures_log "zfs: nobody may run sudo -n $zfs_path ($_oib_zfs_sudoers)"
      else
        rm -f "$_oib_zfs_sudoers.tmp"
        _oib_zfs_sudoers=""
      fi
    else
      fixtures_log "zfs: sudo missing (apt-get install sudo); the unprivileged autorestore on ZFS will be skipped"
    fi
  else
    fixtures_log "zfs: could not create a zfs-fuse pool; OpenZFS driver tests will be skipped"
    fixtures_zfs_teardown
  fi
}

fixtures_zfs_teardown() {
  if [ -n "$_oib_zfs_sudoers" ]; then
    rm -f "$_oib_zfs_sudoers" "$_oib_zfs_sudoers.tmp"
    _oib_zfs_sudoers=""
  fi
  if [ -n "$_oib_zfs_pool" ]; then
    for attempt in 1 2 3 4 5; do
      zpool list "$_oib_zfs_pool" >/dev/null 2>&1 || break
      zpool destroy -f "$_oib_zfs_pool" >/dev/null 2>&1 && break
      sleep "$attempt"
    done
    _oib_zfs_pool=""
  fi
  if [ -n "$_oib_zfs_pidfile" ]; then
    # Only the daemon this fixture started, by its process id; it takes a few seconds to exit.
    pid=$(cat "$_oib_zfs_pidfile" 2>/dev/null)
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$_oib_zfs_rundir"
    _oib_zfs_pidfile=""
    _oib_zfs_rundir=""
  fi
  if [ -n "$_oib_zfs_mount" ]; then
    rm -rf --one-file-system "$_oib_zfs_mount" 2>/dev/null || true
    _oib_zfs_mount=""
  fi
  if [ -n "$_oib_zfs_image" ]; then
    rm -f "$_oib_zfs_image"
    _oib_zfs_image=""
  fi
}

fixtures_setup() {
  fixtures_btrfs_setup
  fixtures_zfs_setup
}

fixtures_teardown() {
  fixtures_zfs_teardown
  fixtures_btrfs_teardown
}
