#!/usr/bin/env bash
# serve_cycle.sh - end to end: `wattmux serve` against 1,000 emulated miners (LuxOS and
# bosminer, starting asleep) with the fault types of control.md section 6 injected, replaying
# real ERCOT LZ_WEST prices (2023-07-31, a day that crosses the break-even several times) at
# 900x. Fault 9 includes reverts: 10% of applied curtails are undone by the miner 4 s later
# (2 x sleep_s; sleep_s 2, not 1, so that a tick sees the miner asleep before it reverts: with 1 s
# a run under load could confirm none of its stops in time and detect no revert).
# Checks: the emulator's true site power never exceeds the cap through full curtail/wake
# cycles (reverts included); reverts are counted (command rows "reverted", the metric) and
# reverted miners are curtailed again, alarmed once they revert twice; every command is confirmed
# or alarmed; missing telemetry is never 0 W; the API
# (status, fleet, history, auth, body limit); `promtool check metrics` accepts /metrics and a
# real Prometheus server scrapes it; kill -9 of the daemon mid-run, restart: integrity_check
# ok, no committed record missing, in-flight commands shown. Prints cmocka-style totals.
# Usage: BUILD=build tests/e2e/serve_cycle.sh   (WM_SHARED defaults to ../shared)
. "$(dirname "$0")/lib.bash" wm_e2e
PRICES=$WM_SHARED/data/power/ercot_rtm_lz_hourly_2023.csv
[ -f "$PRICES" ] || { echo "missing $PRICES"; echo "[  FAILED  ] 1 test(s)"; exit 1; }
for b in wattmux wattmux-emu; do [ -x "$BUILD/$b" ] || { echo "missing $BUILD/$b"; echo "[  FAILED  ] 1 test(s)"; exit 1; }; done

NET=$((40 + $$ % 150))
MINERS="127.$NET.0.1-127.$NET.3.239"          # 1,000 addresses (.0/.255 skipped)
CAP_MW=2.0
PORT=$(freeport)
TOKEN=e2e-token-0123456789abcdef
echo "$TOKEN" > "$W/token"
"$BUILD/wattmux-emu" --miners "$MINERS" --profile ctl --start asleep --sleep-s 2 --wake-s 2 \
  --fault delay=0.002,silence=0.0005,refuse=0.002,partial=0.002,drip=0.01,quirk=0.05,shape=0.01,stale=0.0005,curtail_ignore=0.02,curtail_late=0.02,curtail_revert=0.1 \
  --delay-max-s 1 --seed 11 --trace "$W/trace" --ready "$W/ready" --duration-s 300 2>"$W/emu.err" &
