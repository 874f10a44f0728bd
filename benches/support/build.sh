# Sourced by the bench scripts: `bench_binary NAME` builds the bench target
# NAME (a driver in benches/drivers/) in the release profile and prints the
# path of its executable.
bench_binary() {
    cargo build --release --bench "$1" --message-format=json-render-diagnostics \
        | jq -r --arg name "$1" 'select(.reason == "compiler-artifact" and .target.name == $name) | .executable' \
        | tail -n 1
}
