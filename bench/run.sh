#!/usr/bin/env bash
# Runs every benchmark of $BUILD/bench and its peer in the same run, and prints the ratios.
# Speed is measured here, never asserted in tests. Usage: BUILD=build bench/run.sh
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
export WM_SHARED=${WM_SHARED:-$(cd .. && pwd)/shared}
status=0
field() { sed -n "s/.*$1=\([0-9.e+-]*\).*/\1/p"; }

echo "== CSV reader (ERCOT 15-min, Feb 2021)"
c=$("$BUILD"/bench/bench_series 20) || status=1
p=$(python3 bench/peer_series.py 3) || status=1
echo "$c"; echo "$p"
if [ -n "$c" ] && [ -n "$p" ]; then
  awk -v a="$(echo "$c" | field best_s)" -v b="$(echo "$p" | field best_s)" \
    'BEGIN { printf "ratio: wattmux is %.1fx faster than Python csv + zoneinfo\n", b / a }'
fi

# Other benchmarks register themselves by dropping bench/run.d/<name>.sh (sourced here).
for f in bench/run.d/*.sh; do
  [ -f "$f" ] || continue
  echo; echo "== ${f##*/}"
  . "$f" || status=1
done
exit $status
