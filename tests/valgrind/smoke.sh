#!/usr/bin/env bash
# valgrind/smoke.sh - the daemon under valgrind (memcheck, full leak
# check) through an API smoke test of every endpoint, good and bad
# requests, then SIGTERM. Pass: every answer as expected, and valgrind
# reports 0 errors and 0 definite or indirect leaks (its exit status,
# --error-exitcode=1). Run by `make valgrind` (part of `make test`).
# Not in tests/e2e/ because it needs valgrind and takes its own time.
source "$(dirname "$0")/../e2e/lib.bash"

VG_LOG="$E2E_TMP/valgrind.log"
MLPD_PORT=$(free_port)
MLPD_URL="http://127.0.0.1:$MLPD_PORT"
valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --num-callers=30 --log-file="$VG_LOG" \
    "$MLPD_BIN" --bind 127.0.0.1 --port "$MLPD_PORT" --db "$MLPD_DB" --threads 2 \
    >>"$E2E_TMP/mlpd.log" 2>&1 &
MLPD_PID=$!
for i in $(seq 1 600); do
    curl -s -o /dev/null --max-time 2 "$MLPD_URL/healthz" && break
    kill -0 "$MLPD_PID" 2>/dev/null || break
    sleep 0.1
done
req GET /healthz
check_status "daemon up under valgrind" 200

ID=$(create_model) || { cat "$VG_LOG"; exit 1; }
req PUT "/v1/models/$ID/weights" "$LECTURE_WEIGHTS";  check_status "PUT weights" 200
req GET "/v1/models/$ID/weights";                     check_status "GET weights" 200
req POST "/v1/models/$ID/samples" '{"samples":[{"x":[0,0],"y":[0]},{"x":[0,1],"y":[1]}]}'
check_status "POST samples (pairs)" 201
req POST "/v1/models/$ID/samples" '{"inputs":[[1,0],[1,1]],"targets":[[1],[0]]}'
check_status "POST samples (columns)" 201
req POST "/v1/models/$ID/samples" $'x1,x2,y\n0.5,0.5,1\n' text/csv
check_status "POST samples (csv)" 201
req GET "/v1/models/$ID/samples?offset=1&limit=2";    check_status "GET samples page" 200
req POST "/v1/models/$ID/train?wait=true" '{"epochs":20,"learning_rate":0.5,"optimizer":"adam","batch_size":2,"validation_split":0.2}'
check "train" "s in (200, 202) and j['status'] in ('queued', 'running', 'succeeded')"
JOB=$(jget 'j["id"]')
for i in $(seq 1 100); do
    req GET "/v1/jobs/$JOB"
    [ "$(jget 'j["status"]')" = succeeded ] && break
    sleep 0.2
done
check "job succeeded" "j['status'] == 'succeeded'"
req GET "/v1/models/$ID/jobs";                        check_status "GET jobs" 200
req GET "/v1/models/$ID/history";                     check_status "GET history" 200
req GET "/v1/models/$ID/versions";                    check_status "GET versions" 200
req POST "/v1/models/$ID/versions/1/restore";         check "restore" "s in (200, 201)"
req GET "/v1/models/$ID/weights?version=1";           check_status "GET weights?version=1" 200
req POST "/v1/models/$ID/predict" '{"inputs":[[0.5,-1],[0,0]]}'; check_status "predict" 200
req POST "/v1/models/$ID:predict" '{"instances":[[0.5,-1]]}';   check_status "predict (v1 shape)" 200
req POST "/v1/models/$ID/step" '{"x":[0.5,-1],"y":[1],"learning_rate":0.5,"check":true}'
check_status "step with gradient check" 200
req GET "/v1/models/$ID";                             check_status "GET model" 200
req GET /v1/models;                                   check_status "GET models" 200
req GET /metrics;                                     check "metrics" "s == 200"
req GET /openapi.yaml;                                check "openapi" "s == 200"
req POST /v1/models '{"name":"x","inputs":01}';       check_error "bad number" 400 invalid_json
req POST /v1/models '[[[[[[[[[[1]]]]]]]]]]';          check_error "too deep" 400 too_deep
req POST "/v1/models/$ID/predict" '{"inputs":[[1e999,1]]}'; check "1e999" "s == 400"
req POST "/v1/models/$ID/samples" $'1,2\n' text/csv;  check_error "short csv row" 400 invalid_csv
req GET /v1/models/0000000000000000;                  check_error "unknown model" 404 not_found
req PATCH /v1/models;                                 check_error "bad method" 405 method_not_allowed
req DELETE "/v1/models/$ID/samples";                  check "DELETE samples" "s in (200, 204)"
req DELETE "/v1/models/$ID";                          check "DELETE model" "s in (200, 204)"

stop_daemon
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$VG_LOG" | tail -1)
definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$VG_LOG" | tail -1)
indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$VG_LOG" | tail -1)
echo "figures: valgrind memcheck over $((E2E_PASS + E2E_FAIL)) API checks: ${errors:-?} errors," \
     "definitely lost ${definite:-0} bytes, indirectly lost ${indirect:-0} bytes"
if [ "${errors:-1}" -eq 0 ]; then note_pass "valgrind: 0 errors, no definite or indirect leaks"
else note_fail "valgrind found problems:"; grep -E '^==[0-9]+== (Invalid|Conditional|Use of|.*definitely|.*indirectly|   (at|by))' "$VG_LOG" | head -60; fi
finish
