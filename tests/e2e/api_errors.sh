#!/usr/bin/env bash
# Every error class of the API: exact status and error code, the headers
# every response carries, and a check that the failed request changed
# nothing (model, weights, samples, versions, history, jobs, model list).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

# Small limits so that going past each one is cheap.
start_daemon --max-body 4096 --max-samples 8 --max-batch 4 --max-layers 3 --max-units 16 \
    --max-inputs 8 --max-params 200 --max-epochs 50
echo "== setup ($MLPD_URL, small limits)"
ID=$(create_model) || exit 1
req PUT "/v1/models/$ID/weights" "$LECTURE_WEIGHTS"
check_status "PUT the worked example's weights" 200
req POST "/v1/models/$ID/samples" '{"inputs":[[0,0],[1,0]],"targets":[[0],[0.5]]}'
check_status "POST 2 samples" 201
req POST "/v1/models/$ID/train?wait=true" '{"epochs":3}'
check_status "train 3 epochs" 200
OTHER=$(create_model) || exit 1
snapshot base "$ID"

M=/v1/models
echo "== invalid_json"
req POST $M '{"name":"x","inputs":2,'
check_error "truncated JSON" 400 invalid_json
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}]} xyz'
check_error "trailing garbage after the object" 400 invalid_json
req POST $M '{"name":"x","name":"y","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'
check_error "duplicate key" 400 invalid_json
req POST $M '[1,2]'
check_error "an array where an object is expected" 400 invalid_json
req POST $M ''
check_error "empty body" 400 invalid_json
req POST "$M/$ID/predict" '{"inputs":[[NaN,1]]}'
check_error "NaN literal" 400 invalid_json
req POST "$M/$ID/predict" '{"inputs":[[Infinity,1]]}'
check_error "Infinity literal" 400 invalid_json
req POST $M $'{"name":"a\xff","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'
check_error "invalid UTF-8" 400 invalid_json
req POST $M '{"name":"a\u0000b","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'
check_error "\\u0000 inside a string" 400 invalid_json
same_as base "$ID" "after invalid_json"

echo "== too_deep"
req POST $M '{"name":"x","inputs":2,"layers":[[[[[[[[[[[[1]]]]]]]]]]]]}'
check_error "nesting 13 levels" 400 too_deep
req POST "$M/$ID/predict" "{\"inputs\":$(printf '[%.0s' $(seq 1 200))1$(printf ']%.0s' $(seq 1 200))}"
check_error "nesting 200 levels" 400 too_deep

echo "== invalid_field (wrong types, non-finite, unknown names)"
req POST $M '{"name":"x","inputs":"2","layers":[{"units":1,"activation":"linear"}]}'
check_error "inputs as a string" 400 invalid_field
check "field is inputs" "j['error'].get('field') == 'inputs'"
req POST $M '{"name":"x","inputs":2,"layers":[{"units":3.7,"activation":"linear"}]}'
check_error "units 3.7" 400 invalid_field
check "field is layers[0].units" "j['error'].get('field') == 'layers[0].units'"
req POST $M '{"name":"x","inputs":1e999,"layers":[{"units":1,"activation":"linear"}]}'
check_error "inputs 1e999" 400 invalid_field
req POST $M '{"name":"x","inputs":0,"layers":[{"units":1,"activation":"linear"}]}'
check_error "inputs 0" 400 invalid_field
req POST $M '{"name":"x","inputs":2,"layers":[{"units":3,"activation":"sigmod"},{"units":1,"activation":"linear"}]}'
check_error "unknown activation" 400 invalid_field
check "field is layers[0].activation" "j['error'].get('field') == 'layers[0].activation'"
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}],"loss":"hinge"}'
check_error "unknown loss" 400 invalid_field
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}],"init":{"method":"magic"}}'
check_error "unknown init method" 400 invalid_field
req POST $M '{"name":"","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'
check_error "empty name" 400 invalid_field
req POST $M '{"name":"x","inputs":2,"layers":[{"units":2,"activation":"softmax"}]}'
check_error "softmax without cross_entropy" 400 invalid_field
req POST "$M/$ID/predict" '{"inputs":[[1e999,1]]}'
check_error "predict input 1e999" 400 invalid_field
req POST "$M/$ID/predict" '{"inputs":[["1",1]]}'
check_error "predict input as a string" 400 invalid_field
req POST "$M/$ID/samples" '{"samples":[{"x":[1,2],"y":[-1e999]}]}'
check_error "sample target -1e999" 400 invalid_field
req PUT "$M/$ID/weights" '{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,1e999]],"biases":[0.1,-0.2,0.05]},{"weights":[[0.3,-0.6,0.9]],"biases":[0.1]}]}'
check_error "PUT a weight 1e999" 400 invalid_field
req POST "$M/$ID/step" '{"x":[0.5,-1],"y":[0.8],"learning_rate":-1}'
check_error "step learning_rate -1" 400 invalid_field
req POST "$M/$ID/step" '{"x":[0.5,-1],"y":[0.8],"apply":"yes"}'
check_error "step apply as a string" 400 invalid_field
req POST "$M/$ID/train" '{"optimizer":"rmsprop"}'
check_error "train unknown optimizer" 400 invalid_field
req POST "$M/$ID/train" '{"learning_rate":1e999}'
check_error "train learning_rate 1e999" 400 invalid_field
req POST "$M/$ID/train" '{"epochs":2.5}'
check_error "train epochs 2.5" 400 invalid_field
same_as base "$ID" "after invalid_field"

