#!/usr/bin/env bash
# --worker-nice N: the job worker threads (and only they) run N nicer
# than the daemon (capped at 19), so request threads preempt training;
# without it every thread keeps the daemon's own nice (BASE: the test may
# itself run niced).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

# nices: the nice value of every thread of the daemon, sorted, one line.
nices() {
    for t in /proc/"$MLPD_PID"/task/*; do
        # field 19 of stat, after the parenthesised command name
        sed 's/.*) //' "$t/stat" | awk '{print $17}'
    done | sort -n | tr '\n' ' '
}

BASE=$(sed 's/.*) //' /proc/self/stat | awk '{print $17}')
WANT=$((BASE + 7 > 19 ? 19 : BASE + 7))
start_daemon --workers 3 --worker-nice 7
N=$(nices)
echo "  (thread nice values: $N)"
if [ "$(echo "$N" | tr ' ' '\n' | grep -c "^$WANT\$")" -ge 3 ]; then
    note_pass "the three workers run at nice $WANT"
else
    note_fail "the three workers run at nice $WANT (got: $N)"
fi
if echo "$N" | tr ' ' '\n' | grep -q "^$BASE\$"; then
    note_pass "the other threads stay at $BASE"
else
    note_fail "the other threads stay at $BASE (got: $N)"
fi
req GET /healthz
check_status "serves" 200
stop_daemon
start_daemon --workers 2
N=$(nices)
if [ -z "$(echo "$N" | tr ' ' '\n' | grep -v "^$BASE\$" | grep -v '^$')" ]; then
    note_pass "without the flag every thread is at nice $BASE"
else
    note_fail "without the flag every thread is at nice $BASE (got: $N)"
fi
stop_daemon
finish
