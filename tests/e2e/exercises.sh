#!/usr/bin/env bash
# Graded step exercises with --auth token: a teacher and two students.
# Each student's variant is their own (differs from the other's, repeats
# for them); an attempt computed by an independent reference of the
# lecture's step (Python, below, not mlpd) scores 1.0; each known slip,
# planted in that reference, is named; expected numbers are withheld
# until right or asked for; the results list both students (JSON, CSV);
# another student's variant, attempts and the teacher's routes are
# 404/403; bad inputs are 4xx naming the problem and change nothing; a
# restart keeps it all; the teacher's answer key equals the reference;
# attempts sent at once are all stored.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
PY=/usr/bin/python3

TA=$("$MLPD_BIN" --db "$MLPD_DB" user add ana | awk '{print $NF}')
TB=$("$MLPD_BIN" --db "$MLPD_DB" user add ben | awk '{print $NF}')
TT=$("$MLPD_BIN" --db "$MLPD_DB" user add teacher --admin | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --anon-rate-limit 0
as() { case $1 in
    ana) REQ_HEADERS=(-H "Authorization: Bearer $TA") ;;
    ben) REQ_HEADERS=(-H "Authorization: Bearer $TB") ;;
    teacher) REQ_HEADERS=(-H "Authorization: Bearer $TT") ;;
esac; }

# The reference: the lecture's online step from the variant's numbers,
# written here from the slides (v = W x + b, y = f(v), e = d - y,
# delta = e f'(v) at the output, f'(v) sum_j w_ji(n) delta_j below,
# dw = eta delta input, db = eta delta). PLANT puts one known slip into
# step 1; later steps start from the right weights.
REF="$E2E_TMP/ref.py"
cat >"$REF" <<'PY'
import json, math, sys
v = json.load(open(sys.argv[1]))
plant = sys.argv[2]
reveal = len(sys.argv) > 3 and sys.argv[3] == "reveal"
x, d, eta = v["x"], v["d"], v["learning_rate"]
acts = [L["activation"] for L in v["layers"]]

def f(a, s):
    if a == "sigmoid": return 1.0 / (1.0 + math.exp(-s))
    if a == "tanh": return math.tanh(s)
    if a == "relu": return max(0.0, s)
    return s

def fprime(a, s, y):
    if a == "sigmoid": return y * (1.0 - y)
    if a == "tanh": return 1.0 - y * y
    if a == "relu": return 1.0 if s > 0 else 0.0
    return 1.0

def forward(W, B):
    ins, vs, ys, inp = [], [], [], x
    for l, a in enumerate(acts):
        vl = [sum(W[l][k][i] * inp[i] for i in range(len(inp))) + B[l][k] for k in range(len(B[l]))]
        ins.append(inp); vs.append(vl); ys.append([f(a, s) for s in vl]); inp = ys[-1]
    return ins, vs, ys

def step(W, B, p):
    ins, vs, ys = forward(W, B)
    L = len(W)
    out = ys[-1]
    e = [(y - t) if p == "error_sign" else (t - y) for y, t in zip(out, d)]
    E = 0.5 * sum((t - y) ** 2 for y, t in zip(out, d))
    fp = [[fprime(acts[l], s, y) for s, y in zip(vs[l], ys[l])] for l in range(L)]
    delta, dw, db, Wa, Ba = [None] * L, [None] * L, [None] * L, [None] * L, [None] * L
    for l in reversed(range(L)):
        if l == L - 1:
            g = e
        else:
            Wup = Wa[l + 1] if p == "updated_weights_in_hidden_delta" else W[l + 1]
            g = [sum(Wup[j][k] * delta[l + 1][j] for j in range(len(Wup))) for k in range(len(B[l]))]
        delta[l] = [gk if p == "missing_fprime" else gk * fk for gk, fk in zip(g, fp[l])]
        dw[l] = [[eta * delta[l][k] * ins[l][i] for i in range(len(ins[l]))] for k in range(len(B[l]))]
        db[l] = [dk if p == "bias_without_eta" else eta * dk for dk in delta[l]]
        Wa[l] = [[W[l][k][i] + dw[l][k][i] for i in range(len(ins[l]))] for k in range(len(B[l]))]
        Ba[l] = [B[l][k] + db[l][k] for k in range(len(B[l]))]
    E_after = 0.5 * sum((t - y) ** 2 for y, t in zip(forward(Wa, Ba)[2][-1], d))
    q = {"e": e, "E": E, "E_after": E_after, "layers": [
        {"v": vs[l], "y": ys[l], "fprime": fp[l], "delta": delta[l], "dw": dw[l], "db": db[l],
         "weights_after": Wa[l], "biases_after": Ba[l]} for l in range(L)]}
    return q, Wa, Ba

