#!/usr/bin/env bash
# crash_loop.sh - kill -9 at random moments (RELIABILITY.md D1, D2).
#
# Ingest: 50 times, start the daemon on the same database, post sample
# batches (8 samples each, marked with the round and a sequence number)
# from a client that records every batch answered 201, and kill -9 the
# daemon 20-300 ms into the posting. Training: 50 times, start the
# daemon, POST /v1/models/{id}/train (a few seconds of work, whether the
# daemon trains inside the request or as a background job), kill -9
# 20-500 ms later.
#
# After every kill, with the daemon down: PRAGMA integrity_check is "ok";
# every acknowledged batch is in the samples table and the model's sample
# count equals the rows stored; every stored weights blob matches its CRC
# column and its own trailing CRC-32 (no torn blob). After the restart:
# no job stays "running" (a job killed while running must be marked so at
# start; one that was only queued may run again, so the check waits for
# queued or running jobs to finish, 15 s at most); the current weights
# read back and predict gives finite numbers.
source "$(dirname "$0")/lib.bash"

python3 - "$MLPD_BIN" "$MLPD_DB" "$E2E_TMP" >"$E2E_TMP/crash.out" 2>&1 <<'PYEOF'
import json, os, random, signal, socket, sqlite3, struct, subprocess, sys, threading, time, urllib.request, zlib

binary, db, tmp = sys.argv[1:4]
ROUNDS = 50
rnd = random.Random(7)
log = open(os.path.join(tmp, "mlpd.log"), "ab")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def http(port, method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

def start():
    for _ in range(5):
        port = free_port()
        p = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--db", db],
                             stdout=log, stderr=log)
        t0 = time.time()
        while time.time() - t0 < 10 and p.poll() is None:
            try:
                if http(port, "GET", "/healthz", timeout=1)[0] == 200:
                    return p, port, time.time() - t0
            except OSError:
                time.sleep(0.02)
        p.kill(); p.wait()
    raise SystemExit("daemon does not start; see mlpd.log")

def kill9(p):
    os.kill(p.pid, signal.SIGKILL)
    p.wait()

problems = []
def check_db(what, acked=None, model=None):
    c = sqlite3.connect(db, timeout=10)
    try:
        ic = c.execute("PRAGMA integrity_check").fetchall()
        if ic != [("ok",)]:
            problems.append("%s: integrity_check %r" % (what, ic[:3]))
        for mid, ver, blob, crc in c.execute("SELECT model_id, version, blob, crc FROM versions"):
            blob = bytes(blob)
            whole_ok = zlib.crc32(blob) == (crc & 0xffffffff)
            # A job's versions carry its scalers and split after the core's
            # bytes (domain/prep.c): [net][record][u32 record length]["MLPDPRE1"].
            if len(blob) >= 12 and blob[-8:] == b"MLPDPRE1":
                rec = struct.unpack("<I", blob[-12:-8])[0]
                blob = blob[:len(blob) - 12 - rec] if rec <= len(blob) - 12 else b""
            if not whole_ok or len(blob) < 8 or \
               zlib.crc32(blob[:-4]) != struct.unpack("<I", blob[-4:])[0]:
                problems.append("%s: torn blob %s v%d" % (what, mid, ver))
        if model:
            present = set()
            rows = 0
            for n, x in c.execute("SELECT n, x FROM samples WHERE model_id = ?", (model,)):
                vals = struct.unpack("<%dd" % (2 * n), bytes(x))
                present.update((int(vals[2 * i]), int(vals[2 * i + 1])) for i in range(n))
                rows += n
            count = c.execute("SELECT samples FROM models WHERE id = ?", (model,)).fetchone()[0]
            if count != rows:
                problems.append("%s: models.samples %d but %d rows stored" % (what, count, rows))
            lost = [b for b in (acked or []) if not all((b[0], b[1] * 8 + j) in present for j in range(8))]
            if lost:
                problems.append("%s: %d acknowledged batches lost, e.g. %r" % (what, len(lost), lost[:3]))
            return rows
    finally:
        c.close()

def check_live(port, model, what):
    t0 = time.time()
    while True:
        st, jobs = http(port, "GET", "/v1/models/%s/jobs" % model)
        items = jobs.get("jobs", []) if isinstance(jobs, dict) else []
        active = [j for j in items if j.get("status") in ("running", "queued")]
        if not active:
            break
        if time.time() - t0 > 15:
            problems.append("%s: job(s) still %s 15 s after restart" % (
                what, ",".join(sorted({j["status"] for j in active}))))
            break
        time.sleep(0.1)
    st, w = http(port, "GET", "/v1/models/%s/weights" % model)
    if st != 200:
        problems.append("%s: GET weights %d %r" % (what, st, w))
    st, out = http(port, "POST", "/v1/models/%s/predict" % model, {"inputs": [[0.5, -1]]})
    if st != 200 or not all(isinstance(v, float) or isinstance(v, int) for row in out.get("outputs", []) for v in row):
        problems.append("%s: predict %d %r" % (what, st, out))
    return len([j for j in items])

