#!/usr/bin/env bash
# price_feed.sh - `wattmux serve --price-url` against a local HTTP JSON feed (python3
# http.server on loopback): a fresh cheap price -> "mine"; the feed's time frozen an hour in
# the past -> stale -> safe mode (curtail), an alarm, and every commandable miner stopped.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export WM_SHARED=${WM_SHARED:-$(cd .. && pwd)/shared}
W=$(mktemp -d /tmp/wm_feed.XXXXXX)
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); echo "[       OK ] $1"; else fail=$((fail+1)); echo "[  FAILED  ] $1"; fi; }
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
NET=$((40 + ($$ + 31) % 150))
MINERS="127.$NET.20.1-127.$NET.20.20"
FPORT=$(freeport); PORT=$(freeport)
mkdir -p "$W/feed"
echo "{\"price_usd_per_mwh\": 21.5, \"t\": $(date +%s)}" > "$W/feed/price.json"
(cd "$W/feed" && exec python3 -m http.server "$FPORT" --bind 127.0.0.1 >/dev/null 2>&1) &
HTTP=$!
"$BUILD/wattmux-emu" --miners "$MINERS" --profile ctl --sleep-s 1 --wake-s 1 --ready "$W/ready" --duration-s 60 2>/dev/null &
EMU=$!
for _ in $(seq 100); do [ -f "$W/ready" ] && curl -fs "http://127.0.0.1:$FPORT/price.json" >/dev/null 2>&1 && break; sleep 0.05; done
"$BUILD/wattmux" serve --miners "$MINERS" --cap-mw 1 --price-url "http://127.0.0.1:$FPORT/price.json" --stale-s 600 \
  --interval-s 0.5 --tick-s 0.5 --sleep-s 1 --wake-s 1 --confirm-margin-s 1 --db "$W/w.db" --listen 127.0.0.1:$PORT \
  --duration-s 30 2>"$W/serve.err" &
SRV=$!
st() { curl -fs "http://127.0.0.1:$PORT/api/v1/status" | python3 -c "import json,sys;d=json.load(sys.stdin);print(d.get('$1'))" 2>/dev/null; }
for _ in $(seq 60); do [ "$(st mode)" = mine ] && break; sleep 0.2; done
check "fresh feed price read (21.5 USD/MWh)" '[ "$(st price_usd_per_mwh)" = 21.5 ]'
check "cheap power: mode mine" '[ "$(st mode)" = mine ]'
echo "{\"price_usd_per_mwh\": 21.5, \"t\": $(( $(date +%s) - 3600 ))}" > "$W/feed/price.json"
for _ in $(seq 60); do [ "$(st mode)" = safe ] && break; sleep 0.2; done
check "stale feed: safe mode" '[ "$(st mode)" = safe ] && [ "$(st price_usd_per_mwh)" = None ]'
sleep 3.5
check "safe mode curtailed the fleet (power $(st power_w) W)" 'python3 -c "import sys;sys.exit(0 if float(\"$(st power_w)\") <= 30*20 else 1)"'
check "safe mode raised an alarm" '[ "$(sqlite3 "$W/w.db" "select count(*) from alarms where kind=\"safe_mode\"")" -ge 1 ]'
kill $SRV; wait $SRV; rc=$?
check "daemon stops cleanly on SIGTERM" '[ "$rc" = 0 ]'
kill $EMU $HTTP 2>/dev/null; wait 2>/dev/null
rm -rf "$W"
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -gt 0 ] && echo "[  FAILED  ] $fail test(s)."
[ "$fail" -eq 0 ]