EMU=$!; pids+=("$EMU")
for _ in $(seq 200); do [ -f "$W/ready" ] && break; sleep 0.05; done
serve() { # $1 = duration
  "$BUILD/wattmux" serve --miners "$MINERS" --cap-mw $CAP_MW --prices "$PRICES" --price-column LZ_WEST \
    --price-tz us-central --price-start 1690815600 --speed 900 --interval-s 1 --tick-s 0.5 --hashprice 110 \
    --sleep-s 2 --wake-s 2 --confirm-margin-s 1.5 --stale-telemetry-s 5 --db "$W/w.db" \
    --listen 127.0.0.1:$PORT --token-file "$W/token" --duration-s "$1" 2>>"$W/serve.err" &
  SERVE=$!; pids+=("$SERVE")
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/status" >/dev/null 2>&1 && break; sleep 0.1; done
}
# ---------------------------------------------------------------- run 1: full cycles
# 40 s at 900x: mine, a curtail phase around 26-36 s (where reverts show), mine again
serve 40
sleep 6
S=$(curl -fs "http://127.0.0.1:$PORT/api/v1/status")
check "status endpoint returns site JSON" '[ "$(echo "$S" | python3 -c "import json,sys;d=json.load(sys.stdin);print(d[\"miners\"]>=1000 and \"power_w\" in d)")" = True ]'
curl -fs "http://127.0.0.1:$PORT/metrics" > "$W/metrics.txt"
check "promtool check metrics accepts /metrics" 'promtool check metrics < "$W/metrics.txt" > "$W/promtool.out" 2>&1' "$(head -5 "$W/promtool.out" 2>/dev/null)"
check "metrics carry the control.md names" 'grep -q "^miner_power_watts{miner=\"127.$NET.0.1:4028\",source=\"reported\"}" "$W/metrics.txt" && grep -q "^curtail_commands_total{verb=\"stop\"" "$W/metrics.txt"'
check "no miner reported at 0 W in /metrics" '! grep -E "^miner_power_watts\{.*\} 0(\.0)?$" "$W/metrics.txt"'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"mode":"curtail"}' "http://127.0.0.1:$PORT/api/v1/mode")
check "control endpoint refuses without token (401)" '[ "$code" = 401 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer wrong-token-xxxxxxxx" -d '{"mode":"curtail"}' "http://127.0.0.1:$PORT/api/v1/mode")
check "control endpoint refuses a wrong token (401)" '[ "$code" = 401 ]'
head -c 10000 /dev/zero | tr '\0' 'a' > "$W/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" --data-binary @"$W/big" "http://127.0.0.1:$PORT/api/v1/mode")
check "body over 4 KB refused (413)" '[ "$code" = 413 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -d '{"mode":"bogus"}' "http://127.0.0.1:$PORT/api/v1/mode")
check "bad mode refused (400)" '[ "$code" = 400 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/history?limit=abc")
check "bad query refused (400)" '[ "$code" = 400 ]'
# real Prometheus scrape
PPORT=$(freeport)
cat > "$W/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: wattmux
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
EOF
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" --web.listen-address=127.0.0.1:$PPORT \
  >"$W/prom.log" 2>&1 &
PROM=$!; pids+=("$PROM")
got=""
for _ in $(seq 60); do
  got=$(curl -fs "http://127.0.0.1:$PPORT/api/v1/query?query=site_power_cap_watts" 2>/dev/null | \
        python3 -c 'import json,sys;r=json.load(sys.stdin)["data"]["result"];print(r[0]["value"][1] if r else "")' 2>/dev/null)
  [ -n "$got" ] && break; sleep 0.5
done
check "a real Prometheus server scraped /metrics (site_power_cap_watts=$got)" '[ "$got" = 2000000 ]'
up=$(curl -fs "http://127.0.0.1:$PPORT/api/v1/targets" | python3 -c 'import json,sys;t=json.load(sys.stdin)["data"]["activeTargets"];print(t[0]["health"] if t else "")' 2>/dev/null)
check "Prometheus target health is up" '[ "$up" = up ]'
kill "$PROM" 2>/dev/null; wait "$PROM" 2>/dev/null
wait "$SERVE"; rc=$?
check "daemon run 1 exits cleanly (status 0)" '[ "$rc" = 0 ]' "$(tail -3 "$W/serve.err")"
q() { sqlite3 "$W/w.db" "$1"; }
check "decisions include both mine and curtail" '[ "$(q "select count(distinct mode) from decisions where mode in (\"mine\",\"curtail\")")" = 2 ]'
check "stop and resume commands were confirmed" '[ "$(q "select count(*) from commands where state=\"confirmed\" and verb=\"stop\"")" -gt 100 ] && [ "$(q "select count(*) from commands where state=\"confirmed\" and verb=\"resume\"")" -gt 100 ]'
maxw=$(sort -k2 -g "$W/trace" | tail -1 | awk '{print $2}')
check "true site power never above the cap (max ${maxw} W, cap 2000000 W)" 'awk -v m="$maxw" "BEGIN{exit !(m <= 2000000)}"'
revs=$(tail -1 "$W/trace" | awk '{print $4}')
check "fault 9: miners reverted applied curtails ($revs so far)" '[ "${revs:-0}" -gt 0 ]'
# a stop sent to a miner whose previous command was a confirmed stop it undid by itself
recurt=$(q "with c as (select verb, state, lag(verb) over (partition by miner order by id) pv,
                              lag(state) over (partition by miner order by id) ps from commands)
            select count(*) from c where verb='stop' and pv='stop' and ps='reverted'")
