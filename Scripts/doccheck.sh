#!/usr/bin/env bash
# Documentation checks for the product sources. Two modes:
#
#   Scripts/doccheck.sh [--summary] [PATH ...]
#     Fails when a public symbol has no `///` doc comment, naming each one as file:line (default PATH: Sources;
#     a path is a directory or a .swift file). --summary prints only the count per target (the directory under
#     Sources/) and still fails when any is missing. No compiler, no build: a fraction of a second.
#
#   Scripts/doccheck.sh --docc [TARGET ...]
#     Builds each documentation catalog (Sources/<Target>/<Target>.docc; default: every one there is) with DocC,
#     warnings as errors: broken symbol links, Topics entries that no longer exist, undocumented parameters of a
#     documented function. Needs an up-to-date debug build (`swift build`; Scripts/test.sh builds first): the
#     symbol graph is extracted from the built module, so this adds about 2 s per catalog and no package
#     dependency. (`swift package generate-documentation` from swift-docc-plugin does the same in about 30 s for
#     the first catalog and 13 s for each further one, and would add the plugin to every embedder's dependencies.)
#
# The doc-comment rule, checked line by line:
# - A declaration that says `public` or `open` needs a doc comment: `///` lines or a `/** … */` block directly
#   above it. Attribute lines (`@inlinable`, `@discardableResult`, `@available(…)`, `@MainActor`) may stand
#   between the comment and the declaration, also an attribute written over several lines (`@Option(` … `)`),
#   and attributes and modifiers may precede `public` on its line (`@inlinable public func`, `nonisolated public
#   func`, `override public var`). A blank line or a plain `//` comment between the doc comment and the
#   declaration is not accepted: keep the comment next to its symbol.
# - Members of a `public protocol` and of a `public extension` are public without saying so: each of their
#   declarations (func, var, let, init, subscript, associatedtype, typealias, nested types) needs a comment too,
#   unless it is marked private, fileprivate or internal.
# - Not required: `public extension` itself (DocC does not document extensions), enum cases (they cannot be
#   marked `public`; their enum's comment covers them), members of conformances to standard-library protocols
#   whose meaning the protocol fixes: `description`, `debugDescription`, `errorDescription`, `rawValue`,
#   `init(rawValue:)`, `hash(into:)`, `encode(to:)`, `init(from:)`, `customMirror`, the literal initialisers
#   (`init(stringLiteral:)`, `init(arrayLiteral:)`, …) and operators (`static func ==`, `<`, …).
# - Text in comments and string literals (also multi-line `"""` ones) is ignored.
# - A public symbol inside an internal type is still reported (the line alone cannot tell); document it or make
#   it internal. `package` declarations are not public and need no comment.
set -euo pipefail

