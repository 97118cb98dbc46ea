#!/usr/bin/env bash
# Jobs under concurrency (also run against the ThreadSanitizer daemon by
# `make tsan`): two workers publishing a checkpoint every epoch while
# predict loops read the same models, a client polls live job state and
# posts samples, jobs are cancelled and a model is deleted while it
# trains; then SIGTERM with a job running. Every answer must be one the
# API documents (no 5xx), the daemon must stay up and exit 0.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
. tests/e2e/jobs_lib.bash

start_daemon --workers 2 --checkpoint-epochs 1 --checkpoint-seconds 0
echo "== three models ($MLPD_URL)"
A=$(create_model) || exit 1
add_samples "$A" 300 1 || exit 1
B=$(create_model "$WIDE_MODEL") || exit 1
add_samples "$B" 200 2 || exit 1
C=$(create_model "$WIDE_MODEL") || exit 1
add_samples "$C" 200 3 || exit 1

CODES="$E2E_TMP/codes"
: >"$CODES"
# hit METHOD PATH [BODY]: one request, its status appended to $CODES
hit() {
    local args=(-s -o /dev/null -w '%{http_code}\n' --max-time 30 -X "$1")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "$MLPD_URL$2" >>"$CODES"
}
DEADLINE=$((SECONDS + 12))
predict_loop() {
    while [ $SECONDS -lt $DEADLINE ]; do
        hit POST "/v1/models/$1/predict" '{"inputs":[[0.5,-1],[1,2]]}'
    done
}
predict_loop "$A" &
P1=$!
predict_loop "$B" &
P2=$!

echo "== train, poll, post samples, cancel, delete while training"
JOB_IDS="$E2E_TMP/jobs"
: >"$JOB_IDS"
(
    while [ $SECONDS -lt $DEADLINE ]; do
        curl -s --max-time 60 -H 'Content-Type: application/json' --data-binary '{"epochs":20}' \
            "$MLPD_URL/v1/models/$A/train?wait=true" >/dev/null
        hit POST "/v1/models/$A/samples" '{"samples":[{"x":[0.1,0.2],"y":[0.3]}]}'
        hit GET "/v1/models/$A/history"
    done
) &
T1=$!
for round in 1 2 3; do
    req POST "/v1/models/$B/train" '{"epochs":5000,"learning_rate":0.01}'
    check "train B (round $round)" "s == 202"
    JB=$(jget 'j["id"]')
    for k in 1 2 3 4 5; do
        hit GET "/v1/jobs/$JB"
        hit GET "/v1/models/$B/jobs"
        sleep 0.1
    done
    req DELETE "/v1/jobs/$JB"
    check "cancel B (round $round)" "s in (200, 202) and j['status'] in ('cancelled', 'running', 'succeeded')"
    wait_job "$JB" "j['status'] != 'running'" 60
done
req POST "/v1/models/$C/train" '{"epochs":5000,"learning_rate":0.01}'
JC=$(jget 'j["id"]')
wait_job "$JC" "j['status'] == 'running' and j['epoch'] >= 2" 60
req DELETE "/v1/models/$C"
check_status "delete C while it trains" 200
req GET "/v1/jobs/$JC"
check_error "C's job is gone" 404 not_found
wait "$P1" "$P2" "$T1"
check "every answer was 2xx or 409 ($(sort "$CODES" | uniq -c | tr '\n' ' '))" \
    "all(c in ('200', '201', '202', '409') for c in open('$CODES').read().split()) and len(open('$CODES').read().split()) > 20"

echo "== SIGTERM while a job trains"
req POST "/v1/models/$B/train" '{"epochs":5000,"learning_rate":0.01}'
JS=$(jget 'j["id"]')
wait_job "$JS" "j['status'] == 'running' and j['epoch'] >= 1" 60
hit POST "/v1/models/$B/predict" '{"inputs":[[0.5,-1]]}'
stop_daemon
start_daemon
req GET "/v1/jobs/$JS"
check "the job was interrupted by the shutdown" "j['status'] == 'failed' and j['stop_reason'] == 'interrupted'"
stop_daemon
finish
