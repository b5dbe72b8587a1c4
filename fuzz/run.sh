#!/usr/bin/env bash
# Runs one fuzz target for a wall-clock budget, one process, one job, and keeps going
# after a crash: each crash ends libFuzzer's run, is left in fuzz/artifacts/<target>/,
# and the run restarts on the grown corpus until the budget is spent.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# Corpus: fuzz/corpus/<target>/ (written, gitignored) plus fuzz/seeds/<target>/ (read).
# Logs:   fuzz/logs/<target>-<segment>.log (gitignored). The last line printed is
#         "TOTAL <target> executions=<N> seconds=<S> crashes=<C>".
set -euo pipefail
target=${1:?target}
budget=${2:?seconds}
shift 2
cd "$(dirname "$0")"
mkdir -p "corpus/$target" "artifacts/$target" logs
case "$target" in
  ldif_parser|scan) len=(-max_len=65536) ;;
  *) len=() ;;
esac
# The engine's rayon pool: one worker thread, so one fuzz process uses about one core.
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-1}
cargo +nightly fuzz build "$target" >/dev/null
start=$(date +%s)
total=0
crashes=0
seg=0
while :; do
  now=$(date +%s)
  left=$((budget - (now - start)))
  [ "$left" -ge 5 ] || break
  seg=$((seg + 1))
  log="logs/$target-$seg.log"
  set +e
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$left" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    "${len[@]}" "$@" >"$log" 2>&1
  rc=$?
  set -e
  n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  total=$((total + ${n:-0}))
  if [ "$rc" -ne 0 ]; then
    crashes=$((crashes + 1))
    echo "segment $seg: exit $rc after ${n:-?} executions; see $log:" >&2
    grep -E 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|Test unit written' "$log" | head -5 >&2 || true
    # A crash that comes back at once would loop: stop after 10.
    [ "$crashes" -lt 10 ] || break
  fi
done
echo "TOTAL $target executions=$total seconds=$(( $(date +%s) - start )) crashes=$crashes"
