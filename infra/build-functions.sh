#!/usr/bin/env bash
# Build the six Lambda bootstraps (arm64, release) with cargo-lambda, installed into .venv
# (PyPI package cargo-lambda, ships zig). Output: target/lambda/<function>/bootstrap.
#   infra/build-functions.sh            # arm64 (needs `rustup target add aarch64-unknown-linux-gnu`)
#   RELAIS_LAMBDA_ARCH=x86-64 infra/build-functions.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
cd "$ROOT"
if [ ! -x "$VENV/bin/cargo-lambda" ]; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "cargo-lambda>=1.8" </dev/null
fi
export PATH="$VENV/bin:$PATH"
# shellcheck source=infra/bootstrap-build.sh
. infra/bootstrap-build.sh
bootstrap_rustflags
ARCH="${RELAIS_LAMBDA_ARCH:-arm64}"
if [ "$ARCH" = "arm64" ] && command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
fi
FUNCTIONS=(pms-webhook campaigns-api sweep evaluator dispatcher delivery-status)
args=()
for f in "${FUNCTIONS[@]}"; do args+=(--bin "$f"); done
cargo lambda build --release "--$ARCH" "${args[@]}"
for f in "${FUNCTIONS[@]}"; do
  ls -l "target/lambda/$f/bootstrap"
done
