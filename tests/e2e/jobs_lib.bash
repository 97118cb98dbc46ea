# tests/e2e/jobs_lib.bash - helpers for the jobs_*.sh tests (sourced after
# lib.bash; not a test itself).

# A wide model whose epochs take a few milliseconds: long jobs to watch.
WIDE_MODEL='{"name":"wide","inputs":2,"layers":[{"units":64,"activation":"tanh"},{"units":64,"activation":"tanh"},{"units":1,"activation":"linear"}],"init":{"method":"xavier","seed":3}}'

# samples_body N SEED [noise]: N samples of y = sin(x1) cos(x2) (or
# uniform noise targets with "noise"), as a JSON body.
samples_body() {
    python3 - "$1" "$2" "${3:-}" <<'PY'
import json, math, random, sys
n, seed, noise = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "noise"
r = random.Random(seed)
xs = [[r.uniform(-3, 3), r.uniform(-3, 3)] for _ in range(n)]
ys = [[r.uniform(-1, 1)] if noise else [math.sin(a) * math.cos(b)] for a, b in xs]
print(json.dumps({"inputs": xs, "targets": ys}))
PY
}

# add_samples ID N SEED [noise]
add_samples() {
    samples_body "$2" "$3" "${4:-}" >"$E2E_TMP/samples.json"
    req POST "/v1/models/$1/samples" "@$E2E_TMP/samples.json"
    [ "$STATUS" = 201 ] || { echo "e2e: samples failed: $STATUS $(body)" >&2; return 1; }
}

# job_field JOB EXPR: GET the job and print a python expression over j.
job_field() {
    req GET "/v1/jobs/$1"
    jget "$2"
}

# wait_job JOB EXPR [SECONDS]: poll the job until EXPR (python over j) is
# true; 0 when it became true, 1 at the bound (default 60 s).
wait_job() {
    local job=$1 expr=$2 bound=${3:-60} i
    for i in $(seq 1 $((bound * 20))); do
        req GET "/v1/jobs/$job"
        if python3 -c "import json,sys; j=json.load(open('$BODY_FILE')); sys.exit(0 if ($expr) else 1)" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# sql QUERY: run a query on the test database (python3's sqlite3), print rows.
sql() {
    python3 - "$MLPD_DB" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
c.close()
PY
}
