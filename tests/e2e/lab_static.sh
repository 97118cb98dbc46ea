#!/usr/bin/env bash
# The lab page's files (GET /, /web/*) and the built-in data sets
# (POST samples?generate=) over HTTP, with curl.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
start_daemon

echo "== the lab page's files"
req GET /
check "GET / is the page, HTML" "s == 200 and h['content-type'] == 'text/html; charset=utf-8' and '<title>mlpd lab</title>' in t"
check "with ETag, no-cache, nosniff and a same-origin CSP" "h['cache-control'] == 'no-cache' and h['etag'].startswith('\"') and h['x-content-type-options'] == 'nosniff' and \"script-src 'self'\" in h['content-security-policy'] and \"default-src 'none'\" in h['content-security-policy']"
ETAG=$(python3 -c 'import sys; print([l.split(":",1)[1].strip() for l in open(sys.argv[1], encoding="latin-1") if l.lower().startswith("etag:")][0])' "$HDR_FILE")
: >"$BODY_FILE"; curl -sS -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' -H "If-None-Match: $ETAG" "$MLPD_URL/" >"$E2E_TMP/st"; STATUS=$(cat "$E2E_TMP/st")
check "If-None-Match with the ETag -> 304, no body" "s == 304 and t == ''"
: >"$BODY_FILE"; curl -sS -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' -H 'If-None-Match: "stale"' "$MLPD_URL/" >"$E2E_TMP/st"; STATUS=$(cat "$E2E_TMP/st")
check "another ETag -> 200" "s == 200 and len(t) > 1000"
for f in lab.js api.js charts.js explain.js; do
    req GET "/web/$f"
    check "GET /web/$f is JavaScript" "s == 200 and h['content-type'] == 'text/javascript; charset=utf-8' and len(t) > 500"
done
req GET /web/lab.css
check "GET /web/lab.css is CSS" "s == 200 and h['content-type'] == 'text/css; charset=utf-8'"
req GET /web/lecture.md
check "GET /web/lecture.md is the lecture, markdown, byte for byte server/web/lecture.md" \
    "s == 200 and h['content-type'] == 'text/markdown; charset=utf-8' and t == open('server/web/lecture.md', encoding='utf-8').read() and 'Backpropagation' in t"
for p in /web/missing.js /web/missing.md /web/README.md /web/index.js /web/lab.png /web/screenshot.png /web/a.b.js /web/ /web/..%2Flab.js /index.html; do
    req GET "$p"
    check_error "GET $p" 404 not_found
done
req POST /
check "POST / -> 405 with Allow: GET" "s == 405 and h.get('allow') == 'GET'"
# Every script the page loads is served (no file is missing from the binary).
req GET /
for f in $(grep -o '/web/[A-Za-z0-9_-]*\.\(js\|css\)' "$BODY_FILE"; for s in server/web/*.js; do grep -o "from '\./[A-Za-z0-9_-]*\.js'" "$s" | sed "s#from '\./#/web/#; s#'##"; done); do
    req GET "$f"
    check "the page's $f is served" "s == 200"
done

echo "== built-in data sets"
ID=$(create_model) || exit 1
req POST "/v1/models/$ID/samples?generate=spiral&n=400&noise=0.1&seed=1"
check "generate=spiral n=400 -> 201, 400 added (no body, no Content-Type)" "s == 201 and j == {'added': 400, 'total': 400}"
req GET "/v1/models/$ID/samples?limit=1000"
cp "$BODY_FILE" "$E2E_TMP/spiral1"
check "rows alternate class 1, class 0" "[r['y'][0] for r in j['samples'][:4]] == [1, 0, 1, 0] and len(j['samples']) == 400"
ID2=$(create_model) || exit 1
req POST "/v1/models/$ID2/samples?generate=spiral&n=400&noise=0.1&seed=1" "" application/json
check "an empty JSON body is also fine" "s == 201"
req GET "/v1/models/$ID2/samples?limit=1000"
if cmp -s "$BODY_FILE" "$E2E_TMP/spiral1"; then note_pass "same parameters, same samples (bit for bit)"; else note_fail "same parameters, same samples"; fi
req POST "/v1/models/$ID2/samples?generate=spiral&n=400&noise=0.1&seed=2"
req GET "/v1/models/$ID2/samples?offset=400&limit=1000"
check "another seed, other samples" "s == 200 and len(j['samples']) == 400 and j['samples'] != json.load(open('$E2E_TMP/spiral1'))['samples']"
for set in xor circle gaussians sine; do
    req POST "/v1/models/$ID2/samples?generate=$set&n=10"
    check "generate=$set -> 201" "s == 201 and j['added'] == 10"
done

snapshot before "$ID"
req POST "/v1/models/$ID/samples?generate=moons"
check_error "unknown set" 400 invalid_query
check "  names the parameter and the sets" "j['error']['field'] == 'generate' and 'spiral' in j['error']['message']"
for q in "n=0" "n=-1" "n=1e3" "n=100001" "noise=nan" "noise=inf" "noise=-0.1" "noise=1e999" "noise=11" "seed=-1" "seed=1.5" "seed=9007199254740993"; do
    req POST "/v1/models/$ID/samples?generate=xor&$q"
    check_error "generate=xor&$q" 400 invalid_query
    check "  field is ${q%%=*}" "j['error']['field'] == '${q%%=*}'"
done
req POST "/v1/models/$ID/samples?generate=xor" '{"samples":[{"x":[0,0],"y":[0]}]}'
check_error "generate with a body" 400 invalid_query
req POST "/v1/models/$ID/samples?generate=xor&n=99700"
check_error "past the model's sample limit" 413 limit_exceeded
same_as before "$ID" "refused generate requests"

ID3=$(create_model '{"name":"three","inputs":3,"layers":[{"units":1,"activation":"linear"}]}') || exit 1
req POST "/v1/models/$ID3/samples?generate=xor"
check_error "a 3-input model" 400 invalid_query
check "  says the set has 2 inputs" "'2 inputs' in j['error']['message']"
ID4=$(create_model '{"name":"two-out","inputs":2,"layers":[{"units":2,"activation":"softmax"}],"loss":"cross_entropy"}') || exit 1
req POST "/v1/models/$ID4/samples?generate=sine"
check_error "sine on a 2-output model" 400 invalid_query
req POST "/v1/models/$ID4/samples?generate=circle&n=6"
check "circle on a 2-output model: one-hot targets" "s == 201"
req GET "/v1/models/$ID4/samples"
check "  [0, 1] for class 1, [1, 0] for class 0" "[r['y'] for r in j['samples'][:2]] == [[0, 1], [1, 0]]"

finish