# The model, created on a first start.
p, port, _ = start()
st, m = http(port, "POST", "/v1/models", {"name": "crash", "inputs": 2, "layers": [
    {"units": 3, "activation": "sigmoid"}, {"units": 1, "activation": "linear"}]})
assert st == 201, (st, m)
model = m["id"]
kill9(p)

# ---- ingest -------------------------------------------------------------
acked = []
restart_times = []
sent_total = 0
for rnd_no in range(ROUNDS):
    p, port, t_up = start()
    restart_times.append(t_up)
    stop = threading.Event()
    def poster(rnd_no=rnd_no):
        global sent_total
        seq = 0
        while not stop.is_set():
            body = {"samples": [{"x": [rnd_no, seq * 8 + j], "y": [0.5]} for j in range(8)]}
            try:
                st, _ = http(port, "POST", "/v1/models/%s/samples" % model, body, timeout=5)
                if st == 201:
                    acked.append((rnd_no, seq))
            except OSError:
                return  # killed under us: the answer never came
            sent_total += 1
            seq += 1
    t = threading.Thread(target=poster)
    t.start()
    time.sleep(rnd.uniform(0.02, 0.3))
    kill9(p)
    stop.set()
    t.join()
    check_db("ingest round %d" % rnd_no, acked, model)
rows = check_db("after ingest", acked, model)
print("figures: ingest: %d kill -9, %d batches sent, %d acknowledged, %d samples stored, "
      "0 lost: %s, integrity_check ok every time: %s" % (
      ROUNDS, sent_total, len(acked), rows, not any("lost" in x for x in problems),
      not any("integrity" in x for x in problems)))

# ---- training -----------------------------------------------------------
train_started = 0
train_answered = 0
jobs_seen = 0
for rnd_no in range(ROUNDS):
    p, port, t_up = start()
    restart_times.append(t_up)
    jobs_seen = check_live(port, model, "train round %d (after restart)" % rnd_no)
    def trainer():
        global train_started, train_answered
        try:
            train_started += 1
            st, j = http(port, "POST", "/v1/models/%s/train" % model,
                         {"epochs": 400, "learning_rate": 0.01, "batch_size": 1}, timeout=60)
            if st in (200, 202):
                train_answered += 1
            elif st != 409:
                problems.append("train round %d: POST train %d %r" % (rnd_no, st, j))
        except OSError:
            pass
    t = threading.Thread(target=trainer)
    t.start()
    time.sleep(rnd.uniform(0.02, 0.5))
    kill9(p)
    t.join()
    check_db("train round %d" % rnd_no, acked, model)
p, port, t_up = start()
restart_times.append(t_up)
jobs_seen = check_live(port, model, "after the training kills")
st, jobs = http(port, "GET", "/v1/models/%s/jobs" % model)
statuses = {}
epochs = sorted(j.get("epoch", 0) for j in jobs.get("jobs", []))
for j in jobs.get("jobs", []):
    statuses[j["status"]] = statuses.get(j["status"], 0) + 1
if epochs:
    print("figures: training: epoch stored for the killed jobs (progress written so far; 0 where "
          "the daemon writes it only when a job ends): min %d, median %d, max %d (of 400)" % (
          epochs[0], epochs[len(epochs) // 2], epochs[-1]))
kill9(p)
print("figures: training: %d kill -9 during POST /train (%d answered before the kill); jobs after "
      "restart by status: %s; none left running: %s" % (
      ROUNDS, train_answered, statuses, not any("still" in x for x in problems)))
print("figures: restart to first 200 on /healthz: median %.0f ms, worst %.0f ms over %d starts" % (
      1000 * sorted(restart_times)[len(restart_times) // 2], 1000 * max(restart_times), len(restart_times)))
for x in problems[:20]:
    print("  problem: " + x)
print("RESULT problems=%d" % len(problems))
PYEOF
rc=$?
cat "$E2E_TMP/crash.out"
[ $rc -eq 0 ] || { note_fail "crash loop ran (exit $rc)"; tail -5 "$E2E_TMP/mlpd.log"; }
n=$(sed -n 's/^RESULT problems=\([0-9]*\)/\1/p' "$E2E_TMP/crash.out")
if [ "${n:-1}" -eq 0 ]; then
    note_pass "100 kill -9 (50 in ingest, 50 in training): integrity ok, no acknowledged write lost, no torn blob, no job left running"
else
    note_fail "crash loop found ${n:-?} problems (see above)"
fi
finish
