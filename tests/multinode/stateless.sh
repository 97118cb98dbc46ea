#!/usr/bin/env bash
# Stateless nodes (issue 16): three nodes behind nginx on one PostgreSQL
# database, --auth token, and what must hold whichever node answers:
#  - tokens: a user made with `mlpd user add` against the database while
#    the nodes run is let in by every node; a wrong token is refused by
#    every node; after `mlpd user token` the old token is refused by every
#    node and the new one let in;
#  - quotas are one count in the database: 3 models per user, made one on
#    each node, then a fourth refused on every node; 8 creations at once
#    spread over the nodes leave exactly 3 (another user);
#  - rate limits per client address behind nginx (--trust-proxy
#    127.0.0.1, X-Forwarded-For): one client guessing tokens through the
#    front is limited after one burst in all (each node keeps a third:
#    ratelimit_share with the nodes counted in the database), another
#    client through the same front is not; a peer that is not trusted
#    (127.0.0.2 straight to a node) cannot pick its address with
#    X-Forwarded-For;
#  - the request rate per user (--rate-limit, --rate-burst) is one burst
#    in all through the 3 nodes, and another user is not affected;
#  - cancel across nodes: a long job running on one node, cancelled with
#    DELETE /v1/jobs/{id} on another, ends cancelled within 2 s, and a
#    next job still runs (as the admin, exempt from the request rate).
# The rate bounds: at least half a burst (an `mlpd user` command that had
# just ended may still be counted as a node for 2 s), at most one burst
# and what refills meanwhile (3 nodes each with their own burst would let
# three through).
# Run by `make test-pg` (scripts/test-pg.sh --multi); it starts its own
# cluster (scripts/cluster.sh) and stops it.
set -u
cd "$(dirname "$0")/../.." || exit 2
MLPD_BIN=${MLPD_BIN:-build/mlpd}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-stateless.XXXXXX")
cleanup() { bash scripts/cluster.sh stop "$T/c" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT

ANON_BURST=6 RATE=3 BURST=30
FRONT=$(MLPD_BIN=$MLPD_BIN bash scripts/cluster.sh start "$T/c" --nodes 3 --workers 1 \
    -- --worker-nice 0 --auth token --quota-models 3 --rate-limit $RATE --rate-burst $BURST \
    --anon-rate-limit 1 --anon-burst $ANON_BURST --quota-running-jobs 4) ||
    { echo "cluster did not start"; exit 1; }
CI=$(cat "$T/c/conninfo")
user() { "$MLPD_BIN" --db "$CI" user "$@" | awk '{print $NF}'; }
TA=$(user add alice)
TB=$(user add bob)
TC=$(user add carol)
TT=$(user add teacher --admin)
[ -n "$TA" ] && [ -n "$TB" ] && [ -n "$TC" ] && [ -n "$TT" ] || { echo "user add failed"; exit 1; }

/usr/bin/python3 - "$FRONT" "$T/c" "$ANON_BURST" "$TA" "$TB" "$MLPD_BIN" "$CI" "$TC" "$TT" \
    "$RATE" "$BURST" <<'EOF'
import http.client, json, os, socket, subprocess, sys, threading, time
front, cdir, anon_burst, ta, tb, mlpd, ci, tc, tt, rate, burst = sys.argv[1:12]
anon_burst, rate, burst = int(anon_burst), int(rate), int(burst)
nodes = [int(open("%s/node.%d.port" % (cdir, k)).read()) for k in (1, 2, 3)]
fport = int(front.rsplit(":", 1)[1])
passed = failed = 0

def check(name, cond):
    global passed, failed
    if cond:
        passed += 1
        print("  ok    " + name)
    else:
        failed += 1
        print("  FAIL  " + name)

def call(port, method, path, body=None, token=None, headers=None, source=None):
    """(status, json body or None) of one request on a fresh connection."""
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20,
                                   source_address=(source, 0) if source else None)
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, None

MODEL = {"name": "m", "inputs": 2, "layers": [{"units": 4, "activation": "tanh"},
                                              {"units": 1, "activation": "linear"}]}