W = [L["weights"] for L in v["layers"]]
B = [L["biases"] for L in v["layers"]]
steps = []
for k in range(v["steps"]):
    mine, _, _ = step(W, B, plant if k == 0 else "none")
    steps.append(mine)
    _, W, B = step(W, B, "none")
body = {"steps": steps}
if reveal:
    body["reveal"] = True
print(json.dumps(body))
PY

echo "== the teacher creates an exercise ($MLPD_URL)"
as teacher
req POST /v1/exercises '{"title":"One step by hand","network":"lecture-2-3-1","seed":42,"steps":2,"tolerance":1e-6}'
check_status "teacher creates an exercise" 201
check "it shows the lecture's network, steps, tolerance, seed and a Location" "j['preset'] == 'lecture-2-3-1' and j['network']['inputs'] == 2 and [L['units'] for L in j['network']['layers']] == [3, 1] and j['steps'] == 2 and j['tolerance'] == 1e-6 and j['seed'] == 42 and h['location'] == '/v1/exercises/' + j['id']"
EX=$(jget 'j["id"]')
as ana
req POST /v1/exercises '{"title":"mine","network":"lecture-2-3-1"}'
check_error "a student may not create an exercise" 403 forbidden
req GET /v1/exercises
check "a student lists the exercise (without its seed)" "[e['id'] for e in j['exercises']] == ['$EX'] and 'seed' not in j['exercises'][0]"

echo "== variants"
req GET "/v1/exercises/$EX"
check_status "ana reads her variant" 200
check "the variant has the lecture's shapes, 2-decimal numbers, her name, no seed" "j['user'] == 'ana' and len(j['x']) == 2 and len(j['d']) == 1 and [len(L['weights']) for L in j['layers']] == [3, 1] and [len(L['weights'][0]) for L in j['layers']] == [2, 3] and all(abs(n * 100 - round(n * 100)) < 1e-9 for n in j['x'] + j['d'] + [j['learning_rate']] + [w for L in j['layers'] for r in L['weights'] for w in r] + [b for L in j['layers'] for b in L['biases']]) and 'seed' not in j"
check "no hidden unit of ana's variant saturates (|v| < 3)" "all(abs(sum(w * xi for w, xi in zip(r, j['x'])) + b) < 3 for r, b in zip(j['layers'][0]['weights'], j['layers'][0]['biases']))"
cp "$BODY_FILE" "$E2E_TMP/var-ana"
req GET "/v1/exercises/$EX"
check "ana's variant repeats" "t == open('$E2E_TMP/var-ana').read()"
as ben
req GET "/v1/exercises/$EX"
cp "$BODY_FILE" "$E2E_TMP/var-ben"
check "ben's variant differs from ana's" "j['user'] == 'ben' and (j['layers'], j['x'], j['d'], j['learning_rate']) != (lambda a: (a['layers'], a['x'], a['d'], a['learning_rate']))(json.load(open('$E2E_TMP/var-ana')))"
req GET "/v1/exercises/$EX?user=ana"
check_error "ben cannot read ana's variant" 404 not_found
req GET "/v1/exercises/$EX?user=nobody"
check_error "nor a user that does not exist" 404 not_found
as teacher
req GET "/v1/exercises/$EX?user=ana"
check "the teacher reads ana's variant, the same numbers" "(lambda a: (j['layers'], j['x'], j['d'], j['learning_rate']) == (a['layers'], a['x'], a['d'], a['learning_rate']))(json.load(open('$E2E_TMP/var-ana'))) and j['user'] == 'ana'"

