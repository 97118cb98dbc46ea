#!/usr/bin/env bash
# bench/browser/compare.sh - the two ways to drive Debian's chromium for the
# lab page's tests, on the same task against one daemon: the pinned npm
# playwright-core (tests/browser/lab.mjs uses it) and Debian's
# python3-selenium + chromium-driver (apt-get install them first). Each
# runs RUNS times, alternating; prints each run's phases and the whole
# process's wall time (interpreter start-up included).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
RUNS=${RUNS:-5}
start_daemon
for i in $(seq 1 "$RUNS"); do
    for tool in playwright selenium; do
        s=$(date +%s%N)
        if [ $tool = playwright ]; then out=$(MLPD_URL=$MLPD_URL node bench/browser/drive_playwright.mjs 2>&1)
        else out=$(MLPD_URL=$MLPD_URL /usr/bin/python3 bench/browser/drive_selenium.py 2>&1); fi
        echo "run $i $out; process $(( ($(date +%s%N) - s) / 1000000 )) ms"
    done
done
