#!/usr/bin/env bash
# The BLAS kernel choice at start (server/util/blas_select.c): the start-up
# line and /metrics name the kernel; when the library falls back below what
# the CPU runs (simulated with MLPD_TEST_BLAS_CORE=Prescott, what OpenBLAS
# 0.3.21 picks on Emerald Rapids), mlpd re-executes itself with
# OPENBLAS_CORETYPE set to the best safe family; a user's OPENBLAS_CORETYPE
# is kept.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

# blas_info: the mlpd_blas_info labels of /metrics as JSON in $BODY_FILE.
blas_info() {
    curl -s --max-time 10 "$MLPD_URL/metrics" | python3 -c '
import json, re, sys
for line in sys.stdin:
    if line.startswith("mlpd_blas_info{"):
        print(json.dumps(dict(re.findall(r"(\w+)=\"([^\"]*)\"", line))))
        break
else:
    print("{}")' >"$BODY_FILE"
    STATUS=200
    : >"$HDR_FILE"
}

unset OPENBLAS_CORETYPE MLPD_BLAS_FELL_BACK MLPD_TEST_BLAS_CORE
echo "== as the machine is"
start_daemon
blas_info
check "/metrics names the library and the kernel" \
    "j.get('library', '').startswith('OpenBLAS') and j['kernel'] != '' and j['best'] != ''"
check "chosen by the library, or by mlpd when the library fell back" \
    "j['chosen_by'] == 'library' or (j['chosen_by'] == 'mlpd' and j['kernel'] == j['best'])"
if grep -q "^mlpd: blas OpenBLAS.*, kernel $(jget "j['kernel']") " "$E2E_TMP/mlpd.log"; then
    note_pass "the start-up line names it"
else
    note_fail "the start-up line names it"
fi
echo "  ($(grep '^mlpd: blas' "$E2E_TMP/mlpd.log"))"
BEST=$(jget "j['best']")
stop_daemon

echo "== the library fell back to Prescott"
: >"$E2E_TMP/mlpd.log"
export MLPD_TEST_BLAS_CORE=Prescott
start_daemon
blas_info
check "mlpd set the best family for this CPU ($BEST)" \
    "j['chosen_by'] == 'mlpd' and j['fell_back'] == 'Prescott' and j['kernel'] == '$BEST'"
if grep -q "^mlpd: blas .*kernel $BEST (set by mlpd: the library chose Prescott" "$E2E_TMP/mlpd.log"; then
    note_pass "the start-up line says mlpd set it"
else
    note_fail "the start-up line says mlpd set it"
fi
echo "  ($(grep '^mlpd: blas' "$E2E_TMP/mlpd.log"))"
req GET /healthz
check_status "the re-executed daemon serves" 200
stop_daemon

echo "== the user set OPENBLAS_CORETYPE"
: >"$E2E_TMP/mlpd.log"
export OPENBLAS_CORETYPE=Sandybridge
start_daemon
blas_info
check "it is kept, even when the library would have fallen back" \
    "j['chosen_by'] == 'user' and j['kernel'] == 'Sandybridge' and j['fell_back'] == ''"
stop_daemon
unset OPENBLAS_CORETYPE MLPD_TEST_BLAS_CORE
finish
