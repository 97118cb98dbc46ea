#!/usr/bin/env bash
# GET /v1/jobs/{id}/events against the real daemon: a client reads the
# server-sent events of a job while it trains (one epoch event per epoch,
# in order, then `end` with the job as GET /v1/jobs/{id} shows it); a
# long epoch sends a `progress` event each second; a finished job streams everything at once; Last-Event-ID resumes; unknown
# job 404 and bad Last-Event-ID 400 as JSON; past --max-streams 503 with
# Retry-After; clients that connect and drop mid-stream leave the daemon
# healthy (stream gauge back to 0, RSS flat, predict answers).
#
# Works whether POST /train runs the job inside the request or queues it:
# the live job is started in the background and found through
# GET /v1/models/{id}/jobs; it is cancelled once the stream is read, so no
# step here depends on how fast training is.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

MAX_STREAMS=55
start_daemon --max-streams "$MAX_STREAMS" --max-epochs 1000000
echo "== events ($MLPD_URL)"

# A client: reads the stream of URL, writes one JSON line per event
# ({"event", "id", "data"}) to OUT, touches OUT.first after the first
# event, and exits at `end`/`error` or when the server closes. Optional
# Last-Event-ID as 3rd argument.
cat >"$E2E_TMP/sse_read.py" <<'EOF'
import json, sys, urllib.request
url, out = sys.argv[1], sys.argv[2]
headers = {"Accept": "text/event-stream"}
if len(sys.argv) > 3:
    headers["Last-Event-ID"] = sys.argv[3]
resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120)
meta = {"status": resp.status, "content_type": resp.headers.get("Content-Type"),
        "cache_control": resp.headers.get("Cache-Control")}
with open(out, "w") as f:
    f.write(json.dumps({"meta": meta}) + "\n")
    f.flush()
    ev, data, first = {}, [], True
    for raw in resp:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data or ev:
                ev["data"] = json.loads("\n".join(data))
                f.write(json.dumps(ev) + "\n")
                f.flush()
                if first:
                    open(out + ".first", "w").close()
                    first = False
                if ev.get("event") in ("end", "error"):
                    break
            ev, data = {}, []
        elif line.startswith(":"):
            continue
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line.startswith("event: "):
            ev["event"] = line[7:]
        elif line.startswith("id: "):
            ev["id"] = line[4:]
        else:
            raise SystemExit("unexpected line %r" % line)
EOF

# check_stream "what" FILE FIRST_EPOCH: FILE (from sse_read.py) is a 200
# text/event-stream with: state first, epochs FIRST_EPOCH.. in order with
# id = epoch, then end equal to GET /v1/jobs/{id} (saved in $BODY_FILE).
# Progress events (a second without another event, on a loaded machine
# between two batches) may come between them: running, without an id.
check_stream() {
    local what=$1 file=$2 first=$3
    check "$what" "(lambda L: (lambda m, evs: all(e['event'] != 'progress' or (e['data']['status'] == 'running' and 'id' not in e) for e in L[1:]) and m['status'] == 200 and m['content_type'] == 'text/event-stream' and m['cache_control'] == 'no-cache' and evs[0]['event'] == 'state' and evs[-1]['event'] == 'end' and evs[-1]['data'] == j and [e['event'] for e in evs[1:-1]] == ['epoch'] * (len(evs) - 2) and [e['data']['epoch'] for e in evs[1:-1]] == list(range($first, j['epoch'] + 1)) and all(e['id'] == str(e['data']['epoch']) and isinstance(e['data']['loss'], float) and isinstance(e['data']['time'], str) for e in evs[1:-1]))(L[0]['meta'], [e for e in L[1:] if e['event'] != 'progress']))([json.loads(x) for x in open('$file')])"
}

