#!/usr/bin/env bash
# Export and import of a whole model: a trained model (several versions,
# samples, two jobs with history) is exported, imported as a new model,
# and exported again: the two documents are equal except ids and times;
# every version's weights and the predictions are equal bit for bit.
# Malformed, oversized and inconsistent documents get 4xx and create
# nothing.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

start_daemon --max-body 4096 --max-import-body 200000 --max-samples 50
echo "== a trained model with history ($MLPD_URL)"
A=$(create_model) || exit 1
req PUT "/v1/models/$A/weights" "$LECTURE_WEIGHTS"
check_status "PUT weights" 200
req POST "/v1/models/$A/samples" '{"samples":[{"x":[0,0],"y":[0]},{"x":[1,0],"y":[0.8414709848078965]},{"x":[0.3,-2],"y":[-0.12282]},{"x":[0.1,0.2],"y":[1e-300]}]}'
check_status "4 samples" 201
req POST "/v1/models/$A/train?wait=true" '{"epochs":7,"seed":5,"learning_rate":0.3}'
check_status "train 7 epochs" 200
req POST "/v1/models/$A/train?wait=true" '{"epochs":3,"optimizer":"adam","learning_rate":0.01,"batch_size":2}'
check_status "train 3 more (adam)" 200
req POST "/v1/models/$A/versions/3/restore"
check_status "restore version 3" 200

req GET "/v1/models/$A/export"
check_status "export" 200
cp "$BODY_FILE" "$E2E_TMP/export1.json"
check "export has the format marker, all 5 versions, samples, 2 jobs, 10 history rows" \
    "j['format'] == 'mlpd-model' and j['format_version'] == 1 and j['source_id'] == '$A' and [v['version'] for v in j['versions']] == [1,2,3,4,5] and j['versions_omitted'] == 0 and j['weights']['version'] == 5 and len(j['samples']['inputs']) == 4 and len(j['jobs']) == 2 and len(j['history']) == 10 and j['model']['name'] == 'lecture-2-3-1'"
req GET "/v1/models/$A/weights"
check "GET weights equals the export's weights" "j == json.load(open('$E2E_TMP/export1.json'))['weights']"

echo "== import into a new model"
req POST /v1/models/import "@$E2E_TMP/export1.json"
check_status "import (over --max-body, under --max-import-body)" 201
B=$(jget 'j["id"]')
check "a new id, a Location, the samples and version" \
    "j['id'] != '$A' and h.get('location') == '/v1/models/' + j['id'] and j['samples'] == 4 and j['version'] == 5"
req GET "/v1/models/$B/export"
cp "$BODY_FILE" "$E2E_TMP/export2.json"
python3 - "$E2E_TMP/export1.json" "$E2E_TMP/export2.json" >"$E2E_TMP/cmp.out" 2>&1 <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def strip(d):
    d = json.loads(json.dumps(d))
    for k in ("exported_at", "source_id"):
        d.pop(k)
    ids = {}
    for job in d["jobs"]:
        ids[job["id"]] = len(ids)
        job["id"] = ids[job["id"]]
    for row in d["history"]:
        row["job_id"] = ids[row["job_id"]]
    return d
sa, sb = strip(a), strip(b)
if sa != sb:
    for k in sa:
        if sa[k] != sb.get(k):
            print("differs:", k, str(sa[k])[:200], str(sb.get(k))[:200])
    sys.exit(1)
print("same")
EOF
if [ $? -eq 0 ]; then note_pass "export of the import equals the export, times included (ids aside)"; else note_fail "export again differs: $(cat "$E2E_TMP/cmp.out")"; fi
for v in 1 2 3 4 5; do
    req GET "/v1/models/$A/weights?version=$v"
    cp "$BODY_FILE" "$E2E_TMP/a-v$v"
    req GET "/v1/models/$B/weights?version=$v"
    check "version $v weights identical text" "t == open('$E2E_TMP/a-v$v').read()"
done
PRED='{"inputs":[[0.5,-1],[3,4],[1e-5,-7.25],[0,0]]}'
req POST "/v1/models/$A/predict" "$PRED"
cp "$BODY_FILE" "$E2E_TMP/predA"
req POST "/v1/models/$B/predict" "$PRED"
check "predictions bit for bit equal (same text)" "s == 200 and t.replace('$B', '') == open('$E2E_TMP/predA').read().replace('$A', '')"
req GET "/v1/models/$B/history"
check "history rows name the new jobs" "len(j['history']) == 10 and all(r['job_id'] != '' for r in j['history'])"
req GET "/v1/models/$B/jobs"
check "jobs of the import belong to it" "len(j['jobs']) == 2 and all(x['model_id'] == '$B' for x in j['jobs'])"
req POST "/v1/models/$B/train?wait=true" '{"epochs":2}'
check "the imported model trains on and publishes version 6" "s == 200 and j['version'] == 6"

