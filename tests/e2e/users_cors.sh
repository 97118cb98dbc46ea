#!/usr/bin/env bash
# CORS: preflight on every route from an allowed browser origin (no token
# needed), exact Access-Control-Allow-Origin with Vary: Origin on normal
# answers (errors included), nothing for a disallowed origin or "null",
# "*" for public predict, and no CORS headers at all without --cors-origin.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

TA=$("$MLPD_BIN" --db "$MLPD_DB" user add alice | awk '{print $NF}')
PAGE=http://127.0.0.1:8001
start_daemon --auth token --cors-origin "http://class.example, $PAGE"
echo "== preflight on every route from $PAGE ($MLPD_URL)"
REQ_HEADERS=(-H "Authorization: Bearer $TA")
ID=$(create_model) || exit 1
REQ_HEADERS=()
# [(header, value)] of the last response, all of them (repeats kept)
hdrs() { grep -i "^$1:" "$HDR_FILE" | sed -E 's/^[^:]*: *//; s/\r$//'; }
routes=$(grep -oE '^\s*\{"[A-Z]+", "/[^"]*"' server/api/routes.c | sed -E 's/^\s*\{"([A-Z]+)", "([^"]*)"/\1 \2/')
while read -r method pattern; do
    path=${pattern//\{id\}/$ID}; path=${path//\{n\}/1}
    REQ_HEADERS=(-H "Origin: $PAGE" -H "Access-Control-Request-Method: $method"
                 -H "Access-Control-Request-Headers: authorization, content-type")
    req OPTIONS "$path"
    acao=$(hdrs Access-Control-Allow-Origin); acam=$(hdrs Access-Control-Allow-Methods)
    acah=$(hdrs Access-Control-Allow-Headers); age=$(hdrs Access-Control-Max-Age)
    if [ "$STATUS" = 204 ] && [ "$acao" = "$PAGE" ] && [[ ", $acam," == *", $method,"* ]] &&
        [[ $acah == *Authorization* && $acah == *Content-Type* ]] && [ "${age:-0}" -gt 0 ] &&
        [ "$age" -le 600 ] && [ "$(hdrs Vary)" = Origin ]; then
        note_pass "preflight $method $pattern -> 204, methods '$acam'"
    else
        note_fail "preflight $method $pattern: $STATUS acao='$acao' acam='$acam' acah='$acah' age='$age'"
    fi
done <<<"$routes"

echo "== the headers, one by one"
REQ_HEADERS=(-H "Origin: $PAGE" -H "Access-Control-Request-Method: POST")
req OPTIONS "/v1/models/$ID/predict"
check "predict preflight: exact origin, POST, the four request headers, Max-Age 600" \
    "s == 204 and h.get('access-control-allow-origin') == '$PAGE' and h.get('access-control-allow-methods') == 'POST, OPTIONS' and h.get('access-control-allow-headers') == 'Authorization, Content-Type, Idempotency-Key, Last-Event-ID' and h.get('access-control-max-age') == '600' and h.get('vary') == 'Origin' and 'access-control-allow-credentials' not in h"
req OPTIONS /v1/models
check "a path with two methods lists both" "h.get('access-control-allow-methods') == 'POST, GET, OPTIONS' and h.get('allow') == 'POST, GET, OPTIONS'"
req OPTIONS /v1/nothing
check "preflight on an unknown path -> 404 without CORS headers" "s == 404 and not any(k.startswith('access-control-') for k in h)"
for origin in http://evil.example null "$PAGE.evil.example" "http://127.0.0.1:8002"; do
    REQ_HEADERS=(-H "Origin: $origin" -H "Access-Control-Request-Method: POST")
    req OPTIONS "/v1/models/$ID/predict"
    check "preflight from '$origin' -> no Access-Control-* header" "s == 204 and not any(k.startswith('access-control-') for k in h)"
done
REQ_HEADERS=(-H "Origin: $PAGE" -H "Authorization: Bearer $TA")
req GET "/v1/models/$ID"
check "GET from the page: exact ACAO, Vary: Origin, exposed headers" "s == 200 and h.get('access-control-allow-origin') == '$PAGE' and h.get('vary') == 'Origin' and 'Retry-After' in h.get('access-control-expose-headers', '')"
REQ_HEADERS=(-H "Origin: http://class.example")
req GET /v1/models
check "a 401 to the other listed origin carries ACAO so the page can read it" "s == 401 and h.get('access-control-allow-origin') == 'http://class.example'"
REQ_HEADERS=(-H "Origin: http://evil.example" -H "Authorization: Bearer $TA")
req GET "/v1/models/$ID"
check "GET from a disallowed origin: answered, but without ACAO" "s == 200 and 'access-control-allow-origin' not in h and h.get('vary') == 'Origin'"
stop_daemon

echo "== --cors-origin '*' (public predict from any page)"
start_daemon --auth token --cors-origin '*'
REQ_HEADERS=(-H "Authorization: Bearer $TA")
req PATCH "/v1/models/$ID" '{"public_predict":true}'
check_status "make the model public" 200
REQ_HEADERS=(-H "Origin: http://any.example" -H "Access-Control-Request-Method: POST")
req OPTIONS "/v1/models/$ID/predict"
check "preflight: ACAO *, never with credentials" "s == 204 and h.get('access-control-allow-origin') == '*' and 'access-control-allow-credentials' not in h"
REQ_HEADERS=(-H "Origin: http://any.example")
req POST "/v1/models/$ID/predict" '{"inputs":[[1,2]]}'
check "anonymous predict from any origin: 200 with ACAO *" "s == 200 and h.get('access-control-allow-origin') == '*'"
stop_daemon

echo "== no --cors-origin: no CORS headers"
start_daemon --auth token
REQ_HEADERS=(-H "Origin: $PAGE" -H "Access-Control-Request-Method: POST")
req OPTIONS "/v1/models/$ID/predict"
check "preflight answered 204 with Allow, no Access-Control-*" "s == 204 and h.get('allow') == 'POST, OPTIONS' and not any(k.startswith('access-control-') for k in h)"
REQ_HEADERS=(-H "Origin: $PAGE")
req POST "/v1/models/$ID/predict" '{"inputs":[[1,2]]}'
check "predict answered without ACAO" "s == 200 and 'access-control-allow-origin' not in h"
finish
