# tests/e2e/lib.bash - helpers shared by the end-to-end tests (sourced, not
# run: `make e2e` runs every tests/e2e/*.sh, so this file must not end in .sh).
#
# A test sources this file, calls start_daemon, talks HTTP with `req`, and
# asserts with `check`/`check_status`; `finish` prints "N passed, M failed"
# and sets the exit status. Every daemon runs on a free loopback port with
# its own database in a temp directory, removed (and the daemon stopped, by
# PID) when the test exits.

set -u

# python3 is Debian's where there is one: the checks start it thousands of
# times, and a pyenv shim in front of another Python (as on the machines
# this is built on) costs 160 ms a start where the interpreter takes 30.
# The checks need only the standard library.
E2E_PY=python3
if [ -x /usr/bin/python3 ]; then
    E2E_PY=/usr/bin/python3
    python3() { /usr/bin/python3 "$@"; }
fi

MLPD_BIN=${MLPD_BIN:-build/mlpd}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-e2e.XXXXXX")
E2E_PASS=0
E2E_FAIL=0
MLPD_PID=""
MLPD_PORT=""
MLPD_URL=""
MLPD_DB="$E2E_TMP/mlpd.db"
MLPD_ARGS=()
# MLPD_E2E_PG (scripts/test-pg.sh sets it): a PostgreSQL server's conninfo
# without dbname; the test then runs on a fresh database of its own there
# (MLPD_DB is its conninfo), dropped when the test exits.
E2E_PG_DB=""
if [ -n "${MLPD_E2E_PG:-}" ]; then
    E2E_PG_DB="e2e_$(basename "$E2E_TMP" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')"
    if ! psql "$MLPD_E2E_PG dbname=postgres" -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $E2E_PG_DB" >/dev/null; then
        echo "e2e: cannot create the PostgreSQL database $E2E_PG_DB" >&2
        rm -rf "$E2E_TMP"
        exit 2
    fi
    MLPD_DB="$MLPD_E2E_PG dbname=$E2E_PG_DB"
fi

# Extra curl arguments for every `req`, e.g. REQ_HEADERS=(-H "Authorization: Bearer $T").
REQ_HEADERS=()

# Response of the last `req`.
STATUS=""
BODY_FILE="$E2E_TMP/body"
HDR_FILE="$E2E_TMP/headers"

