#!/usr/bin/env bash
# The long reliability run (the quick part of each suite is in the test command):
#
#   1. shared/app/tests/exactly_once.rs, RELAIS_CHAOS_CASES=10000 generated schedules on the
#      embedded backend, once without and once with random store faults (ChaosStore), release;
#   2. the exactly-once harness of relais-bench through the Lambda handlers on the embedded
#      store: RELAIS_HARNESS_CASES=2000 schedules each without faults, with store and provider
#      faults (FaultyChannel: 429/503 before acceptance), and on the compact calendar;
#   3. the same harness on the DynamoDB store against a private moto server:
#      RELAIS_MOTO_CASES=50 schedules each without and with faults (every claim a conditional
#      write in DynamoDB; two dispatchers racing on due messages; the same SQS batch replayed
#      to two dispatchers at once);
#   4. the proof that the suite can fail (a claim without version check is caught).
#
# Invariants everywhere: no message handed to a provider twice (with provider faults: never
# again once accepted), every message in a final state once faults stop and time runs out.
# Prints a Markdown summary; the logs are in target/reliability/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/reliability"
mkdir -p "$OUT"
CHAOS_CASES="${RELAIS_CHAOS_CASES:-10000}"
HARNESS_CASES="${RELAIS_HARNESS_CASES:-2000}"
MOTO_CASES="${RELAIS_MOTO_CASES:-50}"
BEGIN=$(date +%s)
step() { echo "== [$(( $(date +%s) - BEGIN ))s] $*" >&2; }
ROWS=()

export RELAIS_MOTO_URL_FILE="$OUT/moto/url"
RELAIS_MOTO_URL="$(infra/moto.sh start)"
export RELAIS_MOTO_URL
trap 'RELAIS_MOTO_URL_FILE="$OUT/moto/url" infra/moto.sh stop >/dev/null 2>&1 || true' EXIT

# One summary row per {"suite": ...} line a test printed.
rows_of() {
  local log="$1"
  while IFS= read -r line; do
    ROWS+=("$(python3 - "$line" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
faults = []
if s["store_faults_per_mille"]:
    faults.append(f'store {s["store_faults_per_mille"] / 10:g}% of calls')
if s["provider_faults_per_mille"]:
    faults.append(f'provider {s["provider_faults_per_mille"] / 10:g}% of sends ({s["provider_faults"]} injected)')
print(f'| relais-bench harness `{s["suite"]}` | {s["cases"]} | {", ".join(faults) or "none"} | '
      f'{s["messages"]} messages, {s["sends"]} sends | {s["violations"]} | {s["seconds"]} s |')
PY
)")
  done < <(grep -E '^\{"suite"' "$log" || true)
}

timed() {
  local name="$1" log="$2"
  shift 2
  step "$name"
  local t0=$(date +%s)
  "$@" >"$log" 2>&1 || { tail -60 "$log" >&2; echo "reliability.sh: $name FAILED (log: $log)" >&2; exit 1; }
  echo $(( $(date +%s) - t0 ))
}

# 1. The shared suite, long run (release).
secs=$(RELAIS_CHAOS_CASES="$CHAOS_CASES" timed "exactly_once: $CHAOS_CASES schedules x 2 (release)" "$OUT/exactly_once.log" \
  cargo test -p relais-app --test exactly_once --release)
ROWS+=("| shared/app exactly_once \`never_twice_never_lost\` | $CHAOS_CASES | none | embedded store | 0 | $secs s (both) |")
ROWS+=("| shared/app exactly_once \`..._with_store_faults\` | $CHAOS_CASES | store 5% of calls, before and after writes | embedded store | 0 | |")

# 2. + 4. The harness on the embedded store, and the proof that it can fail.
RELAIS_HARNESS_CASES="$HARNESS_CASES" timed "harness on the embedded store: $HARNESS_CASES schedules x 3" "$OUT/harness_embedded.log" \
  cargo test -p relais-bench --test harness_embedded --test checker_can_fail -- --nocapture >/dev/null
rows_of "$OUT/harness_embedded.log"
caught=$(grep -oE 'caught in [0-9]+ of [0-9]+' "$OUT/harness_embedded.log" | head -1)
ROWS+=("| broken claim (update without version check) | 1 fixed + 64 random | none | must be caught | ${caught:-?} random schedules | |")

# 3. The harness on DynamoDB (moto).
RELAIS_MOTO_CASES="$MOTO_CASES" timed "harness on DynamoDB (moto): $MOTO_CASES schedules x 2" "$OUT/harness_moto.log" \
  cargo test -p relais-bench --test harness_moto -- --nocapture >/dev/null
rows_of "$OUT/harness_moto.log"

step "done in $(( $(date +%s) - BEGIN ))s"
echo "| suite | schedules | faults | covered | violations | time |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