print("== tokens: every node reads them from the database")
for k, p in enumerate(nodes, 1):
    s, _ = call(p, "GET", "/v1/models", token=ta)
    check("node %d lets alice in (%d)" % (k, s), s == 200)
    s, _ = call(p, "GET", "/v1/models", token="mlpd_" + "0" * 40)
    check("node %d refuses a wrong token (%d)" % (k, s), s == 401)
new = subprocess.run([mlpd, "--db", ci, "user", "token", "bob"], capture_output=True,
                     text=True).stdout.split()[-1]
for k, p in enumerate(nodes, 1):
    s_old, _ = call(p, "GET", "/v1/models", token=tb)
    s_new, _ = call(p, "GET", "/v1/models", token=new)
    check("node %d after bob's new token: old %d, new %d" % (k, s_old, s_new),
          s_old == 401 and s_new == 200)
tb = new

print("== quotas: one count in the database (3 models per user)")
made = []
for k, p in enumerate(nodes, 1):
    s, j = call(p, "POST", "/v1/models", MODEL, token=ta)
    check("alice's model %d made on node %d (%d)" % (k, k, s), s == 201)
    if s == 201:
        made.append(j["id"])
for k, p in enumerate(nodes, 1):
    s, j = call(p, "POST", "/v1/models", MODEL, token=ta)
    code = (j or {}).get("error", {}).get("code")
    check("a fourth refused by node %d (%d %s)" % (k, s, code), s == 403 and code == "quota_exceeded")
s, j = call(fport, "GET", "/v1/models", token=ta)
check("alice has 3 models (%s)" % (len(j["models"]) if j else None), j and len(j["models"]) == 3)
# 8 at once, spread over the three nodes: the count is checked and the
# model made in one transaction, so no two nodes both see room for one.
res = []
def make(p):
    res.append(call(p, "POST", "/v1/models", MODEL, token=tb)[0])