check "reverted miners were curtailed again ($recurt re-curtail(s))" '[ "$recurt" -gt 0 ]'
nrev=$(q "select count(*) from commands where state='reverted'")
mrev=$(grep '^curtail_commands_total{verb="stop",outcome="reverted"}' "$W/metrics.txt" | awk '{print $2}')
check "reverts counted: $nrev stop(s) marked reverted, metric ${mrev:-missing} at 6 s" '[ "$nrev" -gt 0 ] && [ -n "$mrev" ]'
# a miner reverting twice within revert_window_s is alarmed once and no longer commanded
ralarm=$(q "select count(*) from alarms where kind='curtail_reverted'")
twice=$(q "select count(*) from (select miner from commands where state='reverted' group by miner having count(*) >= 2)")
# (with 10% reverts and a few curtail phases per miner, few or none revert twice in this run;
# tests/unit/test_ctl.c drives every miner of a fleet into the alarm)
check "curtail_reverted alarms: $ralarm, one per miner that reverted twice ($twice)" '[ "$ralarm" = "$twice" ]'
after=$(q "select count(*) from commands c join alarms a on a.miner = c.miner and a.kind='curtail_reverted' where c.t_created > a.t")
check "alarmed reverting miners are not commanded again ($after command(s))" '[ "$after" = 0 ]'
# A command must end within max_attempts (3) x (wake_s 2 + margin 1.5 s = 7 ticks of 0.5 s, + 1)
# ticks; counted in controller ticks (site rows), which holds however slow a tick is (ASan).
open=$(q "select count(*) from commands c where state not in ('confirmed','alarmed','unsupported')
          and (select count(*) from site s where s.t > c.t_created) > 30")
check "every command is confirmed or alarmed within its retry window ($open open)" '[ "$open" = 0 ]'
check "missing telemetry never stored as 0 W" '[ "$(q "select count(*) from telemetry where power_w = 0 or (ok = 0 and power_w is not null)")" = 0 ]'
check "faults were seen (unknown telemetry recorded as NULL)" '[ "$(q "select count(*) from telemetry where ok = 0 and power_w is null")" -gt 0 ]'
check "curtail_ignore faults were re-sent or alarmed" '[ "$(q "select count(*) from commands where attempts > 1 or state = \"alarmed\"")" -gt 0 ]'
# ---------------------------------------------------------------- run 2: kill -9 mid-run, restart
serve 60
sleep 5
# the operator's reset of reverting miners (here, not in run 1, whose revert checks it would change)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -d '{"miner":"*"}' "http://127.0.0.1:$PORT/api/v1/miners/reset")
check "miner reset accepted (202)" '[ "$code" = 202 ]'
for _ in $(seq 40); do grep -q 'reset \*: curtail reverts cleared on' "$W/serve.err" && break; sleep 0.1; done
check "the reset reached the controller at its next tick" 'grep -q "reset \*: curtail reverts cleared on" "$W/serve.err"' "$(tail -2 "$W/serve.err")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -d '{"miner":"10.255.255.1:4028"}' "http://127.0.0.1:$PORT/api/v1/miners/reset")
check "reset of a miner not in the fleet refused (404)" '[ "$code" = 404 ]'
maxid=$(q "select coalesce(max(id),0) from commands")
ntel=$(q "select count(*) from telemetry")
kill -9 "$SERVE"; wait "$SERVE" 2>/dev/null
check "integrity_check ok after kill -9" '[ "$(q "pragma integrity_check")" = ok ]'
check "no committed command missing after kill -9 ($maxid)" '[ "$(q "select count(*) from commands where id <= $maxid")" = "$maxid" ]'
check "no committed telemetry missing after kill -9" '[ "$(q "select count(*) from telemetry")" -ge "$ntel" ]'
inflight=$(q "select count(*) from commands where state in ('pending','sent','acked')")
serve 4
wait "$SERVE"; rc=$?
check "restart after kill -9 runs and exits cleanly" '[ "$rc" = 0 ]'
check "restart marked the $inflight in-flight command(s) interrupted" '[ "$(q "select count(*) from commands where state=\"interrupted\"")" -ge "$inflight" ] && grep -q "in flight" "$W/serve.err" || [ "$inflight" = 0 ]'
check "integrity_check ok after restart" '[ "$(q "pragma integrity_check")" = ok ]'
kill "$EMU"; wait "$EMU" 2>/dev/null
summary
