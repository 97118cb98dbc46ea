#!/usr/bin/env bash
# Real data in, a useful model out (DESIGN.md "Real data"), against
# Debian's python3-sklearn (tests/e2e/realdata.py):
# - the Wisconsin breast-cancer CSV as it comes (header, 30 raw columns,
#   class names in the last column, RFC 4180 quoting and CRLF), shuffled
#   once: a model with classes and standard input scaling trains to within
#   3 points of StandardScaler + MLPClassifier on the same split; the stored
#   scaler equals StandardScaler's on the training rows to 1e-12;
#   evaluate's metrics equal sklearn.metrics on mlpd's own predictions to
#   1e-12; history carries accuracy and val_accuracy; predict answers
#   labels, :predict label objects;
# - the same data without scaling: the job warns;
# - diabetes (targets 25-346) with input and target scaling: r2 > 0.4 on
#   the validation rows, the target scaler equals StandardScaler's;
# - a cosine schedule: each history row's rate is the schedule's;
# - step on a scaled model shows raw and scaled values side by side;
# - bad input is a 4xx naming the field, and nothing changes.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

PY=/usr/bin/python3 # Debian's, with python3-sklearn
if ! "$PY" -c 'import sklearn' 2>/dev/null; then
    echo "e2e: python3-sklearn is missing (apt-get install python3-sklearn)" >&2
    exit 2
fi
"$PY" tests/e2e/realdata.py prep "$E2E_TMP" >/dev/null || exit 1
# sklearn's reference accuracy meanwhile (it takes a few seconds)
N_TRAIN=455 # floor(569 * 0.8): mlpd's split of validation_split 0.2
"$PY" tests/e2e/realdata.py sklearn-bc "$E2E_TMP" "$N_TRAIN" >"$E2E_TMP/sk-bc.json" &
SK_PID=$!

start_daemon
echo "== breast cancer, raw CSV with a header and class names ($MLPD_URL)"
BC_MODEL='{"name":"breast-cancer","inputs":30,"layers":[{"units":16,"activation":"relu"},{"units":1,"activation":"sigmoid"}],"loss":"cross_entropy","classes":["malignant","benign"],"preprocessing":{"inputs":"standard"},"init":{"method":"xavier","seed":3}}'
BC=$(create_model "$BC_MODEL") || exit 1
req GET "/v1/models/$BC"
check "the model keeps classes and preprocessing" "j['classes'] == ['malignant', 'benign'] and j['preprocessing'] == {'inputs': 'standard', 'targets': 'none'}"
req POST "/v1/models/$BC/samples" "@$E2E_TMP/bc.csv" text/csv
check "CSV with header, quoted names, CRLF and labels -> 201, 569 rows" "s == 201 and j['added'] == 569"
req GET "/v1/models/$BC"
check "the header became feature_names" "len(j['feature_names']) == 30 and j['feature_names'][0] == 'mean radius' and j['feature_names'][29] == 'worst fractal dimension'"
req GET "/v1/models/$BC/samples?limit=1"
check "a label is stored as its target (one sigmoid unit: 0 or 1) and listed by name" "(j['samples'][0]['y'], j['samples'][0]['label']) in (([0], 'malignant'), ([1], 'benign'))"
TRAIN='{"epochs":60,"learning_rate":0.01,"optimizer":"adam","batch_size":32,"validation_split":0.2,"seed":1}'
req POST "/v1/models/$BC/train?wait=true" "$TRAIN"
check "trained (succeeded), no warnings with input scaling" "s == 200 and j['status'] == 'succeeded' and 'warnings' not in j"
req GET "/v1/models/$BC/weights"
cp "$BODY_FILE" "$E2E_TMP/bc-weights.json"
check "GET weights shows the scaler" "j['preprocessing']['inputs']['method'] == 'standard' and len(j['preprocessing']['inputs']['mean']) == 30 and j['preprocessing']['targets'] == {'method': 'none'}"
wait "$SK_PID"
cp "$E2E_TMP/sk-bc.json" "$BODY_FILE"
SK=$(cat "$E2E_TMP/sk-bc.json")
cp "$E2E_TMP/bc-weights.json" "$BODY_FILE"
check "stored scaler = StandardScaler on the 455 training rows (1e-12)" "approx(j['preprocessing']['inputs']['mean'], $SK['mean']) and approx(j['preprocessing']['inputs']['scale'], $SK['scale'])"

