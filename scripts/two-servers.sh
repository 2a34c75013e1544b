#!/usr/bin/env bash
# Issue 12, "several servers": two release `servicedesk serve` processes on one PostgreSQL
# database behind a local haproxy (round robin, HTTP keep-alive to each server), the same
# wrk load as ../shared/bench/perf-vs-pgbench.sh (create, get, list; -t2 -c32), then
# checks of correctness: every incident number of the organization from 1 to the count,
# once (gapless across both processes), and every created incident's event routed.
# Not part of CI (a benchmark). Needs haproxy (apt-get install haproxy) and wrk.
#   scripts/two-servers.sh [seconds per scenario, default 10]
set -eu
d=${1:-10}
bin=${SERVICEDESK_BIN:-$PWD/target/release/servicedesk}
db=sd_two
command -v haproxy >/dev/null || { echo "haproxy is not installed (apt-get install haproxy)"; exit 1; }
psql -h 127.0.0.1 -U postgres -qAt -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
work=$(mktemp -d)
secret=$(python3 -c 'import base64,os;print(base64.b64encode(os.urandom(48)).decode())')
key=$(python3 -c 'import base64,os;print(base64.b64encode(os.urandom(32)).decode())')
pids=()
ports=()
for n in 1 2; do
  p=$(free_port); ports+=("$p"); mkdir -p "$work/s$n"
  ( cd "$work/s$n" && SERVICEDESK_RATE_LIMIT_PER_MINUTE=0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db \
    SERVICEDESK_ADMIN_EMAIL=admin@example.test SERVICEDESK_ADMIN_PASSWORD='Adm1n-pass-Word!' \
    SERVICEDESK_JWT_SECRET="$secret" SERVICEDESK_SECRET_KEY="$key" \
    exec "$bin" serve --bind 127.0.0.1:$p >"$work/s$n/log" 2>&1 ) &
  pids+=($!)
  # The first process migrates and creates the admin; the second starts on a ready schema.
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.2; done
done
lb=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 256
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend api
  bind 127.0.0.1:$lb
  default_backend servers
backend servers
  balance roundrobin
  option httpchk GET /readyz
  server s1 127.0.0.1:${ports[0]} check inter 1s
  server s2 127.0.0.1:${ports[1]} check inter 1s
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
hp=$!
trap 'kill ${pids[*]} $hp 2>/dev/null; wait 2>/dev/null; psql -h 127.0.0.1 -U postgres -qAt -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$lb/healthz" >/dev/null && break; sleep 0.2; done
sleep 2
base="http://127.0.0.1:$lb/api/v1"
tok=$(curl -sf -H 'Content-Type: application/json' -d '{"email":"admin@example.test","password":"Adm1n-pass-Word!"}' \
  "$base/auth/login" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
body='{"title":"printer jammed on floor 3","description":"Printer on floor 3 is jammed again. Steps tried: power cycle, cleared tray 2. Error code E-502 persists.","impact":"medium","urgency":"low"}'
id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $tok" -d "$body" "$base/incidents" \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\n' "'$body'" "$tok" >"$work/post.lua"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$tok" >"$work/get.lua"
phase() { # name script url
  out=$(wrk -t2 -c32 -d${d}s --latency -s "$2" "$3" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  echo "$1: $rps/s p50 $p50 p99 $p99 non-2xx ${bad:-0}"
}
phase "create (2 servers)" "$work/post.lua" "$base/incidents"
phase "get (2 servers)" "$work/get.lua" "$base/incidents/$id"
phase "list status=new (2 servers)" "$work/get.lua" "$base/incidents?status=new"
q() { psql -h 127.0.0.1 -U postgres -d $db -qAt -c "$1"; }
echo "incidents: $(q "SELECT count(*) FROM tickets WHERE kind='incident'"), numbers $(q "SELECT min(number)||'..'||max(number)||', distinct '||count(DISTINCT number) FROM tickets WHERE kind='incident'")"
for _ in $(seq 1 60); do [ "$(q "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL")" = 0 ] && break; sleep 1; done
echo "outbox left undelivered after up to 60 s: $(q "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL"), dead: $(q "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL")"
