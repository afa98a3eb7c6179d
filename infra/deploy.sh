#!/usr/bin/env bash
# Build with SAM (BuildMethod rust-cargolambda, cargo-lambda from .venv) and deploy.
#   infra/deploy.sh            # first time: guided (asks for the stack name, region, parameters)
#   infra/deploy.sh --no-guided
# Needs AWS credentials and the SAM CLI (installed into .venv if missing). See infra/deploy.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
cd "$ROOT"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
[ -x "$VENV/bin/sam" ] || "$VENV/bin/python" -m pip install --disable-pip-version-check -q aws-sam-cli </dev/null
[ -x "$VENV/bin/cargo-lambda" ] || "$VENV/bin/python" -m pip install --disable-pip-version-check -q "cargo-lambda>=1.8" </dev/null
export PATH="$VENV/bin:$PATH" SAM_CLI_TELEMETRY=0
infra/lint-template.sh
# shellcheck source=infra/bootstrap-build.sh
. infra/bootstrap-build.sh
bootstrap_rustflags  # sam build runs cargo lambda build --target ...
sam build --beta-features
if [ "${1:-}" = "--no-guided" ]; then
  sam deploy
else
  sam deploy --guided
fi
