#!/usr/bin/env bash
# The black-box probe on the release binary: `relais serve` started as a process and fed hostile
# headers, bodies, ids, seeds and slow clients (functions/relais/tests/serve_cli.rs, docs/hardening.md).
# The test command runs the same suite on the debug binary it already has.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --release --locked -p relais
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export RELAIS_PROBE_BIN="$TARGET/release/relais"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked -p relais --test serve_cli
else
  cargo test --locked -p relais --test serve_cli
fi
