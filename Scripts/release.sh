#!/usr/bin/env bash
# Release build of the five tools: `-c release --static-swift-stdlib`, stripped, into one directory, then checked
# to run on a host without the Swift toolchain.
#
# Usage: Scripts/release.sh [OUTPUT_DIR]        (default: .build/release-tools)
#
# Checks, per binary (exit 1 naming the binary when one fails):
#   - `ldd` lists no Swift runtime library (libswift*, libFoundation*, libdispatch, libBlocksRuntime);
#   - `<tool> --help` exits 0 with the toolchain's library directory out of reach: as root in a private mount
#     namespace with an empty directory mounted over it (the namespace, and so the mount, ends with the command);
#     otherwise with an empty environment (no LD_LIBRARY_PATH), after checking that the binary has no RUNPATH into
#     the toolchain.
# Prints each binary's size and the system libraries it still needs (libc, libstdc++, libsqlite3, libz, …).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-.build/release-tools}
tools=(backup snapper autorestore restore report)
log() { printf '[release.sh] %s\n' "$*"; }

toolchain_lib=$(dirname "$(dirname "$(command -v swift)")")/lib/swift
[ -d "$toolchain_lib" ] || toolchain_lib=""

for tool in "${tools[@]}"; do
    log "building $tool (-c release --static-swift-stdlib)"
    # Shown: errors and our warnings. Not shown: SwiftPM's note about a file inside the swift-distributed-tracing
    # dependency, and the linker's note on mktemp inside the toolchain's static Foundation (not our code).
    if ! output=$(swift build -c release --static-swift-stdlib --product "$tool" 2>&1); then
        printf '%s\n' "$output" | grep -E "error" >&2 || printf '%s\n' "$output" | tail -20 >&2
        log "building $tool failed: no binaries are copied (an older build must not pass for this one)"
        exit 1
    fi
    printf '%s\n' "$output" | grep -E "warning: " \
        | grep -v -e "swift-distributed-tracing" -e "libFoundationEssentials.a" || true
done
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
mkdir -p "$out"

failed=0
printf '%-12s %12s  %s\n' "TOOL" "BYTES" "SHARED LIBRARIES"
for tool in "${tools[@]}"; do
    [ -x "$bin/$tool" ] || { log "$tool was not built ($bin/$tool)"; failed=1; continue; }
    cp "$bin/$tool" "$out/$tool"
    strip "$out/$tool"
    libraries=$(ldd "$out/$tool" 2>/dev/null | awk '{print $1}' | grep -v '^linux-vdso' | sort | tr '\n' ' ')
    if ldd "$out/$tool" | grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime'; then
        log "$tool still needs the Swift runtime: $(ldd "$out/$tool" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime' | awk '{print $1}' | tr '\n' ' ')"
        failed=1
    fi
    if [ -n "$toolchain_lib" ] && readelf -d "$out/$tool" | grep -E 'RUNPATH|RPATH' | grep -q "$toolchain_lib"; then
        log "$tool has a RUNPATH into the toolchain ($toolchain_lib)"
        failed=1
    fi
    if [ "$(id -u)" = 0 ] && [ -n "$toolchain_lib" ] && command -v unshare >/dev/null 2>&1; then
        empty=$(mktemp -d)
        if ! unshare -m sh -c "mount --bind '$empty' '$toolchain_lib' && env -i PATH=/usr/bin:/bin '$out/$tool' --help" >/dev/null 2>&1; then
            log "$tool --help failed with $toolchain_lib out of reach"
            failed=1
        fi
        rmdir "$empty"
    elif ! env -i PATH=/usr/bin:/bin "$out/$tool" --help >/dev/null 2>&1; then
        log "$tool --help failed in an empty environment"
        failed=1
    fi
    printf '%-12s %12s  %s\n' "$tool" "$(stat -c %s "$out/$tool")" "$libraries"
done
[ "$failed" = 0 ] || { log "FAILED"; exit 1; }
log "the tools in $out run without the Swift toolchain"
