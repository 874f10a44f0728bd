#!/usr/bin/env bash
# Instructions per request, counted by callgrind: deterministic, unlike
# wall-clock time on a shared machine.
#
# For each ANSI setting, stack and path, runs benches/drivers/instr_driver.rs
# under `valgrind --tool=callgrind` with N=100 and N=1100 requests and prints
# (count(1100) - count(100)) / 1000, so start-up and one-off costs cancel.
# A `tracing_subscriber::fmt` subscriber at INFO writes to a sink, with ANSI
# colours off (BENCH_ANSI=0, as for logs sent to a file) and on (=1).
#
# After the tables, the targets of the tower-http integration are checked:
#   integrated - trace-only        <= 4000 on /ok  (the trio's added cost for reference)
#   route-quiet - route-noop       <= 2000 on every path
#   layered < hand-built           on every path
#
# Usage: benches/instructions.sh [stack ...]   (default: every stack)
# Env: ANSI="0 1" (the settings to run), PROFILE_DIR=dir to keep the N=1100
# callgrind files for callgrind_annotate (the driver has line tables).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { apt-get update && apt-get install -y valgrind; }
command -v jq >/dev/null || { apt-get update && apt-get install -y jq; }
. benches/support/build.sh
driver=$(bench_binary instr_driver)

stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(bare layered layered-debug-span route-layered hand-built
    route-noop route-quiet trace-only trace-request-id integrated integrated-one-layer)
paths=(/ok /error /panic)
ansis=(${ANSI:-0 1})
small=100
large=1100
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # ansi stack path n -> instructions
    local file="$out/cg.ansi$1.$2.${3#/}.$4"
    BENCH_ANSI=$1 valgrind --tool=callgrind --callgrind-out-file="$file" \
        ${PROFILE_DIR:+--dump-instr=yes} "$driver" "$2" "$3" "$4" >/dev/null 2>"$file.log"
    if [ -n "${PROFILE_DIR:-}" ] && [ "$4" = "$large" ]; then
        mkdir -p "$PROFILE_DIR" && cp "$file" "$PROFILE_DIR/"
    fi
    awk '/^summary:/ {print $2}' "$file"
}

declare -A per
for ansi in "${ansis[@]}"; do
    for path in "${paths[@]}"; do
        for stack in "${stacks[@]}"; do
            # Only the stacks that catch panics answer /panic.
            if [ "$path" = /panic ]; then
                case $stack in bare | route-noop | trace-only | trace-request-id) continue ;; esac
            fi
            a=$(count "$ansi" "$stack" "$path" $small)
            b=$(count "$ansi" "$stack" "$path" $large)
            per[$ansi$stack$path]=$(( (b - a) / (large - small) ))
            echo "ansi=$ansi $stack $path ${per[$ansi$stack$path]}" >&2
        done
    done
done

for ansi in "${ansis[@]}"; do
    printf '\nANSI %s\n\n| path | stack | instructions / request | vs bare | added |\n|---|---|---:|---:|---:|\n' \
        "$([ "$ansi" = 1 ] && echo on || echo off)"
    for path in "${paths[@]}"; do
        base=${per[${ansi}bare$path]:-${per[${ansi}bare/error]:-}}
        for stack in "${stacks[@]}"; do
            v=${per[$ansi$stack$path]:-}
            [ -n "$v" ] || continue
            if [ -n "$base" ]; then
                ratio=$(awk -v a="$v" -v b="$base" 'BEGIN {printf "%.2f", a / b}')
                added=$(printf '%+d' $(( v - base )))
            else
                ratio=-; added=-
            fi
            printf '| %s | %s | %d | %s | %s |\n' "$path" "$stack" "$v" "$ratio" "$added"
        done
    done
    echo "(the /panic rows compare with the bare /error response)"
done

# diff ANSI A B PATH: per[A] - per[B], or empty if either is missing.
diff_of() {
    local a=${per[$1$2$4]:-} b=${per[$1$3$4]:-}
    [ -n "$a" ] && [ -n "$b" ] && echo $(( a - b ))
}
verdict() { [ "$1" -le "$2" ] && echo met || echo MISSED; }

printf '\n| target | ANSI | path | figure | limit | |\n|---|---|---|---:|---:|---|\n'
for ansi in "${ansis[@]}"; do
    on=$([ "$ansi" = 1 ] && echo on || echo off)
    for path in "${paths[@]}"; do
        if d=$(diff_of "$ansi" integrated trace-only "$path"); then
            trio=$(diff_of "$ansi" trace-request-id trace-only "$path" || echo -)
            printf '| integrated - trace-only (trio adds %s) | %s | %s | %+d | 4000 | %s |\n' \
                "$trio" "$on" "$path" "$d" "$(verdict "$d" 4000)"
        fi
        if d=$(diff_of "$ansi" integrated-one-layer trace-only "$path"); then
            printf '| integrated-one-layer - trace-only | %s | %s | %+d | 4000 | %s |\n' \
                "$on" "$path" "$d" "$(verdict "$d" 4000)"
        fi
        if d=$(diff_of "$ansi" route-quiet route-noop "$path"); then
            printf '| route-quiet - route-noop | %s | %s | %+d | 2000 | %s |\n' \
                "$on" "$path" "$d" "$(verdict "$d" 2000)"
        fi
        if d=$(diff_of "$ansi" layered hand-built "$path"); then
            printf '| layered - hand-built | %s | %s | %+d | < 0 | %s |\n' \
                "$on" "$path" "$d" "$(verdict "$d" -1)"
        fi
    done
done