e2e_cleanup() {
    [ -n "${E2E_CHECKER_PID:-}" ] && kill "$E2E_CHECKER_PID" 2>/dev/null
    if [ -n "$MLPD_PID" ] && kill -0 "$MLPD_PID" 2>/dev/null; then
        kill -TERM "$MLPD_PID" 2>/dev/null
        wait "$MLPD_PID" 2>/dev/null
    fi
    if [ -n "$E2E_PG_DB" ]; then
        psql "$MLPD_E2E_PG dbname=postgres" -qAt -c "DROP DATABASE IF EXISTS $E2E_PG_DB WITH (FORCE)" \
            >/dev/null 2>&1
    fi
    rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# The evaluator of every check (tests/e2e/checker.py): one Python for the
# script, started here so that a check in a subshell finds it too.
# Its pipes get fds of their own: bash keeps a coproc's from subshells.
coproc E2E_CHECKER { exec "$E2E_PY" -u "$(dirname "${BASH_SOURCE[0]}")/checker.py"; }
exec {E2E_CK_TO}>&"${E2E_CHECKER[1]}" {E2E_CK_FROM}<&"${E2E_CHECKER[0]}"

if [ ! -x "$MLPD_BIN" ]; then
    echo "e2e: daemon binary '$MLPD_BIN' not found (set MLPD_BIN or run make)" >&2
    exit 2
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_daemon [extra flags...]: start on a free port with $MLPD_DB; retry
# with another port if the daemon dies at start (port taken meanwhile).
# The flags are remembered so restart_daemon starts the same daemon.
start_daemon() {
    if [ $# -gt 0 ]; then MLPD_ARGS=("$@"); fi
    local try
    for try in 1 2 3 4 5; do
        MLPD_PORT=$(free_port)
        MLPD_URL="http://127.0.0.1:$MLPD_PORT"
        "$MLPD_BIN" --bind 127.0.0.1 --port "$MLPD_PORT" --db "$MLPD_DB" "${MLPD_ARGS[@]}" \
            >>"$E2E_TMP/mlpd.log" 2>&1 &
        MLPD_PID=$!
        local i
        for i in $(seq 1 100); do
            if ! kill -0 "$MLPD_PID" 2>/dev/null; then
                break
            fi
            if curl -s -o /dev/null --max-time 1 "$MLPD_URL/healthz"; then
                return 0
            fi
            sleep 0.05
        done
        if kill -0 "$MLPD_PID" 2>/dev/null; then
            kill -TERM "$MLPD_PID"
            wait "$MLPD_PID" 2>/dev/null
        fi
        wait "$MLPD_PID" 2>/dev/null
        MLPD_PID=""
        echo "e2e: daemon did not come up on port $MLPD_PORT (try $try)" >&2
    done
    echo "e2e: giving up; daemon log:" >&2
    tail -n 20 "$E2E_TMP/mlpd.log" >&2
    exit 2
}

# stop_daemon: SIGTERM by PID and wait for the exit; fails the test if it
# takes more than 10 s or the exit status is not 0.
stop_daemon() {
    [ -n "$MLPD_PID" ] || return 0
    kill -TERM "$MLPD_PID"
    local i rc
    for i in $(seq 1 200); do
        kill -0 "$MLPD_PID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$MLPD_PID" 2>/dev/null; then
        note_fail "daemon exits within 10 s of SIGTERM"
        kill -KILL "$MLPD_PID"
    fi
    wait "$MLPD_PID"
    rc=$?
    if [ "$rc" -eq 0 ]; then note_pass "daemon exits 0 on SIGTERM"; else note_fail "daemon exits 0 on SIGTERM (got $rc)"; fi
    MLPD_PID=""
}

restart_daemon() {
    stop_daemon
    start_daemon
}

# req METHOD PATH [BODY [CONTENT-TYPE]]: one request; sets STATUS and the
# body/header files. BODY "@file" sends a file. CONTENT-TYPE defaults to
# application/json when there is a body; "-" sends none.
req() {
    local method=$1 path=$2 body=${3-} ctype=${4-application/json}
    local args=(-sS -X "$method" -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' --max-time 60)
    args+=("${REQ_HEADERS[@]}")
    if [ $# -ge 3 ]; then
        if [ "${body:0:1}" = "@" ]; then
            args+=(--data-binary "$body")
        else
            printf '%s' "$body" >"$E2E_TMP/req-body"
            args+=(--data-binary "@$E2E_TMP/req-body")
        fi
        if [ "$ctype" = "-" ]; then
            args+=(-H 'Content-Type:')
        else
            args+=(-H "Content-Type: $ctype")
        fi
    fi
    STATUS=$(curl "${args[@]}" "$MLPD_URL$path") || STATUS="curl-failed"
}

# The body of the last response, and one value from it (python expression
# over `j`, the parsed JSON), e.g. `jget 'j["id"]'`.
body() { cat "$BODY_FILE"; }
jget() {
    python3 - "$1" "$BODY_FILE" <<'EOF'
import json, sys
j = json.load(open(sys.argv[2]))
v = eval(sys.argv[1])
print(json.dumps(v) if not isinstance(v, str) else v)
EOF
}

note_pass() { E2E_PASS=$((E2E_PASS + 1)); echo "  ok    $1"; }
note_fail() { E2E_FAIL=$((E2E_FAIL + 1)); echo "  FAIL  $1"; }

# check "what" PYEXPR: PYEXPR is evaluated with j (parsed JSON body or
# None), t (body text), s (status as int), h (headers, lower-case names),
# approx(a, b, rel=1e-12) and the math module; true passes. The script's
# one evaluator (tests/e2e/checker.py) answers: checks run one at a time.
check() {
    local what=$1 expr=$2 out=""
    printf '%s\0%s\0%s\0%s\0' "$expr" "$BODY_FILE" "$HDR_FILE" "$STATUS" >&"$E2E_CK_TO" &&
        IFS= read -r out <&"$E2E_CK_FROM"
    if [ "$out" = ok ]; then
        note_pass "$what"
    else
        note_fail "$what [status $STATUS, body: $(head -c 300 "$BODY_FILE")] ${out#fail}"
    fi
}

# check_status "what" CODE: the last response has this status, JSON body
# and the two headers every response carries.
check_status() {
    local what=$1 code=$2
    check "$what -> $code" "s == $code and h.get('x-content-type-options') == 'nosniff' and h.get('cache-control') == 'no-store'"
}

# check_error "what" CODE ERRCODE: status, headers and {"error": {"code"}}.
check_error() {
    local what=$1 code=$2 ecode=$3
    check "$what -> $code $ecode" "s == $code and isinstance(j, dict) and j.get('error', {}).get('code') == '$ecode' and isinstance(j['error'].get('message'), str) and h.get('x-content-type-options') == 'nosniff' and h.get('cache-control') == 'no-store'"
}

# snapshot NAME ID: save model ID's observable state (model, weights,
# samples, versions, history, jobs) to compare later with same_as.
snapshot() {
    local name=$1 id=$2 out="$E2E_TMP/snap-$1"
    : >"$out"
    local p
    for p in "" /weights "/samples?limit=1000" /versions /history /jobs; do
        req GET "/v1/models/$id$p"
        printf '%s %s ' "$p" "$STATUS" >>"$out"
        # updated_at may move on reads of a model? It must not; keep it.
        cat "$BODY_FILE" >>"$out"
        echo >>"$out"
    done
    req GET /v1/models
    printf 'list %s ' "$STATUS" >>"$out"
    cat "$BODY_FILE" >>"$out"
    echo >>"$out"
}

# same_as NAME ID "what": the state of ID equals the saved snapshot.
same_as() {
    local name=$1 id=$2 what=$3
    cp "$E2E_TMP/snap-$name" "$E2E_TMP/snap-$name.keep"
    snapshot "$name.now" "$id"
    if cmp -s "$E2E_TMP/snap-$name.keep" "$E2E_TMP/snap-$name.now"; then
        note_pass "$what: nothing changed"
    else
        note_fail "$what: state changed"
        diff "$E2E_TMP/snap-$name.keep" "$E2E_TMP/snap-$name.now" | head -n 10
    fi
}

# The lecture's 2-3-1 network (logsig hidden, linear output, mse).
LECTURE_MODEL='{"name":"lecture-2-3-1","inputs":2,"layers":[{"units":3,"activation":"logsig"},{"units":1,"activation":"purelin"}],"loss":"mse","init":{"method":"xavier","seed":42}}'
# The worked example's weights (the lecture gives the formulas; these
# numbers are ours, chosen so that v = (0.5, -0.1, -0.4) at x = (0.5, -1)).
LECTURE_WEIGHTS='{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]],"biases":[0.1,-0.2,0.05]},{"weights":[[0.3,-0.6,0.9]],"biases":[0.1]}]}'

# create_model [BODY]: POST /v1/models; prints the id.
create_model() {
    req POST /v1/models "${1:-$LECTURE_MODEL}"
    if [ "$STATUS" != 201 ]; then
        echo "e2e: create failed: $STATUS $(body)" >&2
        return 1
    fi
    jget 'j["id"]'
}

finish() {
    echo "$E2E_PASS passed, $E2E_FAIL failed"
    [ "$E2E_FAIL" -eq 0 ]
}
