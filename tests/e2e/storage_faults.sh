#!/usr/bin/env bash
# Storage faults seen from outside: Idempotency-Key on sample posts (a retry
# adds exactly once; the key with another body is 422), a failed fsync at
# COMMIT injected with libfiu (503 outcome_unknown, then 503 read_only until
# a restart, after which the keyed retry adds once), a damaged or
# truncated database file at start (a clear refusal and exit code 1, never
# a crash), and a stored weights blob damaged on disk (a JSON model_corrupt
# error on weights and predict, never NaN or null outputs).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

# kreq KEY METHOD PATH BODY [CTYPE]: req with an Idempotency-Key header.
kreq() {
    local key=$1 method=$2 path=$3 body=$4 ctype=${5-application/json}
    printf '%s' "$body" >"$E2E_TMP/req-body"
    STATUS=$(curl -sS -X "$method" -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' --max-time 60 \
        -H "Content-Type: $ctype" -H "Idempotency-Key: $key" \
        --data-binary "@$E2E_TMP/req-body" "$MLPD_URL$path") || STATUS="curl-failed"
}

start_daemon --max-samples 5
echo "== Idempotency-Key on sample posts ($MLPD_URL)"
A=$(create_model) || exit 1
S1='{"samples":[{"x":[0,0],"y":[0]},{"x":[1,1],"y":[1]}]}'
kreq batch-1 POST "/v1/models/$A/samples" "$S1"
check "first keyed post adds 2" "s == 201 and j == {'added': 2, 'total': 2} and 'idempotent-replayed' not in h"
kreq batch-1 POST "/v1/models/$A/samples" "$S1"
check "the retry answers the first result, marked replayed" "s == 201 and j == {'added': 2, 'total': 2} and h.get('idempotent-replayed') == 'true'"
req GET "/v1/models/$A"
check "and added nothing" "j['samples'] == 2"
kreq batch-1 POST "/v1/models/$A/samples" '{"samples":[{"x":[5,5],"y":[5]}]}'
check_error "the same key with another body" 422 idempotency_key_reused
kreq batch-2 POST "/v1/models/$A/samples" $'2,2,2\n3,3,3\n4,4,4\n' text/csv
check "another key adds (CSV)" "s == 201 and j == {'added': 3, 'total': 5}"
kreq batch-2 POST "/v1/models/$A/samples" $'2,2,2\n3,3,3\n4,4,4\n' text/csv
check "its retry replays even though the model is now full" "s == 201 and j == {'added': 3, 'total': 5} and h.get('idempotent-replayed') == 'true'"
kreq batch-3 POST "/v1/models/$A/samples" '{"samples":[{"x":[6,6],"y":[6]}]}'
check_error "a new key past --max-samples" 413 limit_exceeded
kreq batch-3 POST "/v1/models/$A/samples" '{"samples":[{"x":[6,6],"y":[6]}]}'
check_error "a refused post keeps no key: the retry is refused again" 413 limit_exceeded
kreq "$(printf 'k%.0s' $(seq 1 256))" POST "/v1/models/$A/samples" "$S1"
check_error "a key over 255 characters" 400 bad_request
kreq "bad key" POST "/v1/models/$A/samples" "$S1"
check_error "a key with a space" 400 bad_request
B=$(create_model) || exit 1
kreq batch-1 POST "/v1/models/$B/samples" "$S1"
check "keys are per model" "s == 201 and j == {'added': 2, 'total': 2} and 'idempotent-replayed' not in h"
req GET "/v1/models/$A/samples"
check "model A holds exactly its 5 samples" "j['total'] == 5 and [r['x'] for r in j['samples']] == [[0,0],[1,1],[2,2],[3,3],[4,4]]"
restart_daemon
kreq batch-1 POST "/v1/models/$A/samples" "$S1"
check "a retry after a restart still replays" "s == 201 and j == {'added': 2, 'total': 2} and h.get('idempotent-replayed') == 'true'"

echo "== a failed fsync at COMMIT (libfiu): outcome_unknown, then read-only until a restart"
if ldd "$MLPD_BIN" 2>/dev/null | grep -q libasan; then
    # libfiu's preloaded wrappers and the ASan runtime crash each other
    echo "  (skipped with an ASan build: libfiu cannot preload into it)"
elif ! command -v fiu-run >/dev/null || ! command -v fiu-ctrl >/dev/null; then
    note_fail "fiu-run and fiu-ctrl are needed (Debian fiu-utils; make deps installs it)"
else
    stop_daemon
    REAL_BIN=$MLPD_BIN
    printf '#!/bin/sh\nexec fiu-run -x "%s" "$@"\n' "$(realpath "$REAL_BIN")" >"$E2E_TMP/mlpd-fiu"
    chmod +x "$E2E_TMP/mlpd-fiu"
    MLPD_BIN="$E2E_TMP/mlpd-fiu" start_daemon
    MLPD_BIN=$REAL_BIN
    C=$(create_model '{"name":"fsync","inputs":1,"layers":[{"units":1,"activation":"linear"}]}') || exit 1
    kreq before POST "/v1/models/$C/samples" '{"samples":[{"x":[1],"y":[1]}]}'
    check "a keyed post before the fault" "s == 201 and j['total'] == 1"
    fiu-ctrl -c "enable name=posix/io/sync/fdatasync" "$MLPD_PID"
    fiu-ctrl -c "enable name=posix/io/sync/fsync" "$MLPD_PID"
    kreq during POST "/v1/models/$C/samples" '{"samples":[{"x":[2],"y":[2]}]}'
    check_error "the post whose fsync fails" 503 outcome_unknown
    fiu-ctrl -c "disable name=posix/io/sync/fdatasync" "$MLPD_PID"
    fiu-ctrl -c "disable name=posix/io/sync/fsync" "$MLPD_PID"
    req POST "/v1/models/$C/samples" '{"samples":[{"x":[3],"y":[3]}]}'
    check_error "then every write, even with fsync working again" 503 read_only
    req PUT "/v1/models/$C/weights" '{"layers":[{"weights":[[1]],"biases":[0]}]}'
    check_error "PUT weights too" 503 read_only
    req POST "/v1/models/$C/predict" '{"inputs":[[1]]}'
    check_status "reads go on (predict)" 200
    restart_daemon
    kreq during POST "/v1/models/$C/samples" '{"samples":[{"x":[2],"y":[2]}]}'
    check "after a restart the keyed retry is answered 201" "s == 201 and j == {'added': 1, 'total': 2}"
    kreq during POST "/v1/models/$C/samples" '{"samples":[{"x":[2],"y":[2]}]}'
    check "and adds exactly once" "s == 201 and h.get('idempotent-replayed') == 'true' and j['total'] == 2"
    req GET "/v1/models/$C/samples"
    check "the model holds the samples 1 and 2, once each" "[r['x'] for r in j['samples']] == [[1], [2]]"
fi

echo "== a damaged weights blob"
req PUT "/v1/models/$A/weights" "$LECTURE_WEIGHTS"
check_status "PUT weights (version 2)" 200
stop_daemon
python3 - "$MLPD_DB" "$A" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
blob = bytearray(db.execute("SELECT blob FROM versions WHERE model_id=? AND version=2", (sys.argv[2],)).fetchone()[0])
for i in (len(blob) // 2, len(blob) - 3):
    blob[i] ^= 0x5a
db.execute("UPDATE versions SET blob=? WHERE model_id=? AND version=2", (bytes(blob), sys.argv[2]))
db.commit()
db.close()
EOF
start_daemon
req GET "/v1/models/$A/weights"
check_error "GET weights of the damaged version" 500 model_corrupt
req POST "/v1/models/$A/predict" '{"inputs":[[0.5,-1]]}'
check_error "predict on it" 500 model_corrupt
check "no NaN and no null in the answer" "'NaN' not in t and 'null' not in t and 'outputs' not in t"
req GET "/v1/models/$A/weights?version=1"
check_status "the undamaged version 1 still reads" 200
req POST "/v1/models/$A/versions/1/restore"
check_status "restoring version 1 repairs the model" 200
req POST "/v1/models/$A/predict" '{"inputs":[[0.5,-1]]}'
check "predict answers finite numbers again" "s == 200 and all(math.isfinite(v) for r in j['outputs'] for v in r)"
python3 - "$MLPD_DB" "$A" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# the blob and its CRC both replaced: a blob the core's own check refuses
db.execute("UPDATE versions SET blob=x'00112233445566778899', crc=? WHERE model_id=? AND version=1",
           (__import__('zlib').crc32(bytes.fromhex('00112233445566778899')), sys.argv[2]))
db.commit()
EOF
req GET "/v1/models/$A/weights?version=1"
check_error "a blob with a matching CRC but not a model" 500 model_corrupt
check "that one is refused by the core's decoder" "j['error']['message'].startswith('The stored weights are damaged (')"

echo "== a damaged or truncated database file at start"
stop_daemon
cp "$MLPD_DB" "$E2E_TMP/good.db"
start_refused() { # start_refused "what": the daemon exits 1 with a clear message
    local what=$1 rc
    : >"$E2E_TMP/start.log"
    timeout 20 "$MLPD_BIN" --bind 127.0.0.1 --port "$(free_port)" --db "$MLPD_DB" >"$E2E_TMP/start.log" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "cannot open database" "$E2E_TMP/start.log"; then
        note_pass "$what: exit 1, '$(head -c 160 "$E2E_TMP/start.log" | tr '\n' ' ')'"
    else
        note_fail "$what: exit $rc, log: $(head -c 300 "$E2E_TMP/start.log")"
    fi
}
rm -f "$MLPD_DB-wal" "$MLPD_DB-shm"
SIZE=$(stat -c %s "$MLPD_DB")
truncate -s $((SIZE / 2 / 4096 * 4096 + 1000)) "$MLPD_DB"
start_refused "truncated mid-page"
cp "$E2E_TMP/good.db" "$MLPD_DB"
python3 - "$MLPD_DB" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0)
    f.write(b"this is not an sqlite file at all")
EOF
start_refused "garbage in the header"
cp "$E2E_TMP/good.db" "$MLPD_DB"
python3 - "$MLPD_DB" <<'EOF'
import sys, os
size = os.path.getsize(sys.argv[1])
with open(sys.argv[1], "r+b") as f:
    for page in range(1, size // 4096):   # every page but the first: b-tree pages
        f.seek(page * 4096)
        f.write(b"\xff" * 64)
EOF
start_refused "garbage in every b-tree page"
cp "$E2E_TMP/good.db" "$MLPD_DB"
start_daemon
req GET "/v1/models/$A"
check_status "the good copy starts and serves" 200
stop_daemon # exit 0: under an ASan build (MLPD_BIN=build/asan/mlpd), no leak either
finish