# 8 x 500 samples, 16 inputs: an epoch takes some milliseconds, so a
# million epochs outlast the test (the job is cancelled when no longer
# needed), and the history grows slowly enough that the daemon's RSS
# measures the streams, not SQLite's page cache filling with epochs.
M=$(create_model '{"name":"events","inputs":16,"layers":[{"units":32,"activation":"tanh"},{"units":1,"activation":"linear"}],"init":{"method":"xavier","seed":3}}') || exit 1
python3 - "$E2E_TMP/samples.json" <<'EOF'
import json, random, sys
random.seed(7)
xs = [[random.uniform(-1, 1) for _ in range(16)] for _ in range(500)]
json.dump({"inputs": xs, "targets": [[sum(x) / 16] for x in xs]}, open(sys.argv[1], "w"))
EOF
for i in 1 2 3 4 5 6 7; do req POST "/v1/models/$M/samples" "@$E2E_TMP/samples.json"; done
req POST "/v1/models/$M/samples" "@$E2E_TMP/samples.json"
check "8 x 500 samples" "s == 201 and j['total'] == 4000"

# start_job BODY: POST train in the background (it may answer only when
# the job ends); sets JOB to the model's queued or running job.
start_job() {
    curl -sS -o "$E2E_TMP/train.out" --max-time 300 -X POST -H 'Content-Type: application/json' \
        --data-binary "$1" "$MLPD_URL/v1/models/$M/train" &
    TRAIN_PID=$!
    JOB=""
    local i
    for i in $(seq 1 200); do
        JOB=$(curl -s "$MLPD_URL/v1/models/$M/jobs" | python3 -c 'import json,sys; a=[x["id"] for x in json.load(sys.stdin)["jobs"] if x["status"] in ("queued","running")]; print(a[0] if a else "")')
        [ -n "$JOB" ] && return 0
        sleep 0.05
    done
    return 1
}

# wait_ended: the job has ended (GET shows a final status) and the
# background train request is done.
wait_ended() {
    local i
    for i in $(seq 1 600); do
        req GET "/v1/jobs/$JOB"
        case $(jget 'j["status"]') in succeeded|failed|cancelled) break ;; esac
        sleep 0.05
    done
    [ -z "$TRAIN_PID" ] || wait "$TRAIN_PID" 2>/dev/null
}

echo "-- a live job, read while it trains"
start_job '{"epochs":1000000,"learning_rate":0.01,"seed":1}' || { note_fail "the job shows up in GET /v1/models/{id}/jobs"; finish; exit; }
python3 "$E2E_TMP/sse_read.py" "$MLPD_URL/v1/jobs/$JOB/events" "$E2E_TMP/live.jsonl" &
READER=$!
for i in $(seq 1 400); do [ -e "$E2E_TMP/live.jsonl.first" ] && break; sleep 0.05; done
check "the first event came while the job was live" "json.loads(open('$E2E_TMP/live.jsonl').readlines()[1])['data']['status'] in ('queued', 'running')"
req DELETE "/v1/jobs/$JOB"
check "cancel the live job" "s in (200, 202)"
wait "$READER"
check "the reader saw the stream end" "$? == 0"
wait_ended
req GET "/v1/jobs/$JOB"
check "the live job ended cancelled after some epochs" "j['status'] == 'cancelled' and j['epoch'] >= 1"
check_stream "live stream: state, every epoch in order, end == GET /v1/jobs/{id}" "$E2E_TMP/live.jsonl" 1
LIVE_JOB=$JOB

echo "-- a job followed from its start to its natural end"
# (its id from the train answer: a job this short may be over before a
# poll of the model's jobs would see it running)
req POST "/v1/models/$M/train" '{"epochs":40,"learning_rate":0.01,"seed":2}'
check "train 40 epochs accepted" "s in (200, 202)"
JOB=$(jget 'j["id"]')
python3 "$E2E_TMP/sse_read.py" "$MLPD_URL/v1/jobs/$JOB/events" "$E2E_TMP/full.jsonl"
TRAIN_PID=""
wait_ended
req GET "/v1/jobs/$JOB"
check "the job succeeded with 40 epochs" "j['status'] == 'succeeded' and j['epoch'] == 40"
check_stream "whole stream of a 40-epoch job" "$E2E_TMP/full.jsonl" 1

