#!/usr/bin/env bash
# Runs every test binary of $BUILD and replays every fuzz corpus; prints per-binary results and
# the totals as "N passed, N failed". Exit status 1 if anything failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
export CMOCKA_MESSAGE_OUTPUT=stdout
export WM_BIN=${WM_BIN:-$BUILD/wattmux}
pass=0; fail=0; failed=()
for t in "$BUILD"/tests/unit/test_* "$BUILD"/tests/data/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.d) continue;; esac
  out=$("$t" 2>&1); rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END{print s+0}')
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END{print s+0}')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or failed outside cmocka
  pass=$((pass + p)); fail=$((fail + f))
  if [ "$f" -gt 0 ]; then failed+=("$t"); printf '%s\n' "$out" | grep -vE '^\[ +(RUN|OK) +\]'; fi
  printf '%-48s %4d passed %4d failed\n' "${t#$BUILD/}" "$p" "$f"
done
for r in "$BUILD"/tests/fuzz/replay_*; do
  [ -x "$r" ] || continue
  case "$r" in *.d) continue;; esac
  name=${r##*/replay_}
  if out=$("$r" "tests/fuzz/corpus/$name" 2>&1); then
    pass=$((pass + 1)); printf '%-48s %s\n' "fuzz corpus $name" "$out"
  else
    fail=$((fail + 1)); failed+=("$r"); printf '%s\n' "$out"
  fi
done
echo
[ "${#failed[@]}" -gt 0 ] && printf 'FAILED: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