req POST "/v1/models/$BC/evaluate" '{"split":"validation"}'
cp "$BODY_FILE" "$E2E_TMP/bc-eval.json"
check "evaluate on the validation split: 114 rows, classification metrics" "s == 200 and j['n'] == 114 and j['version'] == 2 and set(j['metrics']) >= {'accuracy', 'confusion_matrix', 'precision', 'recall', 'f1', 'macro_f1', 'log_loss', 'roc_auc'}"
check "accuracy within 3 points of sklearn's StandardScaler + MLPClassifier" "abs(j['metrics']['accuracy'] - $SK['accuracy']) <= 0.03"
echo "  (mlpd $(jget "j['metrics']['accuracy']"), sklearn $(python3 -c "import json;print(json.load(open('$E2E_TMP/sk-bc.json'))['accuracy'])"))"
"$PY" tests/e2e/realdata.py rows "$E2E_TMP" "$N_TRAIN" >"$E2E_TMP/bc-val.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); json.dump({'inputs': d['inputs']}, open(sys.argv[2],'w'))" \
    "$E2E_TMP/bc-val.json" "$E2E_TMP/bc-val-in.json"
req POST "/v1/models/$BC/predict" "@$E2E_TMP/bc-val-in.json"
cp "$BODY_FILE" "$E2E_TMP/bc-pred.json"
check "predict (raw units) answers outputs and labels" "s == 200 and len(j['outputs']) == 114 and len(j['labels']) == 114 and set(j['labels']) <= {'malignant', 'benign'}"
"$PY" tests/e2e/realdata.py metrics "$E2E_TMP" "$N_TRAIN" "$E2E_TMP/bc-pred.json" >"$E2E_TMP/sk-metrics.json"
SKM="json.load(open('$E2E_TMP/sk-metrics.json'))"
cp "$E2E_TMP/bc-eval.json" "$BODY_FILE"
check "evaluate's metrics = sklearn.metrics on mlpd's predictions (1e-12)" "all(approx(j['metrics'][k], $SKM[k]) for k in ('accuracy', 'precision', 'recall', 'f1', 'macro_precision', 'macro_recall', 'macro_f1', 'log_loss', 'roc_auc')) and j['metrics']['confusion_matrix'] == $SKM['confusion_matrix'] and $SKM['labels_match']"
req POST "/v1/models/$BC/evaluate" "@$E2E_TMP/bc-val.json"
check "evaluate on the same rows given as inputs + labels: the same answer" "s == 200 and j['metrics'] == json.load(open('$E2E_TMP/bc-eval.json'))['metrics']"
req GET "/v1/models/$BC/history"
cp "$BODY_FILE" "$E2E_TMP/bc-hist.json"
check "history rows carry accuracy and val_accuracy" "len(j['history']) == 60 and all(0 <= r['accuracy'] <= 1 and 0 <= r['val_accuracy'] <= 1 for r in j['history'])"
check "the last val_accuracy is evaluate's accuracy" "approx(j['history'][-1]['val_accuracy'], json.load(open('$E2E_TMP/bc-eval.json'))['metrics']['accuracy'])"
ROW=$(python3 -c "import json; print(json.dumps(json.load(open('$E2E_TMP/bc-val.json'))['inputs'][0]))")
req POST "/v1/models/$BC:predict" "{\"instances\":[$ROW]}"
check ":predict answers {label, probabilities}" "s == 200 and j['predictions'][0]['label'] in ('malignant', 'benign') and approx(sum(j['predictions'][0]['probabilities']), 1.0)"
req POST "/v1/models/$BC/evaluate" '{"split":"train"}'
check "evaluate on the train split: 455 rows" "s == 200 and j['n'] == 455"

