#!/usr/bin/env bash
# Per-user quotas, each hit once: its 4xx/429 with a JSON reason, and
# nothing changed. Models per user, samples per model and per user,
# parameters per model, requests per second per user (429 + Retry-After,
# another user unaffected), and per address for requests without a token.
# Admins are exempt.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

TC=$("$MLPD_BIN" --db "$MLPD_DB" user add carol | awk '{print $NF}')
TD=$("$MLPD_BIN" --db "$MLPD_DB" user add dave | awk '{print $NF}')
TT=$("$MLPD_BIN" --db "$MLPD_DB" user add teacher --admin | awk '{print $NF}')
start_daemon --auth token --rate-limit 0 --anon-rate-limit 0 --quota-models 2 \
    --quota-samples 5 --max-samples 4 --max-params 50
as() { case $1 in
    carol) REQ_HEADERS=(-H "Authorization: Bearer $TC") ;;
    dave) REQ_HEADERS=(-H "Authorization: Bearer $TD") ;;
    teacher) REQ_HEADERS=(-H "Authorization: Bearer $TT") ;;
    *) REQ_HEADERS=() ;;
esac; }
SMALL='{"name":"s","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'
BIG='{"name":"big","inputs":2,"layers":[{"units":10,"activation":"tanh"},{"units":10,"activation":"tanh"},{"units":1,"activation":"linear"}]}'

echo "== models per user: 2 ($MLPD_URL)"
as carol
M1=$(create_model "$SMALL") || exit 1
M2=$(create_model "$SMALL") || exit 1
snapshot c1 "$M1"
req POST /v1/models "$SMALL"
check_error "carol's third model" 403 quota_exceeded
check "the message names the quota" "'at most 2 models' in j['error']['message']"
req GET /v1/models
check "carol still has 2 models" "len(j['models']) == 2"
as dave
req POST /v1/models "$SMALL"
check_status "dave has his own count" 201
as teacher
for i in 1 2 3; do req POST /v1/models "$SMALL"; done
check_status "the admin is exempt (third model)" 201

echo "== parameters per model: 50"
as carol
req DELETE "/v1/models/$M2"
check_status "carol deletes a model" 200
req POST /v1/models "$BIG"
check_error "151 parameters" 400 limit_exceeded
req GET /v1/models
check "nothing was created" "len(j['models']) == 1"

echo "== samples: 4 per model, 5 per user"
M2=$(create_model "$SMALL") || exit 1
req POST "/v1/models/$M1/samples" '{"inputs":[[0,0],[1,0],[0,1],[1,1]],"targets":[[0],[1],[1],[2]]}'
check_status "4 samples into the first model" 201
snapshot c1 "$M1"
req POST "/v1/models/$M1/samples" '{"inputs":[[2,2]],"targets":[[4]]}'
check_error "a fifth sample in one model" 413 limit_exceeded
same_as c1 "$M1" "after the per-model refusal"
snapshot c2 "$M2"
req POST "/v1/models/$M2/samples" '{"inputs":[[0,0],[1,0]],"targets":[[0],[1]]}'
check_error "2 more would make 6 for carol" 403 quota_exceeded
check "the message names the quota" "'at most 5 samples in all' in j['error']['message']"
same_as c2 "$M2" "after the per-user refusal"
req POST "/v1/models/$M2/samples" 'x1,x2,y
3,3,6
' text/csv
check "1 more (CSV) fits: 5 in all" "s == 201 and j['total'] == 1"
req GET /v1/me
check "/v1/me shows 5 samples and the quota" "j['usage']['samples'] == 5 and j['quotas']['samples'] == 5 and j['quotas_apply'] is True"
req DELETE "/v1/models/$M1/samples"
check_status "deleting samples gives room back" 200
req POST "/v1/models/$M2/samples" '{"inputs":[[0,0],[1,0]],"targets":[[0],[1]]}'
check "then 2 more fit" "s == 201 and j['total'] == 3"
as teacher
T1=$(create_model "$SMALL") || exit 1
req POST "/v1/models/$T1/samples" '{"inputs":[[0,0],[1,0],[0,1],[1,1]],"targets":[[0],[1],[1],[2]]}'
req POST "/v1/models/$(create_model "$SMALL")/samples" '{"inputs":[[0,0],[1,0],[0,1],[1,1]],"targets":[[0],[1],[1],[2]]}'
check_status "the admin is exempt from the per-user total (8 samples)" 201
stop_daemon

