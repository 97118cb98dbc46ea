#!/bin/sh
# pg-cluster.sh start|stop|status|conninfo DIR [--tcp PORT] [--rm]
#
# A throwaway PostgreSQL cluster for tests and for scripts/cluster.sh,
# from Debian's postgresql package (15 on bookworm; the newest installed
# major is taken). Nothing of the system's own clusters is touched.
#
#   start DIR      initdb -N (DIR is created when missing), start it,
#                  create the database "mlpd", print the libpq conninfo on
#                  stdout (also kept in DIR/conninfo). About 1.3-2.3 s on
#                  an idle machine (initdb -N skips its fsyncs; the server
#                  itself runs with fsync on, so durability tests mean it).
#                  Started again after a stop, the cluster keeps its data.
#   stop DIR       pg_ctl stop -m fast, then checks with pg_ctl status that
#                  it is really down (exit 1 if not); --rm also removes the
#                  cluster and DIR.
#   status DIR     pg_ctl status: 0 running, 3 not running, 4 no cluster.
#   conninfo DIR   print the conninfo of a started cluster.
#
# The cluster itself (data, socket, server.log) lives in a directory of
# its own under /tmp (/tmp/mlpd-pg.XXXXXX, mode 0700, owned by the
# server's user), named in DIR/pgdir: socket paths are limited to 107
# bytes, and the server's user must reach its files whoever owns DIR (a
# test's mktemp directory is root's, mode 0700). The server listens only on
# that socket, or with --tcp PORT on 127.0.0.1:PORT too. Local connections
# are trusted (the 0700 directory is the fence; --tcp trusts 127.0.0.1).
# idle_in_transaction_session_timeout (5 s) is below the default job lease
# (--lease-ms 10000): a node frozen inside a transaction loses its locks
# before its lease is re-claimed.
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

# The cluster's own directory, once start has made it.
home=""
[ -f "$dir/pgdir" ] && home=$(cat "$dir/pgdir")
case $home in /tmp/mlpd-pg.*) ;; *) home="" ;; esac
data=$home/data
pgctl() { as_owner "$bindir/pg_ctl" -D "$data" "$@"; }

status() {
    [ -n "$home" ] && [ -f "$data/PG_VERSION" ] || return 4
    rc=0
    pgctl status >/dev/null 2>&1 || rc=$?
    return $rc
}

start() {
    if status; then
        echo "pg-cluster.sh: a cluster already runs in $data" >&2
        exit 1
    fi
    mkdir -p "$dir"
    fresh=0
    if [ -z "$home" ] || [ ! -f "$data/PG_VERSION" ]; then
        fresh=1
        home=$(mktemp -d /tmp/mlpd-pg.XXXXXX)
        data=$home/data
        chown "$owner" "$home"
        chmod 0700 "$home"
        echo "$home" >"$dir/pgdir"
        as_owner "$bindir/initdb" -N -D "$data" -U postgres -A trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    fi
    listen=""
    [ -n "$tcp" ] && listen=127.0.0.1
    port=${tcp:-5432}
    # The settings of a test cluster, read after postgresql.conf.
    as_owner tee "$data/mlpd.conf" >/dev/null <<EOF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$home'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
shared_buffers = 32MB
idle_in_transaction_session_timeout = '5s'
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
    grep -q "^include_if_exists = 'mlpd.conf'" "$data/postgresql.conf" ||
        echo "include_if_exists = 'mlpd.conf'" | as_owner tee -a "$data/postgresql.conf" >/dev/null
    pgctl -l "$home/server.log" -w -t 30 start >/dev/null || {
        cat "$home/server.log" >&2
        exit 1
    }
    # A cluster started again keeps its database (restart tests).
    [ "$fresh" = 0 ] || as_owner "$bindir/createdb" -h "$home" -p "$port" -U postgres mlpd
    conninfo="host=$home port=$port user=postgres dbname=mlpd"
    echo "$conninfo" >"$dir/conninfo"
    echo "$conninfo"
}

stop() {
    if status; then
        pgctl -m fast -w -t 30 stop >/dev/null
    fi
    rc=0
    status || rc=$?
    if [ "$rc" = 0 ]; then
        echo "pg-cluster.sh: the cluster in $data still runs after pg_ctl stop" >&2
        exit 1
    fi
    rm -f "$dir/conninfo"
    if [ "$rm_after" = 1 ]; then
        [ -z "$home" ] || rm -rf "$home"
        rm -rf "$dir"
    fi
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
    *) echo "no cluster in $dir" ;;
    esac
    exit $rc
    ;;
conninfo)
    [ -f "$dir/conninfo" ] || { echo "pg-cluster.sh: no started cluster in $dir" >&2; exit 1; }
    cat "$dir/conninfo"
    ;;
*) usage ;;
esac
