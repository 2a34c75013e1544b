#!/usr/bin/env bash
# The dependency rule (docs/architecture.md): the pure crates pull in no I/O crate, and the
# four leaf crates depend on no other workspace crate. Reads `cargo tree`, so it checks what
# is really compiled in, not just what Cargo.toml names directly.
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus (the /metrics registry) is for the adapters and the app: workers in core
# report through what their rounds return.
io='^(tokio|actix[a-z_-]*|diesel[a-z_-]*|lettre|reqwest|hyper|r2d2|sqlx|postgres|rusqlite|libsqlite3-sys|pq-sys|mio|prometheus|servicedesk-(store|mail|auth|http|web)) '
status=0
for crate in lifecycle sla rbac risk core; do
  tree=$(cargo tree -e normal -p "servicedesk-$crate" --prefix none --offline 2>/dev/null || cargo tree -e normal -p "servicedesk-$crate" --prefix none)
  if bad=$(grep -E "$io" <<<"$tree" | sort -u) && [ -n "$bad" ]; then
    echo "servicedesk-$crate depends on I/O or adapter crates:"; echo "$bad"; status=1
  fi
  if [ "$crate" != core ]; then
    if inner=$(grep -E '^servicedesk-' <<<"$tree" | grep -v "^servicedesk-$crate " | sort -u) && [ -n "$inner" ]; then
      echo "servicedesk-$crate must not depend on other workspace crates:"; echo "$inner"; status=1
    fi
  fi
done
# The console is a driving adapter beside the API: it calls core's use cases and never the
# store, the mailer or the API crate (they meet only in the app).
web=$(cargo tree -e normal -p servicedesk-web --prefix none --offline 2>/dev/null || cargo tree -e normal -p servicedesk-web --prefix none)
if bad=$(grep -E '^servicedesk-(store|mail|auth|http|webhook) ' <<<"$web" | sort -u) && [ -n "$bad" ]; then
  echo "servicedesk-web depends on another adapter:"; echo "$bad"; status=1
fi
[ "$status" -eq 0 ] && echo "dependency rule holds for lifecycle, sla, rbac, risk, core, web"
exit "$status"