echo "== attempts graded against the reference"
as ana
$PY "$REF" "$E2E_TMP/var-ana" none >"$E2E_TMP/att-ana"
req POST "/v1/exercises/$EX/attempts" "@$E2E_TMP/att-ana"
check_status "ana posts the reference's answer" 201
check "it scores 1.0, every one of the 2 x 45 numbers right, no mistakes" "j['score'] == 1.0 and j['given'] == 90 and j['correct'] == 90 and j['mistakes'] == [] and all(g['correct'] and 'expected' in g for g in j['grades'])"
check "grades name the trace's paths" "'steps[0].layers[0].delta[1]' in [g['path'] for g in j['grades']] and 'steps[1].layers[1].weights_after[0][2]' in [g['path'] for g in j['grades']]"
for slip in updated_weights_in_hidden_delta error_sign missing_fprime bias_without_eta; do
    $PY "$REF" "$E2E_TMP/var-ana" "$slip" >"$E2E_TMP/att-slip"
    req POST "/v1/exercises/$EX/attempts" "@$E2E_TMP/att-slip"
    check "planted $slip: named (only it), with a sentence and the paths, score < 1" "s == 201 and j['score'] < 1 and [m['code'] for m in j['mistakes']] == ['$slip'] and len(j['mistakes'][0]['message']) > 40 and ('rule' in j['mistakes'][0]['message'] or 'lecture' in j['mistakes'][0]['message']) and len(j['mistakes'][0]['paths']) > 0"
    check "  wrong numbers come without expected" "all(('expected' in g) == g['correct'] for g in j['grades']) and any(not g['correct'] for g in j['grades'])"
done
$PY "$REF" "$E2E_TMP/var-ana" error_sign reveal >"$E2E_TMP/att-slip"
req POST "/v1/exercises/$EX/attempts" "@$E2E_TMP/att-slip"
check "reveal: true shows every expected number" "s == 201 and all('expected' in g for g in j['grades']) and any(not g['correct'] for g in j['grades'])"
req POST "/v1/exercises/$EX/attempts" '{"e":[0.5],"layers":[{"delta":[null,0.1,null]}]}'
check "a partial attempt grades just its numbers, by the top-level names" "s == 201 and j['given'] == 2 and [g['path'] for g in j['grades']] == ['e[0]', 'layers[0].delta[1]']"
as ben
$PY "$REF" "$E2E_TMP/var-ben" none >"$E2E_TMP/att-ben"
req POST "/v1/exercises/$EX/attempts" "@$E2E_TMP/att-ben"
check "ben's reference answer scores 1.0" "s == 201 and j['score'] == 1.0"
req POST "/v1/exercises/$EX/attempts" "@$E2E_TMP/att-ana"
check "ana's answer is not right for ben's variant" "s == 201 and j['score'] < 0.5"

echo "== the teacher's answer key"
as ana
req GET "/v1/exercises/$EX/solution"
check_error "a student may not read a solution" 403 forbidden
as teacher
req GET "/v1/exercises/$EX/solution?user=ana"
check_status "the teacher reads ana's solution" 200
check "it equals the Python reference's numbers (to 1e-12)" "(lambda r: len(j['steps']) == 2 and all(approx(j['steps'][k][q], r['steps'][k][q], 1e-12) for k in range(2) for q in ('e', 'E', 'E_after')) and all(approx(j['steps'][k]['layers'][l][q], r['steps'][k]['layers'][l][q], 1e-12) if not isinstance(r['steps'][k]['layers'][l][q][0], list) else all(approx(a, b, 1e-12) for a, b in zip(j['steps'][k]['layers'][l][q], r['steps'][k]['layers'][l][q])) for k in range(2) for l in range(2) for q in r['steps'][k]['layers'][l]))(json.load(open('$E2E_TMP/att-ana')))"
req GET "/v1/exercises/$EX/solution?user=nobody"
check_error "no solution for a user that does not exist" 404 not_found
as ben