echo "== export and import carry the scalers and classes"
req GET "/v1/models/$BC/export"
cp "$BODY_FILE" "$E2E_TMP/bc-export.json"
check "the export holds classes, preprocessing and each version's scaler" "j['model']['classes'] == ['malignant', 'benign'] and j['model']['preprocessing']['inputs'] == 'standard' and len(j['model']['feature_names']) == 30 and j['weights']['preprocessing']['inputs']['method'] == 'standard'"
req POST /v1/models/import "@$E2E_TMP/bc-export.json"
check_status "import" 201
BC2=$(jget 'j["id"]')
req POST "/v1/models/$BC2/predict" "@$E2E_TMP/bc-val-in.json"
check "the imported model predicts the same, bit for bit" "j['outputs'] == json.load(open('$E2E_TMP/bc-pred.json'))['outputs'] and j['labels'] == json.load(open('$E2E_TMP/bc-pred.json'))['labels']"
req POST "/v1/models/$BC2/evaluate" '{"split":"validation"}'
check "... and evaluates its validation split the same (the split travels with the version)" "s == 200 and j['metrics'] == json.load(open('$E2E_TMP/bc-eval.json'))['metrics']"

echo "== ONNX export takes raw units"
curl -sS -o "$E2E_TMP/bc.onnx" "$MLPD_URL/v1/models/$BC/export?format=onnx&dtype=float64"
"$PY" tests/e2e/realdata.py onnx-run "$E2E_TMP" "$E2E_TMP/bc.onnx" "$E2E_TMP/bc-val-in.json" >"$BODY_FILE"
check "the classifier's file checks, scales its inputs and equals predict (1e-12)" "j['ops'][:2] == ['Sub', 'Div'] and approx(j['outputs'], json.load(open('$E2E_TMP/bc-pred.json'))['outputs']) and 'malignant' in json.dumps(j['metadata'])"

echo "== the same data without scaling: a warning"
RAW=$(create_model "$(echo "$BC_MODEL" | sed 's/,"preprocessing":{"inputs":"standard"}//')") || exit 1
req POST "/v1/models/$RAW/samples" "@$E2E_TMP/bc.csv" text/csv
req POST "/v1/models/$RAW/train?wait=true" '{"epochs":2,"learning_rate":0.01,"validation_split":0.2}'
check "the job warns and says how to fix it" "s == 200 and len(j['warnings']) == 1 and 'preprocessing' in j['warnings'][0] and 'standard' in j['warnings'][0]"
JOB=$(jget 'j["id"]')
req GET "/v1/jobs/$JOB"
check "GET job shows the warnings too" "len(j['warnings']) == 1"
req GET "/v1/jobs/$JOB/events"
check "... and the event stream's end event" "s == 200 and 'event: end' in t and 'warnings' in t.split('event: end', 1)[1]"

