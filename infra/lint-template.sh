#!/usr/bin/env bash
# Offline validation of template.yaml: cfn-lint, the SAM translation (aws-sam-translator, no AWS
# account needed), and Relais's own rules on the translated template (infra/check_template.py):
# every queue-fed or asynchronous function has a DLQ, every DLQ an alarm, no IAM statement on a
# wildcard resource, SQS consumers report partial batch failures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
cd "$ROOT"

if [ ! -x "$VENV/bin/cfn-lint" ] || ! "$VENV/bin/python" -c "import samtranslator" 2>/dev/null; then
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  echo "lint-template.sh: installing cfn-lint and aws-sam-translator into $VENV (once)" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "cfn-lint>=1,<2" "aws-sam-translator>=1.90" </dev/null
fi

echo "== cfn-lint template.yaml"
"$VENV/bin/cfn-lint" --regions eu-west-1 -- template.yaml
echo "== SAM translation and Relais template rules"
AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}" "$VENV/bin/python" infra/check_template.py template.yaml
