#!/usr/bin/env bash
# Live responses of every route validated against openapi.yaml's schemas
# (tests/e2e/openapi_live.mjs, with the pinned npm openapi-backend).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

if [ ! -d node_modules/openapi-backend ]; then
    echo "  (node_modules missing: npm ci)"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null || exit 2
fi
start_daemon
echo "== every operation of openapi.yaml against $MLPD_URL"
MLPD_URL=$MLPD_URL node tests/e2e/openapi_live.mjs
