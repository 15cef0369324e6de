#!/usr/bin/env bash
# The storage soak (docs/OPERATIONS.md, "Storage soak"): many async jobs over loopback HTTP on the one-machine platform
# (embedded Redis-protocol server, in-memory bus, a fast simulated device), sampling Redis memory, spill files and the
# process's RSS. Exit status 0 when its targets held: every job succeeded, at least 10,000 jobs ran after the warm-up,
# RSS stayed under +5 % of the warm sample, spill files within the live data beyond memory plus two compaction windows.
# Not part of CI: it takes ~12 minutes on 2 cores.
#
#   infra/deploy/storage-soak.sh [--jobs N] [--log FILE] [-- extra arguments of the bench's --soak]
#
#   --jobs  jobs to run (default 50000: at ~80 jobs/s the warm-up takes ~30,000, so ~20,000 run after it)
#   --log   where the full output goes as well as to the terminal (default /tmp/flowtok-storage-soak.log)
set -euo pipefail

JOBS=50000
LOG=/tmp/flowtok-storage-soak.log
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    --log) LOG=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) sed -n '8,11p' "$0" >&2; exit 2 ;;
  esac
done

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build -c Release "$REPO_ROOT/bench/FlowTok.Platform.Bench" -v quiet -nologo
echo "storage soak: $JOBS jobs, 2 clients; output also in $LOG"
dotnet run -c Release --no-build --project "$REPO_ROOT/bench/FlowTok.Platform.Bench" -- \
  --soak "$JOBS" --clients 2 "${EXTRA[@]}" 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
