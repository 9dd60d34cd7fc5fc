#!/usr/bin/env bash
# dashboard.sh - browser test of the dashboard: runs `wattmux serve` against 200 emulated
# miners (mixed firmwares, a few faults) and drives Chromium through tests/e2e/dashboard.mjs,
# giving it a real `wattmux plan --json` result for the plan panel. Screenshots are kept at
# $BUILD/dashboard.png (whole page), $BUILD/dashboard-plan.png and -decision.png (the plan
# panel in each state). Needs web/node_modules (npm ci in web/).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export WM_SHARED=${WM_SHARED:-$(cd .. && pwd)/shared}
[ -d web/node_modules/playwright-core ] || { echo "web/node_modules missing: run (cd web && npm ci)"; echo "[  FAILED  ] 1 test(s)."; exit 1; }
W=$(mktemp -d /tmp/wm_dash.XXXXXX)
NET=$((40 + ($$ + 77) % 150))
MINERS="127.$NET.10.1-127.$NET.10.200"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BUILD/wattmux-emu" --miners "$MINERS" --profile mix --sleep-s 1 --wake-s 2 --fault refuse=0.02,quirk=0.05 \
  --ready "$W/ready" --duration-s 120 2>/dev/null &
EMU=$!
for _ in $(seq 100); do [ -f "$W/ready" ] && break; sleep 0.05; done
"$BUILD/wattmux" serve --miners "$MINERS" --cap-mw 0.5 --prices "$WM_SHARED/data/power/ercot_rtm_lz_hourly_2023.csv" \
  --price-column LZ_WEST --price-tz us-central --price-start 1690815600 --speed 900 --interval-s 1 --tick-s 0.5 \
  --hashprice 110 --sleep-s 1 --wake-s 2 --db "$W/w.db" --listen 127.0.0.1:$PORT --duration-s 90 2>/dev/null &
SRV=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/status" >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/wattmux" plan --paths 200 --threads 1 --json > "$W/plan.json" || { echo "wattmux plan failed"; echo "[  FAILED  ] 1 test(s)."; kill $SRV $EMU; exit 1; }
sleep 3
node tests/e2e/dashboard.mjs "http://127.0.0.1:$PORT/" "$BUILD/dashboard.png" "$W/plan.json"
rc=$?
kill $SRV $EMU 2>/dev/null; wait 2>/dev/null
rm -rf "$W"
exit $rc