echo "== bad documents: 4xx, nothing created"
req GET /v1/models
NMODELS=$(jget 'len(j["models"])')
bad() { # bad "what" CODE ERRCODE python-edit-of-d
    python3 - "$E2E_TMP/export1.json" "$E2E_TMP/bad.json" "$4" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(d if isinstance(d, str) else json.dumps(d))
EOF
    req POST /v1/models/import "@$E2E_TMP/bad.json"
    check_error "$1" "$2" "$3"
}
bad "not JSON" 400 invalid_json 'd = json.dumps(d)[:-1]'
bad "wrong format" 400 invalid_field 'd["format"] = "keras"'
bad "future format_version" 400 invalid_field 'd["format_version"] = 2'
bad "unknown top-level field" 400 unknown_field 'd["owner"] = "root"'
bad "missing model" 400 missing_field 'del d["model"]'
bad "bad activation" 400 invalid_field 'd["model"]["layers"][0]["activation"] = "swish"'
bad "too many layers" 400 limit_exceeded 'd["model"]["layers"] = [{"units": 2, "activation": "tanh"}] * 40'
bad "other conventions" 400 invalid_field 'd["conventions"]["bias"] = "-b"'
bad "weights of the wrong shape" 400 invalid_dimensions 'd["versions"][0]["layers"][0]["biases"].append(1)'
bad "a weight that is not a number" 400 invalid_field 'd["versions"][1]["layers"][1]["weights"][0][0] = "x"'
bad "a weight of 1e999" 400 invalid_field 'd["versions"][0]["layers"][0]["biases"][0] = "BIG"; d = json.dumps(d).replace("\"BIG\"", "1e999")'
bad "current weights differ from their version" 400 invalid_field 'd["weights"]["layers"][1]["biases"][0] += 1e-9'
bad "current version not among versions" 400 invalid_field 'd["weights"]["version"] = 9'
bad "versions out of order" 400 invalid_field 'd["versions"][0], d["versions"][1] = d["versions"][1], d["versions"][0]'
bad "unknown version source" 400 invalid_field 'd["versions"][0]["source"] = "magic"'
bad "no versions" 400 invalid_dimensions 'd["versions"] = []'
bad "samples of the wrong width" 400 invalid_dimensions 'd["samples"]["inputs"][2] = [1, 2, 3]'
bad "inputs and targets of different lengths" 400 invalid_dimensions 'd["samples"]["targets"].pop()'
bad "NaN in samples" 400 invalid_json 'd = json.dumps(d).replace("1e-300", "NaN")'
bad "history naming an unknown job" 400 invalid_field 'd["history"][0]["job_id"] = "nope"'
bad "job with a bad status" 400 invalid_field 'd["jobs"][0]["status"] = "exploded"'
bad "duplicate job ids" 400 invalid_field 'd["jobs"][1]["id"] = d["jobs"][0]["id"]'
bad "a bad time" 400 invalid_field 'd["history"][0]["time"] = "yesterday"'
bad "duplicate key" 400 invalid_json 'd = json.dumps(d)[:-1] + ", \"format\": \"mlpd-model\"}"'
bad "more samples than --max-samples allows" 413 limit_exceeded 'd["samples"] = {"inputs": [[0, 0]] * 51, "targets": [[0]] * 51}'
bad "a body over --max-import-body" 413 body_too_large 'd["samples"] = {"inputs": [[0.123456789, 0.123456789]] * 9000, "targets": [[0.5]] * 9000}'
req GET /v1/models
check "no model was created by a refused import" "len(j['models']) == $NMODELS"
req POST "/v1/models/$A/samples" "$(python3 -c 'import json; print(json.dumps({"inputs": [[0.1, 0.2]] * 400, "targets": [[1]] * 400}))')"
check_error "ordinary routes keep --max-body" 413 body_too_large

echo "== a job still running at export is imported as failed (interrupted)"
python3 - "$E2E_TMP/export1.json" "$E2E_TMP/run.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["jobs"][1]["status"] = "running"
json.dump(d, open(sys.argv[2], "w"))
EOF
req POST /v1/models/import "@$E2E_TMP/run.json"
check_status "import with a running job" 201
C=$(jget 'j["id"]')
req GET "/v1/models/$C/jobs"
check "that job is failed with reason interrupted" "j['jobs'][1]['status'] == 'failed' and j['jobs'][1]['error'].startswith('interrupted')"
req GET /v1/models/nonexistent0000/export
check_error "export of a missing model" 404 not_found
stop_daemon # exit 0: under an ASan build (MLPD_BIN=build/asan/mlpd), no leak either
finish
