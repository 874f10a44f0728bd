#!/usr/bin/env bash
# The example server on a database, measured in one run: the in-memory
# server of before the database (a binary given in $INMEM_BIN), SQLite and
# PostgreSQL with a demo tenant of $MACHINES machines.
#
# 1. Throughput and latency. Each engine is served by its own server, all
#    started once; wrk loads one at a time, alternating the engines
#    (in-memory, SQLite, PostgreSQL, in-memory, ...) within each scenario,
#    for $ROUNDS rounds of $DURATION. Scenarios:
#      page     GET /api/machines?$top=50 (the first page, in id order)
#      list     GET /api/machines?$top=50&$filter=healthStatus eq 'Active'&$orderby=lastSeen desc
#      lookup   GET /api/machines/{id}
#      filter   GET /api/machines?$filter=id eq '{id}'&$top=1
#      mix      GET /api/machines/{id} and GET /api/machines/{unknown id}
#               (404 ResourceNotFound) alternately: 50/50 ok/error
#    The table gives medians over the rounds and ratios to the in-memory
#    server. Every wrk output is checked: no socket error, no non-2xx
#    response except in the mix, where the non-2xx count must be half the
#    requests (within the number of connections, the requests in flight).
# 2. Memory as the table grows: for SQLite and PostgreSQL, a fresh server
#    on a tenant of 1,000 and of $MACHINES machines (seeded beforehand by
#    another process, so the seeding's own peak is not counted): VmRSS idle,
#    after a pass (a list run and a mix run), after a second pass, and VmHWM
#    (/proc/PID/status); with the database's size.
# 3. Replicas: on PostgreSQL, one server against two servers on the same
#    database, wrk with two threads (thread 1 on the first server, thread 2
#    on the second; both on the one server when there is one), alternated,
#    on the lookup and on the list page.
#
# Pinning: the server side (the servers and PostgreSQL) runs on core 0, wrk
# on core 1 (taskset). Besides requests/s and latency, the CPU time (user +
# system, from /proc) the server side spent per request is reported:
# the server's, plus PostgreSQL's processes' on PostgreSQL.
#
# PostgreSQL is a throwaway cluster: initdb in a temporary directory, started
# with pg_ctl on a free port (as the user postgres through runuser when run
# as root), stopped and removed on exit. The SQLite files are in a temporary
# directory too, removed on exit.
#
# Settings (environment):
#   INMEM_BIN      the in-memory server to compare with (required; same flags
#                  but --database, --demo-machines)
#   SERVER_BIN     the server to measure (default: built here with
#                  cargo build --release -p defender-api; CARGO_TARGET_DIR)
#   PG_BIN         PostgreSQL's binaries (default: newest /usr/lib/postgresql/*/bin)
#   MACHINES       machines of the big tenant (default 100000)
#   SMALL_MACHINES machines of the small tenant, for memory (default 1000)
#   ROUNDS         rounds of the alternated measurements (default 3)
#   DURATION       length of one wrk run (default 5s)
#   CONNECTIONS    wrk connections (default 32)
#   RESULTS        keep the raw results in this file (default: thrown away)
#   SERVER_LOG     the servers' RUST_LOG (default warn: a line for each 5xx,
#                  none for a success or a 4xx, the same for every server);
#                  the 5xx of each wrk run are counted by code from it
#
# Usage: INMEM_BIN=/path/to/defender_api_inmem examples/defender_api/benches/load_db.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

