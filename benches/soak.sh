#!/usr/bin/env bash
# Soak test of the example Defender API server (examples/defender_api).
#
# Builds the server in release mode, starts it pinned to core 0 with a
# 50 ms handler time limit and rate limits scaled up (so 429s stay rare),
# and runs wrk pinned to core 1 (one thread) for SOAK_SECONDS with
# benches/soak.lua: a mix of valid requests and hostile ones (panics,
# timeouts, bad bodies, bad hashes, unknown routes, 401s, ...), each
# response checked to be a 2xx or the Defender error envelope.
#
# Fails (exit status 1) if any response is malformed, if wrk saw any socket
# error (connect, read, write, timeout), if the server's resident memory at
# the end is more than 10 % above its level after the warm-up, or if the
# server does not stop cleanly on SIGTERM afterwards.
#
# Settings (environment):
#   SOAK_SECONDS         length of the run (default 60)
#   SOAK_WARMUP_SECONDS  when the reference RSS is taken (default 10)
#   SOAK_CONNECTIONS     wrk connections (default 32)
#   SOAK_PORT            port of the server (default: a free one)
#   SOAK_RUST_LOG        the server's RUST_LOG (default info; logs go to /dev/null)
#   CARGO_TARGET_DIR     where cargo builds (default ./target)
#
# Usage: benches/soak.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${SOAK_SECONDS:-60}"
warmup="${SOAK_WARMUP_SECONDS:-10}"
connections="${SOAK_CONNECTIONS:-32}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

if (( warmup >= seconds )); then
    echo "SOAK_WARMUP_SECONDS ($warmup) must be shorter than SOAK_SECONDS ($seconds)" >&2
    exit 2
fi

# wrk, from the distribution, if it is not installed yet.
if ! command -v wrk >/dev/null; then
    sudo=""
    if (( $(id -u) != 0 )); then sudo="sudo"; fi
    $sudo apt-get update
    $sudo apt-get install -y wrk
fi

# Another load run on this 2-core machine would disturb the figures: wait
# for it (polling every 30 s, 15 minutes at most).
for _ in $(seq 30); do
    if ! pgrep -x wrk >/dev/null; then break; fi
    echo "another wrk is running; waiting 30 s:"
    pgrep -a -x wrk || true
    sleep 30
done
if pgrep -x wrk >/dev/null; then
    echo "another wrk is still running after 15 minutes; giving up" >&2
    exit 1
fi
echo "load before the run: $(uptime)"

cargo build --release -p defender-api
server_bin="$target_dir/release/defender_api"

port="${SOAK_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
url="http://127.0.0.1:$port"
server_err="$(mktemp)"
wrk_out="$(mktemp)"

# The server, on core 0. Its log lines (one per response) are produced, as
# in production, but thrown away.
RUST_LOG="${SOAK_RUST_LOG:-info}" taskset -c 0 "$server_bin" \
    --addr "127.0.0.1:$port" \
    --handler-timeout-ms 50 \
    --body-timeout-ms 40 \
    --rate-limit-scale 10000 \
    >/dev/null 2>"$server_err" &
server_pid=$!

cleanup() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -f "$server_err" "$wrk_out"
}
trap cleanup EXIT

# Wait until it answers (any status will do).
for _ in $(seq 100); do
    if curl -s -o /dev/null "$url/api/machines"; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server did not start:" >&2
        cat "$server_err" >&2
        exit 1
    fi
    sleep 0.1
done

# The server's resident set size in kB.
rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"
}
echo "server pid $server_pid on $url, RSS at start: $(rss_kb) kB"

# wrk on core 1, one thread: the steadiest figures on this machine.
echo "wrk: 1 thread on core 1, $connections connections, ${seconds} s"
taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" --timeout 2s --latency \
    -s benches/soak.lua "$url" >"$wrk_out" 2>&1 &
wrk_pid=$!

# Whether a wrk other than ours is running (someone else's load run).
others=0
note_other_wrk() {
    if pgrep -x wrk | grep -qvx "$wrk_pid"; then
        others=$(( others + 1 ))
        echo "note: another wrk is running during the soak:"
        pgrep -a -x wrk | grep -v "^$wrk_pid " || true
    fi
}

# RSS every 10 s; the one at the end of the warm-up is the reference.
sleep "$warmup"
rss_warm="$(rss_kb)"
echo "RSS after ${warmup} s warm-up: $rss_warm kB"
note_other_wrk
elapsed="$warmup"
while kill -0 "$wrk_pid" 2>/dev/null && (( elapsed + 10 < seconds )); do
    sleep 10
    elapsed=$(( elapsed + 10 ))
    echo "RSS at ${elapsed} s: $(rss_kb) kB"
    note_other_wrk
done
wrk_status=0
wait "$wrk_pid" || wrk_status=$?
rss_end="$(rss_kb)"
echo "RSS at the end (${seconds} s): $rss_end kB"

cat "$wrk_out"

failed=0
if (( wrk_status != 0 )); then
    echo "FAIL: wrk (or soak.lua's checks) exited with status $wrk_status" >&2
    failed=1
fi
# Double-check the figures soak.lua printed.
counts="$(grep '^soak: requests=' "$wrk_out" || true)"
if [[ -z "$counts" ]]; then
    echo "FAIL: soak.lua printed no counts" >&2
    failed=1
else
    malformed="$(sed -E 's/.* malformed=([0-9]+).*/\1/' <<<"$counts")"
    socket_errors="$(sed -E 's/.* socket_errors=([0-9]+).*/\1/' <<<"$counts")"
    if (( malformed != 0 )); then
        echo "FAIL: $malformed malformed responses" >&2
        failed=1
    fi
    if (( socket_errors != 0 )); then
        echo "FAIL: $socket_errors socket errors" >&2
        failed=1
    fi
fi
# Memory: the end within 10 % of the warm-up level.
growth="$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN { printf "%+.1f", (b - a) * 100 / a }')"
echo "RSS: after warm-up $rss_warm kB, at the end $rss_end kB ($growth %)"
if (( rss_end * 100 > rss_warm * 110 )); then
    echo "FAIL: RSS grew by more than 10 % after the warm-up" >&2
    failed=1
fi

# Stop the server as an operator would, and expect a clean exit.
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
if (( server_status != 0 )); then
    echo "FAIL: the server exited with status $server_status on SIGTERM" >&2
    cat "$server_err" >&2
    failed=1
else
    echo "server stopped cleanly on SIGTERM"
fi

if (( others > 0 )); then
    echo "note: another wrk ran during $others of the RSS samples; throughput and latency are disturbed"
else
    echo "no other wrk seen during the run"
fi

if (( failed )); then
    echo "soak: FAILED" >&2
    exit 1
fi
echo "soak: passed"
