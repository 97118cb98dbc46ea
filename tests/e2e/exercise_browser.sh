#!/usr/bin/env bash
# The lab page's exercise mode in a real browser: tests/browser/exercise.mjs
# drives Debian's chromium with the pinned npm playwright-core against a
# daemon on a free port with a temp DB. Screenshots:
# build/lab-exercise-desktop.png, build/lab-exercise-phone.png.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

if [ ! -x /usr/bin/chromium ]; then
    echo "  FAIL  /usr/bin/chromium is missing: run 'make browser-deps' (apt-get install chromium)"
    exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
    echo "  (node_modules missing: npm ci)"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null || exit 2
fi
start_daemon
echo "== the exercise mode in chromium against $MLPD_URL"
MLPD_URL=$MLPD_URL LAB_SHOTS=${LAB_SHOTS:-build} timeout 230 node tests/browser/exercise.mjs
