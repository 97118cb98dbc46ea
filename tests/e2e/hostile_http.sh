#!/usr/bin/env bash
# hostile_http.sh - 10,000 hostile HTTP requests (after 3,000 of warm-up) of ~30 kinds from 16
# client threads (RELIABILITY.md H1, H5-H7): malformed request lines, bad
# methods and versions, huge and duplicate headers, lying, negative and
# duplicate Content-Length, Content-Length with Transfer-Encoding, chunked
# and truncated bodies, bad JSON, deep nesting, NaN/Inf/1e999, wrong types,
# huge numbers, path traversal, bad UTF-8, bad queries, wrong media types.
#
# Pass: every request is answered 4xx or the connection is closed; no 5xx
# (except 505, which libmicrohttpd 0.9.75 itself sends for an unsupported
# HTTP major version before mlpd sees the request, counted apart and only
# accepted for the bad-version kind); no client timeouts; the daemon is
# alive and answers afterwards; VmRSS after the 10,000 is within 5% of
# VmRSS after the warm-up; open fds back to the baseline (+-2).
source "$(dirname "$0")/lib.bash"

start_daemon --conn-timeout 2
MODEL=$(create_model) || exit 1
PID=$MLPD_PID

python3 - "$MLPD_PORT" "$PID" "$MODEL" >"$E2E_TMP/hostile.out" <<'PYEOF'
import json, os, random, socket, sys, threading, time

port, pid, model = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
TOTAL, THREADS, WARMUP = 10000, 16, 3000
CLIENT_TIMEOUT = 10.0  # the daemon's idle timeout is 2 s

def rss_kb():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1

def fds():
    return len(os.listdir("/proc/%d/fd" % pid))

J = b"Content-Type: application/json\r\n"
M = model.encode()

def post(path, body, ctype=J, extra=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: t\r\n" + ctype + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)

def rand_bytes(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))

def nest(r):
    d = r.randint(9, 20000)
    o, c = r.choice([(b"[", b"]"), (b'{"a":', b"}")])
    return o * d + b"1" + c * d

BAD_NUMBERS = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1e308e1", b"0x10",
               b"01", b"1.", b".5", b"+1", b"--1", b"1e", b"9" * 400]

# Each kind: (name, generator(r) -> (raw bytes, shut_write)). shut_write
# closes our sending side after the bytes (a client that goes away).
def k_junk_line(r): return rand_bytes(r, r.randint(1, 300)) + b"\r\n\r\n", False
def k_bad_line(r):
    return r.choice([b"GET\r\n\r\n", b" / HTTP/1.1\r\n\r\n", b"GET  /healthz  HTTP/1.1\r\nHost: t\r\n\r\n",
                     b"GET /healthz HTTP/1.1 extra\r\nHost: t\r\n\r\n", b"/healthz\r\n\r\n",
                     b"GET\t/healthz\tHTTP/1.1\r\nHost: t\r\n\r\n", b"\r\n\r\n\r\n"]), False
def k_bad_method(r):
    m = r.choice([b"BREW", b"get", b"PATCH", b"TRACE", b"OPTIONSX", b"G\x01T", b"DELETE" * 50,
                  rand_bytes(r, 8).replace(b" ", b"_").replace(b"\r", b"_").replace(b"\n", b"_")])
    return m + b" /v1/models/" + M + b" HTTP/1.1\r\nHost: t\r\n\r\n", False
def k_bad_version(r):
    v = r.choice([b"HTTP/2.0", b"HTTP/9.9", b"HTTP/0.9", b"HTTP/1.x", b"HTTPS/1.1", b"HTTP/1", b"http/1.1",
                  b"HTTP/1.1.1"])
    return b"GET /healthz " + v + b"\r\nHost: t\r\n\r\n", False
def k_huge_header(r):
    return b"GET /v1/models HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * r.randint(33000, 60000) + b"\r\n\r\n", False
def k_many_headers(r):
    n = r.randint(1000, 3000)
    return b"GET /v1/models HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(n)) + b"\r\n", False
def k_huge_url(r):
    return b"GET /v1/models/" + b"a" * r.randint(33000, 60000) + b" HTTP/1.1\r\nHost: t\r\n\r\n", False
