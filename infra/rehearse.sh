#!/usr/bin/env bash
# Deployment rehearsal (README "Deploying to AWS"): template.yaml deployed on a moto server with
# IAM enforced, the six functions run as their bootstraps under local Lambda Runtime APIs with
# the stack's environment and per-function credentials, one whole guest journey.
#
#   infra/rehearse.sh                 # release bootstraps for the host architecture (as sam build, minus cross-compiling)
#   infra/rehearse.sh --debug         # the debug builds the test command already has
#   infra/rehearse.sh --drop DispatcherFunction:ssm:GetParameter   # prove a missing permission fails its step
#   infra/rehearse.sh --expect-failure "pms-webhook" --drop PmsWebhookFunction:events:PutEvents
#
# --expect-failure TEXT: succeed only if the rehearsal fails, with a FAIL line containing TEXT and
# an AWS access denial (how the test command checks that the policies are really enforced).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
cd "$ROOT"

profile=release
expect=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug; shift ;;
    --expect-failure) expect="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

if ! "$VENV/bin/python" -c "import moto, samtranslator, boto3" 2>/dev/null; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  echo "rehearse.sh: installing moto, aws-sam-translator and boto3 into $VENV (once)" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "moto[server]>=5.1,<6" "aws-sam-translator>=1.90" \
    boto3 </dev/null
fi

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FUNCTIONS=(pms-webhook campaigns-api sweep evaluator dispatcher delivery-status)
bins=()
for f in "${FUNCTIONS[@]}" relais; do bins+=(--bin "$f"); done
if [ "$profile" = release ]; then
  # shellcheck source=infra/bootstrap-build.sh
  . infra/bootstrap-build.sh
  echo "== cargo build --release (the six bootstraps and the relais CLI, as deployed: infra/bootstrap-build.sh)"
  bootstrap_cargo_build --locked "${bins[@]}"
  BIN_DIR="$(bootstrap_dir "$TARGET")"
else
  cargo build --locked "${bins[@]}"
  BIN_DIR="$TARGET/debug"
fi

run() {
  AWS_DEFAULT_REGION=eu-west-1 "$VENV/bin/python" infra/rehearse.py --bootstraps "$BIN_DIR" \
    --relais "$BIN_DIR/relais" ${args[@]+"${args[@]}"}
}

if [ -z "$expect" ]; then
  run
  exit $?
fi
set +e
output="$(run 2>&1)"
code=$?
set -e
echo "$output"
if [ "$code" -ne 0 ] && echo "$output" | grep -F "FAIL" | grep -F -- "$expect" | grep -Eqi "AccessDenied|not authorized|403"; then
  echo "== the rehearsal failed as expected: a missing permission fails its step with the AWS error"
  exit 0
fi
echo "== expected the rehearsal to fail at a step containing '$expect' with an access denial" >&2
exit 1
