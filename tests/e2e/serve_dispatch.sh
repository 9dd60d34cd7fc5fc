#!/usr/bin/env bash
# serve_dispatch.sh - `wattmux serve SITE.yaml` with no flags but the network, from a site file
# with a serve: section (examples/site-live.yaml: two fleets of 20 emulated miners with
# different J/TH, a firm AI load eating part of the interconnect), on real ERCOT LZ_WEST prices
# (2023-02-24 15:00 .. 25 00:00 local, crossing both fleets' break-evens) replayed at 900x.
# Checks: (1) every price interval is decided, and each decision's miners per fleet equal
# floor(MW / fleet MW x miners) from a direct `wattmux dispatch` on the same prices; (2) at the
# end of each interval exactly that many miners of each fleet draw power (telemetry in SQLite);
# (3) the emulator's true power x PUE + firm AI load never exceeds the interconnect;
# (4) decisions with their inputs are in SQLite and served by /api/v1/decisions and /plan.
. "$(dirname "$0")/lib.bash" wm_sd
PRICES=$WM_SHARED/data/power/ercot_rtm_lz_hourly_2023.csv
[ -f "$PRICES" ] || { echo "missing $PRICES"; echo "[  FAILED  ] 1 test(s)"; exit 1; }
NET=$((40 + ($$ + 77) % 150))
PORT=$(freeport)
# the example, moved to this run's loopback network, port and directory: its relative paths
# (prices, db, plan_json) are resolved against the site file's directory, not the working one
ln -s "$PRICES" "$W/prices.csv"
sed -e "s#127\.0\.30\.#127.$NET.30.#g; s#127\.0\.31\.#127.$NET.31.#g" \
    -e "s#listen: 127.0.0.1:8080#listen: 127.0.0.1:$PORT#; s#db: /tmp/wattmux-live.db#db: w.db#" \
    -e "s#  \# plan_json: plan.json#  plan_json: plan.json#" \
    -e "s#csv: ../../shared/data/power/ercot_rtm_lz_hourly_2023.csv#csv: prices.csv#" examples/site-live.yaml > "$W/site.yaml"
grep -q "plan_json: plan.json" "$W/site.yaml" || echo "site.yaml: plan_json not set"
rm -f w.db
"$BUILD/wattmux-emu" --miners "127.$NET.30.1-127.$NET.30.20,127.$NET.31.1-127.$NET.31.20" --profile ctl \
  --start asleep --sleep-s 1 --wake-s 1 --trace "$W/trace" --ready "$W/ready" --duration-s 120 2>"$W/emu.err" &
EMU=$!; pids+=("$EMU")
for _ in $(seq 200); do [ -f "$W/ready" ] && break; sleep 0.05; done
# 10 hours at 900x = 40 s; stop 2 s before the replay's 11th hour ends
"$BUILD/wattmux" serve "$W/site.yaml" --duration-s 46 2>"$W/serve.err"
rc=$?
check "serve runs from the site file alone and stops cleanly" '[ "$rc" = 0 ]' "$(tail -3 "$W/serve.err")"
check "serve: paths are relative to the site file (prices.csv, db w.db in $W)" '[ -s "$W/w.db" ] && [ ! -e w.db ]'
kill "$EMU" 2>/dev/null; wait "$EMU" 2>/dev/null
"$BUILD/wattmux" dispatch "$W/site.yaml" --prices "$PRICES" --column LZ_WEST --from "2023-02-24 15:00" \
  --to "2023-02-25 01:00" --out "$W/sched.json" >/dev/null 2>"$W/dispatch.err"
