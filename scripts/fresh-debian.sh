#!/usr/bin/env bash
# fresh-debian.sh [SUITE] [REF|DIR] - the README's two commands on a stock
# Debian, for real: a `debootstrap --variant=minbase` root of SUITE
# (bookworm, the default, or trixie) in a chroot, with only `make`
# installed, runs `make run` until /healthz answers, stops it, then runs
# `make test`, and prints the time of each step. `make fresh-check` runs it
# (FRESH_SUITE=trixie, FRESH_REF=main pick others). Not part of `make test`:
# it takes half an hour or more. Run it as root after any change to what the
# Makefile installs (scripts/packages.txt).
#
# REF is a git ref of this repository (default HEAD: the committed state of
# the current checkout; uncommitted changes are not tested) or a directory
# holding a git checkout (its HEAD). Its clean clone is copied in.
#
# The debootstrap result is kept as a tarball in $FRESH_DIR (default
# /var/tmp/mlpd-fresh) and unpacked afresh for every run, so each run starts
# from the same pristine root. Only what a stock machine would lack on this
# one is added: the host's CA bundle (the npm registry is reached through a
# TLS-intercepting proxy here; NODE_EXTRA_CA_CERTS points at it), proxy
# variables and apt proxy settings if the host has them, the security and
# updates suites a Debian install has in its sources, and a policy-rc.d that
# keeps packages' services (postgresql, nginx) from starting in the chroot.
# /proc, /sys, /dev, /dev/pts and a /dev/shm are mounted for the tests and
# unmounted on exit. Logs: $FRESH_DIR/SUITE.logs/.
# The whole script is one block, read before it runs: editing the file
# during a run (it takes half an hour) cannot change what the run does.
{
set -euo pipefail
SUITE=${1:-bookworm}
SRC=${2:-HEAD}
FRESH_DIR=${FRESH_DIR:-/var/tmp/mlpd-fresh}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-3600}
# MAKE_TEST_FLAGS=-k: go on after a failure, to see every failing suite.
MAKE_TEST_FLAGS=${MAKE_TEST_FLAGS:-}
case $SUITE in bookworm | trixie) ;; *) echo "fresh-debian.sh: SUITE is bookworm or trixie, not $SUITE" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "fresh-debian.sh: run as root (debootstrap, chroot, mount)" >&2; exit 2; }

here=$(cd "$(dirname "$0")/.." && pwd)
TARBALL=$FRESH_DIR/$SUITE.tar
ROOT=$(realpath -m "$FRESH_DIR/$SUITE.root")
LOGS=$FRESH_DIR/$SUITE.logs
mkdir -p "$FRESH_DIR" "$LOGS"

# What to test: a commit, from a ref of this repository or a checkout's HEAD.
if [ -d "$SRC" ]; then
    repo=$(git -C "$SRC" rev-parse --show-toplevel)
    sha=$(git -C "$repo" rev-parse HEAD)
else
    repo=$here
    sha=$(git -C "$repo" rev-parse --verify "$SRC^{commit}")
fi
if [ "$SRC" = HEAD ] || [ -d "$SRC" ]; then
    [ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
        echo "note: $repo has uncommitted changes; they are not tested"
fi

declare -a STEP_NAMES=() STEP_TIMES=()
t0=$(date +%s)
step_start=$t0
step() { echo "== $(date -u +%H:%M:%S) $*"; }
step_done() {
    local now; now=$(date +%s)
    STEP_NAMES+=("$1"); STEP_TIMES+=($((now - step_start)))
    echo "   $1: $((now - step_start)) s"
    step_start=$now
}
summary() {
    echo "== fresh-check $SUITE at ${sha:0:12}: $1"
    local i
    for i in "${!STEP_NAMES[@]}"; do
        printf '   %-32s %5d s  (%d min %02d s)\n' "${STEP_NAMES[$i]}" "${STEP_TIMES[$i]}" \
            $((STEP_TIMES[i] / 60)) $((STEP_TIMES[i] % 60))
    done
    printf '   %-32s %5d s\n' total $(($(date +%s) - t0))
}

mounted() { grep -q " $(realpath -m "$1") " /proc/mounts; }
RUN_PGID=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local rc=$?
    if [ -n "$RUN_PGID" ]; then kill -TERM -- "-$RUN_PGID" 2>/dev/null || true; fi
    # Anything still running inside the root (a test's leftover) goes too:
    # only processes whose root is this chroot.
    local p
    for p in /proc/[0-9]*; do
        if [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ]; then kill -KILL "${p#/proc/}" 2>/dev/null || true; fi
    done
    for m in dev/shm dev/pts dev sys proc; do
        if mounted "$ROOT/$m"; then umount "$ROOT/$m" 2>/dev/null || umount -l "$ROOT/$m" || true; fi
    done
    [ "$rc" = 0 ] || summary "FAILED (exit $rc; logs in $LOGS)"
}
trap cleanup EXIT

