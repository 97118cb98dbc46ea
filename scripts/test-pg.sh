#!/usr/bin/env bash
# test-pg.sh [--unit BIN...] [--e2e SCRIPT...] [--multi SCRIPT...] - run tests against
# PostgreSQL (`make test-pg`): one throwaway cluster for the run
# (scripts/pg-cluster.sh in a temp directory), each unit binary with
# MLPD_TEST_PG set to a fresh database of its own, each e2e script with
# MLPD_E2E_PG (tests/e2e/lib.bash then gives its daemon a fresh database);
# the cluster is stopped at the end, checked with pg_ctl status (exit 1 if
# it still runs), and removed. Each --multi script (tests/multinode/)
# starts PostgreSQL, its nodes and nginx itself (scripts/cluster.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
units=() e2e=() multi=()
mode=""
for a in "$@"; do
    case $a in
    --unit) mode=unit ;;
    --e2e) mode=e2e ;;
    --multi) mode=multi ;;
    *) if [ "$mode" = unit ]; then units+=("$a"); elif [ "$mode" = e2e ]; then e2e+=("$a");
       elif [ "$mode" = multi ]; then multi+=("$a"); else
        echo "usage: test-pg.sh [--unit BIN...] [--e2e SCRIPT...]" >&2; exit 2; fi ;;
    esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-test-pg.XXXXXX")
cleanup() {
    local rc=0
    sh scripts/pg-cluster.sh stop "$tmp/pg" --rm || rc=1
    rm -rf "$tmp"
    return $rc
}
t0=$(date +%s%3N)
if ! base=$(sh scripts/pg-cluster.sh start "$tmp/pg"); then
    echo "test-pg: the cluster did not start" >&2
    rm -rf "$tmp"
    exit 1
fi
echo "== test-pg: cluster up in $(($(date +%s%3N) - t0)) ms ($base)"
# The conninfo without its dbname: each test names its own database.
server=${base% dbname=*}
n=0 fail=0
for b in "${units[@]}"; do
    echo "== $b (PostgreSQL)"
    n=$((n + 1))
    if ! psql "$base" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE t$n" >/dev/null; then
        fail=1
        continue
    fi
    MLPD_TEST_PG="$server dbname=t$n" "$b" || fail=1
done
for t in "${e2e[@]}"; do
    echo "== $t (PostgreSQL)"
    s=$(date +%s)
    MLPD_E2E_PG=$server MLPD_BIN=${MLPD_BIN:-build/mlpd} bash "$t" || fail=1
    echo "== $t (PostgreSQL): $(($(date +%s) - s)) s"
done
cleanup || fail=1
for t in "${multi[@]}"; do
    echo "== $t (3 nodes, nginx, PostgreSQL)"
    s=$(date +%s)
    MLPD_BIN=${MLPD_BIN:-build/mlpd} bash "$t" || fail=1
    echo "== $t: $(($(date +%s) - s)) s"
done
echo "== test-pg: $(($(date +%s%3N) - t0)) ms in all"
[ "$fail" = 0 ] && echo "test-pg: all passed"
exit $fail
