# Servicedesk developer tasks. `just --list` shows them.

# Start the server on embedded SQLite (pass e.g. `--demo`).
run *args:
    cargo run --release -p servicedesk -- serve {{args}}

# Seeded demo server.
demo:
    cargo run --release -p servicedesk -- serve --demo

# The README's test command.
test:
    cargo test --workspace

# Everything CI checks.
ci:
    bash .ci/run

# Format, clippy with warnings denied, and the dependency rule.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    scripts/check-deps.sh

# The README's test command with the PostgreSQL suite on the local server.
test-pg:
    SERVICEDESK_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres cargo test --workspace

# Benchmarks: SLA due dates (criterion) and the store (1M incidents).
bench:
    cargo bench -p servicedesk-sla
    SERVICEDESK_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p servicedesk-store --bench store_bench

# HTTP load test at concurrency 32 (sqlite or postgres).
load backend="sqlite":
    scripts/load.sh {{backend}}
