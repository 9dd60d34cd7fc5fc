#!/usr/bin/env bash
# dashboard.sh - browser test of the dashboard: runs `wattmux serve SITE.yaml` (examples/site-live.yaml
# moved to this run's network and directory, interconnect raised to 0.6 MW: two fleets of 100
# emulated miners of mixed firmwares, counted so in fleets:, a few faults, the dispatch decider)
# and drives Chromium through tests/e2e/dashboard.mjs. The site's serve.plan_json names plan.json next to it: missing
# at first (the panel shows the decision and why there is no plan), then the test writes a real
# `wattmux plan examples/site.yaml --paths 200 --json` there and the daemon serves it at the next
# tick (no routed mock). Screenshots are kept at $BUILD/dashboard.png (whole page),
# $BUILD/dashboard-decision.png and -plan.png (the plan panel in each state) and
# $BUILD/dashboard-targets.png (the per-fleet targets), $BUILD/dashboard-control.png (the control
# card; the daemon runs with a --token-file). Needs web/node_modules (npm ci in web/).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export WM_SHARED=${WM_SHARED:-$(cd .. && pwd)/shared}
PRICES=$WM_SHARED/data/power/ercot_rtm_lz_hourly_2023.csv
[ -d web/node_modules/playwright-core ] || { echo "web/node_modules missing: run (cd web && npm ci)"; echo "[  FAILED  ] 1 test(s)."; exit 1; }
W=$(mktemp -d /tmp/wm_dash.XXXXXX)
NET=$((40 + ($$ + 77) % 150))
MINERS="127.$NET.10.1-127.$NET.10.200"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
sed -e "s#127\.0\.30\.1-127\.0\.30\.20#127.$NET.10.1-127.$NET.10.100#; s#127\.0\.31\.1-127\.0\.31\.20#127.$NET.10.101-127.$NET.10.200#" \
    -e "s#interconnect_mw: 0.15 #interconnect_mw: 0.6  #; s#count: 20\$#count: 100#; s#listen: 127.0.0.1:8080#listen: 127.0.0.1:$PORT#" \
    -e "s#db: /tmp/wattmux-live.db#db: w.db#; s#  \# plan_json: plan.json#  plan_json: plan.json#" \
    -e "s#csv: ../../shared/data/power/ercot_rtm_lz_hourly_2023.csv#csv: $PRICES#" examples/site-live.yaml > "$W/site.yaml"
"$BUILD/wattmux-emu" --miners "$MINERS" --profile mix --sleep-s 1 --wake-s 2 --fault refuse=0.02,quirk=0.05 \
  --ready "$W/ready" --duration-s 150 2>/dev/null &
EMU=$!
for _ in $(seq 100); do [ -f "$W/ready" ] && break; sleep 0.05; done
TOKEN=dashboard-token-$(printf %05d $RANDOM)-$$   # serve wants >= 16 characters
echo "$TOKEN" > "$W/token"
"$BUILD/wattmux" serve "$W/site.yaml" --interval-s 1 --sleep-s 1 --wake-s 2 --duration-s 140 --token-file "$W/token" 2>"$W/serve.err" &
SRV=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/status" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 3
node tests/e2e/dashboard.mjs "http://127.0.0.1:$PORT/" "$BUILD/dashboard.png" "$W/plan.json" "$BUILD/wattmux" "$TOKEN"
rc=$?
[ $rc = 0 ] || tail -5 "$W/serve.err"
kill $SRV $EMU 2>/dev/null; wait 2>/dev/null
rm -rf "$W"
exit $rc
