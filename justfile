# Servicedesk developer tasks. `just --list` shows them.

# Start the product (today: prints the CLI help; the server arrives with the HTTP issue).
run *args:
    cargo run -p servicedesk -- {{args}}

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

# Benchmarks (criterion): SLA due-date computation.
bench:
    cargo bench -p servicedesk-sla
