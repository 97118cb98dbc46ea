#!/usr/bin/env bash
# KServe v2 (Open Inference Protocol) and TensorFlow Serving routes of a
# live daemon with --auth token: answers validated against
# tests/kserve_v2.schema.json, v2 infer equal to predict, errors as
# {"error": "text"}, access as for predict (tests/e2e/serving_protocols.mjs).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

if [ ! -d node_modules/openapi-backend ]; then
    echo "  (node_modules missing: npm ci)"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null || exit 2
fi
TA=$("$MLPD_BIN" --db "$MLPD_DB" user add alice | awk '{print $NF}')
TB=$("$MLPD_BIN" --db "$MLPD_DB" user add bob | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --anon-rate-limit 0
REQ_HEADERS=(-H "Authorization: Bearer $TA")
echo "== models ($MLPD_URL)"
M=$(create_model) || exit 1
req PUT "/v1/models/$M/weights" "$LECTURE_WEIGHTS"
check "the worked example's weights are version 2" "s == 200 and j['version'] == 2"
P=$(create_model '{"name":"public","inputs":2,"layers":[{"units":2,"activation":"tanh"},{"units":1,"activation":"sigmoid"}],"public_predict":true}') || exit 1
F=$(create_model '{"name":"wide-float","inputs":2,"dtype":"float32","layers":[{"units":16,"activation":"tanh"},{"units":3,"activation":"linear"}]}') || exit 1
MLPD_URL=$MLPD_URL TOKEN_A=$TA TOKEN_B=$TB MODEL=$M PUBLIC=$P F32MODEL=$F node tests/e2e/serving_protocols.mjs
rc=$?
if [ "$rc" -eq 0 ]; then note_pass "serving_protocols.mjs"; else note_fail "serving_protocols.mjs (exit $rc)"; fi
finish
