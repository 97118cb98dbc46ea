#!/usr/bin/env bash
# POST /v1/models/{id}/activations: every layer's outputs for rows or a
# grid of the input plane, compared with a forward pass written here in
# Python from GET weights (to 1e-12); the last layer equals predict bit
# for bit; the grid's points are where the contract puts them; bad input
# is a 4xx naming the field; access as predict (another user's model is
# 404, a public_predict model answers without a token).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

TA=$("$MLPD_BIN" --db "$MLPD_DB" user add ana | awk '{print $NF}')
TB=$("$MLPD_BIN" --db "$MLPD_DB" user add ben | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --anon-rate-limit 0
as() { case $1 in
    ana) REQ_HEADERS=(-H "Authorization: Bearer $TA") ;;
    ben) REQ_HEADERS=(-H "Authorization: Bearer $TB") ;;
    anon) REQ_HEADERS=() ;;
esac; }

echo "== a 2-4-3-1 network ($MLPD_URL)"
as ana
req POST /v1/models '{"name":"maps","inputs":2,"layers":[{"units":4,"activation":"tanh"},{"units":3,"activation":"relu"},{"units":1,"activation":"sigmoid"}],"loss":"mse","init":{"method":"xavier","seed":7}}'
check_status "ana creates it" 201
M=$(jget 'j["id"]')
req GET "/v1/models/$M/weights"
cp "$BODY_FILE" "$E2E_TMP/weights"

