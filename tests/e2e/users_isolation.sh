#!/usr/bin/env bash
# --auth token with two students and a teacher: every route of the route
# table tried by the other student (404, byte-identical to a missing id),
# without a token and with a wrong one (401), lists and metrics without
# the other's data, public predict (and nothing else) without a token,
# the admin's view, token rotation and user removal while running, and
# --auth none refused on a non-loopback address.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

echo "== CLI: users and tokens"
out=$("$MLPD_BIN" --db "$MLPD_DB" user add alice) || exit 1
TA=${out##* }
TB=$("$MLPD_BIN" --db "$MLPD_DB" user add bob | awk '{print $NF}')
TT=$("$MLPD_BIN" --db "$MLPD_DB" user add teacher --admin | awk '{print $NF}')
STATUS=200; printf '%s' "$TA" >"$BODY_FILE"; : >"$HDR_FILE"
check "user add prints a token as its last word" "t.startswith('mlpd_') and len(t) == 86"
"$MLPD_BIN" --db "$MLPD_DB" user add alice >/dev/null 2>&1
rc=$?; STATUS=200; echo "$rc" >"$BODY_FILE"
check "adding alice twice fails" "t.strip() == '1'"
"$MLPD_BIN" --db "$MLPD_DB" user list >"$BODY_FILE"
check "user list shows the three and local, no token" "all(n in t for n in ('alice', 'bob', 'teacher', 'local')) and 'mlpd_' not in t"
if python3 - "$MLPD_DB" "$TA" "$TB" "$TT" <<'PY'
import sys
data = b"".join(open(p, "rb").read() for p in (sys.argv[1], sys.argv[1] + "-wal") if __import__("os").path.exists(p))
sys.exit(1 if any(t.encode()[22:] in data for t in sys.argv[2:]) else 0)
PY
then note_pass "no token secret in the database files"; else note_fail "a token secret is in the database file"; fi

echo "== --auth none is refused off loopback"
"$MLPD_BIN" --bind 0.0.0.0 --port "$(free_port)" --db "$E2E_TMP/other.db" >"$BODY_FILE" 2>&1
rc=$?; STATUS=200
check "--bind 0.0.0.0 without auth exits 2 with a reason (got $rc)" "$rc == 2 and 'insecure-no-auth' in t"
"$MLPD_BIN" --bind :: --port "$(free_port)" --db "$E2E_TMP/other.db" >"$BODY_FILE" 2>&1
rc=$?
check "--bind :: without auth exits 2 (got $rc)" "$rc == 2"

start_daemon --auth token --rate-limit 0 --anon-rate-limit 0
as() { case $1 in
    alice) REQ_HEADERS=(-H "Authorization: Bearer $TA") ;;
    bob) REQ_HEADERS=(-H "Authorization: Bearer $TB") ;;
    teacher) REQ_HEADERS=(-H "Authorization: Bearer $TT") ;;
    none) REQ_HEADERS=() ;;
    *) REQ_HEADERS=(-H "Authorization: $1") ;;
esac; }

echo "== alice builds a model ($MLPD_URL)"
as alice
MA=$(create_model) || exit 1
req PUT "/v1/models/$MA/weights" "$LECTURE_WEIGHTS"
check_status "alice PUTs weights" 200
req POST "/v1/models/$MA/samples" '{"inputs":[[0,0],[1,0],[0,1]],"targets":[[0],[0.5],[0.25]]}'
check_status "alice posts samples" 201
req POST "/v1/models/$MA/train?wait=true" '{"epochs":3}'
check_status "alice trains" 200
JA=$(jget 'j["id"]')
req GET /v1/models
check "alice's list has her model, owner alice" "[m['id'] for m in j['models']] == ['$MA'] and j['models'][0]['owner'] == 'alice' and j['models'][0]['public_predict'] is False"
snapshot alice "$MA"
req POST /v1/datasets '{"name":"alice-data","inputs":[[0,0],[1,0],[0,1],[1,1]],"targets":[[0],[1],[1],[0]],"test_fraction":0.25}'
check_status "alice makes a private dataset" 201
DA=$(jget 'j["id"]')

