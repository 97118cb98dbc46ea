#!/usr/bin/env bash
# A class's shared datasets, a teacher and two students (DESIGN.md "A
# class"): the seeded stratified split is reproducible and its counts are
# scikit-learn's; the statistics equal the rows' (computed here); a copy
# into a model holds exactly the training rows; evaluate on the test rows
# equals accuracy / r2 computed here and by scikit-learn from predict;
# each user's best is kept; the scoreboard lists both students, best
# first; another student's objects are 404 everywhere, a reader's writes
# 403; datasets and copies count against the quotas; and EVERY response a
# student gets in this test (and the teacher's /metrics) is scanned: no
# test-row target, nor a statistic of the test rows, is in any of them.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

PY=/usr/bin/python3
TT=$("$MLPD_BIN" --db "$MLPD_DB" user add teacher --admin | awk '{print $NF}')
TA=$("$MLPD_BIN" --db "$MLPD_DB" user add ana | awk '{print $NF}')
TB=$("$MLPD_BIN" --db "$MLPD_DB" user add ben | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --anon-rate-limit 0 --quota-samples 400
WHO=""
as() {
    WHO=$1
    case $1 in
    teacher) REQ_HEADERS=(-H "Authorization: Bearer $TT") ;;
    ana) REQ_HEADERS=(-H "Authorization: Bearer $TA") ;;
    ben) REQ_HEADERS=(-H "Authorization: Bearer $TB") ;;
    esac
}
# r: req, keeping every student's response (headers and body) for the scan.
STUDENT_LOG="$E2E_TMP/student-responses"
: >"$STUDENT_LOG"
r() {
    req "$@"
    if [ "$WHO" != teacher ]; then
        { cat "$HDR_FILE"; cat "$BODY_FILE"; echo; } >>"$STUDENT_LOG"
    fi
}

# The data: 90 rows in three classes of 40, 30 and 20 (blobs, CSV with a
# header and a label column), and 60 rows of a regression whose targets
# have 10 significant digits, each different.
$PY - "$E2E_TMP" <<'EOF'
import random, sys
d = sys.argv[1]
rnd = random.Random(20261202)
rows = []
for name, n, cx, cy in (("red", 40, 0, 0), ("green", 30, 3, 0), ("blue", 20, 0, 3)):
    rows += [(round(rnd.gauss(cx, 0.7), 4), round(rnd.gauss(cy, 0.7), 4), name) for _ in range(n)]
rnd.shuffle(rows)
with open(d + "/blobs.csv", "w") as f:
    f.write("width,height,colour\n")
    for x1, x2, c in rows:
        f.write("%r,%r,%s\n" % (x1, x2, c))
seen = set()
with open(d + "/wave.csv", "w") as f:
    f.write("u,v,w\n")
    for _ in range(60):
        u, v = round(rnd.uniform(-1, 1), 3), round(rnd.uniform(-1, 1), 3)
        while True:
            w = float("%.10g" % (u * u - v + rnd.uniform(-0.05, 0.05) + 0.1234))
            if w not in seen and abs(w) > 0.01:
                break
        seen.add(w)
        f.write("%r,%r,%r\n" % (u, v, w))
EOF

echo "== the teacher's datasets ($MLPD_URL)"
as teacher
r POST "/v1/datasets?name=blobs&test_fraction=0.2&seed=11" "@$E2E_TMP/blobs.csv" text/csv
check_status "a CSV with a header and labels" 201
check "90 rows: 18 test rows (ceil(0.2 n)), 3 classes sorted, names from the header, private, a Location" "j['rows'] == 90 and j['test_rows'] == 18 and j['train_rows'] == 72 and j['classes'] == ['blue', 'green', 'red'] and j['outputs'] == 3 and [c['name'] for c in j['columns']] == ['width', 'height'] and j['visibility'] == 'private' and j['mine'] and j['seed'] == 11 and h['location'] == '/v1/datasets/' + j['id']"
BL=$(jget 'j["id"]')
cp "$BODY_FILE" "$E2E_TMP/blobs-owner"
r GET "/v1/datasets/$BL/rows?split=test&limit=1000"
cp "$BODY_FILE" "$E2E_TMP/blobs-test"
r GET "/v1/datasets/$BL/rows?split=train&limit=1000"
cp "$BODY_FILE" "$E2E_TMP/blobs-train"

