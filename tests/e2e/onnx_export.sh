#!/usr/bin/env bash
# ONNX export (GET /v1/models/{id}/export?format=onnx) of a trained
# classifier (standard-scaled raw inputs, named features, three named
# classes; relu and tanh hidden layers, softmax output) and a regressor
# (scaled inputs and targets, two linear outputs), float64 and float32: python3-onnx's
# checker.check_model(full_check=True) passes and its initializers equal
# GET weights (tests/e2e/onnx_check.py); onnxruntime-node runs both and
# matches predict to 1e-12 relative (float64) and 1e-5 (float32)
# (tests/e2e/onnx_run.mjs); two exports are byte-identical; old versions
# export their own weights; bad parameters, another user and no token are
# refused.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

PY=/usr/bin/python3 # Debian's, with python3-onnx
if ! "$PY" -c 'import onnx' 2>/dev/null; then
    echo "e2e: python3-onnx is missing (apt-get install python3-onnx)" >&2
    exit 2
fi
if [ ! -d node_modules/onnxruntime-node ]; then
    echo "  (node_modules missing: npm ci)"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null || exit 2
fi

TA=$("$MLPD_BIN" --db "$MLPD_DB" user add alice | awk '{print $NF}')
TB=$("$MLPD_BIN" --db "$MLPD_DB" user add bob | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --anon-rate-limit 0
REQ_HEADERS=(-H "Authorization: Bearer $TA")

# Deterministic data: 4 features in raw units (tens to hundreds), 3 named
# classes; 3 features -> 2 smooth targets around 100 (so the scalers matter).
"$PY" - "$E2E_TMP" <<'PY'
import json, math, random, sys
r = random.Random(7)
cls = {"inputs": [], "targets": []}
for i in range(90):
    k = i % 3
    x = [100 * r.gauss(1.0 + k, 0.4), r.gauss(-0.5 * k, 0.3), 20 + r.gauss(0.3 * k, 0.5), r.uniform(-1, 1)]
    cls["inputs"].append(x)
    cls["targets"].append(["low", "mid", "high"][k])
reg = {"inputs": [], "targets": []}
for i in range(80):
    x = [r.uniform(-2, 2), r.uniform(-1, 1), r.uniform(0, 3)]
    reg["inputs"].append(x)
    reg["targets"].append([100 + 30 * (math.sin(x[0]) + 0.5 * x[1]), 50 * (x[2] * x[1] - 1.0)])
cls["labels"] = cls.pop("targets")
extra = [[100 * r.uniform(-3, 3), r.uniform(-3, 3), 20 + r.uniform(-3, 3), r.uniform(-3, 3)] for _ in range(7)]
json.dump(cls, open(sys.argv[1] + "/cls.json", "w"))
json.dump(reg, open(sys.argv[1] + "/reg.json", "w"))
json.dump({"inputs": cls["inputs"] + extra}, open(sys.argv[1] + "/cls-in.json", "w"))
json.dump({"inputs": reg["inputs"] + [e[:3] for e in extra]}, open(sys.argv[1] + "/reg-in.json", "w"))
PY

echo "== two trained models ($MLPD_URL)"
CLS=$(create_model '{"name":"three-classes","inputs":4,"layers":[{"units":6,"activation":"relu"},{"units":5,"activation":"tanh"},{"units":3,"activation":"softmax"}],"loss":"cross_entropy","init":{"method":"xavier","seed":3},"preprocessing":{"inputs":"standard"},"classes":["low","mid","high"],"feature_names":["width","tilt","depth","noise"]}') || exit 1
REG=$(create_model '{"name":"two-outputs","inputs":3,"layers":[{"units":8,"activation":"tanh"},{"units":2,"activation":"linear"}],"loss":"mse","init":{"method":"xavier","seed":4},"preprocessing":{"inputs":"standard","targets":"standard"}}') || exit 1
for m in CLS REG; do
    id=${!m}; f=$(echo "$m" | tr 'A-Z' 'a-z')
    req POST "/v1/models/$id/samples" "@$E2E_TMP/$f.json"
    check_status "$m: samples" 201
    req POST "/v1/models/$id/train?wait=true" '{"epochs":40,"learning_rate":0.05,"seed":2}'
    check "$m: trained (job succeeded, version 2)" "s == 200 and j['status'] == 'succeeded' and j['version'] == 2"
done

echo "== export, check, run"
for m in CLS REG; do
    id=${!m}; f=$(echo "$m" | tr 'A-Z' 'a-z')
    req GET "/v1/models/$id/weights"
    cp "$BODY_FILE" "$E2E_TMP/$f-w.json"
    check "$m: version 2 holds a fitted standard scaler" \
        "j['preprocessing']['inputs']['method'] == 'standard' and max(abs(v) for v in j['preprocessing']['inputs']['mean']) > 1"
    req POST "/v1/models/$id/predict" "@$E2E_TMP/$f-in.json"
    check_status "$m: predict the samples and 7 more rows" 200
    "$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); json.dump({"inputs": a["inputs"], "outputs": b["outputs"]}, open(sys.argv[3], "w"))' \
        "$E2E_TMP/$f-in.json" "$BODY_FILE" "$E2E_TMP/$f-case.json"
    for dtype in float64 float32; do
        req GET "/v1/models/$id/export?format=onnx&dtype=$dtype"
        cp "$BODY_FILE" "$E2E_TMP/$f-$dtype.onnx"
        check "$m $dtype: 200 application/octet-stream, an attachment named by id, version, dtype" \
            "s == 200 and h.get('content-type') == 'application/octet-stream' and h.get('content-disposition') == 'attachment; filename=\"mlpd-$id-v2-$dtype.onnx\"' and h.get('x-content-type-options') == 'nosniff'"
        req GET "/v1/models/$id/export?dtype=$dtype&format=onnx"
        if cmp -s "$BODY_FILE" "$E2E_TMP/$f-$dtype.onnx"; then note_pass "$m $dtype: a second export is byte-identical ($(wc -c <"$BODY_FILE") bytes)"
        else note_fail "$m $dtype: a second export differs"; fi
        echo "{\"mlpd.model_id\": \"$id\", \"mlpd.version\": \"$("$PY" -c 'import onnx,sys; print(onnx.load(sys.argv[1]).producer_version)' "$E2E_TMP/$f-$dtype.onnx")\"}" >"$E2E_TMP/meta.json"
        if [ "$m" = CLS ]; then
            "$PY" - "$E2E_TMP/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["mlpd.classes"] = json.dumps(["low", "mid", "high"], separators=(",", ":"))
m["mlpd.feature_names"] = json.dumps(["width", "tilt", "depth", "noise"], separators=(",", ":"))
json.dump(m, open(sys.argv[1], "w"))
PY
        fi
        ops=$("$PY" -c 'import onnx,sys; print(" ".join(n.op_type for n in onnx.load(sys.argv[1]).graph.node))' "$E2E_TMP/$f-$dtype.onnx")
        want_ops="Sub Div"; [ "$m" = REG ] && want_ops="Sub Div .* Mul Add"
        if [[ $ops =~ ^$want_ops ]]; then note_pass "$m $dtype: the stored scaler is in the graph ($ops)"
        else note_fail "$m $dtype: graph nodes '$ops' lack the scaler ($want_ops)"; fi
        if "$PY" tests/e2e/onnx_check.py "$E2E_TMP/$f-$dtype.onnx" "$E2E_TMP/$f-w.json" "$dtype" "$E2E_TMP/meta.json"; then
            note_pass "$m $dtype: python3-onnx checks pass"
        else note_fail "$m $dtype: python3-onnx checks"; fi
        rel=1e-12; [ "$dtype" = float32 ] && rel=1e-5
        if node tests/e2e/onnx_run.mjs "$E2E_TMP/$f-$dtype.onnx" "$dtype" "$E2E_TMP/$f-case.json" "$rel"; then
            note_pass "$m $dtype: onnxruntime-node equals predict to $rel relative"
        else note_fail "$m $dtype: onnxruntime-node against predict"; fi
    done
    req GET "/v1/models/$id/export?format=onnx"
    if cmp -s "$BODY_FILE" "$E2E_TMP/$f-float32.onnx"; then note_pass "$m: float32 is the default"
    else note_fail "$m: the default dtype is not float32"; fi
done

echo "== a float32 model (predict computes in float): its float32 export"
F32=$(create_model '{"name":"wide-float","inputs":3,"dtype":"float32","layers":[{"units":32,"activation":"tanh"},{"units":2,"activation":"linear"}],"init":{"method":"xavier","seed":6}}') || exit 1
req POST "/v1/models/$F32/predict" "@$E2E_TMP/reg-in.json"
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); json.dump({"inputs": a["inputs"], "outputs": b["outputs"]}, open(sys.argv[3], "w"))' \
    "$E2E_TMP/reg-in.json" "$BODY_FILE" "$E2E_TMP/f32-case.json"