MACHINES=${MACHINES:-100000}
SMALL_MACHINES=${SMALL_MACHINES:-1000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
TOKEN="Authorization: Bearer demo-admin"
# A named machine of the demo tenant (present at any size) and an id no
# tenant holds.
MACHINE_ID=1e5bc9d7e413ddd7902c2932e418702b84d0cc07
UNKNOWN_ID=0000000000000000000000000000000000000000

PAGE_PATH="/api/machines?\$top=50"
LIST_PATH="/api/machines?\$top=50&\$filter=healthStatus%20eq%20%27Active%27&\$orderby=lastSeen%20desc"
LOOKUP_PATH="/api/machines/$MACHINE_ID"
FILTER_PATH="/api/machines?\$filter=id%20eq%20%27$MACHINE_ID%27&\$top=1"
ERROR_PATH="/api/machines/$UNKNOWN_ID"
SCENARIOS="page list lookup filter mix"
ENGINES="inmem sqlite postgres"

for tool in wrk taskset curl python3; do
    command -v "$tool" >/dev/null || { echo "load_db.sh: $tool is needed" >&2; exit 2; }
done
[ -n "${INMEM_BIN:-}" ] && [ -x "$INMEM_BIN" ] ||
    { echo "load_db.sh: set INMEM_BIN to the in-memory server's binary" >&2; exit 2; }
if [ -z "${PG_BIN:-}" ]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
    { echo "load_db.sh: PostgreSQL's initdb and pg_ctl not found (set PG_BIN)" >&2; exit 2; }

if [ -z "${SERVER_BIN:-}" ]; then
    (cd "$root" && cargo build --release -p defender-api)
    SERVER_BIN="${CARGO_TARGET_DIR:-$root/target}/release/defender_api"
fi

work=$(mktemp -d /tmp/load_db.XXXXXX)
chmod 755 "$work"
pg_dir="$work/pg"
pids=()
pg_started=

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$pg_started" ]; then
        as_postgres "$PG_BIN/pg_ctl" stop -D "$pg_dir/data" -m fast -w >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "load_db.sh: started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(uptime)"
echo "server: $SERVER_BIN; in-memory: $INMEM_BIN; PostgreSQL: $PG_BIN"

# --- PostgreSQL, on core 0 like the servers -------------------------------
mkdir -p "$pg_dir"
[ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 \
    --no-locale --no-sync >"$work/initdb.log" 2>&1 ||
    { cat "$work/initdb.log" >&2; exit 1; }
pg_port=$(free_port)
as_postgres taskset -c 0 "$PG_BIN/pg_ctl" start -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null ||
    { cat "$pg_dir/server.log" >&2; exit 1; }
pg_started=1
pg_master=$(head -1 "$pg_dir/data/postmaster.pid")
for db in big small; do
    as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db"
done
pg_url() { echo "postgres://postgres@127.0.0.1:$pg_port/$1"; }
sqlite_url() { echo "sqlite://$work/$1.db?mode=rwc"; }

# --- servers ---------------------------------------------------------------
declare -A log_of
# Where the servers' logs are: "PID:LINES ...".
log_lines() { # PID...
    local p out=
    for p in "$@"; do out="$out $p:$(wc -l <"${log_of[$p]}")"; done
    echo "$out"
}
# The 5xx logged since log_lines, as "Code=count,..." (sorted).
fivexx_since() { # "PID:LINES ..."
    local entry
    for entry in $1; do tail -n +$(( ${entry##*:} + 1 )) "${log_of[${entry%%:*}]}"; done |
        grep -a -o 'code="[A-Za-z]*" status=5[0-9][0-9]' | sed 's/code="\([A-Za-z]*\)".*/\1/' |
        sort | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? "," : ""), $2, $1}'
}
# start NAME BINARY ARGS...: starts a server on core 0 on a free port, waits
# until it answers a lookup (seeding may take a while), sets $port and $pid.
start() {
    local name=$1 bin=$2; shift 2
    port=$(free_port)
    RUST_LOG=${SERVER_LOG:-warn} taskset -c 0 "$bin" --addr "127.0.0.1:$port" --rate-limit-scale 1000000 "$@" \
        >"$work/$name.log" 2>"$work/$name.err" &
    pid=$!
    pids+=("$pid")
    log_of[$pid]="$work/$name.log"
    local t0=$SECONDS
    until curl -sf -o /dev/null -H "$TOKEN" "http://127.0.0.1:$port$LOOKUP_PATH"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "load_db.sh: server $name exited:" >&2; cat "$work/$name.err" >&2; exit 1
        fi
        if (( SECONDS - t0 > 600 )); then
            echo "load_db.sh: server $name not ready after 600 s" >&2; exit 1
        fi
        sleep 0.2
    done
    echo "  $name ready on port $port after $(( SECONDS - t0 )) s (pid $pid)" >&2
}

stop() { # PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# Checks one response: status and, for an error, the envelope's code.
expect() { # PORT PATH STATUS [CODE]
    local body status
    body=$(curl -s -o - -w '\n%{http_code}' -H "$TOKEN" "http://127.0.0.1:$1$2")
    status=${body##*$'\n'}
    if [ "$status" != "$3" ] || { [ -n "${4:-}" ] && [[ "$body" != *"\"code\":\"$4\""* ]]; }; then
        echo "load_db.sh: GET $2 on port $1 gave $status, expected $3 ${4:-}: ${body:0:300}" >&2
        exit 1
    fi
}

# utime + stime in clock ticks of a process (the fields after the command).
ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    set -- ${stat##*) }
    echo $(( ${12} + ${13} ))
}
# The same for PostgreSQL: the postmaster and its children (the backends
# stay: the servers' pools keep their connections).
pg_ticks() {
    local total=0 p
    for p in "$pg_master" $(pgrep -P "$pg_master"); do
        total=$(( total + $(ticks "$p") ))
    done
    echo "$total"
}

to_us() { # "350.12us" -> 350
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000; else f = 1
        printf "%.0f", n * f }'
}

results="$work/results"
: >"$results"

# run_wrk LABEL ENGINE SCENARIO ROUND PORT THREADS [PIDS...]: one wrk run on
# core 1; checks its output; appends a line to $results.
run_wrk() {
    local label=$1 engine=$2 scenario=$3 round=$4 wport=$5 threads=$6; shift 6
    local server_pids=("$@") path=$LIST_PATH mix= file="$work/wrk.$label.$engine.$scenario.$round"
    case $scenario in
        page) path=$PAGE_PATH ;;
        lookup) path=$LOOKUP_PATH ;;
        filter) path=$FILTER_PATH ;;
        mix) path=$LOOKUP_PATH; mix="$LOOKUP_PATH,$ERROR_PATH" ;;
    esac
    local t0=0 d0=0 p e0 e1
    e0=$(log_lines "${server_pids[@]}")
    for p in "${server_pids[@]}"; do t0=$(( t0 + $(ticks "$p") )); done
    [ "$engine" = postgres ] && d0=$(pg_ticks)
    LOAD_DB_MIX=$mix LOAD_DB_PORTS=${LOAD_DB_PORTS:-} taskset -c 1 wrk -t"$threads" -c"$CONNECTIONS" \
        -d"$DURATION" --timeout 30s --latency -H "$TOKEN" "http://127.0.0.1:$wport$path" -s "$here/load_db.lua" >"$file"
    local t1=0 d1=0
    for p in "${server_pids[@]}"; do t1=$(( t1 + $(ticks "$p") )); done
    [ "$engine" = postgres ] && d1=$(pg_ticks)
    sleep 0.2
    e1=$(fivexx_since "$e0" || true)
    local rps p50 p99 non2xx requests socket cpu db_cpu
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$file")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$file")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$file")")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$file"); non2xx=${non2xx:-0}
    requests=$(awk '/requests in/ {print $1}' "$file")
    socket=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$file"); socket=${socket:-0}
    cpu=$(awk -v t=$(( t1 - t0 + d1 - d0 )) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN {printf "%.2f", (n > 0 ? t / hz * 1000000 / n : 0)}')
    db_cpu=$(awk -v t=$(( d1 - d0 )) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN {printf "%.2f", (n > 0 ? t / hz * 1000000 / n : 0)}')
    local verdict=ok
    if [ "$socket" != 0 ]; then verdict="socket-errors"; fi
    if [ "$requests" = 0 ] && [ "$label" != warmup ]; then verdict="no-requests"; fi
    if [ "$scenario" = mix ]; then
        awk -v e="$non2xx" -v n="$requests" -v c="$CONNECTIONS" \
            'BEGIN {d = e - n / 2; exit !(d <= c && -d <= c)}' || verdict="non2xx-not-half"
    elif [ "$non2xx" != 0 ]; then
        verdict="non2xx"
    fi
    local five=${e1:-none}
    echo "$label $engine $scenario $round $rps $p50 $p99 $cpu $requests $non2xx $socket $verdict $db_cpu $five" | tee -a "$results" >&2
    if [ "$verdict" != ok ]; then
        echo "load_db.sh: unexpected wrk result ($verdict):" >&2; cat "$file" >&2
        failures=$(( ${failures:-0} + 1 ))
    fi
}

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print 0; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { # LABEL ENGINE SCENARIO FIELD -> median
    awk -v l="$1" -v e="$2" -v s="$3" -v f="$4" '$1 == l && $2 == e && $3 == s {print $f}' "$results" | median
}
codes() { # LABEL ENGINE SCENARIO -> the 5xx of every round, summed by code
    awk -v l="$1" -v e="$2" -v s="$3" '$1 == l && $2 == e && $3 == s && $14 != "none" {
            n = split($14, parts, ","); for (i = 1; i <= n; i++) { split(parts[i], kv, "="); sum[kv[1]] += kv[2] } }
        END { out = ""; for (k in sum) out = out (out == "" ? "" : ", ") k " " sum[k]; print (out == "" ? "none" : out) }' "$results"
}
rss() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; } # PID VmRSS|VmHWM -> kB

