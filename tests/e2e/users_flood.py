"""users_flood.py URL FLOOD_TOKEN FLOOD_MODEL VICTIM_TOKEN VICTIM_MODEL [SECONDS]

One user floods predict from several processes (keep-alive connections,
as fast as they can) for SECONDS; meanwhile another user's predict
latency is sampled, and compared with the same sampling while idle.
Prints the medians and the flood's counts as JSON on the last line.
Bounded: the flood stops after SECONDS, every request has a 10 s timeout.
"""
import http.client
import json
import multiprocessing as mp
import statistics
import sys
import time
from urllib.parse import urlparse

URL, FT, FM, VT, VM = sys.argv[1:6]
SECONDS = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
U = urlparse(URL)
BODY = json.dumps({"inputs": [[0.5, -1.0]]})


def conn():
    return http.client.HTTPConnection(U.hostname, U.port, timeout=10)


def predict(c, token, model):
    c.request("POST", f"/v1/models/{model}/predict", BODY,
              {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    r = c.getresponse()
    r.read()
    return r.status


def sample(n, pause=0.03):
    """n sequential victim predicts: latencies in ms (all must be 200).
    The pause keeps the victim under the default 50 requests a second."""
    c = conn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        st = predict(c, VT, VM)
        out.append((time.perf_counter() - t) * 1000)
        if st != 200:
            raise SystemExit(f"victim got {st}")
        time.sleep(pause)
    c.close()
    return out


def flood(stop_at, q):
    counts = {}
    c = conn()
    while time.time() < stop_at:
        try:
            st = predict(c, FT, FM)
        except (OSError, http.client.HTTPException):
            c.close()
            c = conn()
            st = "error"
        counts[st] = counts.get(st, 0) + 1
    q.put(counts)


def main():
    sample(20)  # warm up the cache and the connection path
    idle = sample(120)
    q = mp.Queue()
    stop_at = time.time() + SECONDS
    procs = [mp.Process(target=flood, args=(stop_at, q)) for _ in range(3)]
    for p in procs:
        p.start()
    time.sleep(0.3)  # the flood is running
    flooded = []
    while time.time() < stop_at - 0.2 and len(flooded) < 120:
        flooded += sample(10)
    totals = {}
    for _ in procs:
        for k, v in q.get(timeout=30).items():
            totals[str(k)] = totals.get(str(k), 0) + v
    for p in procs:
        p.join(10)
    res = {"idle_median_ms": round(statistics.median(idle), 3),
           "flooded_median_ms": round(statistics.median(flooded), 3),
           "idle_n": len(idle), "flooded_n": len(flooded), "flood": totals}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
