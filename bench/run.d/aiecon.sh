# AI economics hot paths (sourced by bench/run.sh): the per-day API the planner calls and the
# inference roofline. No peer: the point is the path-days/s budget of the Monte Carlo.
"$BUILD"/bench/bench_aiecon || status=1
