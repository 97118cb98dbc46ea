#!/usr/bin/env bash
# POST /v1/models/{id}/step reproduces the lecture's 2-3-1 example: every
# forward value, delta, weight change and updated weight is computed here
# from the slide formulas, written out weight by weight (w11 ... w43, b1 ...
# b4), and compared with the daemon's trace. Then a second step checks that
# the hidden updates used the output weights of step n, not n+1.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

# The slides, one formula per line. Prints the expected trace as JSON.
lecture() {
    python3 - "$@" <<'EOF'
import json, math, sys
W = json.loads(sys.argv[1])["layers"]
x1, x2 = json.loads(sys.argv[2]); d = json.loads(sys.argv[3])[0]; eta = float(sys.argv[4])
(w11, w12), (w21, w22), (w31, w32) = W[0]["weights"]
b1, b2, b3 = W[0]["biases"]
(w41, w42, w43), = W[1]["weights"]
b4, = W[1]["biases"]
f = lambda z: 1 / (1 + math.exp(-z))          # logsig
# Forward path
v1 = w11 * x1 + w12 * x2 + b1
v2 = w21 * x1 + w22 * x2 + b2
v3 = w31 * x1 + w32 * x2 + b3
yh1, yh2, yh3 = f(v1), f(v2), f(v3)
fp1, fp2, fp3 = yh1 * (1 - yh1), yh2 * (1 - yh2), yh3 * (1 - yh3)
v4 = w41 * yh1 + w42 * yh2 + w43 * yh3 + b4
y = v4                                          # purelin, f'(v4) = 1
e = d - y
E = 0.5 * e ** 2
# (1) output weights: w4i(n+1) = w4i(n) + eta (d - y) f(vi)
n41 = w41 + eta * (d - y) * yh1
n42 = w42 + eta * (d - y) * yh2
n43 = w43 + eta * (d - y) * yh3
# (2) output bias: b4(n+1) = b4(n) + eta (d - y)
n4 = b4 + eta * (d - y)
# (3) hidden weights: wik(n+1) = wik(n) + eta (d - y) w4i(n) f(vi)(1 - f(vi)) xk
n11 = w11 + eta * (d - y) * w41 * yh1 * (1 - yh1) * x1
n12 = w12 + eta * (d - y) * w41 * yh1 * (1 - yh1) * x2
n21 = w21 + eta * (d - y) * w42 * yh2 * (1 - yh2) * x1
n22 = w22 + eta * (d - y) * w42 * yh2 * (1 - yh2) * x2
n31 = w31 + eta * (d - y) * w43 * yh3 * (1 - yh3) * x1
n32 = w32 + eta * (d - y) * w43 * yh3 * (1 - yh3) * x2
# (4) hidden biases: bi(n+1) = bi(n) + eta (d - y) w4i(n) f(vi)(1 - f(vi))
m1 = b1 + eta * (d - y) * w41 * yh1 * (1 - yh1)
m2 = b2 + eta * (d - y) * w42 * yh2 * (1 - yh2)
m3 = b3 + eta * (d - y) * w43 * yh3 * (1 - yh3)
# E after the step, with the new weights
a1 = f(n11 * x1 + n12 * x2 + m1); a2 = f(n21 * x1 + n22 * x2 + m2); a3 = f(n31 * x1 + n32 * x2 + m3)
E_after = 0.5 * (d - (n41 * a1 + n42 * a2 + n43 * a3 + n4)) ** 2
print(json.dumps({
    "E_before": E, "E_after": E_after, "e": [e],
    "h": {"input": [x1, x2], "v": [v1, v2, v3], "y": [yh1, yh2, yh3], "fprime": [fp1, fp2, fp3],
          "delta": [e * w41 * fp1, e * w42 * fp2, e * w43 * fp3],
          "dw": [[n11 - w11, n12 - w12], [n21 - w21, n22 - w22], [n31 - w31, n32 - w32]],
          "db": [m1 - b1, m2 - b2, m3 - b3],
          "weights_after": [[n11, n12], [n21, n22], [n31, n32]], "biases_after": [m1, m2, m3]},
    "o": {"input": [yh1, yh2, yh3], "v": [v4], "y": [y], "fprime": [1.0], "delta": [e],
          "dw": [[n41 - w41, n42 - w42, n43 - w43]], "db": [n4 - b4],
          "weights_after": [[n41, n42, n43]], "biases_after": [n4]},
    "next": {"layers": [{"weights": [[n11, n12], [n21, n22], [n31, n32]], "biases": [m1, m2, m3]},
                        {"weights": [[n41, n42, n43]], "biases": [n4]}]},
}))
EOF
}

