#!/usr/bin/env bash
# The main job end to end on the embedded default: simulated Oracle, local storage, SQLite catalog.
# Builds the tools, lays out a scratch demo area and runs the steps, printing what each one proves.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

step() { printf '\n=== %s\n' "$*"; }

step "Building the tools"
swift build --product backup >/dev/null
bin=$(swift build --show-bin-path)

demo=${OIB_DEMO_ROOT:-$(mktemp -d /tmp/oib-demo.XXXXXX)}
mkdir -p "$demo"
sed "s|^demoroot: .*|demoroot: $demo|" configs/demo/backup.cfg > "$demo/backup.cfg"
mkdir -p "$demo/tns"
echo "Demo area: $demo"

step "checkconfig: the configuration is valid"
"$bin/backup" --config "$demo/backup.cfg" checkconfig

step "showconfig: the effective settings of database orcl"
"$bin/backup" --config "$demo/backup.cfg" orcl showconfig
