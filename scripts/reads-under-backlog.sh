#!/usr/bin/env bash
# Issue 12, "background work must not starve requests": the get-by-id latency on an idle
# server, then during the seconds right after a burst of creates, while the workers route
# the outbox backlog the burst left. Release server on a fresh PostgreSQL database, rate
# limit off, wrk -t2 -c32. Not part of CI (a benchmark). Prints one line per phase and the
# ratio of the p99s.   scripts/reads-under-backlog.sh [seconds per phase, default 10]
set -eu
d=${1:-10}
bin=${SERVICEDESK_BIN:-$PWD/target/release/servicedesk}
db=sd_backlog
psql -h 127.0.0.1 -U postgres -qAt -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
( cd "$work" && SERVICEDESK_RATE_LIMIT_PER_MINUTE=0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db \
  SERVICEDESK_ADMIN_EMAIL=admin@example.test SERVICEDESK_ADMIN_PASSWORD='Adm1n-pass-Word!' \
  exec "$bin" serve --bind 127.0.0.1:$port >"$work/log" 2>&1 ) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; psql -h 127.0.0.1 -U postgres -qAt -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port/api/v1"
tok=$(curl -sf -H 'Content-Type: application/json' -d '{"email":"admin@example.test","password":"Adm1n-pass-Word!"}' \
  "$base/auth/login" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
body='{"title":"printer jammed on floor 3","description":"Printer on floor 3 is jammed again.","impact":"medium","urgency":"low"}'
id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $tok" -d "$body" "$base/incidents" \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\n' "'$body'" "$tok" >"$work/post.lua"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$tok" >"$work/get.lua"
sleep 2
backlog() { psql -h 127.0.0.1 -U postgres -d $db -qAt -c "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL"; }
phase() { # name script url
  out=$(wrk -t2 -c32 -d${d}s --latency -s "$2" "$3" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$1: $rps/s p50 $p50 p99 $p99 (outbox backlog after: $(backlog))"
}
phase "get, idle" "$work/get.lua" "$base/incidents/$id"
echo "outbox backlog before the burst: $(backlog)"
phase "create burst" "$work/post.lua" "$base/incidents"
phase "get, right after the burst" "$work/get.lua" "$base/incidents/$id"
b0=$(backlog); sleep "$d"; b1=$(backlog)
echo "idle drain: $b0 -> $b1 in ${d} s ($(( (b0 - b1) / d )) events/s)"
