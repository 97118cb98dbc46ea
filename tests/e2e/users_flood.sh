#!/usr/bin/env bash
# One user floods predict for 5 s from 3 processes; another user's predict
# latency (median of sequential requests) during the flood stays within 2x
# of the same measure while idle, because the flooder is held to the
# per-user rate (429 at once, cheaply). Prints both medians.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

TE=$("$MLPD_BIN" --db "$MLPD_DB" user add eve | awk '{print $NF}')
TF=$("$MLPD_BIN" --db "$MLPD_DB" user add frank | awk '{print $NF}')
start_daemon --auth token
REQ_HEADERS=(-H "Authorization: Bearer $TE")
ME=$(create_model) || exit 1
REQ_HEADERS=(-H "Authorization: Bearer $TF")
MF=$(create_model) || exit 1
echo "== eve floods, frank predicts ($MLPD_URL)"
timeout 60 python3 tests/e2e/users_flood.py "$MLPD_URL" "$TE" "$ME" "$TF" "$MF" 5 >"$BODY_FILE"
rc=$?
tail -n 1 "$BODY_FILE"
STATUS=200
tail -n 1 "$BODY_FILE" >"$E2E_TMP/last" && cp "$E2E_TMP/last" "$BODY_FILE"
check "the flood client finished (rc $rc)" "$rc == 0 and isinstance(j, dict)"
check "eve was held to her rate: most of her requests got 429, none failed" "j['flood'].get('429', 0) > j['flood'].get('200', 0) and 'error' not in j['flood'] and set(j['flood']) <= {'200', '429'}"
check "frank's median predict latency under the flood is within 2x of idle" "j['flooded_median_ms'] <= 2 * j['idle_median_ms']"
finish
