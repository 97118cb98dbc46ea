#!/usr/bin/env bash
# bench-jobs.sh - training jobs against the core's own speed, and predict
# while jobs train, in one run:
#
#  1. the same 2000-epoch online job (the lecture's 2-3-1 network, 1000
#     samples of y = sin(x1) cos(x2), lr 0.1, shuffled, seed 1) trained by
#     mlp_train directly (bench/jobs/direct, no callback) and through the
#     API (POST /train?wait=true, best of REPEATS); both must end at the
#     same loss bit for bit. Reports wall times (best of each), the job's
#     own elapsed time, and CPU seconds (the direct process's, and the
#     daemon's over the whole request, summed over its threads from
#     /proc/PID/task/*/schedstat), which a loaded machine disturbs less;
#     the bar is API <= 1.10 x direct. Runs alternate so both see the same load.
#  2. predict requests/s (1 row, 2-3-1, wrk) with no job, then with two
#     long jobs training (--workers 2), in the same daemon.
#
# env: MLPD_BIN (build/mlpd), DIRECT_BIN (build/bench/jobs-direct),
#      REPEATS (15), EPOCHS (2000), BENCH_SECONDS (10 per wrk case), CONNS (16),
#      THREADS (2)
# Every process started here is stopped by PID; everything is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
MLPD_BIN=${MLPD_BIN:-build/mlpd}
DIRECT_BIN=${DIRECT_BIN:-build/bench/jobs-direct}
REPEATS=${REPEATS:-15}
SECS=${BENCH_SECONDS:-10}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-2000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-bench-jobs.XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
"$MLPD_BIN" --bind 127.0.0.1 --port "$PORT" --db "$TMP/mlpd.db" --workers 2 \
    >"$TMP/mlpd.log" 2>&1 &
PID=$!
for i in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "$URL/healthz" && break
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/mlpd.log" >&2; exit 1; }
    sleep 0.05
done

