#!/usr/bin/env bash
# API fuzzing: schemathesis (PyPI) against `relais serve --demo` on a free port, driven by the
# served /openapi.json with the demo admin's token. Fails (non-zero) on any server error (5xx).
#
#   infra/schemathesis.sh                      # ~25 examples per operation
#   RELAIS_SCHEMATHESIS_EXAMPLES=200 infra/schemathesis.sh
#
# schemathesis lives in its own virtual environment (.venv/schemathesis, ignored by git),
# installed on first use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${RELAIS_SCHEMATHESIS_VENV:-$ROOT/.venv/schemathesis}"
SPEC="${RELAIS_SCHEMATHESIS_SPEC:-schemathesis>=4.32,<5}"
EXAMPLES="${RELAIS_SCHEMATHESIS_EXAMPLES:-25}"
SEED="${RELAIS_SCHEMATHESIS_SEED:-20261123}"

log() { echo "schemathesis.sh: $*" >&2; }

if [ ! -x "$VENV/bin/schemathesis" ]; then
  py="$(command -v python3 || command -v python)"
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  log "installing $SPEC into $VENV (once, ~1 min)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$SPEC" </dev/null
fi

cargo build -q -p relais
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/relais"

WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

RELAIS_LOG=warn "$BIN" serve --addr 127.0.0.1:0 --data "$WORK/data" --demo >"$WORK/serve.out" 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 1 150); do
  grep -q '^export TOKEN=' "$WORK/serve.out" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; log "relais serve exited"; exit 1; }
  sleep 0.2
done
BASE="$(grep -o 'http://[0-9.]*:[0-9]*' "$WORK/serve.out" | head -n1)"
TOKEN="$(sed -n 's/^export TOKEN=//p' "$WORK/serve.out")"
[ -n "$BASE" ] && [ -n "$TOKEN" ] || { cat "$WORK/serve.out" >&2; log "no address or token"; exit 1; }
log "fuzzing $BASE ($EXAMPLES examples per operation, seed $SEED)"

# Two passes: random ids (routing, auth, 404s), then the demo's real ids (validation, life
# cycle, rotation, intake and timelines on existing objects).
cat >"$WORK/deep.toml" <<'TOML'
[[operations]]
include-path-regex = "^/campaigns/\\{id\\}"
parameters = { id = "pre-3d" }
[[operations]]
include-path-regex = "^/properties/\\{id\\}"
parameters = { id = "p-lis" }
[[operations]]
include-path-regex = "^/chatbots/\\{id\\}"
parameters = { id = "bot-1" }
[[operations]]
include-path-regex = "^/users/\\{id\\}"
parameters = { id = "u-ed" }
[[operations]]
include-path-regex = "^/reservations/\\{id\\}"
parameters = { id = "r-demo-1" }
[[operations]]
include-path-regex = "^/webhooks/pms/"
parameters = { pms = "canonical", property_id = "p-lis" }
[[operations]]
include-path-regex = "^/imports/csv/"
parameters = { property_id = "p-lis" }
TOML
touch "$WORK/broad.toml"

status=0
for config in "$WORK/broad.toml" "$WORK/deep.toml"; do
  log "pass with $(basename "$config")"
  # From the scratch directory: schemathesis keeps a cache in its working directory.
  (cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$config" run "$BASE/openapi.json" \
    --checks not_a_server_error \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --phases examples,coverage,fuzzing \
    --header "Authorization: Bearer $TOKEN" \
    --request-timeout 30 \
    --generation-database none \
    --no-color </dev/null) || status=$?
done

if grep -q '"level":"ERROR"' "$WORK/serve.log"; then
  log "the server logged errors:"
  grep '"level":"ERROR"' "$WORK/serve.log" | head -n 20 >&2
  status=1
fi
if ! kill -0 "$PID" 2>/dev/null; then
  log "relais serve died during the run"
  status=1
fi
exit "$status"