req GET "/v1/models/$F32/export?format=onnx"
cp "$BODY_FILE" "$E2E_TMP/f32.onnx"
if node tests/e2e/onnx_run.mjs "$E2E_TMP/f32.onnx" float32 "$E2E_TMP/f32-case.json" 1e-5; then
    note_pass "float32 model: onnxruntime-node equals its (float) predict to 1e-5"
else note_fail "float32 model: onnxruntime-node against its predict"; fi

echo "== old versions, errors, access"
req GET "/v1/models/$CLS/export?format=onnx&dtype=float64&version=1"
cp "$BODY_FILE" "$E2E_TMP/v1.onnx"
check "version=1: 200, named v1" "s == 200 and 'v1-float64' in h.get('content-disposition', '')"
req GET "/v1/models/$CLS/weights?version=1"
cp "$BODY_FILE" "$E2E_TMP/w1.json"
if "$PY" tests/e2e/onnx_check.py "$E2E_TMP/v1.onnx" "$E2E_TMP/w1.json" float64 >/dev/null; then note_pass "version=1 holds version 1's weights"
else note_fail "version=1 does not hold version 1's weights"; fi
if ! cmp -s "$E2E_TMP/v1.onnx" "$E2E_TMP/cls-float64.onnx"; then note_pass "other weights, other bytes"
else note_fail "version 1 and 2 export the same bytes"; fi
req GET "/v1/models/$CLS/export?format=onnx&version=99"
check_error "version=99" 404 not_found
req GET "/v1/models/$CLS/export?format=onnx&dtype=float16"
check_error "dtype=float16" 400 invalid_query
req GET "/v1/models/$CLS/export?format=xml"
check_error "format=xml" 400 invalid_query
req GET "/v1/models/$CLS/export?format=json"
check "format=json is the JSON export" "s == 200 and j['format'] == 'mlpd-model'"
REQ_HEADERS=(-H "Authorization: Bearer $TB")
req GET "/v1/models/$CLS/export?format=onnx"
check_error "bob exports alice's model" 404 not_found
REQ_HEADERS=()
req GET "/v1/models/$CLS/export?format=onnx"
check_error "no token" 401 unauthorized

