#!/usr/bin/env bash
# The ONNX demo page in a real browser: tests/browser/onnx.mjs drives
# Debian's chromium with the pinned npm playwright-core: onnxruntime-web,
# served by mlpd, runs the exported model in the page and matches predict
# (1e-5 float32, 1e-12 float64), also offline; the lab page's Download ONNX.
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
echo "== the ONNX demo page in chromium against $MLPD_URL"
MLPD_URL=$MLPD_URL timeout 260 node tests/browser/onnx.mjs
rc=$?
if [ "$rc" -eq 0 ]; then note_pass "tests/browser/onnx.mjs"; else note_fail "tests/browser/onnx.mjs (exit $rc)"; fi
finish