def k_dup_cl(r):
    return (b"POST /v1/models HTTP/1.1\r\nHost: t\r\n" + J + b"Content-Length: 2\r\nContent-Length: %d\r\n\r\n{}"
            % r.randint(3, 99)), False
def k_bad_cl(r):
    v = r.choice([b"-1", b"+2", b"2 2", b"0x2", b"abc", b"", b"18446744073709551617", b"2,3", b"1e3"])
    return b"POST /v1/models HTTP/1.1\r\nHost: t\r\n" + J + b"Content-Length: " + v + b"\r\n\r\n{}", False
def k_cl_te(r):
    return (b"POST /v1/models HTTP/1.1\r\nHost: t\r\n" + J + b"Content-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), False
def k_chunked(r):
    size = r.choice([b"2", b"zz", b"-1", b"ffffffffffffffffff", b"2;ext=1"])
    return (b"POST /v1/models/" + M + b"/samples HTTP/1.1\r\nHost: t\r\n" + J +
            b"Transfer-Encoding: " + r.choice([b"chunked", b"gzip, chunked", b"identity", b"chunked, chunked"]) +
            b"\r\n\r\n" + size + b"\r\n{}\r\n0\r\n\r\n"), False
def k_lying_cl(r):
    body = b'{"inputs":[[1,2]]}'
    raw = post(b"/v1/models/" + M + b"/predict", body)
    return raw.replace(b"Content-Length: %d" % len(body), b"Content-Length: %d" % (len(body) + r.randint(1, 5000))), True
def k_truncated(r):
    body = b'{"samples":[{"x":[1,2],"y":[3]}]}'
    raw = post(b"/v1/models/" + M + b"/samples", body)
    return raw[:len(raw) - r.randint(1, len(body) - 1)], True
def k_too_large(r):
    return (b"POST /v1/models/" + M + b"/samples HTTP/1.1\r\nHost: t\r\n" + J +
            b"Content-Length: %d\r\n\r\n" % r.randint(1048577, 1 << 40)), False
def k_bad_json(r):
    good = b'{"inputs":[[0.5,-1]]}'
    b = bytearray(good)
    for _ in range(r.randint(1, 4)):
        op = r.randint(0, 2)
        i = r.randrange(len(b))
        if op == 0: b[i] = r.getrandbits(8)
        elif op == 1: del b[i]
        else: b.insert(i, r.choice(b'{}[],:"\\ 0e-'))
    if bytes(b) == good: b += b"]"
    body = bytes(b)
    try:  # a mutation that is still a valid predict body would rightly get 200
        j = json.loads(body)
        if isinstance(j, dict) and list(j) == ["inputs"]: body += b"x"
    except Exception:
        pass
    return post(b"/v1/models/" + M + b"/predict", body), False
def k_deep(r):
    return post(b"/v1/models/" + M + b"/predict", b'{"inputs":' + nest(r) + b"}"), False
def k_nonfinite(r):
    n = r.choice(BAD_NUMBERS)
    path, body = r.choice([
        (b"/predict", b'{"inputs":[[%s,1]]}' % n),
        (b"/samples", b'{"inputs":[[1,%s]],"targets":[[1]]}' % n),
        (b"/step", b'{"x":[1,1],"y":[%s],"learning_rate":0.1}' % n),
        (b"/train", b'{"epochs":2,"learning_rate":%s}' % n),
        (b"/weights", b'{"layers":[{"weights":[[%s,1],[1,1],[1,1]],"biases":[0,0,0]},{"weights":[[1,1,1]],"biases":[0]}]}' % n),
    ])
    return post(b"/v1/models/" + M + path, body, extra=b"" if path != b"/weights" else b"")\
        .replace(b"POST /v1/models/" + M + b"/weights", b"PUT /v1/models/" + M + b"/weights"), False
def k_wrong_types(r):
    path, body = r.choice([
        (b"/v1/models", b'{"name":1,"inputs":2,"layers":[{"units":1,"activation":"linear"}]}'),
        (b"/v1/models", b'{"name":"a","inputs":"2","layers":[{"units":1,"activation":"linear"}]}'),
        (b"/v1/models", b'{"name":"a","inputs":2,"layers":{"units":1}}'),
        (b"/v1/models", b'{"name":"a","inputs":2.5,"layers":[{"units":1,"activation":"linear"}]}'),
        (b"/v1/models", b'{"name":"a","inputs":2,"layers":[{"units":1,"activation":"linear"}],"Name":"b"}'),
        (b"/v1/models", b'{"name":"a","name":"b","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'),
        (b"/v1/models/" + M + b"/predict", b'{"inputs":"1,2"}'),
        (b"/v1/models/" + M + b"/predict", b'{"inputs":[["1","2"]]}'),
        (b"/v1/models/" + M + b"/predict", b'{"inputs":[[true,null]]}'),
        (b"/v1/models/" + M + b"/predict", b'[1,2]'),
        (b"/v1/models/" + M + b"/predict", b'"x"'),
        (b"/v1/models/" + M + b"/samples", b'{"samples":[{"x":[1,2],"y":"3"}]}'),
        (b"/v1/models/" + M + b"/train", b'{"epochs":"10"}'),
        (b"/v1/models/" + M + b"/train", b'{"shuffle":1}'),
        (b"/v1/models/" + M + b"/step", b'{"x":[1],"y":[1],"learning_rate":0.1}'),
    ])
    return post(path, body), False
def k_huge_numbers(r):
    n = r.choice([b"1e308", b"4294967297", b"18446744073709551616", b"9007199254740993", b"-1", b"0", b"1e30"])
    path, body = r.choice([
        (b"/v1/models", b'{"name":"a","inputs":%s,"layers":[{"units":1,"activation":"linear"}]}' % n),
        (b"/v1/models", b'{"name":"a","inputs":2,"layers":[{"units":%s,"activation":"linear"}]}' % n),
        (b"/v1/models/" + M + b"/train", b'{"epochs":%s,"batch_size":%s}' % (n, n)),
    ])
    return post(path, body), False
def k_traversal(r):
    p = r.choice([b"/../../etc/passwd", b"/v1/models/..%2f..%2fetc%2fpasswd", b"/v1/models/%2e%2e/%2e%2e",
                  b"//v1//models", b"/v1/models/%00", b"/v1/models/" + M + b"/../" + M, b"/v1/models/" + M + b"%00",
                  b"/v1/./models", b"/V1/MODELS", b"/v1/models/" + M + b"/weights/../../..", b"/%ff%fe",
                  b"/v1/models/\xff\xfe", b"/v1/models/" + M + b"/" * 50, b"/v1/jobs/" + b"f" * 100])
    return b"GET " + p + b" HTTP/1.1\r\nHost: t\r\n\r\n", False
def k_bad_utf8(r):
    s = r.choice([b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xed\xa0\x80", b"\xc0\xaf",
                  b"\xf8\xa1\xa1\xa1\xa1", b"\\ud800", b"\\u0000", b"\x00"])
    return post(b"/v1/models", b'{"name":"' + s + b'","inputs":2,"layers":[{"units":1,"activation":"linear"}]}'), False
def k_ctl_headers(r):
    h = r.choice([b"X\x01A: v", b"X-A: a\x01b", b"X-A: a\x7fb", b"X A: v", b"X-A\x00: v",
                  b"Host: a\r\nHost: b", b"X-\xff: v"])
    return b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + h + b"\r\n\r\n" if not h.startswith(b"Host") \
        else b"GET /healthz HTTP/1.1\r\n" + h + b"\r\n\r\n", False
def k_no_host(r):
    return b"GET /v1/models HTTP/1.1\r\n\r\n", False
def k_media_type(r):
    ct = r.choice([b"", b"Content-Type: text/plain\r\n", b"Content-Type: application/jsonx\r\n",
                   b"Content-Type: application/x-www-form-urlencoded\r\n", b"Content-Type: multipart/form-data; boundary=x\r\n"])
    return post(b"/v1/models/" + M + b"/predict", b'{"inputs":[[1,2]]}', ctype=ct), False
def k_bad_query(r):
    q = r.choice([b"?version=0", b"?version=-1", b"?version=abc", b"?version=99999999999999999999999",
                  b"?version=1.5", b"?version=1e3", b"?version=999999"])
    p = r.choice([b"/weights", b"/predict"])
    if p == b"/weights":
        return b"GET /v1/models/" + M + b"/weights" + q + b" HTTP/1.1\r\nHost: t\r\n\r\n", False
    return post(b"/v1/models/" + M + b"/predict" + q, b'{"inputs":[[1,2]]}'), False
def k_paging(r):
    q = r.choice([b"offset=-1", b"limit=0", b"limit=abc", b"offset=1e3", b"limit=99999999999999999999"])
    return b"GET /v1/models/" + M + b"/samples?" + q + b" HTTP/1.1\r\nHost: t\r\n\r\n", False
def k_bad_csv(r):
    body = r.choice([b"1,2\n", b"1,2,3,4\n", b"a,b,c\nx,y,z\n", b"1,nan,2\n", b"1,inf,2\n", b"0x1,2,3\n",
                     b"1,2,3\n1,2\n", b'"1,2,3\n', b'"1"x,2,3\n', b"1;2;3\n", b"1,2,1e999\n"])
    # ('"1",2,3' is a good record since CSV follows RFC 4180: quotes are read)
    return post(b"/v1/models/" + M + b"/samples", body, ctype=b"Content-Type: text/csv\r\n"), False
def k_unknown_ids(r):
    i = b"%016x" % r.getrandbits(64)
    return r.choice([b"GET /v1/models/" + i + b" HTTP/1.1\r\nHost: t\r\n\r\n",
                     b"DELETE /v1/jobs/" + i + b" HTTP/1.1\r\nHost: t\r\n\r\n",
                     post(b"/v1/models/" + i + b"/predict", b'{"inputs":[[1,2]]}')]), False
def k_dims(r):
    return post(b"/v1/models/" + M + b"/predict", r.choice([b'{"inputs":[[1]]}', b'{"inputs":[[1,2,3]]}',
                b'{"inputs":[]}', b'{"inputs":[[]]}', b'{"inputs":[[1,2]],"extra":1}'])), False

KINDS = [(f.__name__[2:], f) for f in [
    k_junk_line, k_bad_line, k_bad_method, k_bad_version, k_huge_header, k_many_headers, k_huge_url,
    k_dup_cl, k_bad_cl, k_cl_te, k_chunked, k_lying_cl, k_truncated, k_too_large, k_bad_json, k_deep,
    k_nonfinite, k_wrong_types, k_huge_numbers, k_traversal, k_bad_utf8, k_ctl_headers, k_no_host,
    k_media_type, k_bad_query, k_paging, k_bad_csv, k_unknown_ids, k_dims]]

def one(raw, shut):
    s = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT)
    try:
        try:
            s.sendall(raw)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early and closed: read what it said
        data = b""
        try:
            while b"\r\n" not in data:
                c = s.recv(4096)
                if not c:
                    break
                data += c
        except ConnectionResetError:
            pass
        except socket.timeout:
            return "timeout"
        if not data:
            return "closed"
        parts = data.split(b"\r\n", 1)[0].split(b" ")
        return parts[1].decode() if len(parts) > 1 and parts[0].startswith(b"HTTP/1.") else "garbage"
    finally:
        s.close()

