# http.sh - sourced by bench/run.sh: wrk against `wattmux serve` /api/v1/status (target >= 20,000 req/s).
BUILD=$BUILD bash bench/bench_http.sh || status=1
