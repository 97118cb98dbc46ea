#!/usr/bin/env bash
# bench-blas.sh - the BLAS alternatives Debian ships, on mlpd's own shapes
# (issue 17), in one run:
#   openblas        OpenBLAS 0.3.21 serial with the kernels it picks itself
#   openblas-best   the same library with OPENBLAS_CORETYPE = the best family
#                   for this CPU (core/cpu.c), what mlpd forces on a fall-back
#   blis            BLIS 0.9.0 serial (libblis-serial-dev; picks its kernels
#                   from the CPU's features)
#   loops           no BLAS for any layer: the core's own loops (batch.c and
#                   batch32.c with BLAS_MIN_WEIGHTS past every layer)
# For each: T3 (784-256-10, batch 256, wide_bench --child: float64 and float32
# training GFLOP/s, dgemm and sgemm 256x256x784) and T2 (UCI digits 64-32-10,
# mini-batch 32 with momentum, as a multiple of FANN's online rate measured
# in the same process: core_bench --only=T2). Every variant runs ROUNDS
# times, round-robin, and the best figure of each is kept (other work on a
# shared machine only ever slows a run down).
# env: B (build), ROUNDS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
ROUNDS=${ROUNDS:-2}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpd-bench-blas.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

BEST=$(env -u OPENBLAS_CORETYPE "$B/bench/wide_bench" --child | sed -n 's/^WIDE .* best=\([^ ]*\) .*/\1/p')
echo "bench-blas: cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); best OpenBLAS family: $BEST"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

run_variant() { # name, wide binary, core binary, env...
    local name=$1 wide=$2 core=$3
    shift 3
    env -u OPENBLAS_CORETYPE "$@" "$wide" --child >>"$TMP/$name.wide" 2>&1 || echo "WIDE failed" >>"$TMP/$name.wide"
    env -u OPENBLAS_CORETYPE "$@" "$core" --only=T2 >>"$TMP/$name.t2" 2>&1 || echo "T2 failed" >>"$TMP/$name.t2"
}

VARIANTS="openblas openblas-best blis loops"
for r in $(seq 1 "$ROUNDS"); do
    run_variant openblas "$B/bench/wide_bench" "$B/bench/core_bench" MLPD_BLAS_NOOP=1
    run_variant openblas-best "$B/bench/wide_bench" "$B/bench/core_bench" OPENBLAS_CORETYPE="$BEST"
    run_variant blis "$B/bench-alt/wide_bench_blis" "$B/bench-alt/core_bench_blis" MLPD_BLAS_NOOP=1
    run_variant loops "$B/bench-alt/wide_bench_loops" "$B/bench-alt/core_bench_loops" MLPD_BLAS_NOOP=1
    echo "round $r done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

python3 - "$TMP" $VARIANTS <<'PY'
import re, sys
tmp, names = sys.argv[1], sys.argv[2:]
rows = []
for n in names:
    wide = open(f"{tmp}/{n}.wide").read()
    t2 = open(f"{tmp}/{n}.t2").read()
    best = {}
    kernel = lib = "?"
    for m in re.finditer(r"WIDE kernel=(\S+) t64=(\S+) t32=(\S+) dgemm=(\S+) sgemm=(\S+) best=\S+ library=(.*)", wide):
        kernel, lib = m.group(1), m.group(6).strip()
        for k, v in zip(("t64", "t32", "dgemm", "sgemm"), m.groups()[1:5]):
            best[k] = max(best.get(k, 0.0), float(v))
    mom = [float(x) for x in re.findall(r"ratio mlpd mini-batch 32 / FANN online: momentum ([0-9.]+)x", t2)]
    onl = [float(x) for x in re.findall(r"ratio mlpd/FANN online: ([0-9.]+)x", t2)]
    rows.append((n, f"{lib} {kernel}", best, max(mom) if mom else float("nan"), max(onl) if onl else float("nan")))
print()
print(f"{'variant':<14} {'library, kernel':<26} {'T3 f64':>7} {'dgemm':>7} {'T3 f32':>7} {'sgemm':>7} {'f32/f64':>7} {'T2 mb32/FANN':>12} {'T2 online/FANN':>14}")
for n, lk, b, mom, onl in rows:
    if not b:
        print(f"{n:<14} {lk:<26} failed"); continue
    print(f"{n:<14} {lk:<26} {b['t64']:7.2f} {b['dgemm']:7.2f} {b['t32']:7.2f} {b['sgemm']:7.2f} "
          f"{b['t32']/b['t64']:6.2f}x {mom:11.2f}x {onl:13.2f}x")
print("(T3 and gemm columns in GFLOP/s, best of the rounds; T2 columns: mlpd's rate over FANN's\n"
      " online rate in the same process, best of the rounds)")
PY
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