# --- 0. seeding -------------------------------------------------------------
echo "seeding (each database once, by a process that then stops):" >&2
declare -A seed_s
for spec in "sqlite big $MACHINES" "sqlite small $SMALL_MACHINES" "postgres big $MACHINES" "postgres small $SMALL_MACHINES"; do
    set -- $spec
    url=$( [ "$1" = sqlite ] && sqlite_url "$2" || pg_url "$2" )
    t0=$SECONDS
    start "seed-$1-$2" "$SERVER_BIN" --database "$url" --demo-machines "$3"
    seed_s[$1-$2]=$(( SECONDS - t0 ))
    stop "$pid"
done

# --- 1. throughput and latency ---------------------------------------------
echo "throughput: starting the three servers" >&2
declare -A port_of pid_of
start inmem "$INMEM_BIN"; port_of[inmem]=$port; pid_of[inmem]=$pid
start sqlite "$SERVER_BIN" --database "$(sqlite_url big)" --demo-machines "$MACHINES"
port_of[sqlite]=$port; pid_of[sqlite]=$pid
start postgres "$SERVER_BIN" --database "$(pg_url big)" --demo-machines "$MACHINES"
port_of[postgres]=$port; pid_of[postgres]=$pid
for engine in $ENGINES; do
    expect "${port_of[$engine]}" "$LIST_PATH" 200
    expect "${port_of[$engine]}" "$LOOKUP_PATH" 200
    expect "${port_of[$engine]}" "$FILTER_PATH" 200
    expect "${port_of[$engine]}" "$ERROR_PATH" 404 ResourceNotFound