# The encoder's scaler graphs straight from the core too (the unit test's
# dump, with the outputs the core computes for them): minmax and standard
# on inputs and targets, which the server models above do not all cover.
echo "== scaler graphs of core/onnx.c (from ${ONNX_TEST_BIN:=$(dirname "$MLPD_BIN")/tests/test_core_onnx})"
mkdir -p "$E2E_TMP/dump"
if [ -x "$ONNX_TEST_BIN" ] && MLPD_ONNX_DUMP="$E2E_TMP/dump" "$ONNX_TEST_BIN" >"$E2E_TMP/unit.log"; then
    for n in scaled-classifier-float64 scaled-classifier-float32 scaled-regressor-float64 scaled-regressor-float32; do
        dtype=${n##*-}; rel=1e-12; [ "$dtype" = float32 ] && rel=1e-5
        if "$PY" tests/e2e/onnx_check.py "$E2E_TMP/dump/$n.onnx" "$E2E_TMP/dump/$n-w.json" "$dtype" >"$E2E_TMP/check.log"; then
            note_pass "$n: python3-onnx checks pass"
        else cat "$E2E_TMP/check.log"; note_fail "$n: python3-onnx checks"; fi
        if node tests/e2e/onnx_run.mjs "$E2E_TMP/dump/$n.onnx" "$dtype" "$E2E_TMP/dump/$n-case.json" "$rel"; then
            note_pass "$n: onnxruntime-node equals the core to $rel relative"
        else note_fail "$n: onnxruntime-node against the core"; fi
    done
else
    note_fail "$ONNX_TEST_BIN (make build/tests/test_core_onnx) did not write the scaler graphs"
fi
finish
