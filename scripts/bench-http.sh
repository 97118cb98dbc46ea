#!/usr/bin/env bash
# bench-http.sh - requests/s and latency of mlpd's predict over HTTP, beside
# a bare libmicrohttpd responder with the same flags (the floor), under wrk
# (64 keep-alive connections, 2 threads). Then the daemon's RSS before and
# after a long run. Everything listens on 127.0.0.1; every run is bounded
# in time; only the processes started here are stopped (by PID).
#
# env: MLPD_BIN (build/mlpd), BARE_BIN (build/bench/http-bare),
#      BENCH_SECONDS (10 per case), LONG_REQUESTS (1000000) and
#      LONG_SECONDS (90, the bound on the long run),
#      CONNS (64), THREADS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
MLPD_BIN=${MLPD_BIN:-build/mlpd}
BARE_BIN=${BARE_BIN:-build/bench/http-bare}
SECS=${BENCH_SECONDS:-10}
LONG=${LONG_SECONDS:-90}
LONG_REQUESTS=${LONG_REQUESTS:-1000000}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-bench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_up() { # URL PID
    local i
    for i in $(seq 1 100); do
        kill -0 "$2" 2>/dev/null || return 1
        curl -s -o /dev/null --max-time 1 -X POST "$1" && return 0
        sleep 0.05
    done
    return 1
}
# start NAME CMD...: start on a free port (retry on collision); sets PORT.
start() {
    local name=$1 try pid
    shift
    for try in 1 2 3 4 5; do
        PORT=$(free_port)
        "$@" "$PORT" >>"$TMP/$name.log" 2>&1 &
        pid=$!
        if wait_up "http://127.0.0.1:$PORT/healthz" "$pid"; then
            PIDS+=("$pid")
            LAST_PID=$pid
            return 0
        fi
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    echo "bench-http: $name did not start" >&2
    cat "$TMP/$name.log" >&2
    exit 1
}
# exec: the background job becomes the server itself, so $! is its PID.
run_bare() { exec "$BARE_BIN" "$1"; }
run_mlpd() { exec "$MLPD_BIN" --bind 127.0.0.1 --db "$TMP/mlpd.db" --port "$1"; }

start bare run_bare
BARE_URL="http://127.0.0.1:$PORT"
start mlpd run_mlpd
MLPD_URL="http://127.0.0.1:$PORT"
MLPD_PID=$LAST_PID

create() { # BODY -> id
    curl -sS --max-time 10 -H 'Content-Type: application/json' --data-binary "$1" "$MLPD_URL/v1/models" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
SMALL=$(create '{"name":"bench-2-3-1","inputs":2,"layers":[{"units":3,"activation":"sigmoid"},{"units":1,"activation":"linear"}],"init":{"seed":1}}')
WIDE=$(create '{"name":"bench-64-32-10","inputs":64,"layers":[{"units":32,"activation":"sigmoid"},{"units":10,"activation":"linear"}],"init":{"seed":1}}')

# Lua scripts: one POST body each.
lua() { # FILE BODYFILE
    python3 - "$1" "$2" <<'PY'
import sys
body = open(sys.argv[2]).read()
with open(sys.argv[1], "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write('wrk.headers["Content-Type"] = "application/json"\n')
    f.write('wrk.body = [==[%s]==]\n' % body)
PY
}
python3 - "$TMP" <<'PY'
import json, random, sys
d = sys.argv[1]
r = random.Random(1)
json.dump({"inputs": [[0.5, -1.0]]}, open(d + "/one.json", "w"))
json.dump({"inputs": [[r.uniform(-3, 3), r.uniform(-3, 3)] for _ in range(1000)]}, open(d + "/thousand.json", "w"))
json.dump({"inputs": [[r.uniform(0, 1) for _ in range(64)]]}, open(d + "/wide.json", "w"))
PY
lua "$TMP/one.lua" "$TMP/one.json"
lua "$TMP/thousand.lua" "$TMP/thousand.json"
lua "$TMP/wide.lua" "$TMP/wide.json"
# The long run: each wrk thread stops after its share of LONG_REQUESTS.
cp "$TMP/one.lua" "$TMP/long.lua"
cat >>"$TMP/long.lua" <<LUA
local n = 0
function response(status, headers, body)
    n = n + 1
    if n >= $(( LONG_REQUESTS / THREADS )) then wrk.thread:stop() end
end
LUA

# wrk_case NAME ROWS URL LUA SECONDS: prints one table row; sets RPS.
BARE_RPS=""
wrk_case() {
    local name=$1 rows=$2 url=$3 script=$4 secs=$5 out
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s --latency -s "$script" "$url")
    echo "$out" >"$TMP/wrk-$name.txt"
    RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    local p50 p99 errs non2xx total
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
    errs=$(awk '/Socket errors:/ {print $0}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    [ -n "$BARE_RPS" ] || BARE_RPS=$RPS
    python3 - "$name" "$RPS" "$p50" "$p99" "$rows" "$BARE_RPS" "$total" "${non2xx:-0}" <<'PY'
import sys
name, rps, p50, p99, rows, bare, total, non2xx = sys.argv[1:9]
rps, bare = float(rps), float(bare)
print("%-26s %10.0f %9s %9s %12.0f %7.2f %10s %6s" % (name, rps, p50, p99, rps * int(rows), rps / bare, total, non2xx))
PY
    [ -z "$errs" ] || echo "    $errs"
}

echo "wrk: $THREADS threads, $CONNS keep-alive connections, ${SECS}s per case; $(nproc) cores"
printf '%-26s %10s %9s %9s %12s %7s %10s %6s\n' case "req/s" p50 p99 "rows/s" "x bare" requests non2xx
wrk_case "bare responder" 1 "$BARE_URL/v1/models/x/predict" "$TMP/one.lua" "$SECS"
wrk_case "predict 1 row 2-3-1" 1 "$MLPD_URL/v1/models/$SMALL/predict" "$TMP/one.lua" "$SECS"
wrk_case "predict 1000 rows 2-3-1" 1000 "$MLPD_URL/v1/models/$SMALL/predict" "$TMP/thousand.lua" "$SECS"
wrk_case "predict 1 row 64-32-10" 1 "$MLPD_URL/v1/models/$WIDE/predict" "$TMP/wide.lua" "$SECS"

rss() { awk '/^VmRSS:/ {print $2 " " $3}' "/proc/$MLPD_PID/status"; }
echo
echo "long run: predict 1 row 2-3-1, $LONG_REQUESTS requests or ${LONG}s, whichever comes first"
RSS_BEFORE=$(rss)
wrk_case "long run" 1 "$MLPD_URL/v1/models/$SMALL/predict" "$TMP/long.lua" "$LONG" >/dev/null
LONG_TOTAL=$(awk '/requests in/ {print $1}' "$TMP/wrk-long run.txt")
RSS_AFTER=$(rss)
echo "requests: $LONG_TOTAL   mlpd RSS before: $RSS_BEFORE   after: $RSS_AFTER"
