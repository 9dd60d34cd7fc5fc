# fleet.sh - sourced by bench/run.sh: poll 10,000 emulated miners once (target < 2 s, < 200 MB).
"$BUILD"/bench/bench_poll || status=1
