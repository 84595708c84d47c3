#!/usr/bin/env bash
# The project's test command: installs what the tests need (when run as root and missing),
# builds everything, and runs the whole Swift Testing suite. Exit code = swift test's.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test.sh] %s\n' "$*"; }

need_packages=()
command -v mkfs.btrfs >/dev/null 2>&1 || need_packages+=(btrfs-progs)
command -v zfs-fuse >/dev/null 2>&1 || need_packages+=(zfs-fuse)  # real ZFS for the OpenZFS driver tests
command -v sudo >/dev/null 2>&1 || need_packages+=(sudo)  # the unprivileged user reaches zfs-fuse through sudo -n zfs
[ -e /usr/include/sqlite3.h ] || need_packages+=(libsqlite3-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_packages+=(postgresql)
command -v losetup >/dev/null 2>&1 || need_packages+=(mount)
command -v openssl >/dev/null 2>&1 || need_packages+=(openssl)  # test CA for the storage-sim HTTPS tests
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)  # Scripts/architecture.sh
pkg-config --exists libcurl 2>/dev/null || need_packages+=(libcurl4-openssl-dev pkg-config)  # StorageHTTP (CCurl)
ls /usr/lib/*/libpq.so.5 /usr/lib64/libpq.so.5 >/dev/null 2>&1 || need_packages+=(libpq5)  # PostgreSQL catalog (dlopen)
command -v promtool >/dev/null 2>&1 || need_packages+=(prometheus)  # report --prometheus: promtool check metrics
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need_packages+=(python3-prometheus-client)  # parser
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)  # report --html: rendered headless, screenshot
command -v systemd-analyze >/dev/null 2>&1 || need_packages+=(systemd)  # backup systemd-units: verify the units
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing: ${need_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_packages[@]}" >/dev/null
  else
    log "not root: cannot install ${need_packages[*]}; tests that need them will say they are skipped"
  fi
fi

# Integration fixtures: each exports the variables its tests read (OIB_BTRFS_ROOT, OIB_POSTGRES_URL, ...) or
# prints why it cannot, in which case those tests are reported as skipped with that reason.
teardowns=()
cleanup() { for t in "${teardowns[@]}"; do "$t" || true; done; }
trap cleanup EXIT
if [ -f Scripts/fixtures.sh ]; then
  # shellcheck disable=SC1091
  source Scripts/fixtures.sh
  fixtures_setup
  teardowns+=(fixtures_teardown)
fi
# shellcheck disable=SC1091
source Scripts/fixtures-postgres.sh
fixtures_postgres_setup
teardowns+=(fixtures_postgres_teardown)

# The tests' own scratch files (made under NSTemporaryDirectory / FileManager.temporaryDirectory, which follow
# TMPDIR; the compiler's temporary directories too) go below one directory that the run removes at the end, so a run
# leaves nothing in /tmp. Readable by all: as root, tests hand parts of it to the unprivileged user.
test_tmp=$(mktemp -d /tmp/oib-test-run.XXXXXX)
chmod 755 "$test_tmp"
remove_test_tmp() {
  # A test that could not unmount its scratch mount (busy at the time) must not leave it mounted: name it, then
  # detach it (only mounts below this run's own directory), deepest first, before the directory goes.
  local leftovers
  leftovers=$(awk -v root="$test_tmp/" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r)
  if [ -n "$leftovers" ]; then
    log "tests left these mounted; unmounting them: $(echo "$leftovers" | tr '\n' ' ')"
    while read -r mounted; do umount "$mounted" 2>/dev/null || umount -l "$mounted" || true; done <<<"$leftovers"
  fi
  rm -rf "$test_tmp"
}
teardowns+=(remove_test_tmp)
export TMPDIR="$test_tmp"

log "checking the target graph and its rules (Scripts/architecture.sh; Documentation/architecture.md)"
Scripts/architecture.sh --check
log "checking that every public symbol has a doc comment (Scripts/doccheck.sh)"
Scripts/doccheck.sh --summary

log "building"
swift build --build-tests
log "building the DocC catalogs, warnings as errors (Scripts/doccheck.sh --docc)"
Scripts/doccheck.sh --docc
# As root the end-to-end tests run tools as `nobody`, who may not see a checkout in a private home directory.
# shellcheck disable=SC1091
source Scripts/products.sh
built_products=$(swift build --show-bin-path)
OIB_PRODUCTS_DIR=$(products_for_unprivileged "$built_products")
export OIB_PRODUCTS_DIR
release_products() { [ "$OIB_PRODUCTS_DIR" = "$built_products" ] || products_release "$OIB_PRODUCTS_DIR"; }
teardowns+=(release_products)
[ "$OIB_PRODUCTS_DIR" = "$built_products" ] || log "tools for the unprivileged user: $OIB_PRODUCTS_DIR"
# The fault matrix runs on its own after the rest: its installations load both cores, and the other suites'
# timeouts should not be measured under that load.
log "running swift test (everything but the fault matrix)"
# Foundation's Process.run() on Linux (Swift 6.3.1) over-reads /proc/self/fd entries (swift-corelibs-foundation pull
# request 5472) and crashes the test process now and then, when glibc's directory buffer ends at an unmapped page.
# Allocations of 32 KiB and more mapped on their own leave slack up to the page end, so that buffer never ends there.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.mmap_threshold=32768"
# Both runs are also written to a log so that the failures can be repeated at the very end, where a CI page that
# shows only the tail of the output still names them.
test_log=$(mktemp "${TMPDIR:-/tmp}/oib-test-log.XXXXXX")
remove_test_log() { rm -f "$test_log"; }
teardowns+=(remove_test_log)
set +e
swift test --skip-build --skip FaultMatrixTests 2>&1 | tee "$test_log"
status=${PIPESTATUS[0]}
log "running the fault matrix (Tests/EndToEndTests/FaultMatrix; Documentation/reliability.md)"
swift test --skip-build --filter FaultMatrixTests 2>&1 | tee -a "$test_log"
matrix=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ] || [ "$matrix" -ne 0 ]; then
  log "failures (repeated from above; at most 80 lines):"
  grep -E '✘|Expectation failed|recorded an issue|Fatal error|error: ' "$test_log" | grep -v '^.*◇' | head -n 80 || true
fi
log "swift test exited with $status, the fault matrix with $matrix"
[ "$status" -ne 0 ] && exit "$status"
exit $matrix
