/* bench_aiecon.c - throughput of the AI economics hot paths: wm_aiecon_day (called per
 * Monte Carlo path-day by the planner; allocation-free) and wm_llm_serve (one roofline with
 * TP search). Prints calls per second; not a test. */
#include "aiecon.h"
#include "llm.h"

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    wm_aiecon p;
    wm_aiecon_defaults(&p);
    wm_ai_shock_deepseek_r1(&p.shock, 400);
    long n = 20000000;
    double sink = 0, t0 = now();
    for (long i = 0; i < n; i++) {
        wm_ai_day_in d = {.day = (double)(i % 3650), .power_usd_per_mwh = 20 + (i % 97),
                          .token_price_mult = 1, .rent_mult = 1};
        wm_ai_day_out o;
        wm_aiecon_day(&p, &d, &o);
        sink += o.net[i & 3];
    }
    double dt = now() - t0;
    printf("bench_aiecon: wm_aiecon_day %.3g path-days/s (4 modes each; checksum %.6g)\n", n / dt, sink);

    /* the planner's split: one base per day shared by all paths, apply per path-day */
    wm_ai_day_base base[64];
    for (int d = 0; d < 64; d++)
        wm_aiecon_base(&p, 10.0 * d, &base[d]);
    t0 = now();
    for (long i = 0; i < n; i++) {
        wm_ai_day_in d = {.day = 0, .power_usd_per_mwh = 20 + (i % 97), .token_price_mult = 1, .rent_mult = 1};
        wm_ai_day_out o;
        wm_aiecon_apply(&base[i & 63], &d, &o);
        sink += o.net[i & 3];
    }
    dt = now() - t0;
    printf("bench_aiecon: wm_aiecon_apply %.3g path-days/s (checksum %.6g)\n", n / dt, sink);

    const wm_llm *m;
    const wm_gpu *g;
    wm_llm_find(NULL, "llama-2-70b", &m, NULL);
    wm_gpu_find(NULL, "h100", &g, NULL);
    wm_serve_in in = {.model = m, .gpu = g, .n_gpus = 8, .tp = 0, .prec = WM_PREC_FP8, .kv_bytes = 1,
                      .input_tokens = 300, .output_tokens = 294.45, .tpot_target_s = 0.04,
                      .eff = WM_LLM_EFF_DEFAULT, .power = WM_POWER_IN_DEFAULT, .usd_per_gpu_h = 2};
    long k = 200000;
    t0 = now();
    for (long i = 0; i < k; i++) {
        wm_serve_out o;
        in.input_tokens = 300 + (double)(i % 50);
        wm_llm_serve(&in, &o, NULL);
        sink += o.out_tok_s_per_gpu;
    }
    dt = now() - t0;
    printf("bench_aiecon: wm_llm_serve (TP search, TPOT bisection) %.3g calls/s (checksum %.6g)\n", k / dt, sink);
    return 0;
}
