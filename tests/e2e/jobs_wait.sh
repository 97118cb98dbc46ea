#!/usr/bin/env bash
# POST /train?wait=true holds a connection, not a thread: with a single
# HTTP thread, other requests are answered while a waiter waits; the
# waiter gets its 200 when the job ends; a waiter that goes away costs
# nothing; a deleted model ends its waiter with 404; SIGTERM answers the
# waiters that are left before the daemon exits.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
. tests/e2e/jobs_lib.bash

start_daemon --threads 1 --workers 2 --checkpoint-seconds 1 --max-epochs 1000000
echo "== one HTTP thread, a waiting train request ($MLPD_URL)"
W=$(create_model "$WIDE_MODEL") || exit 1
add_samples "$W" 2000 1 || exit 1
curl -s -o "$E2E_TMP/waiter" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
    -d '{"epochs":1000000,"learning_rate":0.01,"max_seconds":3}' \
    "$MLPD_URL/v1/models/$W/train?wait=true" >"$E2E_TMP/waiter.status" &
WAITER=$!
sleep 0.3
# 20 requests on new connections while the waiter waits: each answered
# within a second, and they see the job running.
python3 - "$MLPD_URL" "$W" >"$E2E_TMP/lat.json" <<'PY'
import json, sys, time, urllib.request
url, model = sys.argv[1], sys.argv[2]
lat, running = [], 0
for _ in range(20):
    t = time.monotonic()
    with urllib.request.urlopen(f"{url}/v1/models/{model}/jobs", timeout=10) as r:
        jobs = json.load(r)["jobs"]
    lat.append(time.monotonic() - t)
    running += any(j["status"] == "running" for j in jobs)
    time.sleep(0.05)
print(json.dumps({"max": max(lat), "running": running}))
PY
cp "$E2E_TMP/lat.json" "$BODY_FILE"; STATUS=200
check "20 requests answered meanwhile, the slowest within 1 s" "j['max'] < 1.0"
echo "  (slowest: $(jget "round(j['max'] * 1000, 1)") ms)"
check "they saw the job running" "j['running'] >= 1"
wait "$WAITER"
cp "$E2E_TMP/waiter" "$BODY_FILE"; STATUS=$(cat "$E2E_TMP/waiter.status")
check "the waiter gets 200 when the job ends (timeout at 3 s)" \
    "s == 200 and j['status'] == 'succeeded' and j['stop_reason'] == 'timeout'"

echo "== a waiter that goes away"
curl -s -o /dev/null --max-time 0.5 -H 'Content-Type: application/json' \
    -d '{"epochs":1000000,"learning_rate":0.01,"max_seconds":2}' "$MLPD_URL/v1/models/$W/train?wait=true"
req GET "/v1/models/$W/jobs"
check "its job goes on" "[x['status'] for x in j['jobs']] == ['succeeded', 'running']"
J2=$(jget "j['jobs'][1]['id']")
wait_job "$J2" "j['status'] == 'succeeded'" 30
check "and ends as asked" "j['stop_reason'] == 'timeout'"
req GET /healthz
check_status "the daemon is fine" 200

echo "== DELETE of a running job: its answer waits for the worker, parked too"
req POST "/v1/models/$W/train" '{"epochs":1000000,"learning_rate":0.01}'
J3=$(jget "j['id']")
wait_job "$J3" "j['status'] == 'running'" 30
req DELETE "/v1/jobs/$J3"
check "DELETE answers 200 with the job cancelled (its end recorded)" \
    "s == 200 and j['status'] == 'cancelled' and j['stop_reason'] == 'cancelled' and j['finished_at'] is not None"

echo "== the model is deleted while a waiter waits"
curl -s -o "$E2E_TMP/waiter" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
    -d '{"epochs":1000000,"learning_rate":0.01}' \
    "$MLPD_URL/v1/models/$W/train?wait=true" >"$E2E_TMP/waiter.status" &
WAITER=$!
sleep 0.5
req DELETE "/v1/models/$W"
check_status "delete the model" 200
wait "$WAITER"
cp "$E2E_TMP/waiter" "$BODY_FILE"; STATUS=$(cat "$E2E_TMP/waiter.status")
check_error "the waiter" 404 not_found

echo "== SIGTERM with a waiter waiting"
W=$(create_model "$WIDE_MODEL") || exit 1
add_samples "$W" 2000 1 || exit 1
curl -s -o "$E2E_TMP/waiter" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
    -d '{"epochs":1000000,"learning_rate":0.01}' \
    "$MLPD_URL/v1/models/$W/train?wait=true" >"$E2E_TMP/waiter.status" &
WAITER=$!
# Stop only once the job runs (a fixed sleep lost the race on a loaded machine).
for _ in $(seq 1 200); do
    req GET "/v1/models/$W/jobs"
    python3 -c "import json,sys; sys.exit(0 if any(x['status'] == 'running' for x in json.load(open('$BODY_FILE'))['jobs']) else 1)" 2>/dev/null && break
    sleep 0.05
done
check "the waiter's job runs" "any(x['status'] == 'running' for x in j['jobs'])"
stop_daemon
wait "$WAITER"
cp "$E2E_TMP/waiter" "$BODY_FILE"; STATUS=$(cat "$E2E_TMP/waiter.status")
check "the waiter is answered: the job was interrupted" \
    "s == 200 and j['status'] == 'failed' and j['stop_reason'] == 'interrupted'"
finish
