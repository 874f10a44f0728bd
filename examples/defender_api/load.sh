#!/usr/bin/env bash
# The example server under wrk, on a database: an indexed lookup, a
# filtered and ordered page of 50, and a 50/50 mix of 200s and 404
# envelopes, each for $DURATION; with the server's memory (RSS) after
# seeding and after the load.
#
#   examples/defender_api/load.sh [DATABASE_URL] [MACHINES]
#
# DATABASE_URL defaults to a fresh SQLite file in a temporary directory;
# REPLICAS=2 starts two servers on the database (PostgreSQL) and spreads
# wrk's connections over both (one wrk per server, requests/s summed).
# Environment: DURATION (10s), THREADS (2), CONNECTIONS (32 per server).
# Prints one Markdown table row per scenario. Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."

url="${1:-}"
machines="${2:-100000}"
replicas="${REPLICAS:-1}"
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"
tmp="$(mktemp -d)"
[[ -n "$url" ]] || url="sqlite://$tmp/load.db?mode=rwc"
engine="SQLite"; [[ "$url" == postgres* ]] && engine="PostgreSQL"

cargo build --release --locked -p defender-api >/dev/null
server=target/release/defender_api

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

ports=()
for r in $(seq 1 "$replicas"); do
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="$tmp/server-$r.log"
    "$server" --addr "127.0.0.1:$port" --database "$url" --demo-machines "$machines" \
        --rate-limit-scale 1000000 --max-concurrency 4096 >"$log" 2>&1 &
    pids+=($!)
    ports+=("$port")
    # Wait for the banner: the database is open and seeded.
    for _ in $(seq 1 600); do grep -q '^database:' "$log" && break; sleep 0.5; done
    grep '^database:' "$log" >&2
done

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "RSS after seeding (KiB): $(for p in "${pids[@]}"; do rss "$p"; done | paste -sd' ')" >&2

for scenario in lookup page mix; do
    total=0; p50=""; p99=""; errors=0; runs=()
    for port in "${ports[@]}"; do
        SCENARIO=$scenario wrk -t"$threads" -c"$connections" -d"$duration" \
            -s examples/defender_api/load.lua "http://127.0.0.1:$port" >"$tmp/wrk-$port.txt" &
        runs+=($!)
    done
    wait "${runs[@]}"
    for port in "${ports[@]}"; do
        read -r _ rps l50 l99 err status < <(grep '^RESULT' "$tmp/wrk-$port.txt")
        total=$((total + rps)); p50="$p50 $((l50))"; p99="$p99 $((l99))"; errors=$((errors + err))
    done
    # Non-2xx are expected in the mix only (the 404s).
    echo "| $engine | $machines | $replicas | $scenario | $total |$p50 |$p99 | $errors |"
done
echo "RSS after the load (KiB): $(for p in "${pids[@]}"; do rss "$p"; done | paste -sd' ')" >&2