check "direct dispatch on the same prices" '[ -s "$W/sched.json" ]' "$(cat "$W/dispatch.err")"
python3 - "$W" > "$W/cmp.out" 2>&1 <<'PY'
import json, sqlite3, sys, math, datetime
w = sys.argv[1]
db = sqlite3.connect(w + "/w.db")
sched = json.load(open(w + "/sched.json"))
rows = sched
fleet_mw = {"xp": 20 * 3010 * 1.05 / 1e6, "old": 20 * 3250 * 1.05 / 1e6}  # count x W x PUE
want = {}
for r in rows:
    t = datetime.datetime.strptime(r["time_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    want[t] = {f: math.floor(r["load_mw"][f] / fleet_mw[f] * 20 + 1e-9) for f in fleet_mw}
dec = db.execute("select t, detail from decisions order by id").fetchall()
bad = 0; seen = set(); running_ok = 0; checked = 0
for k, (t, det) in enumerate(dec):
    d = json.loads(det)
    mt = d["market_t"]
    if mt not in want:
        continue
    seen.add(mt)
    got = {x["fleet"]: x["target_miners"] for x in d["targets"]}
    if got != want[mt]:
        bad += 1; print("decision", k, mt, "got", got, "want", want[mt])
    if k + 1 < len(dec):  # the last telemetry sample before the next decision
        tl = db.execute("select max(t) from telemetry where t >= ? and t < ?", (t, dec[k + 1][0])).fetchone()[0]
        run = {"xp": 0, "old": 0}
        for m, p in db.execute("select miner, power_w from telemetry where t = ?", (tl,)):
            if p is not None and p > 100:
                run["xp" if ".30." in m else "old"] += 1
        checked += 1
        if run == got: running_ok += 1
        else: print("interval", k, "running", run, "target", got)
print("intervals", len(want), "decided", len(seen), "mismatched", bad, "running_ok", running_ok, "of", checked)
regimes = {tuple(v.values()) for v in want.values()}
print("regimes", sorted(regimes))
PY
cat "$W/cmp.out"
check "every price interval decided" 'grep -q "intervals 10 decided 10 " "$W/cmp.out"'
check "targets equal floor(dispatch MW / fleet MW x miners) for every decision" 'grep -q " mismatched 0 " "$W/cmp.out"'
check "the window exercises all, efficient-only and no mining" '[ "$(grep regimes "$W/cmp.out" | grep -o "(" | wc -l)" -ge 3 ]'
check "at each interval's end exactly the target miners of each fleet draw power" \
  'grep -Eq "running_ok ([0-9]+) of \1$" "$W/cmp.out" && ! grep -q "running_ok 0 of" "$W/cmp.out"'
maxw=$(sort -k2 -g "$W/trace" | tail -1 | awk '{print $2}')
check "true site power x PUE + firm AI never above the interconnect (miners max ${maxw} W)" \
  'awk -v m="$maxw" "BEGIN{exit !(m > 0 && m * 1.05 + 62500 <= 150000)}"'
q() { sqlite3 "$W/w.db" "$1"; }
check "decisions carry their inputs (price, buy, cap, firm, fleets' break-even)" \
  '[ "$(q "select count(*) from decisions where json_extract(detail,\"$.decider\")=\"dispatch\" and json_extract(detail,\"$.cap_mw\")=0.15 and json_extract(detail,\"$.fleets[0].value_usd_per_mwh\") > 100")" -ge 10 ]'
rm -f "$W/ready"
"$BUILD/wattmux-emu" --miners "127.$NET.30.1-127.$NET.30.20,127.$NET.31.1-127.$NET.31.20" --profile ctl \
  --ready "$W/ready" --duration-s 30 2>>"$W/emu.err" &
EMU=$!; pids+=("$EMU")
for _ in $(seq 200); do [ -f "$W/ready" ] && break; sleep 0.05; done
"$BUILD/wattmux" serve "$W/site.yaml" --duration-s 40 --speed 1 --db "$W/w2.db" 2>>"$W/serve.err" &
SRV=$!; pids+=("$SRV")
for _ in $(seq 60); do curl -fs "http://127.0.0.1:$PORT/api/v1/plan" 2>/dev/null | grep -q '"detail":{' && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$PORT/api/v1/plan" > "$W/api_plan.json"
curl -fs "http://127.0.0.1:$PORT/api/v1/decisions?limit=5" > "$W/dec.json"
check "/api/v1/plan shows the dispatch decision per fleet" \
  'python3 -c "import json,sys;d=json.load(open(\"$W/api_plan.json\"))[\"decision\"];sys.exit(0 if d[\"source\"]==\"dispatch\" and [f[\"fleet\"] for f in d[\"fleets\"]]==[\"xp\",\"old\"] and d[\"fleets\"][1][\"target_miners\"]==7 else 1)"'
# plan results (serve.plan_json: plan.json next to the site file): missing, then written by
# `wattmux plan`, then malformed - served as null + an error, re-read on each change
check "/api/v1/plan: missing plan file -> plan null and the reason" \
  'python3 -c "import json,sys;d=json.load(open(\"$W/api_plan.json\"));sys.exit(0 if d[\"plan\"] is None and \"No such file\" in d[\"plan_error\"] and d[\"plan_file\"]==\"$W/plan.json\" else 1)"' "$(cat "$W/api_plan.json" | head -c 300)"
"$BUILD/wattmux" plan examples/site.yaml --paths 200 --threads 1 --json > "$W/plan.tmp" && mv "$W/plan.tmp" "$W/plan.json"
planq() { # wait until /api/v1/plan satisfies the python expression $1 on d
  for _ in $(seq 40); do
    curl -fs "http://127.0.0.1:$PORT/api/v1/plan" > "$W/api_plan.json" 2>/dev/null &&
      python3 -c "import json,sys;d=json.load(open(\"$W/api_plan.json\"));f=json.load(open(\"$W/plan.json\")) if \"$2\" else None;sys.exit(0 if $1 else 1)" 2>/dev/null && return 0
    sleep 0.25
  done; return 1; }
check "/api/v1/plan serves the wattmux plan --json file next to the decision" \
  'planq "d[\"plan\"]==f and d[\"plan_error\"] is None and d[\"decision\"][\"source\"]==\"dispatch\"" 1'
printf '{"strategies": [1, 2,' > "$W/plan.json"
check "/api/v1/plan: malformed plan file re-read -> plan null, error with file:line:col" \
  'planq "d[\"plan\"] is None and \"plan.json:1:\" in d[\"plan_error\"]" ""'
echo '{"not": "a plan"}' > "$W/plan.json"
check "/api/v1/plan: JSON that is not a plan result -> plan null and why" \
  'planq "d[\"plan\"] is None and \"strategies\" in d[\"plan_error\"]" ""'
check "the daemon survived the bad plan files" 'kill -0 $SRV'
check "/api/v1/decisions serves the detail as JSON" \
  'python3 -c "import json,sys;d=json.load(open(\"$W/dec.json\"));sys.exit(0 if d[\"decisions\"] and isinstance(d[\"decisions\"][0][\"detail\"],dict) else 1)"'
kill "$SRV"; wait "$SRV"
summary
