#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs and starts what the tests need (a moto
# server in .venv for the AWS adapters), runs every Rust test once over one workspace build,
# then the offline checks (SAM template lint, API fuzzing) that have their own scripts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# CI keeps its cargo target outside the clone so that a warm machine is fast.
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="$HOME/.cache/relais-target"
fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

infra/moto.sh start >/dev/null
trap 'infra/moto.sh stop >/dev/null 2>&1 || true' EXIT
RELAIS_MOTO_URL="$(infra/moto.sh url)"
export RELAIS_MOTO_URL

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

# The deployment rehearsal on the debug bootstraps (the release run is `infra/rehearse.sh`), then
# the proof that the emulator enforces the policies: without one permission, its step fails.
echo "== infra/rehearse.sh --debug"
infra/rehearse.sh --debug
echo "== infra/rehearse.sh --debug without events:PutEvents for pms-webhook (must fail)"
infra/rehearse.sh --debug --expect-failure pms-webhook --drop PmsWebhookFunction:events:PutEvents | tail -3

for check in infra/lint-template.sh infra/schemathesis.sh console/test/e2e.sh; do
  if [ -x "$check" ]; then
    echo "== $check"
    "$check"
  fi
done
echo "== all tests passed"
