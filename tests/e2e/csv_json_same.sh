#!/usr/bin/env bash
# The same rows posted as JSON (two shapes) and as CSV give identical
# samples, and identical models after identical training: weights compared
# exactly (bit for bit, through the shortest round-trip printing).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

start_daemon
echo "== 200 rows of y = sin(x1) cos(x2) ($MLPD_URL)"
python3 - "$E2E_TMP" <<'PY'
import json, math, random, sys
d = sys.argv[1]
rng = random.Random(12345)
rows = []
for _ in range(200):
    x1, x2 = rng.uniform(-3, 3), rng.uniform(-3, 3)
    rows.append((x1, x2, math.sin(x1) * math.cos(x2)))
json.dump({"samples": [{"x": [a, b], "y": [c]} for a, b, c in rows]}, open(d + "/pairs.json", "w"))
json.dump({"inputs": [[a, b] for a, b, c in rows], "targets": [[c] for a, b, c in rows]}, open(d + "/cols.json", "w"))
with open(d + "/rows.csv", "w") as f:
    f.write("x1,x2,y\n")
    for a, b, c in rows:
        f.write("%r,%r,%r\n" % (a, b, c))   # repr: shortest round-trip text
PY
IDS=()
for how in pairs cols csv; do
    id=$(create_model) || exit 1
    IDS+=("$id")
    if [ $how = csv ]; then
        req POST "/v1/models/$id/samples" "@$E2E_TMP/rows.csv" text/csv
    else
        req POST "/v1/models/$id/samples" "@$E2E_TMP/$how.json"
    fi
    check "POST 200 rows as $how" "s == 201 and j == {'added': 200, 'total': 200}"
    req GET "/v1/models/$id/samples?limit=1000"
    cp "$BODY_FILE" "$E2E_TMP/samples-$how.json"
done
req GET "/v1/models/${IDS[0]}/samples?limit=1000"
check "stored samples equal the generated rows exactly" "[r['x'] + r['y'] for r in j['samples']] == [r['x'] + r['y'] for r in json.load(open('$E2E_TMP/pairs.json'))['samples']]"
check "columns and CSV store the same samples as pairs" "open('$E2E_TMP/samples-pairs.json').read() == open('$E2E_TMP/samples-cols.json').read() == open('$E2E_TMP/samples-csv.json').read()"

train_all() {
    local params=$1 what=$2 id
    for id in "${IDS[@]}"; do
        req POST "/v1/models/$id/train?wait=true" "$params"
        check "$what on ${id}" "s == 200 and j['status'] == 'succeeded'"
        req GET "/v1/models/$id/weights"
        cp "$BODY_FILE" "$E2E_TMP/w-$id.json"
    done
    check "$what: identical weights (pairs = columns = CSV)" "open('$E2E_TMP/w-${IDS[0]}.json').read() == open('$E2E_TMP/w-${IDS[1]}.json').read() == open('$E2E_TMP/w-${IDS[2]}.json').read()"
    check "$what: weights moved from the initial ones" "json.load(open('$E2E_TMP/w-${IDS[0]}.json'))['version'] > 1"
}
echo "== online SGD (the lecture's rule), shuffled with one seed"
train_all '{"epochs":30,"learning_rate":0.1,"batch_size":1,"optimizer":"sgd","shuffle":true,"seed":3}' "sgd batch 1"
echo "== mini-batch Adam with a validation split"
train_all '{"epochs":20,"learning_rate":0.01,"batch_size":16,"optimizer":"adam","shuffle":true,"seed":4,"validation_split":0.2}' "adam batch 16"
for id in "${IDS[@]}"; do
    req GET "/v1/models/$id/history"
    cp "$BODY_FILE" "$E2E_TMP/h-$id.json"
done
check "identical loss histories" "[(r['epoch'], r['loss'], r['val_loss']) for r in json.load(open('$E2E_TMP/h-${IDS[0]}.json'))['history']] == [(r['epoch'], r['loss'], r['val_loss']) for r in json.load(open('$E2E_TMP/h-${IDS[1]}.json'))['history']] == [(r['epoch'], r['loss'], r['val_loss']) for r in json.load(open('$E2E_TMP/h-${IDS[2]}.json'))['history']]"
check "the loss fell over the SGD run" "(lambda h: h[29]['loss'] < h[0]['loss'])(json.load(open('$E2E_TMP/h-${IDS[0]}.json'))['history'])"
finish