echo "== unknown_field, missing_field"
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}],"owner":"root"}'
check_error "create with owner" 400 unknown_field
check "field is owner" "j['error'].get('field') == 'owner'"
req POST $M '{"Name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'
check_error "case variant Name" 400 unknown_field
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear","bias":true}]}'
check_error "unknown field in a layer" 400 unknown_field
req POST "$M/$ID/step" '{"x":[0.5,-1],"y":[0.8],"eta":0.5}'
check_error "step with eta" 400 unknown_field
req POST "$M/$ID/train" '{"epochs":2,"lr":0.1}'
check_error "train with lr" 400 unknown_field
req POST $M '{"name":"x","layers":[{"units":1,"activation":"linear"}]}'
check_error "create without inputs" 400 missing_field
check "field is inputs" "j['error'].get('field') == 'inputs'"
req POST $M '{"name":"x","inputs":2}'
check_error "create without layers" 400 missing_field
req POST "$M/$ID/step" '{"x":[0.5,-1]}'
check_error "step without y" 400 missing_field
req POST "$M/$ID/predict" '{}'
check_error "predict without inputs" 400 missing_field
req PUT "$M/$ID/weights" '{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]]},{"weights":[[0.3,-0.6,0.9]],"biases":[0.1]}]}'
check_error "PUT a layer without biases" 400 missing_field
same_as base "$ID" "after unknown/missing fields"

echo "== invalid_dimensions"
req POST "$M/$ID/predict" '{"inputs":[[1,2,3]]}'
check_error "predict 3 inputs into a 2-input model" 400 invalid_dimensions
req POST "$M/$ID:predict" '{"instances":[[1]]}'
check ":predict 1 input -> 400 {\"error\": \"text\"} (TF Serving's shape)" "s == 400 and list(j) == ['error'] and 'expected 2' in j['error']"
req POST "$M/$ID/step" '{"x":[0.5],"y":[0.8]}'
check_error "step x of 1" 400 invalid_dimensions
req POST "$M/$ID/step" '{"x":[0.5,-1],"y":[0.8,1]}'
check_error "step y of 2" 400 invalid_dimensions
req POST "$M/$ID/samples" '{"samples":[{"x":[1,2],"y":[1]},{"x":[1],"y":[1]}]}'
check_error "second sample with 1 input" 400 invalid_dimensions
req POST "$M/$ID/samples" '{"inputs":[[1,2],[3,4]],"targets":[[1]]}'
check_error "2 inputs rows, 1 target row" 400 invalid_dimensions
req PUT "$M/$ID/weights" '{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1]],"biases":[0.1,-0.2]},{"weights":[[0.3,-0.6]],"biases":[0.1]}]}'
check_error "PUT a 2-2-1 shape into a 2-3-1 model" 400 invalid_dimensions
req PUT "$M/$ID/weights" '{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]],"biases":[0.1,-0.2,0.05]}]}'
check_error "PUT one layer of two" 400 invalid_dimensions
same_as base "$ID" "after invalid_dimensions"

echo "== CSV and query errors"
req POST "$M/$ID/samples" $'1,2,3\n4,5\n' text/csv
check_error "CSV row with 2 values for 3 columns" 400 invalid_csv
req POST "$M/$ID/samples" $'1,2,3\n4,5,nan\n' text/csv
check_error "CSV with nan" 400 invalid_csv
req GET "$M/$ID/samples?limit=1001"
check_error "samples limit 1001" 400 invalid_query
req GET "$M/$ID/samples?offset=-1"
check_error "samples offset -1" 400 invalid_query
req GET "$M/$ID/weights?version=abc"
check_error "weights?version=abc" 400 invalid_query
req POST "$M/$ID/train?wait=maybe" '{"epochs":1}'
check_error "train?wait=maybe" 400 invalid_query
same_as base "$ID" "after CSV/query errors"

