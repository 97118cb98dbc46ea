#!/usr/bin/python3
"""bench_class.py - a class-sized load on one mlpd (issue 17), driven by
scripts/bench-class.sh.

For each worker count W: a fresh daemon (--auth token, --workers W), a
teacher whose public model (64-32-10) answers predicts, and STUDENTS users,
each with the lecture's 2-3-1 network and the same 1000 samples. One job
alone, through the API, gives t1 (best of 5, wall time of ?wait=true). Then
every student submits one job at the same moment (threads released by a
barrier) while PREDICT_CLIENTS keep-alive clients send 1-row predicts, each
at PREDICT_RATE per second; the queue drains when the last job ends.

Reports per W: drain time against the ideal (jobs x t1 / W), the order in
which jobs started against the order they were created (inversions between
jobs created and started more than 5 ms apart), predict latency p50/p99/max and rate
during the drain, and the load average. Every daemon is stopped by PID;
every wait is bounded.
"""
import http.client, json, math, os, random, signal, socket, subprocess, sys, tempfile
import threading, time
from datetime import datetime

MLPD = os.environ.get("MLPD_BIN", "build/mlpd")
# "W" or "W:N": W workers (--workers), at nice N (--worker-nice, default 0)
WORKERS = [tuple(int(v) for v in (w + ":0").split(":")[:2])
           for w in os.environ.get("WORKERS", "1 2 3").split()]
STUDENTS = int(os.environ.get("STUDENTS", "30"))
EPOCHS = int(os.environ.get("EPOCHS", "4000"))
CLIENTS = int(os.environ.get("PREDICT_CLIENTS", "4"))
RATE = float(os.environ.get("PREDICT_RATE", "50"))  # per client
BOUND = float(os.environ.get("DRAIN_BOUND_SECONDS", "300"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def req(self, method, path, body=None):
        h = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.c.request(method, path, data, h)
                r = self.c.getresponse()
                return r.status, json.loads(r.read() or b"null")
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def lecture_samples():
    r = random.Random(1)
    xs = [[r.uniform(-2, 2), r.uniform(-2, 2)] for _ in range(1000)]
    return {"inputs": xs, "targets": [[math.sin(a) * math.cos(b)] for a, b in xs]}


def predict_load(port, token, model, stop, lat, counts, k):
    c = Client(port, token)
    row = {"inputs": [[(i % 7) / 7.0 for i in range(64)]]}
    period, nxt = 1.0 / RATE, time.monotonic()
    while not stop.is_set():
        t = time.monotonic()
        s, _ = c.req("POST", f"/v1/models/{model}/predict", row)
        lat.append((t, time.monotonic() - t, s))
        nxt += period
        d = nxt - time.monotonic()
        if d > 0:
            stop.wait(d)
        else:
            nxt = time.monotonic()  # behind: no burst to catch up


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(math.ceil(p / 100.0 * len(v))) - 1)] if v else float("nan")


