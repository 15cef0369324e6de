#!/usr/bin/env bash
# Caption latency through chat: one image (drawn by the platform) captioned ROUNDS times each, alternating, by
# POST /v1/images/captions, POST /v1/chat/completions and the same with "stream": true, against a running platform
# (e.g. `dotnet run --project silos/FlowTok.Silo -c Release`, which prints its URL and development key). Default settings
# everywhere; prints each route's median, min and max seconds and the median time to the first byte.
# usage: infra/deploy/chat-latency.sh BASE_URL API_KEY [ROUNDS (10)]
set -euo pipefail
base=${1:?base URL, e.g. http://127.0.0.1:5080}; key=${2:?API key}; rounds=${3:-10}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
auth=(-H "Authorization: Bearer $key" -H 'Content-Type: application/json')

image=$(curl -sf "$base/v1/images/generations" "${auth[@]}" -d '{"prompt":"a large red circle in the center on a blue background","seed":3}' \
  | python3 -c 'import sys, json; print(json.load(sys.stdin)["data"][0]["b64_json"])')
printf '{"image":"%s"}' "$image" > "$work/cap.json"
message='"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,'"$image"'"}}]}]'
printf '{%s}' "$message" > "$work/chat.json"
printf '{"stream":true,%s}' "$message" > "$work/stream.json"

for _ in $(seq "$rounds"); do
  for kind in cap chat stream; do
    route=chat/completions; [ "$kind" = cap ] && route=images/captions
    curl -s -o /dev/null -w "$kind %{http_code} %{time_starttransfer} %{time_total}\n" "$base/v1/$route" "${auth[@]}" --data-binary "@$work/$kind.json"
  done
done | python3 -c '
import sys, statistics as st
rows = [line.split() for line in sys.stdin]
names = {"cap": "/v1/images/captions", "chat": "/v1/chat/completions", "stream": "/v1/chat/completions stream"}
for kind, name in names.items():
    total = [float(r[3]) for r in rows if r[0] == kind]; first = [float(r[2]) for r in rows if r[0] == kind]
    statuses = sorted({r[1] for r in rows if r[0] == kind})
    print(f"{name:30} status {statuses} n={len(total)} median {st.median(total):.3f} s (min {min(total):.3f}, max {max(total):.3f}), first byte median {st.median(first):.3f} s")'
