#!/usr/bin/env bash
# Every endpoint's happy path against a real daemon, with the answers
# checked against values computed here (python3), not copied from mlpd.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

start_daemon
echo "== health, metrics, openapi ($MLPD_URL)"
for p in /healthz /v2/health/live /v2/health/ready; do
    req GET "$p"
    check_status "GET $p" 200
    check "GET $p is {\"status\":\"ok\"}" "j == {'status': 'ok'} and h['content-type'].startswith('application/json')"
done
req GET /metrics
check_status "GET /metrics" 200
check "metrics are Prometheus text with # TYPE lines" "h['content-type'].startswith('text/plain') and '# TYPE ' in t"
req GET /openapi.yaml
check_status "GET /openapi.yaml" 200
check "the served openapi.yaml is the repository's" "t == open('openapi.yaml').read()"

echo "== models"
req POST /v1/models "$LECTURE_MODEL"
check_status "POST /v1/models (2-3-1)" 201
ID=$(jget 'j["id"]')
check "model fields" "j['name'] == 'lecture-2-3-1' and j['inputs'] == 2 and j['outputs'] == 1 and j['layers'] == [{'units': 3, 'activation': 'sigmoid'}, {'units': 1, 'activation': 'linear'}] and j['loss'] == 'mse' and j['samples'] == 0 and j['version'] == 1 and j['last_loss'] is None and j['params'] == 13"
check "id is 16 hex digits" "len(j['id']) == 16 and all(c in '0123456789abcdef' for c in j['id'])"
check "init and conventions" "j['init']['seed'] == 42 and j['init']['method'].startswith('xavier') and j['conventions'] == {'bias': '+b', 'cost': '1/2 e^2 per sample', 'activations': 'exact'}"
check "created_at/updated_at are ISO 8601 UTC" "j['created_at'].endswith('Z') and 'T' in j['created_at'] and j['updated_at'].endswith('Z')"
check "Location header" "h.get('location') == '/v1/models/' + j['id']"
req GET /v1/models
check_status "GET /v1/models" 200
check "list holds the model" "[m['id'] for m in j['models']] == ['$ID']"
req GET "/v1/models/$ID"
check_status "GET /v1/models/{id}" 200
check "same model" "j['id'] == '$ID' and j['version'] == 1"

echo "== weights and versions"
req GET "/v1/models/$ID/weights"
check_status "GET weights" 200
check "weights shape 3x2+3, 1x3+1, version 1" "j['version'] == 1 and [len(l['weights']) for l in j['layers']] == [3, 1] and [len(r) for r in j['layers'][0]['weights']] == [2, 2, 2] and len(j['layers'][1]['weights'][0]) == 3 and [len(l['biases']) for l in j['layers']] == [3, 1]"
check "xavier init: |w| <= sqrt(6/(fan_in+fan_out)), biases 0" "all(abs(w) <= math.sqrt(6/5) for r in j['layers'][0]['weights'] for w in r) and all(abs(w) <= math.sqrt(6/4) for w in j['layers'][1]['weights'][0]) and j['layers'][0]['biases'] == [0, 0, 0]"
cp "$BODY_FILE" "$E2E_TMP/w1.json"
req PUT "/v1/models/$ID/weights" "$LECTURE_WEIGHTS"
check_status "PUT weights" 200
check "PUT answers version 2" "j == {'version': 2}"
req GET "/v1/models/$ID/weights"
check "GET weights returns exactly what was PUT" "j == dict(json.loads('''$LECTURE_WEIGHTS'''), version=2)"
req GET "/v1/models/$ID/weights?version=1"
check_status "GET weights?version=1" 200
check "version 1 is the initial weights" "j == json.load(open('$E2E_TMP/w1.json'))"

echo "== predict"
# y = W2 logsig(W1 x + b1) + b2, written out for the worked example's weights.
EXPECT=$(python3 -c '
import math, json
W1=[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]]; b1=[0.1,-0.2,0.05]; W2=[0.3,-0.6,0.9]; b2=0.1
def f(x):
    h=[1/(1+math.exp(-(W1[k][0]*x[0]+W1[k][1]*x[1]+b1[k]))) for k in range(3)]
    return [W2[0]*h[0]+W2[1]*h[1]+W2[2]*h[2]+b2]
print(json.dumps([f([0.5,-1.0]), f([0,0]), f([2,3])]))')
req POST "/v1/models/$ID/predict" '{"inputs":[[0.5,-1.0],[0,0],[2,3]]}'
check_status "POST predict (3 rows)" 200
check "outputs = forward pass by hand, version 2" "j['version'] == 2 and approx(j['outputs'], $EXPECT)"
req POST "/v1/models/$ID:predict" '{"instances":[[0.5,-1.0],[0,0],[2,3]]}'
check_status "POST :predict (TF Serving shape)" 200
check ":predict gives the same numbers" "list(j) == ['predictions'] and approx(j['predictions'], $EXPECT)"
req POST "/v1/models/$ID/predict?version=1" '{"inputs":[[0.5,-1.0]]}'
check "predict?version=1 answers from version 1" "j['version'] == 1 and not approx(j['outputs'], $EXPECT[:1])"