# 1. The pristine root, made once.
if [ ! -f "$TARBALL" ]; then
    command -v debootstrap >/dev/null ||
        apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends debootstrap >"$LOGS/debootstrap-install.log" 2>&1 ||
        { tail -n 20 "$LOGS/debootstrap-install.log"; exit 1; }
    step "debootstrap --variant=minbase $SUITE ($MIRROR)"
    rm -rf "$FRESH_DIR/$SUITE.boot"
    debootstrap --variant=minbase "$SUITE" "$FRESH_DIR/$SUITE.boot" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 ||
        { tail -n 20 "$LOGS/debootstrap.log"; exit 1; }
    rm -rf "$FRESH_DIR/$SUITE.boot/var/cache/apt/archives/"*.deb
    tar -C "$FRESH_DIR/$SUITE.boot" -cf "$TARBALL.tmp" .
    mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$FRESH_DIR/$SUITE.boot"
    step_done "debootstrap (cached after)"
fi

# 2. A fresh copy of it.
step "unpack the pristine $SUITE root into $ROOT"
for m in dev/shm dev/pts dev sys proc; do
    if mounted "$ROOT/$m"; then echo "$ROOT/$m is still mounted: unmount it first" >&2; exit 1; fi
done
rm -rf "$ROOT"
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$TARBALL"
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
# The host's CA bundle, twice: as the system bundle (until the chroot's own
# ca-certificates package rewrites it) and where NODE_EXTRA_CA_CERTS points.
mkdir -p "$ROOT/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/host-ca-bundle.crt"
# apt settings of the host that a stock machine would not need but this
# network does (proxies, archive date checks).
for f in /etc/apt/apt.conf.d/*; do
    if grep -qiE 'proxy|Check-Valid-Until|Check-Date' "$f" 2>/dev/null; then cp "$f" "$ROOT/etc/apt/apt.conf.d/"; fi
done
printf '#!/bin/sh\n# no services started inside the fresh-check chroot\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$ROOT/proc"
mount --bind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=1777,size=1g shm "$ROOT/dev/shm"
step_done "unpack and mount"

# A clean environment, as a root shell on a new machine would have it.
ENVV=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
      TERM=dumb LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-bundle.crt)
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -n "${!v:-}" ] && ENVV+=("$v=${!v}")
done
in_root() { chroot "$ROOT" /usr/bin/env -i "${ENVV[@]}" /bin/bash -c "$1"; }
# Each line of a log with the time it was written (to see where time goes).
stamp() { local line; while IFS= read -r line; do printf '%(%H:%M:%S)T %s\n' -1 "$line"; done; }

# 3. Only make.
step "apt-get install make"
in_root 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make' >"$LOGS/install-make.log" 2>&1 ||
    { tail -n 20 "$LOGS/install-make.log"; exit 1; }
step_done "apt-get install make"

# 4. A clean clone of what is tested.
step "clone ${sha:0:12} of $repo into /root/mlpd"
git clone -q --no-checkout --no-hardlinks "$repo" "$ROOT/root/mlpd"
git -C "$ROOT/root/mlpd" checkout -q --detach "$sha"
git -C "$ROOT/root/mlpd" log -1 --format='   %h %s' | cut -c1-100
step_done "clone"

# 5. make run, until /healthz answers (on a free port: 8080 may be taken on
# a shared machine; RUN_PORT is the Makefile's variable for it).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
step "make run RUN_PORT=$PORT (installs the build packages, builds, serves)"
setsid chroot "$ROOT" /usr/bin/env -i "${ENVV[@]}" /bin/bash -c "cd /root/mlpd && exec make run RUN_PORT=$PORT" \
    >"$LOGS/make-run.log" 2>&1 &
RUN_PGID=$!
deadline=$(($(date +%s) + HEALTH_TIMEOUT))
until curl -fsS --max-time 2 "http://127.0.0.1:$PORT/healthz" >"$LOGS/healthz.json" 2>/dev/null; do
    if ! kill -0 "$RUN_PGID" 2>/dev/null; then
        tail -n 30 "$LOGS/make-run.log"; echo "make run ended before /healthz answered"; exit 1
    fi
    [ "$(date +%s)" -lt $deadline ] || { tail -n 30 "$LOGS/make-run.log"; echo "no /healthz within $HEALTH_TIMEOUT s"; exit 1; }
    sleep 2
done
echo "   /healthz: $(cat "$LOGS/healthz.json")"
step_done "make run until /healthz"
kill -TERM -- "-$RUN_PGID"
wait "$RUN_PGID" 2>/dev/null || true
RUN_PGID=""
step_done "stop make run"

# 6. make test, the whole suite.
step "make test $MAKE_TEST_FLAGS (log: $LOGS/make-test.log)"
if ! in_root "cd /root/mlpd && make test $MAKE_TEST_FLAGS" 2>&1 | stamp >"$LOGS/make-test.log"; then
    # (not "error": every compile line has -Werror)
    grep -E '  FAIL |[0-9]+ passed, [1-9][0-9]* failed|make: \*\*\*|^[0-9:]+ == ' "$LOGS/make-test.log" | grep -B1 -E '  FAIL |passed, [1-9]|\*\*\*' | tail -n 40
    echo "make test failed"
    exit 1
fi
tail -n 1 "$LOGS/make-test.log"
step_done "make test"
# shellcheck disable=SC2016 # expanded inside the chroot
in_root 'echo "   $(. /etc/os-release; echo "$PRETTY_NAME"), gcc $(gcc -dumpfullversion), clang $(clang -dumpversion), node $(node --version), npm $(npm --version), $(chromium --version 2>/dev/null)"'
summary "passed"
exit
}
