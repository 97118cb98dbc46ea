#!/usr/bin/env bash
# Three nodes behind nginx on one PostgreSQL database (scripts/cluster.sh):
#  - every node sees what another wrote (a model made through one node is
#    read on the others; the same predict from each);
#  - a new version is visible on every node within 200 ms (the nodes'
#    caches drop it on the LISTEN/NOTIFY message);
#  - 12 short jobs through nginx on 12 models, run by the 3 x 2 workers:
#    each ends once, succeeded, no (job, epoch) twice in the history;
#  - predict through nginx while a node is killed (kill -9): no error;
#  - sample posts through nginx with an Idempotency-Key while a node is
#    killed, retried with the same key on an error: every acknowledged
#    batch stored exactly once.
# Run by `make test-pg` (scripts/test-pg.sh --multinode); it starts its
# own cluster (scripts/cluster.sh) and stops it.
set -u
cd "$(dirname "$0")/../.." || exit 2
MLPD_BIN=${MLPD_BIN:-build/mlpd}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-multi.XXXXXX")
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "  ok    $1"; }
bad() { FAIL=$((FAIL + 1)); echo "  FAIL  $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
cleanup() { bash scripts/cluster.sh stop "$T/c" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT

FRONT=$(MLPD_BIN=$MLPD_BIN bash scripts/cluster.sh start "$T/c" --nodes 3 --workers 2 \
    -- --worker-nice 0) || { echo "cluster did not start"; exit 1; }
node_url() { echo "http://127.0.0.1:$(cat "$T/c/node.$1.port")"; }
J='Content-Type: application/json'
py() { /usr/bin/python3 -c "$@"; }
jfield() { py "import json,sys; print(json.load(sys.stdin)$1)"; }

echo "== a model made through node 1 is there on nodes 2 and 3"
MODEL='{"name":"m","inputs":2,"layers":[{"units":3,"activation":"sigmoid"},{"units":1,"activation":"linear"}],"init":{"method":"xavier","seed":3}}'
ID=$(curl -s -XPOST "$(node_url 1)/v1/models" -H "$J" -d "$MODEL" | jfield '["id"]')
check "created ($ID)" '[ -n "$ID" ]'
P1=$(curl -s -XPOST "$(node_url 1)/v1/models/$ID/predict" -H "$J" -d '{"inputs":[[0.5,-1]]}')
for k in 2 3; do
    Pk=$(curl -s -XPOST "$(node_url $k)/v1/models/$ID/predict" -H "$J" -d '{"inputs":[[0.5,-1]]}')
    check "node $k predicts what node 1 does" '[ "$Pk" = "$P1" ] && [ -n "$P1" ]'
done

echo "== a new version through node 1 reaches nodes 2 and 3 within 200 ms"
W='{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]],"biases":[0.1,-0.2,0.05]},{"weights":[[0.3,-0.6,0.9]],"biases":[0.1]}]}'
curl -s -o /dev/null -XPUT "$(node_url 1)/v1/models/$ID/weights" -H "$J" -d "$W"
NEW=$(curl -s -XPOST "$(node_url 1)/v1/models/$ID/predict" -H "$J" -d '{"inputs":[[0.5,-1]]}')
check "node 1 predicts with the new weights" '[ "$NEW" != "$P1" ]'
for k in 2 3; do
    ms=$(py "
import json, time, urllib.request
t0 = time.monotonic()
while True:
    r = urllib.request.urlopen(urllib.request.Request('$(node_url $k)/v1/models/$ID/predict',
        data=b'{\"inputs\":[[0.5,-1]]}', headers={'Content-Type': 'application/json'}))
    if r.read().decode() == '''$NEW''':
        print(int((time.monotonic() - t0) * 1000)); break
    if time.monotonic() - t0 > 5:
        print(99999); break
    time.sleep(0.005)")
    check "node $k has the new version after ${ms} ms (<= 200)" '[ "$ms" -le 200 ]'
done

echo "== 12 jobs through nginx: each ends once, no epoch twice"
ids=()
for i in $(seq 1 12); do
    m=$(curl -s -XPOST "$FRONT/v1/models" -H "$J" -d "$MODEL" | jfield '["id"]')
    curl -s -o /dev/null -XPOST "$FRONT/v1/models/$m/samples" -H "$J" \
        -d '{"inputs":[[0,0],[0,1],[1,0],[1,1]],"targets":[[0],[1],[1],[0]]}'
    j=$(curl -s -XPOST "$FRONT/v1/models/$m/train" -H "$J" -d '{"epochs":30,"seed":1}' | jfield '["id"]')
    ids+=("$m:$j")
done
done_all=0
for t in $(seq 1 300); do
    left=0
    for mj in "${ids[@]}"; do
        st=$(curl -s "$FRONT/v1/jobs/${mj#*:}" | jfield '["status"]' 2>/dev/null)
        case $st in succeeded|failed|cancelled) ;; *) left=$((left + 1)) ;; esac
    done
    [ "$left" = 0 ] && { done_all=1; break; }
    sleep 0.1
done
check "every job ended" '[ "$done_all" = 1 ]'
nsucc=0 dup=0
for mj in "${ids[@]}"; do
    st=$(curl -s "$FRONT/v1/jobs/${mj#*:}" | jfield '["status"]')
    [ "$st" = succeeded ] && nsucc=$((nsucc + 1))
    d=$(curl -s "$FRONT/v1/models/${mj%%:*}/history" | py "
import json, sys
h = json.load(sys.stdin)
rows = h['history'] if isinstance(h, dict) else h
keys = [(r['job_id'], r['epoch']) for r in rows]
print(len(keys) - len(set(keys)) + (0 if len(keys) == 30 else 1000))")
    dup=$((dup + d))
done
check "12 of 12 succeeded ($nsucc)" '[ "$nsucc" = 12 ]'
check "30 epochs each, none twice" '[ "$dup" = 0 ]'

echo "== predict through nginx across a node kill"
errs=$(py "
import json, os, signal, urllib.request, urllib.error
pid = int(open('$T/c/node.2.pid').read())
errs = 0
for i in range(200):
    if i == 50:
        os.kill(pid, signal.SIGKILL)
    try:
        r = urllib.request.urlopen(urllib.request.Request('$FRONT/v1/models/$ID/predict',
            data=b'{\"inputs\":[[0.5,-1]]}', headers={'Content-Type': 'application/json'}))
        errs += r.status != 200
    except urllib.error.URLError:
        errs += 1
print(errs)")
check "200 predicts, a node killed after 50: $errs errors" '[ "$errs" = 0 ]'

echo "== keyed sample posts through nginx across a node kill"
SID=$(curl -s -XPOST "$FRONT/v1/models" -H "$J" -d "$MODEL" | jfield '["id"]')
res=$(py "
import json, os, signal, time, urllib.request, urllib.error
pid = int(open('$T/c/node.3.pid').read())
acked = 0
for i in range(60):
    if i == 20:
        os.kill(pid, signal.SIGKILL)
    body = json.dumps({'inputs': [[i, i], [i, -i]], 'targets': [[1], [0]]}).encode()
    for attempt in range(10):
        try:
            r = urllib.request.urlopen(urllib.request.Request('$FRONT/v1/models/$SID/samples',
                data=body, headers={'Content-Type': 'application/json',
                                    'Idempotency-Key': 'k%d' % i}))
            if r.status in (200, 201):
                acked += 1
                break
        except urllib.error.HTTPError as e:
            if e.code not in (502, 503, 504):
                break
        except urllib.error.URLError:
            pass
        time.sleep(0.2)
m = json.load(urllib.request.urlopen('$FRONT/v1/models/$SID'))
print(acked, m['samples'])")
check "60 keyed posts acknowledged, 120 samples stored once each ($res)" '[ "$res" = "60 120" ]'

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
