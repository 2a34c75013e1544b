#!/usr/bin/env bash
# Load test of the real server (docs/performance.md): builds release, starts `servicedesk
# serve` on a fresh database (SQLite by default; `scripts/load.sh postgres` uses a fresh
# database on the local PostgreSQL), runs the load generator at concurrency 32 and prints
# the server's peak RSS. Loopback only; every phase is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
concurrency="${CONCURRENCY:-32}"
seconds="${SECONDS_PER_SCENARIO:-15}"
port=18181
cargo build --release -q -p servicedesk --bin servicedesk --example load
work=$(mktemp -d)
export SERVICEDESK_DATA_DIR="$work" SERVICEDESK_ADMIN_EMAIL=load@servicedesk.local
export SERVICEDESK_ADMIN_PASSWORD=load-password-1 SERVICEDESK_RATE_LIMIT_PER_MINUTE=0
export SERVICEDESK_BIND=127.0.0.1:$port RUST_LOG=warn
db=""
if [ "$backend" = postgres ]; then
  db="sd_load_$$"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" postgres
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
fi
./target/release/servicedesk serve > "$work/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $db WITH (FORCE)" postgres || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$SERVICEDESK_ADMIN_EMAIL\",\"password\":\"$SERVICEDESK_ADMIN_PASSWORD\"}" \
  | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
echo "backend: $backend"
./target/release/examples/load "http://127.0.0.1:$port" "$token" "$concurrency" "$seconds"
echo
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
