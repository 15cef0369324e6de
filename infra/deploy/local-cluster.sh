#!/usr/bin/env bash
# A FlowTok cluster of separate processes on this machine (loopback only), for development and demos:
# a private redis-server (AOF on), a private RabbitMQ broker, N silos with D devices each and one gateway.
# Ctrl+C (or SIGTERM) stops everything it started: the gateway, then the silos (they drain), the broker, Redis.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: infra/deploy/local-cluster.sh [options] [-- extra platform arguments]

  --silos N            silo processes (default 2)
  --devices D          devices per silo (default 2 simulated GPUs: sim:0 .. sim:D-1)
  --simulated          simulated GPU devices: wall time, no CPU (default)
  --cpu                the bundled model on cpu:0, one device per silo
  --gateway-port P     the gateway's HTTP port (default 5080)
  --port-offset K      add K to every other port this script uses (two clusters side by side)
  --work-dir DIR       logs, Redis and RabbitMQ data, the development key (default /tmp/flowtok-local-cluster)
  --config C           Release (default) or Debug
  --no-build           use the existing build output
  --redis CONN         use this Redis instead of a private one (host:port[,password=…] or redis://[:password@]host:port)
  --rabbitmq URI       use this broker instead of a private one (rabbitmq://user:pass@host:5672/[vhost])
  --key KEY            the API key of tenant "local" (at least 32 characters; default: generated once, kept in the work dir)
  --fresh              delete the work dir's Redis and RabbitMQ data first
  -h, --help

Anything after "--" is passed to every platform process, e.g.
  -- --Model:Simulated:BatchLatency 00:00:00.100 --Model:MaxBatchSize 16
EOF
}

die() { echo "local-cluster: error: $*" >&2; exit 1; }
note() { echo "local-cluster: $*"; }

# ---------------------------------------------------------------------------------------------- arguments
SILOS=2
DEVICES=""
MODE=simulated
GATEWAY_PORT=""
PORT_OFFSET=0
WORK_DIR=/tmp/flowtok-local-cluster
CONFIG=Release
BUILD=1
REDIS_CONN=""
RABBITMQ_URI=""
DEV_KEY=""
FRESH=0
EXTRA_ARGS=()

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --silos) need_value "$@"; SILOS=$2; shift 2 ;;
    --devices) need_value "$@"; DEVICES=$2; shift 2 ;;
    --simulated) MODE=simulated; shift ;;
    --cpu) MODE=cpu; shift ;;
    --gateway-port) need_value "$@"; GATEWAY_PORT=$2; shift 2 ;;
    --port-offset) need_value "$@"; PORT_OFFSET=$2; shift 2 ;;
    --work-dir) need_value "$@"; WORK_DIR=$2; shift 2 ;;
    --config) need_value "$@"; CONFIG=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --redis) need_value "$@"; REDIS_CONN=$2; shift 2 ;;
    --rabbitmq) need_value "$@"; RABBITMQ_URI=$2; shift 2 ;;
    --key) need_value "$@"; DEV_KEY=$2; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; EXTRA_ARGS=("$@"); break ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

if ! is_uint "$SILOS" || ((SILOS < 1)); then die "--silos must be a positive integer, not '$SILOS'"; fi
is_uint "$PORT_OFFSET" || die "--port-offset must be a non-negative integer, not '$PORT_OFFSET'"
[[ "$CONFIG" == Release || "$CONFIG" == Debug ]] || die "--config must be Release or Debug, not '$CONFIG'"
if [[ -n "$DEVICES" ]] && { ! is_uint "$DEVICES" || ((DEVICES < 1)); }; then die "--devices must be a positive integer, not '$DEVICES'"; fi
if [[ "$MODE" == cpu ]]; then
  [[ -z "$DEVICES" || "$DEVICES" == 1 ]] || note "warning: --cpu runs one device (cpu:0) per silo; --devices $DEVICES ignored"
  DEVICES=1
else
  DEVICES=${DEVICES:-2}
