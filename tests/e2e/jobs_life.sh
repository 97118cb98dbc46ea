#!/usr/bin/env bash
# A job's life through every state, with one worker: queued (behind
# another job) -> running (live epoch and losses move, predict answers and
# picks up checkpoints) -> succeeded; a queued job cancelled directly; a
# running one cancelled; 409 on a second train; every stop reason:
# epochs, target_loss, timeout (max_seconds), early_stopping (patience),
# diverged (failed with epoch and layer, weights as before the job).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
. tests/e2e/jobs_lib.bash

start_daemon --workers 1 --checkpoint-epochs 2 --checkpoint-seconds 0
echo "== a long job runs; a second model's job waits in the queue ($MLPD_URL)"
W=$(create_model "$WIDE_MODEL") || exit 1
add_samples "$W" 2000 1 || exit 1
L=$(create_model) || exit 1
add_samples "$L" 1000 2 || exit 1
req GET "/v1/models/$L/weights"
cp "$BODY_FILE" "$E2E_TMP/L-w0.json"

req POST "/v1/models/$W/train" '{"epochs":10000,"learning_rate":0.01}'
check_status "train the wide model" 202
check "202 body is the job, queued or running, with a Location" \
    "j['status'] in ('queued', 'running') and h['location'] == '/v1/jobs/' + j['id'] and j['epochs'] == 10000"
JW=$(jget 'j["id"]')
req POST "/v1/models/$W/train" '{"epochs":5}'
check_error "a second train on the same model" 409 conflict
req POST "/v1/models/$L/train" '{"epochs":2000,"learning_rate":0.1}'
check_status "train the lecture model" 202
JL=$(jget 'j["id"]')
check "it is queued behind the first (one worker)" "j['status'] == 'queued' and j['started_at'] is None and j['elapsed_seconds'] is None"
req POST "/v1/models/$L/train" '{"epochs":5}'
check_error "train while a job is queued" 409 conflict

wait_job "$JW" "j['status'] == 'running' and j['epoch'] >= 7" 60
check "the wide job runs, with live epoch, loss and estimates" \
    "j['status'] == 'running' and j['epoch'] >= 7 and j['loss'] > 0 and j['elapsed_seconds'] > 0 and j['eta_seconds'] > 0 and j['finished_at'] is None and j['stop_reason'] is None"
E1=$(jget 'j["epoch"]')
wait_job "$JW" "j['epoch'] > $E1" 30
check "the live epoch moves on" "j['epoch'] > $E1"
check "a checkpoint was published as the job's version" "isinstance(j['version'], int) and j['version'] >= 2"
CK=$(jget 'j["version"]')
req POST "/v1/models/$W/predict" '{"inputs":[[0.5,-1]]}'
check "predict answers while the job runs, from a checkpoint" "s == 200 and j['version'] >= $CK"
req GET "/v1/models/$W/versions"
check "checkpoints are versions with source checkpoint" "all(v['source'] == 'checkpoint' for v in j['versions'][1:]) and len(j['versions']) >= 3"
req POST "/v1/models/$W/samples" '{"samples":[{"x":[0,0],"y":[0]}]}'
check "sample posts go on while it runs" "s == 201 and j['total'] == 2001"
req GET "/v1/models/$JL/jobs"
req GET "/v1/jobs/$JL"
check "the second job is still queued" "j['status'] == 'queued'"

echo "== cancel: the running job"
req DELETE "/v1/jobs/$JW"
check "DELETE a running job -> 200 (or 202 on a very slow machine)" "s in (200, 202)"
wait_job "$JW" "j['status'] != 'running'" 60
check "it ends as cancelled" "j['status'] == 'cancelled' and j['stop_reason'] == 'cancelled' and j['finished_at'] is not None"
EC=$(jget 'j["epoch"]')
req DELETE "/v1/jobs/$JW"
check_error "DELETE it again" 409 conflict
req GET "/v1/models/$W/history"
check "the history holds every epoch it ran" "len(j['history']) == $EC and [r['epoch'] for r in j['history']] == list(range(1, $EC + 1))"