cat >"$E2E_TMP/sk.py" <<'EOF'
# The split's counts as scikit-learn makes them, and the dataset's
# statistics from its rows. argv: csv, test rows json, train rows json, owner json.
import csv, json, math, sys
from collections import Counter
from sklearn.model_selection import train_test_split
rows = list(csv.reader(open(sys.argv[1])))[1:]
labels = [r[-1] for r in rows]
test = json.load(open(sys.argv[2]))["rows"]
train = json.load(open(sys.argv[3]))["rows"]
ds = json.load(open(sys.argv[4]))
classes = ds["classes"]
_, te = train_test_split(list(range(len(rows))), test_size=0.2, stratify=labels, random_state=0)
ok = len(te) == len(test) == ds["test_rows"]
cls = lambda side: Counter(classes[max(range(len(r["y"])), key=lambda k: r["y"][k])] for r in side)
want = Counter(labels)
got = cls(test)
ok &= all(abs(got[c] - want[c] * 0.2) < 1 for c in want)            # each class in proportion
ok &= sum(got.values()) == 18 and cls(train) + got == want            # the sides make the rows
ok &= all(sum(r["y"]) == 1 and set(r["y"]) <= {0, 1} for r in test + train)
def stats(side, col):
    v = [r["x"][col] for r in side]
    m = sum(v) / len(v)
    return m, math.sqrt(sum((a - m) ** 2 for a in v) / len(v)), min(v), max(v)
close = lambda a, b: abs(a - b) <= 1e-12 * max(1, abs(a), abs(b))
for side, st in ((train, ds), (test, ds["test"])):
    for col, c in enumerate(st["columns"]):
        ok &= all(close(a, b) for a, b in zip(stats(side, col), (c["mean"], c["std"], c["min"], c["max"])))
    ok &= st["class_counts"] == dict(cls(side))
# the test rows are rows of the file, none of them a training row
xs = [(float(r[0]), float(r[1])) for r in rows]
ok &= all(tuple(r["x"]) in xs for r in test) and not ({tuple(r["x"]) for r in test} & {tuple(r["x"]) for r in train})
print("ok" if ok else "FAIL sklearn=%d test=%d got=%s want=%s" % (len(te), len(test), dict(got), dict(want)))
EOF
OUT=$($PY "$E2E_TMP/sk.py" "$E2E_TMP/blobs.csv" "$E2E_TMP/blobs-test" "$E2E_TMP/blobs-train" "$E2E_TMP/blobs-owner")
[ "$OUT" = ok ] && note_pass "the split: scikit-learn's test count, each class in proportion; the statistics and class counts of each side equal its rows (1e-12)" || note_fail "split and statistics: $OUT"

r POST "/v1/datasets?name=blobs-again&test_fraction=0.2&seed=11" "@$E2E_TMP/blobs.csv" text/csv
BL2=$(jget 'j["id"]')
r GET "/v1/datasets/$BL2/rows?split=test&limit=1000"
check "the same rows, fraction and seed pick the same test rows" "j['rows'] == json.load(open('$E2E_TMP/blobs-test'))['rows']"
r POST "/v1/datasets?name=blobs-other&test_fraction=0.2&seed=12" "@$E2E_TMP/blobs.csv" text/csv
BL3=$(jget 'j["id"]')
r GET "/v1/datasets/$BL3/rows?split=test&limit=1000"
check "another seed picks others, as many of each class" "j['rows'] != json.load(open('$E2E_TMP/blobs-test'))['rows'] and len(j['rows']) == 18"
r DELETE "/v1/datasets/$BL2"
check_status "the teacher deletes a copy" 200
r DELETE "/v1/datasets/$BL3"

r POST "/v1/datasets?name=wave&test_fraction=0.25&seed=3" "@$E2E_TMP/wave.csv" text/csv
check "a regression CSV: 15 test rows, the target column's statistics" "s == 201 and j['test_rows'] == 15 and 'classes' not in j and j['targets'][0]['name'] == 'w' and 'targets' in j['test']"
WV=$(jget 'j["id"]')
cp "$BODY_FILE" "$E2E_TMP/wave-owner"
r GET "/v1/datasets/$WV/rows?split=test&limit=1000"
cp "$BODY_FILE" "$E2E_TMP/wave-test"
# What must never reach a student: each test row's target, and the
# numbers computed from them (the owner's test statistics of the targets).
$PY - "$E2E_TMP/wave-test" "$E2E_TMP/wave-owner" >"$E2E_TMP/secrets" <<'EOF'
import json, sys
test = json.load(open(sys.argv[1]))["rows"]
owner = json.load(open(sys.argv[2]))
for r in test:
    print(repr(r["y"][0]))
