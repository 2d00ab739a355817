#!/usr/bin/env bash
# Load-tests the servers `ai-plugin new` generates, one per stack (auth none), with wrk:
#   GET  /todos/alice      a list of 10 items, read over and over
#   POST /todos/userN      a new item for a random user each time (every one written to disk)
#   POST /mcp              a stateless tools/call of listTodos for alice (the same 10 items),
#                          with the headers a 2025-era client sends and no session
# and prints requests per second, the 99th percentile latency and the server's memory.
#
#   benches/serve.sh                      # all three stacks, 10 s per load
#   STACKS="rust python" SECONDS_PER_LOAD=5 benches/serve.sh
#   BASELINE_URL=http://127.0.0.1:5003 benches/serve.sh
#
# BASELINE_URL runs the same loads against a server you started yourself with the same routes
# (for example the original plugins quickstart), for comparison. Needs wrk (Debian, Ubuntu:
# apt-get install wrk), and for the Python and TypeScript stacks python3 and Node.js 20+.
# Not part of the tests: numbers depend on the machine and on what else it is doing.
set -euo pipefail
cd "$(dirname "$0")/.."

stacks=${STACKS:-rust python typescript}
duration=${SECONDS_PER_LOAD:-10}
connections=${CONNECTIONS:-50}
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet
ai_plugin=$(realpath "${CARGO_TARGET_DIR:-target}")/release/ai-plugin
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"todo": "buy milk"}'
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, "/todos/user" .. math.random(1, 100000000))
end
LUA

mcp_body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"listTodos","arguments":{"username":"alice"}}}'
cat > "$work/mcp.lua" <<LUA
wrk.method = "POST"
wrk.path = "/mcp"
wrk.body = '$mcp_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
LUA

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for a server to answer at $1.
wait_for() {
    for _ in $(seq 1 600); do
        curl -fs -o /dev/null "$1/todos/alice" && return 0
        sleep 0.1
    done
    echo "error: no server answered at $1" >&2
    exit 1
}

# Prints "req/s p99" for a wrk run with the given arguments.
load() {
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" |
        awk '/Requests\/sec/ {rps = $2} $1 == "99%" {p99 = $2} END {printf "%10.0f %9s", rps, p99}'
}

# Resident memory of a process group, in MiB.
memory() {
    ps -o rss= -g "$1" | awk '{kib += $1} END {printf "%6.1f", kib / 1024}'
}

measure() { # name url [process group]
    local name=$1 url=$2 group=${3:-}
    for i in $(seq 1 10); do
        curl -fs -o /dev/null -H 'content-type: application/json' -d "{\"todo\": \"item $i\"}" "$url/todos/alice"
    done
    if [ "$name" != baseline ]; then
        # The MCP call answers with the list before it is loaded (not an error, not a refusal).
        curl -fsS -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
            -H 'mcp-protocol-version: 2025-11-25' -d "$mcp_body" "$url/mcp" | grep -q '"structuredContent"' ||
            { echo "error: $name: POST /mcp does not answer the listTodos call" >&2; exit 1; }
    fi
    local get post mcp=" -" rss=" -"
    get=$(load "$url/todos/alice")
    post=$(load -s "$work/post.lua" "$url")
    if [ "$name" != baseline ]; then mcp=$(load -s "$work/mcp.lua" "$url"); fi
    if [ -n "$group" ]; then rss=$(memory "$group"); fi
    printf '%-12s %s %s %s %s\n' "$name" "$get" "$post" "$mcp" "$rss"
}

printf '%-12s %10s %9s %10s %9s %10s %9s %6s\n' stack "GET req/s" "GET p99" "POST req/s" "POST p99" \
    "MCP req/s" "MCP p99" MiB
for stack in $stacks; do
    project="$work/$stack"
    "$ai_plugin" new --yes --stack "$stack" --auth none \
        --name-for-model bench --contact-email bench@example.com "$project" >/dev/null
    case $stack in
        rust)
            target=${CARGO_TARGET_DIR:-$project/target}
            (cd "$project" && cargo build --release --quiet)
            run="exec $target/release/bench" ;;
        python)
            (cd "$project" && python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e .)
            run="exec .venv/bin/python -m app" ;;
        typescript)
            (cd "$project" && npm ci --silent --no-audit --no-fund && npm run --silent build)
            run="exec node --disable-warning=ExperimentalWarning dist/src/main.js" ;;
    esac
    port=$(free_port)
    # In a session of its own, so the server and anything it starts stop together.
    PORT=$port DATA_PATH="$work/$stack.db" setsid sh -c "cd '$project' && $run" >/dev/null 2>&1 &
    pid=$!
    wait_for "http://127.0.0.1:$port"
    measure "$stack" "http://127.0.0.1:$port" "$pid"
    kill -TERM -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
done
if [ -n "${BASELINE_URL:-}" ]; then
    measure baseline "$BASELINE_URL"
fi