echo "== the queued job runs next and succeeds"
wait_job "$JL" "j['status'] not in ('queued', 'running')" 60
check "lecture job succeeded, all epochs" "j['status'] == 'succeeded' and j['stop_reason'] == 'epochs' and j['epoch'] == 2000 and j['error'] is None and j['eta_seconds'] == 0"
VL=$(jget 'j["version"]')
req GET "/v1/models/$L/versions"
check "its result is the current version, source train" "j['versions'][-1]['version'] == $VL and j['versions'][-1]['source'] == 'train'"
req GET "/v1/models/$L"
check "the model's version is the job's" "j['version'] == $VL"
req POST "/v1/models/$L/predict" '{"inputs":[[0.5,-1]]}'
check "predict answers the job's version" "j['version'] == $VL"
req GET "/v1/models/$L/history"
check "2000 history rows" "len(j['history']) == 2000"
req GET "/v1/models/$L/jobs"
check "the model lists its job" "[x['id'] for x in j['jobs']] == ['$JL']"

echo "== cancel: a queued job"
req POST "/v1/models/$W/train" '{"epochs":10000,"learning_rate":0.01}'
JW2=$(jget 'j["id"]')
req POST "/v1/models/$L/train" '{"epochs":10}'
JQ=$(jget 'j["id"]')
check "queued behind it" "j['status'] == 'queued'"
req DELETE "/v1/jobs/$JQ"
check "DELETE a queued job -> 200 cancelled" "s == 200 and j['status'] == 'cancelled' and j['started_at'] is None"
req GET "/v1/models/$L/history"
check "it wrote no history" "len(j['history']) == 2000"
req DELETE "/v1/jobs/$JW2"
check "cancel the wide job again" "s in (200, 202)"
wait_job "$JW2" "j['status'] == 'cancelled'" 60

echo "== stops"
req POST "/v1/models/$L/train?wait=true" '{"epochs":500,"target_loss":0.3}'
check "target_loss -> succeeded early" "s == 200 and j['status'] == 'succeeded' and j['stop_reason'] == 'target_loss' and j['loss'] <= 0.3 and j['epoch'] < 500"
req POST "/v1/models/$W/train?wait=true" '{"epochs":10000,"learning_rate":0.01,"max_seconds":1}'
check "max_seconds 1 -> succeeded with timeout" "s == 200 and j['status'] == 'succeeded' and j['stop_reason'] == 'timeout' and j['epoch'] < 10000 and j['version'] is not None and j['elapsed_seconds'] >= 1"
N=$(create_model) || exit 1
add_samples "$N" 200 4 noise || exit 1
req POST "/v1/models/$N/train?wait=true" '{"epochs":5000,"learning_rate":0.5,"validation_split":0.3,"patience":3}'
check "patience on noise -> early_stopping" "s == 200 and j['status'] == 'succeeded' and j['stop_reason'] == 'early_stopping' and j['epoch'] < 5000"

echo "== divergence: failed, with epoch and layer; the weights as they were"
D=$(create_model) || exit 1
add_samples "$D" 1000 2 || exit 1
req GET "/v1/models/$D/weights"
cp "$BODY_FILE" "$E2E_TMP/D-w0.json"
# lr 1.2 on these samples diverges in epoch 3 (seeded, so always), after
# the checkpoint of epoch 2 was published
req POST "/v1/models/$D/train?wait=true" '{"epochs":200,"learning_rate":1.2}'
check "learning_rate 1.2 diverges: failed" "s == 200 and j['status'] == 'failed' and j['stop_reason'] == 'diverged' and j['version'] is None"
check "the error names the epoch and the layer" "__import__('re').search(r'epoch \d+, layer \d+', j['error']) is not None"
req GET "/v1/models/$D/weights"
check "the current weights equal those before the job" \
    "{k: v for k, v in j.items() if k != 'version'} == {k: v for k, v in json.load(open('$E2E_TMP/D-w0.json')).items() if k != 'version'}"
req GET "/v1/models/$D/versions"
check "the checkpoint was published, then the old weights again (restore)" "[v['source'] for v in j['versions']] == ['init', 'checkpoint', 'restore']"
req POST "/v1/models/$D/predict" '{"inputs":[[0.5,-1]]}'
check "predict answers the restored version" "j['version'] == 3"

echo "== deleting a model while its job trains"
req POST "/v1/models/$W/train" '{"epochs":10000,"learning_rate":0.01}'
JD=$(jget 'j["id"]')
wait_job "$JD" "j['status'] == 'running'" 30
req DELETE "/v1/models/$W"
check_status "delete the model while it trains" 200
req GET "/v1/jobs/$JD"
check_error "its job is gone" 404 not_found
req GET /healthz
check_status "the daemon is fine" 200
req POST "/v1/models/$L/train?wait=true" '{"epochs":3}'
check "the worker takes the next job" "s == 200 and j['status'] == 'succeeded'"
stop_daemon
finish