echo "== bob tries every route of the route table on alice's objects"
MISSING=0123456789abcdef
routes=$(grep -oE '^\s*\{"[A-Z]+", "/[^"]*"' server/api/routes.c | sed -E 's/^\s*\{"([A-Z]+)", "([^"]*)"/\1 \2/')
n_object=0
while read -r method pattern; do
    case $pattern in
        /web/*) continue ;; # the lab page's files: public, not an object (see below)
        /v1/exercises/*) continue ;; # shared by the class; per-student isolation in exercises.sh
        */\{id\}*) ;;
        *) continue ;;
    esac
    n_object=$((n_object + 1))
    case $pattern in
        /v1/jobs/*) own=$JA ;;
        /v1/datasets/*) own=$DA ;;
        *) own=$MA ;;
    esac
    p_own=${pattern//\{id\}/$own}; p_own=${p_own//\{n\}/1}
    p_miss=${pattern//\{id\}/$MISSING}; p_miss=${p_miss//\{n\}/1}
    body='{}'
    [ "$method" = GET ] || [ "$method" = DELETE ] && body=""
    # plain bash comparisons here: one python per check would be slow
    call() { if [ -n "$body" ]; then req "$method" "$1" "$body"; else req "$method" "$1"; fi; }
    as bob
    call "$p_miss"
    cp "$BODY_FILE" "$E2E_TMP/missing"
    miss_status=$STATUS
    call "$p_own"
    if [ "$STATUS" = 404 ] && [ "$miss_status" = 404 ] && cmp -s "$BODY_FILE" "$E2E_TMP/missing"; then
        note_pass "bob $method $pattern on alice's -> 404, byte-identical to a missing id"
    else
        note_fail "bob $method $pattern on alice's: $STATUS $(head -c 200 "$BODY_FILE") (missing: $miss_status)"
    fi
    as none
    call "$p_own"
    unauth='"code":"unauthorized"' # KServe v2 and :predict answer {"error": "text"}
    case $pattern in /v2/* | *:predict) unauth='^{"error":"A valid bearer token' ;; esac
    if [ "$STATUS" = 401 ] && grep -q "$unauth" "$BODY_FILE" &&
        grep -qi '^WWW-Authenticate: Bearer' "$HDR_FILE"; then
        note_pass "no token: $method $pattern -> 401 with WWW-Authenticate"
    else
        note_fail "no token: $method $pattern: $STATUS $(head -c 200 "$BODY_FILE")"
    fi
    as "Bearer mlpd_${MISSING}_$(printf '%064d' 0)"
    call "$p_own"
    if [ "$STATUS" = 401 ] && grep -qi '^WWW-Authenticate: Bearer.*invalid_token' "$HDR_FILE"; then
        note_pass "unknown token: $method $pattern -> 401"
    else
        note_fail "unknown token: $method $pattern: $STATUS $(head -c 200 "$BODY_FILE")"
    fi
done <<<"$routes"
STATUS=200; echo "$n_object" >"$BODY_FILE"
check "the route table has at least 15 object routes (got $n_object)" "int(t) >= 15"

echo "== routes without an object: tokens and lists"
as bob
req GET /v1/models
check_status "bob lists models" 200
check "bob's list is empty, no trace of alice's" "j == {'models': []} and '$MA' not in t"
req GET "/v1/models?all=true"
check_error "bob asks for every user's models" 403 forbidden
req GET /metrics
check_error "bob reads /metrics" 403 forbidden
req GET /v1/me
check "bob's /v1/me" "s == 200 and j['name'] == 'bob' and j['role'] == 'user' and j['usage']['models'] == 0"
req POST /v1/models "${LECTURE_MODEL%\}},\"owner\":\"alice\"}"
check_error "an owner field is refused" 400 unknown_field
# The token with its last character changed (to one it is not).
last=${TA: -1}; other=0; [ "$last" = 0 ] && other=1
for bad in "Bearer" "Bearer short" "Basic $TA" "Bearer ${TA}x" "Bearer ${TA:0:${#TA}-1}$other" "bearer	$TA"; do
    as "$bad"
    req GET /v1/models
    check "Authorization '${bad:0:20}...' -> 401" "s == 401 and j['error']['code'] == 'unauthorized'"
done
as "bearer $TA"
req GET /v1/models
check "the scheme is case-insensitive" "s == 200 and len(j['models']) == 1"
as none
for p in /healthz /v2/health/live /v2/health/ready; do
    req GET "$p"
    check_status "no token: GET $p is public" 200
done
for p in / /web/lab.css; do # the lab page loads before a token is typed
    req GET "$p"
    if [ "$STATUS" = 200 ]; then note_pass "no token: GET $p (lab page) is public"
    else note_fail "no token: GET $p (lab page): $STATUS"; fi
done
for p in /v1/models /v1/me /metrics /openapi.yaml; do
    req GET "$p"
    check "no token: GET $p -> 401" "s == 401"
done
req POST /v1/models "$LECTURE_MODEL"
check "no token: create -> 401" "s == 401"
as alice
same_as alice "$MA" "after bob's and anonymous attempts on alice's model"

echo "== public predict"
PRED='{"inputs":[[0.5,-1]]}'
as none
req POST "/v1/models/$MA/predict" "$PRED"
cp "$BODY_FILE" "$E2E_TMP/anon-private"
check "anonymous predict on a private model -> 401" "s == 401"
req POST "/v1/models/$MISSING/predict" "$PRED"
check "anonymous predict on a missing model answers the same" "s == 401 and t == open('$E2E_TMP/anon-private').read()"
as bob
req PATCH "/v1/models/$MA" '{"public_predict":true}'
check_error "bob cannot make alice's model public" 404 not_found
as alice
req PATCH "/v1/models/$MA" '{"public_predict":"yes"}'
check_error "public_predict must be a boolean" 400 invalid_field
req PATCH "/v1/models/$MA" '{"public_predict":true,"name":"x"}'
check_error "PATCH takes public_predict only" 400 unknown_field
req PATCH "/v1/models/$MA" '{"public_predict":true}'
check "alice makes her model public" "s == 200 and j['public_predict'] is True"
as none
req POST "/v1/models/$MA/predict" "$PRED"
check "anonymous predict works" "s == 200 and len(j['outputs']) == 1"
req POST "/v1/models/$MA:predict" '{"instances":[[0.5,-1]]}'
check "anonymous :predict works" "s == 200 and len(j['predictions']) == 1"
for r in "GET /v1/models/$MA" "GET /v1/models/$MA/weights" "GET /v1/models/$MA/samples" "POST /v1/models/$MA/step" "POST /v1/models/$MA/train" "DELETE /v1/models/$MA" "PATCH /v1/models/$MA" "GET /v1/jobs/$JA"; do
    set -- $r
    if [ "$1" = POST ] || [ "$1" = PATCH ]; then req "$1" "$2" '{}'; else req "$1" "$2"; fi
    check "public model, no token: $r -> 401" "s == 401"
done
as bob
req POST "/v1/models/$MA/predict" "$PRED"
check "bob may predict on the public model too" "s == 200"
req GET "/v1/models/$MA"
check_error "but still not read it" 404 not_found
as alice
req PATCH "/v1/models/$MA" '{"public_predict":false}'
check "alice makes it private again" "s == 200 and j['public_predict'] is False"
snapshot alice2 "$MA"
as none
req POST "/v1/models/$MA/predict" "$PRED"
check "anonymous predict refused again" "s == 401"
as bob
req POST /v1/models "${LECTURE_MODEL%\}},\"public_predict\":true}"
check "bob creates a model public from the start" "s == 201 and j['public_predict'] is True and j['owner'] == 'bob'"
MB=$(jget 'j["id"]')
as none
req POST "/v1/models/$MB/predict" "$PRED"
check "anonymous predict on it works" "s == 200"
as bob
req PATCH "/v1/models/$MB" '{"public_predict":false}'
check_status "bob makes it private" 200
as alice
same_as alice2 "$MA" "after anonymous attempts on alice's public model"

echo "== the teacher (admin)"
as teacher
req GET /v1/models
check "the admin's own list is empty" "j == {'models': []}"
req GET "/v1/models?all=true"
check "?all=true shows both students' models with owners" "sorted((m['id'], m['owner']) for m in j['models']) == sorted([('$MA', 'alice'), ('$MB', 'bob')])"
req GET "/v1/models/$MA"
check "the admin reads alice's model" "s == 200 and j['owner'] == 'alice'"
req GET "/v1/jobs/$JA"
check "the admin reads alice's job" "s == 200 and j['model_id'] == '$MA'"
req GET /metrics
# alice: 3 samples in her model, 4 rows in her dataset
check "the admin reads /metrics with per-user series" "s == 200 and 'mlpd_user_models{user=\"alice\"} 1' in t and 'mlpd_user_models{user=\"bob\"} 1' in t and 'mlpd_user_samples{user=\"alice\"} 7' in t and 'mlpd_user_requests_total{user=\"bob\"}' in t"
check "metrics hold no model id, no token" "'$MA' not in t and '$MB' not in t and 'mlpd_' + '$TA'[5:21] not in t"

echo "== rotation and removal while the daemon runs"
NEW=$("$MLPD_BIN" --db "$MLPD_DB" user token alice | awk '{print $NF}')
as alice
req GET /v1/models
check "alice's old token stops working" "s == 401"
as "Bearer $NEW"
req GET /v1/models
check "the new one works and sees her model" "s == 200 and [m['id'] for m in j['models']] == ['$MA']"
"$MLPD_BIN" --db "$MLPD_DB" user remove bob >"$BODY_FILE"
check "remove bob says one model went with him" "'1 model' in t"
as bob
req GET /v1/models
check "bob's token is refused" "s == 401"
as teacher
req GET "/v1/models?all=true"
check "bob's model is gone" "[m['id'] for m in j['models']] == ['$MA']"
"$MLPD_BIN" --db "$MLPD_DB" user remove local >/dev/null 2>&1
rc=$?; echo "$rc" >"$BODY_FILE"
check "the local user cannot be removed" "t.strip() == '1'"
finish