echo "-- a finished job streams at once; Last-Event-ID resumes"
python3 "$E2E_TMP/sse_read.py" "$MLPD_URL/v1/jobs/$JOB/events" "$E2E_TMP/again.jsonl"
check_stream "finished job: same events again" "$E2E_TMP/again.jsonl" 1
check "the epochs are the stored history" "(lambda f: f('again') == f('full'))(lambda n: [e['data']['loss'] for e in map(json.loads, open('$E2E_TMP/%s.jsonl' % n).readlines()[1:]) if e['event'] == 'epoch'])"
python3 "$E2E_TMP/sse_read.py" "$MLPD_URL/v1/jobs/$JOB/events" "$E2E_TMP/resume.jsonl" 25
check_stream "Last-Event-ID: 25 -> epochs 26..40, end" "$E2E_TMP/resume.jsonl" 26
req GET "/v1/jobs/$LIVE_JOB"
python3 "$E2E_TMP/sse_read.py" "$MLPD_URL/v1/jobs/$LIVE_JOB/events" "$E2E_TMP/live2.jsonl"
check_stream "the cancelled job streams the same afterwards" "$E2E_TMP/live2.jsonl" 1

echo "-- a long epoch: a progress event each second"
# 16-960-960-1 online over 4000 samples: an epoch takes about 2 s here
# (seconds on any machine), and nothing is stored until it ends.
LM=$(create_model '{"name":"long-epochs","inputs":16,"layers":[{"units":960,"activation":"tanh"},{"units":960,"activation":"tanh"},{"units":1,"activation":"linear"}],"init":{"seed":4}}') || exit 1
for i in 1 2 3 4 5 6 7 8; do req POST "/v1/models/$LM/samples" "@$E2E_TMP/samples.json"; done
req POST "/v1/models/$LM/train" '{"epochs":1000,"learning_rate":0.001,"batch_size":1,"seed":5}'
check "a job of long epochs accepted" "s == 202"
LJ=$(jget 'j["id"]')
python3 "$E2E_TMP/sse_read.py" "$MLPD_URL/v1/jobs/$LJ/events" "$E2E_TMP/long.jsonl" &
READER=$!
progress_seen() { local c; c=$(grep -c '"event": "progress"' "$E2E_TMP/long.jsonl" 2>/dev/null); echo "${c:-0}"; }
for i in $(seq 1 300); do [ "$(progress_seen)" -ge 3 ] && break; sleep 0.1; done
req DELETE "/v1/jobs/$LJ"
check "cancel the job of long epochs" "s in (200, 202)"
wait "$READER"
check "3 progress events, a second or more apart, each the running job with its elapsed time growing, no id" "(lambda evs: (lambda p: len(p) >= 3 and all(e['data']['status'] == 'running' and 'id' not in e and e['data']['id'] == '$LJ' for e in p) and all(b['data']['elapsed_seconds'] - a['data']['elapsed_seconds'] >= 0.9 for a, b in zip(p, p[1:])))([e for e in evs if e['event'] == 'progress']) and evs[-1]['event'] == 'end')([json.loads(x) for x in open('$E2E_TMP/long.jsonl').readlines()[1:]])"

echo "-- refusals are JSON"
req GET "/v1/jobs/0123456789abcdef/events"
check_error "unknown job" 404 not_found
curl -sS -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' -H 'Last-Event-ID: ten' "$MLPD_URL/v1/jobs/$JOB/events" >"$E2E_TMP/st"
STATUS=$(cat "$E2E_TMP/st")
check_error "Last-Event-ID: ten" 400 bad_request

