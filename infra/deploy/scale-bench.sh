#!/usr/bin/env bash
# Cluster scale benchmark with simulated devices: for each configuration (devices spread over silo processes) it starts
# a cluster with local-cluster.sh, waits until every replica is loaded, drives HTTP load at the gateway with
# flowtok-platform-bench --target, stops the cluster, and finally prints throughput as a fraction of the ideal
# (devices x the throughput of one device alone). Simulated devices take wall time but no CPU, so what is measured is
# what the serving stack (gateway, Orleans, RabbitMQ, Redis) costs as the cluster grows.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: infra/deploy/scale-bench.sh [options]

  --configs LIST       configurations as DEVICESxSILOS, comma-separated
                       (default 1x1,4x1,4x2,4x4,16x1,16x2,16x4; 1x1, the single-device baseline, always runs first)
  --seconds S          measured seconds per configuration (default 30)
  --warmup-seconds W   load before the measured window, not measured (default 5)
  --batch-ms MS        simulated device: milliseconds per batch, Model:Simulated:BatchLatency (default 1000)
  --item-ms MS         simulated device: milliseconds per item of a batch, Model:Simulated:ItemLatency (default 50)
  --max-batch B        Model:MaxBatchSize (default 8)
  --images N           images per request, 1..8 (default 4)
  --port-offset K      local-cluster.sh --port-offset (default 300, away from a default local cluster)
  --work-dir DIR       one sub-directory per configuration: cluster logs, data, the bench's output
                       (default /tmp/flowtok-scale-bench)
  --no-build           use the existing Release build of the silo and the bench
  -h, --help

Clients per configuration: devices x max-batch x 2 / images (every device's batches full, one batch waiting).
EOF
}

die() { echo "scale-bench: error: $*" >&2; exit 1; }
note() { echo "scale-bench: $*"; }

CONFIGS=1x1,4x1,4x2,4x4,16x1,16x2,16x4
SECONDS_PER_RUN=30
WARMUP=5
BATCH_MS=1000
ITEM_MS=50
MAX_BATCH=8
IMAGES=4
PORT_OFFSET=300
WORK_DIR=/tmp/flowtok-scale-bench
BUILD=1

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --configs) need_value "$@"; CONFIGS=$2; shift 2 ;;
    --seconds) need_value "$@"; SECONDS_PER_RUN=$2; shift 2 ;;
    --warmup-seconds) need_value "$@"; WARMUP=$2; shift 2 ;;
    --batch-ms) need_value "$@"; BATCH_MS=$2; shift 2 ;;
    --item-ms) need_value "$@"; ITEM_MS=$2; shift 2 ;;
    --max-batch) need_value "$@"; MAX_BATCH=$2; shift 2 ;;
    --images) need_value "$@"; IMAGES=$2; shift 2 ;;
    --port-offset) need_value "$@"; PORT_OFFSET=$2; shift 2 ;;
    --work-dir) need_value "$@"; WORK_DIR=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

for v in SECONDS_PER_RUN WARMUP BATCH_MS ITEM_MS MAX_BATCH IMAGES PORT_OFFSET; do
  is_uint "${!v}" || die "$v must be a non-negative integer, not '${!v}'"
done
((SECONDS_PER_RUN > 0 && MAX_BATCH > 0)) || die "--seconds and --max-batch must be positive"
((IMAGES >= 1 && IMAGES <= 8)) || die "--images must be 1..8"

# The runs: "devices silos", the baseline first and once.
RUNS=("1 1")
IFS=, read -r -a wanted <<<"$CONFIGS"
for c in "${wanted[@]}"; do
  [[ "$c" =~ ^([0-9]+)x([0-9]+)$ ]] || die "--configs: '$c' is not DEVICESxSILOS (e.g. 16x4)"
  d=${BASH_REMATCH[1]} s=${BASH_REMATCH[2]}
  ((d >= 1 && s >= 1 && d % s == 0)) || die "--configs: $c: devices must be a positive multiple of silos"
  [[ "$d $s" == "1 1" ]] || RUNS+=("$d $s")
done

command -v jq >/dev/null || die "jq is not installed (apt-get install -y jq); it reads the bench's JSON"
command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is not on PATH"

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER="$REPO_ROOT/infra/deploy/local-cluster.sh"
BENCH_DLL="$REPO_ROOT/bench/FlowTok.Platform.Bench/bin/Release/net10.0/flowtok-platform-bench.dll"
GATEWAY_PORT=$((5080 + PORT_OFFSET))
mkdir -p "$WORK_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)

ms_to_timespan() { printf '%02d:%02d:%02d.%03d' $(($1 / 3600000)) $(($1 / 60000 % 60)) $(($1 / 1000 % 60)) $(($1 % 1000)); }