# The reference forward pass: every layer's y for each row.
cat >"$E2E_TMP/ref.py" <<'EOF'
import json, math, sys
W = json.load(open(sys.argv[1]))["layers"]
acts = sys.argv[2].split(",")
rows = json.loads(sys.argv[3])
f = {"tanh": math.tanh, "relu": lambda v: max(v, 0.0), "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "linear": lambda v: v}
out = [[] for _ in W]
for x in rows:
    a = x
    for l, L in enumerate(W):
        a = [f[acts[l]](sum(w * ai for w, ai in zip(r, a)) + b) for r, b in zip(L["weights"], L["biases"])]
        out[l].append(a)
print(json.dumps(out))
EOF
grid_points() {  # n x0 x1 y0 y1: the contract's grid, row by row from the top
    python3 -c "
import json, sys
n, x0, x1, y0, y1 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(json.dumps([[x0 + (i + 0.5) * (x1 - x0) / n, y1 - (j + 0.5) * (y1 - y0) / n] for j in range(n) for i in range(n)]))" "$@"
}

echo "== a grid over the plane"
req POST "/v1/models/$M/activations" '{"grid":{"x_range":[-2,2],"y_range":[-1,3],"n":5}}'
check_status "a 5 x 5 grid" 200
cp "$BODY_FILE" "$E2E_TMP/grid"
PTS=$(grid_points 5 -2 2 -1 3)
REF=$(python3 "$E2E_TMP/ref.py" "$E2E_TMP/weights" tanh,relu,sigmoid "$PTS")
check "25 rows, 3 layers of 4, 3, 1 units named by their activation" "j['rows'] == 25 and [(L['units'], L['activation'], len(L['outputs'])) for L in j['layers']] == [(4, 'tanh', 25), (3, 'relu', 25), (1, 'sigmoid', 25)] and j['grid'] == {'x_range': [-2, 2], 'y_range': [-1, 3], 'n': 5} and j['version'] == 1"
check "every unit's output equals the Python forward pass (to 1e-12)" "all(approx(L['outputs'], r, 1e-12, 1e-15) for L, r in zip(j['layers'], $REF))"
req POST "/v1/models/$M/predict" "{\"inputs\":$PTS}"
check "the last layer is predict's outputs on the grid points, bit for bit" "j['outputs'] == json.load(open('$E2E_TMP/grid'))['layers'][2]['outputs']"
req POST "/v1/models/$M/activations" '{"grid":{"x_range":[-2,2],"y_range":[-1,3]}}'
check "n defaults to 40" "s == 200 and j['rows'] == 1600 and j['grid']['n'] == 40"

echo "== rows given"
req POST "/v1/models/$M/activations" '{"inputs":[[0.5,-1],[3,0.25]]}'
REF=$(python3 "$E2E_TMP/ref.py" "$E2E_TMP/weights" tanh,relu,sigmoid '[[0.5,-1],[3,0.25]]')
check "two rows, the same as the Python forward pass" "s == 200 and j['rows'] == 2 and 'grid' not in j and all(approx(L['outputs'], r, 1e-12, 1e-15) for L, r in zip(j['layers'], $REF))"

echo "== raw units: a model that scales its inputs and targets"
req POST /v1/models '{"name":"scaled","inputs":2,"layers":[{"units":3,"activation":"tanh"},{"units":1,"activation":"linear"}],"preprocessing":{"inputs":"standard","targets":"minmax"}}'
SC=$(jget 'j["id"]')
req POST "/v1/models/$SC/samples" '{"inputs":[[10,200],[20,100],[30,400],[40,300]],"targets":[[5],[7],[3],[9]]}'
req POST "/v1/models/$SC/train?wait=true" '{"epochs":5}'
req POST "/v1/models/$SC/activations" '{"inputs":[[15,250],[35,150]]}'
cp "$BODY_FILE" "$E2E_TMP/scaled"
req POST "/v1/models/$SC/predict" '{"inputs":[[15,250],[35,150]]}'
check "with scalers the last layer is still predict's, bit for bit (raw units in and out)" "s == 200 and j['outputs'] == json.load(open('$E2E_TMP/scaled'))['layers'][1]['outputs']"
check "and the hidden layer saw scaled inputs (tanh not saturated at raw 250)" "all(abs(v) < 0.999 for r in json.load(open('$E2E_TMP/scaled'))['layers'][0]['outputs'] for v in r)"

echo "== bad input: a 4xx naming the field"
req POST "/v1/models/$M/activations" '{}'
check_error "neither inputs nor grid" 400 missing_field
req POST "/v1/models/$M/activations" '{"inputs":[[1,2]],"grid":{"x_range":[0,1],"y_range":[0,1]}}'
check_error "both" 400 invalid_field
req POST "/v1/models/$M/activations" '{"inputs":[[1]]}'
check_error "a row of the wrong width" 400 invalid_dimensions
req POST "/v1/models/$M/activations" '{"grid":{"x_range":[1,-1],"y_range":[0,1]}}'
check "a reversed range names grid.x_range" "s == 400 and j['error']['field'] == 'grid.x_range'"
req POST "/v1/models/$M/activations" '{"grid":{"x_range":[0,1],"y_range":[0,1],"n":65}}'
check "n over 64 names grid.n" "s == 400 and j['error']['field'] == 'grid.n'"
req POST "/v1/models/$M/activations" '{"grid":{"x_range":[0,1],"y_range":[0,"a"]}}'
check "a non-number names grid.y_range" "s == 400 and j['error']['field'].startswith('grid.y_range')"
req POST "/v1/models/$M/activations" '{"grid":{"x_range":[0,1],"y_range":[0,1],"z":1}}'
check_error "an unknown field of grid" 400 unknown_field
req POST "/v1/models/$M/activations" 'x' text/plain
check "a body that is not JSON is 415" "s == 415"
req POST "/v1/models/$M/activations?version=9" '{"inputs":[[1,2]]}'
check_error "a version that does not exist" 404 not_found
req POST /v1/models '{"name":"wide","inputs":3,"layers":[{"units":1,"activation":"linear"}]}'
W3=$(jget 'j["id"]')
req POST "/v1/models/$W3/activations" '{"grid":{"x_range":[0,1],"y_range":[0,1]}}'
check "a grid needs a 2-input model" "s == 400 and j['error']['field'] == 'grid' and '2 inputs' in j['error']['message']"
req POST /v1/models '{"name":"big","inputs":2,"layers":[{"units":200,"activation":"tanh"},{"units":1,"activation":"linear"}]}'
BIG=$(jget 'j["id"]')
req POST "/v1/models/$BIG/activations" '{"grid":{"x_range":[0,1],"y_range":[0,1],"n":64}}'
check "more than 262144 values is 413, naming grid.n" "s == 413 and j['error']['field'] == 'grid.n'"
req POST "/v1/models/$BIG/activations" '{"grid":{"x_range":[0,1],"y_range":[0,1],"n":36}}'
check "36 x 36 x 201 fits" "s == 200 and j['rows'] == 1296"

echo "== access as predict"
as ben
req POST "/v1/models/$M/activations" '{"inputs":[[0,0]]}'
check_error "ben cannot read ana's model" 404 not_found
as anon
req POST "/v1/models/$M/activations" '{"inputs":[[0,0]]}'
check "without a token: 401" "s == 401"
as ana
req PATCH "/v1/models/$M" '{"public_predict":true}'
as anon
req POST "/v1/models/$M/activations" '{"inputs":[[0,0]]}'
check "a public_predict model answers without a token" "s == 200 and j['rows'] == 1"
as ben
req POST "/v1/models/$M/activations" '{"inputs":[[0,0]]}'
check "and to ben" "s == 200"

finish
