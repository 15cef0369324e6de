#!/usr/bin/env bash
# What unauthenticated traffic costs a gateway, measured on this machine (loopback only): the one-machine platform on a
# simulated device, with a private redis-server so Redis' own command statistics can be read.
#   1. Redis commands per N requests with one bad key, and per N requests with N distinct bad keys (INFO commandstats);
#   2. the answers those requests got (401 / 429); one connection (curl -K), so requests come quickly;
#   3. the number of series in /metrics before and after N requests with random methods and random paths;
#   4. Redis commands per N /health/ready probes;
#   5. how long after a key is revoked (admin API) the first 401 comes (skipped on a build without the admin API).
# usage: infra/deploy/auth-cost.sh [--requests N] [--redis-port P] [--http-port P] [--config Debug|Release]
#                                  [--dll flowtok-platform.dll of another build] [-- extra platform arguments]
set -euo pipefail

N=1000
REDIS_PORT=6409
HTTP_PORT=5409
CONFIG=Debug
DLL=""
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) N=$2; shift 2 ;;
    --redis-port) REDIS_PORT=$2; shift 2 ;;
    --http-port) HTTP_PORT=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    --dll) DLL=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "auth-cost: unknown argument $1" >&2; exit 2 ;;
  esac
done

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DLL=${DLL:-"$REPO_ROOT/silos/FlowTok.Silo/bin/$CONFIG/net10.0/flowtok-platform.dll"}
[[ -f "$DLL" ]] || { echo "auth-cost: build first: dotnet build silos/FlowTok.Silo -c $CONFIG" >&2; exit 2; }
WORK=$(mktemp -d /tmp/flowtok-auth-cost.XXXXXX)
URL="http://127.0.0.1:$HTTP_PORT"
KEY="ftk-auth-cost-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
ADMIN_KEY="ftk-admin-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=("$!")
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

dotnet "$DLL" --urls "$URL" --Redis:ConnectionString "127.0.0.1:$REDIS_PORT" --Model:Devices:0 sim:0 \
  --Cluster:SiloPort $((HTTP_PORT + 3000)) --Cluster:GatewayPort $((HTTP_PORT + 4000)) --Cluster:SiloName auth-cost \
  --Platform:DevelopmentTenant false --Tenants:0:Id auth-cost --Tenants:0:Key "$KEY" \
  --Gateway:AdminKey "$ADMIN_KEY" --Logging:LogLevel:Default Warning "${EXTRA[@]}" >"$WORK/platform.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 600); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready")" == 200 ]] && break
  sleep 0.2
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready")" == 200 ]] || { cat "$WORK/platform.log"; exit 1; }

commands() { redis-cli -p "$REDIS_PORT" info commandstats | awk -F'[=,:]' '/^cmdstat_/ { n += $3 } END { print n + 0 }'; }
# send <curl config>: runs the requests of a curl config file on one connection; prints the answers as "CODE xCOUNT".
send() { sed '$d' "$1" | curl -s -K - | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 } END { print "" }'; }
# request <method> <path> [key]: one request of a curl config file.
request() {
  printf 'url = "%s%s"\nrequest = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$URL" "$2" "$1"
  [[ -z "${3:-}" ]] || printf 'header = "Authorization: Bearer %s"\n' "$3"
  echo next
}
# measure <label> <curl config>: Redis commands (less the INFO that reads them) and answers of the requests.
measure() {
  local before answers
  before=$(commands)
  answers=$(send "$2")
  printf '%-19s %s Redis commands; answers: %s\n' "$1:" "$(( $(commands) - before - 1 ))" "$answers"
}

echo "setup: one-machine platform (sim:0, $CONFIG), redis-server 127.0.0.1:$REDIS_PORT, $N requests per line, one client address"
sleep 5; before=$(commands); sleep 10
echo "idle:               $(( $(commands) - before - 1 )) Redis commands in 10 s (background: model registry, admission)"
for _ in $(seq "$N"); do request GET /v1/usage ftk-not-a-key-0123456789abcdef0123; done >"$WORK/one-key"
measure "one bad key" "$WORK/one-key"
for i in $(seq "$N"); do request GET /v1/usage "ftk-bad-$i-$RANDOM$RANDOM"; done >"$WORK/distinct-keys"
measure "distinct bad keys" "$WORK/distinct-keys"
for _ in $(seq "$N"); do request GET /health/ready; done >"$WORK/ready"
measure "/health/ready" "$WORK/ready"

series() { curl -s "$URL/metrics" | grep -v '^#' | grep -c . ; }
curl -s -o /dev/null "$URL/metrics"   # its own series
before=$(series)
for i in $(seq "$N"); do request "M$RANDOM$i" "/v1/x$RANDOM$i"; request GET "/r$RANDOM/$i"; done >"$WORK/noise"
send "$WORK/noise" >/dev/null
echo "/metrics series:    $before before, $(series) after $N requests with random methods and $N with random paths"

created=$(curl -s -X POST -H "Authorization: Bearer $ADMIN_KEY" "$URL/admin/tenants/auth-cost/keys")
key=$(sed -n 's/.*"key":"\([^"]*\)".*/\1/p' <<<"$created")
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$created")
if [[ -z "$key" ]]; then echo "revocation:         no admin API ($created)"; exit 0; fi
curl -s -o /dev/null -H "Authorization: Bearer $key" "$URL/v1/usage"   # cached by the gateway now
start=$(date +%s%N)
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $ADMIN_KEY" "$URL/admin/tenants/auth-cost/keys/$id"
until [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$URL/v1/usage")" == 401 ]]; do :; done
echo "revocation:         first 401 $(( ($(date +%s%N) - start) / 1000000 )) ms after the DELETE was sent"
