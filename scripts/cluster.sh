#!/usr/bin/env bash
# cluster.sh start|stop|status DIR [options] [-- mlpd flags...]
#
# Several mlpd nodes behind nginx on loopback, sharing one throwaway
# PostgreSQL cluster (README "Running several nodes"): what a department
# runs on several machines, on one, for tests and benchmarks.
#
#   start DIR   starts PostgreSQL (scripts/pg-cluster.sh, in DIR/pg), the
#               nodes (build/mlpd, each on a free 127.0.0.1 port, --db the
#               cluster's conninfo), then nginx (scripts/nginx-mlpd.conf
#               with those ports) and waits until the front answers
#               /v2/health/ready. Prints the front's URL.
#   stop DIR    stops nginx, the nodes (SIGTERM, by PID, each waited for)
#               and PostgreSQL (checked with pg_ctl status), and removes
#               the cluster's data; DIR keeps the logs.
#   status DIR  what runs: each process by PID.
#
# Options of start:
#   --nodes N       nodes (3)
#   --port PORT     the front's port (default: a free one)
#   --workers N     training workers per node (2)
#   --db CONNINFO   use this database instead of starting PostgreSQL
#   --bin PATH      the daemon (build/mlpd, or $MLPD_BIN)
# Flags after -- go to every node (e.g. -- --auth token). Every node gets
# --trust-proxy 127.0.0.1 (nginx, on loopback, names the client in
# X-Forwarded-For) and --per-ip-conns 1024 (all of nginx's connections
# come from one address); a flag after -- overrides them.
#
# DIR holds: front.url, node.K.{pid,port,log}, nginx.{conf,pid}, nginx-*.log,
# pg/ (pg-cluster.sh's). The first node starts alone (it applies the
# migrations), the others then together.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

usage() {
    echo "usage: cluster.sh start|stop|status DIR [--nodes N] [--port PORT] [--workers N]" \
        "[--db CONNINFO] [--bin PATH] [-- mlpd flags...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2
nodes=3 port="" workers=2 db="" bin=${MLPD_BIN:-$root/build/mlpd}
extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --nodes) nodes=$2; shift ;;
    --port) port=$2; shift ;;
    --workers) workers=$2; shift ;;
    --db) db=$2; shift ;;
    --bin) bin=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
    esac
    shift
