#!/usr/bin/env bash
# Job quotas per user: with one running job allowed and none queued, a
# second train is 429 quota_exceeded (Retry-After) and creates nothing,
# while another user trains; training seconds per UTC day cap a job to
# what is left of the day, then refuse (429, Retry-After) until midnight.
# Admins are exempt. /v1/me and /metrics show the seconds used.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

TC=$("$MLPD_BIN" --db "$MLPD_DB" user add carol | awk '{print $NF}')
TD=$("$MLPD_BIN" --db "$MLPD_DB" user add dave | awk '{print $NF}')
TT=$("$MLPD_BIN" --db "$MLPD_DB" user add teacher --admin | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --max-epochs 1000000000 --max-train-seconds 30 \
    --quota-running-jobs 1 --quota-queued-jobs 0 --quota-train-seconds-day 4
as() { case $1 in
    carol) REQ_HEADERS=(-H "Authorization: Bearer $TC") ;;
    dave) REQ_HEADERS=(-H "Authorization: Bearer $TD") ;;
    teacher) REQ_HEADERS=(-H "Authorization: Bearer $TT") ;;
esac; }
# Epochs long enough (2000 samples, 64 hidden units) that a few seconds
# are a few thousand epochs, not millions of history rows.
python3 -c '
import json, math
xs = [[i / 1000.0, math.sin(i)] for i in range(2000)]
print(json.dumps({"inputs": xs, "targets": [[x[0] * x[1]] for x in xs]}))' >"$E2E_TMP/samples.json"
NET='{"name":"q","inputs":2,"layers":[{"units":64,"activation":"tanh"},{"units":1,"activation":"linear"}]}'
model_with_samples() {
    local id
    id=$(create_model "$NET") || exit 1
    req POST "/v1/models/$id/samples" "@$E2E_TMP/samples.json" >/dev/null
    echo "$id"
}
LONG='{"epochs":1000000000,"max_seconds":3}'

echo "== one running job per user, none queued ($MLPD_URL)"
as carol
M1=$(model_with_samples); M2=$(model_with_samples)
curl -s -o "$E2E_TMP/long" --max-time 40 "${REQ_HEADERS[@]}" -H 'Content-Type: application/json' \
    -d "$LONG" "$MLPD_URL/v1/models/$M1/train?wait=true" &
LONG_PID=$!
for i in $(seq 1 100); do
    req GET "/v1/models/$M1/jobs"
    grep -q '"status":"running"' "$BODY_FILE" && break
    sleep 0.05
done
check "carol's first job runs" "[x['status'] for x in j['jobs']] == ['running']"
req POST "/v1/models/$M2/train" '{"epochs":5}'
check_error "her second job" 429 quota_exceeded
check "with Retry-After and the counts" "h.get('retry-after', '').isdigit() and '1 running' in j['error']['message']"
req GET "/v1/models/$M2/jobs"
check "no job was created" "j == {'jobs': []}"
as dave
MD=$(model_with_samples)
req POST "/v1/models/$MD/train?wait=true" '{"epochs":5}'
check "dave trains meanwhile" "s == 200 and j['status'] == 'succeeded'"
wait "$LONG_PID"
cp "$E2E_TMP/long" "$BODY_FILE"; STATUS=200
check "carol's long job ended at its 3 s" "j['status'] == 'succeeded' and j['stop_reason'] == 'timeout'"

echo "== training seconds per day: 4"
as carol
req GET /v1/me
check "/v1/me counts about 3 s today" "2.9 <= j['usage']['train_seconds_today'] <= 4"
req POST "/v1/models/$M2/train?wait=true" '{"epochs":1000000000}'
check "the next job is cut to the second left of today" "s == 200 and j['stop_reason'] == 'timeout' and j['params']['max_seconds'] <= 1.2"
snapshot c2 "$M2"
req POST "/v1/models/$M2/train" '{"epochs":5}'
check_error "today's seconds are used up" 429 quota_exceeded
check "Retry-After points at the next UTC midnight" "h.get('retry-after', '').isdigit() and 1 <= int(h['retry-after']) <= 86400"
same_as c2 "$M2" "after the refused job"
as teacher
MT=$(model_with_samples)
req POST "/v1/models/$MT/train?wait=true" '{"epochs":1000000000,"max_seconds":5}'
check "the admin is exempt (a 5 s job after carol's 4)" "s == 200 and j['stop_reason'] == 'timeout' and j['params']['max_seconds'] == 5"
req GET /metrics
check "metrics: carol's training seconds" "[float(l.split()[1]) for l in t.splitlines() if l.startswith('mlpd_user_train_seconds_total{user=\"carol\"}')][0] >= 3.9"
finish