echo "== step"
req POST "/v1/models/$ID/step" '{"x":[0.5,-1.0],"y":[0.8],"learning_rate":0.5,"apply":false}'
check_status "POST step apply=false" 200
check "not applied, version stays 2" "j['applied'] is False and j['version'] == 2 and j['E_after'] < j['E_before']"
req GET "/v1/models/$ID/weights"
check "weights unchanged after apply=false" "j == dict(json.loads('''$LECTURE_WEIGHTS'''), version=2)"
req POST "/v1/models/$ID/step" '{"x":[0.5,-1.0],"y":[0.8],"learning_rate":0.5,"check":true}'
check_status "POST step apply (default) check=true" 200
check "applied, version 3, gradient check agrees" "j['applied'] is True and j['version'] == 3 and j['max_rel_error'] < 1e-6 and 'num_grad_w' in j['layers'][0]"
cp "$BODY_FILE" "$E2E_TMP/step.json"
req GET "/v1/models/$ID/weights"
check "stored weights are the step's weights_after" "[l['weights'] for l in j['layers']] == [l['weights_after'] for l in json.load(open('$E2E_TMP/step.json'))['layers']] and j['version'] == 3"

echo "== samples"
req POST "/v1/models/$ID/samples" '{"samples":[{"x":[0,0],"y":[0]},{"x":[1,0],"y":[0.8414709848078965]}]}'
check_status "POST samples (pairs)" 201
check "added 2, total 2" "j == {'added': 2, 'total': 2}"
req POST "/v1/models/$ID/samples" '{"inputs":[[0,1],[1,1]],"targets":[[0],[0.4546487134128409]]}'
check_status "POST samples (columns)" 201
check "added 2, total 4" "j == {'added': 2, 'total': 4}"
req POST "/v1/models/$ID/samples" $'x1,x2,y\n0.5,0.5,0.42073549240394825\n-1,0.25,-0.8152619589734699\n' text/csv
check_status "POST samples (text/csv with header)" 201
check "added 2, total 6" "j == {'added': 2, 'total': 6}"
req GET "/v1/models/$ID/samples?offset=1&limit=3"
check_status "GET samples?offset=1&limit=3" 200
check "page 1..3 in posting order" "j['offset'] == 1 and j['limit'] == 3 and j['total'] == 6 and j['samples'] == [{'x': [1, 0], 'y': [0.8414709848078965]}, {'x': [0, 1], 'y': [0]}, {'x': [1, 1], 'y': [0.4546487134128409]}]"
req GET "/v1/models/$ID/samples"
check "default page holds all 6, CSV rows exact" "j['offset'] == 0 and j['total'] == 6 and len(j['samples']) == 6 and j['samples'][5] == {'x': [-1, 0.25], 'y': [-0.8152619589734699]}"
req GET "/v1/models/$ID"
check "model counts 6 samples" "j['samples'] == 6"

