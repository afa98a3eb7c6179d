#!/usr/bin/env bash
# Run every fuzz target in turn, one process at a time (the machine is shared), for SECONDS each
# (default 300). Needs the nightly toolchain and cargo-fuzz. Logs in fuzz/logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-300}
shift || true
TARGETS=${*:-canonical_parser signature_header smoobu_webhook mews_webhook cloudbeds_webhook csv_import intake_handler}
[ -d corpus ] || ./seed.sh
mkdir -p logs
for t in $TARGETS; do
  echo "== $t ($SECONDS_EACH s)"
  cargo +nightly fuzz run -s none -a "$t" -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    -rss_limit_mb=2048 -timeout=10 > "logs/$t.log" 2>&1
  echo "exit $? ; $(grep -E '^#[0-9]+.*(DONE|pulse)' "logs/$t.log" | tail -1)"
  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "logs/$t.log"
  ls artifacts/"$t" 2>/dev/null | head
done
