#!/usr/bin/env bash
# Fairness on a cluster: the HTTP scheduling benchmark (bench/FlowTok.Platform.Bench --scheduling-http) against a local
# cluster of separate processes (local-cluster.sh: a private redis-server and RabbitMQ broker, SILOS silos of DEVICES
# simulated devices each, one gateway) started with the bench's tenants. Prints two tables: small's latency alone and
# during big's flood with big's share of the capacity left, and three backlogged tenants' device-time shares at weights
# 1:2:4. Stops the cluster when done.
#   usage: infra/deploy/cluster-fairness.sh [--seconds S] [--warmup-seconds W] [--no-build]
# Environment: SILOS (2), DEVICES (2), STEP_MS (10), ROW_STEP_MS (1.25), MAX_ROWS (8), STEPS (20), PORT_OFFSET (40),
# WORK_DIR (/tmp/flowtok-cluster-fairness).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SILOS=${SILOS:-2} DEVICES=${DEVICES:-2} STEP_MS=${STEP_MS:-10} ROW_STEP_MS=${ROW_STEP_MS:-1.25} MAX_ROWS=${MAX_ROWS:-8} STEPS=${STEPS:-20}
PORT_OFFSET=${PORT_OFFSET:-40} WORK_DIR=${WORK_DIR:-/tmp/flowtok-cluster-fairness}
SECONDS_PER_PHASE=30 WARMUP=5 BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_PHASE=$2; shift 2 ;;
    --warmup-seconds) WARMUP=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "cluster-fairness: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

cd "$ROOT"
BENCH=(dotnet run -c Release --no-build --project bench/FlowTok.Platform.Bench --)
if ((BUILD)); then dotnet build bench/FlowTok.Platform.Bench -c Release -nologo -v quiet; fi
mapfile -t TENANTS < <("${BENCH[@]}" --cluster-tenant-arguments)
timespan() { awk -v ms="$1" 'BEGIN { printf "00:00:%09.6f", ms / 1000 }'; }

infra/deploy/local-cluster.sh --silos "$SILOS" --devices "$DEVICES" --port-offset "$PORT_OFFSET" --work-dir "$WORK_DIR" --fresh --no-build -- \
  --Model:MaxBatchSize "$MAX_ROWS" --Model:Simulated:StepLatency "$(timespan "$STEP_MS")" \
  --Model:Simulated:RowStepLatency "$(timespan "$ROW_STEP_MS")" --Logging:LogLevel:Default Warning "${TENANTS[@]}" &
CLUSTER=$!
trap 'kill -TERM "$CLUSTER" 2>/dev/null; wait "$CLUSTER" 2>/dev/null || true' EXIT
URL="http://127.0.0.1:$((5080 + PORT_OFFSET))"
for ((i = 0; i < 300; i++)); do
  curl -fs "$URL/health/ready" >/dev/null 2>&1 && break
  kill -0 "$CLUSTER" 2>/dev/null || { echo "cluster-fairness: the cluster did not start (logs in $WORK_DIR/logs)" >&2; exit 1; }
  sleep 1
done

"${BENCH[@]}" --scheduling-http --target "$URL" --seconds "$SECONDS_PER_PHASE" --warmup-seconds "$WARMUP" \
  --steps "$STEPS" --max-batch "$MAX_ROWS" --sim-step-ms "$STEP_MS" --sim-row-step-ms "$ROW_STEP_MS" \
  --setup "$SILOS silos x $DEVICES simulated devices (sim:0..$((DEVICES - 1)) each), RabbitMQ, Redis, one gateway"
