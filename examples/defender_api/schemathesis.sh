#!/usr/bin/env bash
# Proves the example server against its own OpenAPI document with tools we
# did not write: openapi-spec-validator checks the document, schemathesis
# sends generated (valid and invalid) requests and checks every response
# against it. Exits non-zero on any failure.
#
#   examples/defender_api/schemathesis.sh [EXAMPLES_PER_OPERATION] [SEED]
#
# Environment: SCHEMATHESIS_EXAMPLES and SCHEMATHESIS_SEED (the same two),
# SCHEMATHESIS_VENV (where the tools go), SCHEMATHESIS_SERVER (a server
# binary already built; otherwise the script builds one).
#
# The excluded operations and checks, and why, are in the README's OpenAPI
# section.
set -euo pipefail
cd "$(dirname "$0")/../.."

examples="${1:-${SCHEMATHESIS_EXAMPLES:-25}}"
seed="${2:-${SCHEMATHESIS_SEED:-20261201}}"
venv="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"

# The tools, in a virtualenv of their own (kept in target/ between runs).
# Python 3.12 or later: on 3.11, schemathesis' generation of the largest
# import batch can trip CPython's "AST constructor recursion depth
# mismatch" error. pyenv's interpreters are used when its shims are not set
# to one.
if [[ ! -x "$venv/bin/schemathesis" || ! -x "$venv/bin/openapi-spec-validator" ]]; then
    python=""
    for candidate in python3.13 python3.12 \
        $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
    if [[ -z "$python" ]]; then
        echo "schemathesis.sh: no Python 3.12 or later; trying python3" >&2
        python=python3
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        'schemathesis>=4,<5' 'openapi-spec-validator>=0.7'
fi

# The dev build: the checks are about answers, not speed. CI passes the
# binary its test step has already built (`SCHEMATHESIS_SERVER`) rather
# than building another with other features.
server="${SCHEMATHESIS_SERVER:-}"
if [[ -z "$server" ]]; then
    cargo build --locked -p defender-api
    server=target/debug/defender_api
fi

# A free port on 127.0.0.1, asked of the kernel.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
log="$(mktemp)"
"$server" --addr "127.0.0.1:$port" --database sqlite::memory: >"$log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$log" "${doc:-}"
}
trap cleanup EXIT

# Wait for the server: it answers as soon as it listens.
for _ in $(seq 1 100); do
    if curl --silent --fail --output /dev/null "$base/openapi.json"; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "the server exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done

doc="$(mktemp --suffix=.json)"
curl --silent --fail --output "$doc" "$base/openapi.json"
"$venv/bin/openapi-spec-validator" "$doc"

# /api/simulate/* fail on purpose (a panic's 500, a 504 after the time
# limit, a handler that sleeps). positive_data_acceptance is excluded: some
# well-formed requests are refused with 400 because of the state of the
# resource they name (see the README).
"$venv/bin/schemathesis" run "$base/openapi.json" \
    --header "Authorization: Bearer demo-admin" \
    --exclude-path-regex '^/api/simulate/' \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "$examples" \
    --seed "$seed" \
    --workers 2 \
    --request-timeout 10 \
    --suppress-health-check too_slow \
    --no-color
