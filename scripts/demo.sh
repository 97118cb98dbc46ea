#!/usr/bin/env bash
# demo.sh - a walk through mlpd with curl, on the lecture's 2-3-1 network.
#
# Start the daemon first (`make run`), then: scripts/demo.sh
# MLPD_URL picks another daemon (default http://127.0.0.1:8080).
# Every request is printed before it is sent; python3 pretty-prints and
# pulls values out of the answers (jq would do as well).
set -euo pipefail
URL=${MLPD_URL:-http://127.0.0.1:8080}

# call METHOD PATH [BODY [CONTENT-TYPE]]: show the request, send it, keep
# the answer in $OUT, fail on a 4xx/5xx.
call() {
    local method=$1 path=$2
    echo
    echo "\$ curl -X $method $URL$path ${3:+--data '...'}"
    if [ $# -ge 3 ]; then
        OUT=$(curl -sS --fail-with-body -X "$method" -H "Content-Type: ${4:-application/json}" \
              --data-binary "$3" "$URL$path")
    else
        OUT=$(curl -sS --fail-with-body -X "$method" "$URL$path")
    fi
}
show() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=1)[:1500])' <<<"$OUT"; }
get() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" <<<"$OUT"; }

echo "== 0. Is the daemon up?"
call GET /healthz
show

echo "== 1. Create the lecture's network: 2 inputs, 3 logsig hidden units, 1 linear output."
# logsig/purelin are the lecture's (MATLAB's) names for sigmoid and linear.
# The cost is E = 1/2 e^2 per sample ("loss": "mse"); init draws the first
# weights (xavier, seed 42), which we replace in step 2.
call POST /v1/models '{"name": "lecture-2-3-1", "inputs": 2,
  "layers": [{"units": 3, "activation": "logsig"}, {"units": 1, "activation": "purelin"}],
  "loss": "mse", "init": {"method": "xavier", "seed": 42}}'
show
ID=$(get 'j["id"]')
echo "model id: $ID"

echo "== 2. Set the weights to the worked example's numbers."
# weights[k][i] is the lecture's w_ki: row k = hidden unit k, column i = input i.
#   v1 = 0.2 x1 - 0.3 x2 + 0.1     v2 = 0.4 x1 + 0.1 x2 - 0.2     v3 = -0.5 x1 + 0.2 x2 + 0.05
#   v4 = 0.3 f(v1) - 0.6 f(v2) + 0.9 f(v3) + 0.1,   y = v4
call PUT "/v1/models/$ID/weights" '{"layers": [
  {"weights": [[0.2, -0.3], [0.4, 0.1], [-0.5, 0.2]], "biases": [0.1, -0.2, 0.05]},
  {"weights": [[0.3, -0.6, 0.9]], "biases": [0.1]}]}'
show

echo "== 3. One explained step on x = (0.5, -1), d = 0.8, eta = 0.5."
# The answer has every quantity of the derivation: per layer the input, v,
# y = f(v), f'(v), delta, the changes dw = eta * delta_k * input_i, and the
# weights before and after. The hidden deltas use w4i(n), before its update.
call POST "/v1/models/$ID/step" '{"x": [0.5, -1.0], "y": [0.8], "learning_rate": 0.5}'
python3 - <<PY
import json
t = json.loads('''$OUT''')
h, o = t["layers"]
print("forward:  v =", h["v"], " f(v) =", [round(a, 6) for a in h["y"]])
print("          y = v4 =", o["y"][0], " e = d - y =", t["e"][0])
print("backward: output delta =", o["delta"], " hidden deltas =", [round(a, 6) for a in h["delta"]])
print("          new w41..w43 =", o["weights_after"][0], " new b4 =", o["biases_after"][0])
print("E before = %.6f   E after = %.6f" % (t["E_before"], t["E_after"]))
PY

echo "== 4. Post training data as CSV: 200 rows of y = sin(x1) cos(x2) on [-3, 3]^2."
# CSV rows are the inputs then the targets; a first line that is not all
# numbers is taken as a header.
CSV=$(awk 'BEGIN { srand(7); print "x1,x2,y";
    for (i = 0; i < 200; i++) { a = 6 * rand() - 3; b = 6 * rand() - 3;
                                printf "%.6f,%.6f,%.6f\n", a, b, sin(a) * cos(b) } }')
call POST "/v1/models/$ID/samples" "$CSV" text/csv
show

echo "== 5. Train: 300 epochs of the lecture's online rule (batch 1, plain SGD), shuffled."
# ?wait=true answers when the job has ended; the loss of an epoch is the
# mean E over the samples with the weights at the end of that epoch.
call POST "/v1/models/$ID/train?wait=true" '{"epochs": 300, "learning_rate": 0.05,
  "batch_size": 1, "optimizer": "sgd", "shuffle": true, "seed": 1}'
echo "job $(get 'j["id"]'): $(get 'j["status"]') after $(get 'j["epoch"]') epochs, loss $(get 'j["loss"]'), weights version $(get 'j["version"]')"
call GET "/v1/models/$ID/history"
python3 - <<PY
import json
h = json.loads('''$OUT''')["history"]
for r in h[:: max(1, len(h) // 6)] + [h[-1]]:
    print("  epoch %4d  loss %.6f" % (r["epoch"], r["loss"]))
PY

echo "== 6. Predict, and compare with sin(x1) cos(x2)."
call POST "/v1/models/$ID/predict" '{"inputs": [[0, 0], [1, 0], [1.5, 0.5], [-2, 1]]}'
python3 - <<PY
import json, math
out = json.loads('''$OUT''')["outputs"]
for (a, b), (y,) in zip([[0, 0], [1, 0], [1.5, 0.5], [-2, 1]], out):
    print("  x = (%4.1f, %4.1f)   mlpd %8.4f   sin(x1)cos(x2) %8.4f" % (a, b, y, math.sin(a) * math.cos(b)))
PY

echo "== 7. Every weights version is kept: init, put, step, train."
call GET "/v1/models/$ID/versions"
show
echo
echo "Done. Delete the model with: curl -X DELETE $URL/v1/models/$ID"