echo "== attempts and results"
req GET "/v1/exercises/$EX/attempts"
check "ben lists his own 2 attempts" "s == 200 and j['user'] == 'ben' and [a['score'] == 1.0 for a in j['attempts']] == [True, False]"
req GET "/v1/exercises/$EX/attempts?user=ana"
check_error "ben cannot list ana's attempts" 404 not_found
req GET "/v1/exercises/$EX/results"
check_error "a student may not read the results" 403 forbidden
as ana
req GET "/v1/exercises/$EX/attempts"
check "ana lists her 7 attempts, the slips among them" "s == 200 and len(j['attempts']) == 7 and j['attempts'][0]['score'] == 1.0 and j['attempts'][1]['mistakes'] == ['updated_weights_in_hidden_delta']"
as teacher
req GET "/v1/exercises/$EX/results"
check_status "the teacher reads the results" 200
check "both students by name, with attempts, best score and the slips seen" "[(r['name'], r['n_attempts'], r['best_score']) for r in j['students']] == [('ana', 7, 1.0), ('ben', 2, 1.0)] and len(j['students'][0]['attempts']) == 7 and sorted(j['students'][0]['mistakes']) == sorted(['updated_weights_in_hidden_delta', 'error_sign', 'missing_fprime', 'bias_without_eta'])"
REQ_HEADERS+=(-H "Accept: text/csv")
req GET "/v1/exercises/$EX/results"
check "as text/csv: a header and a row per student" "s == 200 and h['content-type'].startswith('text/csv') and t.splitlines()[0] == 'name,attempts,best_score,last_attempt,mistakes' and [l.split(',')[:3] for l in t.splitlines()[1:]] == [['ana', '7', '1'], ['ben', '2', '1']]"
as teacher
req GET "/v1/exercises/$EX/results?format=xml"
check_error "an unknown format" 400 invalid_query

echo "== bad input names the problem and changes nothing"
as ana
req POST "/v1/exercises/$EX/attempts" '{"layers":[{"grad_w":[[1,2]]}]}'
check "an unknown path -> 400 unknown_field naming it" "s == 400 and j['error']['code'] == 'unknown_field' and j['error']['field'] == 'layers[0].grad_w'"
req POST "/v1/exercises/$EX/attempts" '{"layers":[{"delta":[1,2]}]}'
check "a wrong shape -> 400 invalid_dimensions naming it" "s == 400 and j['error']['code'] == 'invalid_dimensions' and j['error']['field'] == 'layers[0].delta' and '3 numbers' in j['error']['message']"
req POST "/v1/exercises/$EX/attempts" '{"layers":[{"delta":[1,"two",3]}]}'
check "a non-number -> 400 invalid_field naming it" "s == 400 and j['error']['code'] == 'invalid_field' and j['error']['field'] == 'layers[0].delta[1]'"
req POST "/v1/exercises/$EX/attempts" '{"steps":[{},{},{}]}'
check "more steps than the exercise has -> 400 naming steps" "s == 400 and j['error']['field'] == 'steps'"
req POST "/v1/exercises/$EX/attempts" '{}'
check_error "an attempt without a number" 400 missing_field
req POST "/v1/exercises/$EX/attempts" '{"e":[1],"e":[2]}'
check_error "duplicate keys" 400 invalid_json
req POST "/v1/exercises/$EX/attempts" 'e=1' text/plain
check_error "not JSON" 415 unsupported_media_type
req POST "/v1/exercises/0000000000000000/attempts" "@$E2E_TMP/att-ana"
check_error "an exercise that does not exist" 404 not_found
req GET "/v1/exercises/$EX/attempts"
check "the refused attempts were not stored" "len(j['attempts']) == 7"
as teacher
req POST /v1/exercises '{"title":"deep relu","network":{"inputs":8,"layers":[{"units":8,"activation":"relu"},{"units":8,"activation":"relu"},{"units":8,"activation":"relu"},{"units":8,"activation":"relu"}]}}'
check "a network that cannot be rounded without saturation -> 400 naming network" "s == 400 and j['error']['code'] == 'invalid_field' and j['error']['field'] == 'network' and 'unsaturated' in j['error']['message']"
req POST /v1/exercises '{"title":"x","network":{"inputs":2,"layers":[{"units":2,"activation":"softmax"}]}}'
check "softmax -> 400 naming the activation" "s == 400 and j['error']['field'] == 'network.layers[0].activation'"
req POST /v1/exercises '{"title":"x","network":"lecture-2-3-1","steps":4}'
check "steps 4 -> 400 naming steps" "s == 400 and j['error']['field'] == 'steps'"
req POST /v1/exercises '{"title":"x","network":"lecture-2-3-1","tolerance":0.5}'
check "tolerance 0.5 -> 400 naming tolerance" "s == 400 and j['error']['field'] == 'tolerance'"
req POST /v1/exercises '{"network":"lecture-2-3-1"}'
check_error "no title" 400 missing_field
req POST /v1/exercises '{"title":"x","network":"lecture-2-3-1","hint":1}'
check_error "an unknown field" 400 unknown_field
req GET /v1/exercises
check "none of the refused exercises was stored" "len(j['exercises']) == 1"
req POST /v1/exercises '{"title":"tanh net","network":{"inputs":3,"layers":[{"units":4,"activation":"tanh"},{"units":2,"activation":"sigmoid"}]},"seed":7,"steps":3}'
check_status "a spec network, 3 steps" 201
EX2=$(jget 'j["id"]')
as ben
req GET "/v1/exercises/$EX2"
cp "$BODY_FILE" "$E2E_TMP/var-ben2"
$PY "$REF" "$E2E_TMP/var-ben2" none >"$E2E_TMP/att-ben2"
req POST "/v1/exercises/$EX2/attempts" "@$E2E_TMP/att-ben2"
check "the reference's answer on a 3-4-2 tanh/sigmoid network, 3 steps, scores 1.0" "s == 201 and j['score'] == 1.0 and j['given'] == 3 * (2 + 2 + 6 * 4 + 2 * 12 + 6 * 2 + 2 * 8)"
$PY "$REF" "$E2E_TMP/var-ben2" missing_fprime >"$E2E_TMP/att-ben2"
req POST "/v1/exercises/$EX2/attempts" "@$E2E_TMP/att-ben2"
check "missing_fprime named on it too" "s == 201 and [m['code'] for m in j['mistakes']] == ['missing_fprime']"