t = owner["test"]["targets"][0]
for k in ("mean", "std"):
    print(repr(t[k]))
EOF
check "the secrets: 15 targets of 10 digits, and the test side's mean and std" "len(open('$E2E_TMP/secrets').read().split()) == 17"

echo "== private until shared"
as ana
r GET "/v1/datasets/$BL"
check_error "ana cannot read the teacher's private dataset" 404 not_found
r GET /v1/datasets
check "nor list it" "s == 200 and j['datasets'] == []"
as teacher
r PATCH "/v1/datasets/$BL" '{"visibility":"class"}'
check "the teacher shares blobs with the class" "s == 200 and j['visibility'] == 'class'"
r PATCH "/v1/datasets/$WV" '{"visibility":"class"}'
r PATCH "/v1/datasets/$WV" '{"visibility":"everyone"}'
check_error "a visibility that does not exist" 400 invalid_field
as ana
r GET "/v1/datasets/$BL"
check "ana reads it: the training side only, no test part, seed or fraction" "s == 200 and j['train_rows'] == 72 and j['test_rows'] == 18 and not j['mine'] and 'test' not in j and 'seed' not in j and 'test_fraction' not in j and j['owner'] == 'teacher' and j['class_counts'] == json.load(open('$E2E_TMP/blobs-owner'))['class_counts']"
r GET /v1/datasets
check "ana lists both class datasets" "sorted(d['name'] for d in j['datasets']) == ['blobs', 'wave'] and all('test' not in d for d in j['datasets'])"
r GET "/v1/datasets/$BL/rows?split=test"
check_error "ana cannot read the test rows" 403 forbidden
r GET "/v1/datasets/$BL/rows"
check "ana reads the training rows" "s == 200 and j['total'] == 72 and j['split'] == 'train' and j['rows'] == json.load(open('$E2E_TMP/blobs-train'))['rows'][:100]"
r PATCH "/v1/datasets/$BL" '{"visibility":"private"}'
check_error "ana cannot change it" 403 forbidden
r DELETE "/v1/datasets/$BL"
check_error "nor delete it" 403 forbidden
r GET "/v1/datasets/$BL/scores"
check_error "nor read the scoreboard" 403 forbidden

