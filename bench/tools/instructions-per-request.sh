#!/bin/bash
# Instructions per GET /api/cluster/jobs/{uuid}, counted by valgrind's callgrind, for the real server (cached
# Basic auth; by default no access line for a successful GET), the same with GET auditing on (an access line per
# GET), and for bench/bare-fastify.ts serving the same job JSON. Instruction counts do not depend on what else
# the machine is doing, unlike req/s here; they do not count time in the kernel.
#   [LOG_LEVEL=info] bench/tools/instructions-per-request.sh [N=5000]   (after npm run build; about 3 minutes)
set -euo pipefail
N=${1:-5000}
WARM=3000
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/clusterimage-instr-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASSWORD=Instr-Adm1n-Pa55
AUTH="Basic $(printf 'admin:%s' "$PASSWORD" | base64)"
cd "$ROOT"

wait_for() { # file pattern
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.25; done
  echo "timed out waiting for '$2' in $1" >&2; exit 1
}

count() { # name pid url auth -> prints instructions per request
  local name=$1 pid=$2 url=$3 auth=$4
  node --import tsx bench/tools/get-loop.ts "$url" "$WARM" "$auth"
  callgrind_control -i on "$pid" >/dev/null
  node --import tsx bench/tools/get-loop.ts "$url" "$N" "$auth"
  callgrind_control -d "$pid" >/dev/null
  callgrind_control -i off "$pid" >/dev/null
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  local total
  total=$(callgrind_annotate "$(ls -S "$WORK/$name".out* | sed -n 1p)" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "$name: $((total / N)) instructions per request ($total for $N requests after $WARM warm-up)"
}

start_server() { # name -> sets SERVER and URL
  mkdir -p "$WORK/data"
  CLUSTERIMAGE_ADMIN_PASSWORD=$PASSWORD CLUSTERIMAGE_LOG_LEVEL=${LOG_LEVEL:-info} \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/$1.out" \
    node bin/clusterimage.js serve --host 127.0.0.1 --port 0 --data-dir "$WORK/data" --insecure-http >"$WORK/$1.log" 2>"$WORK/$1.err" &
  SERVER=$!
  wait_for "$WORK/$1.log" 'listening on'
  URL=$(grep -o 'listening on [^ ]*' "$WORK/$1.log" | head -1 | cut -d' ' -f3)
}

start_server server
# A job that ends at once: a download refused by a closed loopback port.
JOB=$(curl -s -u "admin:$PASSWORD" -X POST "$URL/api/cluster/software/download?return_timeout=0" \
  -H 'content-type: application/json' -d '{"url":"http://127.0.0.1:1/instr_9101_q_image.tgz"}' | grep -o '"uuid":"[^"]*"' | cut -d'"' -f4)
for _ in $(seq 400); do
  curl -s -u "admin:$PASSWORD" "$URL/api/cluster/jobs/$JOB" >"$WORK/job.json"
  grep -q '"state":"failure"' "$WORK/job.json" && break
  sleep 0.25
done
grep -q '"state":"failure"' "$WORK/job.json" || { echo "the job did not end: $(cat "$WORK/job.json")" >&2; exit 1; }
count server "$SERVER" "$URL/api/cluster/jobs/$JOB" "$AUTH"

# The same server with GET auditing on: every successful GET gets its access line (ONTAP's -httpget on).
start_server server-audit-get
curl -s -u "admin:$PASSWORD" -X PATCH "$URL/api/security/audit" -H 'content-type: application/json' -d '{"http":true}' >/dev/null
count server-audit-get "$SERVER" "$URL/api/cluster/jobs/$JOB" "$AUTH"

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/bare.out" \
  node --import tsx bench/bare-fastify.ts "$WORK/job.json" >"$WORK/bare.log" 2>"$WORK/bare.err" &
BARE=$!
wait_for "$WORK/bare.log" 'BARE'
PORT=$(grep -o 'BARE [0-9]*' "$WORK/bare.log" | cut -d' ' -f2)
count bare "$BARE" "http://127.0.0.1:$PORT/api/cluster/jobs/$JOB" ''