lock = threading.Lock()
results = {}          # kind -> {status: n}
done = [0]
trend = []
def worker(tid, upto):
    r = random.Random(1000 + tid + upto)
    while True:
        with lock:
            if done[0] >= upto:
                return
            done[0] += 1
            n = done[0]
        name, gen = KINDS[n % len(KINDS)]
        raw, shut = gen(r)
        try:
            st = one(raw, shut)
        except OSError:
            st = "connect-error"
        with lock:
            results.setdefault(name, {}).setdefault(st, 0)
            results[name][st] += 1
            if n % 1000 == 0:
                trend.append(rss_kb())

def run(upto):
    threads = [threading.Thread(target=worker, args=(i, upto)) for i in range(THREADS)]
    for t in threads: t.start()
    for t in threads: t.join()
    time.sleep(3)  # let the daemon close what it still holds (idle timeout 2 s)

t0 = time.time()
# Warm-up, not measured: every HTTP thread meets its SQLite connection
# and the allocator's arenas settle. (After only 1,000 requests the drift
# over the next 9,000 measured 3.3-5.8 %; a 30,000-request run showed RSS
# flat from about 12,000 on, so that was warm-up, not a leak.)
run(WARMUP)
warm = {"rss": rss_kb(), "fds": fds()}
run(WARMUP + TOTAL)
elapsed = time.time() - t0 - 6
end_rss, end_fds = rss_kb(), fds()
base_fds = warm["fds"]

