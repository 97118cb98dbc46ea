#!/usr/bin/env bash
# The lab page in a real browser: tests/browser/lab.mjs drives Debian's
# chromium with the pinned npm playwright-core against a daemon on a free
# port with a temp DB. Screenshots: build/lab-desktop.png, build/lab-phone.png.
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
echo "== the lab page in chromium against $MLPD_URL"
MLPD_URL=$MLPD_URL LAB_SHOTS=${LAB_SHOTS:-build} timeout 330 node tests/browser/lab.mjs