if [ "${1:-}" = "--docc" ]; then
  shift
  cd "$(dirname "$0")/.."
  if [ $# -eq 0 ]; then
    for catalog in Sources/*/*.docc; do
      name=$(basename "$catalog" .docc)
      [ "$catalog" = "Sources/$name/$name.docc" ] && set -- "$@" "$name"
    done
  fi
  toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
  docc=$(command -v docc || echo "$toolchain/docc")
  extract=$(command -v swift-symbolgraph-extract || echo "$toolchain/swift-symbolgraph-extract")
  bin=$(swift build --show-bin-path)
  modules=$bin/Modules
  [ -d "$modules" ] || modules=$bin
  triple=$(swift -print-target-info | sed -n 's/^ *"triple": "\(.*\)",*$/\1/p' | head -n 1)
  # C modules (ours and the packages') that a Swift module may import.
  clang_maps=()
  for map in "$bin"/*.build/module.modulemap; do
    [ -f "$map" ] && clang_maps+=(-Xcc "-fmodule-map-file=$map")
  done
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/oib-docc.XXXXXX")
  trap 'rm -rf -- "$scratch"' EXIT
  failed=()
  for target in "$@"; do
    catalog=Sources/$target/$target.docc
    started=$(date +%s%N)
    if [ ! -d "$catalog" ]; then
      echo "doccheck --docc: $target: no catalog $catalog" >&2
      failed+=("$target")
      continue
    fi
    if [ ! -f "$modules/$target.swiftmodule" ] && [ ! -d "$modules/$target.swiftmodule" ]; then
      echo "doccheck --docc: $target: not built (no $modules/$target.swiftmodule); run swift build first" >&2
      failed+=("$target")
      continue
    fi
    mkdir -p "$scratch/$target"
    if ! "$extract" -module-name "$target" -target "$triple" -I "$modules" "${clang_maps[@]}" \
      -minimum-access-level public -skip-synthesized-members -output-dir "$scratch/$target" >&2; then
      echo "doccheck --docc: $target: symbol graph extraction failed" >&2
      failed+=("$target")
      continue
    fi
    if "$docc" convert "$catalog" --additional-symbol-graph-dir "$scratch/$target" \
      --fallback-display-name "$target" --fallback-bundle-identifier "oracle-imagecopy-backup.$target" \
      --output-path "$scratch/$target.doccarchive" --warnings-as-errors >"$scratch/$target.log" 2>&1; then
      echo "doccheck --docc: $target: ok ($(( ($(date +%s%N) - started) / 1000000 )) ms)"
    else
      cat "$scratch/$target.log" >&2
      echo "doccheck --docc: $target: DocC reported problems (above)" >&2
      failed+=("$target")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "doccheck --docc: failed: ${failed[*]}" >&2
    exit 1
  fi
  exit 0
fi

summary=0
if [ "${1:-}" = "--summary" ]; then
  summary=1
  shift
fi
if [ $# -eq 0 ]; then
  cd "$(dirname "$0")/.."
  set -- Sources
fi

mapfile -t files < <(find "$@" -name '*.swift' -type f | LC_ALL=C sort)
[ ${#files[@]} -gt 0 ] || { echo "doccheck: no Swift files under $*" >&2; exit 2; }

awk -v summary="$summary" '
function target_of(path,    parts, n, i) {
    n = split(path, parts, "/")
    for (i = 1; i < n; i++) if (parts[i] == "Sources") return parts[i + 1]
    return parts[1]
}
# The line without string literals and comments (state carries across lines for /* */ and """).
function code_only(line,    out, i, c, two, three) {
    out = ""
    i = 1
    while (i <= length(line)) {
        c = substr(line, i, 1); two = substr(line, i, 2); three = substr(line, i, 3)
        if (in_block) {
            if (two == "*/") { in_block = 0; i += 2 } else i++
            continue
        }
        if (in_multiline) {
            if (three == "\"\"\"") { in_multiline = 0; i += 3 } else i++
            continue
        }
        if (two == "//") break
        if (two == "/*") { in_block = 1; i += 2; continue }
        if (three == "\"\"\"") { in_multiline = 1; i += 3; continue }
        if (c == "\"") {
            i++
            while (i <= length(line) && substr(line, i, 1) != "\"") i += (substr(line, i, 1) == "\\") ? 2 : 1
            i++
            out = out "\"\""
            continue
        }
        out = out c
        i++
    }
    return out
}
function exempt(code) {
    if (code ~ /(^|[ \t])(var|let) (description|debugDescription|errorDescription|customMirror|rawValue)[ \t]*:/) return 1
    if (code ~ /(^|[ \t])init[?]?[ \t]*\((rawValue|from|[a-zA-Z]*Literal)[ \t:]/) return 1
    if (code ~ /(^|[ \t])func (hash\(into|encode\(to)[ \t:]/) return 1
    if (code ~ /(^|[ \t])static func [^A-Za-z_ \t(]/) return 1
    if (code ~ /(^|[ \t])extension[ \t]/) return 1
    return 0
}
# Parentheses closed minus opened on a line, string literals left out.
function paren_balance(line) {
    gsub(/"([^"\\]|\\.)*"/, "", line)
    return gsub(/\)/, ")", line) - gsub(/\(/, "(", line)
}
function documented(    j, prev, balance) {
    for (j = FNR - 1; j >= 1; j--) {
        prev = lines[j]
        sub(/^[ \t]+/, "", prev)
        if (prev ~ /^@[A-Za-z_]+(\(.*\))?[ \t]*$/) continue
        # The last line of an attribute written over several lines: go on above its first line.
        if (prev !~ /^\/\// && paren_balance(prev) > 0) {
            for (balance = 0; j >= 1; j--) {
                balance += paren_balance(lines[j])
                if (balance <= 0) break
            }
            if (j >= 1 && balance == 0 && lines[j] ~ /^[ \t]*@[A-Za-z_]+\(/) continue
            return 0
        }
        if (prev ~ /^\/\/\//) return 1
        if (prev ~ /\*\/[ \t]*$/) {
            # The end of a block comment: a doc comment when it opened with /**.
            for (; j >= 1; j--) if (lines[j] ~ /\/\*/) return lines[j] ~ /\/\*\*/
            return 0
        }
        return 0
    }
    return 0
}
function report(code) {
    missing[target_of(FILENAME)]++
    total++
    if (!summary) {
        sub(/^[ \t]+/, "", code)
        sub(/[ \t{]+$/, "", code)
        printf "%s:%d: public symbol without a /// doc comment: %s\n", FILENAME, FNR, code
    }
}
FNR == 1 { depth = 0; in_block = 0; in_multiline = 0; ctx_n = 0; delete lines }
{
    lines[FNR] = $0
    was_in_text = in_block || in_multiline
    code = code_only($0)
    modifiers = "(@[A-Za-z_]+(\\([^)]*\\))?[ \t]+|(final|override|nonisolated|static|class|mutating|convenience|required|indirect|dynamic|lazy|weak|unowned|consuming|borrowing|isolated)[ \t]+)*"
    declaration = "(func|var|let|init|subscript|associatedtype|typealias|struct|enum|class|actor|protocol|extension|macro|case)([^A-Za-z0-9_]|$)"
    if (!was_in_text) {
        explicit = (code ~ ("^[ \t]*" modifiers "(public|open)([ \t]|\\()"))
        # A member of a public protocol or public extension: one level inside it.
        implicit = 0
        if (!explicit && ctx_n > 0 && depth == ctx_depth[ctx_n] + 1 && code ~ ("^[ \t]*" modifiers declaration) \
            && code !~ /(^|[ \t])(private|fileprivate|internal)([ \t(]|$)/ && code !~ /^[ \t]*case[ \t]/) implicit = 1
        if ((explicit || implicit) && !exempt(code) && !documented()) report($0)
        opens_context = explicit && code ~ ("^[ \t]*" modifiers "(public|open)[ \t]+" modifiers "(protocol|extension)[ \t]")
    } else opens_context = 0
    opened = gsub(/\{/, "{", code)
    closed = gsub(/\}/, "}", code)
    if (opens_context) { ctx_n++; ctx_depth[ctx_n] = depth }
    depth += opened - closed
    if (closed > 0) while (ctx_n > 0 && depth <= ctx_depth[ctx_n]) ctx_n--
}
END {
    for (t in missing) printf "%6d  %s\n", missing[t], t | "sort -k2"
    close("sort -k2")
    if (total > 0) {
        printf "doccheck: %d public symbol(s) without a doc comment\n", total
        exit 1
    }
    print "doccheck: every public symbol has a doc comment"
}
' "${files[@]}"