by_status = {}
bad = []
for name, st in sorted(results.items()):
    for code, n in st.items():
        by_status[code] = by_status.get(code, 0) + n
        ok = code == "closed" or (code.isdigit() and 400 <= int(code) < 500) or \
             (code == "505" and name == "bad_version")
        if not ok:
            bad.append("%s: %s x%d" % (name, code, n))
    print("  kind %-13s %s" % (name, " ".join("%s=%d" % kv for kv in sorted(st.items()))))
drift = (end_rss - warm["rss"]) / warm["rss"] * 100
print("figures: %d requests (%d warm-up + %d measured) in %.1f s from %d threads; by status: %s" % (
    sum(by_status.values()), WARMUP, TOTAL, elapsed, THREADS, ", ".join("%s=%d" % kv for kv in sorted(by_status.items()))))
print("figures: 5xx other than 505-for-bad-version: %d; client timeouts: %d" % (
    sum(n for c, n in by_status.items() if c.startswith("5") and c != "505") +
    sum(st.get("505", 0) for k, st in results.items() if k != "bad_version"), by_status.get("timeout", 0)))
print("figures: VmRSS after the warm-up (%d requests) %d kB, after %d more %d kB, drift %+.2f%%" % (
    WARMUP, warm["rss"], TOTAL, end_rss, drift))
