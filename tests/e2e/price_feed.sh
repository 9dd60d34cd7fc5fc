#!/usr/bin/env bash
# price_feed.sh - `wattmux serve --price-url` against a local HTTP feed (python3 http.server on
# loopback): a fresh cheap price -> "mine"; the feed's time frozen an hour in the past -> stale ->
# safe mode (curtail), an alarm, and every commandable miner stopped. The same with ERCOT's
# Public API report format (NP6-905-CD): current interval -> mine; two hours old or malformed ->
# safe mode, no crash.
. "$(dirname "$0")/lib.bash" wm_feed
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
# the site file (examples/site.yaml), decided by lib/dispatch: miners' cap = (interconnect 100 MW -
# firm inference 6 MW x PUE 1.25) / the fleets' highest PUE 1.08;
# break-even = the fleets' net hashprice per facility MWh, weighted by facility MW, computed here
# independently: 68 USD/PH/day x 0.98 / (J/TH x 24 / 1000 x PUE) for s19xp (3010 W / 140 TH/s,
# PUE 1.05, 14,000 units) and s21 (3500 W / 200 TH/s, PUE 1.08, 9,000 units).
echo "{\"price_usd_per_mwh\": 250.0, \"t\": $(date +%s)}" > "$W/feed/price.json"
PORT2=$(freeport)
"$BUILD/wattmux" serve examples/site.yaml --miners "$MINERS" --price-url "http://127.0.0.1:$FPORT/price.json" \
  --stale-s 600 --interval-s 0.5 --tick-s 0.5 --db "$W/w2.db" --listen 127.0.0.1:$PORT2 --duration-s 20 2>>"$W/serve.err" &
SRV=$!
st2() { curl -fs "http://127.0.0.1:$PORT2/api/v1/status" | python3 -c "import json,sys;d=json.load(sys.stdin);print(d.get('$1'))" 2>/dev/null; }
for _ in $(seq 60); do [ "$(st2 mode)" = curtail ] && break; sleep 0.2; done
want=$(python3 -c "
a=(3010*14000*1.05, 68*0.98/(3010/140*24/1000*1.05)); b=(3500*9000*1.08, 68*0.98/(3500/200*24/1000*1.08))
print((a[0]*a[1]+b[0]*b[1])/(a[0]+b[0]))")
check "site file: cap = (100 MW - 7.5 MW firm AI) / PUE 1.08 ($(st2 cap_w) W)" \
  'python3 -c "import sys;sys.exit(0 if abs(float(\"$(st2 cap_w)\")-92.5e6/1.08)<1 else 1)"'
check "site file: break-even from the fleets ($(st2 breakeven_usd_per_mwh) vs $want USD/MWh)" \
  'python3 -c "import sys;sys.exit(0 if abs(float(\"$(st2 breakeven_usd_per_mwh)\")-$want)<1e-6*$want else 1)"'
check "site file: 250 USD/MWh is above break-even -> curtail" '[ "$(st2 mode)" = curtail ]'
kill $SRV; wait $SRV
# ERCOT's Public API report (NP6-905-CD page: fields + rows), the interval now in US Central time;
# then the same page two hours old (stale), then a broken page: safe mode, the daemon keeps running.
ercot_page() { # $1 = minutes ago, $2 = body override
  python3 - "$1" > "$W/feed/ercot.json" <<'PY'
import datetime, json, sys, zoneinfo
z = zoneinfo.ZoneInfo("America/Chicago")
t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=int(sys.argv[1]))
l = t.astimezone(z)
dst = bool(l.fold)  # the repeated hour of a fall-back day
row = lambda sp, p: [l.strftime("%Y-%m-%d"), l.hour + 1, l.minute // 15 + 1, sp, "LZ" if sp.startswith("LZ") else "HU", p, dst]
print(json.dumps({"_meta": {"totalRecords": 2}, "report": {"reportEMIL": "NP6-905-CD"},
  "fields": [{"name": n} for n in ["deliveryDate", "deliveryHour", "deliveryInterval", "settlementPoint",
                                   "settlementPointType", "settlementPointPrice", "DSTFlag"]],
  "data": [row("HB_NORTH", 999.0), row("LZ_WEST", 21.5)]}))
PY
}
ercot_page 0
PORT3=$(freeport)
"$BUILD/wattmux" serve --miners "$MINERS" --cap-mw 1 --price-url "http://127.0.0.1:$FPORT/ercot.json" --price-format ercot \
  --settlement-point LZ_WEST --stale-s 1800 --interval-s 0.5 --tick-s 0.5 --sleep-s 1 --wake-s 1 --db "$W/w3.db" \
  --listen 127.0.0.1:$PORT3 --duration-s 30 2>>"$W/serve.err" &
SRV=$!
st3() { curl -fs "http://127.0.0.1:$PORT3/api/v1/status" | python3 -c "import json,sys;d=json.load(sys.stdin);print(d.get('$1'))" 2>/dev/null; }
for _ in $(seq 60); do [ "$(st3 mode)" = mine ] && break; sleep 0.2; done
check "ercot feed: LZ_WEST price of the current interval read (21.5)" '[ "$(st3 price_usd_per_mwh)" = 21.5 ] && [ "$(st3 mode)" = mine ]'
ercot_page 120
for _ in $(seq 60); do [ "$(st3 mode)" = safe ] && break; sleep 0.2; done
check "ercot feed two hours old: safe mode" '[ "$(st3 mode)" = safe ] && [ "$(st3 price_usd_per_mwh)" = None ]'
ercot_page 0; for _ in $(seq 60); do [ "$(st3 mode)" = mine ] && break; sleep 0.2; done
echo '{"fields": [{"name": "deliveryDate"}], "data": [["2026-13-45"' > "$W/feed/ercot.json"
for _ in $(seq 60); do [ "$(st3 mode)" = safe ] && break; sleep 0.2; done
check "ercot feed malformed: safe mode, daemon still serving" '[ "$(st3 mode)" = safe ] && kill -0 $SRV'
kill $SRV; wait $SRV; rc=$?
check "daemon stops cleanly after the broken feed" '[ "$rc" = 0 ]'
kill $EMU $HTTP 2>/dev/null; wait 2>/dev/null
rm -rf "$W"
summary