# A tenant of its own: the development tenant allows 64 concurrent jobs, which 16 devices' worth of clients reach.
# The platform queue bound is raised so that admission never sheds the load being measured.
KEY="ftk-scale-bench-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
PLATFORM_ARGS=(
  --Model:MaxBatchSize "$MAX_BATCH"
  --Model:Simulated:BatchLatency "$(ms_to_timespan "$BATCH_MS")"
  --Model:Simulated:ItemLatency "$(ms_to_timespan "$ITEM_MS")"
  --Platform:MaxQueuedItems 100000
  --Tenants:0:Id scale-bench
  --Tenants:0:Name scale-bench
  --Tenants:0:Key "$KEY"
  --Tenants:0:RequestsPerMinute 1000000
  --Tenants:0:MaxConcurrentJobs 100000
)

# ----------------------------------------------------------------------------- the running cluster and bench
CLUSTER_PID=""

stop_cluster() {
  [[ -n "$CLUSTER_PID" ]] || return 0
  if kill -0 "$CLUSTER_PID" 2>/dev/null; then
    kill -TERM "$CLUSTER_PID" 2>/dev/null || true
    # local-cluster.sh lets silos drain (up to 75 s each group); a second TERM makes it kill what is left.
    local deadline=$((SECONDS + 180))
    while kill -0 "$CLUSTER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
    if kill -0 "$CLUSTER_PID" 2>/dev/null; then
      note "the cluster did not stop within 180 s: hurrying it"
      kill -TERM "$CLUSTER_PID" 2>/dev/null || true
    fi
  fi
  wait "$CLUSTER_PID" 2>/dev/null || true
  CLUSTER_PID=""
}
BENCH_PID=""
stop_bench() {
  [[ -n "$BENCH_PID" ]] || return 0
  kill -TERM "$BENCH_PID" 2>/dev/null || true   # the bench stops its load and exits
  wait "$BENCH_PID" 2>/dev/null || true
  BENCH_PID=""
}
trap 'stop_bench; stop_cluster' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts local-cluster.sh in the background and waits until the gateway is ready and every silo has loaded all its
# replicas (a silo's /health/ready is 200 only then, and a loaded replica has announced itself in the registry).
# $1 devices, $2 silos, $3 directory. Returns non-zero (with the reason on stderr) if the cluster does not come up.
start_cluster() {
  local devices=$1 silos=$2 dir=$3 log=$3/cluster.log
  "$CLUSTER" --silos "$silos" --devices $((devices / silos)) --simulated --gateway-port "$GATEWAY_PORT" \
    --port-offset "$PORT_OFFSET" --work-dir "$dir" --no-build --fresh -- "${PLATFORM_ARGS[@]}" >"$log" 2>&1 </dev/null &
  CLUSTER_PID=$!
  local deadline=$((SECONDS + 240))
  until grep -q "FlowTok cluster ready" "$log"; do
    if ! kill -0 "$CLUSTER_PID" 2>/dev/null; then
      echo "scale-bench: local-cluster.sh exited; last lines of $log:" >&2; tail -n 30 "$log" >&2; return 1
    fi
    ((SECONDS < deadline)) || { echo "scale-bench: the cluster was not ready within 240 s (see $log)" >&2; return 1; }
    sleep 1
  done
  # The silos' HTTP ports as local-cluster.sh reports them: "started silo-1 (pid …, devices …, http://127.0.0.1:5390, log …)".
  local ports
  mapfile -t ports < <(sed -n 's/^local-cluster: started silo-[0-9]* (.*http:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$log")
  ((${#ports[@]} == silos)) || { echo "scale-bench: expected $silos silo start lines in $log, found ${#ports[@]}" >&2; return 1; }
  local port
  for port in "${ports[@]}"; do
    until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health/ready" 2>/dev/null; do
      ((SECONDS < deadline)) || { echo "scale-bench: the silo on port $port was not ready within 240 s (see $dir/logs)" >&2; return 1; }
      sleep 0.5
    done
  done
  # Cross-check in the silos' logs: one "Model replica … ready" per device.
  local loaded
  loaded=$(cat "$dir"/logs/silo-*.log | grep -c "Model replica .* ready" || true)
  ((loaded == devices)) || { echo "scale-bench: $loaded model replicas reported ready in $dir/logs, expected $devices" >&2; return 1; }
}

# ---------------------------------------------------------------------------------------------------- build
if ((BUILD)); then
  for project in silos/FlowTok.Silo bench/FlowTok.Platform.Bench; do
    note "building $project (Release)"
    (cd "$REPO_ROOT" && dotnet build "$project" -c Release -nologo -v quiet) >"$WORK_DIR/build.log" 2>&1 \
      || { tail -n 40 "$WORK_DIR/build.log" >&2; die "build of $project failed (full output: $WORK_DIR/build.log)"; }
  done
fi
[[ -f "$BENCH_DLL" ]] || die "$BENCH_DLL does not exist (build first, or drop --no-build)"

per_device=$(awk -v b="$MAX_BATCH" -v bm="$BATCH_MS" -v im="$ITEM_MS" 'BEGIN { printf "%.2f", b * 1000 / (bm + b * im) }')
note "simulated device: $BATCH_MS ms per batch + $ITEM_MS ms per item, batches of up to $MAX_BATCH: at most $per_device images/s each"
note "$IMAGES image(s) per request, ${WARMUP} s warm-up + ${SECONDS_PER_RUN} s measured per configuration; work dir $WORK_DIR"

# ----------------------------------------------------------------------------------------------------- runs
ROWS=()
NOTES=()
SINGLE=""
for run in "${RUNS[@]}"; do
  read -r devices silos <<<"$run"
  name="${devices}x${silos}"
  dir="$WORK_DIR/$name"
  mkdir -p "$dir"
  clients=$(( (devices * MAX_BATCH * 2 + IMAGES - 1) / IMAGES ))
  note "== $devices device(s) over $silos silo(s) ($((devices / silos)) each), $clients clients"
  if ! start_cluster "$devices" "$silos" "$dir"; then
    stop_cluster
    NOTES+=("$name: the cluster did not start (see $dir/cluster.log and $dir/logs)")
    ROWS+=("| $devices | $silos | failed | - | - | - | - |")
    continue
  fi
  note "cluster ready; load for ${WARMUP} s + ${SECONDS_PER_RUN} s"
  rm -f "$dir/bench.json"
  rc=0
  # In the background so that a signal to this script is handled at once (bash runs traps between commands).
  dotnet "$BENCH_DLL" --target "http://127.0.0.1:$GATEWAY_PORT" --key "$KEY" --clients "$clients" --images "$IMAGES" \
    --seconds "$SECONDS_PER_RUN" --warmup-seconds "$WARMUP" --json "$dir/bench.json" > >(tee "$dir/bench.log") 2>&1 </dev/null &
  BENCH_PID=$!
  wait "$BENCH_PID" || rc=$?
  BENCH_PID=""
  note "stopping the cluster"
  stop_cluster
  if [[ ! -s "$dir/bench.json" ]]; then
    NOTES+=("$name: the bench wrote no figures (exit $rc; see $dir/bench.log)")
    ROWS+=("| $devices | $silos | failed | - | - | - | - |")
    continue
  fi
  read -r ips p50 p99 errors warm_errors < <(jq -r '[.imagesPerSecond, .latencyP50Ms, .latencyP99Ms, .errors, .warmUpErrors] | @tsv' "$dir/bench.json")
  if ((errors > 0)); then NOTES+=("$name: $errors failed request(s) in the measured window; first: $(jq -r '.firstError' "$dir/bench.json")"); fi
  if ((warm_errors > 0)); then NOTES+=("$name: $warm_errors failed request(s) in the warm-up"); fi
  if [[ "$name" == 1x1 ]]; then SINGLE=$ips; fi
  ROWS+=("$(awk -v d="$devices" -v s="$silos" -v ips="$ips" -v single="$SINGLE" -v p50="$p50" -v p99="$p99" 'BEGIN {
    if (single == "" || single == 0) { ideal = "-"; fraction = "-" }
    else { ideal = sprintf("%.2f", d * single); fraction = sprintf("%.1f %%", 100 * ips / (d * single)) }
    printf "| %d | %d | %.2f | %s | %s | %.0f ms | %.0f ms |", d, s, ips, ideal, fraction, p50, p99 }')")
done

# ---------------------------------------------------------------------------------------------------- table
{
  echo
  echo "Simulated devices: $BATCH_MS ms per batch + $ITEM_MS ms per item, batches of up to $MAX_BATCH (at most $per_device images/s each);"
  echo "$IMAGES image(s) per request, devices x $MAX_BATCH x 2 / $IMAGES clients, ${SECONDS_PER_RUN} s measured after ${WARMUP} s warm-up; $(nproc) cores."
  echo
  echo "| devices | silos | images/s | ideal (devices x single) | fraction | p50 | p99 |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  if ((${#NOTES[@]} > 0)); then
    echo
    printf -- '- %s\n' "${NOTES[@]}"
  fi
} | tee "$WORK_DIR/results.md"
note "table also in $WORK_DIR/results.md"
