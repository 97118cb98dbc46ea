#!/usr/bin/env bash
# test-lanes.sh LOGDIR LANE... - the second stage of `make test`: run the
# lanes side by side, each a fixed sequence of make targets, and report.
#
# Each LANE is NAME|PREFIX|TARGET TARGET...: PREFIX runs before make (e.g.
# `nice -n 10`, or empty). A lane runs its targets one after the other
# with `$MAKE -j1` into LOGDIR/NAME.log and stops at its first failure
# (unless make runs with -k); the others go on. At the end every lane's
# log is printed, one after the other, then a table of each target's
# wall time and the CPU time (user + system) it and its children used,
# so that a slow `make test` tells where its minutes went. Exit 1 if any
# lane failed.
set -u
logdir=$1
shift
MAKE=${MAKE:-make}
keep_going=0
# make's single-letter flags come first in MAKEFLAGS, without a dash.
case ${MAKEFLAGS:-} in -*) ;; *k*) keep_going=1 ;; esac
mkdir -p "$logdir"
rm -f "$logdir"/*.log "$logdir"/*.rc "$logdir"/*.times

run_lane() {
    local name=$1 prefix=$2 targets=$3 t rc=0 s0 s1 cpu0 cpu1 tf
    local log=$logdir/$name.log times=$logdir/$name.times
    local start=$SECONDS
    tf=$(mktemp)
    for t in $targets; do
        s0=$(date +%s%N)
        # bash's `time` of the group goes to its stderr (tf), the target's
        # own output to the log
        TIMEFORMAT='%U %S'
        { time $prefix "$MAKE" -j1 --no-print-directory "$t" >>"$log" 2>&1; } 2>"$tf"
        rc=$?
        s1=$(date +%s%N)
        read -r u sy <"$tf"
        awk -v n="$name" -v t="$t" -v w="$(((s1 - s0) / 1000000))" -v u="${u:-0}" -v s="${sy:-0}" \
            -v rc="$rc" 'BEGIN { printf "%s %s %.0f %.0f %s\n", n, t, w / 1000, u + s, rc }' >>"$times"
        [ $rc = 0 ] || [ $keep_going = 1 ] || break
    done
    rm -f "$tf"
    # the lane's status: its first failure's, else 0
    rc=$(awk '$5 != 0 { print $5; exit }' "$times")
    echo "${rc:-0} $((SECONDS - start))" >"$logdir/$name.rc"
}

t0=$SECONDS
lanes=()
for spec in "$@"; do
    IFS='|' read -r name prefix targets <<<"$spec"
    lanes+=("$name")
    run_lane "$name" "$prefix" "$targets" &
done
wait

fail=0
for l in "${lanes[@]}"; do
    echo "==== lane $l: $logdir/$l.log"
    cat "$logdir/$l.log"
done
echo "==== where the time went (wall s, CPU s of the target and its children)"
printf '  %-8s %-26s %6s %6s\n' lane target wall cpu
cpu_all=0
for l in "${lanes[@]}"; do
    while read -r ln t w c rc; do
        printf '  %-8s %-26s %6s %6s%s\n' "$ln" "$t" "$w" "$c" "$([ "$rc" = 0 ] || echo "  FAILED ($rc)")"
        cpu_all=$((cpu_all + c))
    done <"$logdir/$l.times"
done
echo "  CPU time of all lanes: $cpu_all s on $(nproc) cores"
for l in "${lanes[@]}"; do
    read -r rc secs <"$logdir/$l.rc"
    if [ "$rc" = 0 ]; then
        echo "make test: lane $l passed in $secs s"
    else
        echo "make test: lane $l FAILED (exit $rc) after $secs s; see $logdir/$l.log"
        fail=1
    fi
done
echo "make test: $((SECONDS - t0)) s for the lanes"
[ $fail = 0 ] && echo "make test: all suites passed"
exit $fail