def run(config):
    workers, nice = config
    tmp = tempfile.mkdtemp(prefix="mlpd-class.")
    db = os.path.join(tmp, "class.db")

    def user(name, admin=False):
        out = subprocess.run([MLPD, "--db", db, "user", "add", name] + (["--admin"] if admin else []),
                             check=True, capture_output=True, text=True).stdout
        return out.split()[-1]

    teacher = user("teacher", True)
    students = [user(f"s{i:02d}") for i in range(STUDENTS)]
    port = free_port()
    log = open(os.path.join(tmp, "mlpd.log"), "w")
    d = subprocess.Popen([MLPD, "--bind", "127.0.0.1", "--port", str(port), "--db", db,
                          "--auth", "token", "--workers", str(workers), "--worker-nice", str(nice),
                          "--rate-limit", "0",
                          "--quota-train-seconds-day", "0"], stdout=log, stderr=log)
    try:
        for _ in range(200):
            try:
                if Client(port, teacher).req("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        t = Client(port, teacher)
        s, m = t.req("POST", "/v1/models", {
            "name": "digits", "inputs": 64, "public_predict": True,
            "layers": [{"units": 32, "activation": "sigmoid"}, {"units": 10, "activation": "linear"}]})
        assert s == 201, (s, m)
        public = m["id"]
        samples = lecture_samples()
        cs, models = [], []
        for tok in students:
            c = Client(port, tok)
            s, m = c.req("POST", "/v1/models", {
                "name": "lecture", "inputs": 2, "init": {"method": "xavier", "seed": 42},
                "layers": [{"units": 3, "activation": "logsig"}, {"units": 1, "activation": "purelin"}]})
            assert s == 201, (s, m)
            s, _ = c.req("POST", f"/v1/models/{m['id']}/samples", samples)
            assert s == 201
            cs.append(c)
            models.append(m["id"])
        params = {"epochs": EPOCHS, "learning_rate": 0.1, "seed": 1}
        t1 = float("inf")
        for _ in range(5):
            t0 = time.monotonic()
            s, j = cs[0].req("POST", f"/v1/models/{models[0]}/train?wait=true", params)
            assert s == 200 and j["status"] == "succeeded", (s, j)
            t1 = min(t1, time.monotonic() - t0)

        stop, lat, counts = threading.Event(), [], []
        loaders = [threading.Thread(target=predict_load, args=(port, teacher, public, stop, lat, counts, k))
                   for k in range(CLIENTS)]
        for th in loaders:
            th.start()
        time.sleep(2.0)  # predicts alone first: the baseline
        barrier = threading.Barrier(STUDENTS)
        jobs = [None] * STUDENTS

        def submit(i):
            barrier.wait()
            s, j = cs[i].req("POST", f"/v1/models/{models[i]}/train", params)
            jobs[i] = j["id"] if s == 202 else None

        subs = [threading.Thread(target=submit, args=(i,)) for i in range(STUDENTS)]
        start = time.monotonic()
        for th in subs:
            th.start()
        for th in subs:
            th.join()
        final = {}
        poll = Client(port, teacher)
        while len(final) < STUDENTS and time.monotonic() - start < BOUND:
            for i, jid in enumerate(jobs):
                if jid and i not in final:
                    s, j = poll.req("GET", f"/v1/jobs/{jid}")
                    if j["status"] in ("succeeded", "failed", "cancelled"):
                        final[i] = j
            time.sleep(0.05)
        end = time.monotonic()
        stop.set()
        for th in loaders:
            th.join()
        la = open("/proc/loadavg").read().split()[:3]
        ok = [j for j in final.values() if j["status"] == "succeeded"]
        created = [ts(j["created_at"]) for j in ok]
        first = min(created)
        drain = max(ts(j["finished_at"]) for j in ok) - first
        ideal = len(jobs) * t1 / workers
        order = sorted(ok, key=lambda j: ts(j["started_at"]))
        inv = sum(1 for a in range(len(order)) for b in range(a + 1, len(order))
                  if ts(order[a]["created_at"]) - ts(order[b]["created_at"]) > 0.005
                  and ts(order[b]["started_at"]) - ts(order[a]["started_at"]) > 0.005)
        wait = [ts(j["started_at"]) - ts(j["created_at"]) for j in ok]
        run_s = sorted(ts(j["finished_at"]) - ts(j["started_at"]) for j in ok)
        during = [l for (t, l, s) in lat if start <= t <= end]
        alone = [l for (t, l, s) in lat if t < start - 0.2]
        bad = sum(1 for (t, l, s) in lat if s != 200)
        return {
            "workers": workers, "nice": nice, "t1": t1, "jobs": len(jobs), "succeeded": len(ok),
            "drain": drain, "ideal": ideal, "ratio": drain / ideal, "inversions": inv,
            "max_wait": max(wait), "job_median": run_s[len(run_s) // 2], "p50": pct(during, 50) * 1e3, "p99": pct(during, 99) * 1e3,
            "max": max(during) * 1e3 if during else float("nan"),
            "p99_alone": pct(alone, 99) * 1e3,
            "predicts": len(during), "rate": len(during) / (end - start), "errors": bad,
            "load": " ".join(la)}
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            d.wait(20)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait()
        log.close()
        subprocess.run(["rm", "-rf", tmp])


def main():
    print(f"bench-class: {STUDENTS} students each submit one job at once (lecture 2-3-1, 1000 "
          f"samples, {EPOCHS} epochs online) while {CLIENTS} clients send 1-row predicts to a "
          f"public 64-32-10 model at {RATE:g}/s each; load average at start "
          + " ".join(open("/proc/loadavg").read().split()[:3]))
    rows = [run(w) for w in WORKERS]
    print(f"\n{'workers':>7} {'nice':>4} {'t1 s':>6} {'jobs ok':>7} {'drain s':>7} {'ideal s':>7} {'ratio':>6} "
          f"{'job s':>6} {'start inv':>9} {'max wait s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'p99 idle':>8} {'pred/s':>7} "
          f"{'errors':>6}  load avg")
    for r in rows:
        print(f"{r['workers']:7d} {r['nice']:4d} {r['t1']:6.3f} {r['succeeded']:3d}/{r['jobs']:<3d} {r['drain']:7.2f} "
              f"{r['ideal']:7.2f} {r['ratio']:5.2f}x {r['job_median']:6.3f} {r['inversions']:9d} {r['max_wait']:10.2f} "
              f"{r['p50']:7.2f} {r['p99']:7.2f} {r['max']:7.2f} {r['p99_alone']:8.2f} {r['rate']:7.1f} {r['errors']:6d}  {r['load']}")
    print("(ratio: drain / (jobs x t1 / workers), the bar is 1.2; job s: median run time of a job\n"
          " in the drain; start inv: pairs of jobs that started in the opposite order of their\n"
          " creation, both more than 5 ms apart; p99: predict latency during the drain, the bar is\n"
          " 20 ms; p99 idle: the same before the jobs were submitted)")
    json.dump(rows, open(os.environ.get("RESULT_JSON", "/dev/null"), "w"))


if __name__ == "__main__":
    main()
