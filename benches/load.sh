#!/usr/bin/env bash
# Load test over real sockets: the bare router, the layer and the hand-built
# tower-http stack, served one after the other by benches/drivers/bench_server.rs
# in the same run, on a success route and on a 50/50 success/error mix.
#
# The server is pinned to core 0 and wrk to core 1 (taskset). Each
# measurement is wrk -t$THREADS -c$CONNECTIONS -d$DURATION; the stacks are
# alternated (bare, layered, hand-built, bare, ...) for $ROUNDS rounds and
# the table gives the medians and each stack's ratio to the bare router.
#
# Besides wrk's requests/s and latencies, the server's own CPU time (user +
# system, from /proc) per request served is reported: on a shared machine
# where other work competes for the cores, it is far steadier than
# throughput.
#
# Usage: benches/load.sh     (env: ROUNDS=3 THREADS=2 CONNECTIONS=64
#                             DURATION=10s STACKS="bare layer hand-built")
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
STACKS=${STACKS:-"bare layer hand-built"}
PORT=${PORT:-3917}

command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
command -v taskset >/dev/null || { apt-get update && apt-get install -y util-linux; }

command -v jq >/dev/null || { apt-get update && apt-get install -y jq; }
. benches/support/build.sh
server=$(bench_binary bench_server)
out=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT

# Latency in microseconds from wrk's "50%  350.12us" form.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000; else f = 1
        printf "%.0f", n * f }'
}

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() { # stack scenario round
    local stack=$1 scenario=$2 round=$3 url="http://127.0.0.1:$PORT/ok" script=()
    [ "$scenario" = mix ] && script=(-s benches/mix.lua)
    taskset -c 0 "$server" "--$stack" --addr "127.0.0.1:$PORT" 2>/dev/null &
    server_pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/ok" 2>/dev/null && break
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
        sleep 0.1
    done
    local file="$out/$stack.$scenario.$round" ticks0 ticks1
    ticks0=$(cpu_ticks "$server_pid")
    taskset -c 1 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" "${script[@]}" >"$file"
    ticks1=$(cpu_ticks "$server_pid")
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
    local rps p50 p99 non2xx requests cpu
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$file")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$file")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$file")")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$file"); non2xx=${non2xx:-0}
    requests=$(awk '/requests in/ {print $1}' "$file")
    cpu=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN {printf "%.3f", t / hz * 1000000 / n}')
    echo "$stack $scenario $round $rps $p50 $p99 $non2xx $cpu" | tee -a "$out/results" >&2
}

for round in $(seq "$ROUNDS"); do
    for scenario in ok mix; do
        for stack in $STACKS; do
            measure "$stack" "$scenario" "$round"
        done
    done
done

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

printf '\nwrk -t%s -c%s -d%s, server on core 0, wrk on core 1, medians of %s rounds\n\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS"
printf '| route | stack | requests/s | vs bare | p50 (µs) | p99 (µs) | p99 vs bare | server CPU µs/request | vs bare |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n'
for scenario in ok mix; do
    base_rps=$(awk -v s="$scenario" '$1 == "bare" && $2 == s {print $4}' "$out/results" | median)
    base_p99=$(awk -v s="$scenario" '$1 == "bare" && $2 == s {print $6}' "$out/results" | median)
    base_cpu=$(awk -v s="$scenario" '$1 == "bare" && $2 == s {print $8}' "$out/results" | median)
    for stack in $STACKS; do
        rps=$(awk -v t="$stack" -v s="$scenario" '$1 == t && $2 == s {print $4}' "$out/results" | median)
        p50=$(awk -v t="$stack" -v s="$scenario" '$1 == t && $2 == s {print $5}' "$out/results" | median)
        p99=$(awk -v t="$stack" -v s="$scenario" '$1 == t && $2 == s {print $6}' "$out/results" | median)
        cpu=$(awk -v t="$stack" -v s="$scenario" '$1 == t && $2 == s {print $8}' "$out/results" | median)
        route=/ok; [ "$scenario" = mix ] && route="50/50 /ok + /error"
        awk -v r="$route" -v t="$stack" -v rps="$rps" -v b="$base_rps" -v p50="$p50" -v p99="$p99" -v bp="$base_p99" \
            -v cpu="$cpu" -v bc="$base_cpu" \
            'BEGIN {printf "| %s | %s | %.0f | %.3f | %.0f | %.0f | %.2f | %.2f | %.3f |\n", r, t, rps, rps / b, p50, p99, p99 / bp, cpu, cpu / bc}'
    done
done
