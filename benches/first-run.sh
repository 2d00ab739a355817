#!/usr/bin/env bash
# How long a newcomer waits, per stack (auth none): the seconds from `ai-plugin new` to the
# plugin's first HTTP 200 (its README's run command, run as the README says), then for its tests
# to pass (the README's test command, after the server is stopped), with warm or cold package
# caches:
#
#   benches/first-run.sh                         # warm: this machine's cargo, pip and npm caches
#   benches/first-run.sh --cold                  # cold: empty ones in a temporary folder
#   STACKS="python typescript" benches/first-run.sh --cold
#   AI_PLUGIN=target/debug/ai-plugin benches/first-run.sh
#
# Warm uses the caches as they are: what a second project costs. Cold gives cargo, pip and npm
# an empty CARGO_HOME, pip cache and npm cache (and no pip --find-links folder), so every crate,
# wheel and npm package comes from its registry again: what a first project costs on a new
# machine (the toolchains themselves stay installed). Either way the project builds from clean:
# its own target/, .venv and node_modules. Needs curl, python3 3.10+ with venv, and Node.js as
# the TypeScript stack asks. Not part of the tests: the numbers depend on the machine, the
# network and what else runs.
set -euo pipefail
cd "$(dirname "$0")/.."

caches=warm
if [ "${1:-}" = --cold ]; then caches=cold; fi
stacks=${STACKS:-rust python typescript}

# AI_PLUGIN=path/to/ai-plugin uses a binary already built (`new` takes milliseconds either way).
if [ -z "${AI_PLUGIN:-}" ]; then
    cargo build --release --quiet
    AI_PLUGIN=$(realpath "${CARGO_TARGET_DIR:-target}")/release/ai-plugin
fi
ai_plugin=$(realpath "$AI_PLUGIN")
unset CARGO_TARGET_DIR
work=$(mktemp -d)
group=
cleanup() {
    if [ -n "$group" ]; then kill -TERM -- "-$group" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$caches" = cold ]; then
    export CARGO_HOME=$work/caches/cargo PIP_CACHE_DIR=$work/caches/pip
    export npm_config_cache=$work/caches/npm PIP_FIND_LINKS=
    mkdir -p "$CARGO_HOME"
fi

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", b - a}'; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The lines of the first fenced block of README.md in $1: the run command, then the test command.
readme_commands() {
    awk '/^```/ {n++; next} n == 1' "$1/README.md"
}

printf '%-11s %-5s %16s %10s %16s\n' stack cache "new → HTTP 200" "tests" "new → green"
for stack in $stacks; do
    project=$work/$stack
    port=$(free_port)
    log=$work/$stack.log
    start=$(now)
    "$ai_plugin" new --yes --no-git --stack "$stack" --auth none --port "$port" \
        --name-for-model first_run --contact-email bench@example.com "$project" >"$log" 2>&1
    run=$(readme_commands "$project" | sed -n 1p)
    test=$(readme_commands "$project" | sed -n 2p)

    # The run command in its own process group, so that stopping it stops what it started.
    (cd "$project" && PORT=$port exec setsid sh -c "$run") >>"$log" 2>&1 &
    group=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/.well-known/ai-plugin.json"; do
        if ! kill -0 "$group" 2>/dev/null; then
            echo "error: $stack: \`$run\` stopped before it served (log: $log)" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.2
    done
    serving=$(now)
    kill -TERM -- "-$group" 2>/dev/null || true
    wait "$group" 2>/dev/null || true
    group=

    tested=$(now)
    if ! (cd "$project" && sh -c "$test") >>"$log" 2>&1; then
        echo "error: $stack: \`$test\` failed" >&2
        cat "$log" >&2
        exit 1
    fi
    green=$(now)
    # new → green leaves out the moment between the two commands (stopping the server).
    total=$(awk -v a="$start" -v b="$serving" -v c="$tested" -v d="$green" \
        'BEGIN {printf "%.0f", (b - a) + (d - c)}')
    printf '%-11s %-5s %14s s %8s s %14s s\n' "$stack" "$caches" "$(seconds "$start" "$serving")" \
        "$(seconds "$tested" "$green")" "$total"
done
