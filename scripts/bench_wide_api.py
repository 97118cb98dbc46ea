#!/usr/bin/python3
"""bench_wide_api.py - `make bench-wide-api`: the wide job of issue 17
through the API, float64 against float32.

Two 784-256-10 models (sigmoid hidden, linear output, mse), dtype float64
and float32, the same 4096 rows (U[0,1) inputs rounded to 4 decimals,
targets from a fixed random teacher, posted in chunks under --max-body),
trained with the same job (3 epochs, mini-batch 256, lr 0.25, no shuffle)
through POST /train?wait=true, alternating, best of REPEATS wall times.
Prints the wall times, the jobs' own run times, both final losses, the
kernel the daemon runs and the load average. The daemon is stopped by PID.
"""
import http.client, json, math, os, random, signal, socket, subprocess, tempfile, time
from datetime import datetime

MLPD = os.environ.get("MLPD_BIN", "build/mlpd")
REPEATS = int(os.environ.get("REPEATS", "5"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def main():
    tmp = tempfile.mkdtemp(prefix="mlpd-wide.")
    port = free_port()
    log = open(os.path.join(tmp, "mlpd.log"), "w+")
    d = subprocess.Popen([MLPD, "--bind", "127.0.0.1", "--port", str(port), "--db",
                          os.path.join(tmp, "w.db"), "--max-epochs", "100"], stdout=log, stderr=log)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def req(method, path, body=None):
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Content-Type": "application/json"} if body is not None else {})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")

    try:
        for _ in range(200):
            try:
                if req("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                c.close()
            time.sleep(0.05)
        r = random.Random(7)
        teacher = [[r.gauss(0, 0.05) for _ in range(784)] for _ in range(10)]
        xs = [[round(r.random(), 4) for _ in range(784)] for _ in range(4096)]
        ys = [[sum(a * b for a, b in zip(w, x)) for w in teacher] for x in xs]
        ids = {}
        for dt in ("float64", "float32"):
            s, m = req("POST", "/v1/models", {
                "name": "wide-" + dt, "inputs": 784, "dtype": dt, "init": {"method": "xavier", "seed": 8},
                "layers": [{"units": 256, "activation": "sigmoid"}, {"units": 10, "activation": "linear"}]})
            assert s == 201, (s, m)
            ids[dt] = m["id"]
            for k in range(0, len(xs), 100):
                s, b = req("POST", f"/v1/models/{m['id']}/samples",
                           {"inputs": xs[k:k + 100], "targets": ys[k:k + 100]})
                assert s == 201, (s, b)
        params = {"epochs": 3, "batch_size": 256, "learning_rate": 0.25, "shuffle": False}
        best = {dt: (math.inf, math.inf, None) for dt in ids}
        for _ in range(REPEATS):
            for dt, mid in ids.items():
                t0 = time.monotonic()
                s, j = req("POST", f"/v1/models/{mid}/train?wait=true", params)
                wall = time.monotonic() - t0
                assert s == 200 and j["status"] == "succeeded", (s, j)
                own = ts(j["finished_at"]) - ts(j["started_at"])
                if wall < best[dt][0]:
                    best[dt] = (wall, own, j["loss"])
                # the next job starts from the same weights: restore version 1
                s, _ = req("POST", f"/v1/models/{mid}/versions/1/restore")
                assert s in (200, 201), s
        log.seek(0)
        blas = [l.strip() for l in log if l.startswith("mlpd: blas")]
        print("bench-wide-api: 784-256-10, 4096 rows, 3 epochs, mini-batch 256, through "
              "POST /train?wait=true, best of", REPEATS)
        print("  " + (blas[0] if blas else "mlpd: blas (no start-up line)"))
        for dt in ids:
            wall, own, loss = best[dt]
            print(f"  {dt}: {wall:.3f} s wall (the job itself {own:.3f} s), final loss {loss:.9g}")
        print(f"  float32 / float64: {best['float64'][0] / best['float32'][0]:.2f}x faster; "
              f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            d.wait(20)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait()
        log.close()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
