#!/usr/bin/env bash
# bench_http.sh - wrk against the daemon's status endpoint (target >= 20,000 requests/s on
# 2 cores, no errors; DESIGN.md "Targets"). The daemon runs against 100 emulated miners.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export WM_SHARED=${WM_SHARED:-$(cd .. && pwd)/shared}
W=$(mktemp -d /tmp/wm_bench_http.XXXXXX)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BUILD/wattmux-emu" --miners 127.21.0.1-127.21.0.100 --profile mix --ready "$W/ready" --duration-s 120 2>/dev/null &
EMU=$!
for _ in $(seq 100); do [ -f "$W/ready" ] && break; sleep 0.05; done
"$BUILD/wattmux" serve --miners 127.21.0.1-127.21.0.100 --cap-mw 1 --prices \
  "$WM_SHARED/data/power/ercot_rtm_lz_hourly_2023.csv" --price-column LZ_WEST --price-tz us-central \
  --speed 3600 --interval-s 1 --tick-s 1 --db "$W/w.db" --listen 127.0.0.1:$PORT --http-threads 2 \
  --duration-s 60 2>/dev/null &
SRV=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/status" >/dev/null 2>&1 && break; sleep 0.1; done
out=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$PORT/api/v1/status" 2>&1)
rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
errs=$(echo "$out" | awk '/Socket errors|Non-2xx/{print}')
echo "bench_http: wrk -t2 -c64 -d10s /api/v1/status: ${rps} requests/s; errors: ${errs:-none} (target >= 20000, no errors)"
kill $SRV $EMU 2>/dev/null; wait 2>/dev/null
rm -rf "$W"
[ -z "$errs" ] && awk -v r="$rps" 'BEGIN{exit !(r > 0)}'
