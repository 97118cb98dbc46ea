#!/usr/bin/env bash
# bench-scale.sh - `make bench-scale` (issue 16): what several nodes give.
#
#  1. The job claim rate: bench/pg/claims.c on a throwaway cluster (6
#     threads, each its own connection; no job claimed twice or never).
#  2. Through nginx (scripts/cluster.sh: PostgreSQL, N nodes, nginx on
#     127.0.0.1), with 1 node and with 3: predict requests/s (one row, a
#     2-3-1 model, served from each node's cache) and sample posts/s (one
#     sample per POST, over 8 models, each post one transaction), under
#     wrk (THREADS threads, CONNS keep-alive connections, BENCH_SECONDS
#     each). Then the ratio 3 nodes / 1 node.
#  3. For scale, a bare peer: an nginx on its own answering a fixed body
#     (`return 200`), the front's ceiling under the same wrk.
#
# The nodes, PostgreSQL, nginx and wrk share this machine's cores (the
# output names the CPU and the count): with 2 cores, 3 nodes cannot be 3
# times 1 node; the ratio says what one machine's nodes add, not what
# three machines would.
#
# env: MLPD_BIN (build/mlpd), CLAIMS_BIN (build/bench/pg-claims),
#      BENCH_SECONDS (5), CONNS (32), THREADS (2), SCALE_NODES ("1 3")
set -euo pipefail
cd "$(dirname "$0")/.."
MLPD_BIN=${MLPD_BIN:-build/mlpd}
CLAIMS_BIN=${CLAIMS_BIN:-build/bench/pg-claims}
SECS=${BENCH_SECONDS:-5}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
NODES_LIST=${SCALE_NODES:-1 3}
command -v wrk >/dev/null || {
    echo "bench-scale: wrk is missing (apt-get install wrk)" >&2
    exit 1
}
command -v nginx >/dev/null || {
    echo "bench-scale: nginx is missing (apt-get install nginx-light)" >&2
    exit 1
}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-bench-scale.XXXXXX")
CLUSTER="" BARE_PID=""
cleanup() {
    [ -z "$CLUSTER" ] || bash scripts/cluster.sh stop "$CLUSTER" >/dev/null 2>&1 || true
    if [ -n "$BARE_PID" ]; then
        kill -QUIT "$BARE_PID" 2>/dev/null || true
        wait "$BARE_PID" 2>/dev/null || true
    fi
    [ ! -d "$TMP/pg" ] || sh scripts/pg-cluster.sh stop "$TMP/pg" --rm >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "bench-scale: $(nproc) cores, ${cpu:-unknown CPU}; wrk $THREADS threads, $CONNS" \
    "connections, ${SECS} s per case; everything on 127.0.0.1"

echo
echo "== 1. job claims (bench/pg/claims.c, 6 threads, 2000 jobs)"
ci=$(sh scripts/pg-cluster.sh start "$TMP/pg")
MLPD_TEST_PG="$ci" "$CLAIMS_BIN" 6 2000 | tee "$TMP/claims.txt"
sh scripts/pg-cluster.sh stop "$TMP/pg" --rm

# Lua for wrk: POST a fixed body; for samples, the path goes round 8 models.
write_lua() { # FILE BODY [PATH...]
    local f=$1 body=$2
    shift 2
    {
        echo 'wrk.method = "POST"'
        echo 'wrk.headers["Content-Type"] = "application/json"'
        echo "wrk.body = [==[$body]==]"
        if [ $# -gt 0 ]; then
            printf 'local paths = {'
            printf '"%s",' "$@"
            echo '}'
            echo 'local i = 0'
            echo 'request = function()'
            echo '    i = i % #paths + 1'
            echo '    return wrk.format(nil, paths[i])'
            echo 'end'
        fi
    } >"$f"
}

# wrk_run NAME URL LUA: one line (req/s, p50, p99, requests, non-2xx,
# socket errors); sets RPS.
wrk_run() {
    local name=$1 url=$2 lua=$3 out p50 p99 total non2xx errs
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -s "$lua" "$url")
    echo "$out" >"$TMP/wrk-${name// /_}.txt"
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    total=$(awk '/requests in/ { print $1 }' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
    errs=$(awk '/Socket errors:/ { sub(/^ *Socket errors: */, ""); print }' <<<"$out")
    printf '%-30s %9s %9s %9s %9s %7s  %s\n' "$name" "$RPS" "$p50" "$p99" "$total" \
        "${non2xx:-0}" "${errs:-}"
}

echo
echo "== 2. through nginx (scripts/cluster.sh: PostgreSQL, nodes, nginx)"
printf '%-30s %9s %9s %9s %9s %7s  %s\n' case "req/s" p50 p99 requests non2xx "socket errors"
declare -A PRED SAMP
J='Content-Type: application/json'
for n in $NODES_LIST; do
    CLUSTER="$TMP/c$n"
    front=$(MLPD_BIN=$MLPD_BIN bash scripts/cluster.sh start "$CLUSTER" --nodes "$n" \
        --workers 1 -- --max-samples 10000000 2>"$TMP/cluster$n.err") || {
        cat "$TMP/cluster$n.err" >&2
        exit 1
    }
    mk() {
        curl -sS --max-time 10 -H "$J" --data-binary \
            '{"name":"b","inputs":2,"layers":[{"units":3,"activation":"sigmoid"},{"units":1,"activation":"linear"}],"init":{"seed":1}}' \
            "$front/v1/models" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
    }
    m=$(mk)
    paths=()
    for i in 1 2 3 4 5 6 7 8; do paths+=("/v1/models/$(mk)/samples"); done
    write_lua "$TMP/predict.lua" '{"inputs":[[0.5,-1.0]]}'
    write_lua "$TMP/samples.lua" '{"inputs":[[0.25,-0.5]],"targets":[[1]]}' "${paths[@]}"
    # warm every node's cache (nginx goes round the nodes)
    for ((i = 0; i < 3 * n; i++)); do
        curl -s -o /dev/null -H "$J" -d '{"inputs":[[0.5,-1.0]]}' "$front/v1/models/$m/predict"
    done
    wrk_run "predict, $n node(s)" "$front/v1/models/$m/predict" "$TMP/predict.lua"
    PRED[$n]=$RPS
    wrk_run "sample posts, $n node(s)" "$front${paths[0]}" "$TMP/samples.lua"
    SAMP[$n]=$RPS
    stored=$(psql "$(cat "$CLUSTER/conninfo")" -qAtX -c "SELECT coalesce(sum(samples), 0) FROM models")
    posted=$(awk '/requests in/ { print $1 }' "$TMP/wrk-sample_posts,_${n}_node(s).txt")
    if [ "$stored" -ge "$posted" ] && [ "$stored" -le $((posted + CONNS)) ]; then
        echo "    samples stored: $stored (wrk counted $posted answers; the posts in flight when it stopped are stored too)"
    else
        echo "    samples stored: $stored, wrk counted $posted answers: MISMATCH" >&2
        exit 1
    fi
    bash scripts/cluster.sh stop "$CLUSTER" >/dev/null 2>&1
    CLUSTER=""
done

echo
echo "== 3. a bare peer: nginx alone, a fixed 200 body"
bp=$(free_port)
mkdir -p "$TMP/bare"
{
    if [ "$(id -u)" = 0 ]; then echo "user www-data;"; fi
    echo "daemon off; worker_processes 1; pid $TMP/bare/nginx.pid;"
    echo "error_log $TMP/bare/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off;"
    if [ "$(id -u)" != 0 ]; then
        for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $TMP/bare/$t;"; done
    fi
    echo "  server { listen 127.0.0.1:$bp; location / {"
    echo "    default_type application/json; return 200 '{\"outputs\":[[0.1]]}'; } } }"
} >"$TMP/bare/nginx.conf"
nginx -c "$TMP/bare/nginx.conf" -p "$TMP/bare" </dev/null >>"$TMP/bare/error.log" 2>&1 &
BARE_PID=$!
for i in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$bp/" && break
    sleep 0.05
done
wrk_run "bare nginx (return 200)" "http://127.0.0.1:$bp/x" "$TMP/predict.lua"
BARE=$RPS

echo
echo "== summary ($(nproc) cores, ${cpu:-unknown CPU})"
ratio() { /usr/bin/python3 -c "import sys; a, b = float(sys.argv[1] or 0), float(sys.argv[2] or 0); print('%.2f' % (a / b) if b else 'n/a')" "$1" "$2"; }
set -- $NODES_LIST
first=$1 last=${!#}
printf 'predict:      %s/s with %s node(s), %s/s with %s: x%s\n' "${PRED[$first]}" "$first" \
    "${PRED[$last]}" "$last" "$(ratio "${PRED[$last]}" "${PRED[$first]}")"
printf 'sample posts: %s/s with %s node(s), %s/s with %s: x%s\n' "${SAMP[$first]}" "$first" \
    "${SAMP[$last]}" "$last" "$(ratio "${SAMP[$last]}" "${SAMP[$first]}")"
awk '/claims\/s|claim/ && /\/s/ { print "claims:       " $0 }' "$TMP/claims.txt" | head -2
printf 'bare nginx:   %s/s (predict with %s node(s) is %s of it)\n' "$BARE" "$last" \
    "$(ratio "${PRED[$last]}" "$BARE")"
