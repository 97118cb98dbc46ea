#!/usr/bin/env bash
# Jobs across stops of the daemon:
#  - kill -9 while a job trains (after checkpoints): restart, the database
#    passes PRAGMA integrity_check, the job is failed/interrupted, its
#    history and checkpoint versions are there, predict answers the last
#    checkpoint; a job that was queued is still queued and runs;
#  - kill -9 while a client posts samples: every acknowledged sample is
#    there after the restart, integrity_check ok;
#  - SIGTERM while a job trains: the daemon exits 0 within 10 s, the job
#    published a checkpoint and is failed/interrupted; history and versions
#    read back the same after the restart.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
. tests/e2e/jobs_lib.bash

integrity() {
    local r
    r=$(sql "PRAGMA integrity_check")
    if [ "$r" = ok ]; then note_pass "$1: integrity_check ok"; else note_fail "$1: integrity_check: $r"; fi
}

kill9() {
    kill -KILL "$MLPD_PID"
    wait "$MLPD_PID" 2>/dev/null
    MLPD_PID=""
}

start_daemon --workers 1 --checkpoint-epochs 2 --checkpoint-seconds 0
echo "== kill -9 while a job trains ($MLPD_URL)"
W=$(create_model "$WIDE_MODEL") || exit 1
add_samples "$W" 2000 1 || exit 1
L=$(create_model) || exit 1
add_samples "$L" 200 2 || exit 1
req POST "/v1/models/$W/train" '{"epochs":10000,"learning_rate":0.01}'
JW=$(jget 'j["id"]')
req POST "/v1/models/$L/train" '{"epochs":30}'
JL=$(jget 'j["id"]')
wait_job "$JW" "j['status'] == 'running' and isinstance(j['version'], int) and j['version'] >= 3" 60
check "the job has published checkpoints" "j['version'] >= 3"
req GET "/v1/jobs/$JL"
check "the other job is queued" "j['status'] == 'queued'"
kill9
integrity "after kill -9 in training"
start_daemon
req GET "/v1/jobs/$JW"
check "the running job is now failed, interrupted" "j['status'] == 'failed' and j['stop_reason'] == 'interrupted' and 'interrupted' in j['error'] and j['finished_at'] is not None"
VJ=$(jget 'j["version"] or 0')
EJ=$(jget 'j["epoch"]')
req GET "/v1/models/$W/versions"
check "its checkpoint versions survived" "[v['source'] for v in j['versions']][1:] == ['checkpoint'] * (len(j['versions']) - 1) and len(j['versions']) >= 3"
NV=$(jget 'len(j["versions"])')
req GET "/v1/models/$W"
check "the model's current version is the last checkpoint" "j['version'] == $NV"
req POST "/v1/models/$W/predict" '{"inputs":[[0.5,-1]]}'
check "predict answers from the last checkpoint" "s == 200 and j['version'] == $NV"
req GET "/v1/models/$W/history"
check "the history holds the epochs written before the kill" "len(j['history']) >= $EJ and len(j['history']) >= 2 and [r['epoch'] for r in j['history']] == list(range(1, len(j['history']) + 1))"
check "the job row's epoch is within the written history" "$VJ <= $NV"
wait_job "$JL" "j['status'] == 'succeeded'" 60
check "the queued job ran after the restart" "j['status'] == 'succeeded' and j['epoch'] == 30"
req POST "/v1/models/$W/train?wait=true" '{"epochs":2,"learning_rate":0.01}'
check "the model trains again (no job left active)" "s == 200 and j['status'] == 'succeeded'"

echo "== kill -9 while a client posts samples"
S=$(create_model) || exit 1
: >"$E2E_TMP/acked"
python3 - "$MLPD_URL" "$S" "$E2E_TMP/acked" <<'PY' &
import json, sys, urllib.request
url, model, acked = sys.argv[1], sys.argv[2], sys.argv[3]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
i = 0
while True:
    body = json.dumps({"samples": [{"x": [i, k], "y": [i * 0.001]} for k in range(5)]}).encode()
    rq = urllib.request.Request(url + "/v1/models/" + model + "/samples", data=body,
                                headers={"Content-Type": "application/json"})
    try:
        with opener.open(rq, timeout=5) as r:
            if r.status == 201:
                total = json.load(r)["total"]
                with open(acked, "a") as f:
                    f.write("%d %d\n" % (i, total))
    except Exception:
        break
    i += 1
PY
POSTER=$!
for i in $(seq 1 100); do
    [ "$(wc -l <"$E2E_TMP/acked" 2>/dev/null || echo 0)" -ge 20 ] && break
    sleep 0.05
done
sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
kill9
wait "$POSTER" 2>/dev/null
integrity "after kill -9 during sample posts"
ACKED=$(tail -n 1 "$E2E_TMP/acked" | cut -d' ' -f2)
start_daemon
req GET "/v1/models/$S"
check "every acknowledged sample is there ($ACKED acked)" "$ACKED >= 5 and j['samples'] >= $ACKED"
req GET "/v1/models/$S/samples?limit=1000"
check "acknowledged batches read back in order" "all(j['samples'][5 * i]['x'] == [i, 0] for i in range(min($ACKED, 1000) // 5))"

echo "== SIGTERM while a job trains"
req POST "/v1/models/$W/train" '{"epochs":10000,"learning_rate":0.01}'
JT=$(jget 'j["id"]')
req POST "/v1/models/$L/train" '{"epochs":30}'
JQ=$(jget 'j["id"]')
wait_job "$JT" "j['status'] == 'running' and j['epoch'] >= 1" 60
req GET "/v1/models/$W/versions"
NV0=$(jget 'len(j["versions"])')
stop_daemon
integrity "after SIGTERM"
start_daemon
req GET "/v1/jobs/$JT"
check "the job is failed, interrupted, with a version" "j['status'] == 'failed' and j['stop_reason'] == 'interrupted' and isinstance(j['version'], int)"
VT=$(jget 'j["version"]')
req GET "/v1/models/$W/versions"
check "it published its weights at shutdown as a checkpoint" "len(j['versions']) > $NV0 and j['versions'][-1]['source'] == 'checkpoint' and j['versions'][-1]['version'] == $VT"
req GET "/v1/models/$W/history"
ET=$(python3 -c "import json; print(sum(1 for r in json.load(open('$BODY_FILE'))['history'] if r['job_id'] == '$JT'))")
req GET "/v1/jobs/$JT"
check "every epoch it reported is in the history" "j['epoch'] == $ET"
wait_job "$JQ" "j['status'] == 'succeeded'" 60
check "the job queued at SIGTERM ran after the restart" "j['status'] == 'succeeded'"

echo "== history and versions read back the same after a restart"
snapshot all "$W"
restart_daemon
same_as all "$W" "model with jobs, history and versions"
finish
