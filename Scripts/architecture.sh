#!/usr/bin/env bash
# The package's target graph and the dependency rules it must keep.
#
# Usage: Scripts/architecture.sh            rewrite the generated block of Documentation/architecture.md, print what
#                                           each tool links, check the rules (exit 1 when one is broken)
#        Scripts/architecture.sh --check    the same, but write nothing: also exit 1, with a diff, when the
#                                           committed document differs from what the manifest gives today
#
# Reads `swift package describe --type json` with a scratch directory of its own: the manifest only (no build, no
# dependency resolution), well under a second, and no wait on a build that holds .build's lock. Needs python3.
# The closures are over this package's targets; an external product counts as a leaf (what GRDB itself pulls in
# is not followed).
set -euo pipefail
cd "$(dirname "$0")/.."

# ====================================================================================================================
# THE RULES: edit this table.
#
#   set NAME SELECTOR...        a named set of targets, used as @NAME
#   group NAME SELECTOR...      a box of the product graph (targets under Sources/; the first group that matches wins)
#   hide NAME...                external products left out of the drawings (they stay in the tables)
#   rule direct  WHO... ! WHAT...   # why    no target of WHO names a target or product of WHAT as a dependency
#   rule closure WHO... ! WHAT...   # why    ... nor reaches one through other targets (what the target links)
#   products WHO...             # why    every target of WHO is in some .library product of Package.swift
#
# A SELECTOR is a target or external product name (shell pattern: StorageKit, Storage*, ResultCatalog?*),
# path:PATTERN (the target's directory), type:library|executable|test, or @set; join with & for "and"
# (type:executable&path:Sources/*); a leading - takes targets out of the set. A name that matches nothing today
# is reported as "not in Package.swift (yet)", not as an error.
read -r -d '' ARCH_RULES <<'RULES' || true
set core        ConfigModel ToolSupport StorageKit RetentionPolicy ResultCatalog OracleTools BackupEngine AutorestoreEngine SnapperEngine StorageRetention Reporting
set vendors     path:Sources/Storage* -StorageKit -StorageKitTesting -StorageRetention
set backends    ResultCatalog?* -type:test
set simulators  path:Simulators/*
set nonproduct  path:Simulators/* path:Examples/* path:Fuzzing/* path:Benchmarks/*
set tools       type:executable&path:Sources/*

group core         ConfigModel ToolSupport CProcessSpawn CCurl CCurlLoader CLibPQ CLibXML2 StorageKit StorageKitTesting RetentionPolicy ResultCatalog OracleTools StorageRetention Reporting
group vendors      @vendors StandardDrivers
group catalogs     @backends StandardCatalogs
group engines      *Engine
group commands     *Commands CommandSupport
group executables  @tools
hide Logging

rule closure @core                           ! @vendors @backends @simulators  # the core knows no vendor, no catalog backend, no simulator
rule direct  RetentionPolicy                 ! *                               # retention is pure: no dependency at all
rule closure type:library -*Commands -CommandSupport ! ArgumentParser          # only command modules and executables parse arguments
rule closure path:Sources/*                  ! @nonproduct                     # product code never links a simulator, example, fuzzer or benchmark
rule closure path:Sources/*                  ! StorageKitTesting               # the conformance suite is for tests and third-party drivers
rule closure @vendors                        ! @vendors                        # a vendor driver knows no other vendor
rule closure backup                          ! AutorestoreEngine               # backup does not link the restore engine
rule closure snapper                         ! BackupEngine AutorestoreEngine  # snapper manages snapshots; it runs neither flow
rule closure restore                         ! BackupEngine CLibPQ @backends   # point-in-time restore needs no backup flow and no catalog client
rule closure report                          ! BackupEngine SnapperEngine      # report only reads: it runs no backup and takes no snapshot
rule closure path:Sources/*                  ! AsyncHTTPClient NIO* PostgresNIO Hummingbird*  # product code has no NIO stack: HTTP on libcurl, PostgreSQL on libpq
rule direct  * -type:test -StorageHTTP -CCurlLoader ! CCurl CCurlLoader       # only the HTTP transport (and its loader) names libcurl
rule direct  * -type:test -ResultCatalogPostgres ! CLibPQ                      # only the PostgreSQL catalog names libpq
rule direct  * -type:test -StorageONTAP ! CLibXML2                             # only the ONTAP driver (ZAPI) names libxml2
products     type:library&path:Sources/* -CProcessSpawn -CCurl -CCurlLoader -CLibPQ -CLibXML2      # every library is a product (C shims and system libraries: no API)
RULES
# ====================================================================================================================

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h | --help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: Scripts/architecture.sh [--check]" >&2
    exit 2
    ;;
esac

doc=Documentation/architecture.md
command -v python3 >/dev/null 2>&1 || {
  echo "architecture.sh: needs python3 (apt-get install python3)" >&2
  exit 2
}
[ -f "$doc" ] || {
  echo "architecture.sh: $doc is missing" >&2
  exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/oib-architecture.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Our own scratch directory: `describe` reads the root manifest only, so it needs neither the dependencies nor the
# build directory, and a build running in .build (which holds its lock for minutes) does not block it.
# SwiftPM's own temporary files (a lock named after the scratch path, a TemporaryDirectory.*) go below $work too.
if ! TMPDIR="$work" swift package --scratch-path "$work/scratch" --manifest-cache none describe --type json \
  >"$work/describe.json" 2>"$work/describe.err"; then
  echo "architecture.sh: swift package describe failed:" >&2
  cat "$work/describe.err" >&2
  exit 2
fi

set +e
ARCH_RULES=$ARCH_RULES python3 - "$work/describe.json" "$doc" "$work/architecture.md" <<'PY'
import fnmatch
import json
import os
import re
import sys

describe_path, doc_path, out_path = sys.argv[1:4]
describe = json.load(open(describe_path))
targets = {t["name"]: t for t in describe["targets"]}


def internal_deps(name):
    return sorted(targets[name].get("target_dependencies", [])) if name in targets else []


def external_deps(name):
    return sorted(targets[name].get("product_dependencies", [])) if name in targets else []


def deps(name):
    return internal_deps(name) + external_deps(name)


externals = sorted({p for t in targets for p in external_deps(t)})
everything = set(targets) | set(externals)

# ---- the rule table ------------------------------------------------------------------------------------------------
sets, groups, hidden, rules, product_rules = {}, [], set(), [], []


def config_error(lineno, message):
    print(f"architecture.sh: rule table line {lineno}: {message}", file=sys.stderr)
    sys.exit(2)


for lineno, raw in enumerate(os.environ["ARCH_RULES"].splitlines(), 1):
    text, _, why = raw.partition("#")
    words, why = text.split(), why.strip()
    if not words:
        continue
    kind = words[0]
    if kind == "set" and len(words) >= 3:
        sets[words[1]] = words[2:]
    elif kind == "group" and len(words) >= 3:
        groups.append((words[1], words[2:]))
    elif kind == "hide":
        hidden.update(words[1:])
    elif kind == "rule" and len(words) >= 5 and words[1] in ("direct", "closure") and "!" in words[3:]:
        bang = words.index("!")
        rules.append((lineno, words[1], words[2:bang], words[bang + 1 :], why))
    elif kind == "products" and len(words) >= 2:
        product_rules.append((lineno, words[1:], why))
    else:
        config_error(lineno, f"cannot read {raw.strip()!r}")

unknown_names = set()


def atom(word, lineno):
    if word.startswith("@"):
        if word[1:] not in sets:
            config_error(lineno, f"no set named {word[1:]}")
        return select(sets[word[1:]], lineno)
    if word.startswith("path:"):
        return {n for n, t in targets.items() if fnmatch.fnmatchcase(t["path"], word[5:])}
    if word.startswith("type:"):
        return {n for n, t in targets.items() if t["type"] == word[5:]}
    found = {n for n in everything if fnmatch.fnmatchcase(n, word)}
    if not found and not any(c in word for c in "*?["):
        unknown_names.add(word)
    return found


def select(words, lineno):
    chosen, removed = set(), set()
    for word in words:
        negative = word.startswith("-")
        parts = (word[1:] if negative else word).split("&")
        found = atom(parts[0], lineno)
        for part in parts[1:]:
            found &= atom(part, lineno)
        (removed if negative else chosen).update(found)
    return chosen - removed


for _, words in list(sets.items()) + groups:
    select(words, 0)  # report unknown names even in sets and groups no rule uses


def closure(name):
    """Every target and external product `name` reaches, with the first path found to each (breadth first)."""
    parent, order, seen = {}, [name], {name}
    for node in order:
        for dep in deps(node):
            if dep not in seen:
                seen.add(dep)
                parent[dep] = node
                order.append(dep)
    seen.discard(name)
    return seen, parent


def chain(name, dep, parent):
    path = [dep]
    while path[-1] != name:
        path.append(parent[path[-1]])
    return " → ".join(reversed(path))


# ---- what the tools link -------------------------------------------------------------------------------------------
tools = sorted(select(["@tools"], 0)) if "tools" in sets else []
links = {}
print("What each tool links (closure over Package.swift: internal targets | external products):")
for tool in tools:
    reached, _ = closure(tool)
    internal = sorted(n for n in reached if n in targets)
    external = sorted(n for n in reached if n not in targets)
    links[tool] = (internal, external)
    print(f"  {tool} ({len(internal)} targets): {' '.join(internal)}")
    print(f"  {' ' * len(tool)}  external: {' '.join(external) or '-'}")

# ---- the rules -----------------------------------------------------------------------------------------------------
violations, repeated = [], 0
for lineno, reach, who, what, why in rules:
    subjects = select(who, lineno) & set(targets)
    forbidden = select(what, lineno)
    for subject in sorted(subjects):
        if reach == "direct":
            bad = sorted((set(deps(subject)) & forbidden) - {subject})
            violations += [f"{subject} depends on {dep}  [{why}]" for dep in bad]
        else:
            reached, parent = closure(subject)
            for dep in sorted((reached & forbidden) - {subject}):
                # Named once, where it enters: skip a target that reaches it through another target of this rule.
                if any(d in subjects and d != dep and dep in closure(d)[0] for d in internal_deps(subject)):
                    repeated += 1
                    continue
                via = chain(subject, dep, parent)
                how = "depends on" if parent[dep] == subject else "links"
                extra = f" ({via})" if parent[dep] != subject else ""
                violations.append(f"{subject} {how} {dep}{extra}  [{why}]")

in_library = {t for p in describe["products"] if "library" in p["type"] for t in p["targets"]}
for lineno, who, why in product_rules:
    for subject in sorted(select(who, lineno) & set(targets)):
        if subject not in in_library:
            violations.append(f"{subject} is in no .library product of Package.swift  [{why}]")

checked = len(rules) + len(product_rules)
if unknown_names:
    print(f"Not in Package.swift (yet), named by the rule table: {' '.join(sorted(unknown_names))}")
if violations:
    broken = len({v.rsplit("  [", 1)[1] for v in violations})
    print(f"Rules: {broken} of {checked} broken, {len(violations)} violation(s):")
    for v in violations:
        print(f"  ✗ {v}")
    if repeated:
        print(f"  (and {repeated} more: targets that reach one of these through a target named above)")
else:
    print(f"Rules: all {checked} hold.")

# ---- the generated block -------------------------------------------------------------------------------------------
def node_id(name):
    return ("p_" if name not in targets else "t_") + re.sub(r"\W", "_", name)


def product_target(name):
    return targets[name]["path"].startswith("Sources/")


def group_of(name):
    if not product_target(name):
        if targets[name]["type"] == "test":
            return "tests"
        return targets[name]["path"].split("/")[0].lower()
    for group, words in groups:
        if name in select(words, 0):
            return group
    return "other"


group_order = [g for g, _ in groups] + ["other", "simulators", "examples", "fuzzing", "benchmarks", "tests"]


def ordered(names):
    return sorted(names, key=lambda n: (group_order.index(group_of(n)) if group_of(n) in group_order else 99, n))


def mermaid(members, boxes):
    """A `graph TD` of `members` (their direct dependencies as edges); boxes: group name -> members in it."""
    lines = ["```mermaid", "graph TD"]
    shown = set(members)
    for group, names in boxes:
        if not names:
            continue
        box = re.sub(r"\W", "_", group)
        lines.append(f'  subgraph g_{box}["{group}"]')
        lines += [f'    {node_id(n)}["{n}"]' for n in names]
        lines.append("  end")
    outside = sorted({d for n in members for d in internal_deps(n)} - shown)
    lines += [f'  {node_id(n)}["{n}"]' for n in outside]
    drawn_externals = sorted({d for n in members for d in external_deps(n)} - hidden)
    if drawn_externals:
        lines.append('  subgraph g_external["external products"]')
        lines += [f'    {node_id(n)}(["{n}"])' for n in drawn_externals]
        lines.append("  end")
    for n in ordered(members):
        for d in deps(n):
            if d not in hidden:
                lines.append(f"  {node_id(n)} --> {node_id(d)}")
    lines.append("```")
    return lines


product_targets = [n for n in targets if product_target(n)]
other_targets = [n for n in targets if not product_target(n) and targets[n]["type"] != "test"]
hidden_note = ", ".join(sorted(hidden & set(externals)))

out = [
    "<!-- generated: begin -->",
    "<!-- Written by Scripts/architecture.sh from `swift package describe`: edit the script's rule table or",
    "     Package.swift, not this block; `Scripts/architecture.sh --check` fails when it is stale. -->",
    "",
    "### Product targets",
    "",
    "Targets under `Sources/`; an arrow points at a direct dependency"
    + (f" ({hidden_note} left out: see the table)." if hidden_note else "."),
    "",
]
out += mermaid(product_targets, [(g, ordered(n for n in product_targets if group_of(n) == g)) for g in group_order])
out += [
    "",
    "### Simulators, examples, fuzzing and benchmarks",
    "",
    "Not part of the product; tests are in the table below.",
    "",
]
out += mermaid(
    other_targets,
    [(g, sorted(n for n in other_targets if group_of(n) == g)) for g in ("simulators", "examples", "fuzzing", "benchmarks")]
    + [("other", sorted(n for n in other_targets if group_of(n) not in ("simulators", "examples", "fuzzing", "benchmarks")))],
)
out += [
    "",
    "### Direct dependencies",
    "",
    "| Target | Group | Targets | External products |",
    "|---|---|---|---|",
]
for n in ordered(targets):
    out.append(
        f"| {n} | {group_of(n)} | {', '.join(internal_deps(n)) or '–'} | {', '.join(external_deps(n)) or '–'} |"
    )
out += [
    "",
    "### What each tool links",
    "",
    "Every target and external product an executable reaches through its dependencies.",
    "",
    "| Tool | Targets | External products |",
    "|---|---|---|",
]
for tool in tools:
    internal, external = links[tool]
    out.append(f"| {tool} | {', '.join(internal) or '–'} | {', '.join(external) or '–'} |")
out += [
    "",
    "### Rules checked",
    "",
    "\"Link\" counts dependencies of dependencies too; \"name\" only the target's own list in Package.swift.",
    "",
    "| Who | Must not | What | Why |",
    "|---|---|---|---|",
]
for lineno, reach, who, what, why in rules:
    verb = "name" if reach == "direct" else "link"
    out.append(f"| `{' '.join(who)}` | {verb} | `{' '.join(what)}` | {why} |")
for lineno, who, why in product_rules:
    out.append(f"| `{' '.join(who)}` | be missing from | the `.library` products | {why} |")
out += [
    "",
    "Sets: " + "; ".join(f"`@{name}` = `{' '.join(words)}`" for name, words in sets.items()) + ".",
    "<!-- generated: end -->",
]

text = open(doc_path).read()
begin, end = text.find("<!-- generated: begin -->"), text.find("<!-- generated: end -->")
if begin < 0 or end < begin:
    print(f"architecture.sh: {doc_path} has no <!-- generated: begin --> ... <!-- generated: end --> block", file=sys.stderr)
    sys.exit(2)
end += len("<!-- generated: end -->")
with open(out_path, "w") as f:
    f.write(text[:begin] + "\n".join(out) + text[end:])
sys.exit(3 if violations else 0)  # 1 and 2 are Python's own failures and ours
PY
rules_status=$?
set -e
case $rules_status in
  0 | 3) ;;
  *) exit 2 ;;
esac

doc_status=0
if cmp -s "$doc" "$work/architecture.md"; then
  echo "$doc: up to date."
elif [ "$check" = 1 ]; then
  echo "$doc: out of date (run Scripts/architecture.sh and commit the result):"
  diff -u "$doc" "$work/architecture.md" | sed 's/^/  /' || true
  doc_status=1
else
  cat "$work/architecture.md" >"$doc"
  echo "$doc: generated block rewritten."
fi
[ "$rules_status" = 0 ] && [ "$doc_status" = 0 ]