echo "== train, jobs, history"
req POST "/v1/models/$ID/train?wait=true" '{"epochs":20,"learning_rate":0.1,"batch_size":1,"optimizer":"sgd","shuffle":true,"seed":7}'
check_status "POST train?wait=true" 200
check "job succeeded after 20 epochs, version 4" "j['status'] == 'succeeded' and j['epoch'] == 20 and j['epochs'] == 20 and j['version'] == 4 and j['model_id'] == '$ID' and isinstance(j['loss'], float) and j['error'] is None and j['finished_at'] is not None"
JOB1=$(jget 'j["id"]')
check "job params echo the request" "j['params'].get('epochs') == 20 and j['params'].get('seed') == 7"
# The epoch loss is the mean of E = 1/2 e^2 over the samples with the final weights.
req GET "/v1/models/$ID/weights"
cp "$BODY_FILE" "$E2E_TMP/w4.json"
req GET "/v1/models/$ID/samples"
cp "$BODY_FILE" "$E2E_TMP/s.json"
LOSS=$(python3 -c '
import json, math, sys
w = json.load(open(sys.argv[1]))["layers"]; s = json.load(open(sys.argv[2]))["samples"]
def fwd(x):
    W1, b1, W2, b2 = w[0]["weights"], w[0]["biases"], w[1]["weights"][0], w[1]["biases"][0]
    h = [1 / (1 + math.exp(-(sum(W1[k][i] * x[i] for i in range(2)) + b1[k]))) for k in range(3)]
    return sum(W2[k] * h[k] for k in range(3)) + b2
print(sum(0.5 * (r["y"][0] - fwd(r["x"])) ** 2 for r in s) / len(s))' "$E2E_TMP/w4.json" "$E2E_TMP/s.json")
req GET "/v1/jobs/$JOB1"
check_status "GET /v1/jobs/{id}" 200
check "job loss = mean 1/2 e^2 over the samples with the final weights" "j['id'] == '$JOB1' and approx(j['loss'], $LOSS, 1e-9)"
req GET "/v1/models/$ID"
check "model last_loss is the job's loss, version 4" "approx(j['last_loss'], $LOSS, 1e-9) and j['version'] == 4"
req POST "/v1/models/$ID/train" '{"epochs":5}'
check_status "POST train (no wait)" 202
check "202 job has an id and a status" "j['status'] in ('queued', 'running', 'succeeded') and len(j['id']) == 16"
JOB2=$(jget 'j["id"]')
for i in $(seq 1 100); do
    req GET "/v1/jobs/$JOB2"
    [ "$(jget 'j["status"]')" = succeeded ] && break
    sleep 0.1
done
check "second job succeeds, version 5" "j['status'] == 'succeeded' and j['version'] == 5"
req GET "/v1/models/$ID/jobs"
check_status "GET /v1/models/{id}/jobs" 200
check "both jobs, oldest first" "[x['id'] for x in j['jobs']] == ['$JOB1', '$JOB2']"
req GET "/v1/models/$ID/history"
check_status "GET history" 200
check "history: 20 + 5 epochs, oldest first, numbered per job" "[(r['job_id'], r['epoch']) for r in j['history']] == [('$JOB1', e) for e in range(1, 21)] + [('$JOB2', e) for e in range(1, 6)]"
check "history's last epoch of job 1 is the job's loss" "approx(j['history'][19]['loss'], $LOSS, 1e-9) and j['history'][0]['val_loss'] is None"
req DELETE "/v1/jobs/$JOB2"
check_error "DELETE a finished job" 409 conflict

echo "== versions and restore"
req GET "/v1/models/$ID/versions"
check_status "GET versions" 200
check "versions 1..5: init, put, step, train, train" "[(v['version'], v['source']) for v in j['versions']] == [(1, 'init'), (2, 'put'), (3, 'step'), (4, 'train'), (5, 'train')]"
check "train versions carry a loss" "j['versions'][3]['loss'] is not None and j['versions'][1]['loss'] is None"
req POST "/v1/models/$ID/versions/2/restore"
check_status "POST versions/2/restore" 200
check "restore makes version 6" "j == {'version': 6}"
req GET "/v1/models/$ID/weights"
check "version 6 holds version 2's weights" "j == dict(json.loads('''$LECTURE_WEIGHTS'''), version=6)"
req GET "/v1/models/$ID/versions"
check "version 6 has source restore" "j['versions'][-1]['version'] == 6 and j['versions'][-1]['source'] == 'restore'"

echo "== a diverging run fails and publishes nothing"
req POST "/v1/models/$ID/samples" '{"inputs":[[1000,1000],[0,1]],"targets":[[1e6],[0]]}'
check_status "POST 2 samples of large values" 201
req POST "/v1/models/$ID/train?wait=true" '{"epochs":50,"learning_rate":1e6}'
check_status "POST train with learning_rate 1e6" 200
check "job failed, diverged, with the epoch and layer in error" "j['status'] == 'failed' and j['stop_reason'] == 'diverged' and j['version'] is None and 'epoch' in j['error'] and 'layer' in j['error']"
JOB3=$(jget 'j["id"]')
req GET "/v1/jobs/$JOB3"
check "GET job keeps status, stop_reason and error" "j['status'] == 'failed' and j['stop_reason'] == 'diverged' and 'layer' in (j['error'] or '')"
req GET "/v1/jobs/$JOB1"
check "GET job keeps the stop_reason of a finished run" "j['stop_reason'] == 'epochs'"
req GET "/v1/models/$ID"
check "the model stays at version 6" "j['version'] == 6"
req POST "/v1/models/$ID/predict" '{"inputs":[[0.5,-1.0],[0,0],[2,3]]}'
check "predict still answers from version 6 (= version 2's weights)" "j['version'] == 6 and approx(j['outputs'], $EXPECT)"
req GET /metrics
check "metrics count predict requests by route" "'mlpd_http_requests_total{route=\"/v1/models/{id}/predict\",method=\"POST\",status=\"200\"}' in t"

echo "== delete"
req DELETE "/v1/models/$ID/samples"
check_status "DELETE samples" 200
check "deleted 8" "j == {'deleted': 8}"
req GET "/v1/models/$ID/samples"
check "no samples left" "j['total'] == 0 and j['samples'] == []"
req DELETE "/v1/models/$ID"
check_status "DELETE model" 200
check "delete answer" "j.get('id') == '$ID' and j.get('deleted') is True"
req GET "/v1/models/$ID"
check_error "GET deleted model" 404 not_found
req GET "/v1/jobs/$JOB1"
check_error "GET a deleted model's job" 404 not_found
req GET /v1/models
check "list is empty" "j == {'models': []}"

finish
