#!/usr/bin/env bash
# Every performance figure of the README, measured here, printed as one Markdown table.
#
#   infra/bench.sh            # ~40-60 min on a cold 2-core machine (release and arm64 builds), less when warm
#
# Runs on a fresh machine after the README set-up (Rust, Python 3): installs cargo-lambda (PyPI,
# ships zig) into .venv, the aarch64 Rust std with rustup, and moto (infra/moto.sh) by itself.
#
#   1. criterion: planner throughput, send-time decision, webhook intake (if its bench exists),
#      sweep at 10k vs 100k reservations with the same 200 due;
#   2. DynamoDB requests per webhook and per sent message: an SDK interceptor counting the
#      store's requests, the Lambda handlers end to end on a private moto server;
#   3. `cargo lambda build --release --arm64` of the six functions: stripped bootstrap sizes;
#   4. init time (process start -> first GET /2018-06-01/runtime/invocation/next against a
#      local runtime API, median of RELAIS_BENCH_INIT_RUNS=20 starts) and peak RSS of each
#      bootstrap. arm64 binaries cannot run on an x86_64 host, so there the same functions
#      are built for the host in the same release profile and measured; the table says which;
#   5. a bounded load test of `relais serve` (release) on loopback with 1,000 bookings stored:
#      signed webhooks at a fixed rate (RELAIS_BENCH_RATE=50/s for RELAIS_BENCH_SECONDS=20 s),
#      then saturation (10 s); saturation again with RELAIS_BENCH_PREFILL=100000 stored;
#   6. `relais simulate` ingest per booking at RELAIS_BENCH_INGEST=2000,16000,100000 bookings.
#
# Results: target/bench/results/*.json, the table in target/bench/table.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/bench"
RESULTS="$OUT/results"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
INIT_RUNS="${RELAIS_BENCH_INIT_RUNS:-20}"
RATE="${RELAIS_BENCH_RATE:-50}"
SECONDS_FIXED="${RELAIS_BENCH_SECONDS:-20}"
SECONDS_SATURATE="${RELAIS_BENCH_SATURATE_SECONDS:-10}"
PREFILL_LARGE="${RELAIS_BENCH_PREFILL:-100000}"
INGEST="${RELAIS_BENCH_INGEST:-2000,16000,100000}"
FUNCTIONS=(pms-webhook campaigns-api sweep evaluator dispatcher delivery-status)
PACKAGES=()
for f in "${FUNCTIONS[@]}"; do PACKAGES+=(-p "relais-fn-$f"); done
# The baseline the six are compared with: a lambda_runtime hello built the same way.
PACKAGES+=(-p relais-fn-lambda-hello)

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
BEGIN=$(date +%s)
step() { echo "== [$(( $(date +%s) - BEGIN ))s] $*" >&2; }

# ---------------------------------------------------------------- tools
step "tools: .venv (cargo-lambda with zig), aarch64 std"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
if [ ! -x "$VENV/bin/cargo-lambda" ]; then
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q cargo-lambda </dev/null
fi
export PATH="$VENV/bin:$PATH"
LAMBDA_ARCH=arm64
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  if ! rustup target add aarch64-unknown-linux-gnu >&2; then
    echo "bench.sh: the aarch64 std cannot be installed; building the Lambdas for x86_64 instead" >&2
    LAMBDA_ARCH=x86_64
  fi
fi

# ---------------------------------------------------------------- moto (private instance)
export RELAIS_MOTO_URL_FILE="$OUT/moto/url"
MOTO_URL="$(infra/moto.sh start)"
trap 'RELAIS_MOTO_URL_FILE="$OUT/moto/url" infra/moto.sh stop >/dev/null 2>&1 || true' EXIT

# ---------------------------------------------------------------- 1. criterion
step "criterion: planner"
cargo bench -q -p relais-domain --bench planner >&2
step "criterion: sweep 10k vs 100k"
cargo bench -q -p relais-app --bench sweep >&2
if [ -f shared/app/benches/intake.rs ]; then
  step "criterion: webhook intake"
  cargo bench -q -p relais-app --bench intake >&2
fi

# ---------------------------------------------------------------- 2. DynamoDB requests
step "DynamoDB requests (Lambda handlers end to end on moto)"
RELAIS_MOTO_URL="$MOTO_URL" cargo run -q -p relais-bench --example dynamo_requests >"$RESULTS/dynamo.json"

