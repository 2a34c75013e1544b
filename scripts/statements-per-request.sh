#!/usr/bin/env bash
# How many SQL statements one request of each kind costs on PostgreSQL (issue 12, "profile
# first"): the release server on a fresh database with `log_statement = all` for that
# database only, N requests of each scenario one after another, and the statements the
# server's connections logged meanwhile, minus what the background workers logged in an
# idle window of the same length. Not part of CI. Needs root (reads PostgreSQL's log).
#
#   scripts/statements-per-request.sh [N]      (default 50; prints a table)
set -eu
n=${1:-50}
log=${PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log | head -1)}
bin=${SERVICEDESK_BIN:-$PWD/target/release/servicedesk}
db=sd_statements
psql -h 127.0.0.1 -U postgres -qAt -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -h 127.0.0.1 -U postgres -qAt -c "ALTER DATABASE $db SET log_statement = 'all'" >/dev/null
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
sleep 3 # let the workers route the first events
# One line per statement the server ran: "… postgres@<db> LOG:  execute <unnamed>: SELECT …".
statements() { grep -c "@$db LOG: *\(statement\|execute\)" "$log" || true; }
creates() { for _ in $(seq 1 "$n"); do curl -sf -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $tok" -d "$body" "$base/incidents"; done; }
gets() { for _ in $(seq 1 "$n"); do curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$base/incidents/$id"; done; }
lists() { for _ in $(seq 1 "$n"); do curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$base/incidents?status=new"; done; }
printf '%-8s %10s %10s %12s %s\n' scenario statements seconds "idle(same)" "per request (minus idle)"
for s in gets lists creates; do
  before=$(statements); start=$(date +%s.%N); $s; end=$(date +%s.%N); after=$(statements)
  secs=$(python3 -c "print(round($end-$start,2))")
  ib=$(statements); sleep "$secs"; ia=$(statements)
  idle=$((ia - ib))
  per=$(python3 -c "print(round(($after-$before-$idle)/$n,2))")
  printf '%-8s %10s %10s %12s %s\n' "$s" $((after - before)) "$secs" "$idle" "$per"
done
# What one request of each kind runs, statement by statement (the workers' statements of
# the same moment may be mixed in: they name outbox, deliveries or SLA columns).
for s in gets lists creates; do
  echo "--- one of: $s"
  lines=$(wc -l <"$log")
  (n=1; $s)
  sleep 0.2
  tail -n +"$((lines + 1))" "$log" | grep "@$db LOG: *\(statement\|execute\)" \
    | sed -E 's/.*LOG: *(statement|execute [^:]*): *//' | cut -c1-150
done
