#!/usr/bin/env bash
# Build the operator console: type-check, bundle (Vite) into console/dist/, fingerprint the
# sources (dist/source-hash). The Rust binary embeds dist/ (functions/http/src/console.rs), so
# commit dist/ with the sources; `cargo test -p relais-http` fails when they disagree.
#
#   console/build.sh           install the locked npm packages if needed, then build
#   console/build.sh --check   build into a temporary folder and fail if it differs from dist/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

./scripts/install.sh

if [ "${1:-}" = "--check" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  npx --no-install tsc --noEmit
  npx --no-install vite build --logLevel warn --outDir "$out/dist"
  node scripts/source-hash.mjs > "$out/dist/source-hash"
  if ! diff -r "$out/dist" dist >/dev/null; then
    diff -r "$out/dist" dist | head -20 >&2 || true
    echo "console/dist is not what the sources build to: run console/build.sh and commit console/dist" >&2
    exit 1
  fi
  echo "console/dist is current"
  exit 0
fi

npx --no-install tsc --noEmit
npx --no-install vite build --logLevel warn
node scripts/source-hash.mjs --write
echo "built console/dist ($(cat dist/source-hash | cut -c1-12))"
