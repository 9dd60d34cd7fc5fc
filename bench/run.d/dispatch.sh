# bench/run.d/dispatch.sh - sourced by bench/run.sh: one year of 15-minute intervals with 20 load
# groups, the specialised solver vs GLPK on the same formulation (prints both and the ratio).
"$BUILD"/bench/bench_dispatch || status=1
