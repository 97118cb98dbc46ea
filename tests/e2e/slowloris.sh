#!/usr/bin/env bash
# slowloris.sh - slow clients (RELIABILITY.md H2-H4) against the daemon
# with its default limits (idle timeout 10 s, 64 connections per address,
# 1000 in all): from 127.0.0.1, 300 connections trickle request headers
# and 100 trickle a body, one byte per second each (faster than the idle
# timeout, so only the per-address limit stops them), reconnecting
# whenever the daemon drops them. Meanwhile a client bound to 127.0.0.2
# sends a request every 0.1 s, each on a new connection.
#
# Pass: every request of the other client answered 200 within 1 s; the
# attacker never holds more than the per-address limit (daemon fds); the
# daemon is alive and serves 127.0.0.1 again once the attack stops.
source "$(dirname "$0")/lib.bash"

start_daemon
MODEL=$(create_model) || exit 1
PID=$MLPD_PID

python3 - "$MLPD_PORT" "$PID" "$MODEL" >"$E2E_TMP/slow.out" <<'PYEOF'
import os, socket, sys, threading, time

port, pid, model = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ATTACK_SECONDS, HEADER_CONNS, BODY_CONNS = 20, 300, 100
PER_IP_LIMIT = 64  # the daemon's default --per-ip-conns

def fds():
    return len(os.listdir("/proc/%d/fd" % pid))

base_fds = fds()
stop = threading.Event()
stats = {"opened": 0, "dropped": 0, "max_fds": 0}
lock = threading.Lock()

def opener(i):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    if i < HEADER_CONNS:
        s.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
    else:
        s.send(b"POST /v1/models/%s/samples HTTP/1.1\r\nHost: t\r\n"
               b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n" % model.encode())
    s.setblocking(False)
    return s

def attacker():
    socks = [None] * (HEADER_CONNS + BODY_CONNS)
    while not stop.is_set():
        t = time.time()
        for i in range(len(socks)):
            if stop.is_set():
                break
            try:
                if socks[i] is None:
                    socks[i] = opener(i)
                    with lock: stats["opened"] += 1
                else:
                    socks[i].send(b"a" if i < HEADER_CONNS else b" ")
                    # a dropped connection shows as readable EOF / reset
                    try:
                        if socks[i].recv(4096) == b"":
                            raise ConnectionResetError
                    except BlockingIOError:
                        pass
            except (OSError, ConnectionError):
                if socks[i] is not None:
                    socks[i].close()
                    with lock: stats["dropped"] += 1
                socks[i] = None
        with lock:
            stats["max_fds"] = max(stats["max_fds"], fds())
        time.sleep(max(0.0, 1.0 - (time.time() - t)))
    for s in socks:
        if s is not None:
            s.close()

lat = []
fails = []
def legit():
    i = 0
    while not stop.is_set():
        i += 1
        if i % 2:
            req = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        else:
            body = b'{"inputs":[[0.5,-1]]}'
            req = (b"POST /v1/models/%s/predict HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (model.encode(), len(body)) + body)
        t0 = time.time()
        try:
            s = socket.socket()
            s.settimeout(5)
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", port))
            s.sendall(req)
            data = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
            s.close()
            dt = time.time() - t0
            lat.append(dt)
            if not data.startswith(b"HTTP/1.1 200 ") or dt > 1.0:
                fails.append("%.3f s %r" % (dt, data[:40]))
        except OSError as e:
            fails.append("%.3f s %r" % (time.time() - t0, e))
        time.sleep(0.1)

a = threading.Thread(target=attacker)
a.start()
time.sleep(3)  # let the attack take hold
l = threading.Thread(target=legit)
l.start()
time.sleep(ATTACK_SECONDS)
stop.set()
l.join()
a.join()
lat.sort()
held = stats["max_fds"] - base_fds
print("figures: attack %d s: %d trickling connections wanted, %d opened, %d dropped by the daemon" % (
    ATTACK_SECONDS + 3, HEADER_CONNS + BODY_CONNS, stats["opened"], stats["dropped"]))
print("figures: daemon fds at most %d (baseline %d): the attacker held at most %d (per-address limit %d)" % (
    stats["max_fds"], base_fds, held, PER_IP_LIMIT))
print("figures: client on 127.0.0.2: %d requests, %d failed or over 1 s; latency median %.1f ms, worst %.1f ms" % (
    len(lat) + sum(1 for f in fails if "Error" in f or "timed out" in f), len(fails),
    1000 * lat[len(lat) // 2] if lat else -1, 1000 * lat[-1] if lat else -1))
for f in fails[:10]:
    print("  failed: " + f)
print("RESULT n=%d fails=%d held=%d" % (len(lat), len(fails), held))
PYEOF
rc=$?
cat "$E2E_TMP/slow.out"
[ $rc -eq 0 ] || note_fail "slow-client script ran (exit $rc)"
read -r n fails held < <(sed -n 's/^RESULT n=\([0-9]*\) fails=\([0-9]*\) held=\([-0-9]*\)/\1 \2 \3/p' "$E2E_TMP/slow.out")
if [ "${n:-0}" -ge 50 ] && [ "${fails:-1}" -eq 0 ]; then
    note_pass "client on 127.0.0.2 got all ${n} requests answered 200 within 1 s during the attack"
else
    note_fail "client on 127.0.0.2: ${fails:-?} of ${n:-?} requests failed or took over 1 s"
fi
# The attacker's connections, plus a few that the daemon has accepted and
# is about to drop, plus the client's one.
if [ "${held:-999}" -le $((64 + 8)) ]; then note_pass "attacker held <= per-address limit (+8): $held"; else note_fail "attacker held $held connections"; fi
if kill -0 "$PID" 2>/dev/null; then note_pass "daemon alive"; else note_fail "daemon alive"; fi
req GET /healthz
check_status "127.0.0.1 served again after the attack" 200
finish