echo "== diabetes: a regression with target scaling"
DI=$(create_model '{"name":"diabetes","inputs":10,"layers":[{"units":16,"activation":"tanh"},{"units":1,"activation":"linear"}],"preprocessing":{"inputs":"standard","targets":"standard"},"init":{"method":"xavier","seed":2}}') || exit 1
req POST "/v1/models/$DI/samples" "@$E2E_TMP/diab.csv" text/csv
check "the diabetes CSV (header, numeric target) -> 201" "s == 201 and j['added'] == 442"
req POST "/v1/models/$DI/train?wait=true" '{"epochs":80,"learning_rate":0.005,"optimizer":"adam","batch_size":16,"validation_split":0.2,"schedule":{"method":"cosine","eta_min":0.0005}}'
check "trained with a cosine schedule (the job shows it)" "s == 200 and j['status'] == 'succeeded' and j['params']['schedule'] == {'method': 'cosine', 'eta_min': 0.0005}"
req POST "/v1/models/$DI/evaluate" '{"split":"validation"}'
check "r2 on the validation rows > 0.4" "s == 200 and j['n'] == 89 and j['metrics']['r2'] > 0.4 and j['metrics']['rmse'] > 0 and set(j['metrics']) == {'mse', 'rmse', 'mae', 'r2'}"
echo "  (r2 $(jget "j['metrics']['r2']"))"
req GET "/v1/models/$DI/weights"
cp "$BODY_FILE" "$E2E_TMP/di-weights.json"
SX=$("$PY" tests/e2e/realdata.py scaler "$E2E_TMP" diab.csv 353 x)
SY=$("$PY" tests/e2e/realdata.py scaler "$E2E_TMP" diab.csv 353 y)
cp "$E2E_TMP/di-weights.json" "$BODY_FILE"
check "input and target scalers = StandardScaler on the 353 training rows" "approx(j['preprocessing']['inputs']['mean'], $SX['mean']) and approx(j['preprocessing']['inputs']['scale'], $SX['scale']) and approx(j['preprocessing']['targets']['mean'], $SY['mean']) and approx(j['preprocessing']['targets']['scale'], $SY['scale'])"
req GET "/v1/models/$DI/history"
check "history: each epoch's rate is the cosine schedule's" "all(approx(r['learning_rate'], 0.0005 + (0.005 - 0.0005) * (1 + math.cos(math.pi * (r['epoch'] - 1) / 80)) / 2) for r in j['history']) and 'accuracy' not in j['history'][0]"
req POST "/v1/models/$DI/predict" '{"inputs":[[59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87]]}'
check "predict answers in raw target units (tens to hundreds)" "s == 200 and 25 <= j['outputs'][0][0] <= 400"
printf '{"inputs":[[59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87],[48,1,21.6,87.0,183,103.2,70.0,3.0,3.8918,69]]}' >"$E2E_TMP/di-in.json"
req POST "/v1/models/$DI/predict" "@$E2E_TMP/di-in.json"
cp "$BODY_FILE" "$E2E_TMP/di-pred.json"
curl -sS -o "$E2E_TMP/di.onnx" "$MLPD_URL/v1/models/$DI/export?format=onnx&dtype=float64"
"$PY" tests/e2e/realdata.py onnx-run "$E2E_TMP" "$E2E_TMP/di.onnx" "$E2E_TMP/di-in.json" >"$BODY_FILE"
check "the regressor's ONNX file undoes the target scaling: equals predict (1e-12)" "approx(j['outputs'], json.load(open('$E2E_TMP/di-pred.json'))['outputs']) and j['ops'][-2:] == ['Mul', 'Add']"
req POST "/v1/models/$DI/step" '{"x":[59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87],"y":[151],"learning_rate":0.001,"apply":false}'
check "step shows raw and scaled values side by side" "s == 200 and j['units']['x'][0] == 59 and abs(j['units']['x_scaled'][0]) < 5 and j['units']['y'] == [151] and j['layers'][0]['input'] == j['units']['x_scaled']"

