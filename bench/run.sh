#!/usr/bin/env bash
# Runs every benchmark binary of $BUILD/bench and any bench/*.py peer baselines, printing what
# each reports. Benchmarks measure; they never fail a build on speed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
rc=0
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  case "$b" in *.d) continue;; esac
  echo "== ${b#$BUILD/}"
  "$b" || rc=1
done
for p in bench/*.py; do
  [ -f "$p" ] || continue
  echo "== $p"
  python3 "$p" || rc=1
done
exit $rc
