#!/usr/bin/env bash
# Local AWS for integration tests: a moto server (DynamoDB, SQS, EventBridge, SES) on a free
# loopback port. Idempotent and CI-safe (no stdin, no global installs).
#
#   infra/moto.sh start   # installs moto into .venv once, starts the server, prints its URL
#   infra/moto.sh url     # prints the URL of the running server (exit 1 if none)
#   infra/moto.sh stop    # stops the server started by `start`
#   infra/moto.sh env     # prints `export AWS_...` lines for a shell: eval "$(infra/moto.sh env)"
#
# The URL is written to $RELAIS_MOTO_URL_FILE (default target/moto/url); the pid and log sit
# beside it. Tests read that file, or start the server themselves through this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
URL_FILE="${RELAIS_MOTO_URL_FILE:-$ROOT/target/moto/url}"
STATE_DIR="$(dirname "$URL_FILE")"
PID_FILE="$STATE_DIR/moto.pid"
LOG_FILE="$STATE_DIR/moto.log"
LOCK_FILE="$STATE_DIR/moto.lock"
MOTO_SPEC="${RELAIS_MOTO_SPEC:-moto[server]>=5.1,<6}"

log() { echo "moto.sh: $*" >&2; }

find_python() {
  for p in "${PYTHON:-}" python3 python; do
    if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1; then echo "$p"; return 0; fi
  done
  return 1
}

ensure_venv() {
  if [ -x "$VENV/bin/moto_server" ]; then return 0; fi
  local py
  py="$(find_python)" || { log "no python3 found"; return 3; }
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$py" -m venv "$VENV"
  fi
  log "installing $MOTO_SPEC into $VENV (once, ~1 min)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$MOTO_SPEC" </dev/null
}

free_port() {
  "$VENV/bin/python" - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

answers() {
  # moto answers GET / with 200 once it is up.
  "$VENV/bin/python" - "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=2).read()
PY
}

running_url() {
  [ -f "$PID_FILE" ] && [ -f "$URL_FILE" ] || return 1
  local pid url
  pid="$(cat "$PID_FILE")"
  url="$(cat "$URL_FILE")"
  kill -0 "$pid" 2>/dev/null || return 1
  answers "$url" || return 1
  echo "$url"
}

start() {
  mkdir -p "$STATE_DIR"
  # Serialise concurrent starts (several test binaries at once).
  exec 9>"$LOCK_FILE"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if url="$(running_url)"; then echo "$url"; return 0; fi
  ensure_venv
  local port pid url i
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  rm -f "$URL_FILE"
  # The server must not inherit the lock (fd 9), or the next `start` would wait forever.
  # setsid: the server outlives the caller's process group (cargo test) until `stop`.
  if command -v setsid >/dev/null 2>&1; then
    setsid "$VENV/bin/python" "$ROOT/infra/moto_serve.py" 127.0.0.1 "$port" </dev/null >"$LOG_FILE" 2>&1 9>&- &
  else
    nohup "$VENV/bin/python" "$ROOT/infra/moto_serve.py" 127.0.0.1 "$port" </dev/null >"$LOG_FILE" 2>&1 9>&- &
  fi
  pid=$!
  echo "$pid" >"$PID_FILE"
  for i in $(seq 1 150); do
    if answers "$url"; then
      echo "$url" >"$URL_FILE"
      log "up at $url (pid $pid)"
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  log "moto_server did not come up; log follows"
  cat "$LOG_FILE" >&2 || true
  kill "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  return 1
}

stop() {
  if [ -f "$PID_FILE" ]; then
    local pid
    pid="$(cat "$PID_FILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      log "stopped pid $pid"
    fi
    rm -f "$PID_FILE"
  fi
  rm -f "$URL_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) running_url || { log "not running"; exit 1; } ;;
  env)
    url="$(running_url)" || { log "not running"; exit 1; }
    echo "export AWS_ENDPOINT_URL=$url AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-1"
    ;;
  install) ensure_venv ;;
  *) echo "usage: $0 start|stop|url|env|install" >&2; exit 64 ;;
esac
