#!/usr/bin/env bash
# The configuration reference: the generated block of Documentation/configuration.md.
#
# Usage: Scripts/config-reference.sh            rewrite the block between <!-- generated: begin --> and
#                                               <!-- generated: end --> with what `backup configreference` prints
#        Scripts/config-reference.sh --check    write nothing; exit 1, with a diff, when the committed page differs
#
# The block is printed by the code (BackupCommands' ConfigurationReference) from the key catalogues next to the
# code that reads the keys: Sources/ConfigModel/Reference (generic, rman, autorestore, database sections),
# Sources/StorageRetention/RetentionKeyReference.swift (retention keys) and each storage driver's descriptor
# (`keyReference`). Edit those, then run this script; the text outside the block is written by hand.
# Builds the `backup` product first (incremental: seconds to a few minutes). The test
# ConfigurationReferenceGenerationTests fails when the committed page and the catalogues differ.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h | --help)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: Scripts/config-reference.sh [--check]" >&2
    exit 2
    ;;
esac

doc=Documentation/configuration.md
work=$(mktemp -d "${TMPDIR:-/tmp}/oib-config-reference.XXXXXX")
trap 'rm -rf "$work"' EXIT

swift build --product backup >"$work/build.log" 2>&1 || {
  echo "config-reference.sh: swift build --product backup failed:" >&2
  tail -40 "$work/build.log" >&2
  exit 2
}
"$(swift build --show-bin-path)/backup" configreference >"$work/block.md"

python3 - "$doc" "$work/block.md" "$work/configuration.md" <<'PY'
import sys

doc_path, block_path, out_path = sys.argv[1:4]
text = open(doc_path, encoding="utf-8").read()
block = open(block_path, encoding="utf-8").read()
begin_marker, end_marker = "<!-- generated: begin -->", "<!-- generated: end -->"
begin = text.find(begin_marker)
end = text.find(end_marker, begin + 1) if begin >= 0 else -1
if begin < 0 or end < 0:
    print(f"config-reference.sh: {doc_path} has no {begin_marker} ... {end_marker} block", file=sys.stderr)
    sys.exit(2)
end += len(end_marker)
if text[end:end + 1] == "\n":
    end += 1
open(out_path, "w", encoding="utf-8").write(text[:begin] + block + text[end:])
PY

if cmp -s "$doc" "$work/configuration.md"; then
  echo "config-reference.sh: $doc is up to date"
  exit 0
fi
if [ "$check" = 1 ]; then
  echo "config-reference.sh: $doc differs from the key catalogues (run Scripts/config-reference.sh):" >&2
  diff -u "$doc" "$work/configuration.md" >&2 || true
  exit 1
fi
cp "$work/configuration.md" "$doc"
echo "config-reference.sh: rewrote the generated block of $doc"