done
list_items() { curl -s -H "$TOKEN" "http://127.0.0.1:$1$LIST_PATH" | grep -o '"id":"[0-9a-f]*"' | wc -l; }
echo "  list page items: in-memory $(list_items "${port_of[inmem]}"), SQLite $(list_items "${port_of[sqlite]}"), PostgreSQL $(list_items "${port_of[postgres]}")" >&2

# warm-up: one short run per engine and scenario, not counted
for scenario in $SCENARIOS; do
    for engine in $ENGINES; do
        DURATION=1s run_wrk warmup "$engine" "$scenario" 0 "${port_of[$engine]}" 1 "${pid_of[$engine]}"
    done
done
for round in $(seq "$ROUNDS"); do
    for scenario in $SCENARIOS; do
        for engine in $ENGINES; do
            run_wrk main "$engine" "$scenario" "$round" "${port_of[$engine]}" 1 "${pid_of[$engine]}"
        done
    done
done
declare -A rss_main hwm_main
for engine in $ENGINES; do
    rss_main[$engine]=$(rss "${pid_of[$engine]}" VmRSS); hwm_main[$engine]=$(rss "${pid_of[$engine]}" VmHWM)
done
for engine in $ENGINES; do stop "${pid_of[$engine]}"; done

# --- 2. memory as the table grows ------------------------------------------
echo "memory: fresh servers on seeded tenants" >&2
declare -A mem
for engine in sqlite postgres; do
    for size in small big; do
        url=$( [ "$engine" = sqlite ] && sqlite_url "$size" || pg_url "$size" )
        n=$( [ "$size" = small ] && echo "$SMALL_MACHINES" || echo "$MACHINES" )
        start "mem-$engine-$size" "$SERVER_BIN" --database "$url" --demo-machines "$n"
        idle=$(rss "$pid" VmRSS)
        run_wrk mem "$engine" list "$size" "$port" 1 "$pid"
        run_wrk mem "$engine" mix "$size" "$port" 1 "$pid"
        after1=$(rss "$pid" VmRSS)
        run_wrk mem2 "$engine" list "$size" "$port" 1 "$pid"
        run_wrk mem2 "$engine" mix "$size" "$port" 1 "$pid"
        if [ "$engine" = sqlite ]; then
            db_kb=$(cat "$work/$size.db"* | wc -c | awk '{printf "%.0f", $1 / 1024}')
        else
            db_kb=$(as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -Atc \
                "SELECT pg_database_size('$size') / 1024" postgres)
        fi
        mem[$engine-$size]="$idle $after1 $(rss "$pid" VmRSS) $(rss "$pid" VmHWM) $db_kb"
        stop "$pid"
    done