echo "== limits"
req POST $M '{"name":"x","inputs":2,"layers":[{"units":2,"activation":"tanh"},{"units":2,"activation":"tanh"},{"units":2,"activation":"tanh"},{"units":1,"activation":"linear"}]}'
check_error "4 layers past --max-layers 3" 400 limit_exceeded
req POST $M '{"name":"x","inputs":2,"layers":[{"units":17,"activation":"tanh"},{"units":1,"activation":"linear"}]}'
check_error "17 units past --max-units 16" 400 limit_exceeded
req POST $M '{"name":"x","inputs":9,"layers":[{"units":1,"activation":"linear"}]}'
check_error "9 inputs past --max-inputs 8" 400 limit_exceeded
req POST $M '{"name":"x","inputs":8,"layers":[{"units":16,"activation":"tanh"},{"units":16,"activation":"linear"}]}'
check_error "416 params past --max-params 200" 400 limit_exceeded
req POST "$M/$ID/predict" '{"inputs":[[1,2],[1,2],[1,2],[1,2],[1,2]]}'
check_error "5 predict rows past --max-batch 4" 413 limit_exceeded
req POST "$M/$ID/samples" '{"inputs":[[1,2],[1,2],[1,2],[1,2],[1,2],[1,2],[1,2]],"targets":[[1],[1],[1],[1],[1],[1],[1]]}'
check_error "7 more samples past --max-samples 8 (2 stored)" 413 limit_exceeded
req POST "$M/$ID/train" '{"epochs":51}'
check_error "51 epochs past --max-epochs 50" 400 invalid_field
check "field is epochs" "j['error'].get('field') == 'epochs'"
same_as base "$ID" "after limits"

echo "== HTTP level: 404, 405, 411, 413, 415"
req GET /v1/nothing
check_error "unknown route" 404 not_found
req GET /v1/models/0123456789abcdef
check_error "unknown model" 404 not_found
req GET /v1/jobs/0123456789abcdef
check_error "unknown job" 404 not_found
req POST /v1/models/0123456789abcdef/predict '{"inputs":[[1,2]]}'
check_error "predict on an unknown model" 404 not_found
req GET "$M/$ID/weights?version=99"
check_error "weights?version=99" 404 not_found
req POST "$M/$ID/versions/99/restore"
check_error "restore version 99" 404 not_found
req DELETE $M
check_error "DELETE /v1/models" 405 method_not_allowed
check "Allow lists POST and GET" "sorted(x.strip() for x in h.get('allow', '').split(',')) == ['GET', 'POST']"
req PUT /healthz '{}'
check_error "PUT /healthz" 405 method_not_allowed
check "Allow: GET" "h.get('allow') == 'GET'"
req GET "$M/$ID/predict"
check_error "GET predict" 405 method_not_allowed
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}]}' text/plain
check_error "create as text/plain" 415 unsupported_media_type
req POST "$M/$ID/predict" $'1,2\n' text/csv
check_error "predict as text/csv" 415 unsupported_media_type
req POST "$M/$ID/samples" '<x/>' application/xml
check_error "samples as application/xml" 415 unsupported_media_type
req POST $M '{"name":"x","inputs":2,"layers":[{"units":1,"activation":"linear"}]}' -
check_error "create without Content-Type" 415 unsupported_media_type
python3 -c 'import json; print(json.dumps({"inputs": [[0.5, -1.0]] * 400}))' >"$E2E_TMP/big.json"
req POST "$M/$ID/predict" "@$E2E_TMP/big.json"
check_error "body of $(wc -c <"$E2E_TMP/big.json") bytes past --max-body 4096" 413 body_too_large
STATUS=$(curl -sS -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary '{"inputs":[[0.5,-1.0]]}' "$MLPD_URL$M/$ID/predict")
check_error "chunked body without Content-Length" 411 length_required
same_as base "$ID" "after HTTP-level errors"

echo "== no_samples, conflict"
req POST "$M/$OTHER/train" '{"epochs":1}'
check_error "train without samples" 400 no_samples
req GET "$M/$OTHER/jobs"
check "no job was recorded" "j == {'jobs': []}"
req GET "$M/$ID/jobs"
JOB=$(jget 'j["jobs"][0]["id"]')
req DELETE "/v1/jobs/$JOB"
check_error "cancel a finished job" 409 conflict
same_as base "$ID" "after no_samples/conflict"

echo "== the daemon is still healthy"
req GET /healthz
check_status "GET /healthz" 200
finish
