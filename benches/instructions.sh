#!/usr/bin/env bash
# Instructions per request, counted by callgrind: deterministic, unlike
# wall-clock time on a shared machine.
#
# For each stack and path, runs examples/instr_driver.rs under
# `valgrind --tool=callgrind` with N=100 and N=1100 requests and prints
# (count(1100) - count(100)) / 1000, so start-up and one-off costs cancel.
# A `tracing_subscriber::fmt` subscriber at INFO writes to a sink.
#
# Usage: benches/instructions.sh [stack ...]   (default: all five stacks)
# Set PROFILE_DIR=dir to keep the N=1100 callgrind files for
# callgrind_annotate (the driver is built with line tables).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { apt-get update && apt-get install -y valgrind; }

target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release --example instr_driver >&2
driver="$target_dir/release/examples/instr_driver"

stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(bare layered layered-debug-span route-layered hand-built)
paths=(/ok /error /panic)
small=100
large=1100
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # stack path n -> instructions
    local file="$out/cg.$1.${2#/}.$3"
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        ${PROFILE_DIR:+--dump-instr=yes} "$driver" "$1" "$2" "$3" >/dev/null 2>"$file.log"
    [ -n "${PROFILE_DIR:-}" ] && [ "$3" = "$large" ] && mkdir -p "$PROFILE_DIR" && cp "$file" "$PROFILE_DIR/"
    awk '/^summary:/ {print $2}' "$file"
}

declare -A per
for path in "${paths[@]}"; do
    for stack in "${stacks[@]}"; do
        if [ "$stack" = bare ] && [ "$path" = /panic ]; then continue; fi
        a=$(count "$stack" "$path" $small)
        b=$(count "$stack" "$path" $large)
        per[$stack$path]=$(( (b - a) / (large - small) ))
    done
done

printf '\n| path | stack | instructions / request | vs bare | added |\n|---|---|---:|---:|---:|\n'
for path in "${paths[@]}"; do
    base=${per[bare$path]:-${per[bare/error]:-}}
    for stack in "${stacks[@]}"; do
        v=${per[$stack$path]:-}
        [ -n "$v" ] || continue
        if [ -n "$base" ]; then
            ratio=$(awk -v a="$v" -v b="$base" 'BEGIN {printf "%.2f", a / b}')
            added=$(( v - base ))
        else
            ratio=-; added=-
        fi
        printf '| %s | %s | %d | %s | %+d |\n' "$path" "$stack" "$v" "$ratio" "$added"
    done
done
echo "(the /panic rows compare with the bare /error response)"
