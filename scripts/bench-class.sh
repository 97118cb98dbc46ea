#!/usr/bin/env bash
# bench-class.sh - `make bench-class`: a class-sized load (see
# scripts/bench_class.py): 30 students submit a job each at once while a
# public model answers predicts, for each worker count in WORKERS.
# env: MLPD_BIN (build/mlpd), WORKERS ("1 2 3"; "W:N" also sets --worker-nice N), STUDENTS (30), EPOCHS (4000),
#      PREDICT_CLIENTS (4), PREDICT_RATE (50 per client), DRAIN_BOUND_SECONDS (300)
set -euo pipefail
cd "$(dirname "$0")/.."
export MLPD_BIN=${MLPD_BIN:-build/mlpd}
exec /usr/bin/python3 scripts/bench_class.py