# compare_trace EXPECTED_FILE: the last step answer against the expectation.
compare_trace() {
    local exp=$1 q
    check "E_before = 1/2 (d - y)^2" "approx(j['E_before'], json.load(open('$exp'))['E_before'])"
    check "E_after with the updated weights" "approx(j['E_after'], json.load(open('$exp'))['E_after'], 1e-10)"
    check "e = d - y" "approx(j['e'], json.load(open('$exp'))['e'])"
    for q in input v y fprime delta dw db weights_after biases_after; do
        check "hidden layer $q" "approx([x for r in j['layers'][0]['$q'] for x in (r if isinstance(r, list) else [r])], [x for r in json.load(open('$exp'))['h']['$q'] for x in (r if isinstance(r, list) else [r])])"
        check "output layer $q" "approx([x for r in j['layers'][1]['$q'] for x in (r if isinstance(r, list) else [r])], [x for r in json.load(open('$exp'))['o']['$q'] for x in (r if isinstance(r, list) else [r])])"
    done
    check "grad_w = -dw / eta, grad_b = -db / eta" "all(approx([-g * j['learning_rate'] for r in L['grad_w'] for g in r], [x for r in L['dw'] for x in r]) and approx([-g * j['learning_rate'] for g in L['grad_b']], L['db']) for L in j['layers'])"
}

start_daemon
echo "== the lecture's 2-3-1 network with the worked example's weights ($MLPD_URL)"
ID=$(create_model) || exit 1
req PUT "/v1/models/$ID/weights" "$LECTURE_WEIGHTS"
check_status "PUT the worked example's weights" 200

X='[0.5,-1.0]' D='[0.8]' ETA=0.5
lecture "$LECTURE_WEIGHTS" "$X" "$D" "$ETA" >"$E2E_TMP/exp1.json"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print("  expected: v =", e["h"]["v"], " E before", e["E_before"], " after", e["E_after"])' "$E2E_TMP/exp1.json"

echo "== step with apply=false: the trace, nothing stored"
req POST "/v1/models/$ID/step" "{\"x\":$X,\"y\":$D,\"learning_rate\":$ETA,\"apply\":false}"
check_status "POST step apply=false" 200
check "activations are logsig (sigmoid) then purelin (linear)" "[L['activation'] for L in j['layers']] == ['sigmoid', 'linear']"
check "weights_before are the PUT weights" "[{'weights': L['weights_before'], 'biases': L['biases_before']} for L in j['layers']] == json.loads('''$LECTURE_WEIGHTS''')['layers']"
compare_trace "$E2E_TMP/exp1.json"
check "v = (0.5, -0.1, -0.4) for the worked example" "approx(j['layers'][0]['v'], [0.5, -0.1, -0.4])"
req GET "/v1/models/$ID/weights"
check "weights unchanged, version 2" "j == dict(json.loads('''$LECTURE_WEIGHTS'''), version=2)"

echo "== step applied, with the finite-difference check"
req POST "/v1/models/$ID/step" "{\"x\":$X,\"y\":$D,\"learning_rate\":$ETA,\"check\":true}"
check_status "POST step check=true" 200
compare_trace "$E2E_TMP/exp1.json"
check "numeric gradients agree (max_rel_error < 1e-7)" "j['max_rel_error'] < 1e-7 and approx([g for L in j['layers'] for r in L['num_grad_w'] for g in r], [g for L in j['layers'] for r in L['grad_w'] for g in r], 1e-6, 1e-9)"
check "applied, version 3" "j['applied'] is True and j['version'] == 3"
req GET "/v1/models/$ID/weights"
check "stored weights = the slide formulas' w(n+1)" "approx([x for L in j['layers'] for r in L['weights'] for x in r] + [x for L in j['layers'] for x in L['biases']], [x for L in json.load(open('$E2E_TMP/exp1.json'))['next']['layers'] for r in L['weights'] for x in r] + [x for L in json.load(open('$E2E_TMP/exp1.json'))['next']['layers'] for x in L['biases']])"
cp "$BODY_FILE" "$E2E_TMP/w3.json"

echo "== a second step from the stored weights (hidden deltas use w4i(n))"
WN=$(cat "$E2E_TMP/w3.json")
X2='[1.0,2.0]' D2='[-0.3]' ETA2=0.25
lecture "$WN" "$X2" "$D2" "$ETA2" >"$E2E_TMP/exp2.json"
req POST "/v1/models/$ID/step" "{\"x\":$X2,\"y\":$D2,\"learning_rate\":$ETA2}"
check_status "POST second step" 200
compare_trace "$E2E_TMP/exp2.json"
check "E fell on the sample" "j['E_after'] < j['E_before']"
req GET "/v1/models/$ID/versions"
check "versions: init, put, step (apply=false stored nothing)" "[v['source'] for v in j['versions']] == ['init', 'put', 'step', 'step']"
finish