echo "== requests per second per user: 1, bursts of 10"
start_daemon --auth token --rate-limit 1 --rate-burst 10 --anon-rate-limit 1 --anon-burst 3
ok=0; limited=0
as carol
t0=$(date +%s.%N)
for i in $(seq 1 25); do
    code=$(curl -s -o "$E2E_TMP/r$i" -D "$E2E_TMP/h$i" -w '%{http_code}' "${REQ_HEADERS[@]}" "$MLPD_URL/v1/models")
    case $code in 200) ok=$((ok + 1)) ;; 429) limited=$((limited + 1)); last=$i ;; esac
done
t1=$(date +%s.%N)
echo "$ok $limited" >"$BODY_FILE"; STATUS=200
# the burst, plus what refilled meanwhile (1 a second), passes
check "25 quick requests: the burst passes, the rest 429 (got $ok / $limited)" "$ok >= 10 and $ok <= 11 + ($t1 - $t0) and $ok + $limited == 25 and $limited >= 1"
cp "$E2E_TMP/r$last" "$BODY_FILE"; cp "$E2E_TMP/h$last" "$HDR_FILE"; STATUS=429
check_error "the refusal" 429 rate_limited
check "with Retry-After in whole seconds" "h.get('retry-after', '').isdigit() and int(h['retry-after']) == 1"
as dave
req GET /v1/models
check_status "dave is not limited by carol's flood" 200
as teacher
for i in $(seq 1 15); do req GET /v1/models; done
check_status "the admin is exempt (15 quick requests)" 200
sleep 1.2
as carol
req GET /v1/models
check_status "after Retry-After carol is served again" 200

echo "== without a token, per address: 1 a second, bursts of 3"
as carol
sleep 1.1 # the request just above took the token that had refilled: wait for the next
PUB=$(create_model "${SMALL%\}},\"public_predict\":true}") || exit 1
as none
ok=0; limited=0
for i in $(seq 1 8); do
    code=$(curl -s -o "$E2E_TMP/r$i" -D "$E2E_TMP/h$i" -w '%{http_code}' -H 'Content-Type: application/json' \
        -d '{"inputs":[[1,2]]}' "$MLPD_URL/v1/models/$PUB/predict")
    case $code in 200) ok=$((ok + 1)) ;; 429) limited=$((limited + 1)); last=$i ;; esac
done
echo "$ok $limited" >"$BODY_FILE"; STATUS=200
check "8 quick anonymous predicts: the burst of 3 passes, the rest 429 (got $ok / $limited)" "$ok >= 3 and $limited >= 1 and $ok + $limited == 8"
cp "$E2E_TMP/r$last" "$BODY_FILE"; cp "$E2E_TMP/h$last" "$HDR_FILE"; STATUS=429
check_error "the anonymous refusal" 429 rate_limited
check "with Retry-After" "h.get('retry-after', '').isdigit()"
codes=""
sleep 3.2 # the address's bucket refills to its burst of 3
for i in 1 2 3 4 5 6; do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer mlpd_0123456789abcdef_$(printf '%064d' "$i")" "$MLPD_URL/v1/models")"
done
echo "$codes" >"$BODY_FILE"; STATUS=200
check "wrong tokens count against the address too (brute-force brake):$codes" "t.split()[0] == '401' and '429' in t.split() and set(t.split()) == {'401', '429'}"
as carol
req POST "/v1/models/$PUB/predict" '{"inputs":[[1,2]]}'
check_status "carol's token still works from the same address" 200
as teacher
req GET /metrics
check "metrics count carol's refusals, the anonymous ones and the bad tokens" "s == 200 and [int(l.split()[1]) for l in t.splitlines() if l.startswith('mlpd_user_rate_limited_total{user=\"carol\"}')][0] >= 1 and [int(l.split()[1]) for l in t.splitlines() if l.startswith('mlpd_anonymous_rate_limited_total ')][0] >= 2 and [int(l.split()[1]) for l in t.splitlines() if l.startswith('mlpd_auth_failures_total ')][0] == 6"
finish