done

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: 0 once URL answers 200.
wait_http() {
    local url=$1 i
    for ((i = 0; i < $2 * 20; i++)); do
        if curl -fs -o /dev/null --max-time 1 "$url"; then return 0; fi
        sleep 0.05
    done
    return 1
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid FILE SIGNAL: signal the process named in FILE and wait (10 s)
# for it to end.
stop_pid() {
    local f=$1 sig=$2 pid i
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill "-$sig" "$pid" 2>/dev/null || true
        for ((i = 0; i < 200; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster.sh: $f ($pid) did not stop in 10 s; SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$f"
}

start_node() {
    local k=$1 conninfo=$2 p try
    for try in 1 2 3; do
        p=$(free_port)
        "$bin" --bind 127.0.0.1 --port "$p" --db "$conninfo" --workers "$workers" \
            --trust-proxy 127.0.0.1 --per-ip-conns 1024 \
            "${extra[@]}" </dev/null >>"$dir/node.$k.log" 2>&1 &
        echo $! >"$dir/node.$k.pid"
        echo "$p" >"$dir/node.$k.port"
        if wait_http "http://127.0.0.1:$p/v2/health/ready" 15; then return 0; fi
        stop_pid "$dir/node.$k.pid" TERM
        echo "cluster.sh: node $k did not come up on port $p (try $try)" >&2
    done
    tail -n 20 "$dir/node.$k.log" >&2
    return 1
}

# The nginx main file: scripts/nginx-mlpd.conf with this cluster's ports.
write_nginx_conf() {
    local front=$1 k servers="" temp=""
    for ((k = 1; k <= nodes; k++)); do
        servers+="    server 127.0.0.1:$(cat "$dir/node.$k.port") max_fails=1 fail_timeout=2s;"$'\n'
    done
    if [ "$(id -u)" = 0 ]; then
        # Debian's temp paths (/var/lib/nginx) belong to www-data.
        temp="user www-data;"
    else
        mkdir -p "$dir/nginx-tmp"
        temp="# not root: temp files in DIR"
    fi
    {
        echo "$temp"
        echo "daemon off;"
        echo "worker_processes 1;"
        echo "pid $dir/nginx.pid.nginx;"
        echo "error_log $dir/nginx-error.log warn;"
        echo "events { worker_connections 1024; }"
        echo "http {"
        echo "    access_log $dir/nginx-access.log;"
        if [ "$(id -u)" != 0 ]; then
            for t in client_body proxy fastcgi uwsgi scgi; do
                echo "    ${t}_temp_path $dir/nginx-tmp/$t;"
            done
        fi
        # The upstream's server lines and the listen line are replaced.
        awk -v servers="$servers" -v listen="    listen 127.0.0.1:$front;" '
            /# cluster.sh: nodes/ { print; printf "%s", servers; skip = 1; next }
            skip && /^[ \t]*server 127/ { next }
            { skip = 0 }
            /# cluster.sh: listen/ { print; print listen; getline; next }
            { print "    " $0 }' "$here/nginx-mlpd.conf"
        echo "}"
    } >"$dir/nginx.conf"
}

start() {
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if alive "$dir/nginx.pid" || alive "$dir/node.1.pid"; then
        echo "cluster.sh: a cluster already runs in $dir" >&2
        exit 1
    fi
    [ -x "$bin" ] || { echo "cluster.sh: no daemon at $bin (make build/mlpd)" >&2; exit 1; }
    local conninfo=$db t0 k
    t0=$(date +%s%3N)
    if [ -z "$conninfo" ]; then
        conninfo=$(sh "$here/pg-cluster.sh" start "$dir/pg")
    fi
    echo "$conninfo" >"$dir/conninfo"
    start_node 1 "$conninfo" || { stop; exit 1; }
    local waiting=() ok=1
    for ((k = 2; k <= nodes; k++)); do
        start_node "$k" "$conninfo" </dev/null &
        waiting+=($!)
    done
    for k in "${waiting[@]}"; do wait "$k" || ok=0; done
    [ "$ok" = 1 ] || { stop; exit 1; }
    [ -n "$port" ] || port=$(free_port)
    write_nginx_conf "$port"
    nginx -t -q -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/nginx-error.log" || {
        cat "$dir/nginx-error.log" >&2
        stop
        exit 1
    }
    nginx -c "$dir/nginx.conf" -p "$dir" </dev/null >>"$dir/nginx-error.log" 2>&1 &
    echo $! >"$dir/nginx.pid"
    if ! wait_http "http://127.0.0.1:$port/v2/health/ready" 10; then
        echo "cluster.sh: nginx did not answer on port $port" >&2
        cat "$dir/nginx-error.log" >&2
        stop
        exit 1
    fi
    echo "http://127.0.0.1:$port" >"$dir/front.url"
    echo "cluster.sh: $nodes nodes behind http://127.0.0.1:$port in" \
        "$(($(date +%s%3N) - t0)) ms" >&2
    echo "http://127.0.0.1:$port"
}

stop() {
    local f
    # nginx quits gracefully on SIGQUIT; the nodes finish on SIGTERM.
    stop_pid "$dir/nginx.pid" QUIT
    for f in "$dir"/node.*.pid; do
        [ -e "$f" ] && stop_pid "$f" TERM
    done
    if [ -d "$dir/pg" ]; then
        sh "$here/pg-cluster.sh" stop "$dir/pg" --rm
    fi
    rm -f "$dir/front.url" "$dir/conninfo"
}

status() {
    local f rc=0
    for f in "$dir"/nginx.pid "$dir"/node.*.pid; do
        [ -e "$f" ] || continue
        if alive "$f"; then echo "running: $(basename "$f" .pid) $(cat "$f")"; else echo "dead: $(basename "$f" .pid)"; rc=1; fi
    done
    if [ -d "$dir/pg" ]; then sh "$here/pg-cluster.sh" status "$dir/pg" || rc=1; fi
    return $rc
}

case $cmd in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