echo "== copies into models"
r POST /v1/models '{"name":"ana-blobs","inputs":2,"layers":[{"units":8,"activation":"tanh"},{"units":3,"activation":"softmax"}],"loss":"cross_entropy","init":{"method":"xavier","seed":1}}'
AM=$(jget 'j["id"]')
r POST "/v1/models/$AM/samples" "{\"dataset\":\"$BL\"}"
check "the training rows are copied: 72" "s == 201 and j['added'] == 72 and j['total'] == 72 and j['dataset'] == '$BL'"
r GET "/v1/models/$AM/samples?limit=1000"
check "the model holds exactly the training rows, in order, one-hot" "[(s['x'], s['y']) for s in j['samples']] == [(r['x'], r['y']) for r in json.load(open('$E2E_TMP/blobs-train'))['rows']]"
r POST /v1/models '{"name":"ana-wave","inputs":2,"layers":[{"units":8,"activation":"tanh"},{"units":1,"activation":"linear"}],"loss":"mse","init":{"method":"xavier","seed":2}}'
AW=$(jget 'j["id"]')
r POST "/v1/models/$AW/samples" "{\"dataset\":\"$WV\"}"
check "the regression's 45 training rows" "s == 201 and j['added'] == 45"
r POST "/v1/models/$AW/samples" "{\"dataset\":\"$BL\"}"
check "a dataset of another shape names the field dataset" "s == 400 and j['error']['field'] == 'dataset' and '3 classes' in j['error']['message']"
r POST /v1/models '{"name":"ana-classes","inputs":2,"classes":["blue","green","red"],"layers":[{"units":4,"activation":"tanh"},{"units":3,"activation":"softmax"}],"loss":"cross_entropy","preprocessing":{"inputs":"standard"}}'
AC=$(jget 'j["id"]')
r POST "/v1/models/$AC/samples" "{\"dataset\":\"$BL\"}"
check "a classifier of the dataset's classes takes the copy" "s == 201 and j['added'] == 72"
r POST "/v1/models/$AC/evaluate" "{\"dataset\":\"$BL\",\"split\":\"train\"}"
check "and scores on it (input scaling: raw units in)" "s == 200 and j['n'] == 72 and 0 <= j['metrics']['accuracy'] <= 1"
r POST /v1/models '{"name":"ana-other","inputs":2,"classes":["a","b","c"],"layers":[{"units":4,"activation":"tanh"},{"units":3,"activation":"softmax"}],"loss":"cross_entropy"}'
AO=$(jget 'j["id"]')
r POST "/v1/models/$AO/samples" "{\"dataset\":\"$BL\"}"
check "a classifier of other classes does not: 400 naming dataset" "s == 400 and j['error']['field'] == 'dataset' and 'classes' in j['error']['message']"
r DELETE "/v1/models/$AO"
r POST "/v1/models/$AM/samples" '{"dataset":"0123456789abcdef"}'
check "no such dataset: 404" "s == 404 and j['error']['code'] == 'not_found'"
r POST "/v1/models/$AM/samples" "{\"dataset\":\"$BL\",\"x\":1}"
check_error "an unknown field beside dataset" 400 unknown_field
r POST "/v1/models/$AM/samples" '{"dataset":7}'
check_error "a dataset that is not a string" 400 invalid_field
as ben
r POST /v1/models '{"name":"ben-blobs","inputs":2,"layers":[{"units":2,"activation":"sigmoid"},{"units":1,"activation":"sigmoid"}],"loss":"cross_entropy"}'
BM1=$(jget 'j["id"]')
r POST "/v1/models/$BM1/samples" "{\"dataset\":\"$BL\"}"
check "three classes do not fit one sigmoid output" "s == 400 and j['error']['field'] == 'dataset'"
r POST /v1/models '{"name":"ben-blobs","inputs":2,"layers":[{"units":3,"activation":"tanh"},{"units":3,"activation":"softmax"}],"loss":"cross_entropy","init":{"method":"xavier","seed":5}}'
BM=$(jget 'j["id"]')
r POST "/v1/models/$BM/samples" "{\"dataset\":\"$BL\"}"
r POST /v1/models '{"name":"ben-wave","inputs":2,"layers":[{"units":4,"activation":"tanh"},{"units":1,"activation":"linear"}],"loss":"mse"}'
BW=$(jget 'j["id"]')
r POST "/v1/models/$BW/samples" "{\"dataset\":\"$WV\"}"
check "ben copies too" "s == 201 and j['total'] == 45"