echo "== attempts at once"
codes="$E2E_TMP/codes"
: >"$codes"
pids=()
for i in $(seq 1 10); do
    for who in ana ben; do
        tok=$TA; [ "$who" = ben ] && tok=$TB
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H "Authorization: Bearer $tok" \
            -H 'Content-Type: application/json' --data-binary "@$E2E_TMP/att-$who" \
            "$MLPD_URL/v1/exercises/$EX/attempts" >>"$codes" &
        pids+=($!)
    done
done
wait "${pids[@]}" # these curls only, not the daemon
STATUS=200; cp "$codes" "$BODY_FILE"
check "20 attempts sent at once by two students are all answered 201" "t.split() == ['201'] * 20"
as ana
req GET "/v1/exercises/$EX/attempts"
check "ana now has 17 attempts, the last 10 scoring 1.0" "len(j['attempts']) == 17 and all(a['score'] == 1.0 for a in j['attempts'][7:])"
as teacher
req GET "/v1/exercises/$EX/results"
check "the results count them" "[(r['name'], r['n_attempts']) for r in j['students']] == [('ana', 17), ('ben', 12)]"

echo "== a restart keeps exercises, attempts and variants"
restart_daemon
as ana
req GET "/v1/exercises/$EX"
check "ana's variant is the same after a restart" "t == open('$E2E_TMP/var-ana').read()"
req GET "/v1/exercises/$EX/attempts"
check "her attempts are kept" "s == 200 and len(j['attempts']) == 17"
req POST "/v1/exercises/$EX/attempts" "@$E2E_TMP/att-ana"
check "her reference answer still scores 1.0" "s == 201 and j['score'] == 1.0"

echo "== delete"
as ana
req DELETE "/v1/exercises/$EX"
check_error "a student may not delete" 403 forbidden
as teacher
req DELETE "/v1/exercises/$EX"
check_status "the teacher deletes the exercise" 200
req GET "/v1/exercises/$EX/results"
check_error "its results are gone" 404 not_found

finish