done

# --- 3. two replicas against one --------------------------------------------
echo "replicas: two servers on one PostgreSQL database" >&2
start replica1 "$SERVER_BIN" --database "$(pg_url big)" --demo-machines "$MACHINES"; r1_port=$port; r1_pid=$pid
start replica2 "$SERVER_BIN" --database "$(pg_url big)" --demo-machines "$MACHINES"; r2_port=$port; r2_pid=$pid
for scenario in lookup list; do
    LOAD_DB_PORTS="$r1_port $r2_port" DURATION=1s run_wrk warmup postgres "$scenario" 0 "$r1_port" 2 "$r1_pid" "$r2_pid"
done
for round in $(seq "$ROUNDS"); do
    for scenario in lookup list; do
        LOAD_DB_PORTS="$r1_port" run_wrk one postgres "$scenario" "$round" "$r1_port" 2 "$r1_pid" "$r2_pid"
        LOAD_DB_PORTS="$r1_port $r2_port" run_wrk two postgres "$scenario" "$round" "$r1_port" 2 "$r1_pid" "$r2_pid"
    done
done
stop "$r1_pid"; stop "$r2_pid"

# --- report -----------------------------------------------------------------
echo
echo "load_db.sh: finished $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(uptime)"
echo
printf 'Seeding (server start to first answer): SQLite %s machines %s s, %s machines %s s; PostgreSQL %s s and %s s\n' \
    "$MACHINES" "${seed_s[sqlite-big]}" "$SMALL_MACHINES" "${seed_s[sqlite-small]}" "${seed_s[postgres-big]}" "${seed_s[postgres-small]}"
echo
printf 'Throughput: wrk -t1 -c%s -d%s, medians of %s alternated rounds; in-memory: today'"'"'s server (9 machines), SQLite and PostgreSQL: %s machines\n\n' \
    "$CONNECTIONS" "$DURATION" "$ROUNDS" "$MACHINES"