echo "== training and the held-back test rows"
as ana
r POST "/v1/models/$AM/evaluate" "{\"dataset\":\"$BL\",\"split\":\"test\"}"
check "ana scores her untrained model: accuracy, her first best" "s == 200 and j['n'] == 18 and j['version'] == 1 and j['split'] == 'test' and j['score']['metric'] == 'accuracy' and j['best']['evaluations'] == 1 and j['best']['version'] == 1"
FIRST=$(jget 'j["metrics"]["accuracy"]')
r POST "/v1/models/$AM/train?wait=true" '{"epochs":60,"learning_rate":0.05,"optimizer":"adam","seed":1}'
check "ana trains on the copy" "s == 200 and j['status'] == 'succeeded'"
r POST "/v1/models/$AM/evaluate" "{\"dataset\":\"$BL\"}"
cp "$BODY_FILE" "$E2E_TMP/ana-eval"
check "trained, she scores higher (test is the default split)" "s == 200 and j['metrics']['accuracy'] > $FIRST and j['version'] == 2 and j['best']['version'] == 2 and j['best']['evaluations'] == 2"
r POST "/v1/models/$AM/evaluate?version=1" "{\"dataset\":\"$BL\",\"split\":\"test\"}"
check "the old version scores lower again; her best stays" "s == 200 and j['version'] == 1 and j['best']['version'] == 2 and j['best']['evaluations'] == 3 and j['best']['score'] == json.load(open('$E2E_TMP/ana-eval'))['metrics']['accuracy']"
r POST "/v1/models/$AM/evaluate" "{\"dataset\":\"$BL\",\"split\":\"train\"}"
check "the training rows can be scored too, not counted" "s == 200 and j['n'] == 72 and j['split'] == 'train' and 'best' not in j"
r POST "/v1/models/$AM/evaluate" "{\"dataset\":\"$BL\",\"split\":\"all\"}"
check_error "a split that does not exist" 400 invalid_field
r POST "/v1/models/$AM/evaluate" "{\"dataset\":\"$WV\"}"
check "a dataset the model does not fit" "s == 400 and j['error']['field'] == 'dataset'"
r POST "/v1/models/$AM/evaluate" '{"split":"test"}'
check "the test split without a dataset names split and says so" "s == 400 and j['error']['field'] == 'split' and 'dataset' in j['error']['message']"
r POST "/v1/models/$AW/train?wait=true" '{"epochs":150,"learning_rate":0.02,"optimizer":"adam","seed":1}'
r POST "/v1/models/$AW/evaluate" "{\"dataset\":\"$WV\"}"
cp "$BODY_FILE" "$E2E_TMP/ana-wave-eval"
check "ana's regression: r2, mse, rmse, mae" "s == 200 and j['score']['metric'] == 'r2' and set(j['metrics']) == {'mse', 'rmse', 'mae', 'r2'} and j['n'] == 15"
as ben
r POST "/v1/models/$BM/train?wait=true" '{"epochs":2,"learning_rate":0.01,"seed":1}'
r POST "/v1/models/$BM/evaluate" "{\"dataset\":\"$BL\"}"
cp "$BODY_FILE" "$E2E_TMP/ben-eval"
check "ben scores his barely trained model" "s == 200 and j['best']['evaluations'] == 1"
r POST "/v1/models/$BW/train?wait=true" '{"epochs":5,"learning_rate":0.01,"seed":1}'
r POST "/v1/models/$BW/evaluate" "{\"dataset\":\"$WV\"}"
cp "$BODY_FILE" "$E2E_TMP/ben-wave-eval"

echo "== the scores against predict, here and in scikit-learn"
as teacher
for pair in "ana-eval:$AM:$BL:blobs-test" "ben-eval:$BM:$BL:blobs-test" "ana-wave-eval:$AW:$WV:wave-test" "ben-wave-eval:$BW:$WV:wave-test"; do
    IFS=: read -r EV MID DID ROWS <<<"$pair"
    X=$($PY -c "import json; print(json.dumps([r['x'] for r in json.load(open('$E2E_TMP/$ROWS'))['rows']]))")
    r POST "/v1/models/$MID/predict" "{\"inputs\":$X}"
    OUT=$($PY - "$BODY_FILE" "$E2E_TMP/$ROWS" "$E2E_TMP/$EV" <<'EOF'
import json, math, sys
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score, log_loss
out = json.load(open(sys.argv[1]))["outputs"]
rows = json.load(open(sys.argv[2]))["rows"]
ev = json.load(open(sys.argv[3]))
y = [r["y"] for r in rows]
close = lambda a, b, rel=1e-12: abs(a - b) <= rel * max(1e-300, abs(a), abs(b))
if ev["score"]["metric"] == "accuracy":
    arg = lambda v: max(range(len(v)), key=lambda k: (v[k], -k))
    acc = sum(arg(o) == arg(t) for o, t in zip(out, y)) / len(y)
    sk = accuracy_score([arg(t) for t in y], [arg(o) for o in out])
    ce = sum(-math.log(o[arg(t)]) for o, t in zip(out, y)) / len(y)
    skce = log_loss([arg(t) for t in y], out, labels=list(range(len(y[0]))))
    ok = ev["metrics"]["accuracy"] == acc == sk and close(ev["loss"], ce, 1e-12) and close(ev["loss"], skce, 1e-9)
else:
    t = [v[0] for v in y]; p = [v[0] for v in out]
    mse = mean_squared_error(t, p)
    ok = (close(ev["metrics"]["mse"], mse, 1e-12) and close(ev["metrics"]["r2"], r2_score(t, p), 1e-12)
          and close(ev["metrics"]["mae"], mean_absolute_error(t, p), 1e-12)
          and close(ev["metrics"]["rmse"], math.sqrt(mse), 1e-12) and close(ev["loss"], mse / 2, 1e-12))
print("ok" if ok else "FAIL %s" % ev)
EOF
)
    [ "$OUT" = ok ] && note_pass "$EV: the evaluation equals predict's outputs scored here and by scikit-learn" || note_fail "$EV: $OUT"
