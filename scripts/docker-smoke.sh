#!/usr/bin/env bash
# docker-smoke.sh - build the Dockerfile with podman and check the image:
# /healthz answers and a 2-3-1 model predicts. Not part of `make test` (it
# takes minutes and needs apt): run it by hand after changing the Dockerfile.
#
# No registry is needed: the debian:bookworm-slim base is made here with
# `debootstrap --variant=minbase bookworm` and `podman import`ed under that
# name. Debian's podman needs runc as its runtime and a nofile ulimit on
# these machines, so a containers.conf in a temp dir is used
# (CONTAINERS_CONF). Set KEEP_BASE=1 to keep the imported base image.
set -euo pipefail
cd "$(dirname "$0")/.."
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TAG=localhost/mlpd-smoke:latest
NAME=mlpd-smoke-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-docker.XXXXXX")

cleanup() {
    podman rm -f "$NAME" >/dev/null 2>&1 || true
    podman rmi -f "$TAG" >/dev/null 2>&1 || true
    if [ "${KEEP_BASE:-0}" != 1 ]; then
        podman rmi -f localhost/debian:bookworm-slim >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

step() { echo "== $*"; }

missing=""
for p in debootstrap podman runc curl; do dpkg -s $p >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    step "apt-get install$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# podman's default nofile and nproc ulimits are higher than this machine
# allows (runc then fails with "error setting rlimit type 7" or "6"): use
# our nofile, and an nproc of 4096 (measured: the host's own value is
# refused too, 4096 is accepted; mlpd needs a few dozen threads).
cat >"$TMP/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Sn):$(ulimit -Hn)", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$TMP/containers.conf"

if podman image exists localhost/debian:bookworm-slim; then
    step "base image localhost/debian:bookworm-slim already there"
else
    step "debootstrap --variant=minbase bookworm ($MIRROR)"
    start=$(date +%s)
    debootstrap --variant=minbase bookworm "$TMP/rootfs" "$MIRROR" >"$TMP/debootstrap.log" 2>&1 ||
        { tail -n 20 "$TMP/debootstrap.log"; exit 1; }
    rm -rf "$TMP/rootfs/var/cache/apt/archives/"*.deb "$TMP/rootfs/var/lib/apt/lists/"*
    echo "   $(du -sh "$TMP/rootfs" | cut -f1) in $(( $(date +%s) - start )) s"
    step "podman import as debian:bookworm-slim"
    tar -C "$TMP/rootfs" -c . | podman import - localhost/debian:bookworm-slim >/dev/null
    rm -rf "$TMP/rootfs"
fi

step "podman build (Dockerfile, two stages)"
start=$(date +%s)
podman build --pull=never --network host --format docker -t "$TAG" . >"$TMP/build.log" 2>&1 ||
    { tail -n 30 "$TMP/build.log"; exit 1; }
echo "   built in $(( $(date +%s) - start )) s; image $(podman image inspect "$TAG" --format '{{.Size}}') bytes"
podman image inspect "$TAG" --format '   user={{.Config.User}} volumes={{.Config.Volumes}} exposed={{.Config.ExposedPorts}} cmd={{.Config.Cmd}}'
podman image inspect "$TAG" --format '   healthcheck={{.Config.Healthcheck.Test}}' 2>/dev/null || true

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
step "podman run (published on 127.0.0.1:$PORT)"
# --health-interval=disable: no systemd timer (there is no systemd here);
# the HEALTHCHECK is run once by hand below.
RUN=(podman run -d --name "$NAME" --health-interval=disable)
if ! "${RUN[@]}" -p "127.0.0.1:$PORT:8080" "$TAG" >/dev/null 2>"$TMP/run.err"; then
    # No bridge networking here (netavark/iptables missing): share the
    # host's network and bind the daemon to loopback instead.
    echo "   bridge network unavailable ($(head -c 200 "$TMP/run.err")); using --network host"
    podman rm -f "$NAME" >/dev/null 2>&1 || true
    "${RUN[@]}" --network host "$TAG" \
        mlpd --bind 127.0.0.1 --port "$PORT" --db /data/mlpd.db >/dev/null
fi
URL="http://127.0.0.1:$PORT"
for i in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "$URL/healthz" && break
    sleep 0.1
done
step "GET /healthz"
curl -sS --fail-with-body "$URL/healthz"
echo
step "runs as $(podman exec "$NAME" id -un) with the database in /data"
step "create the lecture's 2-3-1 model, PUT weights, predict"
ID=$(curl -sS --fail-with-body -H 'Content-Type: application/json' --data-binary \
    '{"name":"smoke","inputs":2,"layers":[{"units":3,"activation":"logsig"},{"units":1,"activation":"purelin"}]}' \
    "$URL/v1/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sS --fail-with-body -X PUT -H 'Content-Type: application/json' --data-binary \
    '{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]],"biases":[0.1,-0.2,0.05]},{"weights":[[0.3,-0.6,0.9]],"biases":[0.1]}]}' \
    "$URL/v1/models/$ID/weights" >/dev/null
OUT=$(curl -sS --fail-with-body -H 'Content-Type: application/json' --data-binary '{"inputs":[[0.5,-1.0]]}' \
    "$URL/v1/models/$ID/predict")
echo "$OUT"
python3 - "$OUT" <<'PY'
import json, math, sys
y = json.loads(sys.argv[1])["outputs"][0][0]
f = lambda v: 1 / (1 + math.exp(-v))
want = 0.3 * f(0.5) - 0.6 * f(-0.1) + 0.9 * f(-0.4) + 0.1
assert abs(y - want) < 1e-12, (y, want)
print("   predict matches the hand computation %.17g" % want)
PY
podman exec "$NAME" ls -l /data
if podman healthcheck run "$NAME" >/dev/null 2>&1; then
    step "podman healthcheck run: healthy"
else
    step "podman healthcheck run: not available or unhealthy"
fi
step "docker-smoke: passed"