echo '| scenario | engine | requests/s | vs in-memory | p50 (µs) | p99 (µs) | p99 vs in-memory | server-side CPU µs/request | vs in-memory | of which PostgreSQL | 5xx, all rounds |'
echo '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'
for scenario in $SCENARIOS; do
    b_rps=$(col main inmem "$scenario" 5); b_p99=$(col main inmem "$scenario" 7); b_cpu=$(col main inmem "$scenario" 8)
    for engine in $ENGINES; do
        awk -v s="$scenario" -v e="$engine" -v rps="$(col main "$engine" "$scenario" 5)" \
            -v p50="$(col main "$engine" "$scenario" 6)" -v p99="$(col main "$engine" "$scenario" 7)" \
            -v cpu="$(col main "$engine" "$scenario" 8)" -v br="$b_rps" -v bp="$b_p99" -v bc="$b_cpu" \
            -v db="$(col main "$engine" "$scenario" 13)" -v codes="$(codes main "$engine" "$scenario")" \
            'BEGIN {printf "| %s | %s | %.0f | %.3f | %.0f | %.0f | %.2f | %.1f | %.2f | %s | %s |\n", s, e, rps, rps / br, p50, p99, p99 / bp, cpu, cpu / bc, (e == "postgres" ? sprintf("%.1f", db) : ""), codes}'
    done
done
echo
printf 'Memory of the server (kB): a fresh server on a seeded tenant, idle, then after one pass (%s of the list page, %s of the mix), then after a second pass\n\n' "$DURATION" "$DURATION"
echo '| engine | machines | database size | VmRSS idle | VmRSS after a pass | VmRSS after two | VmHWM |'
echo '|---|---:|---:|---:|---:|---:|---:|'
for engine in sqlite postgres; do
    for size in small big; do
        n=$( [ "$size" = small ] && echo "$SMALL_MACHINES" || echo "$MACHINES" )
        set -- ${mem[$engine-$size]}
        echo "| $engine | $n | $5 | $1 | $2 | $3 | $4 |"
    done
done
echo
echo "After the throughput rounds (kB): $(for e in $ENGINES; do printf '%s VmRSS %s VmHWM %s; ' "$e" "${rss_main[$e]}" "${hwm_main[$e]}"; done)"
echo
printf 'Replicas on PostgreSQL (%s machines): wrk -t2 -c%s -d%s, medians of %s alternated rounds\n\n' "$MACHINES" "$CONNECTIONS" "$DURATION" "$ROUNDS"
echo '| scenario | servers | requests/s | two vs one | p99 (µs) | server-side CPU µs/request | of which PostgreSQL | 5xx, all rounds |'
echo '|---|---:|---:|---:|---:|---:|---:|---|'
for scenario in lookup list; do
    one=$(col one postgres "$scenario" 5)
    for label in one two; do
        awk -v s="$scenario" -v l="$label" -v rps="$(col "$label" postgres "$scenario" 5)" -v one="$one" \
            -v p99="$(col "$label" postgres "$scenario" 7)" -v cpu="$(col "$label" postgres "$scenario" 8)" \
            -v db="$(col "$label" postgres "$scenario" 13)" -v codes="$(codes "$label" postgres "$scenario")" \
            'BEGIN {printf "| %s | %s | %.0f | %.3f | %.0f | %.1f | %.1f | %s |\n", s, (l == "one" ? 1 : 2), rps, rps / one, p99, cpu, db, codes}'
    done
done
[ -n "${RESULTS:-}" ] && cp "$results" "$RESULTS"
echo
if [ "${failures:-0}" != 0 ]; then
    echo "load_db.sh: $failures wrk runs had unexpected results (see above)"
    exit 1
fi
echo "load_db.sh: every wrk run checked: no socket error, non-2xx only in the mix, half of it"