ts = [threading.Thread(target=make, args=(nodes[i % 3],)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
s, j = call(fport, "GET", "/v1/models", token=tb)
n = len(j["models"]) if j else -1
check("8 concurrent creations for bob on 3 nodes: %d made, answers %s, bob has %d"
      % (res.count(201), sorted(res), n), res.count(201) == 3 and n == 3
      and res.count(403) == 5)
bob_model = j["models"][0]["id"] if n > 0 else None

print("== rate limits per client address behind nginx")
def guesses(port, n, xff=None, source=None):
    """Statuses of n requests with a wrong token (they cost the address)."""
    out = []
    for i in range(n):
        h = {"X-Forwarded-For": xff} if xff else {}
        out.append(call(port, "GET", "/v1/models", token="mlpd_bad%d" % i, headers=h,
                        source=source)[0])
    return out
t0 = time.monotonic()
a = guesses(fport, 30, xff="198.51.100.7")
secs = time.monotonic() - t0
# one burst in all (a third on each node), plus what refills meanwhile
# (1/s in all); nginx goes round the nodes, so each gets a third
most = anon_burst + int(secs) + 1
n401 = a.count(401)
check("client A through nginx: limited after %d refusals in %.1f s (401s between %d and %d, "
      "rest 429: %s)" % (n401, secs, anon_burst // 2, most, sorted(set(a))),
      anon_burst // 2 <= n401 <= most and a.count(429) == 30 - n401)
b = guesses(fport, 3, xff="198.51.100.8")
check("client B through the same nginx is not limited by A (%s)" % b, b == [401, 401, 401])
s, j = call(fport, "GET", "/v1/models", token=ta, headers={"X-Forwarded-For": "198.51.100.7"})
check("a valid token from A's address is let in (%d)" % s, s == 200)
# 127.0.0.2 is not trusted: its X-Forwarded-For is ignored, every guess
# costs 127.0.0.2 whatever address it names.
d = []
t0 = time.monotonic()
for i in range(3 * anon_burst):
    d += guesses(nodes[0], 1, xff="203.0.113.%d" % i, source="127.0.0.2")
most = anon_burst // 3 + int(time.monotonic() - t0) + 1
check("an untrusted peer cannot pick its address: %d of %d let through before 429 (at most %d)"
      % (d.count(401), len(d), most), d.count(401) <= most and d.count(429) >= 1)

print("== the request rate of a user, through nginx to 3 nodes")
t0 = time.monotonic()
u = [call(fport, "GET", "/v1/me", token=tc)[0] for i in range(2 * burst)]
secs = time.monotonic() - t0
most = burst + int(rate * secs) + 1
check("carol: %d of %d let through in %.1f s before 429 (between %d and %d: one burst in all)"
      % (u.count(200), len(u), secs, burst // 2, most),
      burst // 2 <= u.count(200) <= most and u.count(429) == len(u) - u.count(200))
s, _ = call(fport, "GET", "/v1/me", token=ta)
check("alice is not limited by carol (%d)" % s, s == 200)

print("== cancel on one node stops a job running on another (as the admin)")
# alice's first model, samples enough for a long job
mid = made[0]
xs = [[(i % 7) / 7.0, (i % 5) / 5.0] for i in range(4096)]
ys = [[x[0] * x[1]] for x in xs]
s, _ = call(fport, "POST", "/v1/models/%s/samples" % mid, {"inputs": xs, "targets": ys}, token=tt)
check("4096 samples posted (%d)" % s, s == 201)
s, job = call(fport, "POST", "/v1/models/%s/train" % mid, {"epochs": 10000}, token=tt)
check("a train of 10000 epochs queued (%d)" % s, s in (201, 202))
jid = job["id"]
runner = None
t0 = time.monotonic()
while runner is None and time.monotonic() - t0 < 10:
    for k, p in enumerate(nodes):
        s, j = call(p, "GET", "/v1/jobs/" + jid, token=tt)
        # only the node whose worker runs it knows the live estimate
        if s == 200 and j["status"] == "running" and j.get("eta_seconds") is not None:
            runner = k
    time.sleep(0.05)
check("the job runs on node %s" % (runner + 1 if runner is not None else None), runner is not None)
if runner is not None:
    other = (runner + 1) % 3
    t1 = time.monotonic()
    s, j = call(nodes[other], "DELETE", "/v1/jobs/" + jid, token=tt)
    ms = int((time.monotonic() - t1) * 1000)
    st = (j or {}).get("status") or json.dumps(j)[:160]
    check("cancel on node %d answers %d %s in %d ms" % (other + 1, s, st, ms),
          s == 200 and st == "cancelled" and ms < 2000)
    s, j = call(nodes[runner], "GET", "/v1/jobs/" + jid, token=tt)
    check("node %d says cancelled (%s, stop_reason %s, epoch %s of 10000)"
          % (runner + 1, j.get("status"), j.get("stop_reason"), j.get("epoch")),
          j.get("status") == "cancelled" and j.get("stop_reason") == "cancelled"
          and j.get("epoch", 10000) < 10000)
    # the runner's worker is free: a short job on another model of alice ends
    s, _ = call(fport, "POST", "/v1/models/%s/samples" % made[1],
                {"inputs": xs[:8], "targets": ys[:8]}, token=tt)
    s, j2 = call(fport, "POST", "/v1/models/%s/train" % made[1], {"epochs": 3}, token=tt)
    end = None
    t2 = time.monotonic()
    while time.monotonic() - t2 < 10:
        s, j = call(fport, "GET", "/v1/jobs/" + j2["id"], token=tt)
        if j and j["status"] in ("succeeded", "failed", "cancelled"):
            end = j["status"]
            break
        time.sleep(0.05)
    check("a next job still runs (%s)" % end, end == "succeeded")
    # a job already ended: 409 on every node
    for k, p in enumerate(nodes, 1):
        s, j = call(p, "DELETE", "/v1/jobs/" + jid, token=tt)
        check("cancelling the ended job on node %d: %d" % (k, s), s == 409)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
