#!/usr/bin/env bash
# 200 short jobs through nginx on 3 nodes x 2 workers (issue 16's bar):
#  - 200 models (one active job per model), 32 samples each, then a train
#    of 5 epochs on each from 4 connections at once, all through the front;
#  - every job ends within a bound (JOBS_200_SECONDS, 90 s), succeeded;
#  - each ended once: exactly one 'train' version per model, the one the
#    job names, and the job's epoch is its epochs;
#  - no (job, epoch) twice in the history, and none missing: checked in
#    the cluster's database (the epochs decoded from history_chunks) and
#    through the API (GET /v1/models/{id}/history on a node);
# Run by `make test-pg` (scripts/test-pg.sh --multi); it starts its own
# cluster (scripts/cluster.sh) and stops it.
set -u
cd "$(dirname "$0")/../.." || exit 2
MLPD_BIN=${MLPD_BIN:-build/mlpd}
N=${JOBS_200_N:-200}
EPOCHS=5
LIMIT=${JOBS_200_SECONDS:-90}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-jobs200.XXXXXX")
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "  ok    $1"; }
bad() { FAIL=$((FAIL + 1)); echo "  FAIL  $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
cleanup() { bash scripts/cluster.sh stop "$T/c" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT

t0=$(date +%s%3N)
FRONT=$(MLPD_BIN=$MLPD_BIN bash scripts/cluster.sh start "$T/c" --nodes 3 --workers 2 \
    -- --worker-nice 0) || { echo "cluster did not start"; exit 1; }
CI=$(cat "$T/c/conninfo")
sql() { psql "$CI" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
echo "== cluster up in $(($(date +%s%3N) - t0)) ms: $FRONT"

echo "== $N models, samples and trains of $EPOCHS epochs through nginx"
t1=$(date +%s%3N)
/usr/bin/python3 - "$FRONT" "$N" "$EPOCHS" >"$T/ids" <<'EOF' || bad "submitting the jobs"
import http.client, json, sys, urllib.parse
front, n, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
u = urllib.parse.urlparse(front)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
def post(path, body):
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status not in (200, 201, 202):
        sys.exit("POST %s: %d %s" % (path, r.status, data[:200]))
    return json.loads(data)
model = {"name": "m", "inputs": 2,
         "layers": [{"units": 3, "activation": "sigmoid"}, {"units": 1, "activation": "linear"}],
         "init": {"method": "xavier", "seed": 3}}
models = []
for i in range(n):
    m = post("/v1/models", model)["id"]
    post("/v1/models/%s/samples" % m,
         {"inputs": [[(k % 2), (k // 2) % 2] for k in range(32)],
          "targets": [[(k % 2) ^ ((k // 2) % 2)] for k in range(32)]})
    models.append(m)
# The trains all at once, from 4 connections: the queue fills faster than
# the 6 workers empty it, so they race for the same rows.
import threading
out = [None] * n
def submit(part):
    cc = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for i in range(part, n, 4):
        cc.request("POST", "/v1/models/%s/train" % models[i], json.dumps({"epochs": epochs, "seed": i}),
                   {"Content-Type": "application/json"})
        r = cc.getresponse()
        body = r.read()
        if r.status in (200, 201, 202):
            out[i] = json.loads(body)["id"]
ts = [threading.Thread(target=submit, args=(p,)) for p in range(4)]
for t in ts: t.start()
for t in ts: t.join()
for m, j in zip(models, out):
    if j:
        print(m, j)
EOF
nids=$(wc -l <"$T/ids")
echo "   submitted $nids in $(($(date +%s%3N) - t1)) ms"
check "$N jobs accepted" '[ "$nids" = "$N" ]'

echo "== every job ends within $LIMIT s"
t2=$(date +%s%3N)
left=$N
for ((t = 0; t < LIMIT * 10; t++)); do
    left=$(sql "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
    [ "$left" = 0 ] && break
    sleep 0.1
done
echo "   all ended $(($(date +%s%3N) - t2)) ms after the last submit"
check "no job left queued or running ($left)" '[ "$left" = 0 ]'
nsucc=$(sql "SELECT count(*) FROM jobs WHERE status = 'succeeded' AND epoch = $EPOCHS AND epochs = $EPOCHS")
check "$N of $N succeeded with $EPOCHS epochs ($nsucc)" '[ "$nsucc" = "$N" ]'
njobs=$(sql "SELECT count(*) FROM jobs")
check "the database holds $N jobs, no more ($njobs)" '[ "$njobs" = "$N" ]'

echo "== each ended once"
# A job publishes one 'train' version when it ends; a job ended twice
# (run by two workers) would publish two.
twice=$(sql "SELECT count(*) FROM (SELECT model_id FROM versions WHERE source = 'train'
             GROUP BY model_id HAVING count(*) <> 1) s")
check "one 'train' version per model (models with another count: $twice)" '[ "$twice" = 0 ]'
ntrain=$(sql "SELECT count(*) FROM versions v JOIN jobs j ON j.model_id = v.model_id
              AND j.version = v.version WHERE v.source = 'train'")
check "each job's version is its model's train version ($ntrain)" '[ "$ntrain" = "$N" ]'

echo "== no (job, epoch) twice, none missing"
# history_chunks.data: n 32-byte records, the epoch an int64 LE first.
dups=$(sql "WITH e AS (
    SELECT h.job_id, (SELECT sum(get_byte(h.data, (32 * i + k)::int)::bigint << (8 * k))
                      FROM generate_series(0, 7) k) AS epoch
    FROM history_chunks h, generate_series(0, h.n - 1) i)
  SELECT (SELECT count(*) FROM (SELECT 1 FROM e GROUP BY job_id, epoch HAVING count(*) > 1) d),
         (SELECT count(*) FROM e),
         (SELECT count(*) FROM (SELECT job_id FROM e GROUP BY job_id
                                HAVING min(epoch) = 1 AND max(epoch) = $EPOCHS
                                   AND count(DISTINCT epoch) = $EPOCHS) f)")
check "database: 0 (job, epoch) twice, $((N * EPOCHS)) epochs, $N jobs with 1..$EPOCHS ($dups)" \
    '[ "$dups" = "0|$((N * EPOCHS))|$N" ]'
api=$(/usr/bin/python3 - "$T/ids" "$EPOCHS" "$(cat "$T/c/node.1.port")" <<'EOF'
import http.client, json, sys
epochs = int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[3]), timeout=30)
bad = 0
for line in open(sys.argv[1]):
    m, j = line.split()
    c.request("GET", "/v1/models/%s/history" % m)
    h = json.loads(c.getresponse().read())
    rows = h["history"] if isinstance(h, dict) else h
    keys = [(r["job_id"], r["epoch"]) for r in rows]
    if len(set(keys)) != len(keys) or sorted(keys) != [(j, e) for e in range(1, epochs + 1)]:
        bad += 1
print(bad)
EOF
)
check "API: every model's history is its job's epochs 1..$EPOCHS once each (bad: $api)" '[ "$api" = 0 ]'

echo "== $(($(date +%s%3N) - t0)) ms in all"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