# ---------------------------------------------------------------- 3. bootstrap sizes
step "cargo lambda build --release --$LAMBDA_ARCH (six functions)"
if [ "$LAMBDA_ARCH" = arm64 ]; then ARCH_FLAG=--arm64; else ARCH_FLAG=--x86-64; fi
# shellcheck source=infra/bootstrap-build.sh
. infra/bootstrap-build.sh
(bootstrap_rustflags; cargo lambda build --release "$ARCH_FLAG" --lambda-dir "$OUT/lambda-$LAMBDA_ARCH" "${PACKAGES[@]}" >&2)

# ---------------------------------------------------------------- host release builds
step "cargo build --release: relais, relais-bench, and the six functions for this host"
cargo build -q --release -p relais -p relais-bench >&2
# The bootstraps and the hello as deployed (position-dependent, infra/bootstrap-build.sh).
bootstrap_cargo_build -q "${PACKAGES[@]}" >&2
BENCH="$TARGET/release/relais-bench"
"$BENCH" sizes "$OUT/lambda-$LAMBDA_ARCH" --arch "$LAMBDA_ARCH" >"$RESULTS/sizes.json"

# ---------------------------------------------------------------- 4. init time and memory
HOST_ARCH="$(uname -m)"
case "$HOST_ARCH" in aarch64 | arm64) HOST_ARCH=arm64 ;; esac
if [ "$HOST_ARCH" = "$LAMBDA_ARCH" ]; then
  INIT_DIR="$OUT/lambda-$LAMBDA_ARCH"
  bootstrap_of() { echo "$INIT_DIR/$1/bootstrap"; }
else
  bootstrap_of() { echo "$(bootstrap_dir "$TARGET")/$1"; }
fi
echo "{\"kind\": \"meta\", \"init_arch\": \"$HOST_ARCH\", \"lambda_arch\": \"$LAMBDA_ARCH\"}" >"$RESULTS/meta.json"
step "init time and peak RSS, $INIT_RUNS starts each ($HOST_ARCH)"
: >"$OUT/init.log"
for f in "${FUNCTIONS[@]}" lambda-hello; do
  "$BENCH" init-time "$f" "$(bootstrap_of "$f")" --runs "$INIT_RUNS" --log "$OUT/init.log" \
    --env AWS_REGION=eu-west-1 --env AWS_DEFAULT_REGION=eu-west-1 \
    --env AWS_ACCESS_KEY_ID=testing --env AWS_SECRET_ACCESS_KEY=testing --env AWS_SESSION_TOKEN=testing \
    --env AWS_ENDPOINT_URL="$MOTO_URL" \
    --env RELAIS_TABLE=relais-bench-table \
    --env RELAIS_DISPATCH_QUEUE_URL="$MOTO_URL/123456789012/relais-bench-dispatch" \
    --env RELAIS_EVENT_BUS=relais-bench-bus \
    --env RUST_LOG=info >>"$RESULTS/init.jsonl"
done

# ---------------------------------------------------------------- 5. relais serve under load
# The scaling workload (one property, three campaigns): 1,000 bookings stored first, a fixed
# rate then saturation; then saturation again with 100,000 stored (docs/performance.md).
step "load test of relais serve, 1k stored: ${RATE}/s for ${SECONDS_FIXED}s, then saturation ${SECONDS_SATURATE}s"
"$BENCH" load --relais "$TARGET/release/relais" --prefill 1000 \
  --rate "$RATE" --seconds "$SECONDS_FIXED" --saturate-seconds "$SECONDS_SATURATE" --concurrency 16 \
  --work "$OUT/load" >"$RESULTS/load.json"
step "load test of relais serve, ${PREFILL_LARGE} stored: saturation ${SECONDS_SATURATE}s"
"$BENCH" load --relais "$TARGET/release/relais" --prefill "$PREFILL_LARGE" \
  --seconds 0 --saturate-seconds "$SECONDS_SATURATE" --concurrency 16 \
  --work "$OUT/load-large" >"$RESULTS/load-large.json"

# ---------------------------------------------------------------- 6. relais simulate ingest
step "relais simulate ingest: $INGEST bookings"
"$BENCH" ingest --relais "$TARGET/release/relais" --bookings "$INGEST" --work "$OUT/ingest" >"$RESULTS/ingest.json"

# ---------------------------------------------------------------- the table
step "done in $(( $(date +%s) - BEGIN ))s"
"$BENCH" table --criterion "$TARGET/criterion" --results "$RESULTS" | tee "$OUT/table.md"
