#!/usr/bin/env bash
# Shared by the benchmark scripts (sourced, not run): the measuring harness, medians, the machine line, and the
# replacement of a marked block in Documentation/benchmarks.md.

# Compiles the harness of Scripts/bench-harness into DIR: bench-run (wall time and the process's own peak RSS) and,
# with a TARGET_DIR and LOG_FILE, oracle-timer (times each Oracle program a tool starts).
# usage: bench_build_harness DIR [TARGET_DIR LOG_FILE]
bench_build_harness() {
    local dir=$1 cc
    cc=$(command -v cc || command -v gcc || command -v clang || true)
    [ -n "$cc" ] || cc="$(dirname "$(command -v swift)")/clang"
    "$cc" -O2 -Wall -o "$dir/bench-run" Scripts/bench-harness/bench-run.c
    if [ $# -ge 3 ]; then
        "$cc" -O2 -Wall -DTARGET_DIR="\"$2/\"" -DLOG_FILE="\"$3\"" -o "$dir/oracle-timer" \
            Scripts/bench-harness/oracle-timer.c
    fi
}

# The median of the numbers on stdin, one a line (the mean of the middle two for an even count).
bench_median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
}

# "x86_64, 2 cores, <CPU model>, Swift version 6.3.1" for the tables.
bench_machine() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    printf '%s, %s cores%s, %s\n' "$(uname -m)" "$(nproc)" "${cpu:+, $cpu}" \
        "$(swift --version 2>/dev/null | grep -o 'Swift version [0-9.]*' | head -n 1)"
}

# Replaces the lines between BEGIN and END (marker lines, kept) of DOC with TEXT; appends HEADING, BEGIN, TEXT and
# END when DOC has no BEGIN marker yet.
# usage: bench_replace_block DOC BEGIN END TEXT [HEADING]
bench_replace_block() {
    local doc=$1 begin=$2 end=$3 text=$4 heading=${5:-}
    if ! grep -qF "$begin" "$doc"; then
        printf '\n%s%s\n%s\n' "${heading:+$heading

}" "$begin" "$end" >>"$doc"
    fi
    local tmp
    tmp=$(mktemp "$doc.XXXXXX")
    awk -v begin="$begin" -v end="$end" -v text="$text" '
      $0 == begin { print; print text; skipping = 1; next }
      $0 == end { skipping = 0 }
      !skipping { print }
    ' "$doc" >"$tmp"
    mv "$tmp" "$doc"
}

# Appends KEY=VALUE to the results file of Scripts/bench.sh ($OIB_BENCH_RESULTS), when there is one.
bench_result() {
    [ -n "${OIB_BENCH_RESULTS:-}" ] && printf '%s=%s\n' "$1" "$2" >>"$OIB_BENCH_RESULTS"
    return 0
}