fi
if [[ -n "$GATEWAY_PORT" ]]; then is_uint "$GATEWAY_PORT" || die "--gateway-port must be a port number, not '$GATEWAY_PORT'"
else GATEWAY_PORT=$((5080 + PORT_OFFSET)); fi
if [[ -n "$RABBITMQ_URI" && ! "$RABBITMQ_URI" =~ ^(rabbitmq|amqp)s?:// ]]; then die "--rabbitmq must be a rabbitmq:// or amqp:// URI, not '$RABBITMQ_URI'"; fi

# Ports (all on 127.0.0.1). Silo i (0-based) gets Orleans ports 11111+i / 30000+i and HTTP 5090+i.
REDIS_PORT=$((6380 + PORT_OFFSET))
AMQP_PORT=$((5682 + PORT_OFFSET))
DIST_PORT=$((25682 + PORT_OFFSET))   # the broker's Erlang distribution port (rabbitmqctl talks to it)
EPMD_PORT=$((4370 + PORT_OFFSET))    # a private epmd, so that stopping leaves no Erlang daemon behind
silo_port() { echo $((11111 + PORT_OFFSET + $1)); }
orleans_gateway_port() { echo $((30000 + PORT_OFFSET + $1)); }
silo_http_port() { echo $((5090 + PORT_OFFSET + $1)); }

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROJECT=silos/FlowTok.Silo
DLL="$REPO_ROOT/$PROJECT/bin/$CONFIG/net10.0/flowtok-platform.dll"
mkdir -p "$WORK_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
LOG_DIR="$WORK_DIR/logs"

# ------------------------------------------------------------------------------------------- prerequisites
command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is not on PATH"
command -v curl >/dev/null || die "curl is not on PATH (used for the health checks)"
if [[ -z "$REDIS_CONN" ]]; then
  command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install -y redis-server), or pass --redis host:port"
fi
if [[ -z "$RABBITMQ_URI" ]]; then
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed (apt-get install -y rabbitmq-server), or pass --rabbitmq URI"
  command -v epmd >/dev/null || die "epmd (Erlang) is not on PATH; it comes with rabbitmq-server's erlang packages"
fi

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

ports=("$GATEWAY_PORT")
[[ -n "$REDIS_CONN" ]] || ports+=("$REDIS_PORT")
[[ -n "$RABBITMQ_URI" ]] || ports+=("$AMQP_PORT" "$DIST_PORT" "$EPMD_PORT")
for ((i = 0; i <= SILOS; i++)); do ports+=("$(silo_port "$i")" "$(orleans_gateway_port "$i")"); done
for ((i = 0; i < SILOS; i++)); do ports+=("$(silo_http_port "$i")"); done
for p in "${ports[@]}"; do
  ! port_open 127.0.0.1 "$p" || die "port $p on 127.0.0.1 is in use (another cluster? try --port-offset 100)"
done

if [[ "$MODE" == cpu && "$SILOS" -gt 1 ]]; then
  cores=$(nproc)
  note "warning: $SILOS CPU silos on $cores cores: each runs the model with libtorch on the same cores, so more than one"
  note "         CPU silo mostly contends rather than adds throughput (each gets --Model:IntraOpThreads $(( cores / SILOS > 0 ? cores / SILOS : 1 )))"
fi

# ------------------------------------------------------------------------------------- process bookkeeping
NAMES=()     # platform processes in start order: silo-1 .. silo-N, gateway
PIDS=()
REDIS_PID=""
RMQ_PID=""
CLEANED=0
FORCE=0
DRAIN_WAIT=75   # Cluster:DrainTimeout (1 min by default) plus a margin

# Waits until pid exits or the deadline passes (or, with "hurry", until a second Ctrl+C). Returns 0 if it exited.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2)) hurry=${3:-}
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    if [[ -n "$hurry" ]] && ((FORCE)); then return 1; fi
    sleep 0.2
  done
  return 0
}