done

r GET "/v1/datasets/$BL/scores"
check "the scoreboard: both students by name, best first, each with their best model and version" "s == 200 and j['metric'] == 'accuracy' and sorted(x['user'] for x in j['scores']) == ['ana', 'ben'] and [x['score'] for x in j['scores']] == sorted((json.load(open('$E2E_TMP/ana-eval'))['best']['score'], json.load(open('$E2E_TMP/ben-eval'))['best']['score']), reverse=True) and [x['rank'] for x in j['scores']] == [1, 2] and {x['user']: (x['model'], x['version'], x['evaluations']) for x in j['scores']} == {'ana': ('$AM', 2, 3), 'ben': ('$BM', 2, 1)}"
r GET "/v1/datasets/$WV/scores"
check "the regression's scoreboard by r2, best first" "s == 200 and j['metric'] == 'r2' and len(j['scores']) == 2 and j['scores'][0]['score'] >= j['scores'][1]['score']"

echo "== every student's object is theirs"
as ana
r POST "/v1/datasets" '{"name":"mine","inputs":[[1,2],[3,4],[5,6],[7,8]],"targets":[[1],[2],[3],[4]],"test_fraction":0.25}'
check_status "ana makes a dataset of her own" 201
AD=$(jget 'j["id"]')
as ben
r GET "/v1/datasets/$AD"
check_error "ben cannot read ana's private dataset" 404 not_found
r GET "/v1/datasets/$AD/rows"
check_error "nor its rows" 404 not_found
r GET "/v1/datasets/$AD/scores"
check_error "nor its scores" 404 not_found
r PATCH "/v1/datasets/$AD" '{"visibility":"class"}'
check_error "nor share it" 404 not_found
r DELETE "/v1/datasets/$AD"
check_error "nor delete it" 404 not_found
r POST "/v1/models/$BW/samples" "{\"dataset\":\"$AD\"}"
check_error "nor copy it" 404 not_found
r POST "/v1/models/$BW/evaluate" "{\"dataset\":\"$AD\"}"
check_error "nor score on it" 404 not_found
r POST "/v1/models/$AM/evaluate" "{\"dataset\":\"$BL\"}"
check_error "ben cannot score ana's model" 404 not_found
r POST "/v1/models/$AM/samples" "{\"dataset\":\"$BL\"}"
check_error "nor copy into it" 404 not_found
r GET "/v1/models/$AM/samples"
check_error "nor read its samples" 404 not_found
r GET "/v1/datasets"
check "ben lists the class datasets only" "sorted(d['name'] for d in j['datasets']) == ['blobs', 'wave']"

echo "== quotas: datasets count against their owner, copies against the student"
as ana
r GET /v1/me
check "ana's samples: 72 + 72 + 45 copied + her dataset's 4" "s == 200 and j['usage']['samples'] == 193"
r POST "/v1/datasets" "{\"name\":\"big\",\"inputs\":$($PY -c 'print([[i, i] for i in range(200)])'),\"targets\":$($PY -c 'print([[i] for i in range(200)])')}"
check_status "a dataset of 200 rows fits her 400 (193 + 200)" 201
BIG=$(jget 'j["id"]')
r POST "/v1/datasets" '{"name":"more","inputs":[[1],[2],[3],[4],[5],[6],[7],[8],[9],[10]],"targets":[[1],[2],[3],[4],[5],[6],[7],[8],[9],[10]]}'
check_error "10 rows more would pass it" 403 quota_exceeded
r POST "/v1/models/$AW/samples" "{\"dataset\":\"$WV\"}"
check_error "and so would a copy of 45" 403 quota_exceeded
r GET "/v1/models/$AW"
check "the refused copy added nothing" "j['samples'] == 45"
r DELETE "/v1/datasets/$BIG"
check_status "she deletes her big dataset" 200
r POST "/v1/models/$AW/samples" "{\"dataset\":\"$WV\"}"
check "now the copy fits" "s == 201 and j['total'] == 90"
as teacher
r GET /v1/datasets
check "the teacher (an admin) lists every dataset, ana's too" "sorted(d['name'] for d in j['datasets']) == ['blobs', 'mine', 'wave']"

