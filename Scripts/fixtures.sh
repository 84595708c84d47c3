#!/usr/bin/env bash
# Integration fixtures for Scripts/test.sh (sourced, then `fixtures_setup`; `fixtures_teardown` on exit).
# Each fixture exports the variables its tests read and says why when it cannot be prepared; tests whose
# variable is unset are reported as skipped with that reason.
#
#   OIB_BTRFS_ROOT  a directory on a freshly made, loop-mounted btrfs with quotas enabled and
#                   user_subvol_rm_allowed (unprivileged owners may delete their subvolumes) (root only)

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

fixtures_setup() {
  fixtures_btrfs_setup
}

fixtures_teardown() {
  fixtures_btrfs_teardown
}
