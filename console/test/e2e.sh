#!/usr/bin/env bash
# The console's tests: unit tests (Vitest), a check that the committed build is what the sources
# build to, then the browser tests (playwright-core driving Debian's Chromium, headless) against
# `relais serve` on a free loopback port with a temporary data directory.
# Called by infra/test.sh; runs alone too: console/test/e2e.sh
set -euo pipefail
CONSOLE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$CONSOLE/.." && pwd)"
cd "$CONSOLE"

# Debian's Chromium (a test tool's own browser download does not work here).
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing Debian's chromium"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  else
    echo "console tests need Chromium at $CHROMIUM: apt-get install chromium (or set CHROMIUM=/path)" >&2
    exit 1
  fi
fi
"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --version >/dev/null

./scripts/install.sh

echo "== console: unit tests"
npx --no-install vitest run --reporter=dot

echo "== console: committed build is current"
./build.sh --check

echo "== console: browser tests"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build -q -p relais)
export RELAIS_BIN="$TARGET/debug/relais" CHROMIUM
start=$(date +%s)
node --test --test-reporter=spec test/e2e/console.test.mjs
echo "== console: browser tests took $(( $(date +%s) - start )) s"