print("figures: VmRSS every 1000 requests (kB): %s" % " ".join(map(str, trend)))
print("figures: open fds after warm-up %d, at end %d" % (base_fds, end_fds))
print("RESULT bad=%d drift=%.3f fd_delta=%d total=%d" % (len(bad), drift, end_fds - base_fds, sum(by_status.values())))
for b in bad:
    print("  unexpected: " + b)
PYEOF
rc=$?
cat "$E2E_TMP/hostile.out"
if [ $rc -ne 0 ]; then note_fail "hostile client ran (exit $rc)"; fi
read -r bad drift fd_delta total < <(sed -n 's/^RESULT bad=\([0-9]*\) drift=\([-0-9.]*\) fd_delta=\([-0-9]*\) total=\([0-9]*\)/\1 \2 \3 \4/p' "$E2E_TMP/hostile.out")
if [ "${total:-0}" -eq 13000 ]; then note_pass "13000 hostile requests sent (3000 warm-up + 10000)"; else note_fail "13000 hostile requests sent (got ${total:-none})"; fi
if [ "${bad:-1}" -eq 0 ]; then note_pass "every request answered 4xx or closed (no 5xx, no timeout)"; else note_fail "unexpected answers (see above)"; fi
if python3 -c "import sys; sys.exit(0 if abs(float('${drift:-999}')) <= 5 else 1)"; then
    note_pass "VmRSS drift after warm-up within 5% (${drift}%)"
else
    note_fail "VmRSS drift after warm-up within 5% (${drift:-?}%)"
fi
if [ "${fd_delta:-99}" -le 2 ] && [ "${fd_delta:-99}" -ge -2 ]; then note_pass "open fds back to baseline (delta $fd_delta)"; else note_fail "open fds back to baseline (delta ${fd_delta:-?})"; fi
if kill -0 "$PID" 2>/dev/null; then note_pass "daemon alive"; else note_fail "daemon alive"; fi
req GET /healthz
check_status "healthz after the attack" 200
# "%00" in the path: libmicrohttpd decodes it and C strings end there, so
# this once reached DELETE /v1/models/{id} (found by this test, now 400).
curl -s -o /dev/null -w '%{http_code}' -X DELETE "$MLPD_URL/v1/models/$MODEL%00/samples" >"$E2E_TMP/nul"
STATUS=$(cat "$E2E_TMP/nul")
if [ "$STATUS" = 400 ]; then note_pass "DELETE /v1/models/{id}%00/samples -> 400"; else note_fail "DELETE /v1/models/{id}%00/samples -> $STATUS"; fi
req GET "/v1/models/$MODEL"
check_status "the model is still there" 200
req POST "/v1/models/$MODEL/predict" '{"inputs":[[0.5,-1]]}'
check_status "predict after the attack" 200
finish