echo "-- $MAX_STREAMS clients hold streams of a live job, then drop"
gauge() { curl -s "$MLPD_URL/metrics" | awk '$1 == "mlpd_event_streams" {print $2}'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$MLPD_PID/status"; }
# wait_gauge N: the gauge reads N (polled for up to 10 s); prints it.
wait_gauge() {
    local i g
    for i in $(seq 1 200); do
        g=$(gauge)
        [ "$g" = "$1" ] && break
        sleep 0.05
    done
    echo "$g"
}
start_job '{"epochs":1000000,"learning_rate":0.01,"seed":3}' || note_fail "third job shows up"
# mob.py N: N clients connect, read up to the first event, report, wait
# for "go" on stdin, then drop: half close (FIN), half reset (RST).
cat >"$E2E_TMP/mob.py" <<'EOF'
import socket, struct, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n" % path).encode())
    buf = b""
    while b"event: state" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("client %d: closed before the first event: %r" % (i, buf[:200]))
        buf += chunk
    socks.append(s)
print("connected", len(socks), flush=True)
sys.stdin.readline()
for i, s in enumerate(socks):
    if i % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
EOF
round() {
    local n=$1
    mkfifo "$E2E_TMP/go"
    python3 "$E2E_TMP/mob.py" "$MLPD_PORT" "/v1/jobs/$JOB/events" "$n" <"$E2E_TMP/go" >"$E2E_TMP/mob.out" 2>&1 &
    MOB=$!
    exec 3>"$E2E_TMP/go"
    local i
    for i in $(seq 1 600); do
        grep -q connected "$E2E_TMP/mob.out" 2>/dev/null && break
        kill -0 "$MOB" 2>/dev/null || break
        sleep 0.05
    done
    HELD=$(gauge)
    echo go >&3
    exec 3>&-
    wait "$MOB"
    MOB_RC=$?
    rm -f "$E2E_TMP/go"
}
# warm-up: thread pools, SQLite connections, allocator arenas
round "$MAX_STREAMS"
wait_gauge 0 >/dev/null
round "$MAX_STREAMS"
wait_gauge 0 >/dev/null
RSS0=$(rss_kb)
round "$MAX_STREAMS"
check "$MAX_STREAMS clients connected and saw the first event" "$MOB_RC == 0 and '$HELD' == '$MAX_STREAMS'"
AFTER=$(wait_gauge 0)
check "the stream gauge is back to 0 after they dropped" "'$AFTER' == '0'"
for r in 1 2 3; do
    round 50
    [ "$MOB_RC" -eq 0 ] || note_fail "round $r: 50 clients connected (rc $MOB_RC: $(head -c 200 "$E2E_TMP/mob.out"))"
    wait_gauge 0 >/dev/null
done
AFTER=$(wait_gauge 0)
RSS1=$(rss_kb)
check "after 3 more rounds of 50 the gauge is 0" "'$AFTER' == '0'"
echo "  (RSS ${RSS0} kB -> ${RSS1} kB over 150 dropped streams)"
check "RSS grew less than 4 MiB over 150 dropped streams" "$RSS1 - $RSS0 < 4096"
req POST "/v1/models/$M/predict" '{"inputs":[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}'
check_status "predict still answers" 200
req GET /healthz
check_status "healthz" 200

echo "-- past --max-streams: 503 with Retry-After"
mkfifo "$E2E_TMP/go"
python3 "$E2E_TMP/mob.py" "$MLPD_PORT" "/v1/jobs/$JOB/events" "$MAX_STREAMS" <"$E2E_TMP/go" >"$E2E_TMP/mob.out" 2>&1 &
MOB=$!
exec 3>"$E2E_TMP/go"
for i in $(seq 1 600); do
    grep -q connected "$E2E_TMP/mob.out" 2>/dev/null && break
    kill -0 "$MOB" 2>/dev/null || break
    sleep 0.05
done
req GET "/v1/jobs/$JOB/events"
check "stream $((MAX_STREAMS + 1)) -> 503 busy, Retry-After, JSON" "s == 503 and j['error']['code'] == 'busy' and h.get('retry-after') == '5' and h.get('content-type') == 'application/json'"
echo go >&3
exec 3>&-
wait "$MOB"
rm -f "$E2E_TMP/go"
check "the gauge is 0 once they dropped" "'$(wait_gauge 0)' == '0'"

req DELETE "/v1/jobs/$JOB"
check "cancel the last live job" "s in (200, 202)"
wait_ended
stop_daemon
finish
