#!/usr/bin/env bash
# Runs schemathesis (PyPI, version pinned in .ci/run) over the OpenAPI document of a real
# server: a fresh SQLite data dir, the rate limit off, a platform admin signed in by the hooks
# in scripts/schemathesis/hooks.py. Every check runs (`--checks all`); docs/api.md names the
# reasoning for the configuration. Usage: [SD_BIN=path/to/servicedesk] scripts/schemathesis.sh [schemathesis run options]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SD_BIN:-target/debug/servicedesk}"
work="$(mktemp -d)"
port="${SD_SCHEMATHESIS_PORT:-18181}"
export SD_BASE_URL="http://127.0.0.1:${port}"
export SD_ADMIN_EMAIL="admin@schemathesis.test"
export SD_ADMIN_PASSWORD="Schemathesis-admin-2026"
SERVICEDESK_DATA_DIR="$work/data" \
  SERVICEDESK_ADMIN_EMAIL="$SD_ADMIN_EMAIL" SERVICEDESK_ADMIN_PASSWORD="$SD_ADMIN_PASSWORD" \
  SERVICEDESK_RATE_LIMIT_PER_MINUTE=0 SERVICEDESK_BIND="127.0.0.1:${port}" \
  SERVICEDESK_TRUSTED_PROXIES=127.0.0.1 \
  "$bin" serve >"$work/server.log" 2>&1 &
server=$!
finish() {
  status=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "-- server errors (from its log) --"
    grep -iE "error|panic" "$work/server.log" | tail -n 20 || true
  fi
  rm -rf "$work"
}
trap finish EXIT
for _ in $(seq 1 60); do
  curl -sf "$SD_BASE_URL/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "$SD_BASE_URL/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }
SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/schemathesis \
  schemathesis --config-file scripts/schemathesis/schemathesis.toml run "$SD_BASE_URL/api/openapi.json" \
  --checks all \
  --max-examples "${SD_SCHEMATHESIS_EXAMPLES:-25}" \
  --seed "${SD_SCHEMATHESIS_SEED:-20261201}" \
  --generation-database none \
  --workers 1 \
  --no-color "$@"