post() { # PATH BODY [CTYPE] -> body on stdout
    curl -sS --max-time 600 -H "Content-Type: ${3:-application/json}" --data-binary "$2" "$URL$1"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

python3 - "$TMP" <<'PY'
import json, math, random, sys
d = sys.argv[1]
r = random.Random(7)
with open(d + "/samples.csv", "w") as f:
    for _ in range(1000):
        a, b = r.uniform(-3, 3), r.uniform(-3, 3)
        f.write("%r,%r,%r\n" % (a, b, math.sin(a) * math.cos(b)))
json.dump({"inputs": [[0.5, -1.0]]}, open(d + "/one.json", "w"))
PY

LECTURE='{"name":"bench-2-3-1","inputs":2,"layers":[{"units":3,"activation":"logsig"},{"units":1,"activation":"purelin"}],"loss":"mse","init":{"method":"xavier","seed":42}}'
TRAIN="{\"epochs\":$EPOCHS,\"learning_rate\":0.1,\"batch_size\":1,\"optimizer\":\"sgd\",\"shuffle\":true,\"seed\":1}"

echo "== 1. a job of $EPOCHS tiny epochs: core vs API (best of $REPEATS, $(nproc) cores)"
# Direct and API runs alternate, so that both see the same load.
BEST_DIRECT=1e9
BEST_API=1e9
BEST_JOB=1e9
BEST_DCPU=1e9
BEST_ACPU=1e9
API_LOSS=""
daemon_cpu() { cat /proc/"$PID"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.6f", s / 1e9}'; }
for r in $(seq 1 "$REPEATS"); do
    read -r _ DIRECT _ DCPU _ DIRECT_LOSS < <("$DIRECT_BIN" "$TMP/samples.csv" "$EPOCHS" 0.1 1)
    M=$(post /v1/models "$LECTURE" | field '["id"]')
    post "/v1/models/$M/samples" "@$TMP/samples.csv" text/csv >/dev/null
    C0=$(daemon_cpu)
    OUT=$(curl -sS --max-time 600 -o "$TMP/job.json" -w '%{time_total}' -H 'Content-Type: application/json' \
        --data-binary "$TRAIN" "$URL/v1/models/$M/train?wait=true")
    ACPU=$(python3 -c "print($(daemon_cpu) - $C0)")
    STATUS=$(field '["status"]' <"$TMP/job.json")
    [ "$STATUS" = succeeded ] || { echo "job did not succeed: $(cat "$TMP/job.json")" >&2; exit 1; }
    JOB=$(field '["elapsed_seconds"]' <"$TMP/job.json")
    API_LOSS=$(python3 -c "import json; print('%.17g' % json.load(open('$TMP/job.json'))['loss'])")
    printf '  run %s: direct %.4f s (cpu %.4f), API %.4f s (job %.4f s, daemon cpu %.4f)\n' \
        "$r" "$DIRECT" "$DCPU" "$OUT" "$JOB" "$ACPU"
    BEST_DCPU=$(python3 -c "print(min($BEST_DCPU, $DCPU))")
    BEST_ACPU=$(python3 -c "print(min($BEST_ACPU, $ACPU))")
    BEST_DIRECT=$(python3 -c "print(min($BEST_DIRECT, $DIRECT))")
    BEST_API=$(python3 -c "print(min($BEST_API, $OUT))")
    BEST_JOB=$(python3 -c "print(min($BEST_JOB, $JOB))")
done
DIRECT=$BEST_DIRECT
python3 - "$DIRECT" "$BEST_API" "$BEST_JOB" "$DIRECT_LOSS" "$API_LOSS" "$BEST_DCPU" "$BEST_ACPU" <<'PY'
import sys
direct, api, job = map(float, sys.argv[1:4])
dl, al = sys.argv[4], sys.argv[5]
dcpu, acpu = float(sys.argv[6]), float(sys.argv[7])
print("mlp_train directly:         %.4f s wall, %.4f s cpu" % (direct, dcpu))
print("POST /train?wait=true:      %.4f s wall (x %.3f), daemon %.4f s cpu (x %.3f)"
      % (api, api / direct, acpu, acpu / dcpu))
print("  of which the job ran:     %.4f s  (x %.3f)" % (job, job / direct))
print("final loss direct %s, API %s: %s" % (dl, al, "same" if float(dl) == float(al) else "DIFFERENT"))
print("bar (within 10%%): wall %s, cpu %s" % ("met" if api <= 1.10 * direct else "NOT met",
                                            "met" if acpu <= 1.10 * dcpu else "NOT met"))
PY

echo
echo "== 2. predict (1 row, 2-3-1) requests/s: no job, then two jobs training"
P=$(post /v1/models "$LECTURE" | field '["id"]')
python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/one.lua", "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    f.write('wrk.body = [==[%s]==]\n' % open(d + "/one.json").read())
PY
rps() { wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s -s "$TMP/one.lua" "$URL/v1/models/$P/predict" | awk '/^Requests\/sec:/ {print $2}'; }
IDLE=$(rps)
WIDE='{"name":"bench-wide","inputs":2,"layers":[{"units":64,"activation":"tanh"},{"units":64,"activation":"tanh"},{"units":1,"activation":"linear"}],"init":{"seed":3}}'
JOBS=()
for k in 1 2; do
    W=$(post /v1/models "$WIDE" | field '["id"]')
    post "/v1/models/$W/samples" "@$TMP/samples.csv" text/csv >/dev/null
    JOBS+=("$(post "/v1/models/$W/train" '{"epochs":10000,"learning_rate":0.01}' | field '["id"]')")
done
sleep 1
RUNNING=$(curl -s "$URL/metrics" | awk '/^mlpd_jobs\{status="running"\}/ {print $2}')
BUSY=$(rps)
STILL=$(curl -s "$URL/metrics" | awk '/^mlpd_jobs\{status="running"\}/ {print $2}')
for j in "${JOBS[@]}"; do curl -s -o /dev/null -X DELETE "$URL/v1/jobs/$j"; done
echo "wrk -t$THREADS -c$CONNS -d${SECS}s, $(nproc) cores"
echo "no job training:             $IDLE req/s"
echo "two jobs training:           $BUSY req/s  (jobs running before: $RUNNING, after: $STILL)"
python3 -c "print('ratio: %.2f' % ($BUSY / $IDLE))"