echo "== bad input: 4xx naming the field, nothing changed"
snapshot bc "$BC"
req POST "/v1/models/$BC/samples" '{"samples":[{"x":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],"label":"benign?"}]}'
check_error "an unknown label" 400 invalid_field
check "... named" "j['error']['field'] == 'samples[0].label'"
printf '"mean radius","x"\r\n1,malignant\r\n' >"$E2E_TMP/bad.csv"
req POST "/v1/models/$BC/samples" "@$E2E_TMP/bad.csv" text/csv
check "a CSV of the wrong width -> 400" "s == 400"
head -n 2 "$E2E_TMP/bc.csv" | sed 's/mean texture/mean texure/' >"$E2E_TMP/bad2.csv"
req POST "/v1/models/$BC/samples" "@$E2E_TMP/bad2.csv" text/csv
check "another header -> 400 naming the first column that differs" "s == 400 and j['error']['field'] == 'feature_names[1]' and 'mean texure' in j['error']['message']"
req POST "/v1/models/$BC/evaluate" '{"split":"test"}'
check_error "an unknown split" 400 invalid_field
req POST "/v1/models/$BC/evaluate" '{"split":"all","inputs":[[1]]}'
check_error "rows and a split" 400 invalid_field
req PUT "/v1/models/$BC/weights" "$(python3 -c "
import json; w = json.load(open('$E2E_TMP/bc-weights.json')); del w['version']
w['preprocessing']['inputs']['scale'][3] = 0; print(json.dumps(w))")"
check "PUT weights with a zero scale -> 400 naming it" "s == 400 and j['error']['field'] == 'preprocessing.inputs.scale'"
same_as bc "$BC" "refused requests"
snapshot all-models "$DI"
req POST /v1/models '{"name":"x","inputs":2,"layers":[{"units":3,"activation":"softmax"}],"loss":"cross_entropy","classes":["a","b","a"]}'
check "classes with a duplicate -> 400 naming it" "s == 400 and j['error']['field'] == 'classes[2]'"
req POST /v1/models '{"name":"x","inputs":2,"layers":[{"units":3,"activation":"softmax"}],"loss":"cross_entropy","classes":["a","b"]}'
check "classes that do not fit the output layer -> 400 classes" "s == 400 and j['error']['field'] == 'classes'"
req POST /v1/models '{"name":"x","inputs":2,"layers":[{"units":2,"activation":"softmax"}],"loss":"cross_entropy","classes":["a","b"],"preprocessing":{"targets":"standard"}}'
check "target scaling on a classifier -> 400 preprocessing.targets" "s == 400 and j['error']['field'] == 'preprocessing.targets'"
req POST /v1/models '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"sigmoid"}],"preprocessing":{"inputs":"log"}}'
check "an unknown scaling -> 400 preprocessing.inputs" "s == 400 and j['error']['field'] == 'preprocessing.inputs'"
req POST "/v1/models/$DI/train" '{"epochs":5,"schedule":{"method":"step","gamma":2}}'
check "a schedule with a bad parameter -> 400 naming it" "s == 400 and j['error']['field'].startswith('schedule')"
same_as all-models "$DI" "refused creates and train"
NEW=$(create_model '{"name":"untrained","inputs":10,"layers":[{"units":1,"activation":"linear"}]}') || exit 1
req POST "/v1/models/$NEW/samples" "@$E2E_TMP/diab.csv" text/csv
req POST "/v1/models/$NEW/evaluate" '{"split":"train"}'
check "a split with no rows (no job yet) -> 400 naming split" "s == 400 and j['error']['field'] == 'split'"
req POST "/v1/models/$NEW/train?wait=true" '{"epochs":1,"learning_rate":1e-7}'
req POST "/v1/models/$NEW/evaluate" '{"split":"validation"}'
check "a validation split of a job without one -> 400 naming split" "s == 400 and j['error']['field'] == 'split'"
req POST "/v1/models/$NEW/evaluate" '{"split":"train"}'
check "... while its train split scores every row" "s == 200 and j['n'] == 442"

echo "== a header that cannot name the features (the fuzzer's find)"
UN=$(create_model '{"name":"unnamed","inputs":2,"layers":[{"units":1,"activation":"linear"}]}') || exit 1
printf 'x2,,y\n1,1,0\n' >"$E2E_TMP/empty-name.csv"
req POST "/v1/models/$UN/samples" "@$E2E_TMP/empty-name.csv" text/csv
check "a header with an empty input name -> 201, the row stored" "s == 201 and j['added'] == 1"
req GET "/v1/models/$UN"
check "... the model still reads back, with no feature_names" "s == 200 and 'feature_names' not in j"
printf 'a,a,y\n1,1,0\n' >"$E2E_TMP/dup-name.csv"
req POST "/v1/models/$UN/samples" "@$E2E_TMP/empty-name.csv" text/csv
req POST "/v1/models/$UN/samples" "@$E2E_TMP/dup-name.csv" text/csv
check "the same post again, and a repeated name -> 201 each (3 rows)" "s == 201 and j['total'] == 3"
printf 'u,v,y\n1,1,0\n' >"$E2E_TMP/good-name.csv"
req POST "/v1/models/$UN/samples" "@$E2E_TMP/good-name.csv" text/csv
req GET "/v1/models/$UN"
check "a later good header names them" "s == 200 and j.get('feature_names') == ['u', 'v']"

finish
