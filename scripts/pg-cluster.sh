#!/bin/sh
# pg-cluster.sh start|stop|status|conninfo DIR [--tcp PORT] [--rm]
#
# A throwaway PostgreSQL cluster for tests and for scripts/cluster.sh,
# from Debian's postgresql package (15 on bookworm; the newest installed
# major is taken). Nothing of the system's own clusters is touched.
#
#   start DIR      initdb -N into DIR/data (DIR is created when missing),
#                  start it, create the database "mlpd", print the libpq
#                  conninfo on stdout (also kept in DIR/conninfo).
#                  About 1.3-2.3 s (initdb -N skips its fsyncs; the server
#                  itself runs with fsync on, so durability tests mean it).
#   stop DIR       pg_ctl stop -m fast, then checks with pg_ctl status that
#                  it is really down (exit 1 if not); --rm also removes DIR.
#   status DIR     pg_ctl status: 0 running, 3 not running, 4 no cluster.
#   conninfo DIR   print the conninfo of a started cluster.
#
# The server listens only on a Unix socket in a short directory under /tmp
# (mode 0700, owned by the server's user: socket paths are limited to 107
# bytes, so it cannot live under a deep DIR), or with --tcp PORT on
# 127.0.0.1:PORT too. Local connections are trusted (the socket directory
# is the fence). idle_in_transaction_session_timeout (5 s) is below the
# default job lease (--lease-ms 10000): a node frozen inside a transaction
# loses its locks before its lease is re-claimed.
#
# initdb refuses to run as root: as root the cluster belongs to the user
# postgres (runuser); as anyone else, to that user.
set -eu

usage() {
    echo "usage: pg-cluster.sh start|stop|status|conninfo DIR [--tcp PORT] [--rm]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2
tcp="" rm_after=0
while [ $# -gt 0 ]; do
    case $1 in
    --tcp) [ $# -ge 2 ] || usage; tcp=$2; shift ;;
    --rm) rm_after=1 ;;
    *) usage ;;
    esac
    shift
done

bindir=""
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && bindir=$d # the glob sorts 15 before 16: the last wins
done
[ -n "$bindir" ] || {
    echo "pg-cluster.sh: no PostgreSQL server (apt-get install postgresql)" >&2
    exit 1
}

if [ "$(id -u)" = 0 ]; then
    owner=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi

data=$dir/data
pgctl() { as_owner "$bindir/pg_ctl" -D "$data" "$@"; }

status() {
    [ -f "$data/PG_VERSION" ] || return 4
    rc=0
    pgctl status >/dev/null 2>&1 || rc=$?
    return $rc
}

start() {
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    data=$dir/data
    if status; then
        echo "pg-cluster.sh: a cluster already runs in $data" >&2
        exit 1
    fi
    fresh=0
    if [ ! -f "$data/PG_VERSION" ]; then
        fresh=1
        mkdir -p "$data"
        chown "$owner" "$data"
        chmod 0700 "$data"
        as_owner test -w "$data" || {
            echo "pg-cluster.sh: $owner cannot reach $data (a parent directory is closed)" >&2
            exit 1
        }
        as_owner "$bindir/initdb" -N -D "$data" -U postgres -A trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    fi
    sock=$(mktemp -d /tmp/mlpd-pg.XXXXXX)
    chown "$owner" "$sock"
    chmod 0700 "$sock"
    echo "$sock" >"$dir/socketdir"
    listen=""
    [ -n "$tcp" ] && listen=127.0.0.1
    port=${tcp:-5432}
    # The settings of a test cluster; a later line wins over postgresql.conf.
    cat >"$data/mlpd.conf" <<EOF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$sock'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
shared_buffers = 32MB
idle_in_transaction_session_timeout = '5s'
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
    chown "$owner" "$data/mlpd.conf"
    grep -q "^include_if_exists = 'mlpd.conf'" "$data/postgresql.conf" ||
        echo "include_if_exists = 'mlpd.conf'" >>"$data/postgresql.conf"
    : >"$dir/server.log"
    chown "$owner" "$dir/server.log"
    pgctl -l "$dir/server.log" -w -t 30 start >/dev/null || {
        cat "$dir/server.log" >&2
        exit 1
    }
    # A cluster started again keeps its database (restart tests).
    [ "$fresh" = 0 ] || as_owner "$bindir/createdb" -h "$sock" -p "$port" -U postgres mlpd
    conninfo="host=$sock port=$port user=postgres dbname=mlpd"
    echo "$conninfo" >"$dir/conninfo"
    echo "$conninfo"
}

stop() {
    if [ -f "$data/PG_VERSION" ] && status; then
        pgctl -m fast -w -t 30 stop >/dev/null
    fi
    rc=0
    status || rc=$?
    if [ "$rc" = 0 ]; then
        echo "pg-cluster.sh: the cluster in $data still runs after pg_ctl stop" >&2
        exit 1
    fi
    if [ -f "$dir/socketdir" ]; then
        sock=$(cat "$dir/socketdir")
        case $sock in /tmp/mlpd-pg.*) rm -rf "$sock" ;; esac
        rm -f "$dir/socketdir" "$dir/conninfo"
    fi
    if [ "$rm_after" = 1 ]; then rm -rf "$dir"; fi
}

case $cmd in
start) start ;;
stop) stop ;;
status)
    rc=0
    status || rc=$?
    case $rc in
    0) echo "running: $data" ;;
    3) echo "stopped: $data" ;;
    *) echo "no cluster: $data" ;;
    esac
    exit $rc
    ;;
conninfo)
    [ -f "$dir/conninfo" ] || { echo "pg-cluster.sh: no started cluster in $dir" >&2; exit 1; }
    cat "$dir/conninfo"
    ;;
*) usage ;;
esac