echo "== bad input names the problem"
as ana
r POST /v1/datasets '{"inputs":[[1]],"targets":[[1]]}'
check "no name" "s == 400 and j['error']['field'] == 'name'"
r POST /v1/datasets '{"name":"x","inputs":[[1],[2]],"targets":[[1],[2]],"test_fraction":0.7}'
check "test_fraction over 0.5" "s == 400 and j['error']['field'] == 'test_fraction'"
r POST /v1/datasets '{"name":"x","inputs":[[1]],"targets":[[1]],"test_fraction":0.5}'
check "no row left to train on" "s == 400 and j['error']['field'] == 'test_fraction'"
r POST /v1/datasets '{"name":"x","inputs":[[1],[2]],"labels":["a","a"]}'
check "one class" "s == 400 and j['error']['field'] == 'classes'"
r POST "/v1/datasets?name=x" $'a,b\n1,2\n3,"4\n' text/csv
check "a CSV with an open quote names its line" "s == 400 and j['error']['code'] == 'invalid_csv' and j['error']['field'].startswith('line ')"
r POST "/v1/datasets?name=x&test_fraction=2" $'1,2\n3,4\n' text/csv
check "a bad query value" "s == 400 and j['error']['field'] == 'test_fraction'"
r POST "/v1/datasets" $'1,2\n3,4\n' text/csv
check "a CSV without ?name=" "s == 400 and j['error']['field'] == 'name'"
r GET "/v1/datasets/$BL/rows?split=both"
check_error "a split that does not exist" 400 invalid_query
r GET "/v1/datasets/nothere"
check_error "a dataset that does not exist" 404 not_found

echo "== export, restart"
r GET "/v1/models/$AM/export"
check "ana's export holds her 72 training rows, no test row" "s == 200 and len(j['samples']['inputs']) == 72"
as teacher
r GET /metrics
cp "$BODY_FILE" "$E2E_TMP/metrics"
check "the teacher's /metrics" "s == 200 and 'mlpd_user_samples{user=\"ana\"} 238' in t"
restart_daemon
as ana
r GET "/v1/datasets/$BL"
check "after a restart the class dataset is there" "s == 200 and j['train_rows'] == 72"
as teacher
r GET "/v1/datasets/$BL/scores"
check "and the scores" "s == 200 and len(j['scores']) == 2"

echo "== no test-row target reached a student"
N=$(grep -c '' "$STUDENT_LOG")
LEAKS=$($PY - "$E2E_TMP/secrets" "$STUDENT_LOG" "$E2E_TMP/metrics" <<'EOF'
import sys
secrets = open(sys.argv[1]).read().split()
text = open(sys.argv[2]).read() + open(sys.argv[3]).read()
print(" ".join(s for s in secrets if s in text))
EOF
)
[ -z "$LEAKS" ] && note_pass "none of the 17 secrets in the $N lines of every student response (and /metrics)" || note_fail "leaked: $LEAKS"
SIDES=$($PY - "$STUDENT_LOG" "$BL" "$WV" <<'EOF'
import json, sys
ids = set(sys.argv[2:])
bad = 0
def walk(v):
    global bad
    if isinstance(v, dict):
        if v.get("id") in ids and ("test" in v or "seed" in v or v.get("mine")):
            bad += 1
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        walk(json.loads(line))
print(bad)
EOF
)
[ "$SIDES" = 0 ] && note_pass "no student response shows the teacher's datasets' test side or seed" || note_fail "$SIDES student responses show a teacher's dataset's test side"
# the scan finds what it looks for: the owner's own response holds them
LEAKS=$($PY -c "import sys; s = open('$E2E_TMP/secrets').read().split(); t = open('$E2E_TMP/wave-test').read() + open('$E2E_TMP/wave-owner').read(); print(sum(x in t for x in s))")
[ "$LEAKS" = 17 ] && note_pass "(the scan finds all 17 in the owner's responses)" || note_fail "the scan finds only $LEAKS of 17 in the owner's responses"

finish
