#!/usr/bin/env bash
# The lab page's class datasets and per-unit maps in a real browser:
# tests/browser/datasets.mjs drives Debian's chromium with the pinned npm
# playwright-core against a daemon with --auth token on a free port, a
# teacher (admin) and a student. The teacher's dataset (two classes, a
# circle) is made and shared here with curl. Screenshots:
# build/lab-datasets-*.png, build/lab-maps-*.png.
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
TT=$("$MLPD_BIN" --db "$MLPD_DB" user add teacher --admin | awk '{print $NF}')
TA=$("$MLPD_BIN" --db "$MLPD_DB" user add ana | awk '{print $NF}')
start_daemon --auth token --rate-limit 0
python3 - >"$E2E_TMP/circle.csv" <<'PY'
import math, random
rnd = random.Random(7)
print("x1,x2,where")
for i in range(240):
    r = rnd.uniform(0, 0.9) if i % 2 else rnd.uniform(1.3, 2.0)
    a = rnd.uniform(0, 2 * math.pi)
    print("%.4f,%.4f,%s" % (r * math.cos(a), r * math.sin(a), "inside" if i % 2 else "outside"))
PY
REQ_HEADERS=(-H "Authorization: Bearer $TT")
req POST "/v1/datasets?name=circle&test_fraction=0.25&seed=4&visibility=class" "@$E2E_TMP/circle.csv" text/csv
check_status "the teacher shares a dataset" 201
DS=$(jget 'j["id"]')
echo "== class datasets and per-unit maps in chromium against $MLPD_URL"
MLPD_URL=$MLPD_URL LAB_SHOTS=${LAB_SHOTS:-build} STUDENT_TOKEN=$TA TEACHER_TOKEN=$TT DATASET_ID=$DS \
    timeout 270 node tests/browser/datasets.mjs || E2E_FAIL=$((E2E_FAIL + 1))
finish