stop_platform_processes() {   # $@: indexes into NAMES/PIDS, stopped together
  local i live=()
  for i in "$@"; do
    if kill -0 "${PIDS[i]}" 2>/dev/null; then kill -TERM "${PIDS[i]}" 2>/dev/null || true; live+=("$i"); fi
  done
  for i in "${live[@]}"; do
    if wait_exit "${PIDS[i]}" "$DRAIN_WAIT" hurry; then note "stopped ${NAMES[i]}"
    else note "${NAMES[i]} did not stop in time: killing it"; kill -KILL "${PIDS[i]}" 2>/dev/null || true; fi
  done
}

cleanup() {
  ((CLEANED == 0)) || return 0
  CLEANED=1
  trap 'FORCE=1; note "hurrying: platform processes still running are killed"' INT TERM
  echo
  note "stopping (Ctrl+C again to kill instead of waiting for silos to drain)"
  local i silos=()
  for i in "${!NAMES[@]}"; do
    if [[ "${NAMES[i]}" == gateway ]]; then stop_platform_processes "$i"; else silos+=("$i"); fi
  done
  ((${#silos[@]} == 0)) || stop_platform_processes "${silos[@]}"
  if [[ -n "$RMQ_PID" ]]; then
    rmq rabbitmqctl -q -n "$RMQ_NODE" stop >/dev/null 2>&1 || true
    if wait_exit "$RMQ_PID" 30; then note "stopped rabbitmq"
    else
      # The broker's Erlang VM is a grandchild (runuser -> rabbitmq-server -> beam), in the process group setsid made.
      note "rabbitmq did not stop in time: killing it"; kill -KILL -- "-$RMQ_PID" 2>/dev/null || true
    fi
    # epmd refuses to quit while a node is still registered: a killed node takes a moment to drop out.
    for _ in {1..25}; do if epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1; then break; fi; sleep 0.2; done
  fi
  if [[ -n "$REDIS_PID" ]]; then
    kill -TERM "$REDIS_PID" 2>/dev/null || true   # redis-server flushes the AOF and exits
    if wait_exit "$REDIS_PID" 30; then note "stopped redis"
    else note "redis did not stop in time: killing it"; kill -KILL "$REDIS_PID" 2>/dev/null || true; fi
  fi
  note "logs and data are in $WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Polls url until it answers 2xx; fails early if the process exits. $1 name, $2 pid, $3 url, $4 timeout seconds, $5 log.
wait_http() {
  local name=$1 pid=$2 url=$3 deadline=$((SECONDS + $4)) log=$5
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "local-cluster: error: $name exited before answering $url; last lines of $log:" >&2
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "local-cluster: error: $name did not answer $url within $4 s; last lines of $log:" >&2
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

mkdir -p "$LOG_DIR"
for f in "$LOG_DIR"/*.log; do if [[ -e "$f" ]]; then mv -f "$f" "$f.1"; fi; done   # the previous run's logs: *.log.1
if ((FRESH)); then
  note "--fresh: deleting $WORK_DIR/redis and $WORK_DIR/rabbitmq"
  rm -rf "$WORK_DIR/redis" "$WORK_DIR/rabbitmq"
fi

# ------------------------------------------------------------------------------------------------- build
if ((BUILD)); then
  note "building $PROJECT ($CONFIG)"
  (cd "$REPO_ROOT" && dotnet build "$PROJECT" -c "$CONFIG" -nologo -v quiet) >"$LOG_DIR/build.log" 2>&1 \
    || { tail -n 40 "$LOG_DIR/build.log" >&2; die "build failed (full output: $LOG_DIR/build.log)"; }
fi
[[ -f "$DLL" ]] || die "$DLL does not exist (build first, or drop --no-build)"

# ------------------------------------------------------------------------------------------------- Redis
if [[ -z "$REDIS_CONN" ]]; then
  mkdir -p "$WORK_DIR/redis"
  note "starting redis-server on 127.0.0.1:$REDIS_PORT (AOF on, data in $WORK_DIR/redis)"
  # setsid: a Ctrl+C in the terminal reaches only this script, which then stops everything in order.
  setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK_DIR/redis" \
    --appendonly yes --appendfsync everysec --daemonize no --save "" --logfile "" \
    >"$LOG_DIR/redis.log" 2>&1 </dev/null &
  REDIS_PID=$!
  REDIS_CONN="127.0.0.1:$REDIS_PORT"
  deadline=$((SECONDS + 20))
  until port_open 127.0.0.1 "$REDIS_PORT"; do
    kill -0 "$REDIS_PID" 2>/dev/null || { tail -n 20 "$LOG_DIR/redis.log" >&2; die "redis-server exited"; }
    ((SECONDS < deadline)) || die "redis-server did not listen within 20 s (see $LOG_DIR/redis.log)"
    sleep 0.2
  done
else
  if [[ "$REDIS_CONN" == redis://* || "$REDIS_CONN" == rediss://* ]]; then   # redis://[[user]:password@]host[:port]
    rest=${REDIS_CONN#*://}; userinfo=""
    if [[ "$rest" == *@* ]]; then userinfo=${rest%@*}; rest=${rest##*@}; fi
    conn=${rest%%/*}
    if [[ "$conn" != *:* ]]; then conn+=":6379"; fi
    if [[ "$userinfo" == *:* ]]; then
      if [[ -n "${userinfo%%:*}" ]]; then conn+=",user=${userinfo%%:*}"; fi
      conn+=",password=${userinfo#*:}"
    elif [[ -n "$userinfo" ]]; then conn+=",password=$userinfo"; fi
    if [[ "$REDIS_CONN" == rediss://* ]]; then conn+=",ssl=true"; fi
    REDIS_CONN=$conn
  fi
  endpoint=${REDIS_CONN%%,*}
  port_open "${endpoint%:*}" "${endpoint##*:}" || die "cannot reach Redis at $endpoint"
  note "using Redis at $endpoint"
fi

# ---------------------------------------------------------------------------------------------- RabbitMQ
# The broker runs from RabbitMQ's own scripts with a private HOME in the work dir, which holds the Erlang cookie
# that the node and rabbitmqctl share; as root it runs as the "rabbitmq" user (what the Debian wrapper does too),
# so its directory belongs to that user.
RMQ_DIR="$WORK_DIR/rabbitmq"
RMQ_NODE="flowtok-$AMQP_PORT@localhost"
RMQ_AS_USER=""
RMQ_CMD=()
rmq_command() {   # sets RMQ_CMD to run RabbitMQ's script $1 for the private node
  RMQ_CMD=()
  if [[ -n "$RMQ_AS_USER" ]]; then RMQ_CMD=(runuser -u "$RMQ_AS_USER" --); fi
  RMQ_CMD+=(env HOME="$RMQ_DIR"
    RABBITMQ_NODENAME="$RMQ_NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT"
    RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_DIR/log"
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
    "$RMQ_BIN/$1")
}
rmq() {   # rmq <script> args...
  rmq_command "$1"; shift
  (cd "$RMQ_DIR" && "${RMQ_CMD[@]}" "$@")
}

if [[ -z "$RABBITMQ_URI" ]]; then
  # Debian's /usr/sbin/rabbitmq-* are one wrapper that su's to "rabbitmq" with that user's HOME (and cookie);
  # the real scripts are next to it.
  server=$(command -v rabbitmq-server)
  real=$(readlink -f "$server")
  if [[ "$(basename "$real")" == rabbitmq-script-wrapper ]]; then RMQ_BIN=$(dirname "$real"); else RMQ_BIN=$(dirname "$server"); fi
  [[ -x "$RMQ_BIN/rabbitmq-server" && -x "$RMQ_BIN/rabbitmqctl" ]] || die "cannot find rabbitmq-server and rabbitmqctl in $RMQ_BIN"
  if [[ $(id -u) == 0 ]] && id rabbitmq >/dev/null 2>&1; then RMQ_AS_USER=rabbitmq; fi

  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  : >"$RMQ_DIR/enabled_plugins.tmp" && mv "$RMQ_DIR/enabled_plugins.tmp" "$RMQ_DIR/enabled_plugins"   # no plugins
  echo "# private broker of infra/deploy/local-cluster.sh (listener and paths come from the environment)" >"$RMQ_DIR/rabbitmq.conf"
  : >"$RMQ_DIR/rabbitmq-env.conf"   # keeps /etc/rabbitmq/rabbitmq-env.conf out
  if [[ ! -s "$RMQ_DIR/.erlang.cookie" ]]; then
    (umask 077 && head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$RMQ_DIR/.erlang.cookie")
  fi
  chmod 400 "$RMQ_DIR/.erlang.cookie"
  if [[ -n "$RMQ_AS_USER" ]]; then
    chown -R "$RMQ_AS_USER" "$RMQ_DIR"   # the broker writes here as that user (else: eacces at boot)
    runuser -u "$RMQ_AS_USER" -- test -w "$RMQ_DIR/mnesia" \
      || die "user $RMQ_AS_USER cannot reach $RMQ_DIR (a parent directory is not searchable); use --work-dir under /tmp"
  fi
  note "starting rabbitmq-server $RMQ_NODE on 127.0.0.1:$AMQP_PORT (data in $RMQ_DIR)"
  rmq_command rabbitmq-server
  (cd "$RMQ_DIR" && exec setsid "${RMQ_CMD[@]}" >"$LOG_DIR/rabbitmq.log" 2>&1 </dev/null) &
  RMQ_PID=$!
  deadline=$((SECONDS + 90))
  until rmq rabbitmqctl -q -n "$RMQ_NODE" await_startup --timeout 10 >/dev/null 2>&1; do
    kill -0 "$RMQ_PID" 2>/dev/null || { tail -n 30 "$LOG_DIR/rabbitmq.log" >&2; die "rabbitmq-server exited (log: $LOG_DIR/rabbitmq.log)"; }
    ((SECONDS < deadline)) || die "rabbitmq-server did not start within 90 s (log: $LOG_DIR/rabbitmq.log)"
    sleep 1
  done
  RABBITMQ_URI="rabbitmq://guest:guest@127.0.0.1:$AMQP_PORT/"
  note "rabbitmq is up"
else
  hostport=${RABBITMQ_URI#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
  host=${hostport%:*}; port=${hostport##*:}; [[ "$hostport" == *:* ]] || port=5672
  port_open "$host" "$port" || die "cannot reach RabbitMQ at $host:$port"
  note "using RabbitMQ at $host:$port"
fi

# ---------------------------------------------------------------------------------------- the platform
if [[ -z "$DEV_KEY" ]]; then
  if [[ ! -s "$WORK_DIR/dev-key" ]]; then
    (umask 077 && echo "ftk-dev-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)" >"$WORK_DIR/dev-key")
  fi
  DEV_KEY=$(<"$WORK_DIR/dev-key")
fi

COMMON=(
  --Cluster:Clustering Redis
  --Cluster:AdvertisedAddress 127.0.0.1
  --Redis:ConnectionString "$REDIS_CONN"
  --Bus:Transport RabbitMQ
  --Bus:RabbitMq "$RABBITMQ_URI"
)

start_platform() {   # start_platform <name> <log> args...
  local name=$1 log=$2; shift 2
  (cd "$REPO_ROOT" && exec setsid dotnet "$DLL" "$@" "${EXTRA_ARGS[@]}" >"$log" 2>&1 </dev/null) &
  NAMES+=("$name")
  PIDS+=("$!")
}

intra_threads=$(( $(nproc) / SILOS )); ((intra_threads > 0)) || intra_threads=1
for ((i = 0; i < SILOS; i++)); do
  name="silo-$((i + 1))"
  args=("${COMMON[@]}"
    --Cluster:Role Silo
    --Cluster:SiloName "$name"
    --Cluster:SiloPort "$(silo_port "$i")"
    --Cluster:GatewayPort "$(orleans_gateway_port "$i")"
    --urls "http://127.0.0.1:$(silo_http_port "$i")"
    --Platform:DevelopmentTenant false)
  if [[ "$MODE" == cpu ]]; then
    args+=(--Model:Devices:0 cpu:0)
    ((SILOS == 1)) || args+=(--Model:IntraOpThreads "$intra_threads")
  else
    for ((d = 0; d < DEVICES; d++)); do args+=("--Model:Devices:$d" "sim:$d"); done
  fi
  if [[ "$MODE" == cpu ]]; then shown=cpu:0; elif ((DEVICES == 1)); then shown=sim:0; else shown="sim:0..sim:$((DEVICES - 1))"; fi
  start_platform "$name" "$LOG_DIR/$name.log" "${args[@]}"
  note "started $name (pid ${PIDS[-1]}, devices $shown, http://127.0.0.1:$(silo_http_port "$i"), log $LOG_DIR/$name.log)"
done

# A model load on CPU takes a while; simulated devices are immediate.
LIVE_TIMEOUT=$([[ "$MODE" == cpu ]] && echo 300 || echo 120)
for i in "${!NAMES[@]}"; do
  wait_http "${NAMES[i]}" "${PIDS[i]}" "http://127.0.0.1:$(silo_http_port "$i")/health/live" "$LIVE_TIMEOUT" "$LOG_DIR/${NAMES[i]}.log" \
    || die "${NAMES[i]} did not start"
  note "${NAMES[i]} is live"
done

# The gateway is an Orleans client: it needs no silo ports. The Orleans ports after the silos' are passed so that a
# process that ends up hosting a silo anyway does not collide with them.
start_platform gateway "$LOG_DIR/gateway.log" "${COMMON[@]}" \
  --Cluster:Role Gateway \
  --Cluster:SiloName gateway \
  --Cluster:SiloPort "$(silo_port "$SILOS")" \
  --Cluster:GatewayPort "$(orleans_gateway_port "$SILOS")" \
  --Model:Enabled false \
  --urls "http://127.0.0.1:$GATEWAY_PORT" \
  --Tenants:0:Id local \
  --Tenants:0:Name "local cluster" \
  --Tenants:0:Key "$DEV_KEY" \
  --Tenants:0:RequestsPerMinute 6000 \
  --Tenants:0:MaxConcurrentJobs 64
gw=$((${#NAMES[@]} - 1))
note "started gateway (pid ${PIDS[gw]}, http://127.0.0.1:$GATEWAY_PORT, log $LOG_DIR/gateway.log)"
wait_http gateway "${PIDS[gw]}" "http://127.0.0.1:$GATEWAY_PORT/health/ready" "$LIVE_TIMEOUT" "$LOG_DIR/gateway.log" \
  || die "the gateway did not become ready"

URL="http://127.0.0.1:$GATEWAY_PORT"
cat <<EOF

  FlowTok cluster ready: $SILOS silo(s) x $DEVICES $MODE device(s), 1 gateway
  Gateway:  $URL   (API page: $URL/docs)
  Key:      $DEV_KEY
  Try:      curl -s $URL/v1/images/generations -H "Authorization: Bearer $DEV_KEY" \\
              -H 'Content-Type: application/json' -d '{"prompt":"a large red circle in the center on a blue background"}'
  Redis:    $REDIS_CONN        RabbitMQ: ${RABBITMQ_URI}
  Logs:     $LOG_DIR/
  Ctrl+C stops everything this script started.

EOF

# Report processes that exit on their own (e.g. a silo killed to try failover); the rest keep running.
declare -A reported=()
while :; do
  for i in "${!NAMES[@]}"; do
    if [[ -z "${reported[$i]:-}" ]] && ! kill -0 "${PIDS[i]}" 2>/dev/null; then
      status=0; wait "${PIDS[i]}" 2>/dev/null || status=$?
      note "${NAMES[i]} exited (status $status; log $LOG_DIR/${NAMES[i]}.log); the others keep running"
      reported[$i]=1
    fi
  done
  sleep 1 &
  wait $! || true
done
