# Monte Carlo market model (sourced by bench/run.sh): bench_mc (path-days/s on 1 and 2 threads,
# 15-year paths, outputs identical for both) and its NumPy peer running the same daily model,
# in the same run; prints the ratio. Sizes: BENCH_PATHS x BENCH_DAYS for C (default 20000 x
# 5475), BENCH_PEER_PATHS x BENCH_PEER_DAYS for NumPy (default 20000 x 730). Wall-clock rates
# and, because the machine may be shared, path-days per CPU second of each process.
mc_py=/usr/bin/python3   # Debian's python3 with python3-numpy (a pyenv python may lack numpy)
[ -x "$mc_py" ] || mc_py=python3
mc_c=$("$BUILD"/bench/bench_mc "${BENCH_PATHS:-20000}" "${BENCH_DAYS:-5475}") || status=1
echo "$mc_c"
mc_p=$("$mc_py" bench/peer_numpy.py "${BENCH_PEER_PATHS:-20000}" "${BENCH_PEER_DAYS:-730}") || status=1
echo "$mc_p"
mc_2t=$(echo "$mc_c" | awk '$1=="RESULT" {print $4}')
mc_1t=$(echo "$mc_c" | awk '$1=="RESULT" {print $6}')
mc_c1=$(echo "$mc_c" | awk '$1=="RESULT" {print $10}')
mc_np=$(echo "$mc_p" | awk '$1=="RESULT" {print $4}')
mc_npc=$(echo "$mc_p" | awk '$1=="RESULT" {print $6}')
if [ -n "$mc_2t" ] && [ -n "$mc_np" ]; then
  awk -v c="$mc_2t" -v c1="$mc_1t" -v n="$mc_np" -v cc="$mc_c1" -v nc="$mc_npc" -v load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" 'BEGIN {
    printf "Monte Carlo: %.3g path-days/s on 2 threads (target >= 2e8): %s\n", c, (c >= 2e8 ? "met" : "NOT met");
    printf "ratio to NumPy: %.1fx on 2 threads, %.1fx on 1 thread (target >= 20x): %s\n", c / n, c1 / n, (c / n >= 20 ? "met" : "NOT met");
    if (cc > 0 && nc > 0)
      printf "per CPU second (robust to a shared machine; load average %s): C %.3g, NumPy %.3g path-days, ratio %.1fx; 2 cores at that rate: %.3g path-days/s\n", load, cc, nc, cc / nc, 2 * cc }'
fi
